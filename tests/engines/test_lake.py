"""The lake: export, reading it back on DuckDB, a firm's own tables with a column mapping, the CLI."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from patron.cli.app import app, register
from patron.engines import open_lake
from patron.errors import PatronError
from patron.service.lake import analyze_lake, lake_ladder_counts
from patron.store import Store

from .conftest import assert_same_scores, scores_of

register()
runner = CliRunner()


def test_export_writes_a_folder_per_table_with_every_row(company, tmp_path):
    store_path, lake, _ = company
    with Store(store_path, read_only=True) as store:
        counts = {t: store.count(t) for t in ("parties", "transactions", "feedback")}
    for name, n in counts.items():
        assert pq.ParquetDataset(lake / name).read().num_rows == n


def test_duckdb_on_the_lake_gives_the_store_run_and_records_it(company, tmp_path):
    store_path, lake, run_id = company
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    with Store(store_path) as store:
        result = analyze_lake(open_lake(copy, "duckdb"), store=store)
        engine = store.scalar("SELECT engine FROM runs WHERE run_id = ?", [result.run_id])
    assert engine == "duckdb" and result.run_id > run_id
    assert_same_scores(scores_of(store_path, run_id), scores_of(store_path, result.run_id))
    assert pq.read_table(copy / "scores" / f"run_id={result.run_id}").num_rows == result.parties
    record = pq.read_table(copy / "runs" / f"run_id={result.run_id}").to_pylist()[0]
    assert json.loads(record["diagnostics"])["transaction_model"]["name"] == "BetaGeo"
    # Without a store the run lives in the lake only, with the next id.
    again = analyze_lake(open_lake(copy, "duckdb"))
    assert again.run_id == result.run_id + 1
    assert sum(n for _, n in lake_ladder_counts(open_lake(copy, "duckdb"), again.run_id)) == again.parties


def test_own_tables_with_a_column_mapping_and_no_service_record(tmp_path):
    lake = tmp_path / "own"
    (lake / "orders").mkdir(parents=True)
    (lake / "parties").mkdir()
    ids = [1, 1, 1, 2, 2, 3, 4, 4]
    days = ["2024-01-02", "2024-02-10", "2024-03-15", "2024-01-20", "2024-03-01", "2024-02-01", "2024-01-05",
            "2024-03-30"]
    pq.write_table(pa.table({
        "cust": ids, "ts": pa.array([f"{d} 10:00" for d in days]).cast(pa.timestamp("us")),
        "amount": [10.0, 12.5, 9.0, 40.0, 38.0, 5.0, 20.0, 22.0], "currency": ["EUR"] * 8, "kind": ["order"] * 8,
    }), lake / "orders" / "a.parquet")
    pq.write_table(pa.table({
        "party_id": [1, 2, 3, 4], "kind": ["person"] * 4, "category": ["customer"] * 4,
        "created_at": pa.array(["2024-01-01 00:00"] * 4).cast(pa.timestamp("us")),
        "acquired_at": pa.array([None] * 4, pa.timestamp("us")), "referred_by": pa.array([None] * 4, pa.int64()),
    }), lake / "parties" / "p.parquet")
    (lake / "patron-lake.json").write_text(json.dumps({"columns": {
        "transactions": {"party_id": "cust", "occurred_at": "ts", "revenue": "amount"}}}))
    shutil.move(lake / "orders", lake / "transactions")  # the folder is named after the table
    result = analyze_lake(open_lake(lake, "duckdb"))
    assert result.parties == 4 and result.customers == 4
    scores = pq.read_table(lake / "scores" / "run_id=1").to_pandas().set_index("party_id")
    assert scores.loc[1, "frequency"] == 2 and scores.loc[3, "rung"] == "customer"


def test_a_lake_without_transactions_is_refused(tmp_path):
    (tmp_path / "parties").mkdir()
    pq.write_table(pa.table({"party_id": [1]}), tmp_path / "parties" / "p.parquet")
    with pytest.raises(PatronError, match="no transactions"):
        open_lake(tmp_path, "duckdb")
    with pytest.raises(PatronError, match="Unknown engine"):
        open_lake(tmp_path, "oracle")


def test_missing_pyspark_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    with pytest.raises(PatronError, match=r"pip install 'patron\[spark\]'"):
        open_lake(tmp_path, "spark")


def test_cli_exports_and_analyses_a_lake(company, tmp_path):
    store_path, _, _ = company
    lake = tmp_path / "lake"
    r = runner.invoke(app, ["lake", "export", str(lake), "--store", str(store_path)], catch_exceptions=False)
    assert r.exit_code == 0 and "transactions" in r.stdout
    r = runner.invoke(app, ["analyze", "--lake", str(lake)], catch_exceptions=False,
                      env={"PATRON_STORE": "", "COLUMNS": "300"})
    assert r.exit_code == 0, r.stdout
    assert "ladder of loyalty" in r.stdout and "run_id=1" in r.stdout
    r = runner.invoke(app, ["analyze", "--engine", "spark", "--store", str(store_path)])
    assert r.exit_code != 0 and "lake export" in str(r.exception)


@pytest.mark.postgres
def test_a_lake_run_is_recorded_in_a_postgresql_store(company, tmp_path, postgres_server):
    """--lake with a server --store: the run's Parquet scores reach PostgreSQL's scores table by COPY."""
    store_path, lake, run_id = company
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    with Store(postgres_server.new_database()) as server:
        result = analyze_lake(open_lake(copy, "duckdb"), store=server)
        stored = server.raw.execute(
            "SELECT party_id, rung, clv FROM scores WHERE run_id = ? ORDER BY party_id", [result.run_id]).fetchall()
        engine = server.scalar("SELECT engine FROM runs WHERE run_id = ?", [result.run_id])
    expected = scores_of(store_path, run_id)
    assert engine == "duckdb" and len(stored) == result.parties == len(expected)
    assert [r[0] for r in stored] == list(expected.index)
    # Staff of business customers are not on the ladder: their rung is null (NaN in pandas).
    assert [r[1] for r in stored] == [r if isinstance(r, str) else None for r in expected["rung"]]
    np.testing.assert_allclose(np.array([r[2] for r in stored], dtype=float), expected["clv"].to_numpy(float),
                               rtol=1e-6, atol=1e-9)
