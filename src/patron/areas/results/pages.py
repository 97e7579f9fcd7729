"""``/campaigns/{campaign_id}/results``: what a campaign changed, in charts with the intervals stated in words;
``/results/before-after``: what an external change did, against a control group."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.results import service
from patron.errors import InvalidInput
from patron.service.inputs import parse_date
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(72, "Before/after", "/results/before-after", action=service.ACTION, section="Analysis")


@router.get("/campaigns/{campaign_id}/results", response_class=HTMLResponse)
def campaign_results(request: Request, store: StoreDep, campaign_id: int, by: str | None = None,
                     window_days: int = 56):
    user = page_user(request, store)
    if by not in (None, "", "rung", "segment", "triage"):
        raise InvalidInput(f"Results break down by rung, segment or triage, not {by!r}.")
    result = service.campaign_results(store, user, campaign_id, window_days=window_days, by=by or None)
    return render(request, "results/campaign.html", user, r=result, charts=service.result_charts(result),
                  by=by or "")


@router.get("/results/before-after", response_class=HTMLResponse)
def before_after(request: Request, store: StoreDep, date: str = "", treated: str = "", control: str = "",
                 weeks: int = 26):
    """A form (the change date, the changed group, the control group), then both weekly series with the date
    marked and the difference in differences with its interval."""
    user = page_user(request, store)
    user.require(service.ACTION)
    result = chart = None
    if date or treated or control:
        if not (date and treated and control):
            raise InvalidInput("Give the change date, the group it touched and a control group.")
        when = dt.datetime.combine(parse_date(date, "change date"), dt.time())
        result = service.before_after_groups(store, user, when, treated, control, weeks=weeks)
        chart = service.before_after_chart(result)
    return render(request, "results/before_after.html", user, active=NAV.label, r=result, chart=chart,
                  choices=service.group_choices(store), date=date, treated=treated, control=control, weeks=weeks)
