"""How sure the numbers are: intervals on parameters, on each customer's CLV and P(alive), and on totals.

Parameters: a maximum-likelihood estimate is asymptotically normal with the inverse observed
information (the Hessian of the log-likelihood at the optimum, which every fit computes) as its
covariance. The fits work on the logarithms of the parameters, so the intervals are taken there and
mapped back: ``exp(log θ ± z se(log θ))``, always positive and asymmetric, as the likelihood is.

Predictions: a *parametric draw* from that asymptotic normal (not a bootstrap of the customers, and
not the delta method). Each draw of the transaction model's and the spend model's log-parameters (the
two likelihoods are separate, so the draws are independent) gives every customer a P(alive) and a
CLV; the interval is the percentiles of those draws. Totals are summed within each draw before the
percentiles are taken, so customers' shared uncertainty (they all depend on the same parameters)
widens the total's interval as it should.

This is the uncertainty of the *model's expectation* for each customer (what the fitted model
would say with the true parameters), not of what the customer will actually do: a single customer's
purchases vary far more than that around their expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri  # the normal quantile, without importing scipy.stats (2 s at start)

from patron.models.clv import customer_lifetime_value
from patron.models.data import group_rows
from patron.models.errors import ModelError

__all__ = ["ValueIntervals", "parameter_draws", "parameter_intervals", "value_intervals"]

METHOD = ("parametric draws from the asymptotic normal of the maximum-likelihood estimates "
          "(log-parameters, covariance from the Hessian)")


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ModelError(f"A confidence level is between 0 and 1; got {level}.")
    return float(ndtri((1 + level) / 2))


def _log_covariance(model) -> np.ndarray:
    covariance = getattr(model, "log_covariance_", None)
    if covariance is None:
        raise ModelError(f"{type(model).__name__} has no covariance: fit it first (from_params has none).")
    covariance = np.asarray(covariance, dtype=float)
    if not np.isfinite(covariance).all():
        raise ModelError(f"{type(model).__name__}'s information matrix is singular: no intervals.")
    return covariance


def parameter_intervals(model, level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Each parameter's interval, ``exp(log θ ± z se(log θ))``."""
    z = _z(level)
    spread = z * np.sqrt(np.clip(np.diag(_log_covariance(model)), 0, None))
    return {name: (float(np.exp(np.log(value) - s)), float(np.exp(np.log(value) + s)))
            for (name, value), s in zip(model.params_.items(), spread)}


def parameter_draws(model, draws: int, rng) -> np.ndarray:
    """``draws`` parameter vectors (rows, in ``param_names`` order) from the asymptotic normal of the log-parameters."""
    centre = np.log([model.params_[name] for name in model.param_names])
    return np.exp(rng.multivariate_normal(centre, _log_covariance(model), size=int(draws), method="eigh"))


@dataclass
class ValueIntervals:
    """Intervals from :func:`value_intervals`: per customer (arrays) and for the total CLV."""

    level: float
    draws: int
    #: draws dropped because the spend model's q fell to 1 or below (infinite mean spend)
    dropped: int
    p_alive_low: np.ndarray
    p_alive_high: np.ndarray
    clv_low: np.ndarray
    clv_high: np.ndarray
    total_clv: float
    total_clv_low: float
    total_clv_high: float
    method: str = METHOD


def value_intervals(transaction_model, spend_model, x, t_x, T, mean_spend, weights=None, *, horizon: int = 12,
                    discount_rate: float = 0.01, margin: float = 1.0, time_unit_per_period: float = 30.0,
                    level: float = 0.95, draws: int = 200, seed: int = 0) -> ValueIntervals:
    """Intervals on each row's P(alive) and CLV and on the weighted total CLV.

    Rows may stand for ``weights`` customers each; a row's ``mean_spend`` is then the mean over its
    customers (CLV is linear in the spend per purchase, so a group's total is its size times the CLV
    at its mean spend). The same seed gives the same intervals.
    """
    x, t_x, T, m = (np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, T, mean_spend))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    (xu, tu, Tu, mu), _, row = group_rows([x, t_x, T, m], inverse=True)
    rng = np.random.default_rng(seed)
    transaction_draws = parameter_draws(transaction_model, draws, rng)
    spend_draws = parameter_draws(spend_model, draws, rng)
    model_class, spend_class = type(transaction_model), type(spend_model)
    alive, value, dropped = [], [], 0
    for params, spend_params in zip(transaction_draws, spend_draws):
        spend_draw = spend_class.from_params(**dict(zip(spend_class.param_names, spend_params)))
        if spend_draw.params_.get("q", 2.0) <= 1:
            dropped += 1
            continue
        drawn = model_class.from_params(**dict(zip(model_class.param_names, params)))
        alive.append(drawn.probability_alive(xu, tu, Tu))
        value.append(customer_lifetime_value(drawn, spend_draw, xu, tu, Tu, mu, horizon=horizon,
                                             discount_rate=discount_rate, margin=margin,
                                             time_unit_per_period=time_unit_per_period))
    if len(value) < max(10, draws // 2):
        raise ModelError(f"Only {len(value)} of {draws} parameter draws give a finite mean spend: the spend "
                         "model is too uncertain for intervals.")
    alive, value = np.array(alive), np.array(value)
    tail = 100 * (1 - level) / 2
    a_low, a_high = np.percentile(alive, [tail, 100 - tail], axis=0)
    v_low, v_high = np.percentile(value, [tail, 100 - tail], axis=0)
    group_weight = np.bincount(row, weights=w, minlength=xu.size)
    totals = value @ group_weight
    t_low, t_high = np.percentile(totals, [tail, 100 - tail])
    point = customer_lifetime_value(transaction_model, spend_model, xu, tu, Tu, mu, horizon=horizon,
                                    discount_rate=discount_rate, margin=margin,
                                    time_unit_per_period=time_unit_per_period)
    return ValueIntervals(level, int(draws), dropped, a_low[row], a_high[row], v_low[row], v_high[row],
                          float(point @ group_weight), float(t_low), float(t_high))
