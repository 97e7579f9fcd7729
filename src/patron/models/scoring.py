"""Fitting the value models on compressed histories, and scoring customers batch by batch.

Engine-agnostic and pure NumPy: an engine hands over the *distinct*
histories with their counts (a few thousand rows for millions of
customers), :func:`fit_value_models` fits on them, and the resulting
:class:`Scorer` is applied to Arrow record batches wherever the customers
are (in the driver for DuckDB, on the executors for Spark).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa

from patron.errors import PatronError
from patron.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    BetaGeoCovariates,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ParetoNBDCovariates,
    customer_lifetime_value,
)
from patron.models.base import ModelError
from patron.models.covariates import CovariateModel
from patron.models.uncertainty import METHOD, delta_intervals, if_alive_table, parameter_intervals, value_intervals

#: The transaction models ``--model`` names. ``bgbb`` treats each period (day, week, month) as one
#: opportunity to buy: frequency is the number of later periods with a purchase, T the periods since the first.
MODELS = {"bgnbd": BetaGeo, "pareto": ParetoNBD, "mbgnbd": ModifiedBetaGeo, "bgbb": BetaGeoBetaBinom}
#: The models ``--covariates`` works with, by ``--model`` name: their rates depend on each party's covariates.
COVARIATE_MODELS = {"bgnbd": BetaGeoCovariates, "pareto": ParetoNBDCovariates}
#: ``--model auto`` chooses among these (the continuous-time models of the same data).
AUTO_CANDIDATES = ("bgnbd", "pareto", "mbgnbd")
#: Periods in a month, as lifetimes counts them for CLV (its ``freq``: D -> 30, W -> 4.345, M -> 1).
#: A week is 365.25 / 12 / 7 = 4.348 weeks a month to four digits; lifetimes rounds it to 4.345, and so does
#: patron, so that CLVs agree with lifetimes'. Weeks are calendar weeks, Monday to Sunday.
PERIODS_PER_MONTH = {"day": 30.0, "week": 4.345, "month": 1.0}
#: Parameter draws for the intervals of a run's totals (see :mod:`patron.models.uncertainty`).
INTERVAL_DRAWS = 100
#: Above this many distinct histories the total's interval is taken from a systematic sample of them (every
#: k-th of the sorted rows): its relative interval, applied to the exact total. 100 draws on all 351,480
#: histories of 1M simulated customers (days) took 9.5-10.7 s; on 5,022 sampled ones 1.65 s, with bounds
#: within 0.01% of the full computation's (23.930M-24.089M against 23.932M-24.088M).
INTERVAL_ROWS = 5_000

#: Columns of the customer summary a scorer reads, and the columns it writes.
SCORER_INPUTS = ("party_id", "frequency", "recency", "T", "monetary_value", "revenue")
SCORES_SCHEMA = pa.schema([
    ("party_id", pa.int64()), ("p_alive", pa.float64()), ("expected_purchases", pa.float64()),
    ("expected_spend", pa.float64()), ("clv", pa.float64()), ("next_purchase_in", pa.float64()),
    ("at_risk", pa.bool_()), ("reasons", pa.string()),
    # 95% intervals by the delta method (patron.models.uncertainty.delta_intervals); null when the fit has none.
    ("p_alive_low", pa.float64()), ("p_alive_high", pa.float64()), ("clv_low", pa.float64()),
    ("clv_high", pa.float64()),
])
#: The level of the intervals stored with the scores.
SCORES_INTERVAL_LEVEL = 0.95


def _numpy(batch, name: str) -> np.ndarray:
    return batch.column(name).to_numpy(zero_copy_only=False).astype(float)


@dataclass
class Scorer:
    """The fitted models and the settings that turn one customer's summary into scores.

    Picklable and small, so an engine can ship it to where the rows are.
    """

    model: object
    spend_model: GammaGamma
    time_unit: str
    horizon_months: int
    monthly_discount_rate: float
    margin: float
    at_risk_p_alive: float
    at_risk_threshold: float
    #: the discounted purchases of the base's distinct (x, T) for the intervals (uncertainty.if_alive_table)
    if_alive: object = None
    #: the batch's coded covariate columns (``_z0``, …) when ``model`` is a covariate model
    covariates: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        """The summary columns a batch must carry: :data:`SCORER_INPUTS` and the covariates."""
        return (*SCORER_INPUTS, *self.covariates)

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Scores for the customers of one batch (columns :attr:`inputs`).

        With covariates, each group of customers with the same covariates is scored by its own plain model
        (:meth:`~patron.models.covariates.CovariateModel.model_for`): each party's own parameters.
        """
        x, t_x, T = _numpy(batch, "frequency"), _numpy(batch, "recency"), _numpy(batch, "T")
        spend = np.nan_to_num(_numpy(batch, "monetary_value"))
        revenue = np.nan_to_num(_numpy(batch, "revenue"))
        if self.covariates:
            parts = [(model, rows, None) for model, rows in
                     self.model.groups(np.column_stack([_numpy(batch, c) for c in self.covariates]))]
        else:
            parts = [(self.model, slice(None), self.if_alive)]
        values = np.empty((4, len(x)))
        bounds, no_bounds = np.empty((4, len(x))), np.zeros(len(x), dtype=bool)
        for model, rows, table in parts:
            values[:, rows], found = self._score(model, x[rows], t_x[rows], T[rows], spend[rows], table)
            if found is None:
                no_bounds[rows] = True
            else:
                bounds[:, rows] = found
        p_alive, expected, clv, next_in = values
        expected_spend = self.spend_model.conditional_expected_average_spend(x, spend)
        bounds = [pa.array(b, mask=no_bounds) for b in bounds]
        at_risk = (x > 0) & (p_alive < self.at_risk_p_alive) & (revenue >= self.at_risk_threshold)
        reasons = np.full(len(x), None, dtype=object)
        for i in np.flatnonzero(at_risk):
            gap = T[i] - t_x[i]
            typical = t_x[i] / x[i] if x[i] else float("nan")
            reasons[i] = (f"silent {gap:.0f} {self.time_unit}s; bought every {typical:.1f} "
                          f"{self.time_unit}s over {int(x[i]) + 1} purchases")
        return pa.RecordBatch.from_arrays(
            [batch.column("party_id").cast(pa.int64()), pa.array(p_alive), pa.array(expected),
             pa.array(expected_spend), pa.array(clv), pa.array(next_in), pa.array(at_risk),
             pa.array(reasons, type=pa.string()), *bounds],
            schema=SCORES_SCHEMA,
        )

    def _score(self, model, x, t_x, T, spend, table):
        """(P(alive), expected purchases, CLV, time to next purchase) and the four interval bounds (``None``
        without a covariance) of customers scored by one plain ``model``."""
        per_month = PERIODS_PER_MONTH[self.time_unit]
        horizon = self.horizon_months * per_month
        p_alive = model.probability_alive(x, t_x, T)
        expected = model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
        clv = customer_lifetime_value(model, self.spend_model, x, t_x, T, spend, horizon=self.horizon_months,
                                      discount_rate=self.monthly_discount_rate, margin=self.margin,
                                      time_unit_per_period=per_month)
        next_in = model.expected_time_to_next_purchase(x, t_x, T)
        try:
            found = delta_intervals(model, self.spend_model, x, t_x, T, spend, horizon=self.horizon_months,
                                    discount_rate=self.monthly_discount_rate, margin=self.margin,
                                    time_unit_per_period=per_month, level=SCORES_INTERVAL_LEVEL, table=table)
            bounds = [found[k] for k in ("p_alive_low", "p_alive_high", "clv_low", "clv_high")]
        except ModelError:  # a singular information matrix: no intervals, the scores stand
            bounds = None
        return [p_alive, expected, clv, next_in], bounds

    def batches(self, batches):
        """``mapInArrow``-style: scores for each batch of an iterator."""
        for batch in batches:
            yield self(batch)


