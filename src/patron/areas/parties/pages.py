"""``/customers``: finding customers, and the customer 360."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.parties import service
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(20, "Customers", "/customers")


@router.get("/customers", response_class=HTMLResponse)
def customer_search(request: Request, store: StoreDep, q: str | None = None):
    user = page_user(request, store)
    total, items = service.search_parties(store, user, (q or "")[:200] or None, limit=50)
    return render(request, "parties/customers.html", user, active=NAV.label, q=q, total=total, items=items)


@router.get("/customers/{party_id}", response_class=HTMLResponse)
def customer_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    view = service.party_360(store, user, party_id)
    return render(request, "parties/customer.html", user, active=NAV.label, view=view)
