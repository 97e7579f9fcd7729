"""The sBG model of contract duration against Fader & Hardie (2007), "How to project customer retention".

Their Table 1 (from Berry & Linoff 2004) gives two cohorts of 1,000 customers each, still under contract
at the start and after each of 12 years; the model is fitted on years 0-7 and projects years 8-12. The
paper's estimates: regular alpha = 0.704, beta = 1.182; high end alpha = 0.668, beta = 3.806.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import betaln

from patron.models import DegenerateDataError, InvalidInputError, ShiftedBetaGeo

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def _direct_fit(survivors):
    """The likelihood written out as in the paper's appendix, maximised by Nelder-Mead: an independent check."""
    n = np.asarray(survivors, float)
    t = np.arange(1, n.size)

    def negative(log_params):
        a, b = np.exp(log_params)
        churn = betaln(a + 1, b + t - 1) - betaln(a, b)
        return -(np.sum((n[:-1] - n[1:]) * churn) + n[-1] * (betaln(a, b + t[-1]) - betaln(a, b)))

    result = minimize(negative, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12})
    return np.exp(result.x), -result.fun


@pytest.mark.parametrize("cohort, published", [(REGULAR, (0.704, 1.182)), (HIGH_END, (0.668, 3.806))])
def test_sbg_reproduces_fader_hardie_2007(cohort, published):
    model = ShiftedBetaGeo().fit_survivors(cohort[:8])
    assert (round(model.params_["alpha"], 3), round(model.params_["beta"], 3)) == published
    (alpha, beta), log_likelihood = _direct_fit(cohort[:8])
    assert model.params_["alpha"] == pytest.approx(alpha, rel=1e-6)
    assert model.params_["beta"] == pytest.approx(beta, rel=1e-6)
    assert model.log_likelihood_ == pytest.approx(log_likelihood, abs=1e-8)
    assert model.converged_ and not model.fit_warnings_
    # The projection of years 8-12 stays close to what happened (the paper's point): within 5% (4.1% at worst, high end year 12).
    projected = 1000 * model.survival(np.arange(8, 13))
    assert np.max(np.abs(projected / np.array(cohort[8:]) - 1)) < 0.05


def test_sbg_retention_rises_with_tenure_and_matches_survival():
    model = ShiftedBetaGeo().fit_survivors(REGULAR[:8])
    t = np.arange(1, 13)
    retention = model.retention_rate(t)
    assert np.all(np.diff(retention) > 0)
    assert retention == pytest.approx(model.survival(t) / model.survival(t - 1), rel=1e-12)
    # Still there 3 years on, given 5 years so far, is S(8) / S(5).
    assert model.probability_alive(5, 3) == pytest.approx(model.survival(8) / model.survival(5), rel=1e-12)
    # Undiscounted expected periods of a new customer: the sum of S(k) over k >= 0.
    assert model.expected_periods(0, 0.0, 500) == pytest.approx(model.survival(np.arange(500)).sum(), rel=1e-12)
    assert model.expected_periods(0, 0.1, 500) < model.expected_periods(0, 0.0, 500)


def test_sbg_individual_durations_give_the_same_fit_as_counts():
    n = np.array(HIGH_END[:8])
    periods = np.repeat(np.append(np.arange(1, 8), 7), np.append(-np.diff(n), n[-1]).astype(int))
    cancelled = np.repeat(np.append(np.ones(7, bool), False), np.append(-np.diff(n), n[-1]).astype(int))
    one_by_one = ShiftedBetaGeo().fit(periods, cancelled)
    counted = ShiftedBetaGeo().fit_survivors(n)
    assert one_by_one.params_["beta"] == pytest.approx(counted.params_["beta"], rel=1e-7)


def test_sbg_refuses_impossible_cohorts():
    with pytest.raises(InvalidInputError, match="never increase"):
        ShiftedBetaGeo().fit_survivors([1000, 700, 800])
    with pytest.raises(DegenerateDataError, match="No customer has cancelled"):
        ShiftedBetaGeo().fit_survivors([1000, 1000, 1000])
    with pytest.raises(InvalidInputError, match="at least 0"):
        ShiftedBetaGeo().fit_survivors(REGULAR[:8]).survival(-1)
