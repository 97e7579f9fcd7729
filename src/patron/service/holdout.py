"""Calibration / holdout validation of the transaction model.

Fit on purchases up to ``calibration_end``, predict each customer's repeat
purchases over the rest of the window, and compare with what they did:
by number of calibration purchases (0, 1, …, 7+) and in total.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from patron.analytics.summary import customer_summary, summary_arrays
from patron.errors import PatronError
from patron.service.analyze import MODELS, PERIODS_PER_MONTH
from patron.service.inputs import parse_date
from patron.store import Store


@dataclass
class HoldoutReport:
    calibration_end: dt.datetime
    observation_end: dt.datetime
    customers: int
    params: dict
    rows: list[dict]  # frequency_cal, customers, predicted, actual (means per customer)
    predicted_total: float
    actual_total: float

    @property
    def error_total(self) -> float:
        """Relative error of the total predicted holdout purchases."""
        return (self.predicted_total - self.actual_total) / self.actual_total if self.actual_total else float("nan")


def holdout_report(store: Store, calibration_end: str | dt.datetime, observation_end: str | dt.datetime | None = None,
                   *, time_unit: str = "day", model: str = "bgnbd", cap: int = 7) -> HoldoutReport:
    """Fit on the calibration window, compare predicted with actual holdout purchases."""
    if time_unit not in PERIODS_PER_MONTH or model not in MODELS:
        raise PatronError("Unknown time unit or model.")
    tx = store.table("transactions")
    cal_end = parse_date(calibration_end, "the split date (--split)")
    obs_end = (parse_date(observation_end, "the end of the holdout (--until)") if observation_end
               else tx.occurred_at.max().to_pyarrow().as_py())
    if obs_end <= cal_end:
        raise PatronError("The holdout period is empty: the calibration end must be before the last purchase.")
    col = summary_arrays(customer_summary(tx, time_unit=time_unit, calibration_end=cal_end, observation_end=obs_end,
                                          details=False),
                         ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"))
    if col["frequency"].size == 0:
        raise PatronError("No customers bought before the calibration end.")
    x, t_x, T = col["frequency"], col["recency"], col["T"]
    fitted = MODELS[model]().fit(x, t_x, T)
    duration = col["duration_holdout"]
    predicted = fitted.conditional_expected_number_of_purchases_up_to_time(duration, x, t_x, T)
    actual = col["frequency_holdout"]
    bucket = np.minimum(x, cap).astype(int)
    rows = []
    for b in range(cap + 1):
        mask = bucket == b
        if mask.any():
            rows.append({"frequency_cal": f"{b}+" if b == cap else str(b), "customers": int(mask.sum()),
                         "predicted": float(predicted[mask].mean()), "actual": float(actual[mask].mean())})
    return HoldoutReport(cal_end, obs_end, int(x.size), dict(fitted.params_), rows,
                         float(predicted.sum()), float(actual.sum()))
