"""Shared machinery for the probabilistic customer-base models.

Every model here is fitted the same way: maximum likelihood on *compressed*
sufficient statistics (customers with the same history are counted once with
a weight), L-BFGS-B on the logarithm of the parameters with an analytic
gradient supplied by the model, a few Newton steps to polish the optimum,
and standard errors from the observed information (the Hessian of the
log-likelihood at the optimum, taken by forward differences of the
analytic gradient).

A model module only states its parameters, a starting point, the
per-customer log-likelihood with its gradient, and its predictions.
"""

from __future__ import annotations

import os

import numpy as np

import functools
import warnings

from patron.models.data import Histories, check_prediction_inputs, check_rfm, compress, group_rows, per_distinct_row
from patron.models.errors import (
    DegenerateDataError,
    InvalidInputError,
    ModelError,
    RecencyClippedWarning,
)
from patron.models.fitting import Convergence, maximise_log_likelihood

__all__ = [
    "Convergence",
    "DegenerateDataError",
    "FittedModel",
    "Histories",
    "InvalidInputError",
    "ModelError",
    "RecencyClippedWarning",
    "TransactionModel",
    "check_rfm",
    "compress",
    "group_rows",
]

#: Fits on more distinct rows than this are split across threads.
PARALLEL_BLOCK_ROWS = 50_000
#: Fits on more distinct rows than this start from a fit on about
#: ``SAMPLE_ROWS`` of them (see :mod:`patron.models.fitting`).
SAMPLE_START_ROWS = 100_000
SAMPLE_ROWS = 20_000


