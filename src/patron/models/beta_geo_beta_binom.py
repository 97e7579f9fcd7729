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
from patron.models.data import group_rows


def _cells(x, t_x, n):
    """Integer coordinates of every term of every row's likelihood.

    Column 0 is "alive through all n opportunities"; column 1 + i is "left
    after opportunity t_x + i", for i < n - t_x. ``trials`` counts the
    opportunities a term covers and ``failures`` those without a purchase;
    cells past a row's last term are marked invalid (and point at 0).
    """
    x, t_x, n = (v.astype(np.int64) for v in (x, t_x, n))
    i = np.arange(int(np.max(n - t_x, initial=0)))[None, :]
    valid = np.concatenate([np.ones((x.size, 1), bool), i < (n - t_x)[:, None]], axis=1)
    trials = np.where(valid, np.concatenate([n[:, None], t_x[:, None] + i], axis=1), 0)
    failures = np.maximum(trials - x[:, None], 0)
    left = np.zeros(valid.shape, bool)
    left[:, 1:] = True
    return x[:, None], trials, failures, left, valid


def _at(function, params, size):
    """``function`` of every shifted parameter at 0, 1, ..., size - 1.

    Each term of the likelihood is a sum of log-Gamma functions at a
    parameter plus a small integer, so one table per parameter serves every
    cell: a lookup instead of a special function per (customer, term).
    """
    alpha, beta, gamma, delta = params
    k = np.arange(size, dtype=float)
    return {
        "a": function(alpha + k),
        "b": function(beta + k),
        "ab": function(alpha + beta + k),
        "d": function(delta + k),
        # gamma + delta + k for "alive", gamma + delta + 1 + k for "left"
        "gd": np.concatenate([function(gamma + delta + k), function(gamma + delta + 1 + k)]),
        "g": function(np.array([gamma, gamma + 1])),
    }


def _log_terms(params, x, t_x, n):
    """The likelihood's terms (FHS 2010, eq. 5) per row and cell, -inf where invalid."""
    alpha, beta, gamma, delta = params
    x_, trials, failures, left, valid = cells = _cells(x, t_x, n)
    size = int(np.max(n, initial=0)) + 1
    lg = _at(gammaln, params, size)
    terms = (
        lg["a"][x_] + lg["b"][failures] - lg["ab"][trials] - betaln(alpha, beta)
        + lg["g"][left.astype(np.int64)] + lg["d"][trials] - lg["gd"][trials + size * left]
        - betaln(gamma, delta)
    )
    return np.where(valid, terms, -np.inf), cells, size


#: Rows are processed in blocks of at most this many (row, gap) cells, so a
#: long history of opportunities cannot exhaust memory.
CELLS_PER_BLOCK = 2_000_000


def _row_blocks(t_x, n):
    width = 1 + int(np.max(n - t_x, initial=0))
    step = max(1, CELLS_PER_BLOCK // width)
    return [slice(lo, lo + step) for lo in range(0, t_x.size, step)]


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
        x, t_x, n = data.x, data.t_x, data.T
        parts = [self._block_terms(params, x[b], t_x[b], n[b]) for b in _row_blocks(t_x, n)]
        ll = np.concatenate([part[0] for part in parts])
        grad = [np.concatenate([part[1][k] for part in parts]) for k in range(4)]
        return ll, grad

    def _block_terms(self, params, x, t_x, n):
        alpha, beta, gamma, delta = params
        terms, (x_, trials, failures, left, valid), size = _log_terms(params, x, t_x, n)
        ll = logsumexp(terms, axis=1)
        share = np.where(valid, np.exp(terms - ll[:, None]), 0.0)
        psi = _at(digamma, params, size)
        d_gd = psi["gd"][trials + size * left]
        derivatives = (
            psi["a"][x_] - psi["ab"][trials] - (psi["a"][0] - digamma(alpha + beta)),
            psi["b"][failures] - psi["ab"][trials] - (psi["b"][0] - digamma(alpha + beta)),
            psi["g"][left.astype(np.int64)] - d_gd - (psi["g"][0] - digamma(gamma + delta)),
            psi["d"][trials] - d_gd - (psi["d"][0] - digamma(gamma + delta)),
        )
        return ll, [np.einsum("ij,ij->i", share, d) for d in derivatives]

    def _log_likelihood(self, x, t_x, n):
        """Log-likelihood of each history, computed once per distinct history."""
        shape = np.shape(x)
        columns = [np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, n)]
        if columns[0].size == 0:
            return np.zeros(shape)
        (x, t_x, n), _, history = group_rows(columns, inverse=True)
        ll = np.concatenate(
            [
                logsumexp(_log_terms(self._params(), x[b], t_x[b], n[b])[0], axis=1)
                for b in _row_blocks(t_x, n)
            ]
        )
        return ll[history].reshape(shape)

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
        return np.minimum(np.exp(stays - self._log_likelihood(x, t_x, n)), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        """Expected purchases in the next ``t`` opportunities given the history (FHS eq. 13)."""
        alpha, beta, gamma, delta = self._params()
        t, x, t_x, n = as_arrays(t, x, t_x, T)
        log_ll = self._log_likelihood(x, t_x, n)
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
