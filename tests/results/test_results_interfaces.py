"""The results area on the demo company: the page with its charts, the API and the CLI tell the same numbers."""

from __future__ import annotations

import csv
import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.demo import generate_demo, import_demo
from patron.service.analyze import AnalysisSettings, analyze
from patron.service.demo import record_demo_campaign
from patron.store import Store

PASSWORD = "correct horse battery"
runner = CliRunner()
register()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    files = generate_demo(root / "demo", 2000, 11).out
    path = root / "patron.duckdb"
    with Store(path) as store:
        import_demo(store, files)
        campaign_id = record_demo_campaign(store, files)
        analyze(store, AnalysisSettings(as_of="2025-08-31"))
        tokens = {role: issue_token(store, add_user(store, f"{role}_user", PASSWORD, role), "results")
                  for role in ("marketing", "sales")}
    with TestClient(create_app(str(path))) as client:
        yield client, tokens, campaign_id, path


def test_api_results_and_refusals(world):
    client, tokens, campaign_id, _ = world
    r = client.get(f"/api/v1/campaigns/{campaign_id}/results", params={"by": "rung"},
                   headers={"Authorization": f"Bearer {tokens['marketing']}"})
    assert r.status_code == 200, r.text
    body = r.json()
    response = body["treated_vs_control"]["response"]
    assert response["low"] > 0 and "Newcombe" in response["method"]
    assert body["groups"] and body["curves"]["qini_curve"][0]["share"] == 0.0
    refused = client.get(f"/api/v1/campaigns/{campaign_id}/results",
                         headers={"Authorization": f"Bearer {tokens['sales']}"})
    assert refused.status_code == 403
    bad = client.get(f"/api/v1/campaigns/{campaign_id}/results", params={"by": "colour"},
                     headers={"Authorization": f"Bearer {tokens['marketing']}"})
    assert bad.status_code == 422
    assert client.get("/api/v1/campaigns/999/results",
                      headers={"Authorization": f"Bearer {tokens['marketing']}"}).status_code == 404


def test_page_shows_the_charts_and_states_the_method(world, tmp_path):
    client, _, campaign_id, _ = world
    client.cookies.clear()
    page = client.get("/login").text
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "marketing_user", "password": PASSWORD, "csrf": csrf})
    r = client.get(f"/campaigns/{campaign_id}/results?by=rung")
    assert r.status_code == 200, r.text
    assert r.text.count("<svg") >= 3  # response and revenue intervals, and the curves
    assert "Newcombe" in r.text and "bootstrap (BCa)" in r.text and "Qini coefficient" in r.text
    assert "Win-back offer" in r.text
    (tmp_path / "results.html").write_text(r.text, encoding="utf-8")
    # the demo's recorded campaign is one of the campaigns: listed, and its own page shows its arms
    assert "Win-back offer" in client.get("/campaigns").text
    own = client.get(f"/campaigns/{campaign_id}")
    assert own.status_code == 200 and f'href="/campaigns/{campaign_id}/results"' in own.text
    assert 'id="arm-control"' in own.text
    client.cookies.clear()


def test_cli_campaign_uplift_model_and_before_after(world, tmp_path):
    _, _, campaign_id, served = world
    # The web app holds the file open for writing; the CLI reads a copy (with its write-ahead log).
    path = tmp_path / "copy.duckdb"
    shutil.copy(served, path)
    if served.with_name(served.name + ".wal").exists():
        shutil.copy(served.with_name(served.name + ".wal"), path.with_name(path.name + ".wal"))
    r = runner.invoke(app, ["results", "campaign", str(campaign_id), "--by", "rung", "--store", str(path)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "response rate" in r.output and "Newcombe" in r.output and "rung" in r.output
    out = tmp_path / "suggestions.csv"
    r = runner.invoke(app, ["results", "uplift-model", str(campaign_id), "--out", str(out), "--store", str(path)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "held out: Qini" in r.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) > 1000 and float(rows[0]["predicted_uplift"]) >= float(rows[-1]["predicted_uplift"])
    r = runner.invoke(app, ["results", "before-after", "--date", "2025-09-01", "--treated-campaign", str(campaign_id),
                            "--control-campaign", str(campaign_id), "--weeks", "8", "--store", str(path)],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "difference in differences" in r.output
    r = runner.invoke(app, ["results", "before-after", "--date", "2025-09-01", "--store", str(path)])
    assert r.exit_code != 0 and "Name the changed group once" in str(r.exception)
    assert runner.invoke(app, ["results", "--help"]).exit_code == 0
