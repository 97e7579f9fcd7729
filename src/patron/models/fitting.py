"""Maximum likelihood for every model: L-BFGS-B on log-parameters with the
model's analytic gradient, Newton polishing, and standard errors from the
observed information."""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["Convergence", "maximise_log_likelihood"]

#: Log-parameters are kept inside these bounds so the optimiser never asks
#: for exp(700).
LOG_PARAM_BOUNDS = (-25.0, 25.0)


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
