"""The demo company's planted drivers of NPS and satisfaction are recovered by patron's driver analysis (Johnson's
relative weights with bootstrap intervals): the pooled order, each value tier's top driver, and at item level."""

from __future__ import annotations

import pytest

from patron.areas.quality.service import drivers_report
from patron.service.permissions import User

ANALYST = User(2, "ann", "analyst")


def test_the_planted_order_of_drivers_is_recovered(company):
    store, truth = company
    planted = truth["drivers"]
    assert planted["questionnaires"]["high"] > 100 and planted["questionnaires"]["other"] > 100
    for target in ("nps", "csat"):
        r = drivers_report(store, ANALYST, target=target)
        found = [d["dimension"] for d in r["drivers"]]
        assert found[:3] == planted["order"]["all"][:3], target
        top, second, *rest = r["drivers"]
        # the planted leader stands clear of the second, and the second's interval of the last
        assert top["weight"] > 1.5 * second["weight"] and second["weight"] > 1.5 * rest[0]["weight"]
        assert top["low"] > rest[0]["high"] and second["low"] > rest[-1]["high"]
        assert all(d["low"] <= d["weight"] <= d["high"] for d in r["drivers"])
        assert sum(d["weight"] for d in r["drivers"]) == pytest.approx(r["r2"])
        assert {d["quadrant"] for d in r["drivers"]} <= {"keep it up", "concentrate here", "possible overkill",
                                                         "low priority"}


def test_each_value_tier_has_its_own_top_driver(company):
    store, truth = company
    planted = truth["drivers"]["order"]
    r = drivers_report(store, ANALYST, by="value_tier")
    groups = {g["group"]: {d["driver"]: d for d in g["drivers"]} for g in r["groups"]}
    assert {"high", "mid"} <= set(groups)
    high, mid = groups["high"], groups["mid"]
    # the valuable customers' planted leader leads among the run's high tier, clearly
    leader = planted["high"][0]
    assert max(high.values(), key=lambda d: d["weight"])["driver"] == leader
    assert high[leader]["low"] > max(d["high"] for k, d in high.items() if k != leader and k != planted["high"][1])
    # the other customers' leader matters far more outside the high tier than inside it
    other = planted["other"][0]
    assert mid[other]["low"] > high[other]["weight"] and mid[other]["weight"] > 3 * high[other]["weight"]


def test_items_of_the_leading_dimension_lead_at_item_level(company):
    store, truth = company
    r = drivers_report(store, ANALYST, level="item")
    assert r["level"] == "item" and len(r["drivers"]) == 22
    prefix = truth["drivers"]["order"]["all"][0][:3].upper()
    assert all(d["driver"].startswith(prefix) for d in r["drivers"][:3])


def test_shapley_r2_finds_the_same_planted_order(company):
    store, truth = company
    r = drivers_report(store, ANALYST, target="nps", method="shapley", n_boot=100)
    assert r["method"] == "shapley"
    assert [d["dimension"] for d in r["drivers"]][:3] == truth["drivers"]["order"]["all"][:3]
    assert sum(d["weight"] for d in r["drivers"]) == pytest.approx(r["r2"])
    johnson = drivers_report(store, ANALYST, target="nps", n_boot=10)
    assert r["r2"] == pytest.approx(johnson["r2"], abs=1e-9)  # one model, two ways to share its R²
