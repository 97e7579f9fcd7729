"""Shared machinery for the probabilistic customer-base models.

Every model here is fitted the same way: maximum likelihood on *compressed*
sufficient statistics (customers with the same history are counted once with
a weight), L-BFGS-B on the logarithm of the parameters with an analytic
gradient supplied by the model, a few Newton steps to polish the optimum,
and standard errors from the observed information (the Hessian of the
log-likelihood at the optimum, taken by central differences of the
analytic gradient).

A model module only states its parameters, a starting point, the
per-customer log-likelihood with its gradient, and its predictions.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from patron.errors import PatronError

__all__ = [
    "Convergence",
    "DegenerateDataError",
    "InvalidInputError",
    "ModelError",
    "RecencyClippedWarning",
    "TransactionModel",
    "compress",
]

#: Recency may exceed T by this fraction of T (or 0.01 time units, whichever
#: is larger) before it is refused rather than clipped: rounding does that.
RECENCY_SLACK = 0.01

#: Fits on more distinct rows than this are split across threads.
PARALLEL_BLOCK_ROWS = 50_000

#: Log-parameters are kept inside these bounds so the optimiser never asks
#: for exp(700).
LOG_PARAM_BOUNDS = (-25.0, 25.0)


class ModelError(PatronError):
    """A model cannot be fitted or used as asked; the message says why."""


class InvalidInputError(ModelError, ValueError):
    """Input arrays break the model's assumptions (negative, NaN, inconsistent)."""


class DegenerateDataError(ModelError):
    """The data are valid but cannot identify the model (e.g. no repeat buyers)."""


class RecencyClippedWarning(UserWarning):
    """Some recencies were a rounding error above T and were set to T."""


@dataclass(frozen=True)
class Convergence:
    """How the optimiser finished.

    ``gradient_norm`` is the largest absolute gradient of the mean (per
    customer) negative log-likelihood with respect to the log-parameters.
    """

    success: bool
    iterations: int
    function_evaluations: int
    gradient_norm: float
    message: str


# -- input hygiene ---------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _as_float_column(values, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        array = array.reshape(-1)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidInputError(
            f"{name} has {_plural(int(bad.sum()), 'missing or infinite value')}; "
            "drop or fill those customers before fitting."
        )
    if (array < 0).any():
        raise InvalidInputError(
            f"{name} has {_plural(int((array < 0).sum()), 'negative value')}; "
            "counts and durations cannot be negative."
        )
    return array


def check_rfm(frequency, recency, T, weights=None, *, discrete: bool = False):
    """Validate and clean frequency, recency and age (and optional weights).

    Returns float arrays. Recency a rounding error above ``T`` is clipped to
    ``T`` with a :class:`RecencyClippedWarning`; anything else inconsistent
    raises :class:`InvalidInputError` saying what and how many.
    """
    x = _as_float_column(frequency, "frequency")
    t_x = _as_float_column(recency, "recency")
    age = _as_float_column(T, "T" if not discrete else "n_periods")
    if not (x.shape == t_x.shape == age.shape):
        raise InvalidInputError(
            f"frequency, recency and T must have the same length; got "
            f"{x.size}, {t_x.size} and {age.size}."
        )
    if x.size == 0:
        raise DegenerateDataError("There are no customers to fit the model on.")
    if (x != np.round(x)).any():
        raise InvalidInputError(
            f"frequency has {_plural(int((x != np.round(x)).sum()), 'non-integer value')}; "
            "it counts repeat purchases."
        )
    if discrete:
        for name, col in (("recency", t_x), ("n_periods", age)):
            if (col != np.round(col)).any():
                raise InvalidInputError(f"{name} must count whole periods.")
    over = t_x - age
    slack = np.maximum(RECENCY_SLACK * age, 0.01) if not discrete else 0.0
    refused = over > slack
    if refused.any():
        raise InvalidInputError(
            f"{_plural(int(refused.sum()), 'customer')} have recency greater than T "
            f"(by up to {over.max():.4g}); recency is the time from first to last "
            "purchase and cannot exceed the customer's age T."
        )
    clipped = over > 0
    if clipped.any():
        warnings.warn(
            f"{_plural(int(clipped.sum()), 'customer')} had recency a rounding error "
            f"above T (at most {over.max():.3g}); set to T.",
            RecencyClippedWarning,
            stacklevel=3,
        )
        t_x = np.minimum(t_x, age)
    no_gap = (x > 0) & (t_x == 0)
    if no_gap.any():
        raise InvalidInputError(
            f"{_plural(int(no_gap.sum()), 'customer')} have repeat purchases but recency 0; "
            "recency must be the time between first and last purchase."
        )
    phantom = (x == 0) & (t_x > 0)
    if phantom.any():
        raise InvalidInputError(
            f"{_plural(int(phantom.sum()), 'customer')} have no repeat purchase but a "
            "recency above 0; recency must be 0 for one-time buyers."
        )
    if discrete and (x > t_x).any():
        raise InvalidInputError(
            f"{_plural(int((x > t_x).sum()), 'customer')} made more purchases than "
            "the period of their last purchase allows (frequency > recency)."
        )
    if weights is None:
        w = np.ones_like(x)
    else:
        w = _as_float_column(weights, "weights")
        if w.shape != x.shape:
            raise InvalidInputError("weights must have one entry per row.")
    return x, t_x, age, w


