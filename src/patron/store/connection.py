"""Opening the relationship store: a URL in, a migrated connection out.

The embedded default is one DuckDB file; a shared deployment uses
PostgreSQL (``postgresql://user:password@host/database``). Analytics read the
store through Ibis (:attr:`Store.ibis`); writes go through the backend's own
connection (:attr:`Store.raw`, DuckDB-dialect SQL with ``?`` parameters on
every backend) inside one transaction, so that a failure or a kill leaves the
store as it was. What differs between databases lives in one backend each
(:mod:`patron.store.backends`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patron.errors import PatronError
from patron.store.backends import StoreBackend, open_backend
from patron.store.migrations import MIGRATIONS
from patron.store.tables import MOVED_COLUMNS, OWNED_TABLES, STATUS_TABLES, UNIQUE_KEYS

DEFAULT_STORE = "patron.duckdb"
STORE_ENV = "PATRON_STORE"


@dataclass(frozen=True)
class StoreURL:
    #: ``duckdb`` or ``postgres``: which backend opens it.
    backend: str
    location: str

    @classmethod
    def parse(cls, url: str | os.PathLike | None) -> StoreURL:
        """Read ``--store`` / ``PATRON_STORE``: a path, ``duckdb:///path`` or a server URL."""
        text = str(url) if url is not None else os.environ.get(STORE_ENV) or DEFAULT_STORE
        if text.startswith("duckdb://"):
            rest = text[len("duckdb://"):]
            return cls("duckdb", rest[1:] if rest.startswith("//") else rest or ":memory:")
        if text.startswith(("postgresql://", "postgres://")):
            return cls("postgres", text)
        if "://" in text:
            scheme = text.split("://", 1)[0]
            raise PatronError(
                f"Unknown store '{text}': patron can use a DuckDB file (a path or duckdb:///path) "
                f"or PostgreSQL (postgresql://...), not '{scheme}'."
            )
        return cls("duckdb", text)

    @property
    def display(self) -> str:
        """The location as it can be printed (a server URL without its password)."""
        if self.backend == "postgres":
            from patron.store.backends.postgres import hide_password

            return hide_password(self.location)
        return self.location


