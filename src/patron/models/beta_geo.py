"""BG/NBD: the beta-geometric / negative binomial model of repeat buying.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2).

While alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha);
after each repeat purchase they leave for good with probability
p ~ Beta(a, b).
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from patron.models.base import TransactionModel, as_arrays
from patron.models.data import column_codes
from patron.models.errors import InvalidInputError


class BetaGeo(TransactionModel):
    """BG/NBD model; parameters ``r``, ``alpha``, ``a``, ``b``.

    Examples
    --------
    >>> from patron.models import BetaGeo
    >>> model = BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> float(model.probability_alive(2, 30.43, 38.86)[()])  # doctest: +ELLIPSIS
    0.72...
    """

    param_names = ("r", "alpha", "a", "b")

    def _initial_params(self, x, t_x, T, w):
        rate = (w @ x) / max(w @ T, 1e-12)
        return np.array([1.0, 1.0 / max(rate, 1e-12), 1.0, 3.0])

    def _log_likelihood_terms(self, params, data):
        r, alpha, a, b = params
        x = data.x
        log_age = data.per("T", lambda T: np.log(alpha + T))
        log_recency = data.per("t_x", lambda t: np.log(alpha + t))
        # The likelihood bracket (FHL 2005, eq. 6) is "still alive" plus,
        # for repeat buyers, "left right after the last purchase".
        stays = -(r + x) * log_age
        leaves = data.per(
            "x", lambda u: np.where(u > 0, np.log(a) - np.log(np.maximum(b + u - 1, b)), -np.inf)
        ) - (r + x) * log_recency
        bracket = np.logaddexp(stays, leaves)
        w_leaves = np.exp(leaves - bracket)
        w_stays = 1.0 - w_leaves
        per_x = data.per(
            "x",
            lambda u: gammaln(r + u) - gammaln(r) + betaln(a, b + u) - betaln(a, b),
        )
        ll = per_x + r * np.log(alpha) + bracket
        d_ab = data.per("x", lambda u: digamma(a + b) - digamma(a + b + u))
        grad = (
            data.per("x", lambda u: digamma(r + u) - digamma(r)) + np.log(alpha)
            - log_age + w_leaves * (log_age - log_recency),
            r / alpha - (r + x) * (
                w_stays * data.per("T", lambda T: 1 / (alpha + T))
                + w_leaves * data.per("t_x", lambda t: 1 / (alpha + t))
            ),
            d_ab + w_leaves / a,
            d_ab
            + data.per("x", lambda u: digamma(b + u) - digamma(b))
            - w_leaves * data.per("x", lambda u: np.where(u > 0, 1 / np.maximum(b + u - 1, b), 0.0)),
        )
        return ll, grad

    def _fit_block(self, weights, x, t_x, T):
        return _RepeatBuyingBlock(x, t_x, T, weights)

    def _weighted_log_likelihood(self, params, block):
        """:meth:`_log_likelihood_terms` summed with weights, most terms per distinct x or T.

        Each row's log-likelihood is ``per_x(x) + r log(alpha) - (r + x)
        log(alpha + T) + softplus(z)`` with ``z = log(a / (b + x - 1)) + (r +
        x) log((alpha + T) / (alpha + t_x))`` the log-odds of "left right
        after the last purchase" (zero chance for one-time buyers). Only the
        softplus couples the columns; everything else sums per x or per T.
        """
        r, alpha, a, b = params
        x_level, T_level = block.x_levels, block.T_levels
        log_age = np.log(alpha + T_level)
        per_x = gammaln(r + x_level) - gammaln(r) + betaln(a, b + x_level) - betaln(a, b)
        d_ab = digamma(a + b) - digamma(a + b + x_level)
        ll = block.x_weights @ per_x + block.total * r * np.log(alpha) - block.T_purchases(r) @ log_age
        grad = np.array([
            block.x_weights @ (digamma(r + x_level) - digamma(r)) + block.total * np.log(alpha)
            - block.T_weights @ log_age,
            block.total * r / alpha - block.T_purchases(r) @ (1 / (alpha + T_level)),
            block.x_weights @ d_ab,
            block.x_weights @ (d_ab + digamma(b + x_level) - digamma(b)),
        ])
        # Repeat buyers: the chance of having left after the last purchase.
        rep = block.repeat
        if rep.w.size:
            # Over the rows: one pass per operation, into the block's own buffers (fresh arrays of
            # this size cost a page fault per 4 kB, as much as the arithmetic), with only the fast
            # ufuncs (no np.where, logaddexp or expit, each several times slower than exp).
            log_gap, purchases, z, softplus, scratch = rep.buffers
            take = partial(np.take, mode="clip")  # the codes are in range; "raise" would buffer
            take(np.log(alpha + rep.T_level), rep.T_index, out=log_gap)
            log_gap -= take(np.log(alpha + rep.t_level), rep.t_index, out=scratch)
            np.add(r, rep.x, out=purchases)
            np.multiply(purchases, log_gap, out=z)
            z += take(np.log(a) - np.log(b + rep.x_level - 1), rep.x_index, out=scratch)
            small = np.abs(z, out=scratch)
            np.negative(small, out=small)
            np.exp(small, out=small)
            np.maximum(z, 0.0, out=softplus)
            softplus += np.log1p(small, out=small)  # softplus(z) = max(z, 0) + log1p(exp(-|z|))
            ll += np.einsum("i,i->", rep.w, softplus)
            w_left = np.subtract(z, softplus, out=z)  # log sigmoid(z)
            np.exp(w_left, out=w_left)
            w_left *= rep.w
            inverse_gap = take(1 / (alpha + rep.T_level), rep.T_index, out=softplus)
            inverse_gap -= take(1 / (alpha + rep.t_level), rep.t_index, out=scratch)
            grad += [
                np.einsum("i,i->", w_left, log_gap),
                np.einsum("i,i,i->", w_left, purchases, inverse_gap),
                w_left.sum() / a,
                -np.einsum("i,i->", w_left, take(1 / (b + rep.x_level - 1), rep.x_index, out=scratch)),
            ]
        return ll, grad

    def probability_alive(self, x, t_x, T):
        """Probability that a customer with this history has not left.

        One-time buyers (``x == 0``) are alive by construction of the model.
        """
        r, alpha, a, b = self._params()
        x, t_x, T = as_arrays(x, t_x, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_odds_gone = np.log(a / (b + x - 1)) + (r + x) * np.log((alpha + T) / (alpha + t_x))
        return np.where(x > 0, expit(-log_odds_gone), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        """Expected repeat purchases in ``(T, T + t]`` given the history (FHL eq. 10).

        The hypergeometric term is evaluated after Euler's transformation,
        ``(1 - z)**(r + x) 2F1(r + x, b + x; c; z) = (1 - z)**(a - 1)
        2F1(a + b - 1 - r, a - 1; c; z)``, which stays finite for heavy buyers.
        """
        return self._alive_times_purchases_if_alive(t, x, t_x, T)

    def probability_of_purchases(self, t, n):
        """P(X(t) = n): the chance that a new customer makes exactly ``n`` repeat purchases in ``(0, t]`` (FHL eq. 8).

        The diagnostic lifetimes calls ``probability_of_n_purchases_up_to_time``: summed over n it is 1, and
        ``sum n P(X(t) = n)`` is :meth:`expected_number_of_purchases_up_to_time`.
        """
        r, alpha, a, b = self._params()
        t, n = as_arrays(t, n)
        if (t < 0).any() or (n < 0).any() or (n != np.round(n)).any() or not np.isfinite(t).all():
            raise InvalidInputError("P(X(t) = n) needs a time t of at least 0 and a whole number of purchases n >= 0.")
        log_share, log_stay = np.log(t / (alpha + t)), np.log(alpha / (alpha + t))
        with np.errstate(divide="ignore", invalid="ignore"):
            poisson_mix = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_stay + np.where(n > 0, n * log_share, 0)
            first = np.exp(betaln(a, b + n) - betaln(a, b) + poisson_mix)
            below = np.zeros_like(t)
            for j in range(int(n.max()) if n.size else 0):  # sum_{j < n} of the NBD's P(j), one j at a time
                term = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_stay
                              + (j * log_share if j else 0.0))
                below = below + np.where(j < n, term, 0.0)
            left = np.where(n > 0, np.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * (1 - below), 0.0)
        return first + left

    def _purchases_if_alive(self, t, x, T):
        r, alpha, a, b = self._params()
        c = a + b + x - 1
        one_minus_z = (alpha + T) / (alpha + T + t)
        remaining = one_minus_z ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, 1 - one_minus_z)
        return c / (a - 1) * (1 - remaining)


class _RepeatBuyingBlock:
    """Rows of a BG/NBD fit arranged for :meth:`BetaGeo._weighted_log_likelihood`.

    Holds the weight of each distinct x and each distinct T (their terms are
    summed per value) and, for repeat buyers only, the rows themselves with
    indices into their distinct x, t_x and T (see :func:`column_codes`), and
    the work arrays one evaluation fills (so a block is evaluated by one
    thread at a time).
    """

    def __init__(self, x, t_x, T, weights):
        self.total = float(weights.sum())
        self.x_levels, x_index = column_codes(x)
        self.T_levels, T_index = column_codes(T)
        self.x_weights = np.bincount(x_index, weights=weights, minlength=self.x_levels.size)
        self.T_weights = np.bincount(T_index, weights=weights, minlength=self.T_levels.size)
        self._T_repeats = np.bincount(T_index, weights=weights * x, minlength=self.T_levels.size)
        repeat = x > 0
        self.repeat = rep = SimpleNamespace(w=weights[repeat], x=x[repeat])
        rep.x_level, rep.x_index = column_codes(x[repeat])
        rep.t_level, rep.t_index = column_codes(t_x[repeat])
        rep.T_level, rep.T_index = column_codes(T[repeat])
        rep.buffers = np.empty((5, rep.w.size))

    def T_purchases(self, r):
        """Per distinct T: the customers' total of ``r + x``."""
        return r * self.T_weights + self._T_repeats
