"""sBG: the shifted-beta-geometric model of contract duration (subscriptions).

Fader & Hardie (2007), "How to project customer retention", Journal of
Interactive Marketing 21(1).

In a contractual setting the firm sees each customer leave. At the end of
each period a customer still under contract cancels with probability
theta, constant for that customer; across customers theta ~ Beta(alpha,
beta). A customer's duration T (the period in which they cancel, 1, 2, …)
is then shifted-beta-geometric:

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)
    S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta)

and the retention rate rises with tenure, r(t) = S(t) / S(t - 1) =
(beta + t - 1) / (alpha + beta + t - 1), because the customers likeliest to
leave have left (heterogeneity, not a change in anyone's behaviour).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from scipy.special import betaln, digamma

from patron.models.base import FittedModel
from patron.models.data import as_float_column, plural
from patron.models.errors import DegenerateDataError, InvalidInputError


class ShiftedBetaGeo(FittedModel):
    """sBG model; parameters ``alpha``, ``beta`` of the Beta distribution of the cancellation probability.

    Examples
    --------
    >>> from patron.models import ShiftedBetaGeo
    >>> model = ShiftedBetaGeo().fit_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.params_["alpha"], 3), round(model.params_["beta"], 3)
    (0.704, 1.182)
    """

    param_names = ("alpha", "beta")

    def fit(self, periods, cancelled, weights=None):
        """Fit by maximum likelihood on individual durations.

        Parameters
        ----------
        periods : array_like
            For a customer who cancelled, the period in which they did (1 = did not renew at the first
            opportunity); for one still under contract, the number of periods observed.
        cancelled : array_like of bool
            Whether the customer has cancelled (else their duration is censored).
        weights : array_like, optional
            Number of customers each row stands for.
        """
        t = as_float_column(periods, "periods")
        gone = np.asarray(cancelled, dtype=bool).reshape(-1)
        w = np.ones_like(t) if weights is None else as_float_column(weights, "weights")
        if not (t.shape == gone.shape == w.shape):
            raise InvalidInputError("periods, cancelled and weights must have the same length.")
        if (t != np.round(t)).any() or (gone & (t < 1)).any():
            raise InvalidInputError("periods must be whole numbers, at least 1 for a customer who cancelled.")
        if w.sum() < 2:
            raise DegenerateDataError(f"The sBG model needs at least two customers; got {w.sum():g}.")
        if not (w[gone] > 0).any():
            raise DegenerateDataError("No customer has cancelled yet, so there is no churn to model.")
        if not (w[~gone & (t > 0)] > 0).any() and np.unique(t[gone & (w > 0)]).size < 2:
            raise DegenerateDataError("Every customer cancelled in the same period: the data cannot tell "
                                      "heterogeneity from a common cancellation probability.")
        keep = w > 0
        self._store_fit(np.array([1.0, 1.0]), w[keep], t=t[keep], gone=gone[keep].astype(float))
        return self

    def fit_survivors(self, survivors):
        """Fit on one cohort's counts still under contract at the start and after each period.

        ``survivors[0]`` is the cohort's size, ``survivors[k]`` how many remain after k renewal
        opportunities (Fader & Hardie's Table 1 layout).
        """
        n = as_float_column(survivors, "survivors")
        if n.size < 2:
            raise InvalidInputError("Give the cohort's size and at least one later count of survivors.")
        lost = -np.diff(n)
        if (lost < 0).any() or (n != np.round(n)).any():
            raise InvalidInputError("survivors must be whole numbers that never increase: a cohort only shrinks.")
        periods = np.arange(1, n.size)
        return self.fit(np.append(periods, n.size - 1), np.append(np.ones(periods.size, bool), False),
                        np.append(lost, n[-1]))

    def _fit_block(self, weights, t, gone):
        return SimpleNamespace(w=weights, t=t, gone=gone)

    def _weighted_log_likelihood(self, params, block):
        alpha, beta = params
        t, gone, w = block.t, block.gone, block.w
        base = betaln(alpha, beta)
        d_base_a, d_base_b = digamma(alpha) - digamma(alpha + beta), digamma(beta) - digamma(alpha + beta)
        # Cancelled in period t: B(alpha + 1, beta + t - 1); still there after t: B(alpha, beta + t).
        a_term = alpha + gone
        b_term = beta + t - gone
        ll = betaln(a_term, b_term) - base
        total = digamma(a_term + b_term)
        grad = (np.einsum("i,i->", w, digamma(a_term) - total - d_base_a),
                np.einsum("i,i->", w, digamma(b_term) - total - d_base_b))
        return np.einsum("i,i->", w, ll), list(grad)

    def survival(self, t):
        """Probability a new customer is still under contract after ``t`` periods, ``S(t)``."""
        alpha, beta = self._params()
        t = _periods(t)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def retention_rate(self, t):
        """Share of those under contract in period ``t - 1`` who renew into period ``t`` (t ≥ 1)."""
        alpha, beta = self._params()
        t = _periods(t)
        if (t < 1).any():
            raise InvalidInputError("A retention rate is defined from period 1 on.")
        return (beta + t - 1) / (alpha + beta + t - 1)

    def probability_alive(self, tenure, ahead):
        """Probability that a customer under contract after ``tenure`` periods still is ``ahead`` periods on."""
        alpha, beta = self._params()
        n, m = _periods(tenure), _periods(ahead)
        return np.exp(betaln(alpha, beta + n + m) - betaln(alpha, beta + n))

    def expected_periods(self, tenure=0, discount_rate=0.0, horizon=1000):
        """Expected (discounted) number of further periods a customer now at ``tenure`` pays for.

        ``sum_{k=0}^{horizon-1} P(still there after tenure + k | there after tenure) / (1 + d)^k``:
        the current period counts (payment at its start). With a discount rate and a long horizon this is
        Fader & Hardie's discounted expected residual lifetime, times one payment.
        """
        if discount_rate < 0 or horizon < 1:
            raise InvalidInputError("The discount rate cannot be negative and the horizon is at least one period.")
        n = np.asarray(_periods(tenure), dtype=float)
        k = np.arange(int(horizon))
        alive = self.probability_alive(n[..., None], k)
        return (alive / (1 + discount_rate) ** k).sum(axis=-1)


def _periods(t):
    t = np.asarray(t, dtype=float)
    if not np.isfinite(t).all() or (t < 0).any():
        bad = int((~np.isfinite(t) | (t < 0)).sum())
        raise InvalidInputError(f"Periods must be numbers of at least 0; {plural(bad, 'value')} are not.")
    return t
