"""Measured response: interval coverage, Qini/AUUC normalisation, the uplift model, difference in differences."""

import numpy as np
import pytest

from patron.errors import InvalidInput
from patron.models import uplift as u


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17, table II: 56/70 against 48/80 gives 0.0524 to 0.3339.
    d = u.difference_of_proportions(56, 70, 48, 80)
    assert d.estimate == pytest.approx(0.2)
    assert (round(d.low, 4), round(d.high, 4)) == (0.0524, 0.3339)
    # Example (e): 9/10 against 3/10 gives 0.1705 to 0.8090.
    d = u.difference_of_proportions(9, 10, 3, 10)
    assert (round(d.low, 4), round(d.high, 4)) == (0.1705, 0.8090)


def test_newcombe_covers_the_true_difference_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    p_t, p_c, n_t, n_c = 0.12, 0.08, 400, 150
    hits = 0
    for _ in range(400):
        d = u.difference_of_proportions(int(rng.binomial(n_t, p_t)), n_t, int(rng.binomial(n_c, p_c)), n_c)
        hits += d.covers(p_t - p_c)
    assert 0.92 <= hits / 400 <= 0.985


def test_bca_covers_the_true_difference_of_skewed_revenue():
    rng = np.random.default_rng(5)
    # Revenue per member: most spend nothing, buyers spend a lognormal amount (mean 60 * e^(0.5) ~ 98.9).
    mean = 60 * np.exp(0.5)

    def revenue(n, buy):
        return np.where(rng.random(n) < buy, rng.lognormal(np.log(60), 1.0, n), 0.0)

    truth = mean * (0.30 - 0.25)
    hits = 0
    for rep in range(200):
        d = u.difference_of_means(revenue(300, 0.30), revenue(200, 0.25), n_boot=400, seed=rep)
        hits += d.covers(truth)
    assert 0.90 <= hits / 200 <= 0.99


def test_bootstrap_is_reproducible_with_its_seed():
    rng = np.random.default_rng(0)
    a, b = rng.exponential(5, 300), rng.exponential(4, 300)
    assert u.difference_of_means(a, b, seed=7) == u.difference_of_means(a, b, seed=7)
    assert "BCa" in u.difference_of_means(a, b).method


def test_qini_curve_by_hand():
    # Six members ranked by score; t = arm, y = response.
    y = np.array([1, 0, 1, 0, 1, 0])
    t = np.array([1, 1, 0, 1, 0, 0])
    score = np.array([6, 5, 4, 3, 2, 1])
    x, q = u.qini_curve(y, score, t)
    # After k: Y_T - Y_C * N_T / N_C (0 when no control yet).
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert q.tolist() == pytest.approx([0, 1, 1, 1 - 1 * 2 / 1, 1 - 1 * 3 / 1, 1 - 2 * 3 / 2, 1 - 2 * 3 / 3])
    x, up = u.uplift_curve(y, score, t)
    assert up.tolist() == pytest.approx([0, 1, 1, (1 / 2 - 1) * 3, (1 / 3 - 1) * 4, (1 / 3 - 1) * 5,
                                         (1 / 3 - 2 / 3) * 6])
    # The oracle ranks treated responders first and control responders last: 1, then flat, then down.
    _xp, qp = u.perfect_qini_curve(y, t)
    assert qp[-1] == pytest.approx(q[-1])
    assert qp.max() == pytest.approx(1.0)


def test_qini_and_auuc_are_0_for_random_and_1_for_the_oracle():
    rng = np.random.default_rng(11)
    n = 6000
    t = (rng.random(n) < 0.6).astype(int)
    lift = np.where(rng.random(n) < 0.5, 0.15, 0.0)
    y = (rng.random(n) < 0.1 + lift * t).astype(int)
    oracle = y * t - y * (1 - t)
    assert u.qini_coefficient(y, oracle, t) == pytest.approx(1.0)
    randoms = [u.qini_coefficient(y, rng.random(n), t) for _ in range(30)]
    assert abs(np.mean(randoms)) < 0.03
    randoms = [u.auuc(y, rng.random(n), t) for _ in range(30)]
    assert abs(np.mean(randoms)) < 0.03
    # The true uplift as the score lands well above random; its reverse well below.
    assert u.qini_coefficient(y, lift, t) > 0.1 > -0.1 > u.qini_coefficient(y, -lift, t)
    # Without any effect there is nothing to rank: NaN, not a number that looks like a verdict.
    y0 = np.zeros(n)
    assert np.isnan(u.qini_coefficient(y0, rng.random(n), t))


def test_uplift_model_beats_random_on_held_out_data():
    rng = np.random.default_rng(2)
    n = 6000
    x = rng.normal(size=(n, 3))
    t = (rng.random(n) < 0.5).astype(int)
    lift = np.where(x[:, 0] > 0.5, 0.25, np.where(x[:, 0] < -1, -0.05, 0.0))
    y = (rng.random(n) < np.clip(0.15 + 0.05 * x[:, 1] + lift * t, 0, 1)).astype(int)
    for method in ("two_model", "class_transformation"):
        result = u.evaluate_uplift_model(x, y, t, method=method, seed=1)
        assert result["held_out"] == 1800
        assert result["qini"] > result["qini_random_mean"] + 4 * result["qini_random_sd"]
        assert result["qini"] > 0.2


def test_uplift_model_refuses_what_it_cannot_learn():
    x = np.zeros((10, 2))
    with pytest.raises(InvalidInput, match="all responded alike"):
        u.UpliftModel().fit(x, np.zeros(10), np.r_[np.ones(5), np.zeros(5)])
    with pytest.raises(InvalidInput, match="two_model or class_transformation"):
        u.UpliftModel(method="magic").fit(x, np.r_[0, 1] .repeat(5), np.tile([0, 1], 5))


def test_difference_in_differences_recovers_a_step_that_the_naive_comparison_misses():
    rng = np.random.default_rng(4)
    weeks = np.arange(52)
    after = weeks >= 30
    season = 10 + 3 * np.sin(weeks / 52 * 2 * np.pi) + 0.1 * weeks  # shared trend and season
    control = season + rng.normal(0, 0.4, 52)
    treated = season + 2.0 - 1.5 * after + rng.normal(0, 0.4, 52)  # a price change costs 1.5 a week
    r = u.difference_in_differences(treated, control, after)
    assert r["low"] <= -1.5 <= r["high"]
    assert r["high"] < 0
    assert abs(r["naive_change"] - (-1.5)) > 0.5 or not (r["low"] <= r["naive_change"] <= r["high"])
    with pytest.raises(InvalidInput, match="two periods"):
        u.difference_in_differences(treated[:31], control[:31], after[:31])


def test_interval_coverage_of_difference_in_differences():
    rng = np.random.default_rng(8)
    after = np.arange(40) >= 20
    hits = 0
    for _ in range(200):
        base = rng.normal(0, 1, 40).cumsum() * 0.1
        r = u.difference_in_differences(base + 1.0 * after + rng.normal(0, 0.5, 40), base + rng.normal(0, 0.5, 40),
                                        after)
        hits += r["low"] <= 1.0 <= r["high"]
    assert 0.9 <= hits / 200 <= 0.99
