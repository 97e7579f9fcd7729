"""The shared machinery: compression, input hygiene, the fit report, simulators."""

from __future__ import annotations

import numpy as np
import pytest

from patron.models import BetaGeo, Convergence, compress
from patron.models.base import group_rows
from patron.models.simulate import simulate_bgnbd, simulate_gamma_gamma, simulate_pareto_nbd


def reference_compress(x, t_x, T, w=None):
    rows, inverse = np.unique(np.column_stack([x, t_x, T]), axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=w, minlength=len(rows))
    return rows, weights


@pytest.mark.parametrize("whole_numbers", [True, False], ids=["days", "fractional"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_compress_counts_identical_histories(whole_numbers, weighted):
    rng = np.random.default_rng(1)
    n = 20_000
    T = rng.integers(1, 60, n).astype(float)
    x = rng.poisson(0.8, n).astype(float)
    t_x = np.where(x > 0, np.minimum(rng.integers(1, 60, n), T), 0.0)
    if not whole_numbers:
        t_x = np.where(x > 0, t_x - 0.25, 0.0)
    w = rng.integers(1, 5, n).astype(float) if weighted else None
    *columns, weights = compress(x, t_x, T, w)
    rows, expected = reference_compress(x, t_x, T, w)
    np.testing.assert_array_equal(np.column_stack(columns), rows)
    np.testing.assert_array_equal(weights, expected)
    assert weights.sum() == (n if w is None else w.sum())


def test_group_rows_inverse_rebuilds_the_input():
    rng = np.random.default_rng(2)
    columns = [rng.integers(0, 5, 1000).astype(float), rng.random(1000).round(1)]
    distinct, counts, inverse = group_rows(columns, inverse=True)
    for original, unique in zip(columns, distinct):
        np.testing.assert_array_equal(unique[inverse], original)
    assert counts.sum() == 1000


def test_compressed_fit_equals_fit_on_every_customer(generated):
    x, t_x, T = generated["x"], generated["t_x"], generated["T"]
    full = BetaGeo().fit(x, t_x, T)
    compressed = BetaGeo().fit(*compress(x, t_x, T))
    assert full.params_ == pytest.approx(compressed.params_, rel=1e-9)


def test_convergence_report_is_readable(cdnow):
    model = BetaGeo().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    report = model.convergence_
    assert isinstance(report, Convergence)
    assert report.success and report.iterations > 0 and report.function_evaluations > 0
    assert report.gradient_norm < 1e-6
    assert "CONVERGENCE" in report.message


def test_a_fit_runs_openblas_on_one_thread_and_gives_the_threads_back():
    from patron.models.fitting import _one_blas_thread, _openblas_thread_setters

    def threads(setter):  # the setter returns the previous count: set one, put it back
        count = setter(1)
        setter(count)
        return count

    setters = _openblas_thread_setters()
    before = [threads(s) for s in setters]
    with _one_blas_thread():
        assert [threads(s) for s in setters] == [1] * len(setters)
    assert [threads(s) for s in setters] == before


@pytest.mark.parametrize("simulate", [simulate_bgnbd, simulate_pareto_nbd])
def test_simulated_event_times_agree_with_the_summary(simulate):
    rng = np.random.default_rng(3)
    T = rng.integers(10, 50, 5000).astype(float)
    base = simulate(5000, 0.8, 5.0, 0.7, 3.0, T, rng, event_times=True)
    counts = np.bincount(base.purchase_customer, minlength=5000)
    np.testing.assert_array_equal(counts, base.frequency)
    last = np.zeros(5000)
    np.maximum.at(last, base.purchase_customer, base.purchase_time)
    np.testing.assert_allclose(last, base.recency)
    assert np.all(base.purchase_time > 0)
    assert np.all(base.purchase_time <= T[base.purchase_customer])
    order = np.lexsort((base.purchase_time, base.purchase_customer))
    np.testing.assert_array_equal(order, np.arange(order.size))
    assert np.all(base.recency[base.frequency == 0] == 0)


def test_simulated_bgnbd_one_time_buyers_are_alive_unless_modified():
    rng = np.random.default_rng(4)
    plain = simulate_bgnbd(5000, 0.5, 6.0, 0.8, 2.5, 30.0, rng)
    assert plain.alive[plain.frequency == 0].all()
    modified = simulate_bgnbd(5000, 0.5, 6.0, 0.8, 2.5, 30.0, rng, modified=True)
    assert not modified.alive[modified.frequency == 0].all()


def test_simulated_spend_has_the_model_mean():
    rng = np.random.default_rng(5)
    frequency = np.full(200_000, 1.0)
    spend = simulate_gamma_gamma(frequency, 6.0, 4.0, 15.0, rng)
    assert spend.mean() == pytest.approx(6.0 * 15.0 / 3.0, rel=0.01)
    assert simulate_gamma_gamma(np.array([0.0]), 6.0, 4.0, 15.0, rng)[0] == 0.0
