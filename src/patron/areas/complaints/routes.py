"""``/api/v1/complaints`` and ``/api/v1/parties/{party_id}/complaints``: opening a complaint, and its progress
through open → in progress → resolved → closed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.areas.complaints import service
from patron.areas.complaints.schemas import ComplaintCreate, ComplaintPublic, ComplaintUpdate
from patron.service.permissions import User

router = APIRouter(tags=["complaints"])


@router.post("/parties/{party_id}/complaints", response_model=ComplaintPublic, status_code=status.HTTP_201_CREATED)
def open_complaint(party_id: int, body: ComplaintCreate, store: StoreDep,
                   user: Annotated[User, allowed("customers.write")]) -> ComplaintPublic:
    """Open a complaint for the party."""
    return ComplaintPublic(**service.open_complaint(store, user, party_id, **body.model_dump()))


@router.get("/complaints/{complaint_id}", response_model=ComplaintPublic)
def get_complaint(complaint_id: int, store: StoreDep, user: CurrentUser) -> ComplaintPublic:
    return ComplaintPublic(**service.get_complaint(store, complaint_id))


@router.patch("/complaints/{complaint_id}", response_model=ComplaintPublic)
def change_status(complaint_id: int, body: ComplaintUpdate, store: StoreDep,
                  user: Annotated[User, allowed("customers.write")]) -> ComplaintPublic:
    """Move a complaint on; first response and resolution times are stamped automatically."""
    return ComplaintPublic(**service.change_complaint_status(store, user, complaint_id, **body.model_dump()))
