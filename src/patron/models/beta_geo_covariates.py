"""BG/NBD with time-invariant covariates (e.g. acquisition channel).

Fader and Hardie (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models"
(their note): a customer with covariates z has

    alpha(z) = alpha0 · exp(-gamma1 · z)     (purchase rate: lambda ~ Gamma(r, alpha(z)); E[lambda] = r / alpha(z))
    a(z) = a0 · exp(gamma2 · z),  b(z) = b0 · exp(gamma3 · z)     (dropout: p ~ Beta(a(z), b(z)))

and the BG/NBD likelihood (FHL 2005, eq. 6) at their own alpha, a, b; r is shared. A positive gamma1 means the
covariate raises the purchase rate. The covariates are constant per customer (a channel, a region), so customers
with the same covariates share one BG/NBD: predictions are made with :meth:`model_for`, a plain
:class:`~patron.models.BetaGeo` per covariate row.

The fit maximises the log-likelihood over ``log r, log alpha0, log a0, log b0, gamma1, gamma2, gamma3`` with
L-BFGS-B (numerical gradient); standard errors come from a central-difference Hessian at the optimum.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from patron.models.beta_geo import BetaGeo
from patron.models.data import group_rows
from patron.models.errors import InvalidInputError, ModelError

__all__ = ["BetaGeoCovariates"]


def _log_likelihood(theta, k, x, t_x, T, Z, w):
    r, alpha0, a0, b0 = np.exp(theta[:4])
    g1, g2, g3 = theta[4:4 + k], theta[4 + k:4 + 2 * k], theta[4 + 2 * k:4 + 3 * k]
    alpha, a, b = alpha0 * np.exp(-Z @ g1), a0 * np.exp(Z @ g2), b0 * np.exp(Z @ g3)
    stays = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        leaves = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
                          -np.inf)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
          + np.logaddexp(stays, leaves))
    return float(w @ ll)


class BetaGeoCovariates:
    """BG/NBD whose alpha, a and b depend on each customer's covariates (see the module's note)."""

    def fit(self, frequency, recency, T, covariates, names=None, weights=None) -> BetaGeoCovariates:
        """Fit on each customer's history and covariates (one row of ``covariates`` per customer).

        ``covariates`` is an (n, k) array (dummies for a channel: one column per channel but a reference one);
        ``names`` names its columns.
        """
        x, t_x, age = (np.asarray(v, dtype=float).reshape(-1) for v in (frequency, recency, T))
        Z = np.asarray(covariates, dtype=float)
        Z = Z.reshape(-1, 1) if Z.ndim == 1 else Z
        if Z.shape[0] != x.size:
            raise InvalidInputError(f"{Z.shape[0]} covariate rows for {x.size} customers: give one row each.")
        if not (np.isfinite(Z).all() and np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(age).all()):
            raise InvalidInputError("Covariates and histories must be finite numbers.")
        if ((x < 0) | (t_x < 0) | (t_x > age)).any():
            raise InvalidInputError("Each history needs frequency >= 0 and 0 <= recency <= T.")
        k = Z.shape[1]
        self.covariate_names = list(names) if names is not None else [f"z{i}" for i in range(k)]
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
        # Customers with the same history and covariates count once, weighted.
        columns, w = group_rows([x, t_x, age, *Z.T], w)
        x, t_x, age, Z = columns[0], columns[1], columns[2], np.column_stack(columns[3:]) if k else np.zeros((0, 0))
        start = np.log(np.array(list(BetaGeo().fit(x, t_x, age, weights=w).params_.values())))
        theta0 = np.concatenate([start, np.zeros(3 * k)])

        def objective(theta):
            value = -_log_likelihood(theta, k, x, t_x, age, Z, w)
            return value if np.isfinite(value) else 1e300

        found = minimize(objective, theta0, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-14,
                                                                         "gtol": 1e-9})
        if not np.isfinite(found.fun) or found.fun >= 1e300:
            raise ModelError("The covariate BG/NBD could not be fitted: the likelihood is not finite.")
        self.theta_ = found.x
        self.log_likelihood_ = -float(found.fun)
        self.converged_ = bool(found.success)
        self.covariance_ = self._covariance(objective, found.x)
        se = np.sqrt(np.clip(np.diag(self.covariance_), 0, None))
        self.params_ = dict(zip(("r", "alpha0", "a0", "b0"), map(float, np.exp(found.x[:4]))))
        self.coefficients_ = {f"{part}_{name}": float(value) for part, values in
                              (("gamma1", found.x[4:4 + k]), ("gamma2", found.x[4 + k:4 + 2 * k]),
                               ("gamma3", found.x[4 + 2 * k:]))
                              for name, value in zip(self.covariate_names, values)}
        self.coefficient_errors_ = dict(zip(self.coefficients_, map(float, se[4:])))
        return self

    @staticmethod
    def _covariance(objective, theta, step: float = 1e-4) -> np.ndarray:
        """Inverse of the central-difference Hessian of the negative log-likelihood."""
        n = theta.size
        hessian = np.empty((n, n))
        for i in range(n):
            for j in range(i, n):
                e_i, e_j = np.eye(n)[i] * step, np.eye(n)[j] * step
                hessian[i, j] = hessian[j, i] = (objective(theta + e_i + e_j) - objective(theta + e_i - e_j)
                                                 - objective(theta - e_i + e_j) + objective(theta - e_i - e_j)) / (
                    4 * step * step)
        try:
            return np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return np.full((n, n), np.nan)

    def model_for(self, covariates) -> BetaGeo:
        """The plain BG/NBD of customers with these covariates (one row)."""
        if not hasattr(self, "theta_"):
            raise ModelError("Fit the covariate BG/NBD first.")
        z = np.asarray(covariates, dtype=float).reshape(-1)
        k = len(self.covariate_names)
        if z.size != k:
            raise InvalidInputError(f"Give {k} covariate value(s) ({', '.join(self.covariate_names)}), not {z.size}.")
        t = self.theta_
        return BetaGeo.from_params(r=float(np.exp(t[0])), alpha=float(np.exp(t[1] - z @ t[4:4 + k])),
                                   a=float(np.exp(t[2] + z @ t[4 + k:4 + 2 * k])),
                                   b=float(np.exp(t[3] + z @ t[4 + 2 * k:])))

    def probability_alive(self, frequency, recency, T, covariates) -> np.ndarray:
        """Each customer's P(alive) under the BG/NBD of their covariates."""
        return self._per_group("probability_alive", covariates, frequency, recency, T)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T, covariates):
        """Each customer's expected purchases in the next ``t`` under the BG/NBD of their covariates."""
        x = np.asarray(frequency, dtype=float).reshape(-1)
        return self._per_group("conditional_expected_number_of_purchases_up_to_time", covariates,
                               np.broadcast_to(np.asarray(t, dtype=float), x.shape), x, recency, T)

    def _per_group(self, method, covariates, *columns):
        arrays = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
        Z = np.asarray(covariates, dtype=float)
        Z = Z.reshape(-1, 1) if Z.ndim == 1 else Z
        rows, _, group = group_rows(list(Z.T), inverse=True)
        out = np.empty(arrays[0].size)
        for g in range(rows[0].size):
            mine = group == g
            model = self.model_for([row[g] for row in rows])
            out[mine] = getattr(model, method)(*(a[mine] for a in arrays))
        return out
