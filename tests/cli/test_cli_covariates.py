"""``patron analyze --covariates``: on a small demo store the run fits the acquisition channel's coefficients,
saves and prints them, scores each party with its own parameters; bad columns get a clear error.

The demo's webshop export has planted defects: duplicate registrations and orders of customers whose record did
not load have no channel. The analysis refuses the column, saying for how many parties; once a parties file
fills them in (``patron import parties``), it runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.users.service import add_user, get_user
from patron.cli.app import app, register
from patron.errors import InvalidInput
from patron.models import BetaGeo, ParetoNBD
from patron.store import Store

register()
runner = CliRunner()
PASSWORD = "a long enough password"


def run(*args, catch=False):
    return runner.invoke(app, list(args), catch_exceptions=catch, env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def raw_demo(tmp_path_factory):
    """The demo company as imported, some buyers without an acquisition channel."""
    folder = tmp_path_factory.mktemp("covariates_demo")
    store = folder / "p.duckdb"
    r = run("demo", "--customers", "600", "--seed", "5", "--out", str(folder / "data"), "--store", str(store),
            "--no-analyze", "--no-serve")
    assert r.exit_code == 0, r.output
    return store


def _copy(store, folder):
    for suffix in ("", ".wal"):
        if Path(f"{store}{suffix}").exists():
            shutil.copy(f"{store}{suffix}", folder / f"p.duckdb{suffix}")
    return folder / "p.duckdb"


def _without_channel(store, column="acquisition_channel"):
    with Store(store) as s:
        return [r[0] for r in s.query(
            "SELECT i.source_key FROM parties p JOIN identities i USING (party_id) WHERE i.source = 'webshop' AND "
            f"p.{column} IS NULL AND party_id IN (SELECT party_id FROM transactions) ORDER BY 1")]


@pytest.fixture(scope="module")
def demo_store(raw_demo, tmp_path_factory):
    """The demo company with the missing channels ('unknown') and acquisition costs (0) filled in by parties files,
    as a user would."""
    folder = tmp_path_factory.mktemp("covariates_filled")
    store = _copy(raw_demo, folder)
    for column, value in (("acquisition_channel", "unknown"), ("acquisition_cost", "0")):
        fill = folder / f"{column}.csv"
        fill.write_text(f"customer_id,{column}\n" + "".join(f"{k},{value}\n" for k in _without_channel(store, column)))
        r = run("import", "parties", str(fill), "--source", "webshop", "--store", str(store))
        assert r.exit_code == 0, r.output
        assert _without_channel(store, column) == []
    return store


def _last_run(store):
    with Store(store) as s:
        run_id, settings, diagnostics = s.query(
            "SELECT run_id, settings, diagnostics FROM runs ORDER BY run_id DESC LIMIT 1")[0]
        scores = s.query("SELECT s.party_id, p.acquisition_channel, s.frequency, s.recency, s.t, s.p_alive "
                         "FROM scores s JOIN parties p USING (party_id) WHERE s.run_id = ? AND s.t IS NOT NULL "
                         "ORDER BY s.party_id", [run_id])
    return run_id, json.loads(settings), json.loads(diagnostics), scores


@pytest.mark.parametrize("model, plain, scaled", [("pareto", ParetoNBD, {"alpha": -1, "beta": -1}),
                                                   ("bgnbd", BetaGeo, {"alpha": -1, "a": 1, "b": 1})])
def test_analyze_with_the_acquisition_channel(demo_store, model, plain, scaled):
    r = run("analyze", "--model", model, "--covariates", "acquisition_channel", "--store", str(demo_store))
    assert r.exit_code == 0, r.stdout
    said = " ".join(r.stdout.split())
    assert f"covariates of the {plain.__name__}Covariates" in said and "compared with" in said
    run_id, settings, d, scores = _last_run(demo_store)
    assert settings["covariates"] == ["acquisition_channel"]
    fit = d["transaction_model"]
    design = fit["covariates"][0]
    assert design["column"] == "acquisition_channel" and design["kind"] == "category"
    levels = design["levels"]
    assert len(levels) >= 3 and design["counts"] == sorted(design["counts"], reverse=True)  # reference: most common
    rows = fit["coefficients"]
    assert len(rows) == len(scaled) * (len(levels) - 1)
    assert {row["covariate"] for row in rows} == {f"acquisition_channel={v}" for v in levels[1:]}
    for row in rows:
        assert 0 < row["standard_error"] < np.inf and row["low"] < row["coefficient"] < row["high"]
        assert f"{row['coefficient']:+.3f}" in said  # printed
    # The demo's consumers buy and leave by one process whatever their channel: their coefficients are near 0.
    # Its business accounts (field_sales) are invoiced monthly: they buy more often.
    consumers = [row for row in rows if row["covariate"] != "acquisition_channel=field_sales"]
    assert all(abs(row["coefficient"]) < 3 * row["standard_error"] for row in consumers), consumers
    business = next(row for row in rows if row["name"] == "gamma1_acquisition_channel=field_sales")
    assert business["parameter"] == "alpha" and business["coefficient"] > 2 * business["standard_error"]
    assert fit["log_likelihood"] >= fit["plain_model"]["log_likelihood"] - 1e-6
    assert len(scores) > 400
    # Each party is scored with its own parameters: theta0 · exp(sign · gamma · z) of its channel.
    coefficient = {(row["parameter"], row["covariate"]): row["coefficient"] for row in rows}
    for party_id, channel, x, t_x, T, p_alive in scores[::25]:
        own = {}
        for name, value in fit["params"].items():
            base = name.removesuffix("0")
            gamma = coefficient.get((base, f"acquisition_channel={channel}"), 0.0)
            own[base] = value * np.exp(scaled.get(base, 0) * gamma)
        assert p_alive == pytest.approx(float(plain.from_params(**own).probability_alive(x, t_x, T)), rel=1e-9), \
            party_id
    # Shown where the fit is shown: the diagnostics' model fit.
    from patron.areas.diagnostics.service import diagnostics
    from patron.service.permissions import User

    with Store(demo_store) as s:
        shown = diagnostics(s, User(0, "admin", "admin"), run_id=run_id)
        if not get_user(s, "pat"):
            add_user(s, "pat", PASSWORD, "analyst")
    assert shown["fit"]["coefficients"] == rows and shown["model"] == plain.__name__
    with TestClient(create_app(str(demo_store))) as client:  # and on the page, signed in through the form
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"username": "pat", "password": PASSWORD, "csrf": csrf},
                           follow_redirects=False).status_code == 303
        page = client.get("/diagnostics").text
    table = page.split('id="coefficients"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(rows) + 1 and f"acquisition_channel={levels[1]}" in table
    assert f"compared with {levels[0]}" in page and "drawn from the " + plain.__name__ in page


def test_a_numeric_covariate_is_per_standard_deviation(demo_store):
    r = run("analyze", "--model", "pareto", "--covariates", "acquisition_channel,acquisition_cost", "--store",
            str(demo_store))
    assert r.exit_code == 0, r.stdout
    assert "acquisition_cost: per standard deviation" in " ".join(r.stdout.split())
    _, settings, d, _ = _last_run(demo_store)
    assert settings["covariates"] == ["acquisition_channel", "acquisition_cost"]
    fit = d["transaction_model"]
    cost = fit["covariates"][1]
    assert cost["kind"] == "number" and cost["sd"] > 0
    gamma = {(row["parameter"], row["covariate"]): row["coefficient"] for row in fit["coefficients"]}
    assert {("alpha", "acquisition_cost"), ("beta", "acquisition_cost")} <= set(gamma)
    with Store(demo_store) as s:
        rows = s.query("SELECT p.acquisition_channel, p.acquisition_cost, s.frequency, s.recency, s.t, s.p_alive "
                       "FROM scores s JOIN parties p USING (party_id) WHERE s.run_id = (SELECT max(run_id) FROM runs) "
                       "AND s.t IS NOT NULL ORDER BY s.party_id")
    for channel, amount, x, t_x, T, p_alive in rows[::40]:
        z = round((float(amount) - cost["mean"]) / cost["sd"] / 0.05) / 20  # standardised, to 0.05 sd
        own = {"r": fit["params"]["r"], "s": fit["params"]["s"]}
        for name in ("alpha", "beta"):
            own[name] = fit["params"][f"{name}0"] * np.exp(
                -gamma.get((name, f"acquisition_channel={channel}"), 0.0) - gamma[(name, "acquisition_cost")] * z)
        assert p_alive == pytest.approx(float(ParetoNBD.from_params(**own).probability_alive(x, t_x, T)), rel=1e-9)


def test_bad_covariates_are_refused_with_a_clear_error(demo_store):
    env = {**os.environ, "PATRON_STORE": str(demo_store)}
    out = subprocess.run([sys.executable, "-m", "patron", "analyze", "--covariates", "acquisition_chanel"],
                         capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    message = " ".join(out.stderr.split())
    assert "'acquisition_chanel' is not a column of the party record" in message
    assert "acquisition_channel" in message.split("Covariates can be:")[1]
    for columns, expected in (("category", "is the same for all"), ("birth_date", "not a category or a number"),
                              ("name", "cannot be a covariate"), ("acquisition_channel,acquisition_channel",
                                                                    "named twice")):
        r = run("analyze", "--covariates", columns, "--store", str(demo_store), catch=True)
        assert r.exit_code != 0 and isinstance(r.exception, InvalidInput), (columns, r.exception)
        assert expected in str(r.exception), (columns, str(r.exception))
    r = run("analyze", "--model", "mbgnbd", "--covariates", "acquisition_channel", "--store", str(demo_store),
            catch=True)
    assert isinstance(r.exception, InvalidInput) and "--model bgnbd or --model pareto" in str(r.exception)


def test_a_column_missing_for_some_parties_says_how_many(raw_demo, tmp_path):
    store = _copy(raw_demo, tmp_path)
    missing = len(_without_channel(store))
    with Store(store) as s:
        buyers = s.scalar("SELECT count(DISTINCT party_id) FROM transactions")
    assert missing > 0
    r = run("analyze", "--covariates", "acquisition_channel", "--store", str(store), catch=True)
    assert isinstance(r.exception, InvalidInput), r.output
    message = str(r.exception)
    assert f"The covariate 'acquisition_channel' is missing for {missing:,} of the " in message
    assert "patron import parties" in message
    assert int(message.split(" of the ")[1].split()[0].replace(",", "")) <= buyers
