"""Time-invariant covariates in the repeat-purchase models: the shared part.

Fader and Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
models" (their note): a customer with covariates z (a row: dummies of an acquisition channel, a
numeric attribute) has the plain model's parameters scaled, each as ``theta(z) = theta0 · exp(sign
· gamma_theta · z)``, and the plain model's likelihood at their own parameters; the shape
parameters (r, and s or neither) are shared. Which parameters are scaled, and with which sign, is
the model's (:class:`~patron.models.ParetoNBDCovariates`, :class:`~patron.models.BetaGeoCovariates`).

The fit is the base's (:mod:`patron.models.fitting`): L-BFGS-B with the plain model's analytic
gradient carried to the coefficients by the chain rule (d theta_i / d gamma = sign · theta_i · z_i),
Newton polishing and standard errors from the observed information. The baseline parameters are
fitted as logarithms, the coefficients as they are (any sign). Customers with the same history and
covariates count once, weighted.

The coefficients carry a weak ridge penalty, ``penalizer / 2 · sum(gamma²)`` (a normal prior with
standard deviation ``1 / sqrt(penalizer)``; 1 by default, so ``exp(gamma)`` within a factor of 7 either
way at 95%): a small category whose customers never leave (six business accounts in a 600-customer
demo) otherwise sends its dropout coefficient to minus infinity, and the BG/NBD's a and b of one group
to plus infinity together. Where the data are informative it hardly matters (6,000 simulated customers:
the information on a coefficient is 40 to 500, against the penalty's 1); a coefficient the data do not
determine stays near 0 with a standard error near 1 instead of running away. ``log_likelihood_`` is the
likelihood without the penalty.

Customers with the same covariates share one plain model (:meth:`CovariateModel.model_for`), with
the covariance of its log-parameters carried over from the fit (the map is linear), so intervals
(:mod:`patron.models.uncertainty`) work on it unchanged.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import ndtri

from patron.models.base import FittedModel
from patron.models.data import check_rfm, group_rows, plural
from patron.models.errors import DegenerateDataError, InvalidInputError, ModelError

__all__ = ["CovariateModel", "CovariateRows"]


class CovariateRows:
    """Histories with each row's covariates, every term evaluated per row (the parameters differ by row)."""

    def __init__(self, x, t_x, T, Z):
        self.x, self.t_x, self.T, self.Z = x, t_x, T, Z

    def per(self, name: str, function):
        return function(getattr(self, name))


def covariate_matrix(covariates, rows: int) -> np.ndarray:
    """``covariates`` as an (n, k) float array, refusing a wrong row count and non-finite values."""
    try:
        Z = np.asarray(covariates, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"Covariates must be numbers ({exc}).") from exc
    Z = Z.reshape(-1, 1) if Z.ndim == 1 else Z
    if Z.ndim != 2 or Z.shape[0] != rows:
        raise InvalidInputError(f"{Z.shape[0]} covariate rows for {rows} customers: give one row each.")
    bad = ~np.isfinite(Z)
    if bad.any():
        raise InvalidInputError(f"Covariates have {plural(int(bad.sum()), 'missing or infinite value')}; "
                                "give every customer a number in every column.")
    return Z


