"""``/relationships`` (the portfolio, stages, matrix and network) and ``/accounts/{id}`` (one account)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.accounts import service
from patron.errors import InvalidInput
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(35, "Relationships", "/relationships", action="customers.read", section="Relationships")


@router.get("/relationships", response_class=HTMLResponse)
def relationships_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    rows = service.accounts(store, user)
    matrix: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        matrix.setdefault((r["proximity"], r["duration"]), []).append(r)
    quadrants: dict[str, dict[str | None, list[dict]]] = {"customer": {}, "supplier": {}}
    for r in rows:  # one portfolio of the firm's customers, one of its suppliers
        quadrants[r["side"]].setdefault(r["bensaou"], []).append(r)
    stages: dict[str, int] = {}
    for r in rows:
        stages[r["stage"]] = stages.get(r["stage"], 0) + 1
    return render(request, "accounts/relationships.html", user, active=NAV.label, rows=rows, matrix=matrix,
                  quadrants=quadrants, stages=stages, network=service.network_summary(store, user))


@router.get("/accounts/{party_id}", response_class=HTMLResponse)
def account_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    view = service.account_view(store, user, party_id)
    return render(request, "accounts/account.html", user, active=NAV.label, v=view,
                  grid=service.stakeholder_grid_svg(view["people"]),
                  ego=service.ego_network_svg(store, user, party_id),
                  review=service.review_trend(store, user, party_id, "wilson"),
                  history=(history := service.strength_history(store, user, party_id, as_of=view["as_of"])),
                  sparkline=service.strength_sparkline_svg(history),
                  wilson_items=service.FORM_ITEMS["wilson"][0])


@router.post("/accounts/{party_id}/contacts")
def add_contact(request: Request, store: StoreDep, party_id: int, name: Annotated[str, Form(max_length=200)],
                csrf: Annotated[str, Form()] = "", job_title: Annotated[str, Form(max_length=200)] = "",
                buying_role: Annotated[str, Form()] = "", influence: Annotated[str, Form()] = "",
                interest: Annotated[str, Form()] = "", attitude: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    added = service.add_contact(store, user, party_id, name, job_title=job_title or None,
                                buying_role=buying_role or None)
    stake = {k: v for k, v in (("influence", influence), ("interest", interest), ("attitude", attitude)) if v}
    if stake:
        service.add_assessment(store, user, added["party_id"], "stakeholder", stake)
    return back(f"/accounts/{party_id}", request, f"{added['name']} added.")


@router.post("/accounts/{party_id}/trust")
def rate_trust(request: Request, store: StoreDep, party_id: int, contact: Annotated[int, Form()],
               csrf: Annotated[str, Form()] = "", credibility: Annotated[str, Form()] = "",
               reliability: Annotated[str, Form()] = "", intimacy: Annotated[str, Form()] = "",
               self_orientation: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    answers = {"credibility": credibility, "reliability": reliability, "intimacy": intimacy,
               "self_orientation": self_orientation}
    if not all(answers.values()):
        raise InvalidInput("Rate all four terms of the trust equation, each from 1 to 10.")
    service.add_assessment(store, user, contact, "trust", answers)
    return back(f"/accounts/{party_id}", request, "Trust rated.")


@router.post("/accounts/{party_id}/review")
async def record_review(request: Request, store: StoreDep, party_id: int):
    """An account review: Wilson's constructs (1-5 each) or the relationship-specific investments (1-5)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf") or ""))
    user = page_user(request, store)
    kind = str(form.get("form") or "wilson")
    if kind not in ("wilson", "investments"):
        raise InvalidInput("An account review is either Wilson's constructs or the specific investments.")
    items = service.FORM_ITEMS[kind][0]
    answers = {item: str(form.get(item) or "") for item in items}
    if not any(answers.values()):
        raise InvalidInput("Nothing to record: rate at least one item from 1 to 5.")
    service.add_assessment(store, user, party_id, kind, answers, note=str(form.get("note") or "") or None)
    return back(f"/accounts/{party_id}", request,
                "Review recorded." if kind == "wilson" else "Specific investments recorded.")
