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
from patron.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD, customer_lifetime_value
from patron.models.base import ModelError

MODELS = {"bgnbd": BetaGeo, "pareto": ParetoNBD, "mbgnbd": ModifiedBetaGeo}
PERIODS_PER_MONTH = {"day": 30.0, "week": 30.0 / 7.0, "month": 1.0}

#: Columns of the customer summary a scorer reads, and the columns it writes.
SCORER_INPUTS = ("party_id", "frequency", "recency", "T", "monetary_value", "revenue")
SCORES_SCHEMA = pa.schema([
    ("party_id", pa.int64()), ("p_alive", pa.float64()), ("expected_purchases", pa.float64()),
    ("expected_spend", pa.float64()), ("clv", pa.float64()), ("next_purchase_in", pa.float64()),
    ("at_risk", pa.bool_()), ("reasons", pa.string()),
])


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

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Scores for the customers of one batch (columns :data:`SCORER_INPUTS`)."""
        x, t_x, T = _numpy(batch, "frequency"), _numpy(batch, "recency"), _numpy(batch, "T")
        spend = np.nan_to_num(_numpy(batch, "monetary_value"))
        revenue = np.nan_to_num(_numpy(batch, "revenue"))
        model = self.model
        per_month = PERIODS_PER_MONTH[self.time_unit]
        horizon = self.horizon_months * per_month
        p_alive = model.probability_alive(x, t_x, T)
        expected = model.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
        expected_spend = self.spend_model.conditional_expected_average_spend(x, spend)
        clv = customer_lifetime_value(model, self.spend_model, x, t_x, T, spend, horizon=self.horizon_months,
                                      discount_rate=self.monthly_discount_rate, margin=self.margin,
                                      time_unit_per_period=per_month)
        next_in = model.expected_time_to_next_purchase(x, t_x, T)
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
             pa.array(reasons, type=pa.string())],
            schema=SCORES_SCHEMA,
        )

    def batches(self, batches):
        """``mapInArrow``-style: scores for each batch of an iterator."""
        for batch in batches:
            yield self(batch)


def fit_value_models(histories: pa.Table, spend_histories: pa.Table, settings, margin: float,
                     at_risk_threshold: float) -> tuple[Scorer, dict]:
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
    """
    model_class = MODELS[settings.model]
    w = _numpy(histories, "customers")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = model_class().fit(_numpy(histories, "frequency"), _numpy(histories, "recency"),
                                  _numpy(histories, "T"), weights=w)
    try:
        spend_model = GammaGamma().fit(_numpy(spend_histories, "frequency"),
                                       _numpy(spend_histories, "monetary_value"),
                                       weights=_numpy(spend_histories, "customers"))
    except ModelError as exc:
        raise PatronError(f"Cannot fit the spend model: {exc}") from exc
    scorer = Scorer(model, spend_model, settings.time_unit, settings.horizon_months,
                    settings.monthly_discount_rate, margin, settings.at_risk_p_alive, at_risk_threshold)
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
        "fit_warnings": [*model.fit_warnings_, *spend_model.fit_warnings_],
        "compressed_histories": histories.num_rows,
        "warnings": [str(m.message) for m in caught],
        "margin": margin,
        "at_risk_revenue_threshold": float(at_risk_threshold) if np.isfinite(at_risk_threshold) else None,
    }
    return scorer, diagnostics


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
