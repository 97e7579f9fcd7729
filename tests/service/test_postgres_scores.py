"""The same demo company analysed on DuckDB and on PostgreSQL: the same customers, the same scores."""

from __future__ import annotations

import numpy as np
import pytest

from patron.demo import generate_demo, import_demo
from patron.service.analyze import analyze
from patron.store import Store

pytestmark = pytest.mark.postgres

NUMBERS = ("frequency", "recency", "t", "monetary_value", "orders", "revenue", "margin", "p_alive",
           "expected_purchases", "expected_spend", "clv", "next_purchase_in", "r_score", "f_score", "m_score",
           "rung_level", "health", "health_trend", "p_alive_low", "p_alive_high", "clv_low", "clv_high")
LABELS = ("first_purchase_at", "last_purchase_at", "rfm_segment", "rung", "triage", "value_tier", "quality_tier",
          "at_risk", "reasons")


def _scores(store: Store, run_id: int) -> dict[int, dict]:
    cur = store.raw.execute(f"SELECT party_id, {', '.join(NUMBERS + LABELS)} FROM scores WHERE run_id = ? "
                            "ORDER BY party_id", [run_id])
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur.fetchall()}


def test_scores_equal_on_both_engines(tmp_path, postgres_server):
    generate_demo(tmp_path / "data", 1000, 3)
    results = {}
    for engine, url in (("duckdb", str(tmp_path / "p.duckdb")), ("postgres", postgres_server.new_database())):
        with Store(url) as store:
            import_demo(store, tmp_path / "data")
            run = analyze(store)
            results[engine] = (store.counts(), run.diagnostics, _scores(store, run.run_id))
    (counts_d, diag_d, duck), (counts_p, diag_p, pg) = results["duckdb"], results["postgres"]
    assert counts_d == counts_p
    assert duck.keys() == pg.keys() and len(duck) > 1000
    for model in ("transaction_model", "spend_model"):
        for name, value in diag_d[model]["params"].items():
            assert diag_p[model]["params"][name] == pytest.approx(value, rel=1e-6), (model, name)
    for column in NUMBERS:
        a = np.array([duck[p][column] if duck[p][column] is not None else np.nan for p in duck], dtype=float)
        b = np.array([pg[p][column] if pg[p][column] is not None else np.nan for p in duck], dtype=float)
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9, equal_nan=True, err_msg=column)
    for column in LABELS:
        differ = [p for p in duck if duck[p][column] != pg[p][column]]
        assert not differ, (column, differ[:3], [(duck[p][column], pg[p][column]) for p in differ[:3]])


def test_analyses_at_the_same_time_get_their_own_runs(tmp_path, postgres_server):
    """Two analysis runs started together on one server (two users, say): both stored, each under its own id."""
    from concurrent.futures import ThreadPoolExecutor

    from patron.ingest import import_file

    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(
        f"C{i % 40},2024-{1 + i % 12:02d}-{1 + i % 27:02d},{10 + i % 13}.50\n" for i in range(400)))
    with Store(postgres_server.new_database()) as store:
        import_file(store, orders, "transactions")

        def run(_):
            view = store.cursor()
            try:
                return analyze(view).run_id
            finally:
                view.close()

        with ThreadPoolExecutor(2) as pool:
            ids = list(pool.map(run, range(2)))
        assert sorted(ids) == [1, 2]
        assert store.query("SELECT run_id, count(*) FROM scores GROUP BY run_id ORDER BY run_id") == [(1, 40), (2, 40)]
