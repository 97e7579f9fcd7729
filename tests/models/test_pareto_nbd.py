"""The Pareto/NBD's hypergeometric integral and its numerical derivatives,
checked against direct quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from patron.models import ParetoNBD
from patron.models.pareto_nbd import _log_tail


def tail_by_quadrature(p, q, alpha, beta, t, weight=lambda y: 1.0):
    def integrand(y):
        return weight(y) * (alpha + y) ** -p * (beta + y) ** -q

    return quad(integrand, t, np.inf, epsabs=0, epsrel=1e-13, limit=500)[0]


@pytest.mark.parametrize("alpha, beta", [(10.578, 11.669), (30.0, 2.0)], ids=["alpha<beta", "alpha>beta"])
@pytest.mark.parametrize("x, t", [(0, 0.0), (2, 30.43), (10, 5.0), (50, 38.0)])
def test_tail_integral_and_its_r_derivative(alpha, beta, x, t):
    r, s = 0.553, 0.606
    exact = tail_by_quadrature(r + x, s + 1, alpha, beta, t)
    assert _log_tail(r + x, s + 1, alpha, beta, t) == pytest.approx(np.log(exact), abs=1e-12)
    step = 1e-6 * r
    numerical = (
        _log_tail(r + step + x, s + 1, alpha, beta, t) - _log_tail(r - step + x, s + 1, alpha, beta, t)
    ) / (2 * step)
    derivative = tail_by_quadrature(r + x, s + 1, alpha, beta, t, lambda y: -np.log(alpha + y)) / exact
    assert numerical == pytest.approx(derivative, rel=1e-8)


def test_heavy_buyers_tail_stays_finite():
    # The untransformed 2F1 overflows here (it grows like (1 - z)**(1 - x)).
    value = _log_tail(0.5 + 2000, 1.6, 1.0, 50.0, 0.5)
    assert np.isfinite(value)
    model = ParetoNBD.from_params(r=0.5, alpha=1.0, s=0.6, beta=50.0)
    assert 0 < model.probability_alive(2000, 40.0, 52.0) <= 1


def test_total_gradient_matches_differences_of_the_likelihood(cdnow):
    model = ParetoNBD()
    data = model._fit_data(cdnow["x"], cdnow["t_x"], cdnow["T"])
    params = np.array([0.553, 10.578, 0.606, 11.669])
    _, grad = model._log_likelihood_terms(params, data)
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-5 * params[k]
        up = model._log_likelihood_terms(params + step, data)[0].sum()
        down = model._log_likelihood_terms(params - step, data)[0].sum()
        assert grad[k].sum() == pytest.approx((up - down) / (2 * step[k]), rel=1e-5)
