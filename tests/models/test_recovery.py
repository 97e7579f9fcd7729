"""Fits recover the parameters a base was simulated from, and predictions
match what the simulated customers then do."""

from __future__ import annotations

import numpy as np
import pytest

from patron.models import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD
from patron.models.simulate import (
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gamma_gamma,
    simulate_pareto_nbd,
)

N = 20_000


def ages(rng, n=N):
    return rng.integers(20, 81, n).astype(float)  # whole weeks


def assert_recovered(model, truth, z=4.0):
    for name, true in truth.items():
        fitted, error = model.params_[name], model.standard_errors_[name]
        assert abs(fitted - true) < z * error, f"{name}: fitted {fitted:.4f} ± {error:.4f}, true {true}"


def test_bgnbd_recovers_its_parameters():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(11)
    base = simulate_bgnbd(N, *truth.values(), ages(rng), rng)
    assert_recovered(BetaGeo().fit(base.frequency, base.recency, base.T), truth)


def test_mbgnbd_recovers_its_parameters():
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(12)
    base = simulate_bgnbd(N, *truth.values(), ages(rng), rng, modified=True)
    assert_recovered(ModifiedBetaGeo().fit(base.frequency, base.recency, base.T), truth)


def test_pareto_nbd_recovers_its_parameters():
    truth = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
    rng = np.random.default_rng(13)
    base = simulate_pareto_nbd(N, *truth.values(), ages(rng), rng)
    assert_recovered(ParetoNBD().fit(base.frequency, base.recency, base.T), truth)


def test_bgbb_recovers_its_parameters():
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    rng = np.random.default_rng(14)
    base = simulate_bgbb(N, *truth.values(), 6, rng)
    assert_recovered(BetaGeoBetaBinom().fit(base.frequency, base.recency, base.T), truth)


def test_gamma_gamma_recovers_its_parameters():
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    rng = np.random.default_rng(15)
    frequency = rng.poisson(3.0, N).astype(float)
    spend = simulate_gamma_gamma(frequency, *truth.values(), rng)
    assert_recovered(GammaGamma().fit(frequency, spend), truth)


@pytest.mark.parametrize(
    "model_cls, simulate, truth",
    [
        (BetaGeo, simulate_bgnbd, (0.5, 6.0, 0.8, 2.5)),
        (ParetoNBD, simulate_pareto_nbd, (0.55, 10.0, 0.6, 12.0)),
    ],
    ids=["BetaGeo", "ParetoNBD"],
)
def test_predictions_match_the_simulated_future(model_cls, simulate, truth):
    """Simulate 52 weeks of calibration plus 26 of holdout with event times;
    what the model predicts from the calibration summary must match the
    holdout."""
    rng = np.random.default_rng(16)
    calibration, holdout = ages(rng), 26.0
    base = simulate(N, *truth, calibration + holdout, rng, event_times=True)
    seen = base.purchase_time <= calibration[base.purchase_customer]
    x = np.bincount(base.purchase_customer[seen], minlength=N).astype(float)
    t_x = np.zeros(N)
    np.maximum.at(t_x, base.purchase_customer[seen], base.purchase_time[seen])
    actual = np.bincount(base.purchase_customer[~seen], minlength=N)

    model = model_cls.from_params(**dict(zip(model_cls.param_names, truth)))
    predicted = model.expected_purchases(holdout, x, t_x, calibration)
    assert predicted.sum() == pytest.approx(actual.sum(), rel=0.05)
    for bought in range(4):  # the classic conditional-expectation check, by frequency
        group = x == bought
        assert predicted[group].sum() == pytest.approx(actual[group].sum(), rel=0.12, abs=30)

    fitted = model_cls().fit(x, t_x, calibration)
    assert fitted.expected_purchases(holdout, x, t_x, calibration).sum() == pytest.approx(
        actual.sum(), rel=0.08
    )


@pytest.mark.parametrize(
    "model_cls, simulate, truth, extra",
    [
        (BetaGeo, simulate_bgnbd, (0.5, 6.0, 0.8, 2.5), {}),
        (ModifiedBetaGeo, simulate_bgnbd, (0.5, 6.0, 0.8, 2.5), {"modified": True}),
        (ParetoNBD, simulate_pareto_nbd, (0.55, 10.0, 0.6, 12.0), {}),
    ],
    ids=["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"],
)
def test_probability_alive_matches_who_is_alive(model_cls, simulate, truth, extra):
    rng = np.random.default_rng(17)
    base = simulate(N, *truth, ages(rng), rng, **extra)
    model = model_cls.from_params(**dict(zip(model_cls.param_names, truth)))
    alive = model.probability_alive(base.frequency, base.recency, base.T)
    assert alive.sum() == pytest.approx(base.alive.sum(), rel=0.03)
    for bought in (0, 1, 2, 5):
        group = base.frequency == bought
        assert alive[group].sum() == pytest.approx(base.alive[group].sum(), rel=0.1, abs=20)


def test_bgbb_probability_alive_matches_who_is_alive():
    truth = (1.2, 0.75, 0.66, 2.8)
    rng = np.random.default_rng(18)
    base = simulate_bgbb(N, *truth, 6, rng)
    model = BetaGeoBetaBinom.from_params(**dict(zip(BetaGeoBetaBinom.param_names, truth)))
    alive = model.probability_alive(base.frequency, base.recency, base.T)
    assert alive.sum() == pytest.approx(base.alive.sum(), rel=0.03)


def test_expected_time_to_next_purchase_is_the_median_wait_of_an_alive_customer():
    """Draw the purchase rate from its posterior given the history, then the
    wait; half the waits must fall below the predicted time."""
    model = BetaGeo.from_params(r=0.5, alpha=6.0, a=0.8, b=2.5)
    rng = np.random.default_rng(19)
    for x, T in ((0, 10.0), (3, 30.0), (12, 52.0)):
        rate = rng.gamma(0.5 + x, 1 / (6.0 + T), 400_000)
        wait = rng.exponential(1 / rate)
        median = model.expected_time_to_next_purchase(x, min(T, 20.0) if x else 0.0, T)
        assert np.mean(wait <= median) == pytest.approx(0.5, abs=0.005)


def test_standard_errors_are_calibrated():
    """Over repeated simulations the errors, divided by the reported standard
    errors, should look standard normal: checks the Hessian, not just the fit."""
    truth = {"r": 0.5, "alpha": 6.0, "a": 0.8, "b": 2.5}
    rng = np.random.default_rng(20)
    z = []
    for _ in range(40):
        base = simulate_bgnbd(4000, *truth.values(), ages(rng, 4000), rng)
        model = BetaGeo().fit(base.frequency, base.recency, base.T)
        z.append([(model.params_[k] - v) / model.standard_errors_[k] for k, v in truth.items()])
    z = np.array(z)
    assert np.all(np.abs(z.mean(axis=0)) < 0.5)
    assert np.all((z.std(axis=0) > 0.7) & (z.std(axis=0) < 1.35))
