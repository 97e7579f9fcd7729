"""Triage on profitability × relationship quality tables whose cuts are known by construction (seed 004)."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from patron.analytics.triage import GROUP_PLANS, TriageRules, triage, triage_cuts, triage_matrix, triage_rules_from
from patron.errors import InvalidInput


def _tables(values, qualities):
    v = ibis.memtable(pd.DataFrame({"party_id": range(len(values)), "clv": values}))
    q = ibis.memtable(pd.DataFrame({"party_id": range(len(qualities)), "health": qualities}))
    return v, q


def _run(engine, values, qualities, **kw):
    v, q = _tables(values, qualities)
    return engine.execute(triage(v, q, **kw)).set_index("party_id").sort_index()


def test_groups_follow_the_seed(engine):
    # Values: two unprofitable, then 10..60; the median of all eight is 25 (DuckDB's quantile: continuous
    # or discrete, both put 20 below and 30 above). The health median is 45 (40 and 50 either side).
    values = [-5.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    qualities = [80.0, 70.0, 0.0, 60.0, 10.0, 50.0, 20.0, 40.0]
    out = _run(engine, values, qualities)
    assert list(out.triage) == ["worst", "worst", "average", "average", "average", "best", "average", "average"]
    assert list(out.value_tier) == ["low", "low", "mid", "mid", "high", "high", "high", "high"]
    assert out.loc[0, "triage_reason"].startswith("worst because: unprofitable (CLV -5")  # -5.0 on DuckDB, -5 on PostgreSQL
    assert out.loc[3, "triage_reason"].startswith("average because: strong (health 60")
    assert "but marginal" in out.loc[3, "triage_reason"]
    assert out.loc[4, "triage_reason"].startswith("average because: profitable (CLV 30")
    assert out.loc[5, "triage_reason"].startswith("best because: profitable")
    assert out.loc[5, "plan"] == GROUP_PLANS["best"]


def test_lost_is_worst_and_at_risk_never_silently_best(engine):
    values = [100.0, 100.0, 100.0, 1.0]
    qualities = [90.0, 90.0, 90.0, 10.0]
    v, q = _tables(values, qualities)
    lost = ibis.memtable(pd.DataFrame({"party_id": [0], "lost": [True]}))
    risk = ibis.memtable(pd.DataFrame({"party_id": [1], "at_risk": [True]}))
    out = engine.execute(triage(v, q, lost=lost, at_risk=risk)).set_index("party_id").sort_index()
    assert list(out.triage) == ["worst", "average", "best", "average"]
    assert out.loc[0, "triage_reason"] == "worst because: the relationship is lost (lapsed)"
    assert out.loc[1, "triage_reason"].startswith("average because: profitable and strong, but at risk")
    allowed = engine.execute(triage(v, q, at_risk=risk, rules=TriageRules(at_risk_can_be_best=True)))
    reason = allowed.set_index("party_id").loc[1, "triage_reason"]
    assert reason.startswith("best because") and reason.endswith("though at risk")


def test_cuts_found_first_give_the_same_triage_and_carry_columns(engine):
    # One wide table, as a value run passes it: value, quality, lost and at-risk columns, and one to carry.
    wide = ibis.memtable(pd.DataFrame({
        "party_id": range(8), "clv": [-5.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        "health": [80.0, 70.0, 0.0, 60.0, 10.0, 50.0, 20.0, 40.0],
        "lost": [False, False, False, False, False, False, True, False],
        "at_risk": [False, False, False, False, False, True, False, False], "rung": list("abcdefgh")}))
    sides = {"lost": wide, "at_risk": wide}
    cuts = triage_cuts(wide, wide, **sides)
    assert cuts == (20.0, 50.0)  # the live parties' medians (the lost one, 50 and 20, left out)
    joined = engine.execute(triage(wide, wide, **sides)).set_index("party_id").sort_index()
    found = engine.execute(triage(wide, wide, **sides, cuts=cuts, carry=("rung", "at_risk"))
                           ).set_index("party_id").sort_index()
    assert found.drop(columns=["rung", "at_risk"]).equals(joined)
    assert list(found.rung) == list("abcdefgh") and list(found.at_risk) == [False] * 5 + [True, False, False]
    assert list(found.triage) == ["worst", "worst", "average", "best", "average", "average", "worst", "average"]
    # Cuts of some parties (the first five) applied to all: the others are triaged against them.
    five = wide.filter(wide.party_id < 5)
    assert triage_cuts(five, five, lost=five, at_risk=five) == (10.0, 60.0)
    other = engine.execute(triage(wide, wide, **sides, cuts=(10.0, 60.0))).set_index("party_id").sort_index()
    assert "CLV 30 ≥ 10" in other.loc[4, "triage_reason"].replace(".0", "")


def test_fixed_cuts_and_missing_quality(engine):
    values = [10.0, 500.0, 2000.0]
    qualities = [90.0, 30.0]  # party 2 has no health score
    out = _run(engine, values, qualities, rules=TriageRules(profitable_min=100, strong_min=50))
    assert list(out.triage) == ["average", "average", "unrated"]
    assert "the configured cut" in out.loc[0, "triage_reason"]
    assert out.loc[2, "plan"].startswith("Measure first")


def test_matrix_counts_cells(engine):
    v, q = _tables([-1.0, 5.0, 50.0, 60.0], [10.0, 20.0, 80.0, 90.0])
    m = engine.execute(triage_matrix(triage(v, q)))
    cells = {(r.value_tier, r.quality_tier): (r.triage, r.parties) for r in m.itertuples()}
    assert cells == {("low", "low"): ("worst", 1), ("mid", "low"): ("average", 1), ("high", "high"): ("best", 2)}


def test_rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[triage]\nprofitable_quantile = 0.7\nunprofitable_max = 5\n")
    assert triage_rules_from(path) == TriageRules(profitable_quantile=0.7, unprofitable_max=5)
    path.write_text("[triage]\nprofitable_quantile = 2\n")
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        triage_rules_from(path)
    path.write_text("[triage]\nbest_share = 0.2\n")
    with pytest.raises(InvalidInput, match="Unknown triage rule 'best_share'"):
        triage_rules_from(path)
