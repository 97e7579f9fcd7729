"""Pareto/NBD: Poisson purchasing with an exponential lifetime.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are
they and what will they do next?", Management Science 33(1); likelihood and
predictions as in Fader & Hardie (2005), "A note on deriving the Pareto/NBD
model and related expressions".

While alive a customer buys at rate lambda ~ Gamma(r, alpha); they stay
alive for an exponential time with rate mu ~ Gamma(s, beta).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from patron.models.base import TransactionModel, as_arrays
from patron.models.data import per_distinct_row

_STEP = 1e-6  # relative step of the central differences in r and s


def _log_tail(p, q, alpha, beta, t):
    """log of the integral of (alpha + y)**-p (beta + y)**-q over y in (t, inf).

    Closed form through Gauss's hypergeometric function, expanded around the
    larger of alpha and beta (M; m the smaller) so the argument
    z = (M - m) / (M + t) lies in [0, 1). The direct form 2F1(c, e; c + 1; z)
    overflows for heavy buyers (it grows like (1 - z)**(1 - e)), so Euler's
    transformation is used: 2F1(c, e; c + 1; z) = (1 - z)**(1 - e)
    2F1(1, c + 1 - e; c + 1; z), whose series is tame.
    """
    c = p + q - 1
    if np.ndim(alpha) or np.ndim(beta):  # each customer's own alpha and beta (a covariate model)
        larger = alpha >= beta
        high, low = np.where(larger, alpha + t, beta + t), np.where(larger, beta + t, alpha + t)
        e = np.where(larger, q, p)
    elif alpha >= beta:
        high, low, e = alpha + t, beta + t, q
    else:
        high, low, e = beta + t, alpha + t, p
    log_high, log_low = np.log(high), np.log(low)
    z = (high - low) / high
    return (
        -c * log_high + (1 - e) * (log_low - log_high)
        + np.log(hyp2f1(1.0, c + 1 - e, c + 1, z)) - np.log(c)
    )


def _window(log_tail_at_pairs, pairs):
    """The integral over (t_x, T) per row, from its tail at the distinct pairs.

    ``pairs`` holds the distinct (x, t) of the rows' t_x and T and each row's
    index into them, so each hypergeometric value is computed once. Returns
    log J(t_x), the ratio J(T) / J(t_x) and ``1 - ratio``: the window is
    J(t_x) (1 - ratio).
    """
    _, _, at_recency, at_age = pairs
    upper = log_tail_at_pairs[at_recency]
    difference = log_tail_at_pairs[at_age] - upper
    return upper, np.exp(difference), -np.expm1(difference)


class ParetoNBD(TransactionModel):
    """Pareto/NBD model; parameters ``r``, ``alpha``, ``s``, ``beta``.

    The gradient is analytic in ``alpha`` and ``beta`` (their derivatives
    are again hypergeometric integrals) and in every term outside the
    hypergeometric part; the derivatives of that part with respect to ``r``
    and ``s`` have no closed form and are taken by central differences
    (relative step 1e-6) of the tail integral at each distinct (x, t) pair,
    which agree with the exact ones (by quadrature) to a few 1e-9.

    Examples
    --------
    >>> from patron.models import ParetoNBD
    >>> model = ParetoNBD.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> round(float(model.expected_number_of_purchases_up_to_time(39.0)), 3)
    1.213
    """

    param_names = ("r", "alpha", "s", "beta")
    exact_gradient = False  # its r and s derivatives are finite differences

    def _initial_params(self, x, t_x, T, w):
        rate = (w @ x) / max(w @ T, 1e-12)
        mean_age = (w @ T) / w.sum()
        return np.array([1.0, 1.0 / max(rate, 1e-12), 1.0, max(mean_age, 1e-6)])

    def _fit_data(self, x, t_x, T):
        times = np.concatenate([t_x, T])
        counts = np.concatenate([x, x])
        order = np.lexsort((times, counts))
        start = np.r_[True, (np.diff(counts[order]) != 0) | (np.diff(times[order]) != 0)]
        index = np.empty(times.size, dtype=np.int64)
        index[order] = np.cumsum(start) - 1
        pairs = (counts[order][start], times[order][start], index[: x.size], index[x.size :])
        data = super()._fit_data(x, t_x, T)
        data.pairs = pairs
        return data

    @staticmethod
    def own_pairs(x, t_x, T):
        """The (x, t) pairs of :meth:`_fit_data`, one per row and end, not shared: for per-row alpha and beta."""
        n = x.size
        return (np.concatenate([x, x]), np.concatenate([t_x, T]), np.arange(n), np.arange(n, 2 * n))

    def _log_likelihood_terms(self, params, data):
        with np.errstate(divide="ignore", invalid="ignore"):  # log(0) where t_x == T
            return self._terms(params, data)

    def _terms(self, params, data):
        r, alpha, s, beta = params
        x, pairs = data.x, data.pairs
        pair_x, pair_t = pairs[0], pairs[1]
        log_alpha_age = data.per("T", lambda T: np.log(alpha + T))
        log_beta_age = data.per("T", lambda T: np.log(beta + T))
        # Each row's own alpha and beta (a covariate model) come with one pair per row and end,
        # recency ends first (own_pairs).
        pair_alpha, pair_beta = alpha, beta
        if np.ndim(alpha) or np.ndim(beta):
            pair_alpha, pair_beta = (np.tile(np.broadcast_to(v, x.shape), 2) for v in (alpha, beta))

        def tail(r_, s_, extra_p=0.0, extra_q=0.0):
            return _log_tail(r_ + pair_x + extra_p, s_ + 1 + extra_q, pair_alpha, pair_beta, pair_t)

        log_upper, ratio, gap = _window(tail(r, s), pairs)
        log_window = log_upper + np.log(gap)
        alive = -(r + x) * log_alpha_age - s * log_beta_age
        gone = np.log(s) + log_window
        bracket = np.logaddexp(alive, gone)
        w_alive = np.exp(alive - bracket)
        w_gone = 1.0 - w_alive
        ll = (
            data.per("x", lambda u: gammaln(r + u) - gammaln(r))
            + r * np.log(alpha) + s * np.log(beta) + bracket
        )

        # d log(window) = (dJ(t_x) - ratio dJ(T)) / (J(t_x) gap), from the
        # derivatives of log J at the pairs (central differences in r, s).
        def d_log_window(d_log_tail):
            at_recency, at_age = pairs[2], pairs[3]
            return (d_log_tail[at_recency] - ratio * d_log_tail[at_age]) / gap

        h_r, h_s = _STEP * r, _STEP * s
        d_window_r = d_log_window((tail(r + h_r, s) - tail(r - h_r, s)) / (2 * h_r))
        d_window_s = d_log_window((tail(r, s + h_s) - tail(r, s - h_s)) / (2 * h_s))

        def window_ratio(shifted_tail):  # window with p or q raised by one, over the window
            upper, _, shifted_gap = _window(shifted_tail, pairs)
            return np.exp(upper - log_upper) * shifted_gap / gap

        ratio_alpha = window_ratio(tail(r, s, extra_p=1.0))
        ratio_beta = window_ratio(tail(r, s, extra_q=1.0))
        some_window = w_gone > 0  # t_x == T leaves no window: its terms are 0
        d_window_r, d_window_s, ratio_alpha, ratio_beta = (
            np.where(some_window, v, 0.0) for v in (d_window_r, d_window_s, ratio_alpha, ratio_beta)
        )
        grad = (
            data.per("x", lambda u: digamma(r + u) - digamma(r)) + np.log(alpha)
            - w_alive * log_alpha_age + w_gone * d_window_r,
            r / alpha - (r + x) * (
                w_alive * data.per("T", lambda T: 1 / (alpha + T)) + w_gone * ratio_alpha
            ),
            np.log(beta) - w_alive * log_beta_age + w_gone * (1 / s + d_window_s),
            s / beta - w_alive * data.per("T", lambda T: s / (beta + T)) - w_gone * (s + 1) * ratio_beta,
        )
        return ll, grad

    def _log_alive_share(self, x, t_x, T):
        """log P(alive): the 'still alive' term's share of the likelihood."""
        return per_distinct_row(self._log_alive_share_of_rows, x, t_x, T)

    def _log_alive_share_of_rows(self, x, t_x, T):
        r, alpha, s, beta = self._params()
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = _log_tail(r + x, s + 1, alpha, beta, t_x)
            lower = _log_tail(r + x, s + 1, alpha, beta, T)
            gone = np.log(s) + upper + np.log(-np.expm1(lower - upper))
        gone = np.where(t_x < T, gone, -np.inf)
        return alive - np.logaddexp(alive, gone)

    def probability_alive(self, x, t_x, T):
        """Probability that a customer with this history is still alive at ``T``."""
        x, t_x, T = as_arrays(x, t_x, T)
        return np.exp(self._log_alive_share(x, t_x, T))

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        """Expected repeat purchases in ``(T, T + t]`` given the history.

        Fader & Hardie (2005) eq. 41; ``(1 - q**(s - 1)) / (s - 1)`` is
        computed with ``expm1`` and its limit ``-log q`` at ``s == 1``.
        """
        return self._alive_times_purchases_if_alive(t, x, t_x, T)

    def _purchases_if_alive(self, t, x, T):
        r, alpha, s, beta = self._params()
        log_q = -np.log1p(t / (beta + T))
        if abs(s - 1) > 1e-10:
            lifetime_part = -np.expm1((s - 1) * log_q) / (s - 1)
        else:
            lifetime_part = -log_q
        rate_part = (r + x) * (beta + T) / (alpha + T)
        return rate_part * lifetime_part
