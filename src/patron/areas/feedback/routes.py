"""``/api/v1/parties/{party_id}/feedback``: answers a party gave."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from patron.api.deps import StoreDep, allowed
from patron.areas.feedback import service
from patron.areas.feedback.schemas import FeedbackCreate, FeedbackPublic
from patron.service.permissions import User

router = APIRouter(prefix="/parties", tags=["feedback"])


@router.post("/{party_id}/feedback", response_model=FeedbackPublic, status_code=status.HTTP_201_CREATED)
def record_feedback(party_id: int, body: FeedbackCreate, store: StoreDep,
                    user: Annotated[User, allowed("customers.write")]) -> FeedbackPublic:
    """Record an answer the party gave (NPS, CSAT, CES, a suggestion…)."""
    return FeedbackPublic(**service.record_feedback(store, user, party_id, **body.model_dump()))
