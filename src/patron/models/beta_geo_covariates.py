"""BG/NBD with time-invariant covariates (e.g. acquisition channel).

Fader and Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models"
(their note): a customer with covariates z has

    alpha(z) = alpha0 · exp(-gamma1 · z)     (purchase rate: lambda ~ Gamma(r, alpha(z)); E[lambda] = r / alpha(z))
    a(z) = a0 · exp(gamma2 · z),  b(z) = b0 · exp(gamma3 · z)     (dropout: p ~ Beta(a(z), b(z)))

and the BG/NBD likelihood (FHL 2005, eq. 6) at their own alpha, a, b; r is shared. A positive gamma1 means the
covariate raises the purchase rate. The fit, the predictions per covariate row (:meth:`model_for`, a plain
:class:`~patron.models.BetaGeo`) and the standard errors are the shared ones of :mod:`patron.models.covariates`.

Examples
--------
>>> import numpy as np
>>> from patron.models import BetaGeoCovariates
>>> from patron.models.simulate import simulate_bgnbd
>>> rng = np.random.default_rng(1)
>>> web = simulate_bgnbd(2000, 0.5, 3.0, 0.8, 2.5, T=52.0, rng=rng)   # alpha 6 · exp(-0.69): twice the rate
>>> shop = simulate_bgnbd(2000, 0.5, 6.0, 0.8, 2.5, T=52.0, rng=rng)
>>> z = np.r_[np.ones(2000), np.zeros(2000)]
>>> model = BetaGeoCovariates().fit(np.r_[web.frequency, shop.frequency], np.r_[web.recency, shop.recency],
...                                 np.r_[web.T, shop.T], z, names=["web"])
>>> bool(0.4 < model.coefficients_["gamma1_web"] < 1.0)
True
"""

from __future__ import annotations

from typing import ClassVar

from patron.models.beta_geo import BetaGeo
from patron.models.covariates import CovariateModel

__all__ = ["BetaGeoCovariates"]


class BetaGeoCovariates(CovariateModel):
    """BG/NBD whose alpha, a and b depend on each customer's covariates (see the module's note)."""

    base = BetaGeo
    scaled: ClassVar[dict[str, int]] = {"alpha": -1, "a": 1, "b": 1}
    exact_gradient = BetaGeo.exact_gradient
