"""Profitability and the intervals stored with the scores, on the page, the API and the command line, on both stores.

A small demo company is analysed on a DuckDB file and on PostgreSQL; every figure the interfaces show is checked
against the scores table itself.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from signin_helpers import PASSWORD, signed_in
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.demo import generate_demo, import_demo
from patron.service.analyze import analyze
from patron.store import Store


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("profit-demo") / "data"
    generate_demo(folder, 400, 5)
    return folder


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def analysed(request, demo_data, tmp_path):
    url = (str(tmp_path / "p.duckdb") if request.param == "duckdb"
           else request.getfixturevalue("postgres_server").new_database())
    with Store(url) as store:
        import_demo(store, demo_data)
        run = analyze(store)
        token = issue_token(store, add_user(store, "pat", PASSWORD, "analyst"), "t")
    return url, run.run_id, token


def _sums(url: str, run_id: int) -> dict:
    with Store(url) as store:
        rows = store.records("SELECT count(*) AS customers, sum(profit) AS profit, "
                             "count(*) FILTER (WHERE profit < 0) AS unprofitable, "
                             "sum(profit) FILTER (WHERE profit < 0) AS loss, "
                             "sum(profit) FILTER (WHERE profit > 0) AS gain "
                             "FROM scores WHERE run_id = ? AND profit IS NOT NULL", [run_id])
        by_channel = dict(store.query(
            "SELECT coalesce(CAST(p.acquisition_channel AS VARCHAR), '(none)'), sum(s.profit) FROM scores s "
            "JOIN parties p ON p.party_id = s.party_id WHERE s.run_id = ? AND s.profit IS NOT NULL GROUP BY 1",
            [run_id]))
        best = store.records("SELECT party_id, clv, clv_low, clv_high, p_alive, p_alive_low, p_alive_high, profit, "
                             "profit_clv FROM scores WHERE run_id = ? AND frequency > 2 ORDER BY clv DESC LIMIT 1",
                             [run_id])[0]
        intervals = store.records("SELECT count(*) AS n, count(clv_low) AS with_interval, count(*) FILTER "
                                  "(WHERE clv_low <= clv AND clv <= clv_high AND p_alive_low <= p_alive AND "
                                  "p_alive <= p_alive_high) AS bracketing FROM scores WHERE run_id = ? "
                                  "AND clv IS NOT NULL", [run_id])[0]
    return {**rows[0], "by_channel": by_channel, "best": best, "intervals": intervals}


def test_profitability_api_page_and_customer_page_agree_with_the_scores(analysed):
    url, run_id, token = analysed
    truth = _sums(url, run_id)
    # Every scored customer has intervals, and they bracket the estimate.
    assert truth["intervals"]["n"] > 300
    assert truth["intervals"]["with_interval"] == truth["intervals"]["bracketing"] == truth["intervals"]["n"]
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(url)) as client:
        body = client.get("/api/v1/profitability?by=channel", headers=auth).json()
        assert body["customers"] == truth["customers"] and body["unprofitable"] == truth["unprofitable"]
        assert body["total_profit"] == pytest.approx(truth["profit"], abs=0.01)
        assert body["unprofitable_loss"] == pytest.approx(truth["loss"], abs=0.01)
        assert body["peak_profit"] == pytest.approx(truth["gain"], abs=0.01)
        assert {g["grp"]: pytest.approx(g["profit"], abs=0.01) for g in body["groups"]} == truth["by_channel"]
        assert body["curve"][-1]["customers"] == truth["customers"]
        assert body["curve"][-1]["cumulative_profit"] == pytest.approx(truth["profit"], abs=0.01)
        assert f"{truth['unprofitable']:,} of {truth['customers']:,} customers are unprofitable" in body["description"]
        assert body["currency"] and "away, leaving " in body["description"]
        assert body["description"].count(f" {body['currency']}") >= 3  # every sum says its currency
        assert client.get("/api/v1/profitability?by=colour", headers=auth).status_code == 422

        best = truth["best"]
        scores = client.get(f"/api/v1/parties/{best['party_id']}", headers=auth).json()["scores"]
        assert scores["clv_low"] == pytest.approx(best["clv_low"]) and scores["p_alive_high"] == pytest.approx(
            best["p_alive_high"])
        assert scores["intervals"]["method"].startswith("delta method")
        assert scores["intervals"]["clv"] == pytest.approx([best["clv_low"], best["clv_high"]])

        signed_in(client, "pat")
        page = client.get("/profitability").text
        assert 'role="figure" aria-label="Cumulative profit by customer rank' in page
        assert f"{truth['unprofitable']:,} of {truth['customers']:,} customers are unprofitable" in page
        for by in ("segment", "rung", "channel", "triage"):
            assert f'id="profit-by-{by}"' in page
        customer = client.get(f"/customers/{best['party_id']}").text
        shown = re.search(r'id="clv-interval">95% interval (.+?) – (.+?)</div>', customer)
        assert shown, "the CLV interval is not on the customer page"
        assert float(re.sub(r"[^\d.]", "", shown.group(1))) == pytest.approx(best["clv_low"], abs=0.51)
        assert 'id="p-alive-interval"' in customer and 'id="profit-to-date"' in customer
        assert 'id="profit-clv"' in customer


def test_commands_show_the_intervals_and_the_profit(analysed):
    url = analysed[0]
    register()
    runner = CliRunner()
    listed = runner.invoke(app, ["customers", "--limit", "5", "--store", url])
    assert listed.exit_code == 0, listed.output
    assert "clv 95%" in listed.output and "delta method" in listed.output
    assert re.search(r"\d+–\d+", listed.output), listed.output
    profit = runner.invoke(app, ["profitability", "--by", "channel", "--store", url])
    assert profit.exit_code == 0, profit.output
    assert "customers are unprofitable" in profit.output


def test_diagnostics_pages_and_api_read_the_run(analysed):
    from patron.models import BetaGeo
    from patron.models.diagnostics import period_transactions

    url, run_id, token = analysed
    with Store(url) as store:
        rows = store.records("SELECT frequency, t FROM scores WHERE run_id = ? AND t IS NOT NULL", [run_id])
        params = json.loads(store.scalar("SELECT diagnostics FROM runs WHERE run_id = ?", [run_id]))[
            "transaction_model"]["params"]
        buyer = store.scalar("SELECT party_id FROM scores WHERE run_id = ? AND frequency >= 3 ORDER BY party_id "
                             "LIMIT 1", [run_id])
        p_alive = store.scalar("SELECT p_alive FROM scores WHERE run_id = ? AND party_id = ?", [run_id, buyer])
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(url)) as client:
        found = client.get("/api/v1/diagnostics", headers=auth).json()
        expected = period_transactions(BetaGeo.from_params(**params), [r["frequency"] for r in rows],
                                       [r["t"] for r in rows])
        assert found["period_transactions"]["actual"] == expected["actual"]
        assert found["period_transactions"]["expected"] == pytest.approx(expected["expected"], rel=1e-9)
        assert sum(found["p_of_n"]["p"]) == pytest.approx(1.0, abs=1e-9)
        track = found["tracking"]
        assert track["actual_cumulative"] == sorted(track["actual_cumulative"]) and track["holdout_actual"] > 0
        assert 0.7 < track["holdout_expected"] / track["holdout_actual"] < 1.3
        refused = client.get("/api/v1/diagnostics?split=1990-01-01", headers=auth)
        assert refused.status_code == 400 and "split date must fall between" in refused.json()["error"]
        path = client.get(f"/api/v1/parties/{buyer}/alive", headers=auth).json()
        # The history ends where the run's scores are: the same customer, the same P(alive).
        assert path["p_alive"][-1] == pytest.approx(p_alive, rel=1e-9)
        signed_in(client, "pat")
        page = client.get("/diagnostics").text
        for part in ("tracking", "period-transactions", "p-of-n", "matrix-expected", "matrix-p-alive"):
            assert f'id="{part}"' in page
        assert page.count('role="figure"') == 5
        assert 'role="figure" aria-label="P(alive) of customer' in client.get(f"/customers/{buyer}/alive").text
