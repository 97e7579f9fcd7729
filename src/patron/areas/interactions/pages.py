"""The customer 360's form for logging an interaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from patron.api.deps import StoreDep
from patron.areas.interactions import service
from patron.web.auth import check_csrf, page_user
from patron.web.templating import back

router = APIRouter(include_in_schema=False)


@router.post("/customers/{party_id}/interactions")
def customer_interaction(request: Request, store: StoreDep, party_id: int, channel: Annotated[str, Form()],
                         subject: Annotated[str, Form(max_length=500)], csrf: Annotated[str, Form()] = "",
                         direction: Annotated[str | None, Form()] = None,
                         outcome: Annotated[str | None, Form(max_length=500)] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    service.log_interaction(store, user, party_id, channel=channel, direction=direction or None, subject=subject,
                            outcome=outcome or None, department=service.ROLE_DEPARTMENTS.get(user.role))
    return back(f"/customers/{party_id}", request, "Interaction logged.")
