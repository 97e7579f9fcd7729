"""Intervals: parameters from the Hessian, predictions by parametric draws, coverage checked by simulation.

Each replication simulates a base from known BG/NBD and Gamma-Gamma parameters, fits both models, and
asks whether the values the *true* parameters give (each customer's expected CLV and P(alive), the total)
fall inside the 95% intervals. Over the replications about 95% should.
"""

from __future__ import annotations

import numpy as np
import pytest

from patron.models import BetaGeo, GammaGamma, ModelError, customer_lifetime_value
from patron.models.simulate import simulate_bgnbd, simulate_gamma_gamma
from patron.models.uncertainty import parameter_intervals, value_intervals

TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
SPEND = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def _replication(seed, customers=1200, draws=100):
    rng = np.random.default_rng(seed)
    base = simulate_bgnbd(customers, *TRUE.values(), T=52.0, rng=rng)
    repeat = base.frequency > 0
    spend = np.where(repeat, simulate_gamma_gamma(base.frequency, *SPEND.values(), rng), 0.0)
    model = BetaGeo().fit(base.frequency, base.recency, base.T)
    spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
    intervals = value_intervals(model, spend_model, base.frequency, base.recency, base.T, spend, draws=draws,
                                seed=seed)
    truth = BetaGeo.from_params(**TRUE)
    clv = customer_lifetime_value(truth, GammaGamma.from_params(**SPEND), base.frequency, base.recency, base.T, spend)
    alive = truth.probability_alive(base.frequency, base.recency, base.T)
    inside_parameters = [low <= TRUE[name] <= high for name, (low, high) in parameter_intervals(model).items()]
    return (np.mean((intervals.clv_low <= clv) & (clv <= intervals.clv_high)),
            np.mean((intervals.p_alive_low <= alive + 1e-12) & (alive - 1e-12 <= intervals.p_alive_high)),
            intervals.total_clv_low <= clv.sum() <= intervals.total_clv_high,
            np.mean(inside_parameters), intervals)


def test_95_percent_intervals_cover_the_true_values_about_95_percent_of_the_time():
    results = [_replication(seed) for seed in range(16)]
    clv, alive, total, parameters = (np.mean([r[k] for r in results]) for k in range(4))
    # Measured with 40 replications of 2,000 customers and 200 draws: 0.918, 0.969, 0.95.
    assert 0.85 <= clv <= 0.99
    assert 0.88 <= alive <= 1.0
    assert 0.8 <= total <= 1.0
    assert 0.85 <= parameters <= 1.0
    widths = [r[4].total_clv_high - r[4].total_clv_low for r in results]
    assert all(w > 0 for w in widths)


def test_intervals_bracket_the_estimate_and_narrow_with_more_customers():
    small = _replication(0, customers=800, draws=80)[4]
    large = _replication(0, customers=6400, draws=80)[4]
    assert small.total_clv_low < small.total_clv < small.total_clv_high
    assert (small.total_clv_high - small.total_clv_low) / small.total_clv > \
        1.8 * (large.total_clv_high - large.total_clv_low) / large.total_clv
    assert np.all(small.clv_low <= small.clv_high) and np.all(small.p_alive_low <= small.p_alive_high)


def test_grouped_rows_give_the_total_of_their_customers():
    rng = np.random.default_rng(3)
    base = simulate_bgnbd(1000, *TRUE.values(), T=52.0, rng=rng)
    repeat = base.frequency > 0
    spend = np.where(repeat, simulate_gamma_gamma(base.frequency, *SPEND.values(), rng), 0.0)
    model = BetaGeo().fit(base.frequency, base.recency, base.T)
    spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
    each = value_intervals(model, spend_model, base.frequency, base.recency, base.T, spend, draws=50)
    doubled = value_intervals(model, spend_model, base.frequency, base.recency, base.T, spend,
                              weights=np.full(1000, 2.0), draws=50)
    assert doubled.total_clv == pytest.approx(2 * each.total_clv, rel=1e-12)
    assert doubled.total_clv_low == pytest.approx(2 * each.total_clv_low, rel=1e-12)


def test_a_model_without_a_fit_has_no_intervals():
    with pytest.raises(ModelError, match="no covariance"):
        parameter_intervals(BetaGeo.from_params(**TRUE))


