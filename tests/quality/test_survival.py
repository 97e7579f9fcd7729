"""Survival by complaint experience equals lifelines on the same data; the recovery effect has its sign."""

from __future__ import annotations

import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

from patron.areas.quality.survival import EXPERIENCES, cox_frame, customer_lifetimes, lost_customers, survival_report
from patron.service.permissions import User

ANALYST = User(1, "ann", "analyst")


def test_kaplan_meier_logrank_and_cox_equal_lifelines(company):
    store, _ = company
    r = survival_report(store, ANALYST)
    df = customer_lifetimes(store)
    assert r["customers"] == len(df) and r["lost"] == int(df["lost"].sum()) > 0
    assert {c["group"] for c in r["curves"]} <= set(EXPERIENCES)
    for curve in r["curves"]:
        m = df["experience"] == curve["group"]
        km = KaplanMeierFitter().fit(df.loc[m, "days"], df.loc[m, "lost"])
        assert curve["survival"] == pytest.approx(km.survival_function_.iloc[:, 0].tolist())
        assert curve["survival_at"][365.0] == pytest.approx(float(km.predict(365.0)))
    ref = df["experience"] == "never complained"
    for pair in r["logrank"]["pairs"]:
        m = df["experience"] == pair["group"]
        t = logrank_test(df.loc[m, "days"], df.loc[ref, "days"], df.loc[m, "lost"], df.loc[ref, "lost"])
        assert pair["p_value"] == pytest.approx(t.p_value) and pair["statistic"] == pytest.approx(t.test_statistic)
    fit = CoxPHFitter(penalizer=0.01).fit(cox_frame(df), "days", "lost")
    coefs = {c["covariate"]: c["coef"] for c in r["cox"]["coefficients"]}
    assert coefs == pytest.approx(fit.params_.to_dict())


def test_the_demo_recovery_effect_has_its_sign(company):
    """The demo makes customers about to leave wait longer and stay unresolved more often: an unresolved or late
    complaint carries a higher hazard of loss than one resolved within the service level."""
    store, _ = company
    r = survival_report(store, ANALYST)
    hr = {c["covariate"]: c["hazard_ratio"] for c in r["cox"]["coefficients"]}
    assert hr["unresolved"] > 1.5
    assert hr["unresolved"] > hr.get("resolved within SLA", 1.0)
    curves = {c["group"]: c for c in r["curves"]}
    assert curves["unresolved"]["survival_at"][365.0] < curves["never complained"]["survival_at"][365.0]
    unresolved = next(p for p in r["logrank"]["pairs"] if p["group"] == "unresolved")
    assert unresolved["p_value"] < 0.01


def test_lost_customer_report_follows_its_rule(company):
    store, _ = company
    rep = lost_customers(store, ANALYST, limit=10)
    df = customer_lifetimes(store)
    as_of = pd.Timestamp(rep["as_of"])
    expected = (df["p_alive"] < 0.5) & ((as_of - pd.to_datetime(df["last"])).dt.days > 180)
    assert rep["lost"] == int(expected.sum()) and "P(alive) < 0.5" in rep["rule"]
    assert rep["value_lost_per_year"] == pytest.approx(float(df.loc[expected, "value_per_year"].sum()))
    values = [c["value_per_year"] for c in rep["customers_lost"]]
    assert values == sorted(values, reverse=True) and len(values) == 10
    assert sum(c["customers"] for c in rep["by_channel"]) == rep["lost"]
    assert rep["lost_share_by_experience"]["unresolved"] > rep["lost_share_by_experience"]["never complained"]
    complained = {p for (p,) in store.query("SELECT DISTINCT party_id FROM complaints WHERE opened_at <= ?",
                                            [rep["as_of"]])}
    lost_ids = set(df.loc[expected, "party_id"].astype(int))
    assert sum(c["customers"] for c in rep["causes"]) == len(lost_ids & complained) > 0