def fit_value_models(histories: pa.Table, spend_histories: pa.Table, settings, margin: float,
                     at_risk_threshold: float, covariates: dict | None = None) -> tuple[Scorer, dict]:
    """Fit the transaction and spend models on compressed histories.

    Parameters
    ----------
    histories
        Distinct ``(frequency, recency, T)`` with ``customers`` (how many have each).
    spend_histories
        Distinct ``(frequency, monetary_value)`` of repeat buyers with positive
        spend, with ``customers``.
    settings
        :class:`~patron.service.analyze.AnalysisSettings`.
    covariates
        With covariates (:mod:`patron.analytics.covariates`): ``columns``, the coded columns of
        ``histories`` (which are then distinct with them), their model ``names`` and the ``design``
        saved with the run. The model is then ``settings.model``'s in :data:`COVARIATE_MODELS`.
    """
    w = _numpy(histories, "customers")
    x, t_x, T = _numpy(histories, "frequency"), _numpy(histories, "recency"), _numpy(histories, "T")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if covariates:
            Z = np.column_stack([_numpy(histories, c) for c in covariates["columns"]])
            model, choice = COVARIATE_MODELS[settings.model]().fit(x, t_x, T, Z, names=covariates["names"],
                                                                   weights=w), None
        elif settings.model == "auto":
            model, choice = choose_model(x, t_x, T, w)
        else:
            model, choice = MODELS[settings.model]().fit(x, t_x, T, weights=w), None
    model_class = type(model)
    try:
        spend_model = GammaGamma().fit(_numpy(spend_histories, "frequency"),
                                       _numpy(spend_histories, "monetary_value"),
                                       weights=_numpy(spend_histories, "customers"))
    except ModelError as exc:
        raise PatronError(f"Cannot fit the spend model: {exc}") from exc
    scorer = Scorer(model, spend_model, settings.time_unit, settings.horizon_months,
                    settings.monthly_discount_rate, margin, settings.at_risk_p_alive, at_risk_threshold,
                    covariates=tuple(covariates["columns"]) if covariates else ())
    try:  # the intervals' sums once per distinct (x, T) of the base, not once per batch
        scorer.if_alive = None if covariates else if_alive_table(
            model, x, T, horizon=settings.horizon_months, discount_rate=settings.monthly_discount_rate,
            time_unit_per_period=PERIODS_PER_MONTH[settings.time_unit])
    except ModelError:
        scorer.if_alive = None
    diagnostics = {
        "transaction_model": {
            "name": model_class.__name__, "params": model.params_,
            "standard_errors": getattr(model, "standard_errors_", None),
            "log_likelihood": model.log_likelihood_,
            "convergence": plain(model.convergence_),
        },
        "spend_model": {
            "name": "GammaGamma", "params": spend_model.params_,
            "standard_errors": getattr(spend_model, "standard_errors_", None),
            "log_likelihood": spend_model.log_likelihood_,
            "convergence": plain(spend_model.convergence_),
            "repeat_customers": int(_numpy(spend_histories, "customers").sum()),
        },
        # A run service reads these to decide whether the run may become current (issue 11).
        "converged": bool(model.converged_ and spend_model.converged_),
        "model_choice": choice,
        "fit_warnings": [*model.fit_warnings_, *spend_model.fit_warnings_],
        "compressed_histories": histories.num_rows,
        "warnings": [str(m.message) for m in caught],
        "margin": margin,
        "at_risk_revenue_threshold": float(at_risk_threshold) if np.isfinite(at_risk_threshold) else None,
    }
    if covariates:
        diagnostics["transaction_model"].update(covariate_diagnostics(model, covariates["design"]))
    diagnostics["intervals"] = run_intervals(model, spend_model, histories, settings, margin)
    return scorer, diagnostics


