"""``/``: the overview of the customer base."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.overview.service import overview
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(10, "Overview", "/")


@router.get("/", response_class=HTMLResponse)
def overview_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "overview/overview.html", user, active=NAV.label, **overview(store))
