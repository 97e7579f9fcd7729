"""Keeping the store's logs no longer than they are needed: the audit log for ``PATRON_AUDIT_DAYS`` and the
sign-in attempts for as long as the throttle looks back.

``patron serve`` (any app the web service makes) runs :class:`Retention`: a thread that trims both at start and
every hour, on its own cursor (docs/security.md).
"""

from __future__ import annotations

import threading

from patron.areas.users.signin import SignInRules, trim_attempts
from patron.service import audit
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


class Retention:
    """The thread that calls :func:`trim_logs` at start and every ``interval_s`` seconds until stopped."""

    def __init__(self, store: Store, audit_days: int, rules: SignInRules = DEFAULT_RULES,
                 interval_s: float = INTERVAL_S) -> None:
        self.store, self.audit_days, self.rules, self.interval_s = store, audit_days, rules, interval_s
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="patron-retention", daemon=True)
        self.last_error: str | None = None
        self.trimmed: dict[str, int] = {}

    def start(self) -> Retention:
        self.thread.start()
        return self

    def _loop(self) -> None:
        cursor = self.store.cursor()
        try:
            while not self.stopping.is_set():
                try:
                    self.trimmed = trim_logs(cursor, self.audit_days, self.rules)
                    self.last_error = None
                except Exception as exc:  # noqa: BLE001 - a busy moment must not stop the trimming
                    self.last_error = str(exc)
                self.stopping.wait(self.interval_s)
        finally:
            cursor.close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