class FittedModel:
    """Parameters, standard errors and the fit report common to every model."""

    param_names: tuple[str, ...] = ()
    #: Whether :meth:`_weighted_log_likelihood`'s gradient is exact to rounding; the Hessian of
    #: the standard errors is then taken by forward differences of it, else by central ones.
    exact_gradient = True
    #: Which of ``param_names`` are positive (fitted as logarithms); ``None``: all of them. A covariate
    #: model's coefficients take any sign (:mod:`patron.models.covariates`).
    positive = None

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
        # Large fits are split into row blocks evaluated on parallel threads,
        # and start from a fit on a systematic sample of the (sorted) rows.
        blocks = max(1, min(os.cpu_count() or 1, weights.size // PARALLEL_BLOCK_ROWS, 8))
        bounds = np.linspace(0, weights.size, blocks + 1).astype(int)
        row_blocks = [
            self._fit_block(weights[lo:hi], **{k: v[lo:hi] for k, v in columns.items()})
            for lo, hi in zip(bounds[:-1], bounds[1:])
        ]
        sample = None
        if weights.size > SAMPLE_START_ROWS:
            every = weights.size // SAMPLE_ROWS
            sample = (self._fit_block(weights[::every], **{k: v[::every] for k, v in columns.items()}),
                      float(weights[::every].sum()))
        params, errors, log_likelihood, convergence, log_covariance = maximise_log_likelihood(
            self._weighted_log_likelihood, start, row_blocks, float(weights.sum()), sample,
            exact_gradient=self.exact_gradient, positive=self.positive,
        )
        self.params_ = dict(zip(self.param_names, map(float, params)))
        self.standard_errors_ = dict(zip(self.param_names, map(float, errors)))
        #: Asymptotic covariance of the log-parameters (inverse observed information), in
        #: ``param_names`` order: what :mod:`patron.models.uncertainty` draws from.
        self.log_covariance_ = np.asarray(log_covariance, dtype=float)
        self.log_likelihood_ = float(log_likelihood)
        self.convergence_ = convergence
        self.n_customers_ = float(weights.sum())
        # A coefficient near 0 with a larger standard error is an answer (no effect), not a bad fit.
        positive = [True] * len(params) if self.positive is None else self.positive
        checked = [name for name, pos in zip(self.param_names, positive) if pos]
        self.fit_warnings_ = fit_warnings({n: self.params_[n] for n in checked},
                                          {n: self.standard_errors_[n] for n in checked}, convergence)
        #: False when the optimiser stopped badly, a parameter ran away or a standard error exceeds its
        #: estimate: such a fit should not be made current (``fit_warnings_`` says why).
        self.converged_ = not self.fit_warnings_
        for message in self.fit_warnings_[1 if not convergence.success else 0:]:
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _fit_data(self, **columns):
        return Histories(**columns)

    def _fit_block(self, weights, **columns):
        """One block of rows as :meth:`_weighted_log_likelihood` reads it."""
        return self._fit_data(**columns), weights

    def _weighted_log_likelihood(self, params, block):
        """Log-likelihood of a block's customers and its gradient, summed.

        By default the weighted sum of :meth:`_log_likelihood_terms`; a model
        may aggregate more cleverly (terms that depend on one column only can
        be summed per distinct value of that column).
        """
        data, weights = block
        ll, grad = self._log_likelihood_terms(params, data)
        # einsum, not BLAS: BLAS's own threads fight ours and the machine's.
        return np.einsum("i,i->", weights, ll), [np.einsum("i,i->", weights, g) for g in grad]

    def _log_likelihood_terms(self, params, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        params = getattr(self, "params_", None)
        if params is None:
            return f"{type(self).__name__}()"
        shown = ", ".join(f"{name}={value:.4g}" for name, value in params.items())
        return f"{type(self).__name__}({shown})"


#: A parameter above this has run away: the likelihood keeps improving as it grows (e.g. tiny data).
RUNAWAY = 1e5


def fit_warnings(params: dict, errors: dict, convergence: Convergence) -> list[str]:
    """What is wrong with a fit, in words; empty for a clean one."""
    found = []
    if not convergence.success:
        found.append(f"The fit did not converge cleanly: {convergence.message}")
    for name, value in params.items():
        error = errors.get(name)
        if value > RUNAWAY:
            found.append(f"Parameter {name} ran away to {value:.3g}: the data do not identify it.")
        if error is None or not np.isfinite(error):
            found.append(f"Parameter {name} has no standard error (a flat or singular likelihood).")
        elif error > abs(value):
            found.append(f"The standard error of {name} ({error:.3g}) exceeds its estimate ({value:.3g}): "
                         "the data hardly identify it.")
    return found


def _validated(method, arguments):
    """``method`` refusing impossible histories and horizons before computing (see check_prediction_inputs)."""
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        given = dict(zip(arguments, args), **{k: v for k, v in kwargs.items() if k in arguments})
        check_prediction_inputs(**{k: given.get(k) for k in ("x", "t_x", "T", "t")})
        return method(self, *args, **kwargs)
    checked.__validated__ = True
    return checked


#: The prediction methods whose inputs are checked, with their argument names.
PREDICTIONS = {
    "probability_alive": ("x", "t_x", "T"),
    "conditional_expected_number_of_purchases_up_to_time": ("t", "x", "t_x", "T"),
    "expected_purchases": ("t", "x", "t_x", "T"),
    "expected_time_to_next_purchase": ("x", "t_x", "T"),
}


def as_arrays(*arrays):
    return np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))


class TransactionModel(FittedModel):
    """Base of the repeat-purchase models, fitted on (frequency, recency, T).

    ``frequency`` (x) counts repeat purchases, ``recency`` (t_x) is the time
    from first to last purchase and ``T`` the time from first purchase to the
    end of the observation window, all in the same unit.
    """

    discrete = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, arguments in PREDICTIONS.items():
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "__validated__", False):
                setattr(cls, name, _validated(method, arguments))

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
        x, t_x, age, w = compress(x, t_x, age, None if weights is None else w)
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

    #: ``(t, x, T) -> expected repeat purchases in (T, T + t] of a customer
    #: still alive at T``, for models whose conditional expectation is
    #: ``probability_alive(x, t_x, T)`` times it; ``None`` for the others.
    #: It does not depend on t_x, so it is computed once per distinct
    #: (t, x, T), far fewer than the distinct (x, t_x, T).
    _purchases_if_alive = None

    def _alive_times_purchases_if_alive(self, t, x, t_x, T):
        t, x, t_x, T = as_arrays(t, x, t_x, T)
        return self.probability_alive(x, t_x, T) * per_distinct_row(self._purchases_if_alive, t, x, T)

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
        x, _, T = as_arrays(x, t_x, T)
        return (alpha + T) * np.expm1(np.log(2.0) / (r + x))


for _name, _arguments in PREDICTIONS.items():
    if _name in TransactionModel.__dict__:
        setattr(TransactionModel, _name, _validated(TransactionModel.__dict__[_name], _arguments))
