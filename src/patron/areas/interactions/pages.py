"""The customer 360's form for logging an interaction; ``/interactions``: every logged contact as a list, filtered,
sorted, paged and exported, and one interaction's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.interactions import lists, service
from patron.areas.tasks.service import add_task
from patron.areas.views import service as views
from patron.service.exports import attachment
from patron.service.inputs import parse_date
from patron.web import listpage
from patron.web.auth import check_csrf, page_user
from patron.web.listpage import Input
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(42, "Interactions", "/interactions", section="Relationships")
#: The interaction list's filter form: (input, field, operator).
LIST_INPUTS = (Input("q", "text", "contains"), Input("channel", "channel", "eq"),
               Input("direction", "direction", "eq"), Input("department", "department", "eq"),
               Input("phase", "phase", "eq"), Input("staff", "staff", "contains"),
               Input("customer", "customer", "contains"), Input("party_id", "party_id", "eq"),
               Input("from", "occurred_at", "gte"), Input("to", "occurred_at", "lte", end_of_day=True))


@router.get("/interactions", response_class=HTMLResponse)
def interaction_list(request: Request, store: StoreDep):
    """Every logged contact, filtered, sorted and paged, with saved views and an export of exactly the view."""
    user = page_user(request, store)
    params = request.query_params
    view = views.get_view(store, user, int(params["view"])) if params.get("view", "").isdigit() else None
    filters = view["filters"] if view else listpage.form_filters(params, LIST_INPUTS)
    sort = params.get("sort") or (view["sort"] if view else None)
    page = lists.interaction_list(store, user, filters, sort=sort, cursor=params.get("cursor") or None, limit=50)
    return render(request, "interactions/list.html", user, active=NAV.label, page=page, view=view,
                  views=views.list_views(store, user, "interactions"),
                  values=listpage.form_values(filters, LIST_INPUTS),
                  links=listpage.links("/interactions", page, "/interactions/export"))


@router.get("/interactions/export")
def export_interaction_list(request: Request, store: StoreDep, filters: str = "", sort: str = ""):
    user = page_user(request, store)
    chunks = lists.export_interactions(store, user, filters or None, sort=sort or None)
    return StreamingResponse(chunks, media_type="text/csv",
                             headers={"Content-Disposition": attachment("interactions.csv")})


@router.post("/interactions/views")
def save_interaction_view(request: Request, store: StoreDep, name: Annotated[str, Form(max_length=120)],
                          csrf: Annotated[str, Form()] = "", filters: Annotated[str, Form(max_length=20_000)] = "",
                          sort: Annotated[str, Form(max_length=40)] = "", shared: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    view = views.save_view(store, user, name, filters or None, sort=sort or None, area="interactions",
                           shared=bool(shared))
    return back(f"/interactions?view={view['view_id']}", request, f"View '{view['name']}' saved.")


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
