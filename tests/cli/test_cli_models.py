"""Choosing the model from the command line: --model auto, BG/BB on periods, weeks as lifetimes counts them,
the sBG retention command; intervals and the model comparison printed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from companies import bgnbd_orders
from patron.cli.app import app, register
from patron.models.scoring import PERIODS_PER_MONTH
from patron.store import Store

register()
runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})


def _store(tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(400, 7)))
    store = tmp_path / "p.duckdb"
    assert run("import", "transactions", str(orders), "--store", str(store)).exit_code == 0
    return store


def _diagnostics(store):
    with Store(store) as s:
        settings, diagnostics = s.query("SELECT settings, diagnostics FROM runs ORDER BY run_id DESC LIMIT 1")[0]
    return json.loads(settings), json.loads(diagnostics)


def test_auto_chooses_the_lowest_aic_and_says_why_with_intervals(tmp_path):
    store = _store(tmp_path)
    r = run("analyze", "--model", "auto", "--store", str(store))
    assert r.exit_code == 0, r.stdout
    said = " ".join(r.stdout.split())
    assert "Model chosen by AIC:" in said and "95% interval" in said and "Total CLV" in said
    _, d = _diagnostics(store)
    choice = d["model_choice"]
    scored = [c for c in choice["candidates"] if "aic" in c]
    assert {c["model"] for c in choice["candidates"]} == {"bgnbd", "pareto", "mbgnbd"}
    best = min((c for c in scored if c["sound"]), key=lambda c: c["aic"])
    assert choice["chosen"] == best["model"]
    assert d["transaction_model"]["name"] == best["name"]
    assert d["transaction_model"]["log_likelihood"] == best["log_likelihood"]
    intervals = d["intervals"]
    assert intervals["total_clv_low"] < intervals["total_clv"] < intervals["total_clv_high"]
    for name, (low, high) in intervals["parameters"]["transaction_model"].items():
        assert low < d["transaction_model"]["params"][name] < high
    # The run's total is the sum of its customers' CLVs: the interval is about the same number.
    with Store(store) as s:
        total = s.scalar("SELECT sum(clv) FROM scores WHERE run_id = (SELECT max(run_id) FROM runs)")
    assert abs(total - intervals["total_clv"]) < 1e-6 * total


def test_bgbb_runs_on_weekly_opportunities(tmp_path):
    store = _store(tmp_path)
    r = run("analyze", "--model", "bgbb", "--time-unit", "week", "--store", str(store))
    assert r.exit_code == 0, r.stdout
    settings, d = _diagnostics(store)
    assert settings["model"] == "bgbb" and d["transaction_model"]["name"] == "BetaGeoBetaBinom"
    assert set(d["transaction_model"]["params"]) == {"alpha", "beta", "gamma", "delta"}
    with Store(store) as s:
        bad = s.scalar("SELECT count(*) FROM scores WHERE run_id = (SELECT max(run_id) FROM runs) "
                       "AND frequency IS NOT NULL AND (p_alive < 0 OR p_alive > 1 OR clv < 0)")
    assert bad == 0


def test_weeks_per_month_as_lifetimes():
    # lifetimes' customer_lifetime_value: freq "W" -> 4.345 weeks per month, "D" -> 30, "M" -> 1.
    assert PERIODS_PER_MONTH == {"day": 30.0, "week": 4.345, "month": 1.0}


def test_retention_command_fits_the_published_cohort():
    r = run("retention", "1000,631,468,382,326,289,262,241", "--project", "3")
    assert r.exit_code == 0, r.stdout
    assert "0.704" in r.stdout and "1.182" in r.stdout and "retention by tenure" in r.stdout
    bad = runner.invoke(app, ["retention", "1000,1200"])
    assert bad.exit_code != 0 and "never increase" in str(bad.exception)


def test_a_customers_intervals_in_the_360_and_its_reasons(tmp_path):
    from patron.areas.parties.schemas import Party360
    from patron.areas.parties.service import party_360
    from patron.service.permissions import User

    store = _store(tmp_path)
    assert run("analyze", "--store", str(store)).exit_code == 0
    admin = User(user_id=0, username="test", role="admin")
    with Store(store) as s:
        party = s.scalar("SELECT party_id FROM scores WHERE frequency > 2 ORDER BY clv DESC LIMIT 1")
        view = party_360(s, admin, party)
    score = view["scores"]
    low, high = score["intervals"]["clv"]
    assert low < score["clv"] < high
    p_low, p_high = score["intervals"]["p_alive"]
    assert p_low <= score["p_alive"] <= p_high
    assert any(reason.startswith("How sure: CLV 95% interval") for reason in view["reasons"])
    assert Party360.model_validate(view).scores.intervals.clv == (low, high)
