"""The audit trail: who changed, saw or took what, when and from where.

Every write through the service layer records one row inside its own
transaction. Reads of personal data (a customer 360), exports, imports,
analysis runs, sign-ins and failed sign-ins record one too, so the log
answers "who saw or took this person's data, and when" (docs/security.md).
Other paths call :func:`record` the same way: ``record(store, user,
"segment.export", "segment", 4, row_count=1200)``.

A read records with :func:`record_read`. In the web service its row waits in
a :class:`ReadLog`, which writes the waiting rows in one transaction every
second (or at once when 500 wait) and when the service stops: an INSERT
per read cost a 360 a quarter of its time and serialised reads behind the
writers (docs/security.md). A crash loses at most the last second of read
rows; reading the log (:func:`search`) writes the waiting rows first.
Without a running service (the command line) a read's row is written at once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from patron.service.periodic import Periodic
from patron.store import Store

log = logging.getLogger(__name__)

#: Columns of an entry as the log pages, the API and the CSV export give them.
ENTRY_FIELDS = ("happened_at", "user_id", "username", "action", "entity", "entity_id", "row_count", "address",
                "detail")


#: An audit row's columns and their kinds; :data:`_INSERT` writes one, :func:`_arrow` many (a bulk write: on
#: DuckDB 150 read rows took 100 ms of CPU as ``executemany``, one execution a row with the write lock held, and
#: 4.5 ms as one Arrow insert).
_COLUMNS = {"happened_at": "time", "user_id": "int", "username": "text", "action": "text", "entity": "text",
            "entity_id": "int", "detail": "text", "row_count": "int", "address": "text"}
_INSERT = f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
#: A sign-in attempt's columns, for the refused ones the read log writes.
_ATTEMPT_COLUMNS = {"attempted_at": "time", "username": "text", "address": "text", "succeeded": "bool",
                    "channel": "text"}


def _arrow(columns: dict[str, str], rows: list):
    """``rows`` (sequences in the order of ``columns``) as an Arrow table of those columns and kinds."""
    import pyarrow as pa

    kinds = {"time": pa.timestamp("us"), "int": pa.int64(), "text": pa.string(), "bool": pa.bool_()}
    return pa.table({c: pa.array([r[i] for r in rows], type=kinds[k]) for i, (c, k) in enumerate(columns.items())})


def read_log(store: Store) -> ReadLog | None:
    """The running :class:`ReadLog` of ``store``'s location in this process, if any (none on the command line)."""
    return _READ_LOGS.get(store.url.location)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _row(user: Any, action: str, entity: str | None, entity_id: int | None, detail: dict | None,
         row_count: int | None, address: str | None, username: str | None) -> list:
    """The values of :data:`_INSERT` after ``happened_at``."""
    return [getattr(user, "user_id", None), getattr(user, "username", None) or username or "system", action, entity,
            entity_id, json.dumps(detail, default=str) if detail else None, row_count,
            address if address is not None else getattr(user, "address", None)]


def entry(user: Any, action: str, entity: str | None = None, entity_id: int | None = None, detail: dict | None = None,
          *, row_count: int | None = None, address: str | None = None) -> list:
    """The values of one audit row, stamped now, for :meth:`ReadLog.add`."""
    return [_utcnow(), *_row(user, action, entity, entity_id, detail, row_count, address, None)]


def record(store: Store, user: Any, action: str, entity: str | None = None, entity_id: int | None = None,
           detail: dict | None = None, *, row_count: int | None = None, address: str | None = None,
           username: str | None = None) -> None:
    """Append one audit row.

    Call it inside the transaction of the change it records; an export (:func:`counted`) calls it once its
    last row went, as one INSERT of its own. A read of personal data (a 360) records with :func:`record_read`
    instead: in the web service its row waits in the :class:`ReadLog` and is written with the others, in one
    transaction a second that keeps the cache of answers only writes change (:meth:`Store.stable`).

    ``address`` defaults to where ``user``'s request came from (:attr:`User.address`); ``row_count`` is how
    many rows an export or read handed out. ``username`` names who acted when nobody is signed in (the
    command line's operating-system account); without either the row says ``system``.
    """
    store.raw.execute(_INSERT, [_utcnow(), *_row(user, action, entity, entity_id, detail, row_count, address,
                                                 username)])


