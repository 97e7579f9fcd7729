"""``/campaigns/{campaign_id}/results``: what a campaign changed, in charts with the intervals stated in words."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.results import service
from patron.errors import InvalidInput
from patron.web.auth import page_user
from patron.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/campaigns/{campaign_id}/results", response_class=HTMLResponse)
def campaign_results(request: Request, store: StoreDep, campaign_id: int, by: str | None = None,
                     window_days: int = 56):
    user = page_user(request, store)
    if by not in (None, "", "rung", "segment", "triage"):
        raise InvalidInput(f"Results break down by rung, segment or triage, not {by!r}.")
    result = service.campaign_results(store, user, campaign_id, window_days=window_days, by=by or None)
    return render(request, "results/campaign.html", user, r=result, charts=service.result_charts(result),
                  by=by or "")
