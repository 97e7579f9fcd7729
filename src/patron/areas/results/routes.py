"""``/api/v1/campaigns/{campaign_id}/results``: a campaign's measured response, and its uplift model;
``/api/v1/results/before-after``: before/after an external change against a control group."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from patron.api.deps import StoreDep, allowed
from patron.api.schemas import Day
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


@router.get("/results/before-after")
def before_after(store: StoreDep, user: Annotated[User, allowed(service.ACTION)], date: Day,
                 treated: Annotated[str, Query(description="The group the change touched, kind:value (rung:advocate, "
                                                           "segment:..., triage:best, view:NAME, country:FR, "
                                                           "campaign:3:treated).")],
                 control: Annotated[str, Query(description="A comparable group it did not touch, kind:value.")],
                 weeks: Annotated[int, Query(ge=2, le=260)] = 26) -> dict[str, Any]:
    """Revenue per party and week of both groups around the change date, and the difference in differences with
    a 95% BCa bootstrap interval over the parties (and, for comparison, a Welch interval over the weeks)."""
    return service.before_after_groups(store, user, dt.datetime.combine(date, dt.time()), treated, control,
                                       weeks=weeks)
