"""The simulator checked against a reference implementation: ``lifetimes`` fits recover the true parameters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from patron.demo import DemoParameters
from patron.demo.customers import simulate_population
from patron.demo.orders import order_offsets, simulate_orders

lifetimes = pytest.importorskip("lifetimes")


@pytest.fixture(scope="module")
def simulated():
    params = DemoParameters()
    pop = simulate_population(np.random.default_rng(21), 20_000, params)
    orders = simulate_orders(np.random.default_rng(22), pop, 0, pop.size, params, 0)
    return params, pop, orders


def test_bgnbd_fit_recovers_r_alpha_a_b(simulated):
    params, pop, _ = simulated
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = lifetimes.BetaGeoFitter().fit(pop.x, pop.t_x, pop.end_w - pop.acquired_w).params_
    for name in ("r", "alpha", "a", "b"):
        assert abs(fitted[name] / getattr(params, name) - 1) < 0.15, (name, fitted[name])


def test_gamma_gamma_fit_recovers_the_mean_spend(simulated):
    params, pop, orders = simulated
    repeat = np.ones(len(orders.person), dtype=bool)
    repeat[order_offsets(pop)[:-1]] = False  # Gamma-Gamma is fitted on repeat purchases
    who = orders.person[repeat]
    value = np.bincount(who, weights=orders.value_cents[repeat] / 100, minlength=pop.size)
    buyers = pop.x > 0
    mean = value[buyers] / pop.x[buyers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = lifetimes.GammaGammaFitter().fit(pop.x[buyers], mean).params_
    true_mean = params.gg_p * params.gg_gamma / (params.gg_q - 1)
    fitted_mean = fitted["p"] * fitted["v"] / (fitted["q"] - 1)
    assert abs(fitted_mean / true_mean - 1) < 0.05
    assert abs(fitted["p"] / params.gg_p - 1) < 0.25
