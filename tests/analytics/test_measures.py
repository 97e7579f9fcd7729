"""Revenue mix, lost customers and acquisition value on a hand-made store."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from patron.analytics.measures import acquisition_value, lost_customers, lost_value, revenue_mix


@pytest.fixture
def built(store, facts, engine):
    f = facts
    f.party(1, acquisition_channel="web", acquisition_cost=10)
    f.tx(1, "2023-01-01", 10, cost=4)  # before the window; makes 1 a repeat buyer
    f.tx(1, "2024-02-01 09:00", 20, cost=5)
    f.tx(1, "2024-02-01 17:00", 5)
    f.tx(1, "2024-03-01", 30)
    f.party(2, acquisition_channel="web", acquisition_cost=30)
    f.tx(2, "2024-02-05", 100)  # one-off buyer, first purchase inside the window
    f.tx(2, "2024-02-06", -40, kind="refund")  # taken off: revenue is net of refunds everywhere
    f.party(3, acquisition_channel="fair", acquisition_cost=50)  # acquired, never bought
    f.party(4)  # no acquisition cost: left out of the acquisition table
    f.tx(4, "2024-01-10", 7)
    f.tx(4, "2024-12-31 23:00", 3)  # last instant of the window counts
    f.tx(4, "2025-01-01", 1000)  # after the window
    return engine(store)


def test_revenue_mix_by_customer_and_by_purchase(built):
    mix = revenue_mix(built.table("transactions"), start="2024-01-01", end="2024-12-31").to_pandas().iloc[0]
    assert mix.purchase_revenue == 165.0  # 55 (party 1) + 100 (party 2) + 10 (party 4)
    assert mix.refunds == 40.0 and mix.revenue == 125.0  # net of party 2's refund
    assert mix.relational_revenue == 65.0 and mix.transactional_revenue == 60.0
    assert mix.relational_share == pytest.approx(65 / 125)
    assert (mix.relational_customers, mix.transactional_customers) == (2, 1)
    # First purchase days inside the window: party 2 (100) and party 4 on Jan 10 (7); purchases, before refunds.
    assert mix.first_purchase_revenue == 107.0 and mix.repeat_purchase_revenue == 58.0
    assert mix.repeat_purchase_share == pytest.approx(58 / 165)


def test_lost_by_inactivity_and_their_value(built):
    tx = built.table("transactions")
    lost = lost_customers(tx, as_of="2025-03-01", inactive_days=365).to_pandas().set_index("party_id")
    # Party 1 last bought 2024-03-01, exactly 365 days before; party 2 on 2024-02-05; 4 is active.
    assert sorted(lost.index) == [1, 2]
    assert lost.loc[1, "days_since_last"] == 365
    # Trailing 365 days up to the last purchase day: 2023-01-01 is 425 days earlier and drops out.
    assert lost.loc[1, "lost_revenue"] == 55.0 and lost.loc[1, "lost_margin"] == 15.0
    assert lost.loc[2, "lost_revenue"] == 100.0 and pd.isna(lost.loc[2, "lost_margin"])
    total = lost_value(lost_customers(tx, as_of="2025-03-01")).to_pandas().iloc[0]
    assert (total.customers, total.lost_revenue, total.lost_margin) == (2, 155.0, 15.0)
    # Lost within (2025-02-10, 2025-03-01]: party 2 became lost on 2025-02-04, before the period.
    recent = lost_customers(tx, as_of="2025-03-01", since="2025-02-10").to_pandas()
    assert list(recent.party_id) == [1]


def test_lost_by_probability_alive(built):
    scores = ibis.memtable(pd.DataFrame({"party_id": [1, 2, 4], "p_alive": [0.05, 0.5, 0.01]}))
    lost = lost_customers(built.table("transactions"), as_of="2025-06-01", scores=scores).to_pandas()
    lost = lost.set_index("party_id").sort_index()
    assert list(lost.index) == [1, 4]
    assert lost.loc[4, "lost_revenue"] == 1000.0 + 3.0 + 7.0 and lost.loc[4, "p_alive"] == 0.01


def test_acquisition_cost_against_value_per_channel(built):
    values = ibis.memtable(pd.DataFrame({"party_id": [1, 2, 4], "clv": [80.0, 0.0, 500.0]}))
    table = acquisition_value(built.table("parties"), values).to_pandas().set_index("acquisition_channel")
    assert list(table.index) == ["fair", "web"]
    web = table.loc["web"]
    assert (web.customers, web.acquisition_cost, web.value, web.buyers) == (2, 40.0, 80.0, 1)
    assert web.value_to_cost == 2.0 and web.mean_acquisition_cost == 20.0 and web.mean_value == 40.0
    fair = table.loc["fair"]
    assert (fair.customers, fair.value, fair.value_to_cost, fair.buyers) == (1, 0.0, 0.0, 0)
