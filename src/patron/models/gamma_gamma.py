"""Gamma-Gamma: how much a customer spends per purchase.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for
customer base analysis", Journal of Marketing Research 42(4), and Fader &
Hardie's note "The Gamma-Gamma model of monetary value" (2013).

Each purchase of a customer is worth z ~ Gamma(p, nu); across customers
nu ~ Gamma(q, gamma). Spend is assumed independent of the purchase process.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import betaln, digamma, gammaln

from patron.models.base import FittedModel
from patron.models.data import as_float_column, check_prediction_inputs, column_codes, plural
from patron.models.errors import DegenerateDataError, InvalidInputError, ModelError


class GammaGamma(FittedModel):
    """Gamma-Gamma spend model; parameters ``p``, ``q``, ``gamma``.

    Fit on repeat buyers' number of repeat purchases and their mean spend per
    repeat purchase; rows with ``frequency == 0`` are ignored (they carry no
    repeat spend), as in Fader, Hardie & Lee.

    Examples
    --------
    >>> from patron.models import GammaGamma
    >>> model = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    >>> round(float(model.conditional_expected_average_spend(2, 30.0)), 2)
    30.94
    """

    param_names = ("p", "q", "gamma")

    def fit(self, frequency, mean_spend, weights=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : array_like
            Repeat purchases per customer.
        mean_spend : array_like
            Mean value of those repeat purchases.
        weights : array_like, optional
            Number of customers each row stands for.

        Returns
        -------
        self
        """
        x = as_float_column(frequency, "frequency")
        m = as_float_column(mean_spend, "mean_spend")
        w = np.ones_like(x) if weights is None else as_float_column(weights, "weights")
        if not (x.shape == m.shape == w.shape):
            raise InvalidInputError("frequency, mean_spend and weights must have the same length.")
        repeat = (x > 0) & (w > 0)
        if not repeat.any():
            raise DegenerateDataError(
                "No customer has a repeat purchase, so there is no repeat spend to model."
            )
        zero = repeat & (m == 0)
        if zero.any():
            raise DegenerateDataError(
                f"{plural(int(zero.sum()), 'repeat customer')} have zero mean spend; the "
                "Gamma-Gamma model needs positive spend. Drop them (returns, free orders) "
                "or model them separately."
            )
        # Not compressed: mean spend is continuous, so rows rarely repeat, and
        # the likelihood below costs one logarithm per row anyway.
        x, m, w = x[repeat], m[repeat], w[repeat]
        if w.sum() < 2 or not (m != m[0]).any():
            raise DegenerateDataError(
                "Spend varies too little to fit the Gamma-Gamma model: it needs at least "
                "two repeat customers with different mean spend."
            )
        mean = (w @ m) / w.sum()
        self._store_fit(np.array([1.0, 2.0, mean]), w, x=x, m=m)
        if self.params_["q"] <= 1:
            warnings.warn(
                f"Fitted q = {self.params_['q']:.3g} <= 1: the population mean spend is "
                "infinite, so spend predictions are not available.",
                RuntimeWarning,
                stacklevel=2,
            )
        return self

    def _log_likelihood_terms(self, params, data):
        p, q, gamma = params
        x, m = data.x, data.m
        shape = p * x + q
        log_total = np.log(m * x)
        log_scaled = np.log(gamma + m * x)
        ll = (
            data.per("x", lambda u: gammaln(p * u + q) - gammaln(p * u))
            - gammaln(q) + q * np.log(gamma)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - shape * log_scaled
        )
        digamma_shape = data.per("x", lambda u: digamma(p * u + q))
        grad = (
            x * (digamma_shape - data.per("x", lambda u: digamma(p * u)) + log_total - log_scaled),
            digamma_shape - digamma(q) + np.log(gamma) - log_scaled,
            q / gamma - shape / (gamma + m * x),
        )
        return ll, grad

    def _fit_block(self, weights, x, m):
        return _SpendBlock(x, m, weights)

    def _weighted_log_likelihood(self, params, block):
        """:meth:`_log_likelihood_terms` summed with weights.

        A row's log-likelihood is ``per_x(x) - (p x + q) B - p x log(gamma)
        + p x log(m x) - log(m)`` with ``B = log(1 + m x / gamma)``, the one
        term that couples a row's columns with a parameter; the rest sums per
        distinct x or is a constant of the data. Written with B rather than
        ``log(gamma + m x)``, the large ``q log(gamma)`` terms of a base with
        little spend heterogeneity (q and gamma in the millions) cancel
        exactly instead of in rounding (and ``betaln`` spares them the
        cancellation of three log-gammas).
        """
        p, q, gamma = params
        b = block
        share = b.total_spend / gamma
        log_share = np.log1p(share)
        spend_part = share / (1 + share)  # m x / (gamma + m x)
        sum_b, sum_x_b = np.einsum("i,i->", b.w, log_share), np.einsum("i,i->", b.wx, log_share)
        sum_part, sum_x_part = np.einsum("i,i->", b.w, spend_part), np.einsum("i,i->", b.wx, spend_part)
        u, weight = b.x_levels, b.x_weights
        digamma_shape = digamma(p * u + q)
        log_gamma = np.log(gamma)
        ll = (
            - weight @ betaln(p * u, q)  # = gammaln(p u + q) - gammaln(p u) - gammaln(q), without cancellation
            - p * sum_x_b - q * sum_b
            + p * (b.sum_x_log_total - b.sum_x * log_gamma) - b.sum_log_spend
        )
        grad = [
            weight @ (u * (digamma_shape - digamma(p * u))) - sum_x_b + b.sum_x_log_total - b.sum_x * log_gamma,
            weight @ digamma_shape - b.total * digamma(q) - sum_b,
            (q * sum_part - p * (b.sum_x - sum_x_part)) / gamma,
        ]
        return ll, grad

    def _checked_params(self):
        p, q, gamma = self._params()
        if q <= 1:
            raise ModelError(f"q = {q:.3g} <= 1: expected spend is infinite under this fit.")
        return p, q, gamma

    def expected_average_spend(self):
        """Population mean spend per purchase, ``p * gamma / (q - 1)``."""
        p, q, gamma = self._checked_params()
        return p * gamma / (q - 1)

    def conditional_expected_average_spend(self, frequency, mean_spend):
        """Expected spend per future purchase given a customer's history.

        A weighted average of the customer's own mean and the population
        mean; the customer's weight ``p x / (p x + q - 1)`` grows with x.
        One-time buyers (``x == 0``) get the population mean.
        """
        p, q, gamma = self._checked_params()
        check_prediction_inputs(x=frequency)
        x = np.asarray(frequency, dtype=float)
        m = np.asarray(mean_spend, dtype=float)
        if not np.isfinite(m).all() or (m < 0).any():
            bad = int((~np.isfinite(m) | (m < 0)).sum())
            raise InvalidInputError(f"mean_spend has {bad} missing, infinite or negative value(s); "
                                    "a spend per purchase is a number of at least 0.")
        own = p * x / (p * x + q - 1)
        return (1 - own) * (p * gamma / (q - 1)) + own * m


class _SpendBlock:
    """Rows of a Gamma-Gamma fit with the sums that do not depend on the parameters."""

    def __init__(self, x, m, weights):
        self.w, self.wx = weights, weights * x
        self.total, self.sum_x = float(weights.sum()), float(self.wx.sum())
        self.total_spend = m * x
        self.x_levels, index = column_codes(x)
        self.x_weights = np.bincount(index, weights=weights, minlength=self.x_levels.size)
        self.sum_log_spend = float(np.einsum("i,i->", weights, np.log(m)))
        self.sum_x_log_total = float(np.einsum("i,i->", self.wx, np.log(self.total_spend)))
