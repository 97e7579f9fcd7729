"""Measured response on the demo company: its planted campaign is recovered from the store, on both backends."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from patron.act import measure
from patron.demo import generate_demo, import_demo
from patron.errors import InvalidInput, NotFound
from patron.service.analyze import AnalysisSettings, analyze
from patron.service.demo import record_demo_campaign
from patron.store import Store


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return generate_demo(tmp_path_factory.mktemp("measure_demo"), 5000, 11).out


@pytest.fixture(scope="module")
def truth(demo_files):
    return json.loads((demo_files / "truth.json").read_text())["campaign"]


@pytest.fixture(scope="module")
def duck(demo_files, tmp_path_factory):
    """The 5,000-customer demo in DuckDB with its campaign (about 1,550 treated and control members to learn
    from), and a run on the data before the campaign."""
    files = demo_files
    store = Store(tmp_path_factory.mktemp("measure_store") / "demo.duckdb")
    import_demo(store, files)
    campaign_id = record_demo_campaign(store, files)
    analyze(store, AnalysisSettings(as_of="2025-08-31"))
    yield store, campaign_id
    store.close()


def _truth_groups(store, demo_files) -> dict[int, str]:
    members = pq.read_table(demo_files / "truth_campaign.parquet").to_pandas()
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    return {party_of[k]: g for k, g in zip(members.customer_no, members.group) if k in party_of}


def test_planted_uplift_is_recovered_on_both_backends(engine_store, demo_files, truth):
    import_demo(engine_store, demo_files)
    campaign_id = record_demo_campaign(engine_store, demo_files)
    assert record_demo_campaign(engine_store, demo_files) == campaign_id  # twice: one campaign
    members = engine_store.scalar("SELECT count(*) FROM campaign_members WHERE campaign_id = ?", [campaign_id])
    assert 0.98 * truth["members"] <= members <= truth["members"]

    result = measure.campaign_results(engine_store, campaign_id, groups=_truth_groups(engine_store, demo_files))
    response = result["treated_vs_control"]["response"]
    assert response["estimate"] > 0 and response["low"] > 0  # the sign
    assert response["low"] <= truth["true_uplift"] <= response["high"]  # the size, within its interval
    assert "Newcombe" in response["method"]
    revenue = result["treated_vs_control"]["revenue"]
    assert revenue["low"] > 0 and "BCa" in revenue["method"]
    assert any("CLV change" in n for n in result["notes"])  # no runs on this store: said, not invented

    groups = {g["group"]: g for g in result["groups"]}
    true = {g: v["true_uplift"] for g, v in truth["groups"].items()}
    for g, row in groups.items():
        assert row["response"]["low"] <= true[g] <= row["response"]["high"], (g, row["response"], true[g])
    # Where the uplift is largest: the same group in the truth and first in the measured breakdown.
    assert result["groups"][0]["group"] == max(true, key=true.get)
    # The group that reacts badly to pressure shows no reliable gain.
    assert groups["active frequent"]["response"]["low"] < 0


def test_results_by_rung_with_clv_change_and_the_uplift_model(duck):
    store, campaign_id = duck
    analyze(store, AnalysisSettings(as_of="2025-12-31"))
    result = measure.campaign_results(store, campaign_id, by="rung")
    assert result["run_before"] and result["run_after"] and result["run_before"] != result["run_after"]
    clv = result["treated_vs_control"]["clv_change"]
    assert np.isfinite(clv["estimate"]) and clv["low"] <= clv["estimate"] <= clv["high"]
    rungs = [g["group"] for g in result["groups"]]
    assert len(rungs) >= 2 and len(set(rungs)) == len(rungs)
    curves = result["curves"]
    assert curves["qini_curve"][0] == {"share": 0.0, "value": 0.0}
    assert curves["qini_curve"][-1]["share"] == pytest.approx(1.0)

    model = measure.uplift_suggestions(store, campaign_id, seed=0)
    assert model["run_id"] == result["run_before"]
    # Better than targeting at random on members it never saw (0.14 against 20 random orders' 0.00 +- 0.05).
    assert model["qini_held_out"] > model["qini_random_mean"] + 2 * model["qini_random_sd"]
    assert model["qini_held_out"] > 0.1
    ranked = [s["predicted_uplift"] for s in model["suggestions"]]
    assert ranked == sorted(ranked, reverse=True)


def test_before_after_recovers_the_campaign_step(duck):
    store, campaign_id = duck
    arms = store.query("SELECT party_id, arm FROM campaign_members WHERE campaign_id = ?", [campaign_id])
    treated = [p for p, a in arms if a == "treated"]
    control = [p for p, a in arms if a == "control"]
    when = dt.datetime(2025, 9, 1, 9, 0)
    result = measure.before_after(store, when, treated, control, weeks=8)
    revenue = measure.campaign_results(store, campaign_id)["treated_vs_control"]["revenue"]["estimate"]
    weekly = revenue / 8
    assert result["estimate"] > 0
    assert result["low"] <= weekly <= result["high"]
    with pytest.raises(InvalidInput, match="both"):
        measure.before_after(store, when, treated[:5], treated[:5])


def test_bad_requests_say_what(duck):
    store, campaign_id = duck
    with pytest.raises(NotFound, match="no campaign 999"):
        measure.campaign_results(store, 999)
    with pytest.raises(InvalidInput, match="rung, segment, triage"):
        measure.campaign_results(store, campaign_id, by="colour")
    with pytest.raises(InvalidInput, match="1 to 730 days"):
        measure.campaign_results(store, campaign_id, window_days=0)
