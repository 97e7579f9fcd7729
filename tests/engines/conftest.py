"""One small demo company, analysed on DuckDB from its store, and the lake exported from that store."""

from __future__ import annotations

import pytest

from companies import demo_company
from patron.engines.lake import export_lake
from patron.store import Store

SCORE_COLUMNS = ("frequency", "recency", "t", "monetary_value", "first_purchase_at", "last_purchase_at", "orders",
                 "revenue", "margin", "p_alive", "expected_purchases", "expected_spend", "clv", "next_purchase_in",
                 "r_score", "f_score", "m_score", "rfm_segment", "rung", "rung_level", "health", "health_trend",
                 "triage", "value_tier", "quality_tier", "at_risk", "reasons")


@pytest.fixture(scope="package")
def company(tmp_path_factory):
    """(store path, lake path, the DuckDB run's id): 500 demo customers, seed 2."""
    root = tmp_path_factory.mktemp("engines")
    with demo_company(root, 500, 2) as store:
        run_id = store.scalar("SELECT max(run_id) FROM runs")
        export_lake(store, root / "lake")
    return root / "patron.duckdb", root / "lake", run_id


def scores_of(store_path, run_id):
    """One run's scores from a store, as pandas indexed by party."""
    with Store(store_path, read_only=True) as store:
        df = store.raw.execute("SELECT * FROM scores WHERE run_id = ? ORDER BY party_id", [run_id]).df()
    return df.set_index("party_id")


def assert_same_scores(a, b, rtol=1e-6):
    """Every score of every party equal: numbers to ``rtol``, the rest exactly.

    Not bit for bit: a party's float sums depend on the order the engine adds its rows in (which varies
    between runs of one engine too), and the Gamma-Gamma fit on a few hundred repeat buyers is flat
    enough to turn last-bit differences in mean spend into ~1e-7 relative ones in expected spend and CLV.
    """
    import numpy as np
    import pandas as pd

    assert list(a.index) == list(b.index)
    for column in SCORE_COLUMNS:
        x, y = a[column], b[column]
        if pd.api.types.is_float_dtype(x):
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=rtol, atol=1e-9, err_msg=column)
        else:
            assert ((x == y) | (x.isna() & y.isna())).all(), column
