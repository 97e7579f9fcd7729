"""``/customers``: finding customers (search), the customer list with its filters, saved views and bulk actions,
and the customer 360."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.parties import lists, service
from patron.areas.views import service as views
from patron.errors import InvalidInput
from patron.service.consent import ConsentRule
from patron.service.exports import attachment
from patron.store.vocabulary import CONSENT_CHANNELS, LADDER_STATES, TRIAGE_GROUPS
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(20, "Customers", "/customers", section="Customers")

#: The list form's inputs: (name, field, operator).
FORM_FILTERS = (("rung", "rung", "eq"), ("triage", "triage", "eq"), ("segment", "segment", "eq"),
                ("owner", "owner", "eq"), ("country", "country", "eq"), ("clv_min", "clv", "gte"),
                ("clv_max", "clv", "lte"), ("p_alive_min", "p_alive", "gte"), ("p_alive_max", "p_alive", "lte"),
                ("active_from", "last_activity", "gte"), ("active_to", "last_activity", "lte"),
                ("consent", "consent", "granted"))


def form_filters(params) -> list[dict]:
    """The list form's query parameters as filters (``docs/list-views.md``); ``filters`` (JSON) comes first."""
    found = json.loads(params["filters"]) if params.get("filters") else []
    for name, field, op in FORM_FILTERS:
        value = (params.get(name) or "").strip()
        if value:
            found.append({"field": field, "op": op, "value": value})
    return found


def _form_values(filters: list[dict]) -> dict:
    """Back from filters to the form's inputs (a saved view opened fills the form)."""
    values = {}
    for name, field, op in FORM_FILTERS:
        for f in filters:
            if f["field"] == field and f["op"] == op and not isinstance(f.get("value"), list):
                v = f["value"]
                values[name] = f"{v:g}" if isinstance(v, float) else str(v)[:10] if field == "last_activity" else v
    return values


@router.get("/customers", response_class=HTMLResponse)
def customer_search(request: Request, store: StoreDep, q: str | None = None):
    user = page_user(request, store)
    params = request.query_params
    saved = views.list_views(store, user)
    if q:
        total, items = service.search_parties(store, user, q[:200], limit=50)
        return render(request, "parties/customers.html", user, active=NAV.label, q=q, total=total, items=items,
                      searching=True, views=saved, values={}, choices=_choices())
    view = views.get_view(store, user, int(params["view"])) if params.get("view", "").isdigit() else None
    filters = view["filters"] if view else form_filters(params)
    sort = params.get("sort") or (view["sort"] if view else None)
    page = lists.customer_list(store, user, filters, sort=sort, cursor=params.get("cursor") or None, limit=50)
    here = {"filters": json.dumps(page["filters"]), "sort": page["sort"]}
    return render(request, "parties/customers.html", user, active=NAV.label, q=None, searching=False, page=page,
                  total=page["total"], items=page["items"], views=saved, view=view, values=_form_values(filters),
                  filters_json=here["filters"], choices=_choices(), sort=page["sort"],
                  next_url=f"/customers?{urlencode({**here, 'cursor': page['next_cursor']})}"
                  if page["next_cursor"] else None,
                  export_url=f"/customers/export?{urlencode({'filters': here['filters']})}",
                  sort_url=lambda field: "/customers?" + urlencode(
                      {"filters": here["filters"], "sort": field if page["sort"] != field else "-" + field}))


def _choices() -> dict:
    return {"rung": LADDER_STATES, "triage": TRIAGE_GROUPS, "consent": CONSENT_CHANNELS}


def _selection(filters: str, scope: str, party_ids: list[int]) -> dict:
    if scope == "selected":
        if not party_ids:
            raise InvalidInput("Tick at least one customer, or apply the action to every customer of the list.")
        return {"party_ids": party_ids}
    return {"filters": filters or None}


