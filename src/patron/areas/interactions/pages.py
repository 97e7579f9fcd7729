"""The customer 360's form for logging an interaction; ``/interactions``: every logged contact as a list, filtered,
sorted, paged and exported, and one interaction's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.interactions import lists, service
from patron.areas.tasks.service import add_task
from patron.service.inputs import parse_date
from patron.store import vocabulary
from patron.web import listpage
from patron.web.auth import check_csrf, page_user
from patron.web.listpage import Input, ListPage
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(42, "Interactions", "/interactions", section="Relationships")
#: The interaction list: its filter form (input, field, operator, how it shows) and its routes.
LIST = ListPage(
    area="interactions", path="/interactions", template="interactions/list.html", active=NAV.label,
    form_id="interaction-filters", filename="interactions.csv", read=lists.interaction_list,
    export=lambda store, user, filters, sort, _: lists.export_interactions(store, user, filters, sort=sort),
    inputs=(Input("q", "text", "contains", label="Search", size=16, placeholder="subject, outcome, notes"),
            Input("channel", "channel", "eq", label="Channel", choices=vocabulary.INTERACTION_CHANNELS),
            Input("direction", "direction", "eq", label="Direction", choices=vocabulary.INTERACTION_DIRECTIONS),
            Input("department", "department", "eq", label="Department", choices=vocabulary.DEPARTMENTS),
            Input("phase", "phase", "eq", label="Phase", choices=vocabulary.INTERACTION_PHASES),
            Input("staff", "staff", "contains", label="Staff", size=8),
            Input("customer", "customer", "contains", label="Customer"),
            Input("party_id", "party_id", "eq", kind="link"),
            Input("from", "occurred_at", "gte", label="From", kind="date"),
            Input("to", "occurred_at", "lte", end_of_day=True, label="to", kind="date")))
listpage.add_routes(router, LIST)


@router.get("/interactions/{interaction_id}", response_class=HTMLResponse)
def interaction_page(request: Request, store: StoreDep, interaction_id: int):
    user = page_user(request, store)
    return render(request, "interactions/interaction.html", user, active=NAV.label,
                  i=lists.get_interaction(store, user, interaction_id))


@router.post("/customers/{party_id}/interactions")
def customer_interaction(request: Request, store: StoreDep, party_id: int, channel: Annotated[str, Form()],
                         subject: Annotated[str, Form(max_length=500)], csrf: Annotated[str, Form()] = "",
                         direction: Annotated[str | None, Form()] = None,
                         outcome: Annotated[str | None, Form(max_length=500)] = None,
                         notes: Annotated[str | None, Form(max_length=10_000)] = None,
                         occurred_at: Annotated[str | None, Form(max_length=30)] = None,
                         task_title: Annotated[str | None, Form(max_length=300)] = None,
                         task_due: Annotated[str | None, Form(max_length=20)] = None,
                         task_owner: Annotated[str | None, Form(max_length=200)] = None,
                         complaint_id: Annotated[str | None, Form(max_length=20)] = None):
    """The composer: a contact logged by the signed-in user, with an optional follow-up task."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    at = parse_date(occurred_at, "the time of the contact") if occurred_at else None
    due = parse_date(task_due, "the follow-up's due date") if task_due else None
    service.log_interaction(store, user, party_id, channel=channel, direction=direction or None, subject=subject,
                            outcome=outcome or None, notes=notes or None, occurred_at=at,
                            department=service.ROLE_DEPARTMENTS.get(user.role),
                            complaint_id=int(complaint_id) if (complaint_id or "").strip().isdigit() else None)
    if task_title and task_title.strip():
        add_task(store, user, party_id, task_title, owner=task_owner or None, due_at=due)
        return back(f"/customers/{party_id}", request, "Interaction logged, follow-up task added.")
    return back(f"/customers/{party_id}", request, "Interaction logged.")
