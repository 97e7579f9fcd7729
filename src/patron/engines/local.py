"""Engines that keep their intermediate results in this process, as Arrow tables.

The per-customer summary and the scores are compact, one row per customer:
an in-process engine keeps them in memory and runs the scorer on them in one
batch, here. The store's own engine (:mod:`patron.engines.store`) and DuckDB
over a lake (:mod:`patron.engines.duckdb`) are in-process engines; Spark
(:mod:`patron.engines.spark`) keeps its results on the executors.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from patron.models.scoring import SCORES_SCHEMA


def scored(summary: ir.Table, scorer) -> pa.Table:
    """The scorer over every customer's summary, batch by batch, in this process."""
    rows = summary.select(*scorer.inputs).to_pyarrow().combine_chunks()
    return pa.Table.from_batches([scorer(b) for b in rows.to_batches()], schema=SCORES_SCHEMA)


class InProcessEngine:
    """The shared part: materialise, score, write."""

    name = "duckdb"
    ibis: ibis.BaseBackend

    def persist(self, expr: ir.Table, name: str) -> ir.Table:
        return self._keep(name, expr.to_pyarrow())

    def score(self, summary: ir.Table, scorer, name: str) -> ir.Table:
        return self._keep(name, scored(summary, scorer))

    def _keep(self, name: str, rows: pa.Table) -> ir.Table:
        """Per-party Arrow rows as a table the following expressions can join: in memory, here."""
        return ibis.memtable(rows)

    def release(self) -> None:
        """Nothing is cached outside Python objects."""
