"""Complaints: opened against a party, moved on to resolution, queued at the desk against the charter.

A complaint's progress (open → in progress → resolved → closed, and
reopening) stamps its first response and resolution times; the desk's queue
puts the oldest breach of the charter's service levels first
(:mod:`patron.areas.complaints.charter`).
"""

from __future__ import annotations

from typing import Any

from patron.areas.complaints import stored_clocks
from patron.areas.complaints.charter import TRANSITIONS
from patron.areas.parties.service import require_party
from patron.errors import InvalidInput, NotFound
from patron.service.audit import record
from patron.service.entered import SOURCE, choice, now
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import COMPLAINT_SEVERITIES

COMPLAINT_FIELDS = ("complaint_id", "party_id", "opened_at", "first_response_at", "resolved_at", "channel", "category",
                    "cause", "severity", "status", "description", "resolution", "satisfaction_after")


def open_complaint(store: Store, user: User, party_id: int, *, category: str, description: str,
                   severity: str = "medium", channel: str | None = None, cause: str | None = None) -> dict[str, Any]:
    user.require("customers.write")
    choice("severity", severity, COMPLAINT_SEVERITIES, required=True)
    if not category.strip() or not description.strip():
        raise InvalidInput("A complaint needs a category and a description.")
    with store.transaction():
        require_party(store, party_id)
        complaint_id = store.next_id("complaints", "complaint_id")
        store.raw.execute(
            "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, channel, category, cause, "
            "severity, status, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
            [complaint_id, SOURCE, str(complaint_id), party_id, now(), channel, category, cause, severity,
             description],
        )
        record(store, user, "complaint.open", "complaint", complaint_id, {"party_id": party_id,
                                                                         "severity": severity})
        stored_clocks.refresh_party(store, party_id)
    return get_complaint(store, complaint_id)


def get_complaint(store: Store, complaint_id: int) -> dict[str, Any]:
    rows = store.records(f"SELECT {', '.join(COMPLAINT_FIELDS)} FROM complaints WHERE complaint_id = ?",
                         [complaint_id])
    if not rows:
        raise NotFound(f"There is no complaint {complaint_id}.")
    return rows[0]


def change_complaint_status(store: Store, user: User, complaint_id: int, status: str, *,
                            resolution: str | None = None, satisfaction_after: float | None = None) -> dict[str, Any]:
    """Move a complaint on (open → in progress → resolved → closed), stamping the times."""
    user.require("customers.write")
    with store.transaction():
        before = get_complaint(store, complaint_id)
        current = before["status"]
        if status not in TRANSITIONS.get(current, ()):
            raise InvalidInput(f"A complaint that is {current.replace('_', ' ')} cannot become "
                               f"{status.replace('_', ' ')}; it can become: "
                               f"{', '.join(s.replace('_', ' ') for s in TRANSITIONS[current])}.")
        if status == "resolved" and not (resolution or "").strip():
            raise InvalidInput("Say how the complaint was resolved (resolution).")
        if satisfaction_after is not None and not 1 <= satisfaction_after <= 5:
            raise InvalidInput("Satisfaction after resolution is a score from 1 to 5.")
        settled = status in ("resolved", "closed")
        if not settled and (resolution is not None or satisfaction_after is not None):
            raise InvalidInput("A resolution and a satisfaction after it belong to a resolved or closed complaint.")
        at = now()
        store.raw.execute(
            "UPDATE complaints SET status = ?, "
            "first_response_at = coalesce(first_response_at, CASE WHEN ? <> 'open' THEN CAST(? AS TIMESTAMP) END), "
            "resolved_at = CASE WHEN ? IN ('resolved', 'closed') THEN coalesce(resolved_at, CAST(? AS TIMESTAMP)) END, "
            # Reopened, a complaint has no resolution any more (the audit row keeps the one it had).
            "resolution = CASE WHEN ? THEN coalesce(?, resolution) END, "
            "satisfaction_after = CASE WHEN ? THEN coalesce(?, satisfaction_after) END "
            "WHERE complaint_id = ?",
            [status, status, at, status, at, settled, resolution, settled, satisfaction_after, complaint_id],
        )
        detail = {"from": current, "to": status}
        if not settled and (before["resolution"] is not None or before["satisfaction_after"] is not None):
            detail |= {"cleared_resolution": before["resolution"],
                       "cleared_satisfaction_after": before["satisfaction_after"]}
        record(store, user, "complaint.status", "complaint", complaint_id, detail)
        stored_clocks.refresh_party(store, before["party_id"])
    return get_complaint(store, complaint_id)