def covariate_diagnostics(model: CovariateModel, design: list) -> dict:
    """What a run saves of a covariate model beside its baseline: the columns, the coefficients with standard
    errors and intervals, and the plain model it started from (the diagnostics' charts are drawn from it)."""
    plain_fit = model.plain_model_
    return {"covariates": design, "coefficients": model.coefficient_table(),
            "plain_model": {"name": type(plain_fit).__name__, "params": plain_fit.params_,
                            "log_likelihood": plain_fit.log_likelihood_}}


def choose_model(x, t_x, T, weights) -> tuple[object, dict]:
    """``--model auto``: fit BG/NBD, Pareto/NBD and MBG/NBD and keep the one with the lowest AIC among sound fits.

    The three are likelihoods of the same data (the purchase times given T), so their log-likelihoods
    compare; all have four parameters, so AIC and BIC rank them as the log-likelihood does. A fit that did
    not converge cleanly or whose parameters run away (``fit_warnings_``) is not chosen while a sound one
    exists. Returns the chosen model and the comparison (saved with the run and printed).
    """
    candidates, fitted = [], {}
    n = float(np.sum(weights))
    for key in AUTO_CANDIDATES:
        try:
            model = MODELS[key]().fit(x, t_x, T, weights=weights)
        except ModelError as exc:
            candidates.append({"model": key, "name": MODELS[key].__name__, "error": str(exc)})
            continue
        k = len(model.param_names)
        fitted[key] = model
        candidates.append({"model": key, "name": type(model).__name__, "log_likelihood": model.log_likelihood_,
                           "aic": 2 * k - 2 * model.log_likelihood_, "bic": k * np.log(n) - 2 * model.log_likelihood_,
                           "sound": bool(model.converged_)})
    scored = [c for c in candidates if "aic" in c]
    if not scored:
        raise PatronError("None of the models could be fitted: " + "; ".join(c["error"] for c in candidates))
    pool = [c for c in scored if c["sound"]] or scored
    best = min(pool, key=lambda c: c["aic"])
    others = sorted((c for c in scored if c is not best), key=lambda c: c["aic"])
    why = (f"{best['name']} has the lowest AIC ({best['aic']:,.1f})" + "".join(
        f"; {c['name']} {c['aic']:,.1f} (+{c['aic'] - best['aic']:,.1f}{'' if c['sound'] else ', not sound'})"
        for c in others) + ". Lower is better: AIC = 2k - 2 log-likelihood, k = 4 for each.")
    return fitted[best["model"]], {"criterion": "AIC", "chosen": best["model"], "why": why, "candidates": candidates}


