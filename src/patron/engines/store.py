"""The store's own database as the engine: the default ``patron analyze``, on DuckDB or PostgreSQL.

The analytics run as the SQL Ibis writes for the store's backend. The per-party intermediate results
stay in that database: ``persist`` is one ``CREATE TEMPORARY TABLE … AS SELECT`` there (nothing leaves
the database: at 1M customers, fetching each result as Arrow and handing it back cost 10-13 s a table);
the scorer's output, computed here, goes back as an in-memory table (DuckDB) or a COPY-loaded temporary
table (PostgreSQL, see ``Store.temp_table``).
"""

from __future__ import annotations

import uuid

import ibis.expr.types as ir
import pyarrow as pa

from patron.engines.local import InProcessEngine


class StoreEngine(InProcessEngine):
    """The analytics over a store's own tables."""

    def __init__(self, store) -> None:
        self.store = store
        self.ibis = store.ibis
        #: The run is recorded as run on the store's backend: ``duckdb`` or ``postgres``.
        self.name = store.backend_name
        self._made: list[str] = []

    def table(self, name: str) -> ir.Table:
        return self.store.table(name)

    def persist(self, expr: ir.Table, name: str) -> ir.Table:
        """``expr`` computed once into a temporary table of this connection, in the database itself."""
        table = f"_{name}_{uuid.uuid4().hex[:12]}"  # two runs on one connection keep theirs apart
        kept = self.ibis.create_table(table, obj=expr, temp=True)
        if self.name == "postgres":  # the planner needs statistics to join it by hashing
            self.store.raw.execute(f'ANALYZE "{table}"')
        self._made.append(table)
        return kept

    def _keep(self, name: str, rows: pa.Table) -> ir.Table:
        return self.store.temp_table(f"_{name}", rows)

    def release(self) -> None:
        """Drop the temporary tables this run made (they would otherwise live as long as the connection)."""
        for table in self._made:
            self.store.raw.execute(f'DROP TABLE IF EXISTS "{table}"')
        self._made.clear()
