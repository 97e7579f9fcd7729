"""``/diagnostics``: how well the current run's model fits; ``/customers/{party_id}/alive``: a customer's P(alive)
history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.diagnostics import service
from patron.errors import PatronError
from patron.service.inputs import parse_date
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(87, "Model diagnostics", "/diagnostics", action=service.ACTION, section="Analysis")


@router.get("/diagnostics", response_class=HTMLResponse)
def diagnostics_page(request: Request, store: StoreDep, split: str = ""):
    user = page_user(request, store)
    user.require(service.ACTION)
    try:
        found = service.diagnostics(store, user, split=parse_date(split, "the split date") if split else None)
    except PatronError as exc:
        if split:
            raise
        return render(request, "diagnostics/diagnostics.html", user, active=NAV.label, d=None, problem=str(exc))
    return render(request, "diagnostics/diagnostics.html", user, active=NAV.label, d=found,
                  charts=service.diagnostic_charts(found), split=split)


@router.get("/customers/{party_id}/alive", response_class=HTMLResponse)
def alive_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    history = service.customer_alive_history(store, user, party_id)
    return render(request, "diagnostics/alive.html", user, h=history, chart=service.alive_chart(history))
