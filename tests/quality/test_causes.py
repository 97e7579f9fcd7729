"""Causes: the taxonomy, the Pareto by count and by value, the fishbone SVG; the demo's cause shares."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from patron.areas.quality.causes import DEFAULT_TAXONOMY, bone_of, cause_pareto, fishbone_svg
from patron.errors import InvalidInput
from patron.service.permissions import User

ANALYST = User(1, "ann", "analyst")


def test_pareto_and_fishbone_on_the_demo(company):
    store, _ = company
    r = cause_pareto(store, ANALYST)
    n = store.scalar("SELECT count(*) FROM complaints")
    assert r["complaints"] == n
    counts = [x["complaints"] for x in r["by_count"]]
    assert counts == sorted(counts, reverse=True) and r["by_count"][-1]["cumulative"] == pytest.approx(1.0)
    values = [x["value"] for x in r["by_value"]]
    assert values == sorted(values, reverse=True)
    # the demo draws categories and their three causes uniformly: each of 18 causes near 1/18
    shares = [x["share"] for x in r["by_count"] if x["bone"] != "unclassified"]
    assert len(shares) == 18 and max(shares) < 2.2 / 18 and min(shares) > 0.4 / 18
    assert {x["bone"] for x in r["by_count"]} <= set(DEFAULT_TAXONOMY) | {"unclassified"}
    svg = fishbone_svg(store, ANALYST, "delivery")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t.startswith("courier delay (") for t in texts) and "partners" in texts
    with pytest.raises(InvalidInput, match="no complaints"):
        fishbone_svg(store, ANALYST, "weather")


def test_a_cause_sits_on_one_bone():
    with pytest.raises(InvalidInput, match="two bones"):
        bone_of({"people": ("late",), "process": ("Late",)})
