"""A background thread that does one piece of work now and then every ``interval_s`` seconds, on its own cursor,
until stopped: the trigger scheduler and the log retention of ``patron serve`` are two of these.

A failure is kept in ``last_error`` (and cleared by the next success) so one bad moment never stops the loop.
:meth:`nudge` starts the next round at once (the read audit's buffer, when it is full).
"""

from __future__ import annotations

import threading
from typing import Any

from patron.store import Store


class Periodic:
    """Subclasses say what one round does in :meth:`work`; its result is kept in ``last_result``."""

    name = "patron-periodic"

    def __init__(self, store: Store, interval_s: float) -> None:
        self.store, self.interval_s = store, interval_s
        self.stopping = threading.Event()
        self._nudged = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self.last_error: str | None = None
        self.last_result: Any = None

    def work(self, cursor: Store) -> Any:
        raise NotImplementedError

    def start(self):
        self.thread.start()
        return self

    def nudge(self) -> None:
        """Do the next round now rather than at the end of the interval."""
        self._nudged.set()

    def stop(self) -> None:
        self.stopping.set()
        self._nudged.set()
        self.thread.join(timeout=30)

    def _loop(self) -> None:
        cursor = self.store.cursor()
        try:
            while not self.stopping.is_set():
                try:
                    self.last_result = self.work(cursor)
                    self.last_error = None
                except Exception as exc:  # noqa: BLE001 - a bad moment must not stop the loop
                    self.last_error = str(exc)
                self._nudged.wait(self.interval_s)
                self._nudged.clear()
        finally:
            cursor.close()