class CovariateModel(FittedModel):
    """A plain transaction model whose scale parameters depend on each customer's covariates.

    A subclass names its ``base`` model class and ``scaled``: ``{parameter: sign}`` for each scaled
    parameter of the base, in the base's order (``-1``: ``exp(-gamma · z)``). After :meth:`fit`:
    ``params_`` the baseline (``alpha0``, …; shared ones as they are), ``coefficients_`` and
    ``coefficient_errors_`` keyed ``gamma<k>_<covariate>`` (k counts the scaled parameters from 1),
    ``standard_errors_`` of the baseline, ``log_likelihood_``, ``convergence_``, ``converged_``,
    ``fit_warnings_``, ``log_covariance_`` (log-baseline, then coefficients).
    """

    base: ClassVar[type]
    scaled: ClassVar[dict[str, int]]

    def __init__(self, penalizer: float = 1.0):
        if not penalizer >= 0:
            raise InvalidInputError(f"The penalizer is 0 or more; got {penalizer}.")
        self.penalizer = float(penalizer)

    def _baseline_names(self) -> list[str]:
        return [f"{name}0" if name in self.scaled else name for name in self.base.param_names]

    def fit(self, frequency, recency, T, covariates, names=None, weights=None):
        """Fit on each customer's history and covariates (one row of ``covariates`` per customer).

        Parameters
        ----------
        frequency, recency, T : array_like
            As for the plain model.
        covariates : array_like
            (n, k): dummies for a channel (one column per channel but a reference one), numbers.
        names : sequence of str, optional
            The covariates' names (default ``z0``, ``z1``, …).
        weights : array_like, optional
            Number of customers each row stands for.
        """
        x, t_x, age, w = check_rfm(frequency, recency, T, weights, discrete=self.base.discrete)
        Z = covariate_matrix(covariates, x.size)
        k = Z.shape[1]
        self.covariate_names_ = [str(n) for n in names] if names is not None else [f"z{i}" for i in range(k)]
        if len(self.covariate_names_) != k:
            raise InvalidInputError(f"{len(self.covariate_names_)} names for {k} covariate columns.")
        columns, w = group_rows([x, t_x, age, *Z.T], w)
        keep = w > 0
        x, t_x, age, w = columns[0][keep], columns[1][keep], columns[2][keep], w[keep]
        Z = np.column_stack(columns[3:])[keep] if k else np.zeros((x.size, 0))
        if not (x > 0).any():
            raise DegenerateDataError(f"All {w.sum():g} customers bought only once: nothing to learn about "
                                      "repeat purchasing.")
        plain_fit = self.base().fit(x, t_x, age, weights=w)  # the start: every coefficient at 0
        #: the plain model fitted on the same customers (the start, and what the coefficients improve on)
        self.plain_model_ = plain_fit
        scaled = [name for name in self.base.param_names if name in self.scaled]
        coefficient_names = [f"gamma{j + 1}_{c}" for j, _ in enumerate(scaled) for c in self.covariate_names_]
        baseline = self._baseline_names()
        self.param_names = (*baseline, *coefficient_names)
        self.positive = (True,) * len(baseline) + (False,) * len(coefficient_names)
        start = np.concatenate([list(plain_fit.params_.values()), np.zeros(len(coefficient_names))])
        self._total_weight = float(w.sum())
        self._store_fit(start, w, x=x, t_x=t_x, T=age, Z=Z)
        fitted, errors = self.params_, self.standard_errors_
        self.log_likelihood_ += self.penalizer / 2 * sum(fitted[n] ** 2 for n in coefficient_names)
        self.params_ = {n: fitted[n] for n in baseline}
        self.standard_errors_ = {n: errors[n] for n in baseline}
        self.coefficients_ = {n: fitted[n] for n in coefficient_names}
        self.coefficient_errors_ = {n: errors[n] for n in coefficient_names}
        return self

    def _fit_data(self, x, t_x, T, Z):
        return CovariateRows(x, t_x, T, Z)

    def _weighted_log_likelihood(self, params, block):
        """The likelihood of a block's customers and its share of the coefficients' penalty (by weight)."""
        ll, grad = super()._weighted_log_likelihood(params, block)
        share = self.penalizer * float(block[1].sum()) / self._total_weight
        n_base = len(self.base.param_names)
        gamma = np.asarray(params[n_base:], dtype=float)
        penalised = [g - share * c for g, c in zip(grad[n_base:], gamma)]
        return ll - share / 2 * float(gamma @ gamma), [*grad[:n_base], *penalised]

    def _row_params(self, params, Z):
        """Each row's base parameters (arrays for the scaled ones) from the baseline and the coefficients."""
        n_base, k = len(self.base.param_names), Z.shape[1]
        out, j = [], 0
        for name, value in zip(self.base.param_names, params[:n_base]):
            if name in self.scaled:
                gamma = np.asarray(params[n_base + j * k:n_base + (j + 1) * k], dtype=float)
                out.append(value * np.exp(self.scaled[name] * (Z @ gamma)))
                j += 1
            else:
                out.append(value)
        return out

    def _log_likelihood_terms(self, params, data):
        row_params = self._row_params(params, data.Z)
        ll, grad = self.base._log_likelihood_terms(self.base(), row_params, data)
        baseline, coefficients = [], []
        for name, value, own, g in zip(self.base.param_names, params, row_params, grad):
            if name in self.scaled:  # chain rule: d theta_i / d theta0 = theta_i / theta0
                baseline.append(g * own / value)
                coefficients.extend(g * own * self.scaled[name] * data.Z[:, c] for c in range(data.Z.shape[1]))
            else:
                baseline.append(g)
        return ll, [*baseline, *coefficients]

    def _theta(self) -> np.ndarray:
        if not hasattr(self, "coefficients_"):
            raise ModelError(f"Fit the {type(self).__name__} first.")
        return np.array([*np.log(list(self.params_.values())), *self.coefficients_.values()])

    def model_for(self, covariates):
        """The plain model of customers with these covariates (one row), with its log-parameters' covariance."""
        theta = self._theta()
        z = np.asarray(covariates, dtype=float).reshape(-1)
        k = len(self.covariate_names_)
        if z.size != k:
            raise InvalidInputError(f"Give {k} covariate value(s) ({', '.join(self.covariate_names_)}), not {z.size}.")
        n_base = len(self.base.param_names)
        # log theta(z) = log theta0 + sign · gamma · z: linear in the fitted vector, whose covariance maps with it.
        jacobian = np.zeros((n_base, theta.size))
        j = 0
        for i, name in enumerate(self.base.param_names):
            jacobian[i, i] = 1.0
            if name in self.scaled:
                jacobian[i, n_base + j * k:n_base + (j + 1) * k] = self.scaled[name] * z
                j += 1
        log_params = jacobian @ theta
        model = self.base.from_params(**dict(zip(self.base.param_names, map(float, np.exp(log_params)))))
        covariance = getattr(self, "log_covariance_", None)
        if covariance is not None:
            model.log_covariance_ = jacobian @ covariance @ jacobian.T
        return model

    def groups(self, covariates) -> list[tuple[object, np.ndarray]]:
        """Each distinct covariate row's plain model and the indices of the rows that have it."""
        Z = np.asarray(covariates, dtype=float)
        Z = Z.reshape(-1, 1) if Z.ndim == 1 else Z
        distinct, _, group = group_rows(list(Z.T), inverse=True)
        order = np.argsort(group, kind="stable")
        edges = np.searchsorted(group[order], np.arange(distinct[0].size + 1))
        return [(self.model_for([column[g] for column in distinct]), order[edges[g]:edges[g + 1]])
                for g in range(distinct[0].size)]

    def _per_group(self, method, covariates, *columns):
        arrays = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
        out = np.empty(arrays[0].size)
        for model, rows in self.groups(covariate_matrix(covariates, arrays[0].size)):
            out[rows] = getattr(model, method)(*(a[rows] for a in arrays))
        return out

    def probability_alive(self, frequency, recency, T, covariates) -> np.ndarray:
        """Each customer's P(alive) under the model of their covariates."""
        return self._per_group("probability_alive", covariates, frequency, recency, T)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T, covariates):
        """Each customer's expected purchases in the next ``t`` under the model of their covariates."""
        x = np.asarray(frequency, dtype=float).reshape(-1)
        return self._per_group("conditional_expected_number_of_purchases_up_to_time", covariates,
                               np.broadcast_to(np.asarray(t, dtype=float), x.shape), x, recency, T)

    def coefficient_table(self, level: float = 0.95) -> list[dict]:
        """Each coefficient with its standard error and interval (estimate ± z · se), for reports."""
        z = float(ndtri((1 + level) / 2))
        parameter = {f"gamma{j + 1}": name for j, name in
                     enumerate(n for n in self.base.param_names if n in self.scaled)}
        rows = []
        for key, value in self.coefficients_.items():
            gamma, covariate = key.split("_", 1)
            se = self.coefficient_errors_[key]
            rows.append({"name": key, "covariate": covariate, "parameter": parameter[gamma], "coefficient": value,
                         "standard_error": se, "low": value - z * se, "high": value + z * se})
        return rows

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v:.4g}" for n, v in {**getattr(self, "params_", {}),
                                                       **getattr(self, "coefficients_", {})}.items())
        return f"{type(self).__name__}({shown})"
