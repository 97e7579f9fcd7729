"""Where an analysis runs: the engines patron drives through Ibis, and the lake they read.

The analytics (:mod:`patron.analytics`) are Ibis expressions and need
nothing from an engine but tables. What does differ per engine is small and
lives in one module each:

==============  ==============================================================
module          engine
==============  ==============================================================
``duckdb``      DuckDB: the store itself, or a lake of Parquet folders
``spark``       Apache Spark (``pip install patron[spark]``): a lake of Parquet
                folders, scoring on the executors in Arrow batches
==============  ==============================================================

An engine object offers ``name``, ``ibis`` (the Ibis backend),
``table(name)`` (a source table: ``parties``, ``transactions``, …),
``persist(expr, name)`` (materialise an intermediate result, such as the
per-customer summary, and return it as a table), ``score(summary, scorer,
name)`` (apply a :class:`~patron.service.scoring.Scorer` to every row, where
the rows are) and ``write_scores(rows, run_id)``.

Adding an engine: a module here with that class (about 100 lines), a branch
in :func:`open_lake`, its name in the ``engine`` fixture of the tests (the
engine-agnostic tests then run on it), and its extra in ``pyproject.toml``.
"""

from __future__ import annotations

from pathlib import Path

from patron.errors import PatronError

ENGINES = ("duckdb", "spark")


def require_pyspark():
    """Import pyspark, or say which extra to install."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise PatronError("The Spark engine needs pyspark: pip install 'patron[spark]'.") from None
    return pyspark


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
        require_pyspark()
        from patron.engines.spark import SparkLake

        return SparkLake(path, **options)
    raise PatronError(f"Unknown engine '{engine}'. Choose one of: {', '.join(ENGINES)}.")
