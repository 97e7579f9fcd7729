"""``/profitability``: profit after the cost to serve by segment, rung, channel and triage, and the Stobachoff curve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.profitability import service
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(32, "Profitability", "/profitability", action=service.ACTION, section="Analysis")


@router.get("/profitability", response_class=HTMLResponse)
def profitability_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "profitability/profitability.html", user, active=NAV.label,
                  **service.profitability_page(store, user))
