"""Contract (subscription) retention: the sBG model fitted on one cohort's survivors (``patron retention``)."""

from __future__ import annotations

from dataclasses import dataclass

from patron.errors import InvalidInput
from patron.models import ModelError, ShiftedBetaGeo
from patron.models.uncertainty import parameter_intervals


@dataclass
class RetentionReport:
    survivors: list[float]
    params: dict
    standard_errors: dict
    intervals: dict
    warnings: list[str]
    #: per period t >= 1: actual survivors (None past the data), model survivors, retention rate, expected periods
    rows: list[dict]
    new_customer_periods: float
    discount: float


def retention_report(survivors: str | list[float], project: int = 5, discount: float = 0.1) -> RetentionReport:
    """Fit the sBG on ``survivors`` (text ``1000,631,…`` or numbers) and project ``project`` periods further."""
    if isinstance(survivors, str):
        try:
            counts = [float(part) for part in survivors.split(",") if part.strip()]
        except ValueError:
            raise InvalidInput(f"The survivors must be numbers separated by commas; got '{survivors}'.") from None
    else:
        counts = [float(c) for c in survivors]
    if not 0 <= project <= 100 or not 0 <= discount < 1:
        raise InvalidInput("Projections run 0 to 100 periods, and the discount rate is from 0 to below 1.")
    try:
        model = ShiftedBetaGeo().fit_survivors(counts)
        intervals = parameter_intervals(model)
    except ModelError as exc:
        raise InvalidInput(f"Cannot fit the retention model: {exc}") from exc
    rows = [{"period": t, "actual": counts[t] if t < len(counts) else None,
             "model": counts[0] * float(model.survival(t)), "retention": float(model.retention_rate(t)),
             "expected_periods": float(model.expected_periods(t, discount))}
            for t in range(1, len(counts) + project)]
    return RetentionReport(counts, dict(model.params_), dict(model.standard_errors_), intervals,
                           list(model.fit_warnings_), rows, float(model.expected_periods(0, discount)), discount)
