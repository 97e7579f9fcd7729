"""The customer charter's promises on complaints: how fast each is answered and resolved, and how one moves on.

Seed 001 asks for customer charters and service standards that can be
measured; a complaint handled within them (and well) can turn a customer
into an advocate. The clauses are judged on the clocks of the store's service
levels (:mod:`patron.areas.complaints.sla`: business hours, the firm's calendar);
a firm's own clauses replace :data:`DEFAULT_CLAUSES` in the charter report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: Allowed status changes: open -> in progress -> resolved -> closed, and reopening.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "resolved"),
    "in_progress": ("resolved", "open"),
    "resolved": ("closed", "open"),
    "closed": ("open",),
}


@dataclass(frozen=True)
class Clause:
    """A published promise with a measurable target: ``kept(complaint)`` is True, False, or None when the
    clause does not apply (e.g. no satisfaction recorded); the charter is kept when the share of complaints
    that kept it reaches ``target_share``."""

    code: str
    promise: str
    target_share: float
    kept: Callable[[dict], bool | None]
    #: The same judgement in SQL on the kept clocks' states (``st``, ranks in SLA_STATES:
    #: :func:`patron.areas.complaints.stored_clocks.states_sql`) and the complaint (``c``): (judged, kept).
    #: A clause without it is judged on every complaint's clocks in Python.
    sql: tuple[str, str] | None = None


def _answered(c: dict) -> bool | None:
    state = c["first_response"]["state"]
    return None if state in ("on track", "warning") else state == "met"


def _resolved(c: dict) -> bool | None:
    state = c["resolution"]["state"]
    return None if state in ("on track", "warning") else state == "met"


def _replied(c: dict) -> bool | None:
    """Every message the customer sent after an answer of ours was answered within the next-response time
    (None while no such message was answered late and one is still within its time, or there is none)."""
    n = c.get("next_responses") or {"count": 0, "breached": 0}
    if n["breached"]:
        return False
    if not n["count"] or c["next_response"]["state"] in ("on track", "warning"):
        return None
    return True


def _satisfied(c: dict) -> bool | None:
    return None if c.get("satisfaction_after") is None else c["satisfaction_after"] >= 4


#: The default charter: four promises, each judged on the complaints it applies to (a clock still running
#: within its target is not yet judged).
DEFAULT_CLAUSES: tuple[Clause, ...] = (
    Clause("answer", "We answer every complaint within its service level's first-response time.", 0.95, _answered,
           ("st.first_response IN (0, 3)", "st.first_response = 0")),
    Clause("reply", "We answer each further message from the customer within the next-response time.", 0.90,
           _replied, ("st.next_response IN (0, 3)", "st.next_response = 0")),
    Clause("resolve", "We resolve every complaint within its service level's resolution time.", 0.90, _resolved,
           ("st.resolution IN (0, 3)", "st.resolution = 0")),
    Clause("satisfy", "Four in five customers rate our handling 4 or 5 out of 5 once resolved.", 0.80, _satisfied,
           ("c.satisfaction_after IS NOT NULL", "c.satisfaction_after >= 4")),
)
