"""``/outbox`` (the outbox and its dead letters) and ``/unsubscribe/{token}`` (no sign-in: the link is signed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.outbox import pressure, service
from patron.errors import InvalidInput
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(75, "Outbox", "/outbox", action="outbox.read", section="Campaigns")


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, store: StoreDep, status: str | None = None):
    user = page_user(request, store)
    return render(request, "outbox/outbox.html", user, active=NAV.label, counts=service.status_counts(store, user),
                  status=status or None, messages=service.messages(store, user, status=status or None, limit=200),
                  dead=service.messages(store, user, status="dead", limit=200), can_requeue=user.may("outbox.manage"),
                  settings=service.delivery_settings(store, user), pressure=pressure.pressure_settings(store, user))


@router.post("/outbox/settings")
async def save_settings(request: Request, store: StoreDep):
    """An admin's delivery settings (smtp.connections, delivery.batch, triggers.keep_days), checked, audited."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    user = page_user(request, store)
    try:
        service.set_delivery_settings(store, user, {name: str(form.get(name, "")) for name, *_ in
                                                    service.DELIVERY_SETTINGS if name in form})
    except InvalidInput as exc:  # said on the page, nothing kept
        return back("/outbox", request, f"Nothing was saved: {exc}", error=True)
    return back("/outbox", request, "The delivery settings are saved; a running worker takes them when it restarts.")


@router.post("/outbox/pressure")
async def save_pressure(request: Request, store: StoreDep):
    """An admin's frequency caps, quiet hours and default time zone, each checked, audited; the gate reads them
    at its next batch."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    user = page_user(request, store)
    values = {name: str(value) for name, value in form.items() if name != "csrf"}
    try:
        pressure.set_pressure_settings(store, user, values)
    except InvalidInput as exc:  # said on the page, nothing kept
        return back("/outbox", request, f"Nothing was saved: {exc}", error=True)
    return back("/outbox", request, "The caps, quiet hours and time zone are saved; the next message sent is "
                                    "checked against them.")


@router.post("/outbox/{message_id}/requeue")
def requeue(request: Request, store: StoreDep, message_id: int, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    service.requeue(store, user, message_id)
    return back("/outbox", request, f"Message {message_id} is queued again.")


@router.api_route("/unsubscribe/{token}", methods=["GET", "POST"], response_class=HTMLResponse)
def unsubscribe(request: Request, store: StoreDep, token: str):
    """GET (the link) and POST (RFC 8058 one-click, from the List-Unsubscribe header) both unsubscribe at once."""
    done = service.unsubscribe(store, token)
    return render(request, "outbox/unsubscribed.html", None, done=done)