def run_intervals(model, spend_model, histories: pa.Table, settings, margin: float, level: float = 0.95) -> dict:
    """Intervals of a run: the parameters', and the total CLV's by parametric draws over the distinct histories.

    ``histories`` may carry ``spend_sum`` (the sum of the customers' mean spend per history), which makes the
    total exact (CLV is linear in spend); without it the intervals of the total are not computed. Saved with
    the run with both models' log-parameter covariances, from which a customer's intervals are computed when
    asked for (:func:`customer_intervals`).
    """
    out = {"level": level, "method": METHOD,
           "log_covariance": {"transaction_model": model.log_covariance_, "spend_model": spend_model.log_covariance_}}
    try:
        out["parameters"] = {"transaction_model": parameter_intervals(model, level),
                             "spend_model": parameter_intervals(spend_model, level)}
    except ModelError as exc:
        out["error"] = str(exc)
        return out
    if isinstance(model, CovariateModel):  # the draws would need every covariate group's model per draw
        out["total_not_computed"] = ("the total CLV's interval is not computed for a model with covariates; each "
                                     "customer's intervals are (delta method)")
        return out
    if "spend_sum" not in histories.column_names:
        return out
    w = _numpy(histories, "customers")
    columns = [_numpy(histories, "frequency"), _numpy(histories, "recency"), _numpy(histories, "T"),
               np.nan_to_num(_numpy(histories, "spend_sum")) / w, w]
    options = {"horizon": settings.horizon_months, "discount_rate": settings.monthly_discount_rate,
               "margin": margin, "time_unit_per_period": PERIODS_PER_MONTH[settings.time_unit], "level": level,
               "draws": INTERVAL_DRAWS}
    every = max(1, w.size // INTERVAL_ROWS)
    try:
        if every > 1:
            order = np.lexsort(columns[2::-1])[::every]
            found = value_intervals(model, spend_model, *(c[order] for c in columns[:4]), columns[4][order],
                                    **options)
            exact = float(customer_lifetime_value(model, spend_model, *columns[:4], **{
                k: options[k] for k in ("horizon", "discount_rate", "margin", "time_unit_per_period")}) @ w)
            scale = exact / found.total_clv
            found.total_clv_low, found.total_clv_high, found.total_clv = (
                found.total_clv_low * scale, found.total_clv_high * scale, exact)
            out["sampled_histories"] = int(order.size)
        else:
            found = value_intervals(model, spend_model, *columns[:4], columns[4], **options)
    except ModelError as exc:
        out["error"] = str(exc)
        return out
    out.update(draws=found.draws, dropped_draws=found.dropped, total_clv=found.total_clv,
               total_clv_low=found.total_clv_low, total_clv_high=found.total_clv_high)
    return out


def customer_intervals(diagnostics: dict, settings: dict, frequency: float, recency: float, T: float,
                       mean_spend: float, draws: int = 200) -> dict | None:
    """One customer's intervals on P(alive) and CLV from a saved run's parameters and covariances.

    ``None`` when the run saved no covariance (runs made before intervals existed, or a singular fit).
    """
    saved = (diagnostics.get("intervals") or {}).get("log_covariance")
    if not saved or "parameters" not in diagnostics.get("intervals", {}):
        return None
    fitted = []
    for key, classes in (("transaction_model", {c.__name__: c for c in MODELS.values()}),
                         ("spend_model", {"GammaGamma": GammaGamma})):
        part = diagnostics[key]
        model = classes[part["name"]].from_params(**part["params"])
        model.log_covariance_ = np.asarray(saved[key], dtype=float)
        fitted.append(model)
    found = value_intervals(*fitted, [frequency], [recency], [T], [mean_spend or 0.0],
                            horizon=int(settings.get("horizon_months", 12)),
                            discount_rate=float(settings.get("monthly_discount_rate", 0.01)),
                            margin=float(diagnostics.get("margin", 1.0)),
                            time_unit_per_period=PERIODS_PER_MONTH[settings.get("time_unit", "day")],
                            level=diagnostics["intervals"]["level"], draws=draws)
    return {"level": found.level, "method": found.method, "p_alive": (float(found.p_alive_low[0]),
            float(found.p_alive_high[0])), "clv": (float(found.clv_low[0]), float(found.clv_high[0]))}


def plain(value):
    """Dataclasses, dicts and NumPy values as plain JSON-ready Python."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value
