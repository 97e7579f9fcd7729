"""``/api/v1/campaigns/{campaign_id}/results``: a campaign's measured response, and its uplift model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from patron.api.deps import StoreDep, allowed
from patron.areas.results import service
from patron.service.permissions import User

router = APIRouter(tags=["results"])


@router.get("/campaigns/{campaign_id}/results")
def campaign_results(campaign_id: int, store: StoreDep, user: Annotated[User, allowed(service.ACTION)],
                     window_days: Annotated[int, Query(ge=1, le=730)] = 56,
                     by: Literal["rung", "segment", "triage"] | None = None,
                     run_id: int | None = None) -> dict[str, Any]:
    """Response, revenue and CLV change of the treated against the control (and the global holdout), with 95%
    intervals (Newcombe for the response rate, BCa bootstrap for revenue and CLV), optionally by group."""
    return service.campaign_results(store, user, campaign_id, window_days=window_days, by=by, run_id=run_id)


@router.get("/campaigns/{campaign_id}/uplift-model")
def uplift_model(campaign_id: int, store: StoreDep, user: Annotated[User, allowed(service.ACTION)],
                 method: Literal["two_model", "class_transformation"] = "two_model",
                 top: Annotated[int, Query(ge=1, le=10000)] = 100) -> dict[str, Any]:
    """Train an uplift model on the campaign, with its Qini on held-out members, and the top parties to target."""
    result = service.uplift_suggestions(store, user, campaign_id, method=method)
    return {**result, "suggestions": result["suggestions"][:top]}
