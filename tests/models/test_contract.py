"""Contract tests every transaction model must pass (and the spend model's own)."""

from __future__ import annotations

import numpy as np
import pytest

from patron.errors import PatronError
from patron.models import (
    TRANSACTION_MODELS,
    DegenerateDataError,
    GammaGamma,
    InvalidInputError,
    ModelError,
    RecencyClippedWarning,
)

CONTINUOUS = [cls for cls in TRANSACTION_MODELS if not cls.discrete]


@pytest.fixture
def data(request, generated, generated_periods):
    """(x, t_x, T) for the model class the test is parametrised on."""
    if request.param.discrete:
        return generated_periods["x"], generated_periods["t_x"], generated_periods["n"]
    return generated["x"], generated["t_x"], generated["T"]


@pytest.fixture(scope="module")
def fitted(generated, generated_periods):
    models = {}
    for cls in TRANSACTION_MODELS:
        if cls.discrete:
            columns = generated_periods["x"], generated_periods["t_x"], generated_periods["n"]
        else:
            columns = generated["x"], generated["t_x"], generated["T"]
        models[cls] = cls().fit(*columns), columns
    return models


every_model = pytest.mark.parametrize("cls", TRANSACTION_MODELS, ids=lambda c: c.__name__)


@every_model
def test_fit_returns_self_with_printable_positive_parameters(cls, fitted):
    model, columns = fitted[cls]
    assert cls().fit(*columns).params_ == pytest.approx(model.params_, rel=1e-8)
    assert list(model.params_) == list(cls.param_names)
    assert all(type(v) is float and v > 0 for v in model.params_.values())
    assert all(np.isfinite(v) and v > 0 for v in model.standard_errors_.values())
    assert np.isfinite(model.log_likelihood_) and model.log_likelihood_ < 0
    assert model.convergence_.success
    assert model.convergence_.gradient_norm < 1e-6
    assert cls.__name__ in repr(model) and cls.param_names[0] in repr(model)


@every_model
def test_fit_returns_the_same_object(cls, fitted):
    _, columns = fitted[cls]
    model = cls()
    assert model.fit(*columns) is model


@every_model
def test_weights_are_equivalent_to_repeated_rows(cls, fitted):
    _, (x, t_x, T) = fitted[cls]
    rng = np.random.default_rng(7)
    rows = slice(0, 400)
    weights = rng.integers(1, 4, 400)
    weighted = cls().fit(x[rows], t_x[rows], T[rows], weights)
    repeated = cls().fit(*(np.repeat(c[rows], weights) for c in (x, t_x, T)))
    assert weighted.params_ == pytest.approx(repeated.params_, rel=1e-6)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-10)
    assert weighted.n_customers_ == weights.sum()


@pytest.mark.parametrize("cls", CONTINUOUS, ids=lambda c: c.__name__)
def test_recency_a_rounding_error_above_T_is_clipped_with_a_warning(cls, generated):
    x, t_x, T = generated["x"], generated["t_x"].copy(), generated["T"]
    repeat = np.flatnonzero(x > 0)[:5]
    t_x[repeat] = T[repeat] + 0.004
    with pytest.warns(RecencyClippedWarning, match="5 customers"):
        model = cls().fit(x, t_x, T)
    clipped = cls().fit(x, np.minimum(t_x, T), T)
    assert model.params_ == pytest.approx(clipped.params_, rel=1e-10)


@every_model
def test_recency_far_above_T_is_refused(cls, fitted):
    _, (x, t_x, T) = fitted[cls]
    t_x = t_x.copy()
    t_x[np.flatnonzero(x > 0)[:3]] += 1000
    with pytest.raises(InvalidInputError, match="3 customers have recency greater than"):
        cls().fit(x, t_x, T)


