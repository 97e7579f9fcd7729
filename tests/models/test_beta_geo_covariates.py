"""BG/NBD with time-invariant covariates (Fader and Hardie's note) recovers coefficients planted in a simulation."""

from __future__ import annotations

import numpy as np
import pytest

from patron.models import BetaGeo, InvalidInputError
from patron.models.beta_geo_covariates import BetaGeoCovariates
from patron.models.simulate import simulate_bgnbd

BASE = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
#: Planted: customers of the second channel buy more often (gamma1 > 0: alpha smaller) and leave sooner.
GAMMA = {"gamma1": 0.6, "gamma2": 0.4, "gamma3": -0.3}


def _base(n_per_channel: int, seed: int):
    rng = np.random.default_rng(seed)
    parts, channel = [], []
    for z in (0.0, 1.0):
        alpha = BASE["alpha"] * np.exp(-GAMMA["gamma1"] * z)
        a, b = BASE["a"] * np.exp(GAMMA["gamma2"] * z), BASE["b"] * np.exp(GAMMA["gamma3"] * z)
        T = np.round(rng.uniform(30, 78, n_per_channel))
        parts.append(simulate_bgnbd(n_per_channel, BASE["r"], alpha, a, b, T=T, rng=rng))
        channel.append(np.full(n_per_channel, z))
    return (np.concatenate([p.frequency for p in parts]), np.concatenate([p.recency for p in parts]),
            np.concatenate([p.T for p in parts]), np.concatenate(channel))


def test_planted_coefficients_are_recovered_within_their_intervals():
    x, t_x, T, z = _base(5000, 7)
    model = BetaGeoCovariates().fit(x, t_x, T, z, names=["web"])
    for part, planted in GAMMA.items():
        found, se = model.coefficients_[f"{part}_web"], model.coefficient_errors_[f"{part}_web"]
        assert 0 < se < 0.5, (part, se)
        assert abs(found - planted) < 3 * se, (part, found, planted, se)
    assert model.params_["r"] == pytest.approx(BASE["r"], rel=0.25)
    # The rate effect is the best determined and its sign is clear.
    assert model.coefficients_["gamma1_web"] - 2 * model.coefficient_errors_["gamma1_web"] > 0


def test_without_an_effect_it_is_the_plain_bgnbd():
    rng = np.random.default_rng(3)
    base = simulate_bgnbd(3000, *BASE.values(), T=52.0, rng=rng)
    noise = rng.integers(0, 2, 3000).astype(float)  # a covariate that changes nothing
    model = BetaGeoCovariates().fit(base.frequency, base.recency, base.T, noise)
    plain = BetaGeo().fit(base.frequency, base.recency, base.T)
    assert all(abs(v) < 3 * model.coefficient_errors_[k] for k, v in model.coefficients_.items())
    # With every coefficient at zero the likelihood is the BG/NBD's; the fitted one can only be higher.
    assert model.log_likelihood_ >= plain.log_likelihood_ - 1e-6
    assert model.log_likelihood_ - plain.log_likelihood_ < 10  # three parameters more buy little


def test_predictions_use_each_customers_own_model():
    x, t_x, T, z = _base(2000, 11)
    model = BetaGeoCovariates().fit(x, t_x, T, z)
    alive = model.probability_alive(x[:5], t_x[:5], T[:5], z[:5])
    expected = model.conditional_expected_number_of_purchases_up_to_time(10.0, x[-5:], t_x[-5:], T[-5:], z[-5:])
    assert alive == pytest.approx(model.model_for([0.0]).probability_alive(x[:5], t_x[:5], T[:5]))
    assert expected == pytest.approx(model.model_for([1.0]).conditional_expected_number_of_purchases_up_to_time(
        10.0, x[-5:], t_x[-5:], T[-5:]))
    second = model.model_for([1.0]).params_
    assert second["alpha"] == pytest.approx(model.params_["alpha0"] * np.exp(-model.coefficients_["gamma1_z0"]))
    with pytest.raises(InvalidInputError, match="one row each"):
        BetaGeoCovariates().fit(x, t_x, T, z[:-1])
