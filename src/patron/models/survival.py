"""Survival of customers by group: Kaplan–Meier curves, log-rank tests and a Cox model, fitted by lifelines.

lifelines (Davidson-Pilon) is the reference implementation in Python; patron hands it the durations and
events and reads its results back as plain numbers, so they are lifelines' own. From
:data:`patron.models.cox.LARGE` customers, where lifelines' fit takes minutes, the Cox model is lifelines'
model fitted by :mod:`patron.models.cox` (equal to lifelines' to its optimiser's tolerance, tested).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from patron.errors import InvalidInput
from patron.models import cox as cox_fit
from patron.models.errors import ConvergenceWarning


def _lifelines():
    try:
        import lifelines
        from lifelines.statistics import logrank_test, multivariate_logrank_test
    except ImportError:  # pragma: no cover - the dependency is declared
        raise InvalidInput("Survival analysis needs the lifelines package (pip install lifelines).") from None
    return lifelines, logrank_test, multivariate_logrank_test


def _km(durations: np.ndarray, events: np.ndarray):
    """lifelines' Kaplan–Meier estimate in NumPy: the timeline (0, then every distinct duration), S(t) and
    its 95% interval by the exponential Greenwood formula, as ``KaplanMeierFitter`` computes them."""
    from scipy.stats import norm

    times, inverse = np.unique(durations, return_inverse=True)
    removed = np.bincount(inverse, minlength=len(times)).astype(float)
    deaths = np.bincount(inverse, weights=events.astype(float), minlength=len(times))
    at_risk = len(durations) - np.r_[0, np.cumsum(removed)[:-1]]
    if times[0] > 0:  # lifelines' timeline starts at 0, where nobody has left
        times, deaths, at_risk = np.r_[0.0, times], np.r_[0.0, deaths], np.r_[float(len(durations)), at_risk]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.exp(np.cumsum(np.log(at_risk - deaths) - np.log(at_risk)))
        var = np.where(at_risk - deaths > 0, deaths / (at_risk * (at_risk - deaths)), 0.0)
        greenwood = np.sqrt(np.cumsum(var))
        v = np.log(survival)
        z = norm.ppf(0.975)
        low = np.exp(-np.exp(np.log(-v) - z * greenwood / v))
        high = np.exp(-np.exp(np.log(-v) + z * greenwood / v))
    low, high = np.nan_to_num(low, nan=1.0), np.nan_to_num(high, nan=1.0)
    return times, survival, low, high


def kaplan_meier(durations, events, groups, *, at=None) -> list[dict]:
    """Per group: customers, losses, median lifetime and the survival curve (times, S(t), 95% CI).

    lifelines' ``KaplanMeierFitter`` up to :data:`patron.models.cox.LARGE` customers in a group; past that
    the same estimate in NumPy (:func:`_km`, equal to lifelines', tested), which is 10 times faster."""
    lifelines, _, _ = _lifelines()
    d, e, g = np.asarray(durations, float), np.asarray(events, bool), np.asarray(groups, dtype=object)
    out = []
    for name in sorted(set(g.tolist())):
        m = g == name
        if m.sum() >= cox_fit.LARGE:
            times, sf, low, high = _km(d[m], e[m])
        else:
            km = lifelines.KaplanMeierFitter().fit(d[m], e[m], label=str(name))
            ci = km.confidence_interval_survival_function_
            times, sf = km.survival_function_.index.to_numpy(float), km.survival_function_.iloc[:, 0].to_numpy(float)
            low, high = ci.iloc[:, 0].to_numpy(float), ci.iloc[:, 1].to_numpy(float)
        # lifelines' median (the first time S(t) <= 0.5) and its step function read at a time, for both
        below = np.flatnonzero(sf <= 0.5)
        entry = {"group": name, "n": int(m.sum()), "events": int(e[m].sum()),
                 "median": float(times[below[0]]) if len(below) else float("inf"), "times": times.tolist(),
                 "survival": sf.tolist(), "low": low.tolist(), "high": high.tolist()}
        if at is not None:
            entry["survival_at"] = {float(t): float(sf[np.searchsorted(times, t, side="right") - 1]) for t in at}
        out.append(entry)
    return out


def logrank(durations, events, groups, *, reference=None) -> dict:
    """The log-rank test across all groups, and each group against ``reference``."""
    _, logrank_test, multivariate_logrank_test = _lifelines()
    d, e, g = np.asarray(durations, float), np.asarray(events, bool), np.asarray(groups, dtype=object)
    names = sorted(set(g.tolist()))
    if len(names) < 2:
        raise InvalidInput("A log-rank test needs at least two groups.")
    overall = multivariate_logrank_test(d, g, e)
    result = {"statistic": float(overall.test_statistic), "df": len(names) - 1, "p_value": float(overall.p_value),
              "pairs": []}
    if reference is not None:
        r = g == reference
        for name in names:
            if name == reference:
                continue
            m = g == name
            t = logrank_test(d[m], d[r], e[m], e[r])
            result["pairs"].append({"group": name, "against": reference, "statistic": float(t.test_statistic),
                                    "p_value": float(t.p_value)})
    return result


#: Past this many customers the Cox model's concordance is read from a random sample of this many.
CONCORDANCE_SAMPLE = 100_000


def _not_converged(frame: pd.DataFrame, event: str, why: str) -> dict:
    warnings.warn(f"The Cox model did not converge ({why}); its coefficients are not reported.",
                  ConvergenceWarning, stacklevel=3)
    return {"n": int(len(frame)), "events": int(frame[event].sum()), "converged": False, "concordance": None,
            "concordance_from": 0, "log_likelihood": None, "coefficients": [],
            "note": f"The Cox model did not converge ({why}), so no hazard ratios are shown."}


def cox(frame: pd.DataFrame, duration: str, event: str, *, penalizer: float = 0.0) -> dict:
    """A Cox proportional-hazards model on ``frame`` (covariates: every other column, numeric).

    A fit that did not converge warns (:class:`~patron.models.errors.ConvergenceWarning`) and is not reported:
    ``converged`` is False, the coefficients are empty and ``note`` says why, as a value run whose fits did not
    converge is not made current."""
    lifelines, _, _ = _lifelines()
    if len(frame) < 10 or frame[event].sum() < 2:
        raise InvalidInput("A Cox model needs at least 10 customers and 2 losses.")
    if len(frame) >= cox_fit.LARGE:  # lifelines' model, fitted in vectorised NumPy (equal to it, tested)
        from lifelines.utils import concordance_index

        names = [c for c in frame.columns if c not in (duration, event)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r = cox_fit.fit(frame[duration], frame[event], frame[names].to_numpy(float), [str(c) for c in names],
                            penalizer=penalizer)
        if not r["converged"]:
            return _not_converged(frame, event, "Newton-Raphson stopped before its step was small")
        # lifelines' concordance grows faster than n log n (2 s at 200,000; minutes at 1M): past
        # CONCORDANCE_SAMPLE customers it is read from a seeded random sample of that many (its standard
        # error is then about 0.002), and the answer says how many it was read from.
        rows = np.arange(len(frame))
        if len(rows) > CONCORDANCE_SAMPLE:
            rows = np.sort(np.random.default_rng(0).choice(len(frame), CONCORDANCE_SAMPLE, replace=False))
        c = concordance_index(frame[duration].to_numpy()[rows], -r["risk"][rows], frame[event].to_numpy()[rows])
        return {"n": int(len(frame)), "events": int(frame[event].sum()), "converged": True,
                "concordance": float(c), "concordance_from": int(len(rows)),
                "log_likelihood": float(r["log_likelihood"]), "coefficients": r["coefficients"]}
    from lifelines.exceptions import ConvergenceError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = lifelines.CoxPHFitter(penalizer=penalizer).fit(frame, duration_col=duration, event_col=event)
        except ConvergenceError as exc:
            fit, why = None, str(exc).split(".")[0]
    if fit is None:
        return _not_converged(frame, event, why)
    if any("failed to converge" in str(w.message) for w in caught):
        return _not_converged(frame, event, "Newton-Raphson failed to converge sufficiently")
    s = fit.summary
    return {"n": int(len(frame)), "events": int(frame[event].sum()), "converged": True,
            "concordance": float(fit.concordance_index_),
            "concordance_from": int(len(frame)),
            "log_likelihood": float(fit.log_likelihood_),
            "coefficients": [{"covariate": str(k), "coef": float(r["coef"]), "se": float(r["se(coef)"]),
                              "hazard_ratio": float(r["exp(coef)"]), "low": float(r["coef lower 95%"]),
                              "high": float(r["coef upper 95%"]), "p_value": float(r["p"])}
                             for k, r in s.iterrows()]}
