"""The statistics of feedback instruments: NPS, CSAT and CES with their uncertainty, and SERVQUAL gaps.

Pure NumPy on arrays of answers; the service layer reads the answers from the store.

- **NPS** (Reichheld): answers 0-10 to the recommend question; promoters 9-10, passives 7-8,
  detractors 0-6; NPS = 100 (p_promoters − p_detractors). Its variance is that of the mean of a
  variable worth +1, 0 or −1: ``(p_P + p_D − (p_P − p_D)²) / n``; the interval is normal (z = 1.96 for 95%).
- **CSAT** on a declared scale 1..k: the mean and the top-two-box share (answers ≥ k − 1), each with its
  standard error; **CES** on 1..k: the mean effort.
- **SERVQUAL** (Parasuraman, Zeithaml and Berry): gap = perception − expectation per item; a respondent's
  dimension gap is the mean of their item gaps in that dimension, the overall gap the mean of the five
  dimension gaps (unweighted) or their weighted mean with importance points (weighted SERVQUAL). Intervals
  are percentile bootstraps over respondents (a respondent's answers stay together).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from patron.errors import InvalidInput

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A measure with its standard error and its 95% interval, over ``n`` answers."""

    value: float
    se: float
    low: float
    high: float
    n: int

    def as_dict(self) -> dict:
        return {"value": self.value, "se": self.se, "low": self.low, "high": self.high, "n": self.n}


def _empty() -> Estimate:
    return Estimate(float("nan"), float("nan"), float("nan"), float("nan"), 0)


def nps(scores) -> dict:
    """NPS of answers 0-10: shares of promoters, passives and detractors and the score with its SE and CI."""
    s = np.asarray(scores, dtype=float)
    if s.size and (np.isnan(s).any() or s.min() < 0 or s.max() > 10):
        raise InvalidInput("NPS answers are scores from 0 to 10.")
    n = s.size
    if n == 0:
        return {"n": 0, "promoters": 0.0, "passives": 0.0, "detractors": 0.0, "nps": _empty()}
    p_p = float(np.mean(s >= 9))
    p_d = float(np.mean(s <= 6))
    value = 100.0 * (p_p - p_d)
    se = 100.0 * float(np.sqrt(max(p_p + p_d - (p_p - p_d) ** 2, 0.0) / n))
    est = Estimate(value, se, max(value - Z95 * se, -100.0), min(value + Z95 * se, 100.0), n)
    return {"n": n, "promoters": p_p, "passives": float(np.mean((s > 6) & (s < 9))), "detractors": p_d, "nps": est}


