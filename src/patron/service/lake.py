"""The value analysis over a lake of Parquet tables, on DuckDB or Spark (see :mod:`patron.engines`).

The steps are those of :func:`patron.service.analyze.value_run`; only where
the scores go differs: into the lake (``scores/run_id=N/`` and
``runs/run_id=N/``), and, when a store is given, into its ``runs`` and
``scores`` as well, so that ``patron customers``, the API and the pages see
the run.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

from patron.analytics.triage import triage_matrix
from patron.engines import open_lake
from patron.engines.lake import LAKE_TABLES, export_lake, load_lake_scores, write_run
from patron.models.scoring import plain
from patron.service.analyze import AnalysisResult, AnalysisSettings, Progress, record_run, value_run
from patron.store import Store
from patron.store.vocabulary import LADDER_STATES

__all__ = ["LAKE_TABLES", "analyze_lake", "export_lake", "lake_ladder_counts", "lake_triage_table", "open_lake"]


def analyze_lake(lake, settings: AnalysisSettings = AnalysisSettings(), progress: Progress | None = None,
                 store: Store | None = None) -> AnalysisResult:
    """The value analysis over a lake (:func:`patron.engines.open_lake`), on the lake's engine.

    The scores are written into the lake (``scores/run_id=N/``) with the run
    (``runs/run_id=N/``); with ``store``, the run and its scores are also
    recorded there, as ``patron analyze`` would, so every list and page works.
    """
    started = time.perf_counter()
    report = progress or (lambda step, fraction: None)
    run_id = lake.layout.next_run_id()
    if store is not None:
        run_id = max(run_id, store.next_id("runs", "run_id"))
    try:
        run = value_run(lake, settings, run_id, report)
        report("saving scores", 0.8)
        folder = lake.write_scores(run.rows, run_id)
    finally:
        lake.release()
    parties = count_parquet_rows(folder)
    write_run(lake.layout, run_id, run.as_of, lake.name, asdict(settings), plain(run.diagnostics), parties)
    if store is not None:
        record_run(store, run, settings, lake.name, lambda run_id: load_lake_scores(store, folder, run_id))
    report("done", 1.0)
    return AnalysisResult(run_id, settings, run.as_of, run.customers, parties, run.diagnostics, run.notes,
                          time.perf_counter() - started, run.status)


def count_parquet_rows(folder) -> int:
    """Rows in a folder of Parquet files, from their footers (nothing is read)."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(f).metadata.num_rows for f in sorted(Path(folder).glob("*.parquet")))


def lake_scores(lake, run_id: int):
    """The scores of one lake run, as an Ibis table on the lake's engine."""
    scores = lake.table("scores")
    return scores.filter(scores.run_id == run_id)


def lake_ladder_counts(lake, run_id: int) -> list[tuple[str, int]]:
    s = lake_scores(lake, run_id)
    counts = {r["rung"]: r["n"] for r in s.group_by("rung").aggregate(n=s.count()).to_pyarrow().to_pylist()}
    rows = [(rung, counts.get(rung, 0)) for rung in LADDER_STATES]
    if counts.get(None):  # staff of business customers: their organisation is on the ladder
        rows.append(("not on the ladder", counts[None]))
    return rows


def lake_triage_table(lake, run_id: int) -> list[dict]:
    s = lake_scores(lake, run_id)
    matrix = triage_matrix(s.mutate(value=s.clv, quality=s.health))
    return matrix.order_by(["value_tier", "quality_tier"]).to_pyarrow().to_pylist()
