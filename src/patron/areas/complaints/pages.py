"""``/complaints``: the complaint desk, and the customer 360's form for opening a complaint."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.complaints import desk, lists, service
from patron.areas.complaints.sla import SLA_STATES
from patron.areas.views import service as views
from patron.errors import InvalidInput
from patron.service.exports import attachment
from patron.web import listpage
from patron.web.auth import check_csrf, page_user
from patron.web.listpage import Input
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(40, "Complaint desk", "/complaints", section="Service")


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


#: The complaint list's filter form: (input, field, operator).
LIST_INPUTS = (Input("q", "text", "contains"), Input("status", "status", "eq"), Input("severity", "severity", "eq"),
               Input("channel", "channel", "eq"), Input("category", "category", "contains"),
               Input("owner", "owner", "eq"), Input("customer", "customer", "contains"),
               Input("party_id", "party_id", "eq"), Input("from", "opened_at", "gte"),
               Input("to", "opened_at", "lte", end_of_day=True))


@router.get("/complaints/list", response_class=HTMLResponse)
def complaint_list(request: Request, store: StoreDep):
    """Every complaint, filtered, sorted and paged, with saved views and an export of exactly the view."""
    user = page_user(request, store)
    params = request.query_params
    view = views.get_view(store, user, int(params["view"])) if params.get("view", "").isdigit() else None
    filters = view["filters"] if view else listpage.form_filters(params, LIST_INPUTS)
    sort = params.get("sort") or (view["sort"] if view else None)
    page = lists.complaint_list(store, user, filters, sort=sort, cursor=params.get("cursor") or None, limit=50)
    return render(request, "complaints/list.html", user, active=NAV.label, page=page, view=view,
                  views=views.list_views(store, user, "complaints"), values=listpage.form_values(filters, LIST_INPUTS),
                  links=listpage.links("/complaints/list", page, "/complaints/list/export"))


@router.get("/complaints/list/export")
def export_complaint_list(request: Request, store: StoreDep, filters: str = "", sort: str = ""):
    user = page_user(request, store)
    chunks = lists.export_complaints(store, user, filters or None, sort=sort or None)
    return StreamingResponse(chunks, media_type="text/csv", headers={"Content-Disposition": attachment("complaints.csv")})


@router.post("/complaints/list/views")
def save_complaint_view(request: Request, store: StoreDep, name: Annotated[str, Form(max_length=120)],
                        csrf: Annotated[str, Form()] = "", filters: Annotated[str, Form(max_length=20_000)] = "",
                        sort: Annotated[str, Form(max_length=40)] = "", shared: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    view = views.save_view(store, user, name, filters or None, sort=sort or None, area="complaints",
                           shared=bool(shared))
    return back(f"/complaints/list?view={view['view_id']}", request, f"View '{view['name']}' saved.")


@router.get("/complaints/{complaint_id}", response_class=HTMLResponse)
def complaint_page(request: Request, store: StoreDep, complaint_id: int):
    """One complaint: its customer, what happened, its clocks at the data's end, moving it on."""
    user = page_user(request, store)
    page = lists.complaint_list(store, user, [{"field": "complaint_id", "op": "eq", "value": complaint_id}], limit=1)
    if not page["items"]:
        service.get_complaint(store, complaint_id)  # not found, in its words
    return render(request, "complaints/complaint.html", user, active=NAV.label, c=page["items"][0],
                  as_of=page["as_of"], back_to=f"/complaints/{complaint_id}")