def mean_estimate(values) -> Estimate:
    """The mean with its standard error (sample SD / √n) and a normal 95% interval."""
    v = np.asarray(values, dtype=float)
    n = v.size
    if n == 0:
        return _empty()
    mean = float(v.mean())
    se = float(v.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    return Estimate(mean, se, mean - Z95 * se, mean + Z95 * se, n)


def share_estimate(flags) -> Estimate:
    """A share with its binomial standard error √(p(1−p)/n) and the Wilson 95% interval."""
    f = np.asarray(flags, dtype=bool)
    n = f.size
    if n == 0:
        return _empty()
    p = float(f.mean())
    se = float(np.sqrt(p * (1 - p) / n))
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(p, se, float(centre - half), float(centre + half), n)


def scale_score(scores, scale_max: float, scale_min: float = 1.0) -> dict:
    """CSAT or CES answers on the declared scale ``scale_min..scale_max``: the mean and the top-two-box share."""
    s = np.asarray(scores, dtype=float)
    if not scale_max or scale_max <= scale_min:
        raise InvalidInput("A score needs its scale (its maximum above its minimum).")
    if s.size and (np.isnan(s).any() or s.min() < scale_min or s.max() > scale_max):
        raise InvalidInput(f"Some answers lie outside their declared scale {scale_min:g}-{scale_max:g}.")
    return {"scale_min": scale_min, "scale_max": scale_max, "mean": mean_estimate(s),
            "top_two_box": share_estimate(s >= scale_max - 1)}


def _percentile_ci(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles of the draws (NaN where an item was never answered)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanpercentile(draws, 2.5, axis=0), np.nanpercentile(draws, 97.5, axis=0)


def servqual_gaps(respondent, item, gap, item_dimension, dimensions, *, weights=None, n_boot: int = 500,
                  seed: int = 0) -> dict:
    """SERVQUAL gaps per item, dimension and overall, each with a bootstrap 95% interval over respondents.

    ``respondent`` and ``item`` are codes 0..R−1 and 0..I−1 of each answer, ``gap`` its P − E;
    ``item_dimension[i]`` the dimension code (0..D−1) of item i, ``dimensions`` their names; ``weights``
    importance points per dimension (any total) for the weighted overall gap.
    """
    respondent = np.asarray(respondent, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    gap = np.asarray(gap, dtype=float)
    item_dimension = np.asarray(item_dimension, dtype=np.int64)
    n_resp = int(respondent.max()) + 1 if respondent.size else 0
    n_items, n_dims = len(item_dimension), len(dimensions)
    if n_resp == 0:
        raise InvalidInput("There are no SERVQUAL answers with both an expectation and a perception.")
    # sums and counts per respondent × item, then per respondent × dimension (mean of that respondent's items)
    flat = respondent * n_items + item
    item_sum = np.bincount(flat, weights=gap, minlength=n_resp * n_items).reshape(n_resp, n_items)
    item_cnt = np.bincount(flat, minlength=n_resp * n_items).reshape(n_resp, n_items).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_item = item_sum / item_cnt  # NaN where not answered
    onehot = np.zeros((n_items, n_dims))
    onehot[np.arange(n_items), item_dimension] = 1.0
    answered = ~np.isnan(per_item)
    dim_sum = np.where(answered, per_item, 0.0) @ onehot
    dim_cnt = answered.astype(float) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        per_dim = dim_sum / dim_cnt
    w = np.ones(n_dims) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n_dims,) or (w < 0).any() or w.sum() <= 0:
        raise InvalidInput("Importance weights are one non-negative number per dimension, not all zero.")
    w = w / w.sum()

    def stats(counts: np.ndarray):
        """Gaps per item, dimension and overall for respondents drawn ``counts`` times each (rows: draws)."""
        c = np.atleast_2d(counts)
        it_s = c @ np.where(answered, per_item, 0.0)
        it_n = c @ answered.astype(float)
        dm_ok = ~np.isnan(per_dim)
        dm_s = c @ np.where(dm_ok, per_dim, 0.0)
        dm_n = c @ dm_ok.astype(float)
        full = dm_ok.all(axis=1).astype(float)  # the overall gap: respondents who answered every dimension
        pd_full = np.where(dm_ok, per_dim, 0.0)
        ov_n = c @ full
        ov_s = c @ (pd_full.mean(axis=1) * full)
        wov_s = c @ ((pd_full @ w) * full)
        with np.errstate(invalid="ignore", divide="ignore"):
            return it_s / it_n, dm_s / dm_n, ov_s / ov_n, wov_s / ov_n

    items, dims, overall, weighted = (x[0] for x in stats(np.ones(n_resp)))
    rng = np.random.default_rng(seed)
    draws = [[], [], [], []]
    for start in range(0, n_boot, 100):  # batches keep the draw matrix small
        b = min(100, n_boot - start)
        counts = rng.multinomial(n_resp, np.full(n_resp, 1.0 / n_resp), size=b).astype(float)
        for store, x in zip(draws, stats(counts)):
            store.append(x)
    it_lo, it_hi = _percentile_ci(np.vstack(draws[0]))
    dm_lo, dm_hi = _percentile_ci(np.vstack(draws[1]))
    ov_lo, ov_hi = _percentile_ci(np.concatenate(draws[2]))
    wo_lo, wo_hi = _percentile_ci(np.concatenate(draws[3]))
    return {
        "respondents": n_resp,
        "items": [{"item": i, "dimension": dimensions[item_dimension[i]], "gap": float(items[i]),
                   "low": float(it_lo[i]), "high": float(it_hi[i]), "n": int(item_cnt[:, i].sum())}
                  for i in range(n_items)],
        "dimensions": [{"dimension": d, "gap": float(dims[k]), "low": float(dm_lo[k]), "high": float(dm_hi[k]),
                        "weight": float(w[k]), "n": int((~np.isnan(per_dim[:, k])).sum())}
                       for k, d in enumerate(dimensions)],
        "overall": {"gap": float(overall), "low": float(ov_lo), "high": float(ov_hi)},
        "weighted": {"gap": float(weighted), "low": float(wo_lo), "high": float(wo_hi)},
    }


def relative_weights(x, y) -> dict:
    """Johnson's relative weights: each predictor's share of R² in a linear model of ``y`` on ``x``.

    The predictors are replaced by their closest orthogonal counterparts Z (Z = X (XᵀX)^-½ on standardised
    data); y is regressed on Z (β) and Z on X (Λ); predictor j's weight is Σ_k Λ_jk² β_k². The weights sum to R².
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] <= x.shape[1] + 1:
        raise InvalidInput("Relative weights need more observations than predictors, one row each.")
    xs = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    ys = (y - y.mean()) / y.std(ddof=1)
    n = x.shape[0]
    rxx = xs.T @ xs / (n - 1)
    rxy = xs.T @ ys / (n - 1)
    vals, vecs = np.linalg.eigh(rxx)
    if vals.min() <= 1e-10:
        raise InvalidInput("Two or more drivers are perfectly correlated: drop one.")
    lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T  # Rxx^½: the loadings of X on Z
    beta = np.linalg.solve(lam, rxy)
    weights = (lam ** 2) @ (beta ** 2)
    return {"weights": weights, "r2": float(weights.sum())}


#: Shapley R² visits every subset of the drivers: 2^p of them, so up to this many drivers.
SHAPLEY_MAX_DRIVERS = 12


def _subset_r2(c: np.ndarray) -> np.ndarray:
    """R² of every subset of the drivers (column ``mask`` of the result: the drivers whose bits are set), for a
    stack of correlation matrices ``c`` (draws × (p + 1) × (p + 1), the outcome last), in one pass.

    Each subset's R² is 1 − the outcome's residual variance once its drivers are partialled out, and a subset's
    matrix is its parent's Schur complement on one more driver (the subsets are visited depth first, drivers in
    increasing order): 2^p − 1 small eliminations, each over every draw at once, instead of one linear solve per
    subset and draw. The matrices must be positive definite (no pivot is zero)."""
    d, q = c.shape[0], c.shape[1]
    p = q - 1
    r2 = np.zeros((d, 1 << p))

    def visit(a: np.ndarray, mask: int, start: int) -> None:  # a: the complement over drivers start.. and y
        for t in range(p - start):
            rest = a[:, t + 1:, t + 1:] - a[:, t + 1:, t, None] * a[:, None, t, t + 1:] / a[:, t, t, None, None]
            bit = mask | 1 << (start + t)
            r2[:, bit] = 1.0 - rest[:, -1, -1]
            if start + t + 1 < p:
                visit(rest, bit, start + t + 1)

    visit(np.asarray(c, float), 0, 0)
    return r2


def _lmg_shares(r2: np.ndarray, p: int) -> np.ndarray:
    """Each driver's R² gain averaged over every order of entry, from every subset's R² (draws × 2^p)."""
    masks = np.arange(1 << p)
    sizes = np.array([int(m).bit_count() for m in masks])
    fact = [math.factorial(k) for k in range(p + 1)]
    shares = np.zeros((r2.shape[0], p))
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        w = np.array([fact[k] * fact[p - k - 1] / fact[p] for k in sizes[without]])
        shares[:, j] = (r2[:, without | 1 << j] - r2[:, without]) @ w
    return shares


def _joint(rxx, rxy) -> np.ndarray:
    """The correlation matrices of drivers and outcome together (the outcome last), stacked over draws."""
    rxx, rxy = np.asarray(rxx, float), np.asarray(rxy, float)
    p = rxy.shape[-1]
    c = np.ones(rxy.shape[:-1] + (p + 1, p + 1))
    c[..., :p, :p], c[..., :p, p], c[..., p, :p] = rxx, rxy, rxy
    return c


def _shapley_draws(c: np.ndarray) -> np.ndarray:
    """Shapley shares of each stacked correlation matrix ``c`` (outcome last); NaN for a draw whose drivers are
    (nearly) collinear or not all varying."""
    p = c.shape[1] - 1
    out = np.full((c.shape[0], p), np.nan)
    fine = np.isfinite(c).all(axis=(1, 2))
    fine[fine] = np.linalg.eigvalsh(c[fine, :p, :p]).min(axis=1) > 1e-10
    if fine.any():
        out[fine] = _lmg_shares(_subset_r2(c[fine]), p)
    return out


def shapley_r2_from_correlations(rxx, rxy) -> np.ndarray:
    """Shapley decomposition of R² (Lindeman, Merenda and Gold's LMG): each predictor's R² gain averaged over
    every order in which the predictors could enter the model, from their correlations ``rxx`` and their
    correlations with the outcome ``rxy``. The shares sum to the full model's R².

    Example: r(x1, y) = 0.5, r(x2, y) = 0.4, r(x1, x2) = 0.3 give R²(1) = 0.25, R²(2) = 0.16 and
    R²(1, 2) = 0.29 / 0.91; x1's share is (0.25 + R²(1, 2) - 0.16) / 2 = 0.2043.
    """
    rxx, rxy = np.asarray(rxx, float), np.asarray(rxy, float)
    p = len(rxy)
    if p > SHAPLEY_MAX_DRIVERS:
        raise InvalidInput(f"Shapley R² visits every subset of the drivers, so it takes at most "
                           f"{SHAPLEY_MAX_DRIVERS}; there are {p}: use relative weights, or the dimensions.")
    return _lmg_shares(_subset_r2(_joint(rxx, rxy)[None]), p)[0]


def shapley_r2(x, y) -> dict:
    """Shapley R² of a linear model of ``y`` on the columns of ``x`` (:func:`shapley_r2_from_correlations`)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 2 or x.shape[0] != y.shape[0] or x.shape[0] <= x.shape[1] + 1:
        raise InvalidInput("Shapley R² needs more observations than predictors, one row each.")
    c = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    rxx, rxy = c[:-1, :-1], c[:-1, -1]
    if not np.isfinite(c).all() or np.linalg.eigvalsh(rxx).min() <= 1e-10:
        raise InvalidInput("Two or more drivers are perfectly correlated (or one never varies): drop one.")
    weights = shapley_r2_from_correlations(rxx, rxy)
    return {"weights": weights, "r2": float(weights.sum())}


def shapley_r2_ci(x, y, *, n_boot: int = 300, seed: int = 0) -> dict:
    """Shapley R² with percentile bootstrap 95% intervals (rows resampled; on large samples through counts and
    moment sums, see :data:`LARGE_SAMPLE`). Every draw's 2^p subset R²s come from its correlation matrix
    alone (:func:`_subset_r2`), all draws at once: no model is refitted on rows."""
    point = shapley_r2(x, y)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    if len(y) >= LARGE_SAMPLE:
        draws = np.vstack([_shapley_draws(_correlations_from_moments(sums, x.shape[1]))
                           for sums in _bootstrap_moment_sums(x, y, n_boot, rng)])
    else:
        mats = []
        for _ in range(n_boot):
            idx = rng.integers(0, len(y), len(y))
            with np.errstate(divide="ignore", invalid="ignore"):
                mats.append(np.corrcoef(np.column_stack([x[idx], y[idx]]), rowvar=False))
        draws = _shapley_draws(np.array(mats)) if mats else np.empty((0, x.shape[1]))
    lo, hi = _percentile_ci(draws)
    return {"weights": point["weights"], "low": lo, "high": hi, "r2": point["r2"]}


#: From this many rows on, the bootstrap counts how often each row is drawn and works on moment sums weighted
#: by those counts instead of copying the resampled rows: the same resampling, at one matrix product a batch.
LARGE_SAMPLE = 50_000
#: Draws per batch of the moment bootstrap; the most feature cells (rows × moments) kept for every batch (12
#: drivers on 1M rows: 105M cells, 0.84 GB), else made again a slice of this many cells at a time for each batch.
_BATCH, _FEATURE_CELLS, _SLICE_CELLS = 25, 120_000_000, 20_000_000


def _bootstrap_moment_sums(x: np.ndarray, y: np.ndarray, n_boot: int, rng):
    """Per batch of draws, the count-weighted sums of [1, x, y, x xᵀ (upper), x y, y²] (rows: draws) of the
    centred data (centred: the sums keep their precision). Each draw counts how often each row is drawn; the
    moments of many drivers are made a slice of rows at a time, so memory stays bounded."""
    p, n = x.shape[1], len(y)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    iu = np.triu_indices(p)

    def features(lo: int, hi: int) -> np.ndarray:
        a, b = xc[lo:hi], yc[lo:hi]
        return np.column_stack([np.ones(hi - lo), a, b, a[:, iu[0]] * a[:, iu[1]], a * b[:, None], b * b])

    width = 3 + 2 * p + len(iu[0])
    step = max(_SLICE_CELLS // width, 1)
    whole = None
    if n * width <= _FEATURE_CELLS:  # made once, a slice of rows at a time (no full-size temporaries)
        whole = np.empty((n, width))
        for lo in range(0, n, step):
            whole[lo:lo + step] = features(lo, min(lo + step, n))
    for start in range(0, n_boot, _BATCH):
        counts = np.empty((min(_BATCH, n_boot - start), n))
        for k in range(len(counts)):
            counts[k] = np.bincount(rng.integers(0, n, n), minlength=n)
        # (features' counts)' rather than counts features: the same sums, and BLAS takes this shape (a long inner
        # dimension) 20-25 times faster (25 draws of 200,000 rows: 25 against 665 CPU-ms)
        if whole is not None:
            yield (whole.T @ counts.T).T
        else:
            yield sum((features(lo, min(lo + step, n)).T @ counts[:, lo:lo + step].T).T for lo in range(0, n, step))


def _correlations_from_moments(sums: np.ndarray, p: int) -> np.ndarray:
    """The correlation matrix of drivers and outcome (the outcome last) of each draw, from its weighted sums
    (:func:`_bootstrap_moment_sums`); NaN where a driver or the outcome does not vary in the draw."""
    iu = np.triu_indices(p)
    out = np.full((len(sums), p + 1, p + 1), np.nan)
    for d, row in enumerate(sums):
        w = row[0]
        mx, my = row[1:p + 1] / w, row[p + 1] / w
        k = p + 2
        sxx = np.zeros((p, p))
        sxx[iu] = row[k:k + len(iu[0])] / w
        sxx = sxx + np.triu(sxx, 1).T - np.outer(mx, mx)
        k += len(iu[0])
        sxy = row[k:k + p] / w - mx * my
        syy = row[k + p] / w - my * my
        sd = np.sqrt(np.diag(sxx))
        if syy <= 0 or (sd <= 0).any():
            continue
        out[d] = _joint(sxx / np.outer(sd, sd), sxy / (sd * np.sqrt(syy)))
    return out


def _weights_from_moments(sums: np.ndarray, p: int) -> np.ndarray:
    """Relative weights per draw from the weighted sums of [1, x, y, x xᵀ (upper), x y, y²] (rows: draws)."""
    out = np.full((len(sums), p), np.nan)
    for d, c in enumerate(_correlations_from_moments(sums, p)):
        if not np.isfinite(c).all():
            continue
        rxx, rxy = c[:p, :p], c[:p, p]
        vals, vecs = np.linalg.eigh(rxx)
        if vals.min() <= 1e-10:
            continue
        lam = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
        out[d] = (lam ** 2) @ (np.linalg.solve(lam, rxy) ** 2)
    return out


def relative_weights_ci(x, y, *, n_boot: int = 300, seed: int = 0) -> dict:
    """Relative weights with percentile bootstrap 95% intervals (rows resampled; on large samples through
    counts and moment sums, see :data:`LARGE_SAMPLE`)."""
    point = relative_weights(x, y)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    if len(y) >= LARGE_SAMPLE:
        draws = [_weights_from_moments(sums, x.shape[1]) for sums in _bootstrap_moment_sums(x, y, n_boot, rng)]
        lo, hi = _percentile_ci(np.vstack(draws))
        return {"weights": point["weights"], "low": lo, "high": hi, "r2": point["r2"]}
    draws = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        try:
            draws.append(relative_weights(x[idx], y[idx])["weights"])
        except InvalidInput:
            continue
    lo, hi = _percentile_ci(np.array(draws))
    return {"weights": point["weights"], "low": lo, "high": hi, "r2": point["r2"]}
