"""The demo company's past campaign: a win-back offer by email with a random control group, and its true effect.

On :data:`CAMPAIGN_DATE` the firm mailed a random :data:`AUDIENCE_SHARE` of the customers registered at least
:data:`MIN_TENURE_W` weeks before, keeping a random :data:`CONTROL_SHARE` of them as a control group. The customers' groups are read from their own orders
before the date (what the firm could see):

- ``lapsed`` when their last order is more than :data:`LAPSED_W` weeks old, else ``active``;
- ``frequent`` with at least :data:`FREQUENT_ORDERS` orders, else ``occasional``.

The true effect works on each customer's purchase process (only customers still alive can buy):

- a treated customer of group ``g`` who is still alive places one extra order inside the response window with
  probability ``BOOST[g]`` (a win-back works best on lapsed frequent buyers);
- a share ``PRESSURE[g]`` of the audience reacts badly to pressure: treated, they stop buying at the campaign
  date (their dropout moves to it), and :data:`WITHDRAWAL_SHARE` of those with email consent withdraw it.

Every audience member's two potential responses (a purchase inside :data:`WINDOW_W` weeks with and without the
mail) are drawn, whatever their arm, so the truth holds the exact uplift of the audience: per group, the mean
of ``y_treated − y_control`` over its members (the sample average treatment effect), which a measurement of
treated against control estimates without bias.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from patron.demo.customers import Population
from patron.demo.orders import Orders
from patron.demo.params import START, WEEK_S

CAMPAIGN_DATE = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)
CAMPAIGN_W = (CAMPAIGN_DATE - START).total_seconds() / WEEK_S
CAMPAIGN_NAME = "Win-back offer, September 2025"
WINDOW_W = 8.0  # the response window: 56 days
WINDOW_DAYS = 56
MIN_TENURE_W = 8.0
LAPSED_W = 26.0
FREQUENT_ORDERS = 3
CONTROL_SHARE = 0.3
AUDIENCE_SHARE = 0.5  # of the eligible: a mailing to all would move the firm's BG/NBD parameters visibly
GROUPS = ("lapsed frequent", "lapsed occasional", "active frequent", "active occasional")
BOOST = {"lapsed frequent": 0.60, "lapsed occasional": 0.30, "active frequent": 0.10, "active occasional": 0.15}
PRESSURE = {"lapsed frequent": 0.02, "lapsed occasional": 0.02, "active frequent": 0.20, "active occasional": 0.05}
WITHDRAWAL_SHARE = 0.5
CONSENT_RECORD = 3  # the consent export's record number of a withdrawal after the campaign


@dataclass
class CampaignDraw:
    """Per person of the whole population, drawn before the chunks: who is in which arm, and their reactions."""

    member: np.ndarray
    treated: np.ndarray
    boost_u: np.ndarray  # uniform: an extra order when below the group's boost
    pressure_u: np.ndarray  # uniform: reacts badly when below the group's pressure share
    withdraw_u: np.ndarray
    extra_w: np.ndarray  # when the extra order would be placed


def draw(rng: np.random.Generator, pop: Population) -> CampaignDraw:
    n = pop.size
    member = (pop.acquired_w <= CAMPAIGN_W - MIN_TENURE_W) & (rng.random(n) < AUDIENCE_SHARE)
    return CampaignDraw(member=member, treated=member & (rng.random(n) >= CONTROL_SHARE),
                        boost_u=rng.random(n), pressure_u=rng.random(n), withdraw_u=rng.random(n),
                        extra_w=CAMPAIGN_W + rng.random(n) * WINDOW_W)


class CampaignKeeper:
    """Applies the campaign to each chunk's orders and keeps what the truth file needs."""

    def __init__(self, pop: Population, campaign: CampaignDraw, first_extra_order: int) -> None:
        n = pop.size
        self.pop = pop
        self.c = campaign
        self.group = np.full(n, -1, dtype=np.int8)
        self.y_control = np.zeros(n, dtype=bool)
        self.y_treated = np.zeros(n, dtype=bool)
        self.pressured = np.zeros(n, dtype=bool)
        self.withdrew = np.zeros(n, dtype=bool)
        self.next_order = first_extra_order

    def apply(self, rng: np.random.Generator, orders: Orders, lo: int, hi: int, gg_p: float) -> Orders:
        """The chunk's orders as they happened after the campaign; updates the population's summary."""
        pop, c = self.pop, self.c
        n = hi - lo
        local = orders.person - lo
        before = orders.week < CAMPAIGN_W
        count_before = np.bincount(local[before], minlength=n)
        last_before = np.full(n, -np.inf)
        np.maximum.at(last_before, local[before], orders.week[before])
        in_window = (orders.week >= CAMPAIGN_W) & (orders.week < CAMPAIGN_W + WINDOW_W)
        natural = np.bincount(local[in_window], minlength=n) > 0

        people = np.arange(lo, hi)
        member = c.member[lo:hi]
        lapsed = CAMPAIGN_W - last_before > LAPSED_W
        frequent = count_before >= FREQUENT_ORDERS
        group = np.where(lapsed, np.where(frequent, 0, 1), np.where(frequent, 2, 3)).astype(np.int8)
        boost = np.array([BOOST[g] for g in GROUPS])[group]
        pressure = np.array([PRESSURE[g] for g in GROUPS])[group]
        alive = pop.dropout_w[lo:hi] > CAMPAIGN_W
        pressured = member & alive & (c.pressure_u[lo:hi] < pressure)
        extra = member & alive & ~pressured & (c.boost_u[lo:hi] < boost) & (c.extra_w[lo:hi] < pop.end_w)
        self.group[lo:hi] = np.where(member, group, -1)
        self.y_control[lo:hi] = member & natural
        self.y_treated[lo:hi] = member & ~pressured & (natural | extra)
        treated = c.treated[lo:hi]
        self.pressured[lo:hi] = pressured

        # What happened: the treated who react badly stop buying at the date; others may buy once more.
        stop = treated & pressured
        keep = ~(stop[local] & ~before)
        add = np.flatnonzero(treated & extra)
        week = np.concatenate([orders.week[keep], c.extra_w[lo:hi][add]])
        person = np.concatenate([orders.person[keep], people[add]])
        value = rng.gamma(gg_p, 1.0 / pop.nu[people[add]])
        value_cents = np.concatenate([orders.value_cents[keep], np.maximum(np.round(value * 100), 1).astype(np.int64)])
        order_no = np.concatenate([orders.order_no[keep], self.next_order + np.arange(len(add), dtype=np.int64)])
        self.next_order += len(add)
        customer_no = np.concatenate([orders.customer_no[keep], pop.customer_no[people[add]]])
        order = np.lexsort((week, person))
        week, person, value_cents, order_no, customer_no = (a[order] for a in (week, person, value_cents, order_no,
                                                                                 customer_no))
        # The BG/NBD summary of the changed customers, so that the truth describes the orders written.
        stopped = people[stop]
        pop.dropout_w[stopped] = np.minimum(pop.dropout_w[stopped], CAMPAIGN_W)
        counts = np.bincount(person - lo, minlength=n)
        last = np.full(n, -np.inf)
        np.maximum.at(last, person - lo, week)
        changed = stop | (treated & extra)
        pop.x[lo:hi] = np.where(changed, counts - 1, pop.x[lo:hi])
        pop.t_x[lo:hi] = np.where(changed, np.where(counts > 1, last - pop.acquired_w[lo:hi], 0.0), pop.t_x[lo:hi])
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        slot = np.arange(len(person)) - np.repeat(starts, counts)
        is_final = (slot == counts[person - lo] - 1) & pop.churned[person] & (slot > 0)
        return Orders(person=person, week=week, order_no=order_no, customer_no=customer_no, is_final=is_final,
                      value_cents=value_cents)

    def withdraw_consent(self, consents: dict, lo: int, hi: int) -> dict:
        """Add an email withdrawal soon after the campaign for the pressured treated who had consented."""
        person, record, granted = consents["person"], consents["record"], consents["granted"]
        had_email = np.zeros(hi - lo, dtype=bool)
        first = record == 0
        had_email[person[first] - lo] = granted[first]
        people = np.arange(lo, hi)
        who = people[self.c.treated[lo:hi] & self.pressured[lo:hi] & had_email
                     & (self.c.withdraw_u[lo:hi] < WITHDRAWAL_SHARE)]
        self.withdrew[who] = True
        k = len(who)
        return {
            "person": np.concatenate([person, who]),
            "record": np.concatenate([record, np.full(k, CONSENT_RECORD, np.int64)]),
            "channel": np.concatenate([consents["channel"], np.zeros(k, np.int64)]),
            "granted": np.concatenate([granted, np.zeros(k, bool)]),
            "week": np.concatenate([consents["week"], CAMPAIGN_W + 0.5 + (self.c.withdraw_u[who] * 0.5)]),
        }

    def members_table(self) -> pa.Table:
        """``truth_campaign.parquet``: one row per audience member."""
        m = np.flatnonzero(self.c.member)
        return pa.table({
            "person_id": pa.array(m),
            "customer_no": pa.array([str(v) for v in self.pop.customer_no[m]]),
            "arm": pa.array(np.where(self.c.treated[m], "treated", "control")),
            "group": pa.array(np.array(GROUPS, dtype=object)[self.group[m]]),
            "y_control": pa.array(self.y_control[m]),
            "y_treated": pa.array(self.y_treated[m]),
            "true_effect": pa.array(self.y_treated[m].astype(np.int8) - self.y_control[m].astype(np.int8)),
            "pressured": pa.array(self.pressured[m]),
            "withdrew_consent": pa.array(self.withdrew[m]),
        })

    def facts(self) -> dict:
        """The campaign's section of ``truth.json``: its design and the true uplift, overall and per group."""
        m = self.c.member
        effect = self.y_treated.astype(float) - self.y_control.astype(float)
        per_group = {}
        for i, g in enumerate(GROUPS):
            sel = m & (self.group == i)
            per_group[g] = {"members": int(sel.sum()), "boost": BOOST[g], "pressure_share": PRESSURE[g],
                            "true_uplift": round(float(effect[sel].mean()), 6) if sel.any() else None,
                            "control_response": round(float(self.y_control[sel].mean()), 6) if sel.any() else None}
        return {
            "name": CAMPAIGN_NAME, "date": CAMPAIGN_DATE.isoformat(), "channel": "email", "purpose": "offers",
            "window_days": WINDOW_DAYS, "control_share": CONTROL_SHARE,
            "members": int(m.sum()), "treated": int((m & self.c.treated).sum()),
            "control": int((m & ~self.c.treated).sum()),
            "true_uplift": round(float(effect[m].mean()), 6) if m.any() else None,
            "groups": per_group,
            "pressured_treated": int((self.pressured & self.c.treated).sum()),
            "consent_withdrawals": int(self.withdrew.sum()),
            "description": (
                "A win-back email on the date to a random half of the customers registered 8 weeks before, 30% "
                "kept as a random control. Response = an order within window_days. true_uplift is the mean over the audience of "
                "the response if mailed minus the response if not (both drawn for everyone, so exact). Groups "
                "are read from the customer's orders before the date: lapsed = last order over 26 weeks old, "
                "frequent = 3 or more orders. Treated customers who react badly to pressure stop buying at "
                "the date, and half of those with email consent withdraw it (records SUB-<key>-3)."
            ),
        }
