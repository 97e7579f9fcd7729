"""Where the store lives: one backend per database, behind one small interface.

A backend is what :class:`~patron.store.Store` needs from a database and no
more (as Splink's database APIs are to Splink): run DuckDB-dialect SQL, give an
Ibis backend over the same connection, transactions, locks, bulk rows in and
out, temporary per-party tables, and a cursor per thread.

==============  ======================================================================
module          backend
==============  ======================================================================
``duckdb``      a DuckDB file: nothing to install; one writing process
``postgres``    a PostgreSQL server (``pip install patron[postgres]``): many writers
==============  ======================================================================

Adding a backend (MySQL, say): a module here with a class of this interface,
its URL scheme in :meth:`patron.store.StoreURL.parse` and a branch in
:func:`open_backend`, a dialect module if its SQL differs (as
``postgres_dialect``), and a param of the ``engine_url`` fixture in
``tests/store_engines.py``, which runs the store, import and API suites on it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol


class Result(Protocol):
    """A finished statement, as DuckDB's results are (PostgreSQL's are wrapped to look the same)."""

    description: list[tuple] | None

    def fetchall(self) -> list[tuple]: ...

    def fetchone(self) -> tuple | None: ...


class Connection(Protocol):
    """The raw connection: DuckDB-dialect SQL with ``?`` parameters in, rows out."""

    def execute(self, sql: str, params: list[Any] | None = None) -> Result: ...


class StoreBackend(Protocol):
    """What the store needs of a database."""

    #: ``duckdb`` or ``postgres``: recorded with each analysis run, shown to users.
    name: str
    raw: Connection

    @property
    def ibis(self) -> Any:
        """An Ibis backend over the same connection (so analytics see the open transaction's writes)."""

    def transaction(self, *, keeps_stable: bool = False) -> AbstractContextManager[None]:
        """Commit when the block ends, roll back on any error (``keeps_stable``: see ``Store.transaction``)."""

    def lock(self, name: str) -> None:
        """Serialise the writers of one id space until the transaction ends."""

    def limit_threads(self, quiet: int) -> None:
        """Threads per query outside :meth:`parallel` blocks (DuckDB); nothing on a server."""

    def parallel(self) -> AbstractContextManager[None]:
        """Every core for queries while the block runs (DuckDB); nothing on a server."""

    def hold(self, name: str) -> AbstractContextManager[None]:
        """Work named ``name`` one at a time on this store, across processes, until the block ends."""

    def stable(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()``, kept while only this process's writes could change it (see ``Store.stable``)."""

    def temp_table(self, name: str, rows: Any) -> Any:
        """Arrow ``rows`` as an Ibis table this connection can join."""

    def insert_arrow(self, table: str, rows: Any) -> None:
        """Append Arrow ``rows`` to ``table`` in bulk."""

    def changed(self, sql: str, params: list[Any]) -> int:
        """Run an UPDATE or DELETE; how many rows it changed."""

    def export(self, sql: str, params: list[Any], target: Path, options: str) -> None:
        """Write a query's rows to a file (``options`` as DuckDB's ``COPY ... TO`` takes them)."""

    def cursor(self) -> StoreBackend:
        """Another connection to the same database, for another thread."""

    def close(self) -> None: ...


def open_backend(engine: str, location: str, *, read_only: bool = False) -> StoreBackend:
    """The backend for a parsed store URL (:class:`~patron.store.StoreURL`)."""
    if engine == "postgres":
        from patron.store.backends.postgres import PostgresBackend

        return PostgresBackend(location, read_only=read_only)
    from patron.store.backends.duckdb import DuckDBBackend

    return DuckDBBackend(location, read_only=read_only)
