"""Pareto/NBD with time-invariant covariates (e.g. acquisition channel, a numeric attribute).

Fader and Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models"
(their note, section 2): a customer with covariates x_i buys at a Poisson rate lambda_i ~ Gamma(r, alpha_i)
and stays alive for an exponential time with rate mu_i ~ Gamma(s, beta_i), where

    alpha_i = alpha0 · exp(-gamma1 · x_i)     (E[lambda_i] = r / alpha_i: a positive gamma1 raises the rate)
    beta_i = beta0 · exp(-gamma2 · x_i)       (E[mu_i] = s / beta_i: a positive gamma2 shortens the lifetime)

and the Pareto/NBD likelihood (Fader & Hardie 2005, "A note on deriving the Pareto/NBD model") at their own
alpha_i and beta_i; r and s are shared. With every coefficient at zero it is the plain Pareto/NBD.

The likelihood's gradient is the plain model's (:class:`~patron.models.ParetoNBD`: analytic in alpha and beta,
central differences in r and s), evaluated per customer and carried to the coefficients by the chain rule; the
hypergeometric integral is evaluated per customer (their alpha and beta differ), not per distinct (x, t) pair.
Fit, standard errors and predictions per covariate row (:meth:`model_for`) are the shared ones of
:mod:`patron.models.covariates`.

Examples
--------
>>> import numpy as np
>>> from patron.models import ParetoNBDCovariates
>>> from patron.models.simulate import simulate_pareto_nbd
>>> rng = np.random.default_rng(2)
>>> web = simulate_pareto_nbd(2000, 0.6, 5.0, 0.8, 12.0, T=52.0, rng=rng)   # alpha 10 · exp(-0.69)
>>> shop = simulate_pareto_nbd(2000, 0.6, 10.0, 0.8, 12.0, T=52.0, rng=rng)
>>> z = np.r_[np.ones(2000), np.zeros(2000)]
>>> model = ParetoNBDCovariates().fit(np.r_[web.frequency, shop.frequency], np.r_[web.recency, shop.recency],
...                                   np.r_[web.T, shop.T], z, names=["web"])
>>> bool(0.3 < model.coefficients_["gamma1_web"] < 1.1)
True
"""

from __future__ import annotations

from typing import ClassVar

from patron.models.covariates import CovariateModel, CovariateRows
from patron.models.pareto_nbd import ParetoNBD

__all__ = ["ParetoNBDCovariates"]


class ParetoNBDCovariates(CovariateModel):
    """Pareto/NBD whose alpha and beta depend on each customer's covariates (see the module's note)."""

    base = ParetoNBD
    scaled: ClassVar[dict[str, int]] = {"alpha": -1, "beta": -1}
    exact_gradient = ParetoNBD.exact_gradient  # its r and s derivatives are finite differences

    def _fit_data(self, x, t_x, T, Z):
        data = CovariateRows(x, t_x, T, Z)
        data.pairs = ParetoNBD.own_pairs(x, t_x, T)
        return data
