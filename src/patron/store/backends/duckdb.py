"""DuckDB: the embedded store, one file and nothing to install.

DuckDB allows one writing process per file and catches no duplicate ids
(no unique indexes on the big tables, see ``tables.UNIQUE_KEYS``), so write
transactions of every cursor of a store take one in-process lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from patron.errors import PatronError, StoreInUse

#: Per database file: answers that only this process's writes can change (DuckDB lets one process at a
#: time write a file), kept until a write transaction commits here. See :meth:`Store.stable`.
_STABLE: dict[str, dict] = {}
#: Per database file: how many times its :data:`_STABLE` answers were dropped. An answer computed while a write
#: committed (or rolled back) may be the old one, or one read inside that write: it is not kept.
_GENERATION: dict[str, int] = {}
#: Per database file and name: the locks :meth:`DuckDBBackend.hold` takes (one process writes a file).
_HOLDS: dict[tuple[str, str], threading.Lock] = {}
_HOLDS_GUARD = threading.Lock()
_STABLE_MAX = 10_000


class _Threads:
    """How many threads DuckDB gives a query, for every cursor of one open file: ``quiet`` while no
    :meth:`DuckDBBackend.parallel` block runs (``None``: DuckDB's own, one per core), all of them while one does."""

    def __init__(self, raw) -> None:
        self._raw = raw.cursor()  # a connection of its own for SET, used under the lock
        self._lock = threading.Lock()
        self.full = int(self._raw.execute("SELECT current_setting('threads')").fetchall()[0][0])
        self.quiet: int | None = None
        self.busy = 0

    def _apply(self) -> None:
        self._raw.execute(f"SET threads = {int(self.quiet if self.quiet and not self.busy else self.full)}")

    def limit(self, quiet: int | None) -> None:
        with self._lock:
            self.quiet = quiet or None
            self._apply()

    def change(self, by: int) -> None:
        with self._lock:
            self.busy += by
            if self.quiet and self.busy in (0, 1):  # the first block began or the last one ended
                self._apply()

    def close(self) -> None:
        self._raw.close()


class DuckDBBackend:
    """The store's backend on a DuckDB file (see :class:`~patron.store.backends.StoreBackend`)."""

    name = "duckdb"

    def __init__(self, location: str, *, read_only: bool = False) -> None:
        import duckdb

        if location != ":memory:":
            parent = Path(location).expanduser().resolve().parent
            if not parent.is_dir():
                raise PatronError(f"Cannot create the store '{location}': folder '{parent}' does not exist.")
        try:
            raw = duckdb.connect(location, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():  # DuckDB has no error type of its own for a held file lock
                raise StoreInUse(f"Cannot open the store '{location}': another process holds it ({exc}).") from exc
            raise PatronError(f"Cannot open the store '{location}': {exc}") from exc
        # Another process may have written the file since this process last had it open: start afresh.
        self._where = f":memory:{id(raw)}" if location == ":memory:" else str(Path(location).expanduser().resolve())
        stable = {} if location == ":memory:" else _STABLE.setdefault(self._where, {})
        stable.clear()
        self._setup(raw, threading.RLock(), stable, _Threads(raw))
        self._root = True

    def _setup(self, raw, write_lock: threading.RLock, stable: dict, threads: _Threads) -> None:
        self.raw = raw
        self._threads = threads
        self._root = False
        self._ibis = None  # made on first use: most web requests never need it, and it costs ~1 ms a cursor
        self._write_lock = write_lock
        self._stable = stable
        self._writing = False  # inside a transaction of this connection: its own writes are not in the answers

    @property
    def ibis(self):
        """The Ibis backend over this connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.raw)
        return self._ibis

    @contextmanager
    def transaction(self, *, keeps_stable: bool = False) -> Iterator[None]:
        with self._write_lock:
            self.raw.begin()
            self._writing = True
            try:
                yield
            except BaseException:
                self.raw.rollback()
                if not keeps_stable:  # an answer read inside the transaction saw what it undid
                    self._forget()
                raise
            else:
                self.raw.commit()
                if not keeps_stable:
                    self._forget()
            finally:
                self._writing = False

    def _forget(self) -> None:
        _GENERATION[self._where] = _GENERATION.get(self._where, 0) + 1
        self._stable.clear()

    def stable(self, key: tuple, compute):
        """``compute()``, remembered until the next write transaction of this process commits (or rolls back).

        An answer computed while one did is returned but not kept: it may be the one from before. Inside a
        transaction of this connection it is computed afresh (the transaction sees its own writes).
        """
        if self._writing:
            return compute()
        try:
            return self._stable[key]
        except KeyError:
            pass
        generation = _GENERATION.get(self._where, 0)
        value = compute()
        if _GENERATION.get(self._where, 0) == generation:
            if len(self._stable) >= _STABLE_MAX:
                self._stable.clear()
            self._stable[key] = value
        return value

    def lock(self, name: str) -> None:
        """Nothing to do: the write lock of :meth:`transaction` already serialises writers."""

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """Work named ``name`` on this file, one at a time until the block ends (waits its turn).

        A lock of this process is enough: DuckDB lets one process at a time write a file.
        """
        with _HOLDS_GUARD:
            held = _HOLDS.setdefault((self._where, name), threading.Lock())
        with held:
            yield

    def temp_table(self, name: str, rows):
        """Arrow rows as an Ibis in-memory table: DuckDB reads them where they are."""
        import ibis

        return ibis.memtable(rows)

    def insert_arrow(self, table: str, rows) -> None:
        """Append Arrow ``rows`` (columns named as the table's) to ``table``: DuckDB reads them where they are."""
        names = ", ".join(f'"{c}"' for c in rows.column_names)
        self.raw.register("_patron_rows", rows)
        try:
            self.raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM _patron_rows")
        finally:
            self.raw.unregister("_patron_rows")

    def changed(self, sql: str, params: list[Any]) -> int:
        """Run an UPDATE or DELETE and return how many rows it changed (DuckDB returns them as a row)."""
        return int(self.raw.execute(sql, params).fetchall()[0][0])

    def export(self, sql: str, params: list[Any], target: Path, options: str) -> None:
        """Write a query's rows to a file with DuckDB's ``COPY`` (``options`` as in ``COPY ... TO``)."""
        self.raw.execute(f"COPY ({sql}) TO '{str(target).replace(chr(39), chr(39) * 2)}' {options}", params)

    def cursor(self) -> DuckDBBackend:
        view = object.__new__(DuckDBBackend)
        view._setup(self.raw.cursor(), self._write_lock, self._stable, self._threads)
        view._where = self._where
        return view

    def limit_threads(self, quiet: int) -> None:
        """Give each query ``quiet`` threads (0: DuckDB's own, one per core) while no :meth:`parallel` block runs."""
        self._threads.limit(quiet)

    @contextmanager
    def parallel(self) -> Iterator[None]:
        """Every core for queries while the block runs (an import, an analysis), whatever :meth:`limit_threads` says."""
        self._threads.change(1)
        try:
            yield
        finally:
            self._threads.change(-1)

    def close(self) -> None:
        if self._root:
            self._threads.close()
        self.raw.close()