def change_settings(store: Store, user: Any, changes: dict[str, str | None], detail: dict | None = None,
                    at: dt.datetime | None = None) -> None:
    """Keep ``changes`` (a ``settings`` name and its new text; None removes the row) in one transaction with
    their ``settings.change`` audit row. ``detail`` defaults to the name and value of a single change, else
    ``{"changes": changes}``. Nothing is written for no changes."""
    if not changes:
        return
    if detail is None:
        detail = ({"name": next(iter(changes)), "value": next(iter(changes.values()))} if len(changes) == 1
                  else {"changes": changes})
    at = at or _utcnow().replace(microsecond=0)
    who = getattr(user, "username", None) or "patron"
    with store.transaction():
        for name, value in changes.items():
            store.raw.execute("DELETE FROM settings WHERE name = ?", [name])
            if value is not None:
                store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                                  [name, value, at, who])
        record(store, user, "settings.change", "setting", None, detail)


def record_read(store: Store, user: Any, action: str, entity: str | None = None, entity_id: int | None = None,
                detail: dict | None = None, *, row_count: int | None = None) -> None:
    """One audit row for a read of personal data (a customer 360): handed to the store's running
    :class:`ReadLog`, which writes it within a second; written at once when none runs (the command line)."""
    buffer = _READ_LOGS.get(store.url.location)
    if buffer is None:
        record(store, user, action, entity, entity_id, detail, row_count=row_count)
    else:
        buffer.add(entry(user, action, entity, entity_id, detail, row_count=row_count))


#: The running read log of each store location, in this process.
_READ_LOGS: dict[str, ReadLog] = {}


