"""``/customers``: finding customers (search), the customer list with its filters, saved views and bulk actions,
and the customer 360."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.parties import lists, service
from patron.errors import InvalidInput
from patron.service.consent import ConsentRule
from patron.service.exports import attachment
from patron.store.vocabulary import CONSENT_CHANNELS, LADDER_STATES, TRIAGE_GROUPS
from patron.web import listpage
from patron.web.auth import check_csrf, page_user
from patron.web.listpage import Input, ListPage
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(20, "Customers", "/customers", section="Customers")

#: The customer list: its filter form (input, field, operator, how it shows) and its routes (the page itself is
#: :func:`customer_search`'s, which also finds customers by name, number, email or phone).
LIST = ListPage(
    area="customers", path="/customers", template="parties/customers.html", active=NAV.label,
    filename="customers.csv", read=lists.customer_list,
    export=lambda store, user, filters, _sort, params: lists.export_contacts(
        store, user, filters, consent=ConsentRule(params.get("channel") or "email")),
    inputs=(Input("rung", "rung", "eq", label="Rung", choices=LADDER_STATES),
            Input("triage", "triage", "eq", label="Triage", choices=TRIAGE_GROUPS),
            Input("segment", "segment", "eq", label="RFM segment", size=12),
            Input("owner", "owner", "eq", label="Owner"), Input("country", "country", "eq", label="Country", size=8),
            Input("clv_min", "clv", "gte", label="CLV from", kind="decimal", size=6),
            Input("clv_max", "clv", "lte", label="to", kind="decimal", size=6),
            Input("p_alive_min", "p_alive", "gte", label="P(active) from", kind="decimal", size=4, id="f-pa-min"),
            Input("p_alive_max", "p_alive", "lte", label="to", kind="decimal", size=4, id="f-pa-max"),
            Input("active_from", "last_activity", "gte", label="Active since", kind="date", id="f-from"),
            Input("active_to", "last_activity", "lte", label="until", kind="date", id="f-to"),
            Input("consent", "consent", "granted", label="Consent for", choices=CONSENT_CHANNELS, blank="-")))


@router.get("/customers", response_class=HTMLResponse)
def customer_search(request: Request, store: StoreDep, q: str | None = None):
    """Finding customers (``q``), or else the customer list with its filters, saved views and bulk actions."""
    user = page_user(request, store)
    if q:
        total, items = service.search_parties(store, user, q[:200], limit=50)
        return render(request, "parties/customers.html", user, active=NAV.label, q=q, total=total, items=items,
                      searching=True)
    return LIST.render(request, store, user, q=None, searching=False)


listpage.add_routes(router, LIST, page=False)


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
