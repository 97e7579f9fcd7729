"""Writing contacts as they happen: interactions, complaints and their progress, feedback.

Records entered in patron itself have source ``patron`` and their own id as
external id. Every write checks the user's role and is audited in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.errors import InvalidInput, NotFound, PermissionDenied
from patron.service.audit import record
from patron.service.users import User
from patron.store import Store
from patron.store.vocabulary import (
    COMPLAINT_SEVERITIES, DEPARTMENTS, FEEDBACK_INSTRUMENTS, INTERACTION_CHANNELS, INTERACTION_DIRECTIONS,
    INTERACTION_PHASES,
)

SOURCE = "patron"
COMPLAINT_FIELDS = ("complaint_id", "party_id", "opened_at", "first_response_at", "resolved_at", "channel", "category",
                    "cause", "severity", "status", "description", "resolution", "satisfaction_after")
#: Allowed complaint status changes: open -> in progress -> resolved -> closed (and reopening).
TRANSITIONS = {
    "open": ("in_progress", "resolved"),
    "in_progress": ("resolved", "open"),
    "resolved": ("closed", "open"),
    "closed": ("open",),
}


def _require_writer(user: User) -> None:
    if not user.can_write:
        raise PermissionDenied(f"The {user.role} role can read but not change customer records.")


def _require_party(store: Store, party_id: int) -> None:
    if not store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [party_id]):
        raise NotFound(f"There is no party {party_id}.")


def _choice(name: str, value: str | None, allowed: tuple[str, ...], required: bool = False) -> str | None:
    if value is None:
        if required:
            raise InvalidInput(f"{name} is required: one of {', '.join(allowed)}.")
        return None
    if value not in allowed:
        raise InvalidInput(f"{name} '{value}' is not one of: {', '.join(allowed)}.")
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def log_interaction(store: Store, user: User, party_id: int, *, channel: str, direction: str | None = None,
                    department: str | None = None, phase: str | None = None, subject: str | None = None,
                    outcome: str | None = None, notes: str | None = None, duration_s: float | None = None,
                    occurred_at: dt.datetime | None = None) -> dict[str, Any]:
    """Record a direct contact with a party; the staff member is the user."""
    _require_writer(user)
    _choice("channel", channel, INTERACTION_CHANNELS, required=True)
    _choice("direction", direction, INTERACTION_DIRECTIONS)
    _choice("department", department, DEPARTMENTS)
    _choice("phase", phase, INTERACTION_PHASES)
    with store.transaction():
        _require_party(store, party_id)
        interaction_id = store.next_id("interactions", "interaction_id")
        at = occurred_at or _now()
        store.raw.execute(
            "INSERT INTO interactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [interaction_id, SOURCE, str(interaction_id), party_id, at, channel, direction, department, phase,
             user.username, subject, outcome, duration_s, notes],
        )
        record(store, user, "interaction.create", "interaction", interaction_id,
               {"party_id": party_id, "channel": channel})
    return {"interaction_id": interaction_id, "party_id": party_id, "occurred_at": at, "channel": channel,
            "direction": direction, "department": department, "phase": phase, "staff": user.username,
            "subject": subject, "outcome": outcome, "notes": notes, "duration_s": duration_s}


def open_complaint(store: Store, user: User, party_id: int, *, category: str, description: str,
                   severity: str = "medium", channel: str | None = None, cause: str | None = None) -> dict[str, Any]:
    _require_writer(user)
    _choice("severity", severity, COMPLAINT_SEVERITIES, required=True)
    if not category.strip() or not description.strip():
        raise InvalidInput("A complaint needs a category and a description.")
    with store.transaction():
        _require_party(store, party_id)
        complaint_id = store.next_id("complaints", "complaint_id")
        store.raw.execute(
            "INSERT INTO complaints VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?, 'open', ?, NULL, NULL, NULL)",
            [complaint_id, SOURCE, str(complaint_id), party_id, _now(), channel, category, cause, severity,
             description],
        )
        record(store, user, "complaint.open", "complaint", complaint_id, {"party_id": party_id,
                                                                         "severity": severity})
    return get_complaint(store, complaint_id)


def get_complaint(store: Store, complaint_id: int) -> dict[str, Any]:
    cur = store.raw.execute(f"SELECT {', '.join(COMPLAINT_FIELDS)} FROM complaints WHERE complaint_id = ?",
                            [complaint_id])
    rows = cur.fetchall()
    if not rows:
        raise NotFound(f"There is no complaint {complaint_id}.")
    return dict(zip([d[0] for d in cur.description], rows[0]))


def change_complaint_status(store: Store, user: User, complaint_id: int, status: str, *,
                            resolution: str | None = None, satisfaction_after: float | None = None) -> dict[str, Any]:
    """Move a complaint on (open → in progress → resolved → closed), stamping the times."""
    _require_writer(user)
    with store.transaction():
        current = get_complaint(store, complaint_id)["status"]
        if status not in TRANSITIONS.get(current, ()):
            raise InvalidInput(f"A complaint that is {current.replace('_', ' ')} cannot become "
                              f"{status.replace('_', ' ')}; it can become: "
                              f"{', '.join(s.replace('_', ' ') for s in TRANSITIONS[current])}.")
        if status == "resolved" and not (resolution or "").strip():
            raise InvalidInput("Say how the complaint was resolved (resolution).")
        if satisfaction_after is not None and not 1 <= satisfaction_after <= 5:
            raise InvalidInput("Satisfaction after resolution is a score from 1 to 5.")
        now = _now()
        store.raw.execute(
            "UPDATE complaints SET status = ?, "
            "first_response_at = coalesce(first_response_at, CASE WHEN ? <> 'open' THEN CAST(? AS TIMESTAMP) END), "
            "resolved_at = CASE WHEN ? IN ('resolved', 'closed') THEN coalesce(resolved_at, CAST(? AS TIMESTAMP)) END, "
            "resolution = coalesce(?, resolution), satisfaction_after = coalesce(?, satisfaction_after) "
            "WHERE complaint_id = ?",
            [status, status, now, status, now, resolution, satisfaction_after, complaint_id],
        )
        record(store, user, "complaint.status", "complaint", complaint_id, {"from": current, "to": status})
    return get_complaint(store, complaint_id)


def record_feedback(store: Store, user: User, party_id: int, *, instrument: str, score: float | None = None,
                    scale_max: float | None = None, item: str | None = None, text: str | None = None) -> dict:
    _require_writer(user)
    _choice("instrument", instrument, FEEDBACK_INSTRUMENTS, required=True)
    if instrument == "nps" and (score is None or not 0 <= score <= 10):
        raise InvalidInput("An NPS answer is a score from 0 to 10.")
    if score is not None and scale_max is not None and score > scale_max:
        raise InvalidInput("The score is above the scale maximum.")
    with store.transaction():
        _require_party(store, party_id)
        feedback_id = store.next_id("feedback", "feedback_id")
        at = _now()
        store.raw.execute(
            "INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, item, score, "
            "scale_max, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [feedback_id, SOURCE, str(feedback_id), party_id, at, instrument, item, score, scale_max, text],
        )
        record(store, user, "feedback.create", "feedback", feedback_id, {"party_id": party_id,
                                                                        "instrument": instrument})
    return {"feedback_id": feedback_id, "party_id": party_id, "occurred_at": at, "instrument": instrument,
            "item": item, "score": score, "scale_max": scale_max, "text": text}