def _column_codes(column: np.ndarray):
    """Distinct values of a column and each row's index into them.

    Whole numbers in a modest range (days, counts) are coded by offset, with
    no sort; other values by rank among the distinct values.
    """
    low, high = float(column.min()), float(column.max())
    if high - low < 2**24 and low == np.floor(low):
        codes = (column - low).astype(np.int64)
        if np.array_equal(codes, column - low):
            return low + np.arange(int(high - low) + 1, dtype=float), codes
    values = np.unique(column)
    return values, np.searchsorted(values, column)


def group_rows(columns, weights=None, *, inverse=False):
    """Distinct rows of equal-length float columns and the weight of each.

    Parameters
    ----------
    columns : sequence of ndarray
    weights : ndarray, optional
        Weight of each input row; defaults to one.
    inverse : bool
        Also return, for each input row, the index of its distinct row.

    Returns
    -------
    distinct : list of ndarray
    counts : ndarray
    inverse : ndarray, only if asked for
    """
    columns = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
    n = columns[0].size
    coded = [_column_codes(c) for c in columns]
    sizes = [values.size for values, _ in coded]
    if np.prod(np.array(sizes, dtype=float)) >= 2.0**62:  # cannot pack: sort rows
        stacked = np.stack(columns)
        order = np.lexsort(stacked[::-1])
        start = np.r_[True, (np.diff(stacked[:, order], axis=1) != 0).any(axis=0)]
        group = np.empty(n, dtype=np.int64)
        group[order] = np.cumsum(start) - 1
        counts = np.bincount(group, weights=weights, minlength=int(start.sum()))
        distinct = [c[order][start] for c in columns]
        return (distinct, counts, group) if inverse else (distinct, counts)
    key = np.zeros(n, dtype=np.int64)
    for size, (_, codes) in zip(sizes, coded):
        key *= size
        key += codes
    space = int(np.prod(np.array(sizes, dtype=np.int64)))
    if space <= 2 * n:  # small key space: count by direct addressing
        occupancy = np.bincount(key, minlength=space)
        keys = np.flatnonzero(occupancy)
        if weights is None:
            counts = occupancy[keys]
        else:
            counts = np.bincount(key, weights=weights, minlength=space)[keys]
        group = (np.cumsum(occupancy > 0) - 1)[key] if inverse else None
    else:
        keys, group = np.unique(key, return_inverse=True)
        counts = np.bincount(group, weights=weights, minlength=keys.size)
    distinct = []
    for size, (values, _) in zip(sizes[::-1], coded[::-1]):
        keys, code = np.divmod(keys, size)
        distinct.append(values[code])
    distinct.reverse()
    return (distinct, counts.astype(float), group) if inverse else (distinct, counts.astype(float))


