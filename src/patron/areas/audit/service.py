"""Reading the audit trail (written by every change and every read of personal data,
:func:`patron.service.audit.record`): filtered, paged, and exported as CSV."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from patron.errors import InvalidInput
from patron.service import audit
from patron.service.exports import csv_chunks
from patron.service.permissions import User
from patron.store import Store

#: The actions an admin can pick in the page's filter, with what they mean; ``family.`` matches all of a family.
ACTION_CHOICES = {
    "party.read": "customer 360 opened",
    "customers.export": "customer list exported",
    "segment.export": "segment exported",
    "privacy.": "privacy requests",
    "sign_in": "signed in",
    "sign_in.failed": "failed sign-in",
    "sign_in.refused": "sign-in refused (too many failures)",
    "user.": "user changes",
    "token.": "API token changes",
    "import.": "imports",
    "run.": "analysis runs",
    "audit.export": "audit log exported",
}


def _day(value: str | dt.date | None, name: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
    except ValueError:
        raise InvalidInput(f"'{name}' must be a date as YYYY-MM-DD, not '{value}'.") from None


def _filters(entity, entity_id, username, action, since, until) -> dict:
    """The filters as :func:`patron.service.audit.search` takes them; ``until`` is a day, included."""
    end = _day(until, "until")
    return {"entity": entity or None, "entity_id": entity_id, "username": (username or "").strip().lower() or None,
            "action": action or None, "since": _day(since, "since"),
            "until": end + dt.timedelta(days=1) if end else None}


def audit_log(store: Store, user: User | None, *, limit: int = 100, offset: int = 0, entity: str | None = None,
              entity_id: int | None = None, username: str | None = None, action: str | None = None,
              since: str | dt.date | None = None, until: str | dt.date | None = None,
              with_total: bool = False):
    """The matching entries, newest first, with their detail as a dict; ``user`` None is the local operator.

    With ``with_total``, ``(total, entries)``. ``since`` and ``until`` are days (YYYY-MM-DD), both included.
    """
    if user is not None:
        user.require("audit.read")
    total, rows = audit.search(store, limit=limit, offset=offset,
                               **_filters(entity, entity_id, username, action, since, until))
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    return (total, rows) if with_total else rows


def export_csv(store: Store, user: User | None, *, batch: int = 5000, **filters) -> Iterator[str]:
    """The matching entries as CSV, newest first; the export is itself recorded, with its row count."""
    if user is not None:
        user.require("audit.read")
    chosen = _filters(filters.get("entity"), filters.get("entity_id"), filters.get("username"),
                      filters.get("action"), filters.get("since"), filters.get("until"))

    def batches():
        offset = 0
        while True:
            rows = audit.search(store, limit=batch, offset=offset, **chosen)[1]
            yield rows
            if len(rows) < batch:
                return
            offset += batch

    detail = {k: v for k, v in filters.items() if v not in (None, "")}
    return csv_chunks(audit.ENTRY_FIELDS, audit.counted(store, user, "audit.export", batches(), detail=detail))
