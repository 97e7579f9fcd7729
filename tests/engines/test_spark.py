"""The Spark engine on a local session: the demo company scores the same as on DuckDB.

One Spark analysis (through the command a user types) serves every test here:
Spark in local mode is slow to plan a run, not to compute it.
"""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from patron.cli.app import app, register
from patron.store import Store

from .conftest import assert_same_scores, scores_of

pytestmark = pytest.mark.spark

register()


@pytest.fixture(scope="module")
def spark_run(company, spark, tmp_path_factory):
    """The demo company's lake analysed with ``patron analyze --engine spark``, recorded in its store."""
    store_path, lake, duckdb_run = company
    copy = tmp_path_factory.mktemp("spark") / "lake"
    shutil.copytree(lake, copy)
    result = CliRunner().invoke(app, ["analyze", "--engine", "spark", "--lake", str(copy), "--store", str(store_path)],
                                catch_exceptions=False, env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stdout
    with Store(store_path, read_only=True) as store:
        spark_run_id, engine = store.query("SELECT run_id, engine FROM runs ORDER BY run_id DESC LIMIT 1")[0]
    assert engine == "spark"
    return store_path, copy, duckdb_run, spark_run_id, result.stdout


def _diagnostics(store_path, run_id):
    with Store(store_path, read_only=True) as store:
        return json.loads(store.scalar("SELECT diagnostics FROM runs WHERE run_id = ?", [run_id]))


def test_every_party_scores_the_same_on_spark_and_duckdb(spark_run):
    store_path, _, duckdb_run, spark_run_id, stdout = spark_run
    assert "ladder of loyalty" in stdout and "most valuable customers at risk" in stdout
    duck, spark = scores_of(store_path, duckdb_run), scores_of(store_path, spark_run_id)
    assert len(duck) > 500
    assert_same_scores(duck, spark)
    assert spark.at_risk.any() and spark.rfm_segment.nunique() > 5 and spark.rung.nunique() >= 5


def test_the_models_fit_the_same_compressed_histories(spark_run):
    store_path, _, duckdb_run, spark_run_id, _ = spark_run
    duck, spark = _diagnostics(store_path, duckdb_run), _diagnostics(store_path, spark_run_id)
    assert duck["compressed_histories"] == spark["compressed_histories"]
    assert duck["spend_model"]["repeat_customers"] == spark["spend_model"]["repeat_customers"]
    for model in ("transaction_model", "spend_model"):
        for name, value in duck[model]["params"].items():
            assert spark[model]["params"][name] == pytest.approx(value, rel=1e-6), (model, name)
    assert spark["margin"] == pytest.approx(duck["margin"], rel=1e-12)
    assert spark["at_risk_revenue_threshold"] == pytest.approx(duck["at_risk_revenue_threshold"], rel=1e-12)


def test_the_scores_are_in_the_lake_written_by_spark(spark_run):
    store_path, lake, _, spark_run_id, _ = spark_run
    folder = lake / "scores" / f"run_id={spark_run_id}"
    files = sorted(folder.glob("*.parquet"))
    assert files and all(f.name.startswith("part-") for f in files)  # Spark's executors wrote them
    in_lake = pq.ParquetDataset(folder).read().to_pandas().sort_values("party_id").set_index("party_id")
    assert_same_scores(in_lake, scores_of(store_path, spark_run_id), rtol=1e-15)
    run = pq.read_table(lake / "runs" / f"run_id={spark_run_id}").to_pylist()[0]
    assert run["engine"] == "spark" and run["parties"] == len(in_lake)


def test_scoring_runs_on_the_executors_in_arrow_batches(company, spark):
    """The scorer is applied with mapInArrow and its output written by the executors; no row is collected."""
    from patron.analytics.summary import customer_summary
    from patron.engines.spark import SparkLake
    from patron.models.scoring import fit_value_models
    from patron.service.analyze import AnalysisSettings, compressed_histories

    lake = SparkLake(company[1], session=spark)
    summary = lake.persist(customer_summary(lake.table("transactions")), "summary")
    histories, spend = compressed_histories(summary)
    scorer, _ = fit_value_models(histories, spend, AnalysisSettings(), 1.0, float("inf"))
    plan = lake.scored_dataframe(summary, scorer)._jdf.queryExecution().executedPlan().toString()
    assert "MapInArrow" in plan
    scores = lake.score(summary, scorer, "scores")
    customers = summary.count().execute()
    assert histories.num_rows < customers and scores.count().execute() == customers
    assert sorted((lake.work / "scores").glob("part-*.parquet"))
    lake.release()
    assert not lake.work.exists()
