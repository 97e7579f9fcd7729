"""Keeping the store's logs no longer than they are needed: the audit log for ``PATRON_AUDIT_DAYS`` and the
sign-in attempts for as long as the throttle looks back.

``patron serve`` (any app the web service makes) runs :class:`Retention`: a thread that trims both at start and
every hour, on its own cursor (docs/security.md).
"""

from __future__ import annotations

from patron.areas.users.signin import SignInRules, trim_attempts
from patron.service import audit
from patron.service.periodic import Periodic
from patron.store import Store

#: Seconds between two trims.
INTERVAL_S = 3600.0
DEFAULT_RULES = SignInRules()


def trim_logs(store: Store, audit_days: int, rules: SignInRules = DEFAULT_RULES) -> dict[str, int]:
    """Trim the audit log to ``audit_days`` (0: keep it all) and the sign-in attempts; how many rows each lost.
    A read-only store is left as it is."""
    if store.read_only:
        return {}
    return {"audit_log": audit.trim(store, audit_days), "sign_in_attempts": trim_attempts(store, rules)}


class Retention(Periodic):
    """The thread that calls :func:`trim_logs` at start and every ``interval_s`` seconds until stopped."""

    name = "patron-retention"

    def __init__(self, store: Store, audit_days: int, rules: SignInRules = DEFAULT_RULES,
                 interval_s: float = INTERVAL_S) -> None:
        super().__init__(store, interval_s)
        self.audit_days, self.rules = audit_days, rules

    def work(self, cursor: Store) -> dict[str, int]:
        return trim_logs(cursor, self.audit_days, self.rules)

    @property
    def trimmed(self) -> dict[str, int]:
        return self.last_result or {}
