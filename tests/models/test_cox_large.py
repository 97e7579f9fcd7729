"""The vectorised Cox fit equals lifelines' on the same data: with tied times, with and without the ridge
penalty, and through ``survival.cox`` when the data are large enough to take it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from patron.models import cox, survival
from patron.models.errors import ConvergenceWarning


def _data(n: int, seed: int = 1, ties: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"late": rng.random(n) < 0.2, "unresolved": rng.random(n) < 0.1,
                      "log value": rng.normal(size=n), "tenure": rng.exponential(size=n)}).astype(float)
    hazard = np.exp(0.5 * x["late"] + 0.9 * x["unresolved"] - 0.2 * x["log value"])
    life, censor = rng.exponential(1 / hazard), rng.exponential(2, n)
    x["days"] = np.minimum(life, censor) * 50
    if ties:
        x["days"] = np.round(x["days"])  # many deaths share a day: Efron's correction matters
    x["lost"] = (life < censor).astype(int)
    return x


@pytest.mark.parametrize("penalizer", [0.0, 0.01])
@pytest.mark.parametrize("ties", [True, False])
def test_equals_lifelines(penalizer, ties):
    frame = _data(4000, ties=ties)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter(penalizer=penalizer).fit(frame, "days", "lost")
    names = ["late", "unresolved", "log value", "tenure"]
    got = cox.fit(frame["days"], frame["lost"], frame[names].to_numpy(), names, penalizer=penalizer)
    assert got["converged"]
    coef = np.array([c["coef"] for c in got["coefficients"]])
    se = np.array([c["se"] for c in got["coefficients"]])
    # lifelines stops its Newton-Raphson at a step of 1e-7 (standardised); this fit goes on to 1e-10
    np.testing.assert_allclose(coef, ref.params_.to_numpy(), atol=2e-5)
    np.testing.assert_allclose(se, ref.standard_errors_.to_numpy(), rtol=1e-5)
    assert got["log_likelihood"] == pytest.approx(ref.log_likelihood_, rel=1e-9)
    low = np.array([c["low"] for c in got["coefficients"]])
    np.testing.assert_allclose(low, ref.confidence_intervals_.iloc[:, 0].to_numpy(), atol=3e-5)


def test_survival_cox_takes_the_fast_fit_on_large_data_and_agrees():
    frame = _data(cox.LARGE + 1000, seed=3)
    fast = survival.cox(frame, "days", "lost", penalizer=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = CoxPHFitter(penalizer=0.01).fit(frame, "days", "lost")
    assert [c["covariate"] for c in fast["coefficients"]] == list(ref.params_.index)
    np.testing.assert_allclose([c["hazard_ratio"] for c in fast["coefficients"]],
                               ref.hazard_ratios_.to_numpy(), rtol=5e-5)
    assert fast["concordance"] == pytest.approx(ref.concordance_index_, abs=1e-6)  # coefficients to 1e-5
    assert fast["n"] == len(frame) and fast["events"] == int(frame["lost"].sum())


def test_concordance_is_read_from_a_sample_past_the_limit(monkeypatch):
    frame = _data(cox.LARGE + 1000, seed=4)
    full = survival.cox(frame, "days", "lost")
    monkeypatch.setattr(survival, "CONCORDANCE_SAMPLE", 20_000)
    sampled = survival.cox(frame, "days", "lost")
    assert (full["concordance_from"], sampled["concordance_from"]) == (len(frame), 20_000)
    assert sampled["concordance"] == pytest.approx(full["concordance"], abs=0.015)
    assert sampled["coefficients"] == full["coefficients"]  # the fit itself uses every customer


@pytest.mark.parametrize("ties", [True, False])
def test_kaplan_meier_in_numpy_equals_lifelines(ties):
    from lifelines import KaplanMeierFitter

    frame = _data(3000, seed=5, ties=ties)
    times, sf, low, high = survival._km(frame["days"].to_numpy(), frame["lost"].to_numpy().astype(bool))
    km = KaplanMeierFitter().fit(frame["days"], frame["lost"])
    np.testing.assert_array_equal(times, km.survival_function_.index.to_numpy(float))
    np.testing.assert_allclose(sf, km.survival_function_.iloc[:, 0].to_numpy(), rtol=1e-12)
    ci = km.confidence_interval_survival_function_
    np.testing.assert_allclose(low, ci.iloc[:, 0].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(high, ci.iloc[:, 1].to_numpy(), rtol=1e-10)
    # the median and S(t) read at a time, as kaplan_meier reports them, are lifelines' own
    (entry,) = survival.kaplan_meier(frame["days"], frame["lost"], ["all"] * len(frame), at=(10, 30.5, 1e9))
    assert entry["median"] == km.median_survival_time_
    assert entry["survival_at"] == pytest.approx({t: float(km.predict(t)) for t in (10, 30.5, 1e9)}, rel=1e-12)


def test_kaplan_meier_on_a_large_group_takes_numpy_and_agrees(monkeypatch):
    frame = _data(6000, seed=6)
    args = (frame["days"], frame["lost"], np.where(frame["late"] > 0, "late", "never"))
    small = survival.kaplan_meier(*args, at=(10, 30, 1e9))
    monkeypatch.setattr(cox, "LARGE", 1000)
    large = survival.kaplan_meier(*args, at=(10, 30, 1e9))
    for a, b in zip(small, large):
        assert (a["group"], a["n"], a["events"], a["median"]) == (b["group"], b["n"], b["events"], b["median"])
        np.testing.assert_allclose(a["survival"], b["survival"], rtol=1e-12)
        np.testing.assert_allclose(a["low"], b["low"], rtol=1e-10)
        assert a["survival_at"] == pytest.approx(b["survival_at"], rel=1e-12)


def test_a_fit_that_did_not_converge_warns_and_reports_no_coefficients():
    frame = _data(3000, seed=7)
    names = ["late", "unresolved", "log value", "tenure"]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        got = cox.fit(frame["days"], frame["lost"], frame[names].to_numpy(), names, max_steps=1)
    assert got["converged"] is False and got["coefficients"] == [] and got["risk"] is None
    # the same data given the steps it needs converge, with coefficients
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert cox.fit(frame["days"], frame["lost"], frame[names].to_numpy(), names)["converged"] is True


def test_survival_cox_does_not_report_a_fit_that_did_not_converge(monkeypatch):
    frame = _data(3000, seed=8)
    fit = cox.fit
    monkeypatch.setattr(cox, "LARGE", 1000)  # take the vectorised fit, and give it one Newton step
    monkeypatch.setattr(cox, "fit", lambda *a, **k: fit(*a, **{**k, "max_steps": 1}))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        r = survival.cox(frame, "days", "lost")
    assert r["converged"] is False and r["coefficients"] == [] and r["concordance"] is None
    assert "did not converge" in r["note"] and r["n"] == 3000
    monkeypatch.setattr(cox, "fit", fit)
    assert survival.cox(frame, "days", "lost")["converged"] is True
