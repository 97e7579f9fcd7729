"""The interaction list: every logged contact (calls, emails, meetings, imported or entered), filtered, sorted and
paged on the server, with its customer, as the customer list is (:mod:`patron.service.listing`)."""

from __future__ import annotations

from collections.abc import Iterator

from patron.errors import InvalidInput, NotFound
from patron.service import listing
from patron.service.audit import counted
from patron.service.exports import csv_chunks
from patron.service.listing import Field
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.store import Store
from patron.store.vocabulary import DEPARTMENTS, INTERACTION_CHANNELS, INTERACTION_DIRECTIONS, INTERACTION_PHASES

FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("interaction_id", "Interaction number", "i.interaction_id", "number"),
    Field("occurred_at", "When", "i.occurred_at", "date"),
    Field("channel", "Channel", "i.channel", "choice", INTERACTION_CHANNELS),
    Field("direction", "Direction", "i.direction", "choice", INTERACTION_DIRECTIONS),
    Field("department", "Department", "i.department", "choice", DEPARTMENTS),
    Field("phase", "Phase", "i.phase", "choice", INTERACTION_PHASES),
    Field("staff", "Staff", "i.staff", "text"),
    Field("party_id", "Customer number", "i.party_id", "number"),
    Field("customer", "Customer", "p.name", "text"),
    Field("duration_s", "Duration (seconds)", "i.duration_s", "number"),
    # The search box: any word of the subject, outcome, notes or the customer's name.
    Field("text", "Text", "coalesce(i.subject, '') || ' ' || coalesce(i.outcome, '') || ' ' || "
          "coalesce(i.notes, '') || ' ' || coalesce(p.name, '')", "text", sortable=False),
)}
DEFAULT_SORT = "-occurred_at"
_COLUMNS = ("i.interaction_id AS interaction_id, i.party_id AS party_id, p.name AS customer, p.email AS email, "
            "p.phone AS phone, i.occurred_at AS occurred_at, i.channel AS channel, i.direction AS direction, "
            "i.department AS department, i.phase AS phase, i.staff AS staff, i.subject AS subject, "
            "i.outcome AS outcome, i.duration_s AS duration_s, i.notes AS notes, i.source AS source")
_SOURCE = "interactions i JOIN parties p ON p.party_id = i.party_id"
EXPORT_COLUMNS = ("interaction_id", "occurred_at", "channel", "direction", "department", "phase", "staff",
                  "party_id", "customer", "email", "phone", "subject", "outcome", "duration_s", "notes")


def _page(store: Store, conditions, order, cursor, limit) -> dict:
    return listing.select_page(store, columns=_COLUMNS, source=_SOURCE, params=[], conditions=conditions,
                               fields=FIELDS, order=order, cursor=cursor, key="interaction_id",
                               key_sql="i.interaction_id", limit=limit)


def interaction_list(store: Store, user: User, filters=None, *, sort: str | None = None, cursor: str | None = None,
                     limit: int = 50) -> dict:
    """One page of interactions: ``{"total", "items", "next_cursor", "sort", "filters"}``."""
    user.require("customers.read")
    if not 1 <= int(limit) <= 500:
        raise InvalidInput("A page holds 1 to 500 interactions.")
    page = _page(store, listing.parse_filters(filters, FIELDS), listing.parse_sort(sort, FIELDS, DEFAULT_SORT),
                 cursor, int(limit))
    page["items"] = [visible(r, user) for r in page["items"]]
    return page


def get_interaction(store: Store, user: User, interaction_id: int) -> dict:
    """One interaction with its customer (personal data as the role sees it)."""
    user.require("customers.read")
    rows = store.records(f"SELECT {_COLUMNS} FROM {_SOURCE} WHERE i.interaction_id = ?", [interaction_id])
    if not rows:
        raise NotFound(f"There is no interaction {interaction_id}.")
    return visible(rows[0], user)


def export_interactions(store: Store, user: User, filters=None, *, sort: str | None = None,
                        batch: int = 5000) -> Iterator[str]:
    """Exactly the filtered list, in its order, as CSV (human headers; contact details masked for roles that
    may not see them; cells a spreadsheet will not run)."""
    user.require("segments.export")
    conditions = listing.parse_filters(filters, FIELDS)
    order = listing.parse_sort(sort, FIELDS, DEFAULT_SORT)

    def batches():
        for items in listing.every_page(lambda cursor: _page(store, conditions, order, cursor, batch)):
            yield [visible(r, user) for r in items]

    detail = {"filters": [c.as_dict() for c in conditions]}
    return csv_chunks(EXPORT_COLUMNS, counted(store, user, "interactions.export", batches(), detail=detail))
