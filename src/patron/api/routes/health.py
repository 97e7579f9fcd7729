"""``/api/v1/health``: the one endpoint open without a user (for load balancers and monitors)."""

from fastapi import APIRouter

from patron.api.deps import StoreDep
from patron.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(store: StoreDep) -> Health:
    """Is the service up and its store readable?"""
    return Health(status="ok", schema_version=store.schema_version())
