"""``/api/v1/parties``: search, and the customer 360."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import Page
from patron.areas.parties import service
from patron.areas.parties.schemas import Party360, PartySummary

router = APIRouter(prefix="/parties", tags=["parties"])


@router.get("", response_model=Page[PartySummary])
def search(store: StoreDep, user: CurrentUser,
           q: Annotated[str | None, Query(max_length=200, description="Name, key in a source system or id; "
                                          "email too for roles that may see it.")] = None,
           category: Annotated[str | None, Query(max_length=40)] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 25,
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page[PartySummary]:
    """Find parties; the most valuable (latest CLV) first."""
    total, rows = service.search_parties(store, user, q, category=category, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[PartySummary(**r) for r in rows])


@router.get("/{party_id}", response_model=Party360)
def customer_360(party_id: int, store: StoreDep, user: CurrentUser) -> Party360:
    """Everything about one party: profile, identities, purchases, timeline, feedback, complaints, scores."""
    return Party360(**service.party_360(store, user, party_id))
