"""Opening the relationship store: a URL in, a migrated connection out.

The embedded default is one DuckDB file. Analytics read the store through
Ibis (:attr:`Store.ibis`); bulk writes (imports, score runs) go through the
engine's own connection (:attr:`Store.raw`) inside one transaction, so that
a failure or a kill leaves the store as it was.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patron.errors import PatronError
from patron.store.schema import MIGRATIONS, UNIQUE_KEYS

DEFAULT_STORE = "patron.duckdb"
STORE_ENV = "PATRON_STORE"


@dataclass(frozen=True)
class StoreURL:
    engine: str
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


class Store:
    """A migrated connection to the relationship store.

    Parameters
    ----------
    url
        A DuckDB file path, ``duckdb:///path``, ``:memory:``, or ``None`` to use
        ``PATRON_STORE`` or ``./patron.duckdb``.
    read_only
        Open without taking the write lock (DuckDB allows one writing process).
    """

    def __init__(self, url: str | os.PathLike | None = None, *, read_only: bool = False) -> None:
        self.url = StoreURL.parse(url)
        if self.url.engine != "duckdb":
            raise PatronError(
                "This version of patron stores data in a DuckDB file; PostgreSQL support "
                "arrives with the [postgres] extra."
            )
        import duckdb
        import ibis

        location = self.url.location
        if location != ":memory:":
            parent = Path(location).expanduser().resolve().parent
            if not parent.is_dir():
                raise PatronError(f"Cannot create the store '{location}': folder '{parent}' does not exist.")
        try:
            self.raw = duckdb.connect(location, read_only=read_only)
        except duckdb.IOException as exc:
            raise PatronError(f"Cannot open the store '{location}': {exc}") from exc
        self._ibis = ibis.duckdb.from_connection(self.raw)
        self.read_only = read_only
        # One writer at a time within this process: ids are taken as max + 1 inside the write
        # transaction, and DuckDB (no unique index on the big tables) would not catch two taking the same.
        self._write_lock = threading.RLock()
        if not read_only:
            self.migrate()

    # -- schema --------------------------------------------------------------
    def schema_version(self) -> int:
        exists = self.raw.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        return self.raw.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[0][0]

    def migrate(self) -> list[int]:
        """Apply the migrations this store has not seen, each in its own transaction."""
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
                for statement in migration.statements:
                    self.raw.execute(statement)
                self.raw.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                    [migration.version, migration.name],
                )
            applied.append(migration.version)
        return applied

    # -- access --------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing: commit when the block ends, roll back on any error.

        Write transactions of every cursor of this store run one at a time.
        """
        with self._write_lock:
            self.raw.begin()
            try:
                yield
            except BaseException:
                self.raw.rollback()
                raise
            else:
                self.raw.commit()

    def table(self, name: str):
        """An Ibis table expression over a store table."""
        return self.ibis.table(name)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.raw.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.raw.execute(sql, params or []).fetchall()[0][0]

    def count(self, table: str) -> int:
        return self.scalar(f'SELECT count(*) FROM "{table}"')

    def counts(self) -> dict[str, int]:
        """Row counts of every store table, for summaries and idempotence checks."""
        names = ["parties", "identities", *[t for t in UNIQUE_KEYS if t not in ("parties", "identities", "scores")],
                 "imports", "quarantine", "runs", "scores"]
        return {name: self.count(name) for name in names}

    def next_id(self, table: str, column: str) -> int:
        return self.scalar(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}")

    def integrity_problems(self) -> list[str]:
        """Keys that should be unique but are not, and facts pointing at no party."""
        problems = []
        for table, cols in UNIQUE_KEYS.items():
            keys = ", ".join(cols)
            dupes = self.scalar(
                f"SELECT count(*) FROM (SELECT {keys} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
            )
            if dupes:
                problems.append(f"{table}: {dupes} duplicated value(s) of ({keys})")
        for table in ("identities", "transactions", "interactions", "feedback", "complaints", "consents"):
            orphans = self.scalar(
                f"SELECT count(*) FROM {table} f ANTI JOIN parties p ON f.party_id = p.party_id"
            )
            if orphans:
                problems.append(f"{table}: {orphans} row(s) refer to a party that does not exist")
        return problems

    def cursor(self) -> Store:
        """A view of the same store for another thread (a web request, say).

        DuckDB connections are not safe to share between threads; a cursor is
        a connection of its own to the same database, with its own transactions.
        """
        view = object.__new__(Store)
        view.url, view.read_only, view._write_lock = self.url, self.read_only, self._write_lock
        view.raw = self.raw.cursor()
        view._ibis = None  # made on first use: most web requests never need it, and it costs ~1 ms
        return view

    @property
    def ibis(self):
        """The Ibis backend over this connection (analytics are written against it)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.raw)
        return self._ibis

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