def corrupt(kind, x, t_x, T):
    x, t_x, T = x.copy(), t_x.copy(), T.copy()
    repeat, once = np.flatnonzero(x > 0), np.flatnonzero(x == 0)
    if kind == "nan":
        x[:2] = np.nan
    elif kind == "negative":
        T[:4] = -1.0
    elif kind == "repeat_without_recency":
        t_x[repeat[:3]] = 0.0
    elif kind == "recency_without_repeat":
        t_x[once[:3]] = 1.0
    elif kind == "fractional_frequency":
        x[repeat[:1]] += 0.5
    elif kind == "lengths":
        T = T[:-1]
    elif kind == "text":
        x = x.astype(object)
        x[0] = "two"
    return x, t_x, T


@every_model
@pytest.mark.parametrize(
    "kind, message",
    [
        ("nan", "frequency has 2 missing or infinite values"),
        ("negative", "has 4 negative values"),
        ("repeat_without_recency", "3 customers have repeat purchases but recency 0"),
        ("recency_without_repeat", "3 customers have no repeat purchase but a recency"),
        ("fractional_frequency", "frequency has 1 non-integer value"),
        ("lengths", "same length"),
        ("text", "frequency must be numbers"),
    ],
)
def test_bad_input_gives_a_clear_value_error(cls, fitted, kind, message):
    _, columns = fitted[cls]
    with pytest.raises(ValueError, match=message) as caught:
        cls().fit(*corrupt(kind, *columns))
    assert isinstance(caught.value, PatronError)


@every_model
def test_degenerate_data_is_explained(cls):
    with pytest.raises(DegenerateDataError, match="bought only once"):
        cls().fit(np.zeros(50), np.zeros(50), np.full(50, 6.0))
    with pytest.raises(DegenerateDataError, match="at least two customers"):
        cls().fit([2], [3], [6])
    with pytest.raises(DegenerateDataError, match="no customers"):
        cls().fit([], [], [])


@every_model
def test_predictions_need_parameters(cls):
    with pytest.raises(ModelError, match="call fit"):
        cls().probability_alive(1, 2, 3)
    with pytest.raises(ModelError, match="takes parameters"):
        cls.from_params(nonsense=1.0)


@every_model
def test_prediction_shapes_follow_numpy_broadcasting(cls, fitted):
    model, (x, t_x, T) = fitted[cls]
    assert model.probability_alive(x, t_x, T).shape == x.shape
    assert model.expected_purchases(5, x, t_x, T).shape == x.shape
    assert model.expected_time_to_next_purchase(x, t_x, T).shape == x.shape
    assert np.shape(model.probability_alive(2, 3, 6)) == ()
    assert np.shape(model.expected_number_of_purchases_up_to_time(5)) == ()
    horizons = np.array([1.0, 2.0, 5.0])[:, None]
    assert model.expected_purchases(horizons, x[:7], t_x[:7], T[:7]).shape == (3, 7)
    np.testing.assert_array_equal(
        model.expected_purchases(5, x, t_x, T),
        model.conditional_expected_number_of_purchases_up_to_time(5, x, t_x, T),
    )


