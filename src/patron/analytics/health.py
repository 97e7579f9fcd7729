"""Relationship health: a scorecard of measures per party, each 0–100, and a weighted total.

Each measure is its own column so that a low total can be explained. A
measure without data for a party (no feedback yet, no repeat purchase) is
null and left out of that party's total: the total is the weighted mean of
the measures the party has, ``Σ wᵢ·sᵢ / Σ wᵢ`` over non-null ``sᵢ``.

Measures (all computed from facts dated on or before ``as_of``):

``recency``
    Days since the last purchase against the party's own expected
    inter-purchase time ``(last − first purchase day) / (purchase days − 1)``;
    for a one-time buyer, the median of that interval over all repeat buyers
    (or ``HealthRules.expected_interval_days``). 100 while the ratio
    days-since / expected is ≤ 1, 0 from ``overdue_ratio`` on, linear between.
``frequency_trend``
    Purchase days in the last ``trend_window_days`` against the window
    before: ``100 · recent / (recent + previous)`` (50 = steady); null when
    both are 0.
``satisfaction``
    The latest NPS or CSAT answer on a 0–100 scale: NPS ``score · 10``; CSAT
    ``(score − 1) / (scale_max − 1) · 100`` (``scale_max`` 5 when missing).
``complaints``
    ``100 −`` the severity points of complaints open at ``as_of`` (opened,
    and not resolved by then; a complaint marked resolved or closed without
    a ``resolved_at`` counts as resolved), floored at 0.
``recovery``
    Mean ``satisfaction_after`` of complaints resolved in the last
    ``recovery_window_days``, on its ``1..recovery_scale_max`` scale → 0–100.
``contact``
    Days since the last interaction: 100 up to ``contact_fresh_days``, 0 from
    ``contact_stale_days``, linear between.

``health_trend`` is the total at ``as_of`` minus the total at
``as_of − trend_days`` (null when either is null).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from patron.analytics.periods import as_of_instant, ordinal_of, period_ordinal
from patron.analytics.sources import Tables, table
from patron.analytics.summary import is_refund

#: Expected days between purchases when no party has bought twice yet.
_DEFAULT_INTERVAL = 90.0

MEASURES = ("recency", "frequency_trend", "satisfaction", "complaints", "recovery", "contact")


@dataclass(frozen=True)
class HealthRules:
    """Weights and thresholds of the health scorecard (see the module docstring)."""

    weights: dict[str, float] = field(default_factory=lambda: {
        "recency": 0.30,
        "frequency_trend": 0.15,
        "satisfaction": 0.20,
        "complaints": 0.15,
        "recovery": 0.05,
        "contact": 0.15,
    })
    overdue_ratio: float = 3.0
    expected_interval_days: float | None = None  # None: median over repeat buyers (90 if none)
    trend_window_days: int = 180
    severity_points: dict[str, float] = field(default_factory=lambda: {
        "low": 10.0, "medium": 25.0, "high": 50.0, "critical": 100.0,
    })
    recovery_window_days: int = 365
    recovery_scale_max: float = 5.0
    contact_fresh_days: int = 90
    contact_stale_days: int = 365
    trend_days: int = 90
    categories: tuple[str, ...] = ("customer", "ultimate_customer")

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(MEASURES)
        if unknown:
            raise ValueError(f"unknown health measure(s) {sorted(unknown)}; known: {', '.join(MEASURES)}")


def _clip(value: ir.NumericValue, low: float = 0.0, high: float = 100.0) -> ir.FloatingValue:
    """``value`` kept within [low, high]; null stays null (SQL GREATEST/LEAST skip nulls)."""
    clipped = ibis.greatest(ibis.least(value, high), low)
    return ibis.ifelse(value.isnull(), None, clipped).cast("float64")


def _ramp(value: ir.NumericValue, good: float, bad: float) -> ir.FloatingValue:
    """100 at or below ``good``, 0 at or above ``bad``, linear between."""
    return _clip(100.0 * (1.0 - (value - good) / (bad - good)))


def _scorecard(tables: Tables, instant: dt.datetime, rules: HealthRules, shared_days: ir.Table | None = None
               ) -> ir.Table:
    cutoff = ibis.literal(instant)
    today = ordinal_of(instant, "day")
    parties = table(tables, "parties")
    tx = table(tables, "transactions")
    interactions = table(tables, "interactions")
    feedback = table(tables, "feedback")
    complaints = table(tables, "complaints")

    # Purchase days, then one row per party.
    if shared_days is not None:  # a day counts when its first purchase is by the cutoff
        days = shared_days.filter(shared_days.first_at <= cutoff).select("party_id", "day")
    else:
        bought = tx.filter(~is_refund(tx), tx.occurred_at <= cutoff)
        days = bought.select("party_id", day=period_ordinal(bought.occurred_at, "day")).distinct()
    w = rules.trend_window_days
    per_party = days.group_by("party_id").aggregate(
        _first=days.day.min(),
        _last=days.day.max(),
        _days=days.count(),
        _recent=days.count(where=days.day > today - w),
        _previous=days.count(where=(days.day > today - 2 * w) & (days.day <= today - w)),
    )
    own_interval = ibis.ifelse(
        per_party._days > 1, (per_party._last - per_party._first) / (per_party._days - 1), None
    )
    per_party = per_party.mutate(_interval=own_interval.cast("float64"))
    if rules.expected_interval_days is not None:
        fallback = ibis.literal(float(rules.expected_interval_days))
    else:
        # A median joined in, not a median over a window: PostgreSQL has no ordered-set aggregate over a window.
        typical = per_party.aggregate(_typical=per_party._interval.median().cast("float64"))
        per_party = per_party.cross_join(typical)
        fallback = ibis.coalesce(per_party._typical, _DEFAULT_INTERVAL)
    expected = ibis.greatest(per_party._interval.fill_null(fallback), 1.0)  # never null
    since = today - per_party._last
    purchases = per_party.select(
        "party_id",
        recency=_ramp(since / expected, 1.0, rules.overdue_ratio),
        frequency_trend=ibis.ifelse(
            per_party._recent + per_party._previous > 0,
            100.0 * per_party._recent / (per_party._recent + per_party._previous),
            None,
        ).cast("float64"),
    )

    f = feedback.filter(feedback.occurred_at <= cutoff, feedback.instrument.isin(["nps", "csat"]),
                        feedback.score.notnull())
    scaled = ibis.ifelse(
        f.instrument == "nps",
        f.score * 10.0,
        (f.score - 1.0) / (f.scale_max.fill_null(5.0) - 1.0) * 100.0,
    )
    # The latest answer; answers given in the same second (an NPS and a CSAT of one survey) count the higher,
    # so every engine picks the same one.
    opinions = f.group_by("party_id").aggregate(
        satisfaction=_clip(scaled.argmax(f.occurred_at.epoch_seconds().cast("float64") * 1000.0 + scaled))
    )

    c = complaints.filter(complaints.opened_at <= cutoff)
    resolved_by_then = ibis.ifelse(
        c.resolved_at.isnull(), c.status.isin(["resolved", "closed"]), c.resolved_at <= cutoff
    )
    points = ibis.cases(
        *[(c.severity == name, float(p)) for name, p in rules.severity_points.items()], else_=0.0
    )
    recent_fix = resolved_by_then & c.resolved_at.notnull() & (
        c.resolved_at > cutoff - ibis.interval(days=rules.recovery_window_days)
    ) & c.satisfaction_after.notnull()
    grievances = c.group_by("party_id").aggregate(
        _open_points=points.sum(where=~resolved_by_then),
        _recovery=c.satisfaction_after.mean(where=recent_fix),
    )
    grievances = grievances.select(
        "party_id",
        complaints=_clip(100.0 - grievances._open_points.fill_null(0.0)),
        recovery=_clip((grievances._recovery - 1.0) / (rules.recovery_scale_max - 1.0) * 100.0),
    )

    i = interactions.filter(interactions.occurred_at <= cutoff)
    contact = i.group_by("party_id").aggregate(_last=period_ordinal(i.occurred_at, "day").max())
    contact = contact.select(
        "party_id", contact=_ramp(today - contact._last, rules.contact_fresh_days, rules.contact_stale_days)
    )

    p = parties.filter(parties.category.isin(list(rules.categories)))
    card = p.select("party_id")
    for part in (purchases, opinions, grievances, contact):
        card = card.left_join(part, "party_id").drop("party_id_right")
    # A party with no complaint has nothing open against it, provided there is
    # a relationship to speak of (a purchase, an answer or a contact).
    known = card.recency.notnull() | card.satisfaction.notnull() | card.contact.notnull()
    card = card.mutate(complaints=ibis.ifelse(known, card.complaints.fill_null(100.0), card.complaints))

    weights = {m: float(rules.weights.get(m, 0.0)) for m in MEASURES}
    num = sum((card[m].fill_null(0.0) * wt for m, wt in weights.items() if wt), ibis.literal(0.0))
    den = sum((ibis.ifelse(card[m].notnull(), wt, 0.0) for m, wt in weights.items() if wt), ibis.literal(0.0))
    return card.mutate(health=ibis.ifelse(den > 0, num / den, None).cast("float64"))


def health_scorecard(
    tables: Tables, as_of: dt.datetime | dt.date | str, *, rules: HealthRules = HealthRules(),
    days: ir.Table | None = None,
) -> ir.Table:
    """The relationship health of every customer at ``as_of``, with its trend.

    Parameters
    ----------
    tables
        A store, or a mapping with ``parties``, ``transactions``,
        ``interactions``, ``feedback`` and ``complaints``.
    as_of
        The date of the scorecard (a date means the end of that day).
    rules
        Weights and thresholds.
    days
        Optional :func:`patron.analytics.summary.purchase_days` for the same ``as_of`` (or later): both
        scorecards read their purchase days from it instead of grouping the transactions again.

    Returns
    -------
    ibis.Table
        ``party_id``; one float column per measure, 0–100 or null:
        ``recency``, ``frequency_trend``, ``satisfaction``, ``complaints``,
        ``recovery``, ``contact``; ``health`` (weighted total, 0–100);
        ``health_before`` (the total ``rules.trend_days`` earlier) and
        ``health_trend`` (``health − health_before``).
    """
    instant = as_of_instant(as_of)
    now = _scorecard(tables, instant, rules, days)
    before = _scorecard(tables, instant - dt.timedelta(days=rules.trend_days), rules, days).select(
        "party_id", health_before="health"
    )
    card = now.left_join(before, "party_id").drop("party_id_right")
    return card.mutate(health_trend=card.health - card.health_before)
