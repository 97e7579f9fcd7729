"""MBG/NBD: the BG/NBD with a chance of leaving right after the first purchase.

Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison
of models for customer base analysis", International Journal of Research in
Marketing 24(3). Same model as lifetimes' ``ModifiedBetaGeoFitter``.

Unlike the BG/NBD, a one-time buyer may already be gone, which removes the
BG/NBD's habit of calling every one-time buyer certainly alive.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from patron.models.base import TransactionModel, as_arrays


class ModifiedBetaGeo(TransactionModel):
    """MBG/NBD model; parameters ``r``, ``alpha``, ``a``, ``b``."""

    param_names = ("r", "alpha", "a", "b")

    def _initial_params(self, x, t_x, T, w):
        rate = (w @ x) / max(w @ T, 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-12), 1.0, 3.0])

    def _log_likelihood_terms(self, params, data):
        r, alpha, a, b = params
        x = data.x
        log_age = data.per("T", lambda T: np.log(alpha + T))
        log_recency = data.per("t_x", lambda t: np.log(alpha + t))
        stays = -(r + x) * log_age
        leaves = data.per("x", lambda u: np.log(a) - np.log(b + u)) - (r + x) * log_recency
        bracket = np.logaddexp(stays, leaves)
        w_leaves = np.exp(leaves - bracket)
        w_stays = 1.0 - w_leaves
        per_x = data.per(
            "x", lambda u: gammaln(r + u) - gammaln(r) + betaln(a, b + u + 1) - betaln(a, b)
        )
        ll = per_x + r * np.log(alpha) + bracket
        d_ab = data.per("x", lambda u: digamma(a + b) - digamma(a + b + u + 1))
        grad = (
            data.per("x", lambda u: digamma(r + u) - digamma(r)) + np.log(alpha)
            - log_age + w_leaves * (log_age - log_recency),
            r / alpha - (r + x) * (
                w_stays * data.per("T", lambda T: 1 / (alpha + T))
                + w_leaves * data.per("t_x", lambda t: 1 / (alpha + t))
            ),
            d_ab + w_leaves / a,
            d_ab
            + data.per("x", lambda u: digamma(b + u + 1) - digamma(b))
            - w_leaves * data.per("x", lambda u: 1 / (b + u)),
        )
        return ll, grad

    def probability_alive(self, x, t_x, T):
        """Probability that a customer with this history has not left."""
        r, alpha, a, b = self._params()
        x, t_x, T = as_arrays(x, t_x, T)
        return 1.0 / (1.0 + a / (b + x) * np.exp((r + x) * np.log((alpha + T) / (alpha + t_x))))

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        """Expected repeat purchases in ``(T, T + t]`` given the history.

        Uses Euler's transformation of the hypergeometric term, as
        :class:`~patron.models.BetaGeo` does.
        """
        return self._alive_times_purchases_if_alive(t, x, t_x, T)

    def _purchases_if_alive(self, t, x, T):
        r, alpha, a, b = self._params()
        c = a + b + x
        one_minus_z = (alpha + T) / (alpha + T + t)
        remaining = one_minus_z ** (a - 1) * hyp2f1(a + b - r, a - 1, c, 1 - one_minus_z)
        return c / (a - 1) * (1 - remaining)