def test_a_runs_total_interval_from_sampled_histories_agrees_with_all_of_them(monkeypatch):
    from types import SimpleNamespace

    import pyarrow as pa

    from patron.models import scoring
    from patron.models.data import group_rows

    rng = np.random.default_rng(5)
    base = simulate_bgnbd(3000, *TRUE.values(), T=np.round(rng.uniform(20, 80, 3000)), rng=rng)
    x, T = base.frequency, base.T
    t_x = np.minimum(np.where(x > 0, np.maximum(np.round(base.recency), 1), 0), T)
    spend = np.where(x > 0, simulate_gamma_gamma(x, *SPEND.values(), rng), 0.0)
    (xu, tu, Tu), w, row = group_rows([x, t_x, T], inverse=True)
    model = BetaGeo().fit(xu, tu, Tu, weights=w)
    spend_model = GammaGamma().fit(x[x > 0], spend[x > 0])
    histories = pa.table({"frequency": xu, "recency": tu, "T": Tu, "customers": w,
                          "spend_sum": np.bincount(row, weights=spend)})
    settings = SimpleNamespace(horizon_months=12, monthly_discount_rate=0.01, time_unit="week")
    full = scoring.run_intervals(model, spend_model, histories, settings, 1.0)
    monkeypatch.setattr(scoring, "INTERVAL_ROWS", xu.size // 8)
    sampled = scoring.run_intervals(model, spend_model, histories, settings, 1.0)
    assert "sampled_histories" in sampled and "sampled_histories" not in full
    assert sampled["total_clv"] == pytest.approx(full["total_clv"], rel=1e-12)
    each = customer_lifetime_value(model, spend_model, x, t_x, T, spend, time_unit_per_period=4.345)
    assert full["total_clv"] == pytest.approx(each.sum(), rel=1e-9)
    width = full["total_clv_high"] - full["total_clv_low"]
    assert abs(sampled["total_clv_low"] - full["total_clv_low"]) < 0.1 * width
    assert abs(sampled["total_clv_high"] - full["total_clv_high"]) < 0.1 * width


def _delta_replication(seed, customers=1200):
    from patron.models.uncertainty import delta_intervals

    rng = np.random.default_rng(seed)
    base = simulate_bgnbd(customers, *TRUE.values(), T=52.0, rng=rng)
    repeat = base.frequency > 0
    spend = np.where(repeat, simulate_gamma_gamma(base.frequency, *SPEND.values(), rng), 0.0)
    model = BetaGeo().fit(base.frequency, base.recency, base.T)
    spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
    found = delta_intervals(model, spend_model, base.frequency, base.recency, base.T, spend)
    truth = BetaGeo.from_params(**TRUE)
    clv = customer_lifetime_value(truth, GammaGamma.from_params(**SPEND), base.frequency, base.recency, base.T, spend)
    alive = truth.probability_alive(base.frequency, base.recency, base.T)
    estimate = customer_lifetime_value(model, spend_model, base.frequency, base.recency, base.T, spend)
    return found, clv, alive, estimate, repeat


def test_delta_method_intervals_stored_with_the_scores_cover_about_95_percent():
    # Each customer's true CLV and P(alive) (the true parameters' values for the history) against the
    # delta-method 95% intervals that a run stores; 16 bases of 1,200 customers (about 1 s).
    clv_inside, alive_inside = [], []
    for seed in range(16):
        found, clv, alive, estimate, repeat = _delta_replication(seed)
        assert np.all(found["clv_low"] <= estimate + 1e-9) and np.all(estimate <= found["clv_high"] + 1e-9)
        assert np.all((found["p_alive_low"] >= 0) & (found["p_alive_high"] <= 1))
        clv_inside.append(np.mean((found["clv_low"] <= clv) & (clv <= found["clv_high"])))
        # BG/NBD's one-time buyers are alive for certain under any parameters: count the repeat buyers.
        alive_inside.append(np.mean(((found["p_alive_low"] <= alive + 1e-12)
                                     & (alive - 1e-12 <= found["p_alive_high"]))[repeat]))
    clv_cover, alive_cover = np.mean(clv_inside), np.mean(alive_inside)
    # Measured: 0.900 (CLV) and 0.9999 (P(alive) of repeat buyers; the draws are as conservative, 0.99).
    assert 0.85 <= clv_cover <= 0.99, clv_cover
    assert 0.9 <= alive_cover <= 1.0, alive_cover


def test_delta_method_agrees_with_the_parametric_draws():
    from patron.models.uncertainty import delta_intervals

    rng = np.random.default_rng(11)
    base = simulate_bgnbd(3000, *TRUE.values(), T=52.0, rng=rng)
    repeat = base.frequency > 0
    spend = np.where(repeat, simulate_gamma_gamma(base.frequency, *SPEND.values(), rng), 0.0)
    model = BetaGeo().fit(base.frequency, base.recency, base.T)
    spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
    delta = delta_intervals(model, spend_model, base.frequency, base.recency, base.T, spend)
    drawn = value_intervals(model, spend_model, base.frequency, base.recency, base.T, spend, draws=400, seed=1)
    width = lambda low, high: np.median((high - low)[repeat])
    assert width(delta["clv_low"], delta["clv_high"]) == pytest.approx(width(drawn.clv_low, drawn.clv_high), rel=0.15)
    assert width(delta["p_alive_low"], delta["p_alive_high"]) == pytest.approx(
        width(drawn.p_alive_low, drawn.p_alive_high), rel=0.15)


def test_delta_method_for_a_model_without_the_alive_factorisation():
    # BG/BB's expected purchases are not P(alive) times a sum of (x, T): the intervals take the general path.
    from patron.models import BetaGeoBetaBinom
    from patron.models.simulate import simulate_bgbb
    from patron.models.uncertainty import delta_intervals

    rng = np.random.default_rng(4)
    base = simulate_bgbb(3000, 1.2, 0.75, 0.65, 2.8, 6, rng)
    repeat = base.frequency > 0
    spend = np.where(repeat, simulate_gamma_gamma(base.frequency, *SPEND.values(), rng), 0.0)
    model = BetaGeoBetaBinom().fit(base.frequency, base.recency, base.T)
    assert BetaGeoBetaBinom._purchases_if_alive is None
    spend_model = GammaGamma().fit(base.frequency[repeat], spend[repeat])
    options = {"time_unit_per_period": 1.0, "horizon": 6}
    delta = delta_intervals(model, spend_model, base.frequency, base.recency, base.T, spend, **options)
    estimate = customer_lifetime_value(model, spend_model, base.frequency, base.recency, base.T, spend, **options)
    alive = model.probability_alive(base.frequency, base.recency, base.T)
    assert np.all((delta["clv_low"] <= estimate + 1e-9) & (estimate <= delta["clv_high"] + 1e-9))
    assert np.all((delta["p_alive_low"] <= alive + 1e-12) & (alive <= delta["p_alive_high"] + 1e-12))
    drawn = value_intervals(model, spend_model, base.frequency, base.recency, base.T, spend, draws=300, seed=2,
                            **options)
    assert np.median(delta["clv_high"] - delta["clv_low"]) == pytest.approx(
        np.median(drawn.clv_high - drawn.clv_low), rel=0.2)
