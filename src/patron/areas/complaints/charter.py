"""The customer charter's promises on complaints: how fast each is answered and resolved, and how one moves on.

Seed 001 asks for customer charters and service standards that can be
measured; a complaint handled within them (and well) can turn a customer
into an advocate. These are the defaults; a firm's own standards replace
them by passing another :class:`Charter` to the desk's queue.
"""

from __future__ import annotations

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
