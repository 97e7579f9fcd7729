"""``/api/v1/views``: saved views of a list (its filters and sort under a name), personal or shared."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep
from patron.areas.views import service

router = APIRouter(prefix="/views", tags=["views"])


class ViewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=120)
    area: str = "customers"
    filters: list[dict] = Field(default_factory=list, description='[{"field", "op", "value"}] (docs/list-views.md)')
    sort: str | None = Field(None, max_length=40)
    shared: bool = Field(False, strict=True)


class ViewUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=120)
    filters: list[dict] | None = None
    sort: str | None = Field(None, max_length=40)
    shared: bool | None = Field(None, strict=True)


@router.get("")
def list_views(store: StoreDep, user: CurrentUser, area: str = "customers") -> list[dict[str, Any]]:
    """The user's own views and the shared ones."""
    return service.list_views(store, user, area)


@router.post("", status_code=201)
def save_view(body: ViewCreate, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.save_view(store, user, body.name, body.filters, sort=body.sort, area=body.area,
                             shared=body.shared)


@router.get("/{view_id}")
def get_view(view_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.get_view(store, user, view_id)


@router.patch("/{view_id}")
def update_view(view_id: int, body: ViewUpdate, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Rename, refilter, share or unshare a view (its owner or an admin)."""
    return service.update_view(store, user, view_id, **body.model_dump(exclude_unset=True))


@router.delete("/{view_id}", status_code=204)
def delete_view(view_id: int, store: StoreDep, user: CurrentUser) -> Response:
    service.delete_view(store, user, view_id)
    return Response(status_code=204)
