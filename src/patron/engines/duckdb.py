"""DuckDB as an engine: the store itself, or a lake of Parquet folders.

Intermediate results (the per-customer summary, the scores) are compact,
one row per customer, and DuckDB keeps them as Arrow tables in memory; the
scorer runs on them in one batch in this process.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from patron.engines.lake import LakeLayout, canonical_schemas


def _scored(summary: ir.Table, scorer) -> pa.Table:
    """The scorer over every customer's summary, batch by batch, in this process."""
    from patron.service.scoring import SCORER_INPUTS, SCORES_SCHEMA

    rows = summary.select(*SCORER_INPUTS).to_pyarrow().combine_chunks()
    return pa.Table.from_batches([scorer(b) for b in rows.to_batches()], schema=SCORES_SCHEMA)


class DuckDBEngine:
    """The shared part: materialise, score, write."""

    name = "duckdb"
    ibis: ibis.BaseBackend

    def persist(self, expr: ir.Table, name: str) -> ir.Table:
        return self._keep(name, expr.to_pyarrow())

    def score(self, summary: ir.Table, scorer, name: str) -> ir.Table:
        return self._keep(name, _scored(summary, scorer))

    def _keep(self, name: str, rows: pa.Table) -> ir.Table:
        """Per-party Arrow rows as a table the following expressions can join: in memory, here."""
        return ibis.memtable(rows)

    def release(self) -> None:
        """Nothing is cached outside Python objects."""


class StoreEngine(DuckDBEngine):
    """The analytics over a store's own tables (the default ``patron analyze``)."""

    def __init__(self, store) -> None:
        self.store = store
        self.ibis = store.ibis

    def table(self, name: str) -> ir.Table:
        return self.store.table(name)

    def _keep(self, name: str, rows: pa.Table) -> ir.Table:
        """In the store's own engine: an in-memory table on DuckDB, a COPY-loaded temporary table on
        PostgreSQL (see ``Store.temp_table``)."""
        return self.store.temp_table(f"_{name}", rows)


class DuckDBLake(DuckDBEngine):
    """A lake (:mod:`patron.engines.lake`) read by an in-process DuckDB.

    Parameters
    ----------
    path
        The lake folder.
    columns
        Column mapping per table (see :class:`~patron.engines.lake.LakeLayout`).
    """

    def __init__(self, path: str | Path, *, columns: dict[str, dict[str, str]] | None = None) -> None:
        self.layout = LakeLayout.open(path, columns)
        self.ibis = ibis.duckdb.connect()
        self._tables: dict[str, ir.Table] = {}

    def table(self, name: str) -> ir.Table:
        if name not in self._tables or name == "scores":  # scores grow with every run: read afresh
            if self.layout.has(name):
                files = str(self.layout.folder(name) / "**" / "*.parquet")
                t = self.ibis.read_parquet(files, table_name=f"lake_{name}", hive_partitioning=name == "scores")
            else:
                t = ibis.memtable(canonical_schemas()[name].to_pyarrow().empty_table())
            renames = self.layout.renames(name)
            self._tables[name] = t.rename(renames) if renames else t
        return self._tables[name]

    def write_scores(self, rows: ir.Table, run_id: int) -> Path:
        """The run's scores as ``scores/run_id=N/part-0.parquet`` (run_id is the folder)."""
        folder = self.layout.root / "scores" / f"run_id={run_id}"
        folder.mkdir(parents=True, exist_ok=True)
        self.ibis.to_parquet(rows.drop("run_id"), folder / "part-0.parquet")
        return folder


def load_scores(store, folder: Path, run_id: int) -> None:
    """Insert the scores of one lake run (a Parquet folder) into the store's ``scores``, on any store engine.

    A DuckDB store reads the files itself; for a server they are read here, in Arrow batches of a
    million rows, and sent by ``COPY`` (``Store.insert_rows``), so a large run never sits in memory whole.
    """
    files = str(Path(folder) / "*.parquet").replace("'", "''")
    if store.engine_name == "duckdb":
        store.raw.execute(
            f"INSERT INTO scores BY NAME SELECT ?::BIGINT AS run_id, * "
            f"FROM read_parquet('{files}', hive_partitioning = false)", [run_id],
        )
        return
    import duckdb

    columns = [c for c in store.table("scores").columns]
    local = duckdb.connect()
    try:
        # A relation streams its batches (a DB-API result would copy them all first); run_id is an int.
        reader = local.sql(
            f"SELECT {', '.join(f'{int(run_id)}::BIGINT AS run_id' if c == 'run_id' else c for c in columns)} "
            f"FROM read_parquet('{files}', hive_partitioning = false)"
        ).to_arrow_reader(1_000_000)
        for batch in reader:
            store.insert_rows("scores", pa.Table.from_batches([batch]))
    finally:
        local.close()
