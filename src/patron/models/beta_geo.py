"""BG/NBD: the beta-geometric / negative binomial model of repeat buying.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", Marketing Science 24(2).

While alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha);
after each repeat purchase they leave for good with probability
p ~ Beta(a, b).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from patron.models.base import TransactionModel, as_arrays


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
        r, alpha, a, b = self._params()
        t, x, t_x, T = as_arrays(t, x, t_x, T)
        c = a + b + x - 1
        one_minus_z = (alpha + T) / (alpha + T + t)
        remaining = one_minus_z ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, c, 1 - one_minus_z)
        return self.probability_alive(x, t_x, T) * c / (a - 1) * (1 - remaining)
