"""Apache Spark as an engine (``pip install patron[spark]``): a lake of Parquet folders.

The analytics run as Spark SQL that Ibis writes. Only compact results reach
the driver: the distinct purchase histories the models fit on, a handful of
totals, and the fitted model itself travels the other way. Scoring every
customer runs on the executors: ``mapInArrow`` applies the
:class:`~patron.models.scoring.Scorer` to Arrow record batches, and the
scores are written as Parquet by the executors.

No package is downloaded at run time: patron needs no Spark package beyond
pyspark's own jars (Parquet is built in).
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from pathlib import Path

import ibis
import ibis.expr.types as ir

from patron.engines.lake import LakeLayout, canonical_schemas
from patron.errors import PatronError

#: Settings patron relies on; anything else is the cluster's business.
SESSION_CONFIG = {
    "spark.sql.session.timeZone": "UTC",  # the store keeps naive UTC times
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # not INT96: readable by DuckDB and others
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
#: Added for a local master: a machine of one's own, no web UI, nothing listening beyond localhost.
LOCAL_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.shuffle.partitions": "8",
}
SCORES_DDL = ("party_id BIGINT, p_alive DOUBLE, expected_purchases DOUBLE, expected_spend DOUBLE, clv DOUBLE, "
              "next_purchase_in DOUBLE, at_risk BOOLEAN, reasons STRING, p_alive_low DOUBLE, p_alive_high DOUBLE, "
              "clv_low DOUBLE, clv_high DOUBLE")

_lakes = itertools.count(1)


def require_pyspark():
    """Import pyspark, or say which extra to install."""
    try:
        import pyspark
    except ImportError:
        raise PatronError("The Spark engine needs pyspark: pip install 'patron[spark]'.") from None
    return pyspark


def spark_session(master: str | None = None, config: dict[str, str] | None = None):
    """A SparkSession with patron's settings (an existing one is reused, and re-configured).

    Parameters
    ----------
    master
        ``local[N]``, ``spark://host:7077``, ``yarn``…; default ``PATRON_SPARK_MASTER`` or ``local[*]``.
    config
        More Spark settings, e.g. ``{"spark.driver.memory": "8g"}``.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    master = master or os.environ.get("PATRON_SPARK_MASTER") or "local[*]"
    settings = dict(SESSION_CONFIG)
    if master.startswith("local"):
        settings.update(LOCAL_CONFIG)
        # Executors of a local master are Python processes on this machine: the same interpreter.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName("patron")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


class SparkLake:
    """A lake (:mod:`patron.engines.lake`) read by Spark.

    Parameters
    ----------
    path
        The lake folder, a path this process and every executor can read (a
        local folder for a local master; a shared mount on a cluster). Object
        store URLs (``s3a://``) are not supported yet: the lake's folders are
        listed with the local file system.
    session
        An existing SparkSession; default: :func:`spark_session` with ``master``.
    columns
        Column mapping per table (see :class:`~patron.engines.lake.LakeLayout`).
    """

    name = "spark"

    def __init__(self, path: str | Path, *, session=None, master: str | None = None,
                 columns: dict[str, dict[str, str]] | None = None) -> None:
        self.layout = LakeLayout.open(path, columns)
        self.session = session or spark_session(master)
        self.ibis = ibis.pyspark.connect(self.session)
        self._prefix = f"patron_lake{next(_lakes)}_"
        self._tables: dict[str, ir.Table] = {}

    def _view(self, df, name: str) -> ir.Table:
        view = self._prefix + name
        df.createOrReplaceTempView(view)
        return self.ibis.table(view)

    def table(self, name: str) -> ir.Table:
        if name not in self._tables or name == "scores":  # scores grow with every run: read afresh
            if self.layout.has(name):
                df = self.session.read.parquet(str(self.layout.folder(name)))
            else:
                from ibis.backends.pyspark.datatypes import PySparkSchema

                df = self.session.createDataFrame([], PySparkSchema.from_ibis(canonical_schemas()[name]))
            t = self._view(df, name)
            renames = self.layout.renames(name)
            self._tables[name] = t.rename(renames) if renames else t
        return self._tables[name]

    def dataframe(self, expr: ir.Table):
        """The Spark DataFrame of an Ibis expression (lazy: nothing runs yet)."""
        self.ibis._run_pre_execute_hooks(expr)  # registers in-memory tables, if any
        return self.session.sql(self.ibis.compile(expr))

    def _checkpoint(self, df, name: str) -> ir.Table:
        """Write ``df`` to the lake's work folder now, and read it back: computed once, lineage cut.

        Spark's own cache was not enough: the scores query refers to the summary,
        the scores and the health card several times, and each reference re-ran
        the subquery behind it (the scorer five times). Parquet in ``_work/``
        survives a lost executor too, which matters on a cluster.
        """
        folder = self.work / name
        df.write.mode("overwrite").parquet(str(folder))
        return self._view(self.session.read.parquet(str(folder)), name)

    @property
    def work(self) -> Path:
        """Intermediate results of the current run (removed by :meth:`release`)."""
        return self.layout.root / "_work" / self._prefix.rstrip("_")

    def persist(self, expr: ir.Table, name: str) -> ir.Table:
        """Compute an intermediate result once (e.g. the per-customer summary), on the executors."""
        return self._checkpoint(self.dataframe(expr), name)

    def scored_dataframe(self, summary: ir.Table, scorer):
        """The (lazy) Spark DataFrame of every customer's scores: ``mapInArrow`` over Arrow batches."""
        return self.dataframe(summary.select(*scorer.inputs)).mapInArrow(scorer.batches, SCORES_DDL)

    def score(self, summary: ir.Table, scorer, name: str) -> ir.Table:
        """Scores of every customer, computed on the executors and kept in the work folder."""
        return self._checkpoint(self.scored_dataframe(summary, scorer), name)

    def write_scores(self, rows: ir.Table, run_id: int) -> Path:
        """The run's scores as ``scores/run_id=N/`` Parquet files, written by the executors."""
        scores = self.layout.root / "scores"
        self.dataframe(rows).write.mode("append").partitionBy("run_id").parquet(str(scores))
        return scores / f"run_id={run_id}"

    def count(self, folder: Path) -> int:
        return self.session.read.parquet(str(folder)).count()

    def release(self) -> None:
        """Remove the intermediate results of the run."""
        shutil.rmtree(self.work, ignore_errors=True)
        work = self.layout.root / "_work"
        if work.is_dir() and not any(work.iterdir()):
            work.rmdir()
