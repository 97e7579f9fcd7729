"""The ladder and the triage on the demo company's ground truth: planted partners, lapsed customers, no
instant advocates, falls in the migration, lost customers never best."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from companies import demo_company
from patron.service.ladder import ladder_movement

END = dt.datetime(2025, 12, 31)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    out = tmp_path_factory.mktemp("ladder_company")
    store = demo_company(out, 3000, 5)
    run_id = store.scalar("SELECT max(run_id) FROM runs")
    scores = store.raw.execute("SELECT * FROM scores WHERE run_id = ?", [run_id]).df().set_index("party_id")
    keys = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    customers = pq.read_table(out / "data" / "truth_customers.parquet").to_pandas()
    customers["party_id"] = customers["customer_no"].map(keys)
    customers = customers.dropna(subset=["party_id"]).astype({"party_id": "int64"})
    customers["last_purchase_at"] = customers["acquired_at"] + pd.to_timedelta(customers["t_x"] * 7, unit="D")
    partners = pq.read_table(out / "data" / "truth_partners.parquet").to_pandas()
    partners["party_id"] = partners["key"].map(keys)
    yield store, scores, customers, partners
    store.close()


def test_planted_partners_are_the_partners(company):
    _, scores, _, partners = company
    assert partners.party_id.notna().all() and (partners.entity == "organisation").any()
    found = set(scores.index[scores.rung == "partner"])
    assert found == set(partners.party_id.astype(int))
    reasons = scores.loc[list(found), "rung_reason"]
    assert reasons.str.startswith("partner because: ").all()


def test_customers_inactive_for_a_year_have_lapsed(company):
    _, scores, customers, _ = company
    gone = customers[customers.last_purchase_at.dt.tz_localize(None) < END - dt.timedelta(days=380)]
    assert len(gone) > 100
    assert (scores.loc[gone.party_id, "rung"] == "lapsed").all()
    # and 234 "advocates" who bought nothing for a year are what the old rules made: none now.
    active = scores[scores.rung.isin(["client", "supporter", "advocate", "partner"])]
    assert (pd.Timestamp(END) - active.last_purchase_at).dt.days.max() <= 366


def test_advocates_only_by_climbing(company):
    _, scores, customers, _ = company
    advocates = scores[scores.rung == "advocate"]
    assert len(advocates) >= 5
    truth = customers.set_index("party_id")
    mine = truth.loc[truth.index.intersection(advocates.index)]
    assert (mine.orders >= 3).all()  # no advocate after one order
    referrers = set(customers.loc[customers.referred_by_person.notna(), "referred_by_person"].astype(int))
    assert set(mine.person_id) <= referrers  # each recommended someone who then bought
    assert advocates.rung_reason.str.startswith("advocate because: ").all()
    one_order = truth[truth.orders == 1].index.intersection(scores.index)
    assert not scores.loc[one_order, "rung"].isin(["client", "supporter", "advocate", "partner"]).any()


def test_the_migration_shows_falls(company):
    store, _, _, _ = company
    movement = ladder_movement(store, "2024-12-31", "2025-12-31")
    assert movement.down > 50 and movement.up > 0
    fell = sum(n for (a, b), n in movement.matrix.items() if b == "lapsed" and a not in ("new", "lapsed"))
    assert fell > 50


def test_triage_never_puts_lost_or_at_risk_customers_in_best(company):
    _, scores, customers, _ = company
    assert not ((scores.rung == "lapsed") & (scores.triage == "best")).any()
    assert (scores.loc[scores.rung == "lapsed", "triage"] == "worst").all()
    assert not (scores.at_risk & (scores.triage == "best")).any()
    shares = scores.triage.value_counts(normalize=True)
    assert shares["best"] < 0.3
    truth = customers.set_index("party_id")
    alive = truth.alive_at_end
    best, worst = (scores.index[scores.triage == g].intersection(truth.index) for g in ("best", "worst"))
    assert alive.loc[best].mean() > 0.8 and alive.loc[best].mean() > alive.loc[worst].mean() + 0.2
    assert scores.loc[scores.triage.isin(["best", "average", "worst"]), "triage_reason"].str.contains(
        " because: ").all()
    assert np.isfinite(scores.loc[best, "clv"]).all()


def test_profitability_separates_planted_profitable_and_unprofitable(company, tmp_path):
    store, scores, customers, _ = company
    truth = customers.set_index("party_id")
    scored = truth.index.intersection(scores.index[scores.profit.notna()])
    truth = truth.loc[scored]
    # Margin never exceeds net revenue, so a customer whose acquisition cost exceeds their net revenue has
    # lost money to date, whatever the costs to serve.
    single = truth.duplicate_no.isna()  # a second registration would split the history
    losers = truth.index[single & (truth.acquisition_cost > truth.net_revenue + 1)]
    assert len(losers) > 50
    # (2 of about 260 on this seed have more revenue in the store than the truth gives them: left to look into.)
    assert (scores.loc[losers, "profit"] < 0).mean() > 0.97
    assert (scores.loc[scores.triage == "best", "profit_clv"] > 0).all()
    worst = scores.triage == "worst"
    assert (scores.loc[worst, "profit_clv"] <= 0).mean() > (scores.loc[~worst, "profit_clv"] <= 0).mean()
    # The cost to serve follows the planted service record: complainers cost more.
    complained = truth.index[truth.complaints > 0]
    calm = truth.index[truth.complaints == 0]
    assert scores.loc[complained, "cost_to_serve"].mean() > scores.loc[calm, "cost_to_serve"].mean() + 20
    from patron.service.profitability import profitability_report

    report = profitability_report(store, int(scores.run_id.iloc[0]), by="channel")
    assert report.unprofitable > 0 and report.peak_profit > report.total_profit
    assert {g["grp"] for g in report.groups} >= {"paid_search", "referral"}
    assert sum(g["customers"] for g in report.groups) == report.customers

    from typer.testing import CliRunner

    from patron.cli.app import app, register

    register()
    path = store.url.location
    if True:
        result = CliRunner().invoke(app, ["profitability", "--by", "rung", "--chart", str(tmp_path / "s.svg"),
                                          "--store", str(path)], catch_exceptions=False)
        assert result.exit_code == 0, result.stdout
        assert "Stobachoff" in result.stdout and "unprofitable" in result.stdout
        assert (tmp_path / "s.svg").read_text().startswith("<svg")
