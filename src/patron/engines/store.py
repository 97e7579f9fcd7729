"""The store's own database as the engine: the default ``patron analyze``, on DuckDB or PostgreSQL.

The analytics run as the SQL Ibis writes for the store's backend; the
per-party intermediate results go back into it as in-memory tables (DuckDB)
or COPY-loaded temporary tables (PostgreSQL, see ``Store.temp_table``).
"""

from __future__ import annotations

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

    def table(self, name: str) -> ir.Table:
        return self.store.table(name)

    def _keep(self, name: str, rows: pa.Table) -> ir.Table:
        return self.store.temp_table(f"_{name}", rows)
