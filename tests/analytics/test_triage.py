"""Triage on value × quality tables whose terciles are known by construction."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from patron.analytics.triage import CELL_PLANS, GROUP_PLANS, TriageCuts, triage, triage_matrix


def _tables(values, qualities):
    v = ibis.memtable(pd.DataFrame({"party_id": range(len(values)), "clv": values}))
    q = ibis.memtable(pd.DataFrame({"party_id": range(len(qualities)), "health": qualities}))
    return v, q


def _run(engine, values, qualities, **kw):
    v, q = _tables(values, qualities)
    return engine.execute(triage(v, q, **kw)).set_index("party_id").sort_index()


def test_terciles_and_groups(engine):
    # Values 0..8 -> tiers low (0-2), mid (3-5), high (6-8); qualities are a permutation.
    values = [float(i) for i in range(9)]
    qualities = [float((i * 4) % 9) for i in range(9)]  # 0 4 8 3 7 2 6 1 5
    out = _run(engine, values, qualities)
    assert list(out.value_tier) == ["low"] * 3 + ["mid"] * 3 + ["high"] * 3
    assert list(out.quality_tier) == ["low", "mid", "high", "mid", "high", "low", "high", "low", "mid"]
    assert list(out.triage) == ["worst", "worst", "average", "average", "best", "worst", "best", "average",
                                "best"]
    assert out.loc[6, "plan"] == GROUP_PLANS["best"]
    assert out.loc[7, "cell_plan"] == CELL_PLANS[("high", "low")]  # valuable but unhappy: rescue


def test_fixed_cut_offs_ties_and_missing_quality(engine):
    values = [10.0, 10.0, 10.0, 500.0, 2000.0]
    qualities = [90.0, 50.0, 10.0, 60.0]  # party 4 has no health score
    out = _run(engine, values, qualities, cuts=TriageCuts(value=(100, 1000), quality=(40, 70)))
    assert list(out.value_tier) == ["low", "low", "low", "mid", "high"]
    assert list(out.quality_tier[:4]) == ["high", "mid", "low", "mid"]
    assert list(out.triage) == ["average", "worst", "worst", "average", "unrated"]
    assert out.loc[4, "plan"].startswith("Measure first")
    # Terciles: the three tied values share the lowest tier; the missing quality is left out of the ranks.
    out = _run(engine, values, qualities)
    assert list(out.value_tier) == ["low", "low", "low", "mid", "high"]  # 1 + floor(3 * [0 0 0 3 4] / 5)
    assert list(out.quality_tier[:4]) == ["high", "low", "low", "mid"]  # ranks of 90 50 10 60 among 4
    with pytest.raises(ValueError):
        triage(*_tables(values, qualities), cuts=TriageCuts(value=(5, 1)))


def test_matrix_counts_cells(engine):
    v, q = _tables([float(i) for i in range(9)], [float(i) for i in range(9)])
    m = engine.execute(triage_matrix(triage(v, q)))
    cells = {(r.value_tier, r.quality_tier): (r.triage, r.parties, r.total_value) for r in m.itertuples()}
    assert cells == {("low", "low"): ("worst", 3, 3.0), ("mid", "mid"): ("average", 3, 12.0),
                     ("high", "high"): ("best", 3, 21.0)}
