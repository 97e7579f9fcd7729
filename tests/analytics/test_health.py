"""Health scorecard on a hand-made store; every figure is worked out in the comments."""

from __future__ import annotations

import pytest

from patron.analytics.health import HealthRules, health_scorecard


def _card(store, as_of="2024-04-10", **rules):
    df = health_scorecard(store, as_of, rules=HealthRules(**rules)).to_pandas()
    return df.set_index("party_id").sort_index()


@pytest.fixture
def built(store, facts, engine):
    f = facts
    # Party 1: buys every 30 days (Jan 1, Jan 31, Mar 1), NPS 8, one open high complaint, emailed Mar 10.
    f.party(1)
    for day in ("2024-01-01", "2024-01-31", "2024-03-01"):
        f.tx(1, day, 10)
    f.feedback(1, "2024-03-02", "nps", 8)
    f.complaint(1, "2024-03-05", severity="high")
    f.interaction(1, "2024-03-10")
    # Party 2: one purchase long ago.
    f.party(2)
    f.tx(2, "2023-06-01", 10)
    # Party 3: nothing at all. Party 4: a supplier, not scored.
    f.party(3)
    f.party(4, category="supplier")
    f.tx(4, "2024-04-01", 10)
    # Party 5: a resolved complaint (satisfaction 4 of 5), a critical one resolved only after as_of,
    # a low one marked closed without a date; CSAT 2/5 then 5/5 (latest counts); contact 227 days ago.
    f.party(5)
    f.tx(5, "2024-04-01", 10)
    f.complaint(5, "2024-02-01", status="resolved", resolved_at="2024-02-10", satisfaction_after=4)
    f.complaint(5, "2024-03-01", severity="critical", status="resolved", resolved_at="2024-05-01")
    f.complaint(5, "2024-01-01", severity="low", status="closed")
    f.feedback(5, "2024-01-01", "csat", 2, scale_max=5)
    f.feedback(5, "2024-03-01", "csat", 5)
    f.interaction(5, "2023-08-27")
    return engine(store)


def test_measures_and_total_by_hand(built):
    card = _card(built)
    one = card.loc[1]
    # Expected interval (Mar 1 - Jan 1) / 2 = 30 days; 40 days since: 100 * (1 - (40/30 - 1) / 2).
    assert one.recency == pytest.approx(100 * (1 - (40 / 30 - 1) / 2))
    assert one.frequency_trend == 100.0  # 3 purchase days in the last 180, none before
    assert one.satisfaction == 80.0 and one.complaints == 50.0 and one.contact == 100.0
    assert one.isna().recovery
    assert one.health == pytest.approx((0.3 * one.recency + 15 + 16 + 7.5 + 15) / 0.95)

    two = card.loc[2]
    # One-time buyer: the median interval of repeat buyers (30 days, party 1; party 5 bought once).
    assert two.recency == 0.0 and two.frequency_trend == 0.0 and two.complaints == 100.0
    assert two.health == pytest.approx((0.15 * 100) / 0.6)

    assert card.loc[3].isna().all()  # nothing known: no score at all
    assert 4 not in card.index

    five = card.loc[5]
    assert five.complaints == 0.0  # critical (100 points) still open on Apr 10
    assert five.recovery == pytest.approx(75.0)  # (4 - 1) / (5 - 1)
    assert five.satisfaction == 100.0
    assert five.contact == pytest.approx(100 * (1 - (227 - 90) / (365 - 90)))
    assert five.frequency_trend == 100.0


def test_trend_compares_with_the_score_trend_days_earlier(built):
    card = _card(built)
    # On 2024-01-11 party 2 is 224 days past its purchase, against the fallback of 90 days
    # (no one had bought twice yet): recency 100 * (1 - (224/90 - 1) / 2).
    before = 100 * (1 - (224 / 90 - 1) / 2)
    assert card.loc[2].health_before == pytest.approx((0.3 * before + 0.15 * 0 + 0.15 * 100) / 0.6)
    assert card.loc[2].health_trend == pytest.approx(card.loc[2].health - card.loc[2].health_before)
    assert card.loc[1].health_before == 100.0  # bought 10 days before, nothing else yet


def test_weights_are_configurable(built):
    card = _card(built, weights={"satisfaction": 1.0})
    assert card.loc[1].health == 80.0 and card.loc[5].health == 100.0
    assert card.isna().loc[2].health  # no answer: no total
    later = _card(built, as_of="2024-05-02", weights={"complaints": 1.0})
    assert later.loc[5].complaints == 100.0  # the critical one was resolved on May 1
    with pytest.raises(ValueError, match="unknown health measure"):
        HealthRules(weights={"mood": 1.0})
