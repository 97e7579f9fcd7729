"""The complaint list: every complaint, filtered, sorted and paged on the server, with its customer and age.

The desk (:mod:`patron.areas.complaints.desk`) is the service team's queue against the charter's clocks; this
list is the whole record to search and export, filtered the way the customer list is
(:mod:`patron.service.listing`, ``docs/list-views.md``). Ages run to the data's end (:func:`desk.data_end`),
never to the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator

from patron.areas.complaints.desk import clocked, data_end, service_levels
from patron.errors import InvalidInput, PatronError
from patron.service import listing
from patron.service.audit import counted
from patron.service.exports import csv_chunks
from patron.service.listing import Field
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.service.runs import current_run
from patron.store import Store
from patron.store.vocabulary import COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, INTERACTION_CHANNELS

FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("complaint_id", "Complaint number", "c.complaint_id", "number"),
    Field("opened_at", "Opened", "c.opened_at", "date"),
    Field("resolved_at", "Resolved", "c.resolved_at", "date"),
    Field("status", "Status", "c.status", "choice", COMPLAINT_STATUSES),
    Field("severity", "Severity", "c.severity", "choice", COMPLAINT_SEVERITIES),
    Field("channel", "Channel", "c.channel", "choice", INTERACTION_CHANNELS),
    Field("category", "Category", "c.category", "text"),
    Field("cause", "Cause", "c.cause", "text"),
    Field("owner", "Owner", "c.owner", "text"),
    Field("party_id", "Customer number", "c.party_id", "number"),
    Field("customer", "Customer", "p.name", "text"),
    Field("value", "Customer value (CLV)", "s.clv", "number"),
    # The search box: any word of the description, category, cause, resolution or the customer's name.
    Field("text", "Text", "coalesce(c.description, '') || ' ' || coalesce(c.category, '') || ' ' || "
          "coalesce(c.cause, '') || ' ' || coalesce(c.resolution, '') || ' ' || coalesce(p.name, '')",
          "text", sortable=False),
)}
DEFAULT_SORT = "-opened_at"
_COLUMNS = ("c.complaint_id AS complaint_id, c.party_id AS party_id, p.name AS customer, p.email AS email, "
            "p.phone AS phone, c.opened_at AS opened_at, c.first_response_at AS first_response_at, "
            "c.resolved_at AS resolved_at, c.channel AS channel, c.category AS category, c.cause AS cause, "
            "c.severity AS severity, c.status AS status, c.description AS description, c.resolution AS resolution, "
            "c.satisfaction_after AS satisfaction_after, c.owner AS owner, c.waiting_since AS waiting_since, "
            "c.paused_hours AS paused_hours, s.clv AS value, s.triage AS triage")
_SOURCE = "complaints c JOIN parties p ON p.party_id = c.party_id LEFT JOIN scores s ON s.party_id = c.party_id " \
          "AND s.run_id = ?"
EXPORT_COLUMNS = ("complaint_id", "opened_at", "resolved_at", "status", "severity", "channel", "category", "cause",
                  "owner", "age_days", "sla_state", "party_id", "customer", "email", "phone", "value", "description",
                  "resolution", "satisfaction_after")


def _run(store: Store) -> int | None:
    try:
        return current_run(store)
    except PatronError:  # no sound run yet: the list still shows, without values
        return None


def _finish(store: Store, user: User, rows: list[dict]) -> list[dict]:
    """Each row with its age and service-level state at the data's end, personal data as the role sees it."""
    at = data_end(store)
    levels = service_levels(store)  # the desk's clock: the store's calendar and policies
    out = []
    texts = [r["resolution"] for r in rows]
    for text, row in zip(texts, clocked(store, rows, levels, at), strict=True):  # clocks take their names' keys
        row["response_due"] = row.pop("first_response")["due"]
        row["resolution_due"] = row["resolution"]["due"]
        row["resolution"] = text
        row.pop("messages", None)
        out.append(visible(row, user))
    return out


def complaint_list(store: Store, user: User, filters=None, *, sort: str | None = None, cursor: str | None = None,
                   limit: int = 50) -> dict:
    """One page of complaints: ``{"total", "items", "next_cursor", "sort", "filters", "as_of"}``."""
    user.require("customers.read")
    if not 1 <= int(limit) <= 500:
        raise InvalidInput("A page holds 1 to 500 complaints.")
    page = listing.select_page(
        store, columns=_COLUMNS, source=_SOURCE, params=[_run(store)],
        conditions=listing.parse_filters(filters, FIELDS), fields=FIELDS,
        order=listing.parse_sort(sort, FIELDS, DEFAULT_SORT), cursor=cursor, key="complaint_id",
        key_sql="c.complaint_id", limit=int(limit))
    page["items"] = _finish(store, user, page["items"])
    page["as_of"] = data_end(store)
    return page


def export_complaints(store: Store, user: User, filters=None, *, sort: str | None = None,
                      batch: int = 2000) -> Iterator[str]:
    """Exactly the filtered list, in its order, as CSV (human headers; contact details masked for roles that
    may not see them; cells a spreadsheet will not run)."""
    user.require("segments.export")
    conditions = listing.parse_filters(filters, FIELDS)
    order = listing.parse_sort(sort, FIELDS, DEFAULT_SORT)

    def batches():
        def fetch(cursor):
            return listing.select_page(store, columns=_COLUMNS, source=_SOURCE, params=[_run(store)],
                                       conditions=conditions, fields=FIELDS, order=order, cursor=cursor,
                                       key="complaint_id", key_sql="c.complaint_id", limit=batch)
        for items in listing.every_page(fetch):
            yield [{**r, "age_days": round(r["age_days"], 2)} for r in _finish(store, user, items)]

    detail = {"filters": [c.as_dict() for c in conditions]}
    return csv_chunks(EXPORT_COLUMNS, counted(store, user, "complaints.export", batches(), detail=detail))
