"""``/api/v1/complaints``: one complaint, and its progress through open → in progress → resolved → closed."""

from fastapi import APIRouter

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import ComplaintPublic, ComplaintUpdate
from patron.service import contacts

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get_complaint(complaint_id: int, store: StoreDep, user: CurrentUser) -> ComplaintPublic:
    return ComplaintPublic(**contacts.get_complaint(store, complaint_id))


@router.patch("/{complaint_id}", response_model=ComplaintPublic)
def change_status(complaint_id: int, body: ComplaintUpdate, store: StoreDep, user: CurrentUser) -> ComplaintPublic:
    """Move a complaint on; first response and resolution times are stamped automatically."""
    return ComplaintPublic(**contacts.change_complaint_status(store, user, complaint_id, **body.model_dump()))
