"""``/complaints``: the complaint desk, and the customer 360's form for opening a complaint."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.complaints import desk, lists, service
from patron.areas.complaints.sla import SLA_STATES
from patron.errors import InvalidInput
from patron.store import vocabulary
from patron.web import listpage
from patron.web.auth import check_csrf, page_user
from patron.web.listpage import Input, ListPage
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(40, "Complaint desk", "/complaints", section="Service")
#: Every complaint, open or closed, filtered and paged (the desk shows the open ones to work on).
LIST_NAV = NavItem(41, "Complaint list", "/complaints/list", section="Service")
NAV_MORE = (LIST_NAV,)


@router.post("/customers/{party_id}/complaints")
def customer_complaint(request: Request, store: StoreDep, party_id: int, category: Annotated[str, Form()],
                       description: Annotated[str, Form()], severity: Annotated[str, Form()] = "medium",
                       csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    c = service.open_complaint(store, user, party_id, category=category, description=description, severity=severity)
    return back(f"/customers/{party_id}", request, f"Complaint {c['complaint_id']} opened.")


def _number(value: str | None, name: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InvalidInput(f"{name} is a number, not '{value}'.") from None


@router.get("/complaints", response_class=HTMLResponse)
def complaint_desk(request: Request, store: StoreDep, status: Annotated[list[str] | None, Query()] = None,
                   severity: str | None = None, category: str | None = None, owner: str | None = None,
                   sla_state: str | None = None, min_age_days: str | None = None, min_value: str | None = None,
                   sort: str = "opened_at", descending: bool = True, page: int = 1):
    user = page_user(request, store)
    filters = {"status": status if status is not None else ["open", "in_progress"],
               "severity": [severity] if severity else None, "category": category or None, "owner": owner or None,
               "sla_state": sla_state or None, "min_age_days": _number(min_age_days, "Older than (days)"),
               "min_value": _number(min_value, "Value at least"), "sort": sort,
               "descending": descending if "sort" in request.query_params else True}
    result = desk.complaint_desk(store, user, page=page, per_page=50, **filters)

    def page_url(n: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(n))]
        return "/complaints?" + urlencode(query)

    return render(request, "complaints/desk.html", user, active=NAV.label, desk=result, f=filters,
                  levels=desk.service_levels(store), sla_states=SLA_STATES, sorts=desk.SORTS, page_url=page_url)


@router.post("/complaints/{complaint_id}/status")
def complaint_status(request: Request, store: StoreDep, complaint_id: int, status: Annotated[str, Form()],
                     csrf: Annotated[str, Form()] = "", resolution: Annotated[str | None, Form()] = None,
                     satisfaction_after: Annotated[str | None, Form()] = None,
                     back_to: Annotated[str, Form(alias="back")] = "/complaints"):
    check_csrf(request, csrf)
    user = page_user(request, store)
    service.change_complaint_status(store, user, complaint_id, status, resolution=resolution or None,
                                    satisfaction_after=_number(satisfaction_after, "Satisfaction"))
    target = back_to if back_to.startswith(("/customers/", "/complaints/")) else "/complaints"
    return back(target, request, f"Complaint {complaint_id} is now {status.replace('_', ' ')}.")


@router.post("/complaints/{complaint_id}/owner")
def complaint_owner(request: Request, store: StoreDep, complaint_id: int, owner: Annotated[str, Form()] = "",
                    csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    desk.assign_owner(store, user, complaint_id, owner)
    return back("/complaints", request, f"Complaint {complaint_id} is now owned by {owner or 'nobody'}.")


#: The complaint list: its filter form (input, field, operator, how it shows) and its routes.
LIST = ListPage(
    area="complaints", path="/complaints/list", template="complaints/list.html", active=LIST_NAV.label,
    form_id="complaint-filters", filename="complaints.csv", read=lists.complaint_list,
    export=lambda store, user, filters, sort, _: lists.export_complaints(store, user, filters, sort=sort),
    inputs=(Input("q", "text", "contains", label="Search", size=16, placeholder="words of the complaint"),
            Input("status", "status", "eq", label="Status", choices=vocabulary.COMPLAINT_STATUSES),
            Input("severity", "severity", "eq", label="Severity", choices=vocabulary.COMPLAINT_SEVERITIES),
            Input("channel", "channel", "eq", label="Channel", choices=vocabulary.INTERACTION_CHANNELS),
            Input("category", "category", "contains", label="Category"),
            Input("owner", "owner", "eq", label="Owner", size=8),
            Input("customer", "customer", "contains", label="Customer"),
            Input("party_id", "party_id", "eq", kind="link"),
            Input("from", "opened_at", "gte", label="Opened from", kind="date"),
            Input("to", "opened_at", "lte", end_of_day=True, label="to", kind="date")))
listpage.add_routes(router, LIST)


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(request: Request, store: StoreDep, complaint_id: int):
    """One complaint: its customer, what happened, its clocks at the data's end, moving it on."""
    user = page_user(request, store)
    page = lists.complaint_list(store, user, [{"field": "complaint_id", "op": "eq", "value": complaint_id}], limit=1)
    if not page["items"]:
        service.get_complaint(store, complaint_id)  # not found, in its words
    return render(request, "complaints/complaint.html", user, active=NAV.label, c=page["items"][0],
                  as_of=page["as_of"], back_to=f"/complaints/{complaint_id}")
