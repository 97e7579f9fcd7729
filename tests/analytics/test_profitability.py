"""Activity-based cost to serve, profit and the Stobachoff curve on a hand-made store, hand-computed."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from patron.analytics.profitability import CostRules, cost_rules_from, cost_to_serve, customer_profit, stobachoff
from patron.errors import InvalidInput


def _build(f):
    f.party(1, acquisition_cost=30)
    f.tx(1, "2024-01-10", 40, document="A1")
    f.tx(1, "2024-01-10", 20, document="A1")  # two lines of one order: one delivery
    f.tx(1, "2024-03-01", 50, document="A2")
    f.tx(1, "2024-03-05", -20, kind="refund", document="R1")
    f.interaction(1, "2024-03-02", channel="phone")
    f.interaction(1, "2024-03-03", channel="email")
    f.complaint(1, "2024-03-02")
    f.party(2)  # an order and a visit after as_of: not counted
    f.tx(2, "2024-02-01", 100, document="B1")
    f.interaction(2, "2024-07-01", channel="face_to_face")


def test_cost_to_serve_is_activity_based(store, facts, engine):
    _build(facts)
    out = engine(store) if engine.name != "duckdb" else store
    df = cost_to_serve(out, "2024-06-30").to_pandas().set_index("party_id")
    # 1: phone 6 + email 2 + complaint 25 + refund 8 + 2 deliveries x 4.5 = 50
    assert df.loc[1, "cost_to_serve"] == pytest.approx(50.0)
    assert df.loc[1, "deliveries"] == 2 and df.loc[1, "refunds"] == 1 and df.loc[1, "acquisition_cost"] == 30
    assert df.loc[1, "service_cost_per_order"] == pytest.approx(41 / 2 + 4.5)
    assert df.loc[2, "cost_to_serve"] == pytest.approx(4.5)
    rules = CostRules(per_interaction={"phone": 10.0}, per_complaint=0, per_refund=0, per_delivery=0)
    df = cost_to_serve(out, "2024-06-30", rules=rules).to_pandas().set_index("party_id")
    assert df.loc[1, "cost_to_serve"] == pytest.approx(10.0)  # email: the 'other' rate, none given here


def test_profit_and_profit_clv(store, facts):
    _build(facts)
    costs = cost_to_serve(store, "2024-06-30")
    values = ibis.memtable(pd.DataFrame({"party_id": [1, 2], "margin": [None, 40.0], "revenue": [90.0, 100.0],
                                         "clv": [9.0, 20.0], "expected_purchases": [1.0, 2.0],
                                         "expected_spend": [50.0, 50.0]}))
    values = store.ibis.create_table("v", values)
    df = customer_profit(values, costs, margin_share=0.2).to_pandas().set_index("party_id")
    assert df.loc[1, "profit"] == pytest.approx(90 * 0.2 - 50 - 30)
    # CLV 9 of an undiscounted 1 x 50 x 0.2 = 10: future costs are discounted by 0.9.
    assert df.loc[1, "profit_clv"] == pytest.approx(9 - 1 * (41 / 2 + 4.5) * 0.9)
    assert df.loc[2, "profit"] == pytest.approx(40 - 4.5)
    curve = stobachoff(store.ibis.create_table("p", ibis.memtable(df.reset_index()))).to_pandas()
    assert list(curve.party_id) == [2, 1] and list(curve["rank"]) == [1, 2]
    assert list(curve.cumulative_profit) == pytest.approx([35.5, 35.5 - 62])


def test_rules_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[costs]\nper_complaint = 40\n[costs.per_interaction]\nphone = 9\n")
    rules = cost_rules_from(path)
    assert rules.per_complaint == 40 and rules.per_interaction["phone"] == 9 and rules.per_interaction["email"] == 2
    path.write_text("[costs]\nper_parcel = 3\n")
    with pytest.raises(InvalidInput, match="Unknown cost rule 'per_parcel'"):
        cost_rules_from(path)
