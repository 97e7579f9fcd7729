"""RFM: recency, frequency and monetary scores, and the segments named after them.

Scores
------
Each dimension is scored 1..``bins`` (quintiles by default), ``bins`` being
the best: the most recent, the most frequent, the biggest spender.

- **R** — periods since the last purchase, ``T − recency`` of a
  :func:`~patron.analytics.summary.customer_summary` (fewer is better).
- **F** — purchase periods, ``frequency + 1``.
- **M** — ``revenue`` of the summary (or another money column).

A party's score is ``1 + floor(bins × (rank − 1) / n)`` where ``rank`` is
SQL ``RANK()`` in the order worst → best and ``n`` the number of parties.
Ties therefore share one score, the one their first position earns, so the
result does not depend on row order; when many parties tie (say 60 % bought
only once), they all get the low score and the other scores hold fewer
parties than a fifth.

Segments
--------
The named segments follow the classic R × F grid, read by an ordered rule
table, first match wins (:data:`DEFAULT_SEGMENTS`, written for 5 bins). M is
scored (and in ``rfm_cell``) to rank lists within a segment, but does not
move a party between segments:

=====  ==============  ==================  ==================  ==============  ==============
R      F 1             F 2                 F 3                 F 4             F 5
=====  ==============  ==================  ==================  ==============  ==============
5      new             potential_loyalist  potential_loyalist  champions       champions
4      promising       potential_loyalist  potential_loyalist  loyal           loyal
3      about_to_sleep  about_to_sleep      needs_attention     loyal           loyal
2      hibernating     hibernating         at_risk             at_risk         cant_lose_them
1      lost            hibernating         at_risk             at_risk         cant_lose_them
=====  ==============  ==================  ==================  ==============  ==============

Pass another tuple of :class:`SegmentRule` to change it; a party no rule
matches is ``unclassified``.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir


@dataclass(frozen=True)
class SegmentRule:
    """A named box of R scores and F scores, bounds inclusive."""

    segment: str
    r: tuple[int, int]
    f: tuple[int, int]


DEFAULT_SEGMENTS: tuple[SegmentRule, ...] = (
    SegmentRule("champions", (5, 5), (4, 5)),
    SegmentRule("loyal", (3, 4), (4, 5)),
    SegmentRule("potential_loyalist", (4, 5), (2, 3)),
    SegmentRule("new", (5, 5), (1, 1)),
    SegmentRule("promising", (4, 4), (1, 1)),
    SegmentRule("needs_attention", (3, 3), (3, 3)),
    SegmentRule("about_to_sleep", (3, 3), (1, 2)),
    SegmentRule("cant_lose_them", (1, 2), (5, 5)),
    SegmentRule("at_risk", (1, 2), (3, 4)),
    SegmentRule("lost", (1, 1), (1, 1)),
    SegmentRule("hibernating", (1, 2), (1, 2)),
)

SEGMENTS = (
    "champions", "loyal", "potential_loyalist", "new", "promising", "needs_attention",
    "about_to_sleep", "at_risk", "cant_lose_them", "hibernating", "lost",
)


def score(value: ir.NumericColumn, bins: int, *, higher_is_better: bool = True) -> ir.IntegerColumn:
    """Ibis expression: the 1..``bins`` score of ``value`` among all rows (ties share a score).

    ``1 + floor(bins × r / n)`` with ``r`` the 0-based ``RANK()`` from worst
    to best and ``n`` the row count.
    """
    order = value if higher_is_better else value.desc()
    rank0 = ibis.rank().over(order_by=order)
    n = value.count().over()
    return (1 + (bins * rank0) // n).cast("int64")


def rfm_scores(
    summary: ir.Table,
    *,
    monetary: str | None = None,
    bins: int = 5,
    rules: tuple[SegmentRule, ...] = DEFAULT_SEGMENTS,
) -> ir.Table:
    """RFM scores and segment per party, from a customer summary.

    Parameters
    ----------
    summary
        Output of :func:`~patron.analytics.summary.customer_summary`
        (``party_id``, ``frequency``, ``recency``, ``T`` and the money column).
    monetary
        Column scored for M. Default ``revenue`` when the summary has it
        (``details=True``), else ``monetary_value``.
    bins
        Number of score classes (5: quintiles).
    rules
        Ordered segment rules, first match wins.

    Returns
    -------
    ibis.Table
        ``party_id``; ``r_value`` (periods since the last purchase),
        ``f_value`` (purchase periods), ``m_value`` (float); ``r_score``,
        ``f_score``, ``m_score`` (int, 1..bins); ``rfm_cell``
        (string such as ``"545"``); ``segment``.
    """
    if bins < 2:
        raise ValueError("bins must be at least 2")
    if monetary is None:
        monetary = "revenue" if "revenue" in summary.columns else "monetary_value"
    s = summary
    base = s.select(
        "party_id",
        r_value=(s["T"] - s.recency).cast("int64"),
        f_value=(s.frequency + 1).cast("int64"),
        m_value=s[monetary].cast("float64").fill_null(0.0),
    )
    scored = base.mutate(
        r_score=score(base.r_value, bins, higher_is_better=False),
        f_score=score(base.f_value, bins),
        m_score=score(base.m_value, bins),
    )
    r, f = scored.r_score, scored.f_score
    branches = [(r.between(*rule.r) & f.between(*rule.f), rule.segment) for rule in rules]
    segment = ibis.cases(*branches, else_="unclassified") if branches else ibis.literal("unclassified")
    return scored.mutate(
        rfm_cell=scored.r_score.cast("string") + scored.f_score.cast("string") + scored.m_score.cast("string"),
        segment=segment,
    )
