"""``/complaints``: the complaint desk, and the customer 360's form for opening a complaint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.complaints import service
from patron.areas.complaints.charter import DEFAULT_CHARTER
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(40, "Complaint desk", "/complaints")


@router.post("/customers/{party_id}/complaints")
def customer_complaint(request: Request, store: StoreDep, party_id: int, category: Annotated[str, Form()],
                       description: Annotated[str, Form()], severity: Annotated[str, Form()] = "medium",
                       csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    c = service.open_complaint(store, user, party_id, category=category, description=description, severity=severity)
    return back(f"/customers/{party_id}", request, f"Complaint {c['complaint_id']} opened.")


@router.get("/complaints", response_class=HTMLResponse)
def complaint_desk(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "complaints/desk.html", user, active=NAV.label, queue=service.complaint_queue(store),
                  levels=DEFAULT_CHARTER.service_levels)


@router.post("/complaints/{complaint_id}/status")
def complaint_status(request: Request, store: StoreDep, complaint_id: int, status: Annotated[str, Form()],
                     csrf: Annotated[str, Form()] = "", resolution: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    service.change_complaint_status(store, user, complaint_id, status, resolution=resolution or None)
    return back("/complaints", request, f"Complaint {complaint_id} is now {status.replace('_', ' ')}.")
