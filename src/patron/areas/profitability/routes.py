"""``/api/v1/profitability``: a run's profit after the cost to serve by group, and the Stobachoff curve."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from patron.api.deps import StoreDep, allowed
from patron.areas.profitability import service
from patron.service.permissions import User

router = APIRouter(tags=["profitability"])


@router.get("/profitability")
def profitability(store: StoreDep, user: Annotated[User, allowed(service.ACTION)],
                  by: Literal["rung", "segment", "channel", "triage"] = "rung", run_id: int | None = None,
                  points: Annotated[int, Query(ge=2, le=200)] = 20) -> dict[str, Any]:
    """Customers, revenue, cost to serve, profit to date and profit CLV per group (``by``), the unprofitable
    customers and what they destroy, and the Stobachoff curve at ``points`` ranks (share of customers, most
    profitable first, and the cumulative profit there), with the curve in words (``description``)."""
    return service.profitability(store, user, by=by, run_id=run_id, points=points)
