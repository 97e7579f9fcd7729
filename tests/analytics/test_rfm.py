"""RFM scores and segments on summaries whose quintiles are computed by hand."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from patron.analytics.rfm import DEFAULT_SEGMENTS, SEGMENTS, SegmentRule, rfm_scores


def _summary(rows):
    return ibis.memtable(pd.DataFrame(rows, columns=["party_id", "frequency", "recency", "T", "revenue"]))


def _run(engine, summary, **kw):
    return engine.execute(rfm_scores(summary, **kw)).set_index("party_id").sort_index()


def test_quintiles_of_distinct_values(engine):
    # Party i: i repeat purchases, last purchase 10 - i periods ago, revenue 100 * i.
    rows = [(i, i, 20, 30 - i, 100.0 * i) for i in range(10)]
    out = _run(engine, _summary(rows))
    expected = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]  # 1 + floor(5 * rank / 10)
    assert list(out.r_value) == [10 - i for i in range(10)]
    assert list(out.f_value) == [i + 1 for i in range(10)]
    assert list(out.r_score) == expected and list(out.f_score) == expected and list(out.m_score) == expected
    assert out.loc[9, "rfm_cell"] == "555" and out.loc[9, "segment"] == "champions"
    assert out.loc[0, "segment"] == "lost" and out.loc[2, "segment"] == "hibernating"  # R1 F1, R2 F2
    assert out.loc[4, "segment"] == "needs_attention" and out.loc[5, "segment"] == "needs_attention"
    assert out.loc[6, "segment"] == "loyal"  # R 4, F 4


def test_ties_share_the_score_of_their_first_position(engine):
    freqs = [0, 0, 0, 0, 0, 0, 1, 2, 3, 4]
    rows = [(i, f, 0, 5, 10.0) for i, f in enumerate(freqs)]
    out = _run(engine, _summary(rows))
    assert list(out.f_score) == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert set(out.m_score) == {1} and set(out.r_score) == {1}  # everyone tied


def test_segments_follow_the_rule_table_first_match_wins(engine):
    # R from recency alone (T fixed), F from frequency.
    rows = [(i, i, i, 9, 10.0 * i) for i in range(10)]  # most recent = highest frequency
    out = _run(engine, _summary(rows))
    assert out.loc[9, "segment"] == "champions"
    # A rule table of one box: everyone else is unclassified.
    only = (SegmentRule("top", (5, 5), (5, 5)),)
    out = _run(engine, _summary(rows), rules=only)
    assert out.loc[9, "segment"] == "top" and out.loc[0, "segment"] == "unclassified"
    # New: very recent, one purchase; can't lose them: long gone, very frequent.
    rows = [(1, 0, 0, 0, 1.0), (2, 9, 5, 400, 900.0)] + [(i, 3, 50, 100, 50.0) for i in range(3, 11)]
    out = _run(engine, _summary(rows))
    assert out.loc[1, "segment"] == "new"
    assert out.loc[2, "segment"] == "cant_lose_them"


def test_every_cell_of_the_default_table_has_a_segment():
    for r in range(1, 6):
        for f in range(1, 6):
            hits = [rule.segment for rule in DEFAULT_SEGMENTS if rule.r[0] <= r <= rule.r[1]
                    and rule.f[0] <= f <= rule.f[1]]
            assert hits, (r, f)
    assert {rule.segment for rule in DEFAULT_SEGMENTS} == set(SEGMENTS)


def test_monetary_column_defaults_to_monetary_value_without_revenue(engine):
    df = pd.DataFrame({"party_id": [1, 2], "frequency": [1, 1], "recency": [1, 1], "T": [2, 2],
                       "monetary_value": [5.0, 50.0]})
    out = engine.execute(rfm_scores(ibis.memtable(df), bins=2)).set_index("party_id")
    assert list(out.m_score) == [1, 2]
    with pytest.raises(ValueError):
        rfm_scores(ibis.memtable(df), bins=1)
