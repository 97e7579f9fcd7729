"""The diagnostics of patron.models.diagnostics against lifetimes 0.11.3 at the same parameters.

Where lifetimes' function cannot run on pandas 3 (``calculate_alive_path`` calls ``fillna(method=...)``, gone
from pandas 3; ``expected_cumulative_transactions`` resamples with it too), the test follows lifetimes'
algorithm step by step with its model's ``conditional_probability_alive`` and
``expected_number_of_purchases_up_to_time`` instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from patron.models import BetaGeo, ModelError, ParetoNBD
from patron.models.diagnostics import (
    alive_path,
    frequency_recency_matrix,
    period_transactions,
    purchase_count_probabilities,
    tracking,
)
from patron.models.simulate import simulate_bgnbd

lifetimes = pytest.importorskip("lifetimes")

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW, Fader, Hardie and Lee (2005)


def _theirs():
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(PARAMS)
    return fitter


def test_period_transactions_are_each_customers_p_of_n_summed():
    rng = np.random.default_rng(2)
    base = simulate_bgnbd(500, *PARAMS.values(), T=np.round(rng.uniform(20, 40, 500)), rng=rng)
    found = period_transactions(BetaGeo.from_params(**PARAMS), base.frequency, base.T, most=7)
    theirs = _theirs()
    for n in range(7):
        expected = sum(float(theirs.probability_of_n_purchases_up_to_time(T, n)) for T in base.T)
        assert found["expected"][n] == pytest.approx(expected, rel=1e-9), n
    assert sum(found["expected"]) == pytest.approx(500, rel=1e-9)
    assert found["actual"] == [int(np.sum(np.minimum(base.frequency, 7) == k)) for k in range(8)]
    assert found["repeat_purchases"][-1] == "7+"


def test_p_of_n_sums_to_one_and_refuses_models_without_it():
    shares = purchase_count_probabilities(BetaGeo.from_params(**PARAMS), 39.0, 10)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12) and shares.size == 11
    assert shares[0] == pytest.approx(float(_theirs().probability_of_n_purchases_up_to_time(39.0, 0)), rel=1e-10)
    with pytest.raises(ModelError, match="BG/NBD"):
        purchase_count_probabilities(ParetoNBD.from_params(r=0.55, alpha=10.6, s=0.61, beta=11.7), 39.0, 5)


def test_frequency_recency_matrices_equal_lifetimes():
    ours = frequency_recency_matrix(BetaGeo.from_params(**PARAMS), T=30, t=1.0, max_frequency=12)
    theirs = _theirs()
    # lifetimes' plot_frequency_recency_matrix: Z[recency, frequency] = E[X(t) | frequency, recency, T=max_recency].
    expected = np.array([[theirs.conditional_expected_number_of_purchases_up_to_time(1.0, f, r, 30)
                          for f in range(13)] for r in range(31)], dtype=float)
    np.testing.assert_allclose(ours["expected"], expected, rtol=1e-9)
    np.testing.assert_allclose(ours["p_alive"], theirs.conditional_probability_alive_matrix(12, 30), rtol=1e-9)


def test_alive_path_follows_lifetimes_calculate_alive_path():
    days = np.array([0, 0, 5, 9, 30, 31, 62])  # two purchases on day 0 count as one period, as in lifetimes
    ours = alive_path(BetaGeo.from_params(**PARAMS), days, end=90)
    # lifetimes' calculate_alive_path, step by step: daily purchase flags over t + 1 days, frequency = cumulative
    # purchase days - 1, recency = the last purchase day (carried forward), T = the day.
    flags = np.zeros(91, dtype=int)
    flags[np.unique(days)] = 1
    frequency = np.cumsum(flags) - 1
    recency = pd.Series(np.where(flags > 0, np.arange(91), np.nan)).ffill().fillna(0).to_numpy()
    theirs = _theirs()
    expected = [float(np.squeeze(theirs.conditional_probability_alive(f, r, T)))
                for f, r, T in zip(frequency, recency, range(91))]
    np.testing.assert_allclose(ours["p_alive"], expected, rtol=1e-10)
    assert ours["p_alive"][0] == 1.0 and ours["p_alive"][-1] < ours["p_alive"][63]
    with pytest.raises(ModelError, match="without purchases"):
        alive_path(BetaGeo.from_params(**PARAMS), [], end=10)


def test_tracking_hand_derived():
    model = BetaGeo.from_params(**PARAMS)
    # Three customers: two arrive in period 0, one in period 2; repeat purchases in periods 1, 3 and 3.
    found = tracking(model, [0, 0, 2], [1, 3, 3], start=0, end=4)
    expected = [0.0, *(2 * model.expected_number_of_purchases_up_to_time(float(s))
                       + (model.expected_number_of_purchases_up_to_time(float(s - 2)) if s > 2 else 0.0)
                       for s in range(1, 5))]
    np.testing.assert_allclose(found["expected_cumulative"], expected, rtol=1e-12)
    assert found["actual_cumulative"].tolist() == [0, 1, 1, 3, 3]
    assert found["actual_incremental"].tolist() == [0, 1, 0, 2, 0]
    np.testing.assert_allclose(np.cumsum(found["expected_incremental"]), found["expected_cumulative"], rtol=1e-12)
    # lifetimes' expected_number_of_purchases_up_to_time is the curve each cohort follows.
    assert float(model.expected_number_of_purchases_up_to_time(3.0)) == pytest.approx(
        float(_theirs().expected_number_of_purchases_up_to_time(3.0)), rel=1e-10)
