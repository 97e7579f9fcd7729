"""Where an analysis runs: the engines patron drives through Ibis, and the lake they read.

The analytics (:mod:`patron.analytics`) are Ibis expressions and need
nothing from an engine but tables. What does differ per engine is small and
lives in one module each:

==============  ==============================================================
module          engine
==============  ==============================================================
``store``       the store's own database (DuckDB file or PostgreSQL server)
``duckdb``      DuckDB in this process, over a lake of Parquet folders
``spark``       Apache Spark (``pip install patron[spark]``): a lake of Parquet
                folders, scoring on the executors in Arrow batches
==============  ==============================================================

An engine (:class:`AnalysisEngine`) offers ``name``, ``ibis`` (the Ibis
backend), ``table(name)`` (a source table: ``parties``, ``transactions``, …),
``persist(expr, name)`` (materialise an intermediate result, such as the
per-customer summary, and return it as a table), ``score(summary, scorer,
name)`` (apply a :class:`~patron.models.scoring.Scorer` to every row, where
the rows are) and ``release()``; a lake engine also ``write_scores(rows, run_id)``.

Adding an engine: a module here with that class (about 100 lines), a branch
in :func:`open_lake`, its name in the ``engine`` fixture of
``tests/analytics/conftest.py`` (the engine-agnostic tests then run on it),
and its extra in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from patron.errors import InvalidInput

ENGINES = ("duckdb", "spark")


class AnalysisEngine(Protocol):
    """What a value run (:func:`patron.service.analyze.value_run`) needs from where it runs."""

    name: str
    ibis: Any

    def table(self, name: str) -> Any: ...

    def persist(self, expr: Any, name: str) -> Any: ...

    def score(self, summary: Any, scorer: Any, name: str) -> Any: ...

    def release(self) -> None: ...


def open_lake(path: str | Path, engine: str = "duckdb", **options):
    """A folder of Parquet tables (see :mod:`patron.engines.lake`) opened on ``engine``.

    ``options`` go to the engine: for Spark ``session`` (an existing
    SparkSession) or ``master``; for both, ``columns`` (a column mapping,
    see :class:`~patron.engines.lake.LakeLayout`).
    """
    if engine == "duckdb":
        from patron.engines.duckdb import DuckDBLake

        return DuckDBLake(path, **options)
    if engine == "spark":
        from patron.engines.spark import SparkLake, require_pyspark

        require_pyspark()
        return SparkLake(path, **options)
    raise InvalidInput(f"Unknown engine '{engine}'. Choose one of: {', '.join(ENGINES)}.")
