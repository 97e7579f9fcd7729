"""How sure the numbers are: intervals on parameters, on each customer's CLV and P(alive), and on totals.

Parameters: a maximum-likelihood estimate is asymptotically normal with the inverse observed
information (the Hessian of the log-likelihood at the optimum, which every fit computes) as its
covariance. The fits work on the logarithms of the parameters, so the intervals are taken there and
mapped back: ``exp(log θ ± z se(log θ))``, always positive and asymmetric, as the likelihood is.

Each customer's intervals, stored with a run's scores (:func:`delta_intervals`): the *delta method*.
The gradient of log CLV and of logit P(alive) in the log-parameters (forward differences) and the
covariance give each customer's standard error on those scales; the interval is taken there and mapped
back (``CLV · exp(± z se)``, ``expit(logit P ± z se)``), so it stays positive, inside [0, 1], and
asymmetric. It costs a few evaluations of the models per batch, where draws cost a hundred.

Totals, and a customer's intervals asked for on their own (:func:`value_intervals`): a *parametric
draw* from that asymptotic normal (not a bootstrap of the customers). Each draw of the transaction model's and the spend model's log-parameters (the
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

from patron.models.clv import customer_lifetime_value, discounted_purchases_if_alive, expected_discounted_purchases
from patron.models.data import group_rows
from patron.models.errors import ModelError

__all__ = ["DELTA_METHOD", "IfAliveTable", "ValueIntervals", "delta_intervals", "if_alive_table", "parameter_draws", "parameter_intervals",
           "value_intervals"]

METHOD = ("parametric draws from the asymptotic normal of the maximum-likelihood estimates "
          "(log-parameters, covariance from the Hessian)")

DELTA_METHOD = ("delta method on log CLV and logit P(alive) in the log-parameters (covariance from the Hessian; "
                "the two models' parameters independent)")
#: Forward-difference step on the log-parameters for :func:`delta_intervals`.
DELTA_STEP = 1e-5


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


def _log_gradient(evaluate, model, value: np.ndarray, transform) -> np.ndarray:
    """Forward differences of ``transform(evaluate(model))`` in each log-parameter: one column per parameter."""
    names = model.param_names
    centre = np.log([model.params_[name] for name in names])
    base = transform(value)
    columns = []
    for k in range(len(names)):
        shifted = centre.copy()
        shifted[k] += DELTA_STEP
        moved = type(model).from_params(**dict(zip(names, map(float, np.exp(shifted)))))
        columns.append((transform(evaluate(moved)) - base) / DELTA_STEP)
    return np.column_stack(columns)


def _spread(gradient: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Each row's delta-method variance ``g Σ gᵀ``.

    Written out term by term (a handful of parameters): a matrix product of a long thin array calls BLAS, whose
    threads cost more CPU than the arithmetic.
    """
    k = gradient.shape[1]
    total = np.zeros(gradient.shape[0])
    for i in range(k):
        total += covariance[i, i] * gradient[:, i] ** 2
        for j in range(i + 1, k):
            total += 2 * covariance[i, j] * gradient[:, i] * gradient[:, j]
    return total


def _pair_keys(x: np.ndarray, T: np.ndarray) -> np.ndarray | None:
    """One int64 per (x, T) of whole periods, ``None`` when they are not whole numbers."""
    if not (np.array_equal(x, np.round(x)) and np.array_equal(T, np.round(T))) or (x < 0).any() or (T < 0).any() \
            or T.size and T.max() >= 2**31:
        return None
    return x.astype(np.int64) * 2**31 + T.astype(np.int64)


@dataclass
class IfAliveTable:
    """The discounted purchases of a customer alive at T and its log-gradient, per distinct (x, T) of a base.

    Made once from a run's compressed histories (:func:`if_alive_table`) so that each batch of customers looks
    them up instead of evaluating the hypergeometric sums again for every batch.
    """

    keys: np.ndarray
    value: np.ndarray
    gradient: np.ndarray

    def lookup(self, x: np.ndarray, T: np.ndarray):
        keys = _pair_keys(x, T)
        if keys is None or not self.keys.size:
            return None
        at = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        if not np.array_equal(self.keys[at], keys):
            return None  # a history the table does not hold: compute
        return self.value[at], self.gradient[at]


