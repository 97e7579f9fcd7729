"""The customer 360's form for logging an interaction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from patron.api.deps import StoreDep
from patron.areas.interactions import service
from patron.areas.tasks.service import add_task
from patron.service.inputs import parse_date
from patron.web.auth import check_csrf, page_user
from patron.web.templating import back

router = APIRouter(include_in_schema=False)


@router.post("/customers/{party_id}/interactions")
def customer_interaction(request: Request, store: StoreDep, party_id: int, channel: Annotated[str, Form()],
                         subject: Annotated[str, Form(max_length=500)], csrf: Annotated[str, Form()] = "",
                         direction: Annotated[str | None, Form()] = None,
                         outcome: Annotated[str | None, Form(max_length=500)] = None,
                         notes: Annotated[str | None, Form(max_length=10_000)] = None,
                         occurred_at: Annotated[str | None, Form(max_length=30)] = None,
                         task_title: Annotated[str | None, Form(max_length=300)] = None,
                         task_due: Annotated[str | None, Form(max_length=20)] = None,
                         task_owner: Annotated[str | None, Form(max_length=200)] = None):
    """The composer: a contact logged by the signed-in user, with an optional follow-up task."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    at = parse_date(occurred_at, "the time of the contact") if occurred_at else None
    due = parse_date(task_due, "the follow-up's due date") if task_due else None
    service.log_interaction(store, user, party_id, channel=channel, direction=direction or None, subject=subject,
                            outcome=outcome or None, notes=notes or None, occurred_at=at,
                            department=service.ROLE_DEPARTMENTS.get(user.role))
    if task_title and task_title.strip():
        add_task(store, user, party_id, task_title, owner=task_owner or None, due_at=due)
        return back(f"/customers/{party_id}", request, "Interaction logged, follow-up task added.")
    return back(f"/customers/{party_id}", request, "Interaction logged.")