class ReadLog(Periodic):
    """The read audit's buffer: a thread that writes the waiting rows every ``interval_s`` seconds, in one
    transaction, and at once when ``most`` wait; :meth:`stop` writes what is left.

    One transaction a second instead of one INSERT a read: 8 clients reading 360s took the audit INSERT a
    median 30 ms of a 143 ms 360 on the 2-core machine (DuckDB, 2,152 customers, ``benchmarks/abuse.py``).

    While the store refuses the writes (a full disk, say) the rows wait, but at most ``keep`` of them (50,000
    360 rows: 15 MB); the newest reads past that are dropped, never silently: each is counted, the first of a
    run of them logs an error, and the first write that works again adds an ``audit.read_log.dropped`` row
    with how many went (``row_count``) and when they were read (docs/security.md).
    """

    name = "patron-read-audit"

    def __init__(self, store: Store, interval_s: float = 1.0, most: int = 500, keep: int = 50_000) -> None:
        super().__init__(store, interval_s)
        self.most, self.keep = most, max(int(keep), most)
        self._rows: list[list] = []
        self._attempts: list[tuple] = []  # refused sign-ins (a flood's bulk): one write a second, not one each
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one flush at a time, so rows go in the order they were read
        #: Reads whose rows were dropped and not yet written down (``audit.read_log.dropped``), and when the
        #: first and the latest of them were read.
        self.dropped = 0
        self._dropped_between: tuple[dt.datetime, dt.datetime] | None = None

    def start(self) -> ReadLog:
        if self.store.url.location != ":memory:":  # each in-memory store is its own: no location names it
            _READ_LOGS[self.store.url.location] = self
        return super().start()

    @property
    def waiting(self) -> int:
        """How many rows wait to be written."""
        return len(self._rows)

    def add(self, row: list, attempt: tuple | None = None) -> None:
        """Buffer an audit row (the values of :data:`_INSERT`) and, for a refused sign-in, its
        ``sign_in_attempts`` row (attempted_at, username, address, succeeded, channel); past ``keep`` waiting
        rows, both are dropped and counted."""
        with self._lock:
            if len(self._rows) >= self.keep:
                self._drop([row])
            else:
                self._rows.append(row)
                if attempt is not None:
                    self._attempts.append(attempt)
            full = len(self._rows) >= self.most
        if full:
            self.nudge()

    def waiting_failures(self, column: str, value: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
        """The buffered (refused, so failed) sign-in attempts of one ``username`` or ``address`` since ``since``:
        how many and the latest, for the throttle to add to what the store holds."""
        at = 1 if column == "username" else 2
        with self._lock:
            times = [a[0] for a in self._attempts if a[at] == value and a[0] >= since]
        return len(times), max(times, default=None)

    def _drop(self, rows: list[list]) -> None:
        """Count ``rows`` as dropped (under ``_lock``); the first of a run of drops logs an error."""
        if not self.dropped:
            log.error("The store refuses the read audit's rows (%s) and %d wait, the most kept: the rows of "
                      "further reads are dropped, and counted, until a write works again.",
                      self.last_error or "no error seen yet", self.keep)
        first, latest = rows[0][0], rows[-1][0]
        if self._dropped_between is not None:
            first, latest = min(first, self._dropped_between[0]), max(latest, self._dropped_between[1])
        self.dropped += len(rows)
        self._dropped_between = (first, latest)

    def _take(self) -> tuple[list[list], int, tuple | None]:
        """The waiting rows and the dropped reads' tally, taken out to be written (under ``_lock``)."""
        rows, self._rows = self._rows, []
        tally = (self.dropped, self._dropped_between)
        self.dropped, self._dropped_between = 0, None
        return rows, *tally

    def _put_back(self, rows: list[list], dropped: int, between: tuple | None) -> None:
        """Rows and a tally that failed to be written, back before what came meanwhile (under ``_lock``); past
        ``keep`` rows, the newest are dropped."""
        self._rows[:0] = rows
        if dropped:
            if self._dropped_between is not None:
                between = (min(between[0], self._dropped_between[0]), max(between[1], self._dropped_between[1]))
            self.dropped, self._dropped_between = self.dropped + dropped, between
        if len(self._rows) > self.keep:
            self._drop(self._rows[self.keep:])
            del self._rows[self.keep:]

    def work(self, cursor: Store) -> int:
        return self.flush(cursor)

    def flush(self, cursor: Store) -> int:
        """Write the waiting rows on ``cursor`` in one transaction; how many. Rows that fail to be written
        wait for the next round (past ``keep`` of them, the newest are dropped and counted); how many were
        dropped is written, as an ``audit.read_log.dropped`` row, with the first rows that go."""
        with self._writing:
            with self._lock:
                rows, dropped, between = self._take()
                attempts = list(self._attempts)  # kept until written: the throttle counts them meanwhile
            if not rows and not dropped:
                return 0
            written = list(rows)
            if dropped:
                detail = {"reason": "the store refused the read audit's writes", "first_read_at": between[0],
                          "last_read_at": between[1], "kept_at_most": self.keep}
                written.append(entry(None, "audit.read_log.dropped", "audit_log", None, detail, row_count=dropped))
            try:
                with cursor.transaction(keeps_stable=True):
                    cursor.insert_rows("audit_log", _arrow(_COLUMNS, written))
                    if attempts:
                        cursor.insert_rows("sign_in_attempts", _arrow(_ATTEMPT_COLUMNS, attempts))
            except BaseException as exc:
                self.last_error = str(exc)
                with self._lock:
                    self._put_back(rows, dropped, between)
                raise
            with self._lock:
                del self._attempts[:len(attempts)]
            if dropped:
                log.warning("The read audit is written again; the rows of %d read(s) between %s and %s were "
                            "dropped (audit.read_log.dropped says so in the log).", dropped, *between)
            return len(rows)

    def stop(self) -> None:
        if _READ_LOGS.get(self.store.url.location) is self:
            del _READ_LOGS[self.store.url.location]
        super().stop()
        cursor = self.store.cursor()
        try:
            left = self.flush(cursor)
        except Exception:  # the store still refuses: say what is lost, and let the service stop
            log.exception("The read audit could not be written on stopping: the rows of %d read(s) are lost "
                          "(and %d dropped before).", len(self._rows), self.dropped)
            return
        finally:
            cursor.close()
        if left:
            log.info("wrote %d read audit rows on stopping", left)


def flush_reads(store: Store) -> None:
    """Write the read rows waiting in this process for ``store`` (before the log is read)."""
    buffer = _READ_LOGS.get(store.url.location)
    if buffer is not None:
        buffer.flush(store)


def trim(store: Store, days: int, now: dt.datetime | None = None) -> int:
    """Delete the entries older than ``days`` days (0 or less: keep everything); returns how many went.

    The trim is itself an entry (``audit.trim``, with the cut-off and ``row_count``), so the log says when it lost
    its oldest rows. The service trims every hour, keeping ``PATRON_AUDIT_DAYS`` (docs/security.md).
    """
    if days <= 0:
        return 0
    cutoff = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)) - dt.timedelta(days=days)
    with store.transaction(keeps_stable=True):
        deleted = store.changed("DELETE FROM audit_log WHERE happened_at < ?", [cutoff])
        if deleted:
            record(store, None, "audit.trim", "audit_log", None, {"before": cutoff.isoformat(), "days": days},
                   row_count=deleted)
    return deleted


