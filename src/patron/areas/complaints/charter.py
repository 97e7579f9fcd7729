"""The customer charter's promises on complaints: how fast each is answered and resolved, and how one moves on.

Seed 001 asks for customer charters and service standards that can be
measured; a complaint handled within them (and well) can turn a customer
into an advocate. These are the defaults; a firm's own standards replace
them by passing another :class:`Charter` to the desk's queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

#: Hours to the first response and to resolution, by severity.
DEFAULT_SERVICE_LEVELS: dict[str, tuple[float, float]] = {
    "critical": (4, 24),
    "high": (24, 72),
    "medium": (48, 168),
    "low": (72, 336),
}
#: Allowed status changes: open -> in progress -> resolved -> closed, and reopening.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress", "resolved"),
    "in_progress": ("resolved", "open"),
    "resolved": ("closed", "open"),
    "closed": ("open",),
}


@dataclass(frozen=True)
class Charter:
    """Service levels per severity: ``{severity: (hours to respond, hours to resolve)}``."""

    service_levels: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_SERVICE_LEVELS))


DEFAULT_CHARTER = Charter()


@dataclass(frozen=True)
class Clause:
    """A published promise with a measurable target: ``kept(complaint)`` is True, False, or None when the
    clause does not apply (e.g. no satisfaction recorded); the charter is kept when the share of complaints
    that kept it reaches ``target_share``."""

    code: str
    promise: str
    target_share: float
    kept: Callable[[dict], bool | None]


def _answered(c: dict) -> bool | None:
    state = c["first_response"]["state"]
    return None if state in ("on track", "warning") else state == "met"


def _resolved(c: dict) -> bool | None:
    state = c["resolution"]["state"]
    return None if state in ("on track", "warning") else state == "met"


def _satisfied(c: dict) -> bool | None:
    return None if c.get("satisfaction_after") is None else c["satisfaction_after"] >= 4


#: The default charter: three promises, each judged on the complaints it applies to (a clock still running
#: within its target is not yet judged).
DEFAULT_CLAUSES: tuple[Clause, ...] = (
    Clause("answer", "We answer every complaint within its service level's first-response time.", 0.95, _answered),
    Clause("resolve", "We resolve every complaint within its service level's resolution time.", 0.90, _resolved),
    Clause("satisfy", "Four in five customers rate our handling 4 or 5 out of 5 once resolved.", 0.80, _satisfied),
)
