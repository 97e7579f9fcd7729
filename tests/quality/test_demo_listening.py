"""The demo company's panel, mystery shoppers and field visits are recovered by their instrument reports: the panel's
quarterly trend, each firm's mystery-shopper score per dimension (ours against the competitors'), and the visits."""

from __future__ import annotations

import numpy as np
import pytest

from patron.areas.quality.service import instrument_report
from patron.service.permissions import User

ANALYST = User(2, "ann", "analyst")


def test_the_panels_planted_trend_is_recovered(company):
    store, truth = company
    planted = truth["listening"]["panel"]
    r = instrument_report(store, ANALYST, "panel")
    assert r["answers"] == planted["size"] * planted["quarters"] and r["respondents"] == planted["size"]
    assert r["main_scale"] == 5
    months = [m for m in r["by_month"] if m["mean_score"] is not None]
    # each quarter's answers fall in one month (or two: they are spread over two weeks)
    mean = np.array([m["mean_score"] for m in months])
    quarter = np.array([(int(m["month"][:4]) * 12 + int(m["month"][5:])) / 3 for m in months])
    weight = np.array([m["answers"] for m in months], float)
    slope = np.polyfit(quarter - quarter[0], mean, 1, w=np.sqrt(weight))[0]
    expected = np.polyfit(np.arange(planted["quarters"]), planted["expected_by_quarter"], 1)[0]
    assert slope == pytest.approx(expected, abs=0.04) and expected == pytest.approx(planted["trend_per_quarter"],
                                                                                     abs=0.01)


def test_mystery_shoppers_score_us_and_the_competitors_as_planted(company):
    store, truth = company
    planted = truth["listening"]["mystery_shopper"]
    r = instrument_report(store, ANALYST, "mystery_shopper")
    found = {(p["of"], p["dimension"]): p for p in r["perception"]}
    assert set(found) == {(w, d) for w, dims in planted["expected"].items() for d in dims}
    for (who, dim), p in found.items():
        assert p["n"] == planted["visits_per_firm"]
        assert abs(p["value"] - planted["expected"][who][dim]) < 3.5 * p["se"], (who, dim)
    # Bean Bros' planted lead on reliability (+0.9) shows; we beat them on empathy (they are 0.6 below)
    assert found[("Bean Bros", "reliability")]["low"] > found[("us", "reliability")]["high"]
    assert found[("us", "empathy")]["value"] > found[("Bean Bros", "empathy")]["value"]


def test_the_field_visits_are_counted_with_their_answers(company):
    store, truth = company
    planted = truth["listening"]["field_visit"]
    r = instrument_report(store, ANALYST, "field_visit")
    assert r["visits"] == planted["visits"] and r["respondents"] == planted["customers"]
    assert {k["instrument"]: k["answers"] for k in r["by_instrument"]} == {
        "csat": planted["csat_answers"], "suggestion": planted["suggestions"]}
    (score,) = r["scores"]
    assert score["low"] - 0.05 <= planted["csat_expected"] <= score["high"] + 0.05