def compress(frequency, recency, T, weights=None):
    """Collapse customers with identical (frequency, recency, T) into one row.

    Parameters
    ----------
    frequency, recency, T : array_like
        One entry per customer (or per row, if ``weights`` is given).
    weights : array_like, optional
        How many customers each row stands for; defaults to one.

    Returns
    -------
    frequency, recency, T, weights : ndarray
        The distinct rows (sorted) and how many customers each stands for.

    Examples
    --------
    >>> compress([0, 0, 2], [0.0, 0.0, 3.5], [10.0, 10.0, 10.0])[3]
    array([2., 1.])
    """
    w = None if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    (x, t_x, age), counts = group_rows([frequency, recency, T], w)
    return x, t_x, age, counts


# -- maximum likelihood -----------------------------------------------------


def _numerical_hessian(gradient, point: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central differences of an analytic gradient, symmetrised."""
    k = point.size
    hessian = np.empty((k, k))
    for j in range(k):
        shift = np.zeros(k)
        shift[j] = step
        hessian[:, j] = (gradient(point + shift) - gradient(point - shift)) / (2 * step)
    return (hessian + hessian.T) / 2


def maximise_log_likelihood(log_likelihood_terms, start, chunks, max_iter=2000):
    """Fit parameters by maximum likelihood on weighted rows.

    Parameters
    ----------
    log_likelihood_terms : callable
        ``(params, data) -> (ll, grad)``: the log-likelihood of each row and
        its gradient with respect to the (natural, positive) parameters, as
        a sequence of k per-row arrays.
    start : array_like
        Positive starting parameters.
    chunks : list of (data, weights)
        Row blocks: ``data`` is passed to ``log_likelihood_terms`` and
        ``weights`` says how many customers each row stands for. Blocks are
        evaluated on parallel threads (NumPy and SciPy release the GIL).

    Returns
    -------
    params, standard_errors, log_likelihood, convergence
    """
    total = float(sum(weights.sum() for _, weights in chunks))
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        return _maximise(log_likelihood_terms, start, chunks, total, pool, max_iter)


def _maximise(log_likelihood_terms, start, chunks, total, pool, max_iter):
    def chunk_sums(params, data, weights):
        with np.errstate(all="ignore"):
            ll, grad = log_likelihood_terms(params, data)
            # einsum, not BLAS: BLAS's own threads fight ours and the machine's.
            return (
                np.einsum("i,i->", weights, ll),
                np.array([np.einsum("i,i->", weights, g) for g in grad]),
            )

    def value_and_gradient(log_params):
        params = np.exp(log_params)
        if len(chunks) == 1:
            parts = [chunk_sums(params, *chunks[0])]
        else:
            parts = list(pool.map(lambda chunk: chunk_sums(params, *chunk), chunks))
        value = -sum(ll for ll, _ in parts) / total
        gradient = -sum(g for _, g in parts) * params / total
        if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
            return np.inf, np.zeros_like(log_params)
        return value, gradient

    result = minimize(
        value_and_gradient,
        np.log(np.asarray(start, dtype=float)),
        jac=True,
        method="L-BFGS-B",
        bounds=[LOG_PARAM_BOUNDS] * len(start),
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20},
    )
    point, value = result.x, result.fun
    evaluations = result.nfev

    def gradient_only(log_params):
        return value_and_gradient(log_params)[1]

    # L-BFGS-B stops on a relative change in the objective; a few Newton
    # steps on the (small) parameter vector take the optimum to the precision
    # the standard errors and cross-checks need. The Hessian is computed once
    # here: near the optimum it barely changes, and each costs 2k gradients.
    hessian = _numerical_hessian(gradient_only, point)
    evaluations += 2 * point.size
    newton_steps = 0
    for _ in range(8):
        gradient = gradient_only(point)
        evaluations += 1
        if np.max(np.abs(gradient)) < 1e-11:
            break
        try:
            np.linalg.cholesky(hessian)
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            break
        scale, improved = 1.0, False
        while scale > 1e-3:
            candidate = np.clip(point - scale * step, *LOG_PARAM_BOUNDS)
            candidate_value = value_and_gradient(candidate)[0]
            evaluations += 1
            if candidate_value < value:
                point, value, improved = candidate, candidate_value, True
                break
            scale /= 2
        if not improved:
            break
        newton_steps += 1

    gradient_norm = float(np.max(np.abs(gradient_only(point))))
    params = np.exp(point)
    try:
        covariance_log = np.linalg.inv(hessian) / total
        variances = np.diag(covariance_log) * params**2  # delta method
        standard_errors = np.where(variances > 0, np.sqrt(np.abs(variances)), np.nan)
    except np.linalg.LinAlgError:
        standard_errors = np.full(params.size, np.nan)
    at_bound = bool(np.any(np.abs(np.abs(point) - LOG_PARAM_BOUNDS[1]) < 1e-6))
    success = bool((result.success or gradient_norm < 1e-7) and not at_bound)
    message = str(result.message)
    if newton_steps:
        message += f"; polished with {newton_steps} Newton step(s)"
    if at_bound:
        message += "; a parameter ran to its bound (the data may not identify it)"
    convergence = Convergence(
        success=success,
        iterations=int(result.nit) + newton_steps,
        function_evaluations=int(evaluations),
        gradient_norm=gradient_norm,
        message=message,
    )
    if not success:
        warnings.warn(f"The fit did not converge cleanly: {message}", RuntimeWarning, stacklevel=3)
    return params, standard_errors, -value * total, convergence


# -- base classes ------------------------------------------------------------


class FittedModel:
    """Parameters, standard errors and the fit report common to every model."""

    param_names: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, **params: float):
        """Build a model with known parameters (for simulation or what-if).

        Examples
        --------
        >>> from patron.models import BetaGeo
        >>> BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        """
        missing = set(cls.param_names) - set(params)
        extra = set(params) - set(cls.param_names)
        if missing or extra:
            raise ModelError(
                f"{cls.__name__} takes parameters {', '.join(cls.param_names)}; "
                f"missing {sorted(missing)}, unknown {sorted(extra)}."
            )
        model = cls()
        model.params_ = {name: float(params[name]) for name in cls.param_names}
        return model

    def _params(self) -> tuple[float, ...]:
        params = getattr(self, "params_", None)
        if params is None:
            raise ModelError(
                f"{type(self).__name__} has no parameters yet: call fit() or from_params()."
            )
        return tuple(float(params[name]) for name in self.param_names)

    def _store_fit(self, start, weights, **columns) -> None:
        # Large fits are split into row blocks evaluated on parallel threads.
        blocks = max(1, min(os.cpu_count() or 1, weights.size // PARALLEL_BLOCK_ROWS, 8))
        bounds = np.linspace(0, weights.size, blocks + 1).astype(int)
        chunks = [
            (self._fit_data(**{k: v[lo:hi] for k, v in columns.items()}), weights[lo:hi])
            for lo, hi in zip(bounds[:-1], bounds[1:])
        ]
        params, errors, log_likelihood, convergence = maximise_log_likelihood(
            self._log_likelihood_terms, start, chunks
        )
        self.params_ = dict(zip(self.param_names, map(float, params)))
        self.standard_errors_ = dict(zip(self.param_names, map(float, errors)))
        self.log_likelihood_ = float(log_likelihood)
        self.convergence_ = convergence
        self.n_customers_ = float(weights.sum())

    def _fit_data(self, **columns):
        return Histories(**columns)

    def _log_likelihood_terms(self, params, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if params is None:
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{name}={value:.4g}" for name, value in params.items())
        return f"{type(self).__name__}({shown})"


class Histories:
    """Compressed histories plus the distinct values of each column.

    Many terms of a likelihood depend on one column only (``gammaln(r + x)``,
    ``log(alpha + T)``); :meth:`per` computes such a term once per distinct
    value and spreads it over the rows, which is most of the speed of a fit.
    """

    def __init__(self, **columns: np.ndarray):
        self.columns = columns
        self._levels = {}
        for name, col in columns.items():
            setattr(self, name, col)
            unique, inverse = np.unique(col, return_inverse=True)
            if unique.size <= col.size // 4:  # else indexing costs more than it saves
                self._levels[name] = unique, inverse

    def per(self, name: str, function):
        """``function(column)``, evaluated on distinct values only when that pays."""
        if name not in self._levels:
            return function(self.columns[name])
        unique, inverse = self._levels[name]
        return function(unique)[inverse]


def _broadcast(*arrays):
    return np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))


class TransactionModel(FittedModel):
    """Base of the repeat-purchase models, fitted on (frequency, recency, T).

    ``frequency`` (x) counts repeat purchases, ``recency`` (t_x) is the time
    from first to last purchase and ``T`` the time from first purchase to the
    end of the observation window, all in the same unit.
    """

    discrete = False

    def fit(self, frequency, recency, T, weights=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array_like
            One entry per customer, or per distinct history with ``weights``.
        weights : array_like, optional
            Number of customers each row stands for.

        Returns
        -------
        self
        """
        x, t_x, age, w = check_rfm(frequency, recency, T, weights, discrete=self.discrete)
        x, t_x, age, w = compress(x, t_x, age, w)
        keep = w > 0
        x, t_x, age, w = x[keep], t_x[keep], age[keep], w[keep]
        if w.sum() < 2:
            raise DegenerateDataError(
                "A model of the customer base needs at least two customers; got "
                f"{w.sum():g}."
            )
        if not (x > 0).any():
            raise DegenerateDataError(
                f"All {w.sum():g} customers bought only once, so there is nothing to "
                "learn about repeat purchasing; fit on a longer window or more customers."
            )
        self._store_fit(self._initial_params(x, t_x, age, w), w, x=x, t_x=t_x, T=age)
        return self

    def _fit_data(self, x, t_x, T):
        return Histories(x=x, t_x=t_x, T=T)

    def _initial_params(self, x, t_x, T, w):  # pragma: no cover - abstract
        raise NotImplementedError

    def probability_alive(self, x, t_x, T):  # pragma: no cover - abstract
        raise NotImplementedError

    def conditional_expected_number_of_purchases_up_to_time(self, t, x, t_x, T):
        raise NotImplementedError  # pragma: no cover - abstract

    def expected_purchases(self, t, x, t_x, T):
        """Short alias of :meth:`conditional_expected_number_of_purchases_up_to_time`."""
        return self.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)

    def expected_number_of_purchases_up_to_time(self, t):
        """Expected repeat purchases in ``(0, t]`` for a customer who just bought first.

        This is the conditional expectation for a history with no repeat
        purchase and no elapsed time, which every model here reduces to its
        published unconditional formula.
        """
        return self.conditional_expected_number_of_purchases_up_to_time(t, 0.0, 0.0, 0.0)

    def expected_time_to_next_purchase(self, x, t_x, T):
        """Median time from ``T`` to the next purchase, for a customer still alive.

        Given the history, an alive customer's purchase rate has a
        Gamma(r + x, alpha + T) posterior, so the wait is Lomax distributed
        and its median is ``(alpha + T) * (2 ** (1 / (r + x)) - 1)``. The
        median is used because the mean is infinite when r + x <= 1. It
        ignores the chance that the customer has already left (weigh by
        :meth:`probability_alive`) or, for the Pareto/NBD, leaves before
        buying again.
        """
        r, alpha = self._params()[:2]
        x, _, T = _broadcast(x, t_x, T)
        return (alpha + T) * np.expm1(np.log(2.0) / (r + x))
