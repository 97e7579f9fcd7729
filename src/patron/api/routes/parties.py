"""``/api/v1/parties``: search, the customer 360, and contacts logged against a party."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import (
    ComplaintCreate, ComplaintPublic, FeedbackCreate, FeedbackPublic, InteractionCreate, InteractionPublic, Page,
    Party360, PartySummary,
)
from patron.service import contacts, parties

router = APIRouter(prefix="/parties", tags=["parties"])


@router.get("", response_model=Page[PartySummary])
def search(store: StoreDep, user: CurrentUser,
           q: Annotated[str | None, Query(max_length=200, description="Name, key in a source system or id; "
                                          "email too for roles that may see it.")] = None,
           category: Annotated[str | None, Query(max_length=40)] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 25,
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page[PartySummary]:
    """Find parties; the most valuable (latest CLV) first."""
    total, rows = parties.search_parties(store, user, q, category=category, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[PartySummary(**r) for r in rows])


@router.get("/{party_id}", response_model=Party360)
def customer_360(party_id: int, store: StoreDep, user: CurrentUser) -> Party360:
    """Everything about one party: profile, identities, purchases, timeline, feedback, complaints, scores."""
    return Party360(**parties.party_360(store, user, party_id))


@router.post("/{party_id}/interactions", response_model=InteractionPublic, status_code=status.HTTP_201_CREATED)
def log_interaction(party_id: int, body: InteractionCreate, store: StoreDep, user: CurrentUser) -> InteractionPublic:
    """Log a direct contact (call, email, meeting…) with the party; you are recorded as the staff member."""
    return InteractionPublic(**contacts.log_interaction(store, user, party_id, **body.model_dump()))


@router.post("/{party_id}/complaints", response_model=ComplaintPublic, status_code=status.HTTP_201_CREATED)
def open_complaint(party_id: int, body: ComplaintCreate, store: StoreDep, user: CurrentUser) -> ComplaintPublic:
    """Open a complaint for the party."""
    return ComplaintPublic(**contacts.open_complaint(store, user, party_id, **body.model_dump()))


@router.post("/{party_id}/feedback", response_model=FeedbackPublic, status_code=status.HTTP_201_CREATED)
def record_feedback(party_id: int, body: FeedbackCreate, store: StoreDep, user: CurrentUser) -> FeedbackPublic:
    """Record an answer the party gave (NPS, CSAT, CES, a suggestion…)."""
    return FeedbackPublic(**contacts.record_feedback(store, user, party_id, **body.model_dump()))
