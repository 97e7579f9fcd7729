"""Orders of a slice of the customer base: purchase times, values, lines, refunds.

Given each customer's BG/NBD summary (``x`` repeat purchases, the last at
``t_x``), the other ``x - 1`` repeat purchases are uniform on ``(0, t_x)``;
the first purchase is the acquisition itself. Order values follow the
Gamma-Gamma model. All of it is drawn with ``np.repeat`` over per-customer
counts, never a loop over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patron.demo.catalogue import Catalogue, build_baskets
from patron.demo.customers import Population
from patron.demo.params import DemoParameters

DUPLICATE_KEY_USE = 0.6  # share of orders placed under the second key once it exists


@dataclass
class Orders:
    """One entry per order (first purchase included), grouped by person in time order."""

    person: np.ndarray
    week: np.ndarray  # weeks after START
    order_no: np.ndarray  # global, unique
    customer_no: np.ndarray  # the key the order was placed under (first or second registration)
    is_final: np.ndarray  # the churner's last order: they drop out right after it
    value_cents: np.ndarray


@dataclass
class Lines:
    """Order lines and refund lines."""

    order: np.ndarray  # index into Orders
    line_id: np.ndarray  # global, unique
    kind: np.ndarray  # 0 order, 1 refund
    week: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price_cents: np.ndarray
    revenue_cents: np.ndarray
    cost_cents: np.ndarray


def order_offsets(pop: Population) -> np.ndarray:
    """Global number of the first order of each person (orders are 1 + x per person)."""
    return np.concatenate([[0], np.cumsum(1 + pop.x)])


def simulate_orders(rng: np.random.Generator, pop: Population, lo: int, hi: int, params: DemoParameters,
                    first_order: int) -> Orders:
    x = pop.x[lo:hi]
    counts = 1 + x
    person = np.repeat(np.arange(lo, hi), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(person)) - np.repeat(starts, counts)
    t_x = pop.t_x[person]
    rel = rng.random(len(person)) * t_x
    rel = np.where(slot == 0, 0.0, np.where(slot == pop.x[person], t_x, rel))
    order = np.lexsort((rel, person))
    rel = rel[order]  # each person's block is contiguous, so only times move
    week = pop.acquired_w[person] + rel
    is_final = (slot == pop.x[person]) & pop.churned[person] & (slot > 0)

    dup = pop.duplicate_no[person]
    use_dup = (dup >= 0) & (week >= pop.duplicate_w[person]) & (rng.random(len(person)) < DUPLICATE_KEY_USE)
    customer_no = np.where(use_dup, dup, pop.customer_no[person])
    value = rng.gamma(params.gg_p, 1.0 / pop.nu[person])
    value_cents = np.maximum(np.round(value * 100), 1).astype(np.int64)
    return Orders(person=person, week=week, order_no=first_order + np.arange(len(person), dtype=np.int64),
                  customer_no=customer_no, is_final=is_final, value_cents=value_cents)


def simulate_lines(rng: np.random.Generator, orders: Orders, catalogue: Catalogue, params: DemoParameters,
                   end_w: float) -> Lines:
    """Order lines for every order, and a refund line for some of them (more after a final order)."""
    b = build_baskets(rng, orders.value_cents, catalogue)
    n = len(b["order"])
    # Line ids are order number * 10 + line number: stable and unique across chunks.
    line_id = orders.order_no[b["order"]] * 10 + b["line_no"]
    refund_prob = np.where(orders.is_final[b["order"]], 5 * params.refund_share, params.refund_share)
    refund_week = orders.week[b["order"]] + rng.uniform(3, 30, n) / 7.0
    refunded = (rng.random(n) < refund_prob) & (refund_week < end_w)
    r = np.flatnonzero(refunded)
    zeros = np.zeros(n, dtype=np.int8)

    def both(a, b_):
        return np.concatenate([a, b_])

    return Lines(
        order=both(b["order"], b["order"][r]),
        line_id=both(line_id, line_id[r] + 5),  # refund of line k is k + 5 (at most 5 lines per order)
        kind=both(zeros, np.ones(len(r), dtype=np.int8)),
        week=both(orders.week[b["order"]], refund_week[r]),
        product=both(b["product"], b["product"][r]),
        quantity=both(b["quantity"], -b["quantity"][r]),
        unit_price_cents=both(b["unit_price_cents"], b["unit_price_cents"][r]),
        revenue_cents=both(b["revenue_cents"], -b["revenue_cents"][r]),
        cost_cents=both(b["cost_cents"], -b["cost_cents"][r]),
    )
