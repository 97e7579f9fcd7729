"""Pareto/NBD with time-invariant covariates (Fader and Hardie's 2007 note): planted coefficients are recovered,
and with all-zero covariates it is patron's plain Pareto/NBD (itself checked against lifetimes)."""

from __future__ import annotations

import numpy as np
import pytest

from patron.models import GammaGamma, InvalidInputError, ParetoNBD, ParetoNBDCovariates
from patron.models.uncertainty import delta_intervals

BASE = {"r": 0.6, "alpha": 8.0, "s": 0.9, "beta": 14.0}
#: Planted, per covariate (a channel dummy, a standardised numeric attribute):
#: gamma1 > 0 raises the purchase rate (alpha smaller), gamma2 > 0 raises the dropout rate (beta smaller).
GAMMA1 = {"web": 0.7, "age": -0.3}
GAMMA2 = {"web": -0.5, "age": 0.4}


def _base(n: int, seed: int):
    """Customers with their own alpha_i and beta_i from a channel dummy and a numeric attribute, ages 30-78 weeks."""
    rng = np.random.default_rng(seed)
    web = rng.integers(0, 2, n).astype(float)
    age = np.round(rng.normal(0, 1, n), 1)
    Z = np.column_stack([web, age])
    alpha = BASE["alpha"] * np.exp(-Z @ np.array(list(GAMMA1.values())))
    beta = BASE["beta"] * np.exp(-Z @ np.array(list(GAMMA2.values())))
    T = np.round(rng.uniform(30, 78, n))
    rate = rng.gamma(BASE["r"], 1.0 / alpha)
    death_rate = rng.gamma(BASE["s"], 1.0 / beta)
    window = np.minimum(rng.exponential(1.0 / death_rate), T)
    x = rng.poisson(rate * window).astype(float)
    t_x = np.where(x > 0, window * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return x, np.where(x > 0, np.maximum(np.round(t_x, 2), 0.01), 0.0), T, Z  # to the hundredth, as real summaries


@pytest.fixture(scope="module")
def planted():
    x, t_x, T, Z = _base(6000, 13)
    return (x, t_x, T, Z), ParetoNBDCovariates().fit(x, t_x, T, Z, names=["web", "age"])


def test_planted_coefficients_are_recovered_within_their_intervals(planted):
    _, model = planted
    assert model.convergence_.success and model.converged_, model.fit_warnings_
    for part, gammas in (("gamma1", GAMMA1), ("gamma2", GAMMA2)):
        for name, value in gammas.items():
            found, se = model.coefficients_[f"{part}_{name}"], model.coefficient_errors_[f"{part}_{name}"]
            assert 0 < se < 0.4, (part, name, se)
            assert abs(found - value) < 3 * se, (part, name, found, value, se)
    # The rate effects are the best determined: their signs are clear.
    assert model.coefficients_["gamma1_web"] - 2 * model.coefficient_errors_["gamma1_web"] > 0
    assert model.coefficients_["gamma1_age"] + 2 * model.coefficient_errors_["gamma1_age"] < 0
    for name in ("r", "s"):
        assert abs(model.params_[name] - BASE[name]) < 3 * model.standard_errors_[name], name
    rows = {row["name"]: row for row in model.coefficient_table()}
    assert rows["gamma2_age"]["parameter"] == "beta" and rows["gamma2_age"]["covariate"] == "age"
    web = rows["gamma1_web"]  # the 95% interval: estimate -+ 1.96 standard errors
    assert (web["low"], web["high"]) == pytest.approx((web["coefficient"] - 1.959964 * web["standard_error"],
                                                      web["coefficient"] + 1.959964 * web["standard_error"]))


def test_with_all_zero_covariates_it_is_the_plain_pareto_nbd(generated):
    x, t_x, T = generated["x"], generated["t_x"], generated["T"]
    plain = ParetoNBD().fit(x, t_x, T)
    zero = np.zeros((x.size, 2))
    model = ParetoNBDCovariates().fit(x, t_x, T, zero)
    # Zero covariates say nothing of the coefficients: they stay at 0 with the penalty's standard error, 1.
    assert model.coefficient_errors_ == pytest.approx(dict.fromkeys(model.coefficients_, 1.0), rel=1e-4)
    # The likelihood itself: at the plain fit's parameters and zero coefficients it is the plain one, row by row.
    params = [*plain.params_.values(), 0.0, 0.0, 0.0, 0.0]
    data = model._fit_data(x, t_x, T, zero)
    ours = model._log_likelihood_terms(params, data)[0]
    theirs = ParetoNBD()._log_likelihood_terms(list(plain.params_.values()), ParetoNBD()._fit_data(x, t_x, T))[0]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    # And the fit: the same optimum (the coefficients cannot move: their gradient is 0).
    assert model.log_likelihood_ == pytest.approx(plain.log_likelihood_, abs=1e-8)
    renamed = {"alpha0": "alpha", "beta0": "beta"}
    assert {renamed.get(k, k): v for k, v in model.params_.items()} == pytest.approx(plain.params_, rel=1e-4)
    assert all(v == 0 for v in model.coefficients_.values())


def test_scoring_uses_each_customers_own_parameters(planted):
    (x, t_x, T, Z), model = planted
    rows = slice(0, 40)
    alive = model.probability_alive(x[rows], t_x[rows], T[rows], Z[rows])
    for i in range(40):
        own = model.model_for(Z[i])
        assert own.params_["alpha"] == pytest.approx(model.params_["alpha0"] * np.exp(
            -Z[i] @ [model.coefficients_["gamma1_web"], model.coefficients_["gamma1_age"]]))
        assert alive[i] == pytest.approx(own.probability_alive(x[i], t_x[i], T[i]), rel=1e-12)
    expected = model.conditional_expected_number_of_purchases_up_to_time(10.0, x[rows], t_x[rows], T[rows], Z[rows])
    assert expected[3] == pytest.approx(model.model_for(Z[3]).conditional_expected_number_of_purchases_up_to_time(
        10.0, x[3], t_x[3], T[3]))
    # A group's model carries the fit's covariance (log alpha = log alpha0 - gamma1 . z): intervals work on it.
    own = model.model_for(Z[0])
    assert own.log_covariance_.shape == (4, 4) and np.all(np.isfinite(own.log_covariance_))
    along = np.array([0.0, 1.0, 0.0, 0.0, *(-Z[0]), 0.0, 0.0])  # theta: log r, log alpha0, log s, log beta0, gammas
    assert own.log_covariance_[1, 1] == pytest.approx(along @ model.log_covariance_ @ along, rel=1e-10)
    spend = GammaGamma.from_params(p=6.0, q=4.0, gamma=15.0)
    spend.log_covariance_ = np.diag([0.01, 0.01, 0.01])
    bounds = delta_intervals(own, spend, x[:1], t_x[:1], T[:1], [20.0])
    assert 0 < bounds["clv_low"][0] < bounds["clv_high"][0]


def test_bad_covariates_are_refused(generated):
    x, t_x, T = generated["x"], generated["t_x"], generated["T"]
    with pytest.raises(InvalidInputError, match="one row each"):
        ParetoNBDCovariates().fit(x, t_x, T, np.zeros(x.size - 1))
    broken = np.zeros(x.size)
    broken[:3] = np.nan
    with pytest.raises(InvalidInputError, match="3 missing"):
        ParetoNBDCovariates().fit(x, t_x, T, broken)