@every_model
def test_predictions_are_probabilities_and_grow_with_time(cls, fitted):
    model, (x, t_x, T) = fitted[cls]
    alive = model.probability_alive(x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    horizons = np.array([0.0, 1.0, 2.0, 4.0, 8.0, 16.0])[:, None]
    expected = model.expected_purchases(horizons, x, t_x, T)
    assert np.all(expected[0] == 0)
    assert np.all(np.diff(expected, axis=0) > 0)
    new = model.expected_number_of_purchases_up_to_time(horizons.ravel())
    assert new[0] == 0 and np.all(np.diff(new) > 0)


@every_model
def test_longer_silence_means_less_likely_alive(cls, fitted):
    model, _ = fitted[cls]
    ages = np.arange(6.0, 12.0)
    alive = model.probability_alive(3, 5, ages)
    assert np.all(np.diff(alive) < 0)


@every_model
def test_heavier_buyers_buy_again_sooner(cls, fitted):
    model, _ = fitted[cls]
    wait = model.expected_time_to_next_purchase(np.arange(1.0, 6.0), 5.0, 6.0)
    assert np.all(wait > 0) and np.all(np.isfinite(wait))
    assert np.all(np.diff(wait) <= 0) and wait[-1] < wait[0]


@every_model
def test_predictions_scale_to_a_million_customers(cls, fitted):
    model, (x, t_x, T) = fitted[cls]
    many = np.resize(np.arange(x.size), 1_000_000)
    alive = model.probability_alive(x[many], t_x[many], T[many])
    np.testing.assert_array_equal(alive[: x.size], model.probability_alive(x, t_x, T))


@every_model
def test_a_large_base_is_valued_as_its_customers_one_by_one(cls, fitted, generated):
    # Above DISTINCT_ROWS_FROM customers, CLV and expected purchases are computed per distinct
    # history (or per distinct (x, T)) and spread back; below it, directly.
    from patron.models import GammaGamma, customer_lifetime_value
    from patron.models.data import DISTINCT_ROWS_FROM

    model, (x, t_x, T) = fitted[cls]
    many = np.resize(np.arange(x.size), 2 * DISTINCT_ROWS_FROM)
    spend_model = GammaGamma.from_params(p=6.0, q=4.0, gamma=15.0)
    spend = np.where(x > 0, 20.0 + x, 0.0)

    def value(rows):
        return customer_lifetime_value(model, spend_model, x[rows], t_x[rows], T[rows], spend[rows], horizon=6)

    np.testing.assert_allclose(value(many)[: x.size], value(np.arange(x.size)), rtol=1e-12)
    expected = model.expected_purchases(10.0, x[many], t_x[many], T[many])
    np.testing.assert_allclose(expected[: x.size], model.expected_purchases(10.0, x, t_x, T), rtol=1e-12)


# -- Gamma-Gamma ----------------------------------------------------------


def test_gamma_gamma_contract(generated):
    x, spend = generated["x"], generated["spend"]
    model = GammaGamma()
    assert model.fit(x, spend) is model
    assert all(v > 0 for v in model.params_.values())
    assert model.convergence_.success
    assert model.expected_average_spend() == pytest.approx(
        model.params_["p"] * model.params_["gamma"] / (model.params_["q"] - 1)
    )
    expected = model.conditional_expected_average_spend(x, spend)
    assert expected.shape == x.shape
    assert np.all(expected[x == 0] == pytest.approx(model.expected_average_spend()))


def test_gamma_gamma_weights_are_equivalent_to_repeated_rows(generated):
    x, spend = generated["x"][:500], generated["spend"][:500]
    weights = np.random.default_rng(3).integers(1, 4, 500)
    weighted = GammaGamma().fit(x, spend, weights)
    repeated = GammaGamma().fit(np.repeat(x, weights), np.repeat(spend, weights))
    assert weighted.params_ == pytest.approx(repeated.params_, rel=1e-6)


def test_gamma_gamma_degenerate_and_bad_spend():
    with pytest.raises(DegenerateDataError, match="2 repeat customers have zero mean spend"):
        GammaGamma().fit([1, 2, 3], [0.0, 0.0, 5.0])
    with pytest.raises(DegenerateDataError, match="No customer has a repeat purchase"):
        GammaGamma().fit([0, 0], [0.0, 0.0])
    with pytest.raises(DegenerateDataError, match="varies too little"):
        GammaGamma().fit([1, 2, 0], [5.0, 5.0, 0.0])
    with pytest.raises(InvalidInputError, match="1 negative value"):
        GammaGamma().fit([1, 2], [-5.0, 3.0])
    with pytest.raises(ModelError, match="q = 0.5"):
        GammaGamma.from_params(p=1.0, q=0.5, gamma=1.0).expected_average_spend()


@every_model
def test_heavy_buyers_do_not_overflow(cls, fitted):
    model, _ = fitted[cls]
    x = np.array([0.0, 1.0, 10.0, 100.0, 1000.0])
    t_x, T = (x, x + 3) if cls.discrete else (np.where(x > 0, 30.0, 0.0), np.full(5, 39.0))
    for values in (
        model.probability_alive(x, t_x, T),
        model.expected_purchases(10.0, x, t_x, T),
        model.expected_time_to_next_purchase(x, t_x, T),
    ):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)


