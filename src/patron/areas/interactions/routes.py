"""``/api/v1/parties/{party_id}/interactions``: contacts logged against a party."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from patron.api.deps import StoreDep, allowed
from patron.areas.interactions import service
from patron.areas.interactions.schemas import InteractionCreate, InteractionPublic
from patron.service.permissions import User

router = APIRouter(prefix="/parties", tags=["interactions"])


@router.post("/{party_id}/interactions", response_model=InteractionPublic, status_code=status.HTTP_201_CREATED)
def log_interaction(party_id: int, body: InteractionCreate, store: StoreDep,
                    user: Annotated[User, allowed("customers.write")]) -> InteractionPublic:
    """Log a direct contact (call, email, meeting…) with the party; you are recorded as the staff member."""
    return InteractionPublic(**service.log_interaction(store, user, party_id, **body.model_dump()))