@router.post("/customers/bulk")
def bulk_action(request: Request, store: StoreDep, action: Annotated[str, Form()],
                csrf: Annotated[str, Form()] = "", filters: Annotated[str, Form(max_length=20_000)] = "",
                scope: Annotated[str, Form()] = "selected", party_id: Annotated[list[int] | None, Form()] = None,
                owner: Annotated[str, Form(max_length=200)] = "", title: Annotated[str, Form(max_length=300)] = "",
                due: Annotated[str, Form(max_length=20)] = "", channel: Annotated[str, Form()] = "email",
                list_name: Annotated[str, Form(max_length=200)] = ""):
    """Assign an owner, add a task each, add to a named list, or export the contact list, for the ticked customers
    or the whole list."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    chosen = _selection(filters, scope, party_id or [])
    url = f"/customers?{urlencode({'filters': filters})}"
    if action == "owner":
        done = lists.assign_owner(store, user, owner or None, **chosen)
        return back(url, request, f"Owner {owner or 'cleared'} for {done['changed']:,} of {done['selected']:,} "
                                  "customers.")
    if action == "task":
        from patron.areas.tasks.service import add_tasks
        from patron.service.inputs import parse_date

        made = add_tasks(store, user, title, owner=owner or None, due_at=parse_date(due, "the due date") if due else None,
                         **chosen)
        return back(url, request, f"{made['created']:,} tasks added for {made['owner']}.")
    if action == "list":
        from patron.areas.campaigns.offers import add_to_list

        ids = lists.selected_parties(store, chosen.get("filters"), chosen.get("party_ids"))
        if not ids:
            raise InvalidInput("No customer is on this list view: nobody to add.")
        added = add_to_list(store, user, list_name, ids)
        return back(url, request, f"{added:,} of {len(ids):,} customers added to the list '{list_name.strip()}' "
                                  "(the others were on it already).")
    if action == "export":
        chunks = lists.export_contacts(store, user, chosen.get("filters"), party_ids=chosen.get("party_ids"),
                                       consent=ConsentRule(channel))
        return StreamingResponse(chunks, media_type="text/csv",
                                 headers={"Content-Disposition": attachment("customers.csv")})
    raise InvalidInput(f"Unknown action '{action}': owner, task, list or export.")


@router.get("/customers/export")
def export_list(request: Request, store: StoreDep, filters: str = "", channel: str = "email"):
    user = page_user(request, store)
    chunks = lists.export_contacts(store, user, filters or None, consent=ConsentRule(channel))
    return StreamingResponse(chunks, media_type="text/csv", headers={"Content-Disposition": attachment("customers.csv")})


@router.post("/customers/views")
def save_view(request: Request, store: StoreDep, name: Annotated[str, Form(max_length=120)],
              csrf: Annotated[str, Form()] = "", filters: Annotated[str, Form(max_length=20_000)] = "",
              sort: Annotated[str, Form(max_length=40)] = "", shared: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    view = views.save_view(store, user, name, filters or None, sort=sort or None, shared=bool(shared))
    return back(f"/customers?view={view['view_id']}", request, f"View '{view['name']}' saved.")


@router.post("/customers/views/{view_id}")
def change_view(request: Request, store: StoreDep, view_id: int, csrf: Annotated[str, Form()] = "",
                name: Annotated[str, Form(max_length=120)] = "", delete: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    if delete:
        views.delete_view(store, user, view_id)
        return back("/customers", request, "View deleted.")
    view = views.update_view(store, user, view_id, name=name)
    return back(f"/customers?view={view_id}", request, f"View renamed '{view['name']}'.")


@router.get("/customers/{party_id}", response_class=HTMLResponse)
def customer_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    view = service.party_360(store, user, party_id)
    from patron.areas.campaigns.offers import lists_of_party, vouchers_of_party
    from patron.areas.tasks.service import list_tasks

    params = request.query_params
    kinds, channel = params.get("type") or "", params.get("channel") or ""
    since, until = params.get("from") or "", params.get("to") or ""
    timeline = service.filter_timeline(view["timeline"], type=kinds or None, channel=channel or None,
                                       since=since or None, until=until or None)
    from patron.areas.accounts.service import ego_network

    return render(request, "parties/customer.html", user, active=NAV.label, view=view, timeline=timeline,
                  ego=ego_network(store, user, party_id),
                  tasks=list_tasks(store, user, party_id=party_id), vouchers=vouchers_of_party(store, party_id),
                  lists=lists_of_party(store, party_id), timeline_filter={"type": kinds, "channel": channel, "since": since, "until": until})


@router.post("/customers/{party_id}/edit")
def edit_customer(request: Request, store: StoreDep, party_id: int, csrf: Annotated[str, Form()] = "",
                  owner: Annotated[str | None, Form(max_length=200)] = None,
                  email: Annotated[str | None, Form(max_length=300)] = None,
                  phone: Annotated[str | None, Form(max_length=60)] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    changes = {k: v for k, v in (("owner", owner), ("email", email), ("phone", phone)) if v is not None}
    done = lists.update_party(store, user, party_id, changes, how="form")
    return back(f"/customers/{party_id}", request,
                f"Changed: {', '.join(done['changed'])}." if done["changed"] else "Nothing changed.")