@pytest.mark.parametrize("cls", [*TRANSACTION_MODELS, GammaGamma], ids=lambda c: c.__name__)
def test_analytic_gradient_matches_differences_of_the_likelihood(cls, fitted, generated):
    if cls is GammaGamma:
        repeat = generated["x"] > 0
        model = GammaGamma().fit(generated["x"][repeat], generated["spend"][repeat])
        data = model._fit_data(x=generated["x"][repeat], m=generated["spend"][repeat])
    else:
        model, (x, t_x, T) = fitted[cls]
        data = model._fit_data(x, t_x, T)
    # away from the optimum, where the gradient is not ~0
    params = np.array([model.params_[k] for k in cls.param_names]) * 1.3
    _, grad = model._log_likelihood_terms(params, data)
    for k in range(params.size):
        step = np.zeros(params.size)
        step[k] = 1e-6 * params[k]
        up = model._log_likelihood_terms(params + step, data)[0].sum()
        down = model._log_likelihood_terms(params - step, data)[0].sum()
        assert np.sum(grad[k]) == pytest.approx((up - down) / (2 * step[k]), rel=1e-6)


@pytest.mark.parametrize("cls", [*TRANSACTION_MODELS, GammaGamma], ids=lambda c: c.__name__)
def test_fit_objective_is_the_weighted_sum_of_the_row_likelihoods(cls, fitted, generated):
    # Models may sum their likelihood per distinct value instead of per row; it must be the same sum.
    rng = np.random.default_rng(5)
    if cls is GammaGamma:
        repeat = generated["x"] > 0
        model = GammaGamma().fit(generated["x"][repeat], generated["spend"][repeat])
        columns = {"x": generated["x"][repeat], "m": generated["spend"][repeat]}
    else:
        model, (x, t_x, T) = fitted[cls]
        columns = {"x": x, "t_x": t_x, "T": T}
    weights = rng.integers(1, 4, columns["x"].size).astype(float)
    params = np.array([model.params_[k] for k in cls.param_names]) * 1.3
    ll, grad = model._log_likelihood_terms(params, model._fit_data(**columns))
    total, total_grad = model._weighted_log_likelihood(params, model._fit_block(weights, **columns))
    assert total == pytest.approx(weights @ ll, rel=1e-12)
    np.testing.assert_allclose(total_grad, [weights @ g for g in grad], rtol=1e-10)


@pytest.mark.parametrize("cls", [*CONTINUOUS, GammaGamma], ids=lambda c: c.__name__)
def test_a_fit_started_from_a_sample_reaches_the_same_optimum(cls, generated, monkeypatch):
    from patron.models import base

    repeat = generated["x"] > 0
    columns = ((generated["x"][repeat], generated["spend"][repeat]) if cls is GammaGamma
               else (generated["x"], generated["t_x"], generated["T"]))
    direct = cls().fit(*columns)
    monkeypatch.setattr(base, "SAMPLE_START_ROWS", 500)
    monkeypatch.setattr(base, "SAMPLE_ROWS", 200)
    sampled = cls().fit(*columns)
    assert "sample" in sampled.convergence_.message and sampled.convergence_.success
    # As close as the direct fit itself gets (Gamma-Gamma's stops at a gradient ~5e-8 here); the
    # standard errors come from Hessians taken near the optimum, and beta of the Pareto/NBD is flat.
    assert sampled.params_ == pytest.approx(direct.params_, rel=1e-6)
    assert sampled.standard_errors_ == pytest.approx(direct.standard_errors_, rel=2e-3)
    assert sampled.log_likelihood_ == pytest.approx(direct.log_likelihood_, rel=1e-12)
