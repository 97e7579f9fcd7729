"""The value run's shared pass over purchases (party x day) gives the scores the separate passes gave, on both stores.

``service.analyze.value_run`` groups the transactions by party and day once
(``analytics.summary.purchase_days``) and hands that to the customer summary, the ladder and both
health scorecards, and takes the cost to serve's deliveries and refunds from the summary's orders and
refunds (one currency: the same transactions). Here the run's saved scores are checked against the
summary, ladder, health and cost to serve computed the old way (each grouping the transactions itself)
and against the old delivery count (a distinct count of every line's document or line id), on the demo
company.
"""

from __future__ import annotations

import ibis
import numpy as np
import pytest

from patron.analytics.health import health_scorecard
from patron.analytics.ladder import ladder_rung
from patron.analytics.periods import as_of_instant
from patron.analytics.profitability import CostRules, cost_to_serve
from patron.analytics.summary import customer_summary, is_refund, purchase_days
from patron.demo import generate_demo, import_demo
from patron.service.analyze import analyze
from patron.store import Store
from store_engines import ENGINES, new_store_url


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("shared-pass")
    generate_demo(out, 800, 5)
    return out


def _frame(expr, key="party_id"):
    return expr.to_pandas().set_index(key).sort_index()


def _old_deliveries(store: Store, as_of) -> dict[int, int]:
    """Deliveries as counted before: one per distinct document, a line without one counted by its id's text."""
    tx = store.table("transactions")
    tx = tx.filter(tx.occurred_at <= ibis.literal(as_of_instant(as_of)))
    document = ibis.coalesce(tx.document, tx.transaction_id.cast("string"))
    counts = tx.group_by("party_id").aggregate(deliveries=document.nunique(where=~is_refund(tx)))
    return {r["party_id"]: r["deliveries"] for r in counts.to_pyarrow().to_pylist()}


@pytest.mark.parametrize("engine", ENGINES)
def test_shared_pass_gives_the_same_scores(request, tmp_path, demo_data, engine):
    with Store(new_store_url(request, engine, tmp_path)) as store:
        import_demo(store, demo_data)
        run = analyze(store)
        as_of = run.as_of
        scores = store.table("scores").filter(lambda s: s.run_id == run.run_id)
        saved = _frame(scores.select("party_id", "rung", "rung_level", "rung_reason", "health", "health_trend",
                                     "cost_to_serve", "p_alive"))
        assert len(saved) > 800

        # The ladder and health the old way: each grouping the transactions itself.
        ladder = _frame(ladder_rung(store, as_of, p_alive=scores.select("party_id", "p_alive")))
        health = _frame(health_scorecard(store, as_of))
        rated = saved.index.intersection(ladder.index)
        assert len(rated) > 800 and saved.loc[rated, "rung"].nunique() >= 4
        for column in ("rung", "rung_level", "rung_reason"):
            # Staff of business customers have no rung (NULL): compared as a mark of their own.
            a, b = saved.loc[rated, column].astype(object), ladder.loc[rated, column].astype(object)
            assert a.where(a.notna(), "none").tolist() == b.where(b.notna(), "none").tolist(), column
        both = saved.index.intersection(health.index)
        assert len(both) > 800
        for column in ("health", "health_trend"):
            np.testing.assert_allclose(saved.loc[both, column].astype(float), health.loc[both, column].astype(float),
                                       rtol=1e-12, equal_nan=True, err_msg=column)

        # The ladder and health read from the shared pass equal the separate ones, every column.
        days = purchase_days(store.table("transactions"), as_of_instant(as_of))
        shared_ladder = _frame(ladder_rung(store, as_of, p_alive=scores.select("party_id", "p_alive"), days=days))
        assert shared_ladder.equals(ladder)
        shared_health = _frame(health_scorecard(store, as_of, days=days))
        assert shared_health.index.equals(health.index)
        np.testing.assert_allclose(shared_health.to_numpy(float), health.to_numpy(float), rtol=1e-12,
                                   equal_nan=True)

        # The summary read from the shared pass (with the days' values) equals the one grouping the transactions.
        tx = store.table("transactions")
        tx = tx.filter(tx.occurred_at <= ibis.literal(as_of))
        grouped = _frame(customer_summary(tx, observation_end=as_of))
        valued_days = purchase_days(store.table("transactions"), as_of_instant(as_of), values=True)
        shared = _frame(customer_summary(tx, observation_end=as_of, days=valued_days))
        assert len(grouped) > 800 and grouped["frequency"].max() >= 3
        assert shared.index.equals(grouped.index) and list(shared.columns) == list(grouped.columns)
        for column in grouped.columns:
            if grouped[column].dtype.kind in "iMb":
                assert shared[column].equals(grouped[column]), column
            else:
                np.testing.assert_allclose(shared[column].astype(float), grouped[column].astype(float), rtol=1e-12,
                                           equal_nan=True, err_msg=column)
        # ... and the run saved it: its model columns are the summary's.
        model = _frame(scores.select("party_id", "frequency", "t", "monetary_value")).loc[grouped.index]
        assert model["frequency"].astype(int).tolist() == grouped["frequency"].tolist()
        assert model["t"].astype(int).tolist() == grouped["T"].tolist()
        np.testing.assert_allclose(model["monetary_value"].astype(float), grouped["monetary_value"], rtol=1e-12)
        with pytest.raises(ValueError, match="summary in days"):
            customer_summary(tx, observation_end=as_of, days=valued_days, time_unit="week")

        # The cost to serve counted from the summary's orders and refunds equals the one counting the transactions.
        counted = cost_to_serve(store, as_of, orders=customer_summary(tx, observation_end=as_of).select(
            "party_id", "refunds", deliveries="orders"))
        counted, direct = _frame(counted), _frame(cost_to_serve(store, as_of))
        buyers = grouped.index
        assert (direct.loc[buyers, "refunds"] > 0).sum() > 0
        for column in ("refunds", "deliveries"):
            assert counted.loc[buyers, column].tolist() == direct.loc[buyers, column].tolist(), column
        np.testing.assert_allclose(counted.loc[buyers].to_numpy(float), direct.loc[buyers].to_numpy(float),
                                   rtol=1e-12)

        # Deliveries: the new count equals the old distinct count of documents and line ids.
        old = _old_deliveries(store, as_of)
        new = _frame(cost_to_serve(store, as_of))
        assert sum(old.values()) > 800
        assert {p: int(n) for p, n in new["deliveries"].items() if n} == {p: n for p, n in old.items() if n}
        # ... and the saved cost to serve is the one those deliveries give (per delivery 4.5 by default).
        assert CostRules().per_delivery > 0
        costed = saved.index[saved["cost_to_serve"].notna()].intersection(new.index)  # the valued customers
        assert len(costed) > 500
        np.testing.assert_allclose(saved.loc[costed, "cost_to_serve"].astype(float),
                                   new.loc[costed, "cost_to_serve"].astype(float), rtol=1e-12, equal_nan=True)
