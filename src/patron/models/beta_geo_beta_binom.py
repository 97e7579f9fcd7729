"""BG/BB: repeat buying when there are discrete opportunities to buy.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time
noncontractual setting", Marketing Science 29(6).

At each opportunity (a yearly appeal, an annual event) an alive customer
buys with probability p ~ Beta(alpha, beta) and, before the next one, leaves
for good with probability theta ~ Beta(gamma, delta).

Here ``T`` is ``n_periods``, the number of opportunities since the first
purchase, and recency is the opportunity of the last purchase (0 if none).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

from patron.models.base import TransactionModel, as_arrays


def _log_terms(params, x, t_x, n):
    """The likelihood's terms (FHS 2010, eq. 5) as a (rows, 1 + gap) array.

    Column 0: alive through all n opportunities; column 1 + i: left after
    opportunity t_x + i, for i < n - t_x.
    """
    alpha, beta, gamma, delta = params
    gap = np.arange(int(np.max(n - t_x, initial=0)))
    i = gap[None, :]
    x_, t_, n_ = x[:, None], t_x[:, None], n[:, None]
    base = -betaln(alpha, beta) - betaln(gamma, delta)
    stays = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n) + base
    left = betaln(alpha + x_, beta + t_ - x_ + i) + betaln(gamma + 1, delta + t_ + i) + base
    left = np.where(i < n_ - t_, left, -np.inf)
    return np.column_stack([stays, left]), gap


class BetaGeoBetaBinom(TransactionModel):
    """BG/BB model; parameters ``alpha``, ``beta``, ``gamma``, ``delta``.

    Fit with ``fit(frequency, recency, n_periods, weights)``; the prediction
    methods take ``(x, t_x, n_periods)`` and times ``t`` in opportunities.

    Examples
    --------
    >>> from patron.models import BetaGeoBetaBinom
    >>> model = BetaGeoBetaBinom.from_params(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> round(float(model.probability_alive(3, 4, 6)), 3)
    0.472
    """

    param_names = ("alpha", "beta", "gamma", "delta")
    discrete = True

    def fit(self, frequency, recency, n_periods, weights=None):
        """Fit by maximum likelihood; see :meth:`TransactionModel.fit`."""
        return super().fit(frequency, recency, n_periods, weights)

    def _initial_params(self, x, t_x, T, w):
        return np.array([1.0, 1.0, 1.0, 1.0])

    def _log_likelihood_terms(self, params, data):
        alpha, beta, gamma, delta = params
        x, t_x, n = data.x, data.t_x, data.T
        terms, gap = _log_terms(params, x, t_x, n)
        ll = logsumexp(terms, axis=1)
        share = np.exp(terms - ll[:, None])
        # Per-term derivatives of the log Beta functions, column 0 then gaps.
        trials = np.column_stack([n, t_x[:, None] + gap[None, :]])
        x_ = x[:, None]
        d_alpha = digamma(alpha + x_) - digamma(alpha + beta + trials)
        d_beta = digamma(beta + trials - x_) - digamma(alpha + beta + trials)
        stays_g = digamma(gamma) - digamma(gamma + delta + n)
        left_g = digamma(gamma + 1) - digamma(gamma + delta + 1 + trials[:, 1:])
        d_gamma = np.column_stack([stays_g, left_g])
        d_delta = np.column_stack(
            [digamma(delta + n) - digamma(gamma + delta + n),
             digamma(delta + trials[:, 1:]) - digamma(gamma + delta + 1 + trials[:, 1:])]
        )
        valid = share > 0
        prior = (
            digamma(alpha) - digamma(alpha + beta),
            digamma(beta) - digamma(alpha + beta),
            digamma(gamma) - digamma(gamma + delta),
            digamma(delta) - digamma(gamma + delta),
        )
        grad = [
            np.where(valid, share * d, 0.0).sum(axis=1) - constant
            for d, constant in zip((d_alpha, d_beta, d_gamma, d_delta), prior)
        ]
        return ll, grad

    def _log_likelihood(self, x, t_x, n):
        x, t_x, n = (np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, n))
        return logsumexp(_log_terms(self._params(), x, t_x, n)[0], axis=1)

    def probability_alive(self, x, t_x, T):
        """Probability the customer is still alive after opportunity ``T``.

        Same quantity as lifetimes' ``conditional_probability_alive`` with
        ``m_periods_in_future=0``.
        """
        alpha, beta, gamma, delta = self._params()
        x, t_x, n = as_arrays(x, t_x, T)
        stays = (
            betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
            + betaln(gamma, delta + n) - betaln(gamma, delta)
        )
        # stays is one of the likelihood's terms, so the ratio is <= 1 up to rounding.
        return np.minimum(np.exp(stays - self._log_likelihood(x, t_x, n).reshape(x.shape)), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        """Expected purchases in the next ``t`` opportunities given the history (FHS eq. 13)."""
        alpha, beta, gamma, delta = self._params()
        t, x, t_x, n = as_arrays(t, x, t_x, T)
        log_ll = self._log_likelihood(x, t_x, n).reshape(x.shape)
        buying = np.exp(betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_ll)
        staying = delta / (gamma - 1) * np.exp(gammaln(gamma + delta) - gammaln(1 + delta))
        window = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n)) - np.exp(
            gammaln(1 + delta + n + t) - gammaln(gamma + delta + n + t)
        )
        return buying * staying * window

    def expected_time_to_next_purchase(self, x, t_x, T):
        """Median number of opportunities until the next purchase, if alive.

        Given the history an alive customer's buying probability has a
        Beta(alpha + x, beta + n - x) posterior, so the chance of no purchase
        in the next k opportunities is B(alpha + x, beta + n - x + k) /
        B(alpha + x, beta + n - x). Returns the smallest k that brings it to
        one half or below (``inf`` if none does within 2**30). Ignores
        dropping out, as the continuous models' version does.
        """
        alpha, beta, _, _ = self._params()
        x, _, n = as_arrays(x, t_x, T)
        a, b = alpha + x, beta + n - x

        def none_within(k):
            return betaln(a, b + k) - betaln(a, b) > -np.log(2.0)

        low, high = np.zeros_like(a), np.full_like(a, 2.0**30)
        for _ in range(31):  # bisection on integers: none_within(low), not none_within(high)
            middle = np.floor((low + high) / 2)
            above = none_within(middle)
            low, high = np.where(above, middle, low), np.where(above, high, middle)
        return np.where(none_within(high), np.inf, high)
