"""The value analysis on the demo company: scores saved, and the truth recovered."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from companies import demo_company
from patron.analytics.summary import customer_summary
from patron.areas.segments.service import CustomerFilter, export_customers, list_customers
from patron.errors import PatronError
from patron.models import BetaGeo
from patron.service.analyze import AnalysisSettings, analyze, ladder_counts, triage_table, valuable_at_risk
from patron.service.holdout import holdout_report
from patron.store import Store


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    out = tmp_path_factory.mktemp("company")
    store = demo_company(out, 5000, 1, analysed=False)
    result = analyze(store, AnalysisSettings())
    truth = json.loads((out / "data" / "truth.json").read_text())
    customers = pq.read_table(out / "data" / "truth_customers.parquet").to_pandas()
    keys = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    customers["party_id"] = customers["customer_no"].map(keys)
    yield store, result, truth, customers
    store.close()


def test_one_score_row_per_party_and_the_run_is_recorded(company):
    store, result, _, _ = company
    # Every party is scored but the firm, its suppliers, distributors and partners: no orders, no contacts.
    partners = store.scalar("SELECT count(DISTINCT party_id) FROM identities WHERE source = 'crm' AND "
                            "(source_key LIKE 'SUP-%' OR source_key LIKE 'FIRM-%')")
    assert partners == 13 and result.parties == store.count("parties") - partners
    assert store.scalar("SELECT count(DISTINCT party_id) FROM scores WHERE run_id = ?", [result.run_id]) \
        == result.parties
    settings, diagnostics = store.query("SELECT settings, diagnostics FROM runs WHERE run_id = ?",
                                        [result.run_id])[0]
    assert json.loads(settings)["model"] == "bgnbd"
    model = json.loads(diagnostics)["transaction_model"]
    assert set(model["params"]) == {"r", "alpha", "a", "b"} and model["convergence"]["success"]
    assert store.integrity_problems() == []


def test_bgnbd_recovers_the_demo_parameters(company):
    store, _, truth, customers = company
    tx = store.table("transactions")
    consumers = [int(p) for p in customers["party_id"].dropna()]
    tx = tx.filter(tx.party_id.isin(consumers))
    end = truth["period"]["end"][:10]
    # Daily periods, on the truth's weekly scale: weekly periods would merge same-week purchases and bias alpha.
    summary = customer_summary(tx, time_unit="day", observation_end=end, details=False).to_pyarrow()
    x, t_x, T = (summary.column(c).to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    model = BetaGeo().fit(x, t_x / 7, T / 7)
    true = truth["parameters"]["bg_nbd"]
    for name, value in model.params_.items():
        assert abs(value - true[name]) < 3 * model.standard_errors_[name] + 0.02 * true[name], (
            name, value, true[name], model.standard_errors_[name])


def test_probability_alive_separates_the_living_from_the_lost(company):
    store, result, _, customers = company
    p = dict(store.query("SELECT party_id, p_alive FROM scores WHERE run_id = ? AND p_alive IS NOT NULL",
                         [result.run_id]))
    known = customers[customers["party_id"].isin(p.keys())]
    score = known["party_id"].map(p).to_numpy()
    alive = known["alive_at_end"].to_numpy()
    # AUC: the chance a living customer scores above a lost one.
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    auc = (ranks[alive].sum() - alive.sum() * (alive.sum() + 1) / 2) / (alive.sum() * (~alive).sum())
    assert auc > 0.8, auc


def test_valuable_customers_at_risk_are_mostly_really_lost(company):
    store, result, _, customers = company
    risky = valuable_at_risk(store, result.run_id, limit=1000)
    assert risky and all(r["reasons"] for r in risky)
    lost = dict(zip(customers["party_id"], ~customers["alive_at_end"]))
    consumers = [r for r in risky if r["party_id"] in lost]
    assert len(consumers) >= 10
    assert np.mean([lost[r["party_id"]] for r in consumers]) > 0.7


def test_ladder_and_triage_cover_every_party(company):
    store, result, _, _ = company
    assert sum(n for _, n in ladder_counts(store, result.run_id)) == result.parties
    cells = triage_table(store, result.run_id)
    assert {c["triage"] for c in cells} >= {"best", "average", "worst"}


def test_holdout_total_is_close(company):
    store, _, truth, _ = company
    report = holdout_report(store, "2025-01-01", truth["period"]["end"][:10])
    assert abs(report.error_total) < 0.1, report.error_total
    assert [r["frequency_cal"] for r in report.rows][:2] == ["0", "1"]


def test_customer_lists_and_exports(company, tmp_path):
    store, result, _, _ = company
    total, rows = list_customers(store, CustomerFilter(triage="best", sort="clv"), limit=5)
    assert 0 < total < result.parties and len(rows) == 5
    assert [r["clv"] for r in rows] == sorted((r["clv"] for r in rows), reverse=True)
    n = export_customers(store, CustomerFilter(at_risk=True), tmp_path / "risk.parquet")
    table = pq.read_table(tmp_path / "risk.parquet")
    assert table.num_rows == n > 0 and all(table.column("at_risk").to_pylist())
    with pytest.raises(PatronError, match="Unknown rung"):
        list_customers(store, CustomerFilter(rung="vip"))
    with pytest.raises(PatronError, match=r"\.csv or a \.parquet"):
        export_customers(store, CustomerFilter(), tmp_path / "x.xlsx")


def test_empty_store_is_explained(tmp_path):
    with Store(tmp_path / "empty.duckdb") as store:
        with pytest.raises(PatronError, match="no transactions"):
            analyze(store)
        with pytest.raises(PatronError, match="No analysis has been run"):
            list_customers(store, CustomerFilter())


def test_overview_measures_add_up(company):
    from patron.service.overview import relationship_overview

    store, result, truth, _ = company
    o = relationship_overview(store, result.run_id)
    mix = o.revenue_mix
    assert mix["relational_revenue"] + mix["transactional_revenue"] == pytest.approx(mix["revenue"])
    assert 0.5 < mix["relational_share"] < 1  # the demo company lives on repeat buyers
    assert 0 < o.lost["customers"] < result.customers and o.lost["lost_revenue"] > 0
    channels = {a["acquisition_channel"]: a for a in o.acquisition}
    assert set(channels) == set(truth["channels"])
    cheap = min(channels.values(), key=lambda a: a["mean_acquisition_cost"])
    dear = max(channels.values(), key=lambda a: a["mean_acquisition_cost"])
    assert cheap["value_to_cost"] > dear["value_to_cost"]
    assert set(o.plans) >= {"best", "average", "worst"}


def test_ladder_movement_accounts_for_every_party(company):
    from patron.service.ladder import ladder_movement

    store, result, _, _ = company
    movement = ladder_movement(store, "2025-01-01", "2025-12-31")
    total = int(movement.frame.parties.sum())
    assert total == movement.up + movement.same + movement.down + movement.new
    # Relationships weaken unless refreshed (seed 004): in a year many buyers lapse, and some climb.
    assert movement.up > 0 and movement.down > 0
    assert sum(n for (a, b), n in movement.matrix.items() if b == "lapsed" and a not in ("new", "lapsed")) > 0
    with pytest.raises(PatronError, match="after the first"):
        ladder_movement(store, "2025-06-01", "2025-01-01")
