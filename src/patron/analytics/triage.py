"""Triage of the customer base into best, average and worst: value × relationship quality.

Both sides are measured: *value* (a column the caller gives — a CLV from a
model, or margin when there is none) and *quality* (usually the health
total of :func:`~patron.analytics.health.health_scorecard`). Each is cut
into three tiers, ``low`` / ``mid`` / ``high`` (1 / 2 / 3), and the 3 × 3
cell is collapsed into a group by the sum of the two tier numbers:

=============  ===============  ===============  ===============
value \\ qual.  low quality      mid quality      high quality
=============  ===============  ===============  ===============
high value     average (4)      best (5)         best (6)
mid value      worst (3)        average (4)      best (5)
low value      worst (2)        worst (3)        average (4)
=============  ===============  ===============  ===============

Tiers are terciles by default: ``1 + floor(3 × rank / n)`` with SQL
``RANK()`` from low to high, so tied values share a tier. Fixed cut-offs
can be given instead (``TriageCuts(value=(low_max, high_min))``: a value
``< low_max`` is low, ``>= high_min`` is high).

Each group has a plan (:data:`GROUP_PLANS`) and each cell a more specific
one (:data:`CELL_PLANS`); both can be replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from patron.store.vocabulary import TRIAGE_TIERS

GROUP_PLANS = {
    "best": "Grow and reward: keep service personal, recognise loyalty, invite referrals and deeper "
            "partnership; protect these relationships first.",
    "average": "Develop and monitor: find the next step up (a second product, a better-fitting "
               "offer, a service fix) and watch for movement either way.",
    "worst": "Fix or let go: repair what can be repaired cheaply, otherwise serve through low-cost "
             "channels and stop spending to retain.",
}

CELL_PLANS = {
    ("high", "high"): "Reward and involve: loyalty benefits, early access, co-creation, referral asks.",
    ("high", "mid"): "Deepen the relationship: named contact, proactive service, ask what would make it better.",
    ("high", "low"): "Rescue now: valuable but unhappy; senior contact, resolve open issues, service recovery.",
    ("mid", "high"): "Grow the wallet: cross-sell and upgrade offers to a customer who already likes you.",
    ("mid", "mid"): "Develop: targeted offers and regular contact; monitor health.",
    ("mid", "low"): "Fix the irritants cheaply; if quality does not improve, reduce cost to serve.",
    ("low", "high"): "Cultivate advocates: happy but small; referral and review programmes, low-cost upsell.",
    ("low", "mid"): "Serve efficiently: self-service and automated contact only.",
    ("low", "low"): "Let go at low cost: no retention spend; keep service standard and polite.",
}


@dataclass(frozen=True)
class TriageCuts:
    """Fixed tier boundaries ``(low_max, high_min)``; ``None`` means terciles."""

    value: tuple[float, float] | None = None
    quality: tuple[float, float] | None = None
    group_by_tier_sum: dict[int, str] = field(default_factory=lambda: {
        2: "worst", 3: "worst", 4: "average", 5: "best", 6: "best",
    })


def tier(values: ir.NumericColumn, cuts: tuple[float, float] | None) -> ir.IntegerColumn:
    """Ibis expression: tier 1 (low), 2 (mid) or 3 (high) of each value; null stays null."""
    if cuts is None:
        rank0 = ibis.rank().over(order_by=values)
        n = values.count().over()
        t = 1 + (3 * rank0) // n
    else:
        low_max, high_min = cuts
        if low_max > high_min:
            raise ValueError(f"cut-offs must be (low_max, high_min) with low_max <= high_min, got {cuts}")
        t = ibis.cases((values < low_max, 1), (values >= high_min, 3), else_=2)
    return ibis.ifelse(values.isnull(), None, t).cast("int64")


def _with_tier(t: ir.Table, column: str, cuts: tuple[float, float] | None, out: str) -> ir.Table:
    """Add the tier of ``column``; terciles are ranked over the parties that have a value."""
    if cuts is not None:
        return t.mutate(**{out: tier(t[column], cuts)})
    rated = t.filter(t[column].notnull())
    rated = rated.select("party_id", **{out: tier(rated[column], None)})
    return t.left_join(rated, "party_id").drop("party_id_right")


def triage(
    values: ir.Table,
    quality: ir.Table,
    *,
    value_column: str = "clv",
    quality_column: str = "health",
    cuts: TriageCuts = TriageCuts(),
    group_plans: dict[str, str] = GROUP_PLANS,
    cell_plans: dict[tuple[str, str], str] = CELL_PLANS,
) -> ir.Table:
    """Best / average / worst per party, with the plan for its group and cell.

    Parameters
    ----------
    values
        ``party_id`` and ``value_column`` (e.g. the CLV of a model, or the
        ``margin`` of a customer summary).
    quality
        ``party_id`` and ``quality_column`` (e.g. the health scorecard).
    cuts
        Tier cut-offs (terciles by default) and the tier-sum → group map.

    Returns
    -------
    ibis.Table
        ``party_id``, ``value``, ``quality`` (float), ``value_tier``,
        ``quality_tier`` (``low``/``mid``/``high``), ``triage``
        (``best``/``average``/``worst``; ``unrated`` when either side is
        missing), ``plan`` (the group's) and ``cell_plan`` (the cell's).
        Every party of ``values`` appears; terciles of quality are taken
        over the parties that have one.
    """
    v = values.select("party_id", value=values[value_column].cast("float64"))
    q = quality.select("party_id", quality=quality[quality_column].cast("float64"))
    joined = v.left_join(q, "party_id").drop("party_id_right")
    tiered = _with_tier(joined, "value", cuts.value, "_vt")
    tiered = _with_tier(tiered, "quality", cuts.quality, "_qt")

    t = tiered
    name = dict(enumerate(TRIAGE_TIERS, start=1))
    value_tier = ibis.cases(*[(t._vt == k, n) for k, n in name.items()])
    quality_tier = ibis.cases(*[(t._qt == k, n) for k, n in name.items()])
    total = t._vt + t._qt
    group = ibis.cases(*[(total == k, g) for k, g in cuts.group_by_tier_sum.items()], else_="unrated")
    group = ibis.ifelse(total.isnull(), "unrated", group)
    plan = ibis.cases(*[(group == g, text) for g, text in group_plans.items()],
                      else_="Measure first: value or relationship quality is missing.")
    cell_plan = ibis.cases(
        *[((value_tier == vt) & (quality_tier == qt), text) for (vt, qt), text in cell_plans.items()]
    )
    return t.select(
        "party_id", "value", "quality",
        value_tier=value_tier, quality_tier=quality_tier, triage=group, plan=plan, cell_plan=cell_plan,
    )


def triage_matrix(triaged: ir.Table) -> ir.Table:
    """Counts and value per cell of a :func:`triage` result.

    Returns
    -------
    ibis.Table
        ``value_tier``, ``quality_tier``, ``triage``, ``parties``,
        ``total_value``, ``mean_quality``.
    """
    t = triaged
    return t.group_by(["value_tier", "quality_tier", "triage"]).aggregate(
        parties=t.count(), total_value=t.value.sum(), mean_quality=t.quality.mean()
    )