def os_account() -> str | None:
    """The operating-system account running a command (the command line signs nobody in), if it can be told."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no entry in the password database (a bare container)
        return None


def search(store: Store, *, limit: int = 50, offset: int = 0, entity: str | None = None,
           entity_id: int | None = None, username: str | None = None, action: str | None = None,
           since: dt.datetime | None = None, until: dt.datetime | None = None) -> tuple[int, list[dict]]:
    """How many entries match, and one page of them, newest first.

    ``action`` matches a whole action (``party.read``) or, ending with a dot, a family (``user.``);
    ``until`` is exclusive.
    """
    flush_reads(store)
    where, params = [], []
    for column, value in (("entity", entity), ("entity_id", entity_id), ("username", username)):
        if value is not None and value != "":
            where.append(f"{column} = ?")
            params.append(value)
    if action:
        where.append("starts_with(action, ?)" if action.endswith(".") else "action = ?")
        params.append(action)
    if since is not None:
        where.append("happened_at >= ?")
        params.append(since)
    if until is not None:
        where.append("happened_at < ?")
        params.append(until)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = store.scalar(f"SELECT count(*) FROM audit_log {clause}", params)
    rows = store.records(f"SELECT {', '.join(ENTRY_FIELDS)} FROM audit_log {clause} "
                         f"ORDER BY happened_at DESC LIMIT {int(limit)} OFFSET {int(offset)}", params)
    return total, rows


def recent(store: Store, limit: int = 50, entity: str | None = None, entity_id: int | None = None) -> list[dict]:
    """The latest entries, newest first (optionally of one entity)."""
    return search(store, limit=limit, entity=entity, entity_id=entity_id)[1]


def counted(store: Store, user: Any, action: str, batches: Iterable[list], entity: str | None = None,
            entity_id: int | None = None, detail: dict | None = None) -> Iterator[list]:
    """``batches`` (lists of rows) passed through, then one audit row with how many rows were handed out.

    For streamed exports: the count is known only at the end. A download stopped half-way is recorded
    too, with what was sent and ``complete: false``.
    """
    rows, complete = 0, False
    try:
        for batch in batches:
            rows += len(batch)
            yield batch
        complete = True
    finally:
        record(store, user, action, entity, entity_id, {**(detail or {}), "complete": complete}, row_count=rows)
