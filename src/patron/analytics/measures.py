"""Base-wide relationship measures: revenue mix, lost customers, acquisition cost vs value.

- :func:`revenue_mix` — how much revenue comes from relationships (repeat
  buyers, repeat purchases) and how much from one-off transactions.
- :func:`lost_customers` and :func:`lost_value` — who was lost and what
  they used to bring in.
- :func:`acquisition_value` — acquisition cost against customer value per
  acquisition channel.

Purchases and refunds are told apart as in
:mod:`patron.analytics.summary`; all money is summed as float64.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from patron.analytics.periods import as_of_instant, ordinal_of, period_ordinal
from patron.analytics.summary import is_refund

_Date = dt.datetime | dt.date | str


def revenue_mix(transactions: ir.Table, *, start: _Date, end: _Date) -> ir.Table:
    """Relational vs transactional revenue between ``start`` and ``end`` (inclusive dates).

    Revenue is **net of refunds**, as everywhere in patron: a refund in the window (``kind = 'refund'`` or a
    negative amount) takes its amount off the revenue of the customer it belongs to.

    Two readings, both in one row:

    - by **customer**: net revenue of the window from *relational* customers
      (purchases on at least two distinct days up to ``end``, the window's
      days included) vs *transactional* ones (one purchase day so far);
    - by **purchase**: purchases of the window on a customer's first purchase
      day (acquisition) vs on later days (repeat purchases), before refunds.

    Returns
    -------
    ibis.Table
        One row: ``revenue`` (net), ``purchase_revenue``, ``refunds`` (their value, positive);
        ``relational_revenue``, ``transactional_revenue``, ``relational_share``;
        ``relational_customers``, ``transactional_customers`` (buyers in the
        window); ``first_purchase_revenue``, ``repeat_purchase_revenue``,
        ``repeat_purchase_share`` (shares of the purchases).
    """
    start_day = ordinal_of(start, "day")
    cutoff = ibis.literal(as_of_instant(end))
    t = transactions
    bought = t.filter(~is_refund(t), t.occurred_at <= cutoff)
    rows = bought.select("party_id", day=period_ordinal(bought.occurred_at, "day"),
                         revenue=bought.revenue.cast("float64"))
    per_day = rows.group_by(["party_id", "day"]).aggregate(revenue=rows.revenue.sum())
    in_window = per_day.day >= start_day
    per_party = per_day.group_by("party_id").aggregate(
        _days=per_day.count(),
        _first_day=per_day.day.min(),
        _window=per_day.revenue.sum(where=in_window),
        _window_first=per_day.revenue.argmin(per_day.day, where=in_window),
        _window_first_day=per_day.day.min(where=in_window),
    )
    returned = t.filter(is_refund(t), t.occurred_at <= cutoff, period_ordinal(t.occurred_at, "day") >= start_day)
    refunded = returned.group_by("party_id").aggregate(_refund=returned.revenue.cast("float64").abs().sum())
    both = per_party.left_join(refunded, per_party.party_id == refunded.party_id)
    both = both.select(*[both[c] for c in per_party.columns], _refund=both._refund)
    p = both.filter(both._window.notnull() | both._refund.notnull())
    net = p._window.fill_null(0.0) - p._refund.fill_null(0.0)
    relational = p._days >= 2
    bought_in_window = p._window.notnull()
    on_first_day = ibis.ifelse(p._window_first_day == p._first_day, p._window_first, 0.0)
    totals = p.aggregate(
        revenue=net.sum(),
        purchases=p._window.sum(),
        refunds=p._refund.sum(),
        relational_revenue=net.sum(where=relational),
        transactional_revenue=net.sum(where=~relational),
        relational_customers=p.count(where=relational & bought_in_window),
        transactional_customers=p.count(where=~relational & bought_in_window),
        first_purchase_revenue=on_first_day.sum(),
    )
    z = totals
    revenue = z.revenue.fill_null(0.0)
    purchases = z.purchases.fill_null(0.0)
    first = z.first_purchase_revenue.fill_null(0.0)
    return z.select(
        revenue=revenue,
        purchase_revenue=purchases,
        refunds=z.refunds.fill_null(0.0),
        relational_revenue=z.relational_revenue.fill_null(0.0),
        transactional_revenue=z.transactional_revenue.fill_null(0.0),
        relational_share=ibis.ifelse(revenue != 0, z.relational_revenue.fill_null(0.0) / revenue, None),
        relational_customers=z.relational_customers,
        transactional_customers=z.transactional_customers,
        first_purchase_revenue=first,
        repeat_purchase_revenue=purchases - first,
        repeat_purchase_share=ibis.ifelse(purchases != 0, (purchases - first) / purchases, None),
    )


def lost_customers(
    transactions: ir.Table,
    *,
    as_of: _Date,
    inactive_days: int = 365,
    since: _Date | None = None,
    scores: ir.Table | None = None,
    alive_column: str = "p_alive",
    alive_below: float = 0.1,
    trailing_days: int = 365,
) -> ir.Table:
    """Customers lost by ``as_of`` and the value they brought before leaving.

    A customer (a party with a purchase by ``as_of``) is **lost**

    - without ``scores``: when its last purchase is ``inactive_days`` or more
      before ``as_of``; with ``since``, only those whose loss date
      (last purchase + ``inactive_days``) falls after ``since`` — the
      customers lost in the period ``(since, as_of]``;
    - with ``scores`` (``party_id`` and ``alive_column``, e.g. a BG/NBD
      probability of being alive): when that probability is below
      ``alive_below``; ``inactive_days`` and ``since`` are then not used.

    The value of a lost customer is its revenue (and margin, where cost is
    known) in the ``trailing_days`` up to and including the day of its last
    purchase: what a year of the relationship was worth when it ended.

    Returns
    -------
    ibis.Table
        ``party_id``, ``last_purchase_at``, ``days_since_last`` (at
        ``as_of``), ``lost_revenue``, ``lost_margin`` (null when no cost is
        known), and ``alive_column`` when scores are given.
    """
    instant = as_of_instant(as_of)
    today = ordinal_of(instant, "day")
    t = transactions
    bought = t.filter(~is_refund(t), t.occurred_at <= ibis.literal(instant))
    rows = bought.mutate(_day=period_ordinal(bought.occurred_at, "day"))
    last = rows.group_by("party_id").aggregate(_last_day=rows._day.max(), last_purchase_at=rows.occurred_at.max())
    if scores is None:
        lost = last.filter(today - last._last_day >= inactive_days)
        if since is not None:
            lost = lost.filter(lost._last_day + inactive_days > ordinal_of(as_of_instant(since), "day"))
    else:
        s = scores.select("party_id", scores[alive_column].cast("float64").name(alive_column))
        lost = last.join(s, "party_id")
        lost = lost.filter(lost[alive_column] < alive_below)

    r = rows.join(lost.select("party_id", "_last_day"), "party_id")
    trailing = r._day > r._last_day - trailing_days
    costed = trailing & r.cost.notnull() if "cost" in r.columns else None
    aggregates = dict(lost_revenue=r.revenue.cast("float64").sum(where=trailing))
    if costed is not None:
        aggregates["lost_margin"] = (r.revenue - r.cost).cast("float64").sum(where=costed)
    value = r.group_by("party_id").aggregate(**aggregates)
    out = lost.join(value, "party_id")
    columns = dict(
        party_id=out.party_id,
        last_purchase_at=out.last_purchase_at,
        days_since_last=(today - out._last_day).cast("int64"),
        lost_revenue=out.lost_revenue,
        lost_margin=out.lost_margin if costed is not None else ibis.null("float64"),
    )
    if scores is not None:
        columns[alive_column] = out[alive_column]
    return out.select(**columns)


def lost_value(lost: ir.Table) -> ir.Table:
    """One row: ``customers`` lost, their ``lost_revenue`` and ``lost_margin``."""
    return lost.aggregate(
        customers=lost.count(),
        lost_revenue=lost.lost_revenue.sum().fill_null(0.0),
        lost_margin=lost.lost_margin.sum(),
    )


def acquisition_value(parties: ir.Table, values: ir.Table, *, value_column: str = "clv") -> ir.Table:
    """Acquisition cost against customer value, per acquisition channel.

    Only parties with a known ``acquisition_cost`` count. A party absent from
    ``values`` (acquired, never bought) has value 0: a channel that brings
    in people who never buy should look expensive.

    Parameters
    ----------
    parties
        The store's ``parties`` table (``acquisition_channel``,
        ``acquisition_cost``).
    values
        ``party_id`` and ``value_column`` — a CLV, or ``margin`` /
        ``revenue`` of a customer summary when no model has run.

    Returns
    -------
    ibis.Table
        ``acquisition_channel`` (``'unknown'`` when empty), ``customers``,
        ``acquisition_cost`` (total), ``mean_acquisition_cost``, ``value``
        (total), ``mean_value``, ``value_to_cost`` (total value / total cost,
        the LTV:CAC ratio; null when cost is 0), ``buyers`` (parties with a
        value above 0).
    """
    p = parties.filter(parties.acquisition_cost.notnull())
    p = p.select("party_id", channel=p.acquisition_channel.fill_null("unknown"),
                 cost=p.acquisition_cost.cast("float64"))
    v = values.select("party_id", _value=values[value_column].cast("float64"))
    j = p.left_join(v, "party_id").drop("party_id_right")
    j = j.mutate(_value=j._value.fill_null(0.0))
    g = j.group_by(acquisition_channel=j.channel).aggregate(
        customers=j.count(),
        acquisition_cost=j.cost.sum(),
        mean_acquisition_cost=j.cost.mean(),
        value=j._value.sum(),
        mean_value=j._value.mean(),
        buyers=j.count(where=j._value > 0),
    )
    return g.mutate(
        value_to_cost=ibis.ifelse(g.acquisition_cost != 0, g.value / g.acquisition_cost, None)
    ).select("acquisition_channel", "customers", "acquisition_cost", "mean_acquisition_cost", "value",
             "mean_value", "value_to_cost", "buyers").order_by("acquisition_channel")
