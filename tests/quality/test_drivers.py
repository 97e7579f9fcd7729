"""Johnson's relative weights: the weights sum to R², equal squared correlations for orthogonal drivers, and
rank planted drivers in their order."""

from __future__ import annotations

import numpy as np
import pytest

from patron.errors import Conflict, InvalidInput
from patron.models.quality import relative_weights, relative_weights_ci


def test_orthogonal_drivers_get_their_squared_correlations():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    x = np.linalg.qr(x - x.mean(axis=0))[0]  # exactly orthogonal, centred columns
    y = x @ np.array([3.0, 2.0, 1.0]) + rng.normal(scale=0.05, size=400)
    r = relative_weights(x, y)
    r2_each = [np.corrcoef(x[:, j], y)[0, 1] ** 2 for j in range(3)]
    assert r["weights"] == pytest.approx(r2_each, rel=1e-9)
    fitted = x @ np.linalg.lstsq(np.c_[np.ones(400), x], y, rcond=None)[0][1:]
    assert r["r2"] == pytest.approx(np.corrcoef(fitted, y)[0, 1] ** 2, rel=1e-9)


def test_correlated_planted_drivers_are_ranked_with_intervals():
    rng = np.random.default_rng(8)
    base = rng.normal(size=(2000, 1))
    x = 0.5 * base + rng.normal(size=(2000, 4))  # correlated drivers
    y = x @ np.array([0.8, 0.4, 0.2, 0.0]) + rng.normal(size=2000)
    r = relative_weights_ci(x, y, n_boot=200)
    assert list(np.argsort(-r["weights"])) == [0, 1, 2, 3]
    assert sum(r["weights"]) == pytest.approx(r["r2"])
    lm = np.linalg.lstsq(np.c_[np.ones(2000), x], y, rcond=None)[0]
    resid = y - np.c_[np.ones(2000), x] @ lm
    assert r["r2"] == pytest.approx(1 - resid.var() / y.var(), rel=1e-9)
    assert all(lo <= w <= hi for lo, w, hi in zip(r["low"], r["weights"], r["high"]))
    assert r["high"][3] < r["low"][0]
    with pytest.raises(InvalidInput, match="perfectly correlated"):
        relative_weights(np.c_[x[:, :1], x[:, :1]], y)



def test_drivers_of_nps_from_servqual_perceptions(store):
    """60 customers: NPS planted on reliability (strongly) and empathy (weakly); the others do not matter."""
    from patron.areas.quality.service import drivers_report

    rng = np.random.default_rng(5)
    dims = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
    n = 0
    for party in range(1, 61):
        store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at) VALUES (?, 'person', "
                          "'customer', '2024-01-01')", [party])
        p = rng.integers(1, 8, 5).astype(float)
        for d, v in zip(dims, p):
            n += 1
            store.raw.execute("INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, "
                              "instrument, dimension, expectation, perception, scale_max) "
                              "VALUES (?, 't', ?, ?, '2024-07-01', 'servqual', ?, 6, ?, 7)", [n, f"f{n}", party, d, v])
        nps = float(np.clip(np.round(1.2 * p[1] + 0.4 * p[4] - 2 + rng.normal(0, 0.5)), 0, 10))
        n += 1
        store.raw.execute("INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, "
                          "score, scale_max) VALUES (?, 't', ?, ?, '2024-07-03', 'nps', ?, 10)",
                          [n, f"f{n}", party, nps])
    r = drivers_report(store, None, n_boot=200)
    assert r["respondents"] == 60
    assert [d["dimension"] for d in r["drivers"]][:2] == ["reliability", "empathy"]
    assert sum(d["weight"] for d in r["drivers"]) == pytest.approx(r["r2"]) and r["r2"] > 0.7
    top = r["drivers"][0]
    assert top["low"] > max(d["high"] for d in r["drivers"][2:])
    with pytest.raises(Conflict, match="Drivers need at least"):
        store.raw.execute("DELETE FROM feedback WHERE party_id > 10")
        drivers_report(store, None)


def test_large_sample_bootstrap_through_counts_equals_resampled_rows(monkeypatch):
    from patron.models import quality as q

    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (2000, 4)) + rng.normal(0, 0.5, (2000, 1))
    y = x @ np.array([0.5, 0.2, 0.1, 0.0]) + rng.normal(0, 1, 2000)
    rows = q.relative_weights_ci(x, y, n_boot=40, seed=7)
    monkeypatch.setattr(q, "LARGE_SAMPLE", 1000)  # the same draws, through counts and moment sums
    counts = q.relative_weights_ci(x, y, n_boot=40, seed=7)
    np.testing.assert_allclose(counts["low"], rows["low"], rtol=1e-9)
    np.testing.assert_allclose(counts["high"], rows["high"], rtol=1e-9)
