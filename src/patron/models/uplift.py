"""Measured response to a campaign: treated against control, uplift curves, an uplift model, before/after.

Pure NumPy, SciPy and scikit-learn on arrays; the service layer (:mod:`patron.act.measure`) reads the arrays
from the store. Every estimate is *treated minus control* and carries a 95% interval whose method is named in
``method`` (and explained in ``docs/measure.md``):

- **Response rate** (a share): the difference of two independent proportions with Newcombe's hybrid score
  interval (Newcombe 1998, method 10), built from each arm's Wilson interval. It keeps its coverage near 95%
  for small rates and small arms, where the Wald interval ``d ± z·se`` is too narrow.
- **Revenue and CLV change per member** (skewed: most members spend nothing, a few a lot): the difference of
  means with a bias-corrected and accelerated (BCa) bootstrap, resampling each arm on its own (a stratified
  bootstrap), seeded so the same data give the same interval. The acceleration comes from the jackknife,
  which for a difference of means has a closed form.
- **Before/after** around a change date with a control series: difference in differences of the period means,
  ``(T_after − C_after) − (T_before − C_before)``, with a Welch t interval over the per-period gaps
  ``T_t − C_t`` (periods are taken as independent; weekly periods absorb most day-of-week correlation).

Uplift and Qini curves follow scikit-uplift's definitions exactly (checked in ``tests/models/test_uplift.py``):
members are sorted by a score, best first, ties kept together; after the first ``k`` members, with ``N_T(k)``,
``N_C(k)`` treated and control members and ``Y_T(k)``, ``Y_C(k)`` their responses,

- the **uplift curve** is ``U(k) = (Y_T(k)/N_T(k) − Y_C(k)/N_C(k)) · k``;
- the **Qini curve** is ``Q(k) = Y_T(k) − Y_C(k) · N_T(k)/N_C(k)``.

Both end at the campaign's total incremental responses (scaled to the treated arm for Qini, to everyone for
the uplift curve). Their **normalised areas** (the Qini coefficient and the AUUC) are
``(A_model − A_random) / (A_perfect − A_random)``: ``A_random`` is the area under the straight line from
``(0, 0)`` to the curve's end (targeting at random), ``A_perfect`` the area of the curve for an oracle that
ranks treated responders first and control responders last (for Qini; for the uplift curve, scikit-uplift's
perfect score ``2·[y = t] + y`` or ``+ t``). So random targeting scores about 0, the oracle exactly 1, and a
model that targets the wrong people below 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from patron.errors import InvalidInput

LEVEL = 0.95
NEWCOMBE = "Newcombe hybrid score interval for a difference of proportions (from Wilson intervals)"
BCA = "BCa bootstrap of the difference of means ({n_boot} resamples per arm, seed {seed})"
WELCH = "difference in differences with a Welch t interval over the per-period gaps"


@dataclass(frozen=True)
class Difference:
    """Treated minus control, with the interval at ``level`` and how it was computed."""

    treated: float
    control: float
    estimate: float
    low: float
    high: float
    method: str
    n_treated: int
    n_control: int
    level: float = LEVEL

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def as_dict(self) -> dict:
        return {"treated": self.treated, "control": self.control, "estimate": self.estimate, "low": self.low,
                "high": self.high, "method": self.method, "n_treated": self.n_treated,
                "n_control": self.n_control, "level": self.level}


def _z(level: float) -> float:
    if not 0.5 <= level < 1:
        raise InvalidInput(f"The interval's level is a share between 0.5 and 1, not {level}.")
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson(successes: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n``."""
    if n <= 0:
        return float("nan"), float("nan")
    z = _z(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def difference_of_proportions(successes_t: int, n_t: int, successes_c: int, n_c: int,
                              level: float = LEVEL) -> Difference:
    """``p_T − p_C`` with Newcombe's hybrid score interval.

    Example
    -------
    >>> d = difference_of_proportions(56, 70, 48, 80)      # Newcombe (1998), table II, example (a)
    >>> round(d.low, 4), round(d.high, 4)
    (0.0524, 0.3339)
    """
    for k, n, arm in ((successes_t, n_t, "treated"), (successes_c, n_c, "control")):
        if n < 0 or not 0 <= k <= max(n, 0):
            raise InvalidInput(f"The {arm} arm has {k} responses out of {n} members.")
    nan = float("nan")
    if n_t == 0 or n_c == 0:
        return Difference(successes_t / n_t if n_t else nan, successes_c / n_c if n_c else nan, nan, nan, nan,
                          NEWCOMBE, n_t, n_c, level)
    p1, p2 = successes_t / n_t, successes_c / n_c
    l1, u1 = wilson(successes_t, n_t, level)
    l2, u2 = wilson(successes_c, n_c, level)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(p1, p2, d, float(low), float(high), NEWCOMBE, n_t, n_c, level)


def _bootstrap_means(x: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_boot`` resamples of ``x``, in batches of about 20 million draws (bounded memory)."""
    n = len(x)
    out = np.empty(n_boot)
    batch = max(1, 20_000_000 // max(n, 1))
    for lo in range(0, n_boot, batch):
        hi = min(lo + batch, n_boot)
        out[lo:hi] = x[rng.integers(0, n, size=(hi - lo, n))].mean(axis=1)
    return out


def difference_of_means(x_t, x_c, *, level: float = LEVEL, n_boot: int = 2000, seed: int = 0) -> Difference:
    """``mean(x_T) − mean(x_C)`` with a stratified BCa bootstrap interval (seeded: reproducible)."""
    x_t = np.asarray(x_t, dtype=float)
    x_c = np.asarray(x_c, dtype=float)
    if np.isnan(x_t).any() or np.isnan(x_c).any():
        raise InvalidInput("Revenue or CLV values to compare are missing for some members.")
    method = BCA.format(n_boot=n_boot, seed=seed)
    nan = float("nan")
    n_t, n_c = len(x_t), len(x_c)
    if n_t < 2 or n_c < 2:
        return Difference(float(x_t.mean()) if n_t else nan, float(x_c.mean()) if n_c else nan, nan, nan, nan,
                          method, n_t, n_c, level)
    rng = np.random.default_rng(seed)
    theta = float(x_t.mean() - x_c.mean())
    boot = _bootstrap_means(x_t, n_boot, rng) - _bootstrap_means(x_c, n_boot, rng)
    if np.ptp(boot) == 0:
        return Difference(float(x_t.mean()), float(x_c.mean()), theta, theta, theta, method, n_t, n_c, level)
    # Bias correction: the share of resamples below the estimate, read on the normal scale.
    share = (np.sum(boot < theta) + 0.5 * np.sum(boot == theta)) / n_boot
    z0 = float(stats.norm.ppf(np.clip(share, 1 / (2 * n_boot), 1 - 1 / (2 * n_boot))))
    # Acceleration from the jackknife; leaving one member out moves only its own arm's mean.
    jack = np.concatenate([(x_t.sum() - x_t) / (n_t - 1) - x_c.mean(), x_t.mean() - (x_c.sum() - x_c) / (n_c - 1)])
    dev = jack.mean() - jack
    denom = 6 * (np.sum(dev**2) ** 1.5)
    a = float(np.sum(dev**3) / denom) if denom > 0 else 0.0
    z = _z(level)
    alphas = []
    for zq in (-z, z):
        adjusted = z0 + (z0 + zq) / (1 - a * (z0 + zq))
        alphas.append(float(stats.norm.cdf(adjusted)))
    low, high = np.quantile(boot, alphas)
    return Difference(float(x_t.mean()), float(x_c.mean()), theta, float(low), float(high), method, n_t, n_c, level)


# --- curves ---------------------------------------------------------------------------------------------------

def _check(y, score, treatment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    t = np.asarray(treatment)
    if not (len(y) == len(score) == len(t)):
        raise InvalidInput(f"Responses ({len(y)}), scores ({len(score)}) and arms ({len(t)}) differ in length.")
    if len(t) and not np.isin(t, (0, 1, True, False)).all():
        raise InvalidInput("Arms are 1 for treated and 0 for control.")
    if np.isnan(score).any():
        raise InvalidInput("Some members have no score to rank them by.")
    return y, score, t.astype(int)


def _cumulative(y, score, t):
    """Cumulative counts at each distinct score, best first (ties form one step, as in scikit-uplift)."""
    order = np.argsort(score, kind="mergesort")[::-1]
    y, score, t = y[order], score[order], t[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n_all = last_of_tie + 1
    n_t = np.cumsum(t)[last_of_tie]
    y_t = np.cumsum(y * t)[last_of_tie]
    y_c = np.cumsum(y * (1 - t))[last_of_tie]
    return n_all.astype(float), n_t.astype(float), (n_all - n_t).astype(float), y_t, y_c


def _from_origin(x, v):
    if len(x) == 0 or x[0] != 0 or v[0] != 0:
        return np.r_[0.0, x], np.r_[0.0, v]
    return x, v


def qini_curve(y, score, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(k, Q(k))`` of the Qini curve, from ``(0, 0)``."""
    y, score, t = _check(y, score, treatment)
    if not len(y):
        return np.zeros(1), np.zeros(1)
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, score, t)
    q = y_t - y_c * np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    return _from_origin(n_all, q)


def uplift_curve(y, score, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(k, U(k))`` of the uplift curve, from ``(0, 0)``."""
    y, score, t = _check(y, score, treatment)
    if not len(y):
        return np.zeros(1), np.zeros(1)
    n_all, n_t, n_c, y_t, y_c = _cumulative(y, score, t)
    rate_t = np.divide(y_t, n_t, out=np.zeros_like(y_t), where=n_t != 0)
    rate_c = np.divide(y_c, n_c, out=np.zeros_like(y_c), where=n_c != 0)
    return _from_origin(n_all, (rate_t - rate_c) * n_all)


def perfect_qini_curve(y, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The oracle's Qini curve: treated responders first, control responders last."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment).astype(int)
    return qini_curve(y, y * t - y * (1 - t), t)


def perfect_uplift_curve(y, treatment) -> tuple[np.ndarray, np.ndarray]:
    """The oracle's uplift curve, with scikit-uplift's perfect score ``2·[y = t] + (y or t)``."""
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment).astype(int)
    control_responders = np.sum((y == 1) & (t == 0))
    treated_non_responders = np.sum((y == 0) & (t == 1))
    summand = y if control_responders > treated_non_responders else t
    return uplift_curve(y, 2 * (y == t) + summand, t)


def _area(x, v) -> float:
    return float(np.trapezoid(v, x))


def _normalised(actual, perfect) -> float:
    x, v = actual
    random = 0.5 * x[-1] * v[-1]  # the straight line from (0, 0) to the curve's end
    best = _area(*perfect) - random
    if not np.isfinite(best) or best <= 0:
        return float("nan")  # no effect to find: the oracle does no better than chance
    return (_area(x, v) - random) / best


def qini_coefficient(y, score, treatment) -> float:
    """Normalised area under the Qini curve: 0 for random targeting, 1 for the oracle (scikit-uplift's
    ``qini_auc_score`` with ``negative_effect=True``); NaN when the campaign changed nothing to rank."""
    return _normalised(qini_curve(y, score, treatment), perfect_qini_curve(y, treatment))


def auuc(y, score, treatment) -> float:
    """Normalised area under the uplift curve: 0 for random, 1 for the oracle (``uplift_auc_score``)."""
    return _normalised(uplift_curve(y, score, treatment), perfect_uplift_curve(y, treatment))


def uplift_by_share(y, score, treatment, shares=(0.1, 0.2, 0.3, 0.5, 1.0)) -> list[dict]:
    """Response uplift among the top share of members by score (treated and control counted separately)."""
    y, score, t = _check(y, score, treatment)
    order = np.argsort(score, kind="mergesort")[::-1]
    rows = []
    for share in shares:
        top = order[: max(1, int(np.ceil(share * len(y))))]
        tt, yy = t[top], y[top]
        d = difference_of_proportions(int(yy[tt == 1].sum()), int((tt == 1).sum()),
                                      int(yy[tt == 0].sum()), int((tt == 0).sum()))
        rows.append({"share": share, **d.as_dict()})
    return rows


# --- an uplift model --------------------------------------------------------------------------------------------

@dataclass
class UpliftModel:
    """Whom to target next time: an estimate of each person's response uplift from their features.

    ``method="two_model"`` fits one classifier on the treated and one on the control and scores
    ``P(respond | treated) − P(respond | control)``. ``method="class_transformation"`` fits one classifier on
    ``z = 1`` when (treated and responded) or (control and did not), with the arms weighted to equal size, and
    scores ``2·P(z = 1) − 1`` (Jaskowski and Jaroszewicz 2012; the weights make it valid for any control share).
    Classifiers are scikit-learn's histogram gradient boosting, seeded.
    """

    method: str = "two_model"
    seed: int = 0
    max_iter: int = 100
    models_: list = field(default_factory=list)

    def _classifier(self):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(max_iter=self.max_iter, learning_rate=0.05, max_depth=3,
                                              min_samples_leaf=40, l2_regularization=1.0, random_state=self.seed)

    def fit(self, x, y, treatment) -> UpliftModel:
        x = np.asarray(x, dtype=float)
        y = np.asarray(y).astype(int)
        t = np.asarray(treatment).astype(int)
        if x.ndim != 2 or len(x) != len(y) or len(y) != len(t):
            raise InvalidInput("The uplift model needs one row of features, one response and one arm per member.")
        for arm, name in ((1, "treated"), (0, "control")):
            if len(np.unique(y[t == arm])) < 2:
                raise InvalidInput(f"The {name} members all responded alike: there is nothing to learn from.")
        if self.method == "two_model":
            self.models_ = [self._classifier().fit(x[t == 1], y[t == 1]),
                            self._classifier().fit(x[t == 0], y[t == 0])]
        elif self.method == "class_transformation":
            z = (y == t).astype(int)
            p = t.mean()
            weights = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
            self.models_ = [self._classifier().fit(x, z, sample_weight=weights)]
        else:
            raise InvalidInput(f"Uplift models are two_model or class_transformation, not {self.method!r}.")
        return self

    def predict(self, x) -> np.ndarray:
        """Estimated uplift of the response probability for each row."""
        if not self.models_:
            raise InvalidInput("The uplift model has not been fitted.")
        x = np.asarray(x, dtype=float)
        if self.method == "two_model":
            return self.models_[0].predict_proba(x)[:, 1] - self.models_[1].predict_proba(x)[:, 1]
        return 2 * self.models_[0].predict_proba(x)[:, 1] - 1


def evaluate_uplift_model(x, y, treatment, *, method: str = "two_model", test_share: float = 0.3,
                          seed: int = 0) -> dict:
    """Fit on a random part, score the held-out rest: its Qini coefficient and AUUC, and the fitted model
    (refitted on everything, for the suggestions). The split is stratified by arm and response."""
    from sklearn.model_selection import train_test_split

    x = np.asarray(x, dtype=float)
    y = np.asarray(y).astype(int)
    t = np.asarray(treatment).astype(int)
    if not 0.1 <= test_share <= 0.5:
        raise InvalidInput(f"The held-out share is between 0.1 and 0.5, not {test_share}.")
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_share, random_state=seed, stratify=t * 2 + y)
    model = UpliftModel(method=method, seed=seed).fit(x[train], y[train], t[train])
    score = model.predict(x[test])
    rng = np.random.default_rng(seed)
    random_qini = [qini_coefficient(y[test], rng.random(len(test)), t[test]) for _ in range(20)]
    return {
        "method": method,
        "train": len(train),
        "held_out": len(test),
        "qini": qini_coefficient(y[test], score, t[test]),
        "auuc": auuc(y[test], score, t[test]),
        "qini_random_mean": float(np.nanmean(random_qini)),
        "qini_random_sd": float(np.nanstd(random_qini)),
        "held_out_index": test,
        "held_out_score": score,
        "model": UpliftModel(method=method, seed=seed).fit(x, y, t),
    }


# --- before and after -------------------------------------------------------------------------------------------

def difference_in_differences(treated, control, after, *, level: float = LEVEL) -> dict:
    """Before/after around a change with a control series.

    Parameters
    ----------
    treated, control
        One value per period (e.g. revenue per customer and week) for the group the change touched and a
        comparable group it did not, on the same periods.
    after
        True for the periods after the change.

    Returns the estimate ``(T_after − C_after) − (T_before − C_before)`` with a Welch t interval over the
    per-period gaps ``T_t − C_t`` before and after, and the naive before/after change of the treated alone.
    """
    treated = np.asarray(treated, dtype=float)
    control = np.asarray(control, dtype=float)
    after = np.asarray(after, dtype=bool)
    if not (len(treated) == len(control) == len(after)):
        raise InvalidInput("The treated series, the control series and the after flags differ in length.")
    if np.isnan(treated).any() or np.isnan(control).any():
        raise InvalidInput("A series has a missing period.")
    gap = treated - control
    before_gap, after_gap = gap[~after], gap[after]
    if len(before_gap) < 2 or len(after_gap) < 2:
        raise InvalidInput("Before/after needs at least two periods on each side of the change date.")
    estimate = float(after_gap.mean() - before_gap.mean())
    v1, v2 = before_gap.var(ddof=1) / len(before_gap), after_gap.var(ddof=1) / len(after_gap)
    se = float(np.sqrt(v1 + v2))
    if se > 0:
        dof = (v1 + v2) ** 2 / (v1**2 / (len(before_gap) - 1) + v2**2 / (len(after_gap) - 1))
        half = float(stats.t.ppf(0.5 + level / 2, dof)) * se
    else:
        half = 0.0
    return {
        "estimate": estimate, "low": estimate - half, "high": estimate + half, "se": se, "level": level,
        "method": WELCH,
        "treated_before": float(treated[~after].mean()), "treated_after": float(treated[after].mean()),
        "control_before": float(control[~after].mean()), "control_after": float(control[after].mean()),
        "naive_change": float(treated[after].mean() - treated[~after].mean()),
        "periods_before": int((~after).sum()), "periods_after": int(after.sum()),
    }