def if_alive_table(transaction_model, x, T, *, horizon: int = 12, discount_rate: float = 0.01,
                   time_unit_per_period: float = 30.0) -> IfAliveTable | None:
    """An :class:`IfAliveTable` for the (x, T) of ``x``, ``T``; ``None`` for models without the factorisation."""
    if transaction_model._purchases_if_alive is None:
        return None
    keys = _pair_keys(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    if keys is None:
        return None
    keys = np.unique(keys)
    xd, Td = (keys // 2**31).astype(float), (keys % 2**31).astype(float)
    options = {"horizon": horizon, "discount_rate": discount_rate, "time_unit_per_period": time_unit_per_period}

    def if_alive(model):
        return discounted_purchases_if_alive(model, xd, Td, **options)

    value = if_alive(transaction_model)
    with np.errstate(divide="ignore", invalid="ignore"):
        gradient = _log_gradient(if_alive, transaction_model, value, _log)
    return IfAliveTable(keys, value, gradient)


def _log(v):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(v)


def _logit(p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(p) - np.log1p(-p)


def delta_intervals(transaction_model, spend_model, x, t_x, T, mean_spend, *, horizon: int = 12,
                    discount_rate: float = 0.01, margin: float = 1.0, time_unit_per_period: float = 30.0,
                    level: float = 0.95, table: IfAliveTable | None = None) -> dict[str, np.ndarray]:
    """Each customer's interval on P(alive) and CLV by the delta method (see the module's note).

    ``table`` (:func:`if_alive_table` of the whole base, made with the same horizon and rates) saves evaluating
    the discounted purchases per batch.

    Returns ``p_alive_low``, ``p_alive_high``, ``clv_low``, ``clv_high`` (arrays like ``x``). A P(alive) of
    exactly 0 or 1 (BG/NBD's one-time buyers) and a CLV of 0 have a zero-width interval. The transaction
    model is evaluated once per distinct ``(x, t_x, T)`` and once more per parameter.
    """
    z = _z(level)
    covariance, spend_covariance = _log_covariance(transaction_model), _log_covariance(spend_model)
    x, t_x, T, m = (np.asarray(v, dtype=float).reshape(-1) for v in (x, t_x, T, mean_spend))
    (xu, tu, Tu), _, row = group_rows([x, t_x, T], inverse=True)
    options = {"horizon": horizon, "discount_rate": discount_rate, "time_unit_per_period": time_unit_per_period}

    def alive(model):
        return model.probability_alive(xu, tu, Tu)

    def purchases(model):
        return expected_discounted_purchases(model, xu, tu, Tu, **options)

    def spend(model):
        return model.conditional_expected_average_spend(x, m)

    p, s = alive(transaction_model), spend(spend_model)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_var = _spread(_log_gradient(spend, spend_model, s, _log), spend_covariance)
        if transaction_model._purchases_if_alive is not None:
            # Expected purchases are P(alive) times a sum that depends on (x, T) only: log A = log P + log D, so
            # the gradient of log P serves both intervals (d logit P = d log P / (1 - P)) and D's is taken once
            # per distinct (x, T).
            found = table.lookup(xu, Tu) if table is not None else None
            if found is None:
                found = if_alive_table(transaction_model, xu, Tu, **options)
                found = found.lookup(xu, Tu) if found is not None else None
            if found is None:  # periods that are not whole numbers: per distinct (x, T) of this batch
                (xd, Td), _, pair = group_rows([xu, Tu], inverse=True)

                def if_alive(model):
                    return discounted_purchases_if_alive(model, xd, Td, **options)

                d = if_alive(transaction_model)
                found = d[pair], _log_gradient(if_alive, transaction_model, d, _log)[pair]
            d, d_gradient = found
            log_p = _log_gradient(alive, transaction_model, p, _log)
            p_se = np.sqrt(np.clip(_spread(log_p / (1 - p)[:, None], covariance), 0, None))
            a = p * d
            a_var = _spread(log_p + d_gradient, covariance)
        else:
            a = purchases(transaction_model)
            p_se = np.sqrt(np.clip(_spread(_log_gradient(alive, transaction_model, p, _logit), covariance), 0, None))
            a_var = _spread(_log_gradient(purchases, transaction_model, a, _log), covariance)
    # A P(alive) a hair from 1 (BG/BB's customer who bought in every period: 1 - 1e-16) has no finite logit
    # gradient; its interval is the point, as at exactly 1 (scipy 1.17 no longer rounds it to 1).
    inner = (p > 0) & (p < 1) & np.isfinite(p_se)
    centre = np.where(inner, _logit(p), 0.0)
    p_low = np.where(inner, 1 / (1 + np.exp(-(centre - z * p_se))), p)[row]
    p_high = np.where(inner, 1 / (1 + np.exp(-(centre + z * p_se))), p)[row]
    clv = margin * s * a[row]
    se = np.sqrt(np.clip(np.nan_to_num(a_var)[row] + np.nan_to_num(s_var), 0, None))
    positive = clv > 0
    return {"p_alive_low": p_low, "p_alive_high": p_high,
            "clv_low": np.where(positive, clv * np.exp(-z * se), clv),
            "clv_high": np.where(positive, clv * np.exp(z * se), clv)}
