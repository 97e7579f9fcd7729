"""Saved views: a list's filters and sort kept under a name, for its owner or shared with everyone.

The filters are :mod:`patron.service.listing`'s (``docs/list-views.md``), stored as JSON text in
``saved_views.filters``: ``{"filters": [{"field", "op", "value"}, ...], "sort": "-clv"}``. They are checked
when saved, so a saved view always opens; a playbook reads the same JSON as its audience (:func:`view_filters`).
"""

from __future__ import annotations

import json

from patron.areas.complaints import lists as complaint_lists
from patron.areas.interactions import lists as interaction_lists
from patron.areas.parties import lists
from patron.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from patron.service import listing
from patron.service.audit import record
from patron.service.entered import now
from patron.service.permissions import User
from patron.store import Store

#: The lists a view can be saved for, and their fields.
AREAS = {"customers": (lists.FIELDS, lists.DEFAULT_SORT),
         "complaints": (complaint_lists.FIELDS, complaint_lists.DEFAULT_SORT),
         "interactions": (interaction_lists.FIELDS, interaction_lists.DEFAULT_SORT)}
COLUMNS = ("view_id", "name", "area", "filters", "owner", "shared", "created_at", "updated_at")


def _area(area: str):
    if area not in AREAS:
        raise InvalidInput(f"Views are saved for {', '.join(AREAS)}, not '{area}'.")
    return AREAS[area]


def _name(name: str | None) -> str:
    text = (name or "").strip()
    if not text or len(text) > 120:
        raise InvalidInput("A view needs a name of 1 to 120 characters.")
    return text


def _definition(area: str, filters, sort: str | None) -> str:
    fields, default = _area(area)
    conditions = listing.parse_filters(filters, fields)
    order = listing.parse_sort(sort, fields, default)
    return json.dumps({"filters": [c.as_dict() for c in conditions], "sort": str(order)})


def _public(row: dict) -> dict:
    spec = json.loads(row["filters"])
    return {**row, "filters": spec["filters"], "sort": spec.get("sort"), "shared": bool(row["shared"])}


def list_views(store: Store, user: User, area: str = "customers") -> list[dict]:
    """The views ``user`` may open for ``area``: their own and the shared ones, by name."""
    user.require("customers.read")
    _area(area)
    rows = store.records(f"SELECT {', '.join(COLUMNS)} FROM saved_views WHERE area = ? AND (owner = ? OR shared) "
                         "ORDER BY lower(name), view_id", [area, user.username])
    return [_public(r) for r in rows]


def get_view(store: Store, user: User | None, view_id: int) -> dict:
    """One view; a personal view of another user is not found (``user`` ``None``: the system, e.g. a playbook)."""
    rows = store.records(f"SELECT {', '.join(COLUMNS)} FROM saved_views WHERE view_id = ?", [view_id])
    if not rows or (user is not None and not rows[0]["shared"] and rows[0]["owner"] != user.username
                    and user.role != "admin"):
        raise NotFound(f"There is no saved view {view_id}.")
    return _public(rows[0])


def view_filters(store: Store, view_id: int) -> tuple[list[dict], str]:
    """A view's filters and sort, for a playbook's audience: ``lists.customer_list(store, user, filters)``."""
    view = get_view(store, None, view_id)
    return view["filters"], view["sort"]


def _mine(store: Store, user: User, view_id: int) -> dict:
    view = get_view(store, user, view_id)
    if view["owner"] != user.username and user.role != "admin":
        raise PermissionDenied(f"The view '{view['name']}' is {view['owner']}'s: only they (or an admin) change it.")
    return view


def _unique(store: Store, user: User, area: str, name: str, view_id: int | None = None) -> None:
    if store.scalar("SELECT count(*) FROM saved_views WHERE area = ? AND owner = ? AND lower(name) = lower(?) "
                    "AND view_id <> ?", [area, user.username, name, view_id or -1]):
        raise Conflict(f"You already have a view called '{name}'.")


def save_view(store: Store, user: User, name: str, filters=None, *, sort: str | None = None,
              area: str = "customers", shared: bool = False) -> dict:
    """Keep a list's filters under a name. Sharing a view with everyone needs a role that changes records."""
    user.require("customers.read")
    if shared:
        user.require("customers.write")
    name, definition = _name(name), _definition(area, filters, sort)
    with store.transaction():
        _unique(store, user, area, name)
        view_id = store.next_id("saved_views", "view_id")
        store.raw.execute("INSERT INTO saved_views (view_id, name, area, filters, owner, shared, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", [view_id, name, area, definition, user.username,
                                                           bool(shared), now()])
        record(store, user, "view.create", "saved_view", view_id, {"name": name, "shared": bool(shared)})
    return get_view(store, user, view_id)


def update_view(store: Store, user: User, view_id: int, *, name: str | None = None, filters=None,
                sort: str | None = None, shared: bool | None = None) -> dict:
    """Rename a view, replace its filters or sort, share or unshare it (its owner, or an admin)."""
    view = _mine(store, user, view_id)
    if shared:
        user.require("customers.write")
    new_name = _name(name) if name is not None else view["name"]
    definition = _definition(view["area"], view["filters"] if filters is None else filters,
                             sort if sort is not None else view["sort"])
    with store.transaction():
        _unique(store, user, view["area"], new_name, view_id)
        store.raw.execute("UPDATE saved_views SET name = ?, filters = ?, shared = ?, updated_at = ? "
                          "WHERE view_id = ?", [new_name, definition, view["shared"] if shared is None else shared,
                                                now(), view_id])
        record(store, user, "view.update", "saved_view", view_id, {"name": new_name})
    return get_view(store, user, view_id)


def delete_view(store: Store, user: User, view_id: int) -> None:
    view = _mine(store, user, view_id)
    with store.transaction():
        store.raw.execute("DELETE FROM saved_views WHERE view_id = ?", [view_id])
        record(store, user, "view.delete", "saved_view", view_id, {"name": view["name"]})