class Store:
    """A migrated connection to the relationship store.

    Parameters
    ----------
    url
        A DuckDB file path, ``duckdb:///path``, ``:memory:``, a PostgreSQL URL
        (``postgresql://user:password@host:5432/database``), or ``None`` to use
        ``PATRON_STORE`` or ``./patron.duckdb``.
    read_only
        Open without taking the write lock (DuckDB allows one writing process)
        and without migrating.
    """

    def __init__(self, url: str | os.PathLike | None = None, *, read_only: bool = False) -> None:
        self.url = StoreURL.parse(url)
        self._attach(open_backend(self.url.backend, self.url.location, read_only=read_only), read_only)
        if not read_only:
            self.migrate()

    def _attach(self, backend: StoreBackend, read_only: bool) -> None:
        self.backend = backend
        self.raw = backend.raw
        self.read_only = read_only
        #: Lowest id :meth:`next_id` may hand out per table (a staging copy of a server store sets them).
        self.id_floors: dict[str, int] = {}
        #: Whether ``schema_migrations`` is known to exist (:meth:`schema_version`).
        self._versioned = False

    @property
    def ibis(self):
        return self.backend.ibis

    @property
    def backend_name(self) -> str:
        """``duckdb`` or ``postgres``."""
        return self.backend.name

    # -- schema --------------------------------------------------------------
    def schema_version(self) -> int:
        """The newest migration applied to the store, read from it (0 for a store never migrated).

        Whether ``schema_migrations`` exists is asked once per store and its cursors (the table, once made,
        is never dropped): on DuckDB the information_schema query made a call cost 2.9 ms of CPU against
        0.5 ms without it, most of ``/api/v1/health``. The version itself is read every time, so the health
        check still reads the store, and a migration by another process shows.
        """
        if not self._versioned:
            exists = self.raw.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations' "
                "AND table_schema = current_schema()"
            ).fetchall()[0][0]
            if not exists:
                return 0
            self._versioned = True
        return self.raw.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]

    def migrate(self) -> list[int]:
        """Apply the migrations this store has not seen, each in its own transaction.

        On a server, processes starting at the same time take turns: each
        migration is applied once, by whichever comes first.
        """
        with self.transaction():
            self.backend.lock("schema")
            self.raw.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
        current = self.schema_version()
        latest = MIGRATIONS[-1].version
        if current > latest:
            raise PatronError(
                f"The store is at schema version {current}, newer than this patron ({latest}). "
                "Upgrade patron before opening it."
            )
        applied = []
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            with self.transaction():
                self.backend.lock("schema")
                if self.schema_version() >= migration.version:  # another process applied it meanwhile
                    continue
                for statement in self._statements(migration):
                    self.raw.execute(statement)
                self.raw.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, now()::TIMESTAMP)",
                    [migration.version, migration.name],
                )
            applied.append(migration.version)
        if applied:  # a store that held parties before the read model (migration 22) builds it now, once
            from patron.store import picture

            picture.ensure(self)
        return applied

    def _statements(self, migration) -> list[str]:
        if self.backend_name == "postgres":
            from patron.store.backends.postgres_dialect import postgres_migration

            return postgres_migration(migration)
        return list(migration.statements)

    # -- access --------------------------------------------------------------
    @contextmanager
    def transaction(self, *, keeps_stable: bool = False) -> Iterator[None]:
        """All-or-nothing: commit when the block ends, roll back on any error.

        ``keeps_stable``: the block changes nothing a :meth:`stable` answer reads (it appends to the
        audit log or the sign-in attempts, or sets a token's last use), so its commit keeps those answers.

        On DuckDB, write transactions of every cursor of this store run one at
        a time; on PostgreSQL, writers of the same id space (:meth:`next_id`)
        take turns across processes.
        """
        with self.backend.transaction(keeps_stable=keeps_stable):
            yield

    def lock(self, name: str) -> None:
        """Inside a write transaction: writers that lock ``name`` take turns until their transaction ends
        (on PostgreSQL across every process; on DuckDB the write lock already does it)."""
        self.backend.lock(name)

    def hold(self, name: str) -> AbstractContextManager[None]:
        """Work named ``name`` (analysis runs, say) one at a time on this store: the block waits its turn.

        Not a transaction: reads and writes go on meanwhile. On DuckDB a lock of this process (one process
        writes the file); on PostgreSQL an advisory lock that holds across every process and ends with
        the block, or with the process if it dies.
        """
        return self.backend.hold(name)

    def limit_threads(self, quiet: int) -> None:
        """On DuckDB, ``quiet`` threads per query (0: one per core) except inside :meth:`parallel` blocks.

        For a web service: its requests are many small queries at once, and DuckDB's parallel threads slow
        them down (8 clients' 360s on 2 cores: p50 143 ms with 2 threads, 65 ms with 1). On PostgreSQL nothing.
        """
        self.backend.limit_threads(quiet)

    def parallel(self) -> AbstractContextManager[None]:
        """Every core for the queries of every cursor while the block runs (background imports and analyses)."""
        return self.backend.parallel()

    def stable(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()``, for answers that only a write can change (an API token's user, a run's settings).

        On DuckDB, where only this process can write the file, the answer is
        kept until a write transaction (:meth:`transaction`) of this process
        commits: a web request then skips queries that cost about a
        millisecond each (or, for a list's total, a scan). Writes that should be
        seen must go through :meth:`transaction`. An answer computed while a
        write committed or rolled back is not kept, and inside a transaction
        it is computed afresh (it sees the transaction's own writes). On
        PostgreSQL, where other processes write too, it is computed every time.
        """
        return self.backend.stable(key, compute)

    def table(self, name: str):
        """An Ibis table expression over a store table."""
        return self.ibis.table(name)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.raw.execute(sql, params or []).fetchall()

    def records(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts keyed by column name."""
        result = self.raw.execute(sql, params or [])
        names = [d[0] for d in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.raw.execute(sql, params or []).fetchall()[0][0]

    def count(self, table: str) -> int:
        return self.scalar(f'SELECT count(*) FROM "{table}"')

    def counts(self) -> dict[str, int]:
        """Row counts of every store table, for summaries and idempotence checks."""
        return {name: self.count(name) for name in STATUS_TABLES}

    def next_id(self, table: str, column: str) -> int:
        """The next id of ``table``: call it inside the write transaction that uses the id.

        The id space stays locked until that transaction ends, so no other
        writer (thread or, on a server, process) takes the same id.
        """
        self.backend.lock(f"id:{table}")
        found = self.scalar(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")
        return max(int(found), self.id_floors.get(table, 0))

    def temp_table(self, name: str, rows):
        """An Ibis table over Arrow ``rows`` held by the backend for this connection (compact per-party results)."""
        return self.backend.temp_table(name, rows)

    def insert_rows(self, table: str, rows) -> None:
        """Append Arrow ``rows`` to ``table`` in bulk (DuckDB reads them in place; PostgreSQL takes them by COPY).

        Column names are the table's; call it inside the write transaction that the rows belong to.
        """
        self.backend.insert_arrow(table, rows)

    def changed(self, sql: str, params: list[Any] | None = None) -> int:
        """Run an UPDATE or DELETE and return how many rows it changed, on every backend."""
        return self.backend.changed(sql, params or [])

    def export(self, sql: str, params: list[Any], target: str | Path, options: str = "(HEADER)") -> None:
        """Write a query's rows to a CSV or Parquet file (``options`` as DuckDB's ``COPY ... TO`` takes them)."""
        self.backend.export(sql, params, Path(target), options)

    def integrity_problems(self) -> list[str]:
        """Keys that should be unique but are not, and facts pointing at no party."""
        problems = []
        for table, cols in UNIQUE_KEYS.items():
            keys = ", ".join(cols)
            dupes = self.scalar(
                f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY {keys} HAVING count(*) > 1) d"
            )
            if dupes:
                problems.append(f"{table}: {dupes} duplicated value(s) of ({keys})")
        for table in OWNED_TABLES:
            for column in MOVED_COLUMNS[table]:
                orphans = self.scalar(
                    f"SELECT count(*) FROM {table} f ANTI JOIN parties p ON f.{column} = p.party_id"
                )
                if orphans:
                    named = "" if column == "party_id" else f" (in {column})"
                    problems.append(f"{table}: {orphans} row(s) refer to a party that does not exist{named}")
        return problems

    def cursor(self) -> Store:
        """A view of the same store for another thread (a web request, say).

        Neither DuckDB nor psycopg connections may be shared between threads;
        a cursor is a connection of its own to the same database, with its own
        transactions.
        """
        view = object.__new__(Store)
        view.url = self.url
        view._attach(self.backend.cursor(), self.read_only)
        view._versioned = self._versioned
        return view

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
