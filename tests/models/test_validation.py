"""Predictions refuse impossible inputs; fits that run away are flagged not converged."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from patron.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from patron.models.errors import InvalidInputError

PARAMS = {BetaGeo: dict(r=0.24, alpha=4.41, a=0.79, b=2.43), ModifiedBetaGeo: dict(r=0.24, alpha=4.41, a=0.79, b=2.43),
          ParetoNBD: dict(r=0.55, alpha=10.6, s=0.61, beta=11.7)}


@pytest.mark.parametrize("model_class", list(PARAMS))
def test_predictions_refuse_impossible_inputs(model_class):
    m = model_class.from_params(**PARAMS[model_class])
    with pytest.raises(InvalidInputError, match="recency is greater than T for 1 customer .*position 1"):
        m.probability_alive([1, 2], [5, 9], [10, 8])
    with pytest.raises(InvalidInputError, match="frequency has 1 missing"):
        m.probability_alive([np.nan], [1], [2])
    with pytest.raises(InvalidInputError, match="horizon t has 1 negative value"):
        m.conditional_expected_number_of_purchases_up_to_time(-1, 1, 1, 2)
    with pytest.raises(InvalidInputError, match="T has 1 negative"):
        m.expected_purchases(10, 1, 0, -2)
    with pytest.raises(InvalidInputError, match="recency"):
        m.expected_time_to_next_purchase(1, 3, 2)
    # Valid inputs still give the published numbers' shape: recency equal to T is allowed.
    assert np.all(np.isfinite(m.probability_alive([0, 2], [0, 8], [8, 8])))


def test_spend_prediction_refuses_negative_spend():
    gg = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    with pytest.raises(InvalidInputError, match="mean_spend"):
        gg.conditional_expected_average_spend([2], [-5.0])
    with pytest.raises(InvalidInputError, match="frequency has 1 negative"):
        gg.conditional_expected_average_spend([-1], [5.0])


def test_tiny_data_fit_is_flagged_not_converged():
    # Three customers: the likelihood cannot pin four parameters down.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = BetaGeo().fit([1, 0, 2], [3.0, 0.0, 5.0], [10.0, 8.0, 6.0])
    assert not m.converged_ and m.fit_warnings_
    assert any("standard error" in w or "ran away" in w or "did not converge" in w for w in m.fit_warnings_)
    assert caught


def test_a_clean_fit_is_converged():
    from patron.models.simulate import simulate_bgnbd

    rng = np.random.default_rng(3)
    data = simulate_bgnbd(5000, 0.5, 6.0, 0.8, 2.5, 40.0, rng)
    x, t_x, T = (np.asarray(getattr(data, k), dtype=float) for k in ("frequency", "recency", "T"))
    m = BetaGeo().fit(x, t_x, T)
    assert m.converged_ and m.fit_warnings_ == []
