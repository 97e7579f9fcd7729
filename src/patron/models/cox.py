"""A Cox proportional-hazards fit for large data: lifelines' model, estimated in vectorised NumPy.

lifelines (:func:`patron.models.survival.cox`) is the reference and fits every model up to
:data:`LARGE`; its Newton–Raphson loops over the distinct event times in Python and took 21 s on 100,000
customers and did not finish on 1M. This module fits the same model the same way, so its numbers agree with
lifelines' to the optimiser's tolerance (tested):

- the covariates are standardised (mean 0, sample standard deviation 1) before fitting, and the
  coefficients, standard errors and intervals are mapped back, as lifelines does;
- the partial likelihood handles tied event times by Efron's method;
- the ridge penalty is lifelines' ``n * penalizer * sum(beta**2) / 2`` on the standardised coefficients, and
  the log-likelihood reported is the penalised one, as lifelines reports it;
- Newton–Raphson with step halving, from beta = 0, until the step is below 1e-10.

Each iteration is a handful of cumulative sums over the customers sorted by time (O(n p^2)), and one
pass over the deaths for Efron's correction.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from patron.models.errors import ConvergenceWarning

#: From this many rows, :func:`patron.models.survival.cox` fits with this module rather than lifelines.
LARGE = 50_000


def _efron(beta, X, time_idx, ends, death_rows, slot_time, slot_phi):
    """Log partial likelihood, gradient and Hessian (Efron's ties) at ``beta``, X sorted by time descending.

    Row ``i`` is at risk at every distinct time from its own onwards (in this order, the times ``>=`` its
    index), so sums over risk sets are cumulative sums read at each time's last row (``ends``), and the
    Hessian's sum over deaths of risk-set second moments folds into one weighted ``X.T @ X``.
    """
    eta = X @ beta
    eta_max = eta.max()
    w = np.exp(eta - eta_max)  # scaled: the likelihood's ratios do not change
    n_times = len(ends)
    s0 = np.cumsum(w)[ends]
    wx = w[:, None] * X
    s1 = np.cumsum(wx, axis=0)[ends]
    wd = w[death_rows]
    td = time_idx[death_rows]
    t0 = np.bincount(td, weights=wd, minlength=n_times)
    t1 = np.zeros((n_times, X.shape[1]))
    np.add.at(t1, td, wx[death_rows])
    den = s0[slot_time] - slot_phi * t0[slot_time]
    mean = (s1[slot_time] - slot_phi[:, None] * t1[slot_time]) / den[:, None]
    ll = float(eta[death_rows].sum() - (np.log(den) + eta_max).sum())
    grad = X[death_rows].sum(0) - mean.sum(0)
    a = np.bincount(slot_time, weights=1 / den, minlength=n_times)  # sum over a time's slots of 1/den
    b = np.bincount(slot_time, weights=slot_phi / den, minlength=n_times)
    at_risk = np.cumsum(a[::-1])[::-1]  # per time index k: the sum of a over times g >= k
    second = (X * (at_risk[time_idx] * w)[:, None]).T @ X
    second -= (X[death_rows] * (b[td] * wd)[:, None]).T @ X[death_rows]
    hess = -(second - mean.T @ mean)
    return ll, grad, hess


def fit(durations, events, X: np.ndarray, names: list[str], *, penalizer: float = 0.0,
        max_steps: int = 100) -> dict:
    """Fit the Cox model; the result has lifelines' summary numbers (coef, se, HR, 95% interval, p).

    A fit whose Newton–Raphson did not converge in ``max_steps`` (or whose Hessian is singular) warns
    (:class:`~patron.models.errors.ConvergenceWarning`) and comes back with ``converged`` False and no
    coefficients: its numbers are not a result."""
    T = np.asarray(durations, float)
    E = np.asarray(events, bool)
    X = np.asarray(X, float)
    n, p = X.shape
    mean, std = X.mean(0), X.std(0, ddof=1)
    std = np.where(std > 0, std, 1.0)
    Z = (X - mean) / std
    order = np.argsort(-T, kind="stable")
    Z, T, E = Z[order], T[order], E[order]
    # Distinct times, descending; each row's time index; the last row of each time in this order.
    change = np.r_[T[1:] != T[:-1], True]
    ends = np.flatnonzero(change)
    time_idx = np.cumsum(np.r_[0, change[:-1].astype(int)])
    death_rows = np.flatnonzero(E)
    d_per_time = np.bincount(time_idx[death_rows], minlength=len(ends))
    slot_time = time_idx[death_rows]  # one slot per death, in its tie group
    # l = 0..d-1 within each tie group of deaths
    first_of_group = np.r_[True, slot_time[1:] != slot_time[:-1]]
    starts = np.flatnonzero(first_of_group)
    l = np.arange(len(slot_time)) - np.repeat(starts, np.diff(np.r_[starts, len(slot_time)]))
    phi = l / d_per_time[slot_time]

    def objective(beta):
        ll, g, h = _efron(beta, Z, time_idx, ends, death_rows, slot_time, phi)
        if penalizer > 0:
            ll -= n * penalizer * 0.5 * float(beta @ beta)
            g = g - n * penalizer * beta
            h = h - n * penalizer * np.eye(p)
        return ll, g, h

    beta = np.zeros(p)
    ll, g, h = objective(beta)
    converged = False
    for _ in range(max_steps):
        try:
            step = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError:  # a singular Hessian: a covariate the data cannot identify
            break
        size = 1.0
        while True:
            candidate = beta + size * step
            ll_new, g_new, h_new = objective(candidate)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            size /= 2
            if size < 1e-8:
                break
        beta, ll, g, h = candidate, ll_new, g_new, h_new
        if np.linalg.norm(size * step) < 1e-10:
            converged = True
            break
    if not converged or not np.isfinite(ll):
        warnings.warn(f"The Cox model did not converge in {max_steps} Newton steps; its coefficients are not "
                      "reported (a covariate may separate the losses perfectly: add a penalizer or drop it).",
                      ConvergenceWarning, stacklevel=2)
        return {"converged": False, "log_likelihood": ll, "coefficients": [], "risk": None}
    cov = np.linalg.inv(-h) / np.outer(std, std)
    coef = beta / std
    se = np.sqrt(np.diag(cov))
    z = stats.norm.ppf(0.975)
    pvals = 2 * stats.norm.sf(np.abs(coef / se))
    return {"converged": converged, "log_likelihood": ll, "coefficients": [
        {"covariate": name, "coef": float(c), "se": float(s), "hazard_ratio": float(np.exp(c)),
         "low": float(c - z * s), "high": float(c + z * s), "p_value": float(pv)}
        for name, c, s, pv in zip(names, coef, se, pvals)], "risk": X @ coef}
