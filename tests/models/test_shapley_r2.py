"""The Shapley decomposition of R² (LMG) against a hand-computed example, and its contract with R² and with
Johnson's relative weights."""

from __future__ import annotations

import numpy as np
import pytest

from patron.errors import InvalidInput
from patron.models.quality import relative_weights, shapley_r2, shapley_r2_from_correlations


def test_two_drivers_by_hand():
    # r(x1, y) = 0.5, r(x2, y) = 0.4, r(x1, x2) = 0.3:
    # R²(1) = 0.25, R²(2) = 0.16, R²(1, 2) = (0.25 + 0.16 - 2 * 0.5 * 0.4 * 0.3) / (1 - 0.09) = 0.29 / 0.91
    full = 0.29 / 0.91
    shares = shapley_r2_from_correlations([[1, 0.3], [0.3, 1]], [0.5, 0.4])
    assert shares == pytest.approx([(0.25 + full - 0.16) / 2, (0.16 + full - 0.25) / 2], abs=1e-12)
    assert shares == pytest.approx([0.2043407, 0.1143407], abs=1e-7)


def test_three_drivers_by_hand():
    # uncorrelated drivers: each share is its own r², whatever the order of entry
    assert shapley_r2_from_correlations(np.eye(3), [0.5, 0.3, 0.1]) == pytest.approx([0.25, 0.09, 0.01])
    # x3 a copy of nothing but correlated with x1 only: the orders 1,3 / 3,1 split their joint gain
    rxx = np.array([[1, 0, 0.6], [0, 1, 0], [0.6, 0, 1]])
    rxy = np.array([0.5, 0.3, 0.3])
    r2 = {(): 0.0, (0,): 0.25, (1,): 0.09, (2,): 0.09}
    r2[(0, 1)], r2[(1, 2)] = 0.34, 0.18
    r2[(0, 2)] = (0.25 + 0.09 - 2 * 0.5 * 0.3 * 0.6) / (1 - 0.36)
    r2[(0, 1, 2)] = r2[(0, 2)] + 0.09
    s1 = (2 * (r2[(0,)] - r2[()]) + (r2[(0, 1)] - r2[(1,)]) + (r2[(0, 2)] - r2[(2,)])
          + 2 * (r2[(0, 1, 2)] - r2[(1, 2)])) / 6
    shares = shapley_r2_from_correlations(rxx, rxy)
    assert shares[0] == pytest.approx(s1) and shares[1] == pytest.approx(0.09)
    assert shares.sum() == pytest.approx(r2[(0, 1, 2)])


def test_on_data_the_shares_sum_to_r2_and_order_like_relative_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 4)) @ np.array([[1, 0.4, 0, 0], [0, 1, 0.3, 0], [0, 0, 1, 0.2], [0, 0, 0, 1]])
    y = x @ np.array([0.9, 0.5, 0.2, 0.0]) + rng.normal(size=2000)
    found = shapley_r2(x, y)
    fit = np.linalg.lstsq(np.column_stack([np.ones(2000), x]), y, rcond=None)[0]
    resid = y - np.column_stack([np.ones(2000), x]) @ fit
    assert found["r2"] == pytest.approx(1 - resid.var() / y.var(), abs=1e-9)
    johnson = relative_weights(x, y)
    assert list(np.argsort(-found["weights"])) == list(np.argsort(-johnson["weights"])) == [0, 1, 2, 3]
    assert found["weights"] == pytest.approx(johnson["weights"], abs=0.02)  # close, not equal: two definitions
    with pytest.raises(InvalidInput, match="at most 12"):
        shapley_r2(rng.normal(size=(100, 13)), rng.normal(size=100))
