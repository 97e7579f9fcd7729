"""Diagnostics use cases: how well the current run's transaction model fits, in the charts users of lifetimes know.

The tracking chart refits the run's model on a calibration window (all but the last third of the history, or up
to a date given) and follows the customers who had arrived by then through the holdout, period by period; the
other diagnostics use the run's own fit.
"""

from __future__ import annotations

import datetime as dt
import json

import altair as alt
import numpy as np
import pandas as pd

from patron.analytics.periods import ordinal_of, period_ordinal, period_start
from patron.analytics.summary import customer_summary, is_refund, summary_arrays
from patron.errors import InvalidInput, NotFound, PatronError
from patron.models.data import group_rows
from patron.models.diagnostics import (
    alive_path,
    frequency_recency_matrix,
    period_transactions,
    purchase_count_probabilities,
    tracking,
)
from patron.models.errors import ModelError
from patron.models.scoring import MODELS, PERIODS_PER_MONTH
from patron.service.charts import inline_svg
from patron.service.permissions import User
from patron.service.runs import current_run
from patron.store import Store

ACTION = "customers.read"
#: Tracking is shown in weeks whatever the run's unit (a day-by-day line is noise; months are too coarse).
PER_WEEK = {"day": 7, "week": 1, "month": 1}
WIDTH, HEIGHT = 520, 260


def _run(store: Store, run_id: int | None) -> dict:
    run_id = current_run(store) if run_id is None else run_id
    rows = store.query("SELECT as_of, settings, diagnostics FROM runs WHERE run_id = ? AND kind = 'value'", [run_id])
    if not rows:
        raise NotFound(f"There is no analysis run {run_id}.")
    as_of, settings, diagnostics = rows[0]
    settings, diagnostics = json.loads(settings or "{}"), json.loads(diagnostics or "{}")
    fit = diagnostics.get("transaction_model") or {}
    # A run with covariates scores each party by its own parameters; the charts, which are of the whole base,
    # are drawn from the plain model fitted on the same customers (saved with the run).
    part = fit.get("plain_model") or fit
    classes = {c.__name__: c for c in MODELS.values()}
    if part.get("name") not in classes:
        raise PatronError(f"Run {run_id} saved no transaction model to diagnose.")
    model = classes[part["name"]].from_params(**part["params"])
    return {"run_id": run_id, "as_of": as_of, "unit": settings.get("time_unit", "day"), "settings": settings,
            "model": model, "model_name": part["name"], "fit": fit}


def _purchase_periods(store: Store, unit: str, as_of: dt.datetime, party_id: int | None = None):
    """(party_id, period ordinal) of every purchase period up to ``as_of``, distinct, as the summary counts them."""
    tx = store.table("transactions")
    tx = tx.filter((tx.occurred_at <= as_of) & ~is_refund(tx))
    if party_id is not None:
        tx = tx.filter(tx.party_id == party_id)
    found = tx.select(party=tx.party_id, period=period_ordinal(tx.occurred_at, unit)).distinct().to_pyarrow()
    return (found.column("party").to_numpy(zero_copy_only=False).astype(np.int64),
            found.column("period").to_numpy(zero_copy_only=False).astype(np.int64))


def _tracking(store: Store, run: dict, split: dt.datetime | None) -> dict:
    unit, as_of = run["unit"], run["as_of"]
    party, period = _purchase_periods(store, unit, as_of)
    if party.size == 0:
        raise PatronError("No purchases to track.")
    order = np.lexsort((period, party))
    party, period = party[order], period[order]
    starts = np.flatnonzero(np.r_[True, party[1:] != party[:-1]])
    first_of = np.repeat(period[starts], np.diff(np.r_[starts, party.size]))
    start, end = int(period.min()), ordinal_of(as_of, unit)
    if split is None:
        split_ordinal = start + (2 * (end - start)) // 3
    else:
        split_ordinal = ordinal_of(split, unit)
        if not start < split_ordinal < end:
            raise InvalidInput(f"The split date must fall between the first purchase ({period_start(start, unit):%Y-%m-%d})"
                               f" and the run's as-of date ({as_of:%Y-%m-%d}).")
    calibration_end = period_start(split_ordinal + 1, unit) - dt.timedelta(microseconds=1)
    tx = store.table("transactions")
    columns = summary_arrays(customer_summary(tx.filter(tx.occurred_at <= calibration_end), time_unit=unit,
                                              observation_end=calibration_end, details=False),
                           ("frequency", "recency", "T"))
    (x, t_x, T), weights = group_rows([columns["frequency"], columns["recency"], columns["T"]])
    try:
        model = type(run["model"])().fit(x, t_x, T, weights=weights)
    except ModelError as exc:
        raise PatronError(f"The model cannot be fitted on the calibration window alone: {exc}") from exc
    cohort = first_of <= split_ordinal  # the customers the calibration saw arrive
    is_first = np.zeros(party.size, dtype=bool)
    is_first[starts] = True
    found = tracking(model, period[starts][period[starts] <= split_ordinal], period[cohort & ~is_first],
                     start=start, end=end)
    step = PER_WEEK[unit]
    picks = np.arange(found["period"].size - 1, -1, -step)[::-1]  # the last period of each week, ending at as_of
    cumulative_actual, cumulative_expected = found["actual_cumulative"][picks], found["expected_cumulative"][picks]
    weeks = [period_start(int(found["period"][i]), unit) for i in picks]
    holdout = np.array([found["period"][i] > split_ordinal for i in picks])
    return {"split": period_start(split_ordinal, unit), "customers": int(cohort[starts].sum()),
            "params": model.params_, "weeks": weeks, "holdout": holdout.tolist(),
            "actual_cumulative": cumulative_actual.tolist(), "expected_cumulative": cumulative_expected.tolist(),
            "actual_incremental": np.diff(cumulative_actual, prepend=0.0).tolist(),
            "expected_incremental": np.diff(cumulative_expected, prepend=0.0).tolist(),
            "holdout_actual": float(cumulative_actual[-1] - cumulative_actual[~holdout][-1]) if (~holdout).any()
            else float(cumulative_actual[-1]),
            "holdout_expected": float(cumulative_expected[-1] - cumulative_expected[~holdout][-1]) if (~holdout).any()
            else float(cumulative_expected[-1])}


def diagnostics(store: Store, user: User, run_id: int | None = None, split: dt.datetime | None = None) -> dict:
    """Every diagnostic of a run (default the current one), as data."""
    user.require(ACTION)
    run = _run(store, run_id)
    model, unit = run["model"], run["unit"]
    scores = store.table("scores")
    columns = summary_arrays(scores.filter((scores.run_id == run["run_id"]) & scores.t.notnull())
                             .select(frequency=scores.frequency, T=scores.t), ("frequency", "T"))
    out = {"run_id": run["run_id"], "as_of": run["as_of"], "time_unit": unit, "model": run["model_name"],
           "params": model.params_, "customers": int(columns["T"].size), "fit": _fit(run["fit"])}
    horizon = float(run["settings"].get("horizon_months", 12)) * PERIODS_PER_MONTH[unit]
    try:
        out["period_transactions"] = period_transactions(model, columns["frequency"], columns["T"])
        shares = purchase_count_probabilities(model, horizon, 10)
        out["p_of_n"] = {"t": horizon, "n": [str(k) for k in range(10)] + ["10+"], "p": shares.tolist()}
    except ModelError as exc:
        out["period_transactions"] = out["p_of_n"] = None
        out["not_available"] = str(exc)
    age = int(np.nanmax(columns["T"])) if columns["T"].size else 0
    most = int(min(30, np.nanmax(columns["frequency"]))) if columns["T"].size else 0
    grid = frequency_recency_matrix(model, T=age, t=PERIODS_PER_MONTH[unit], max_frequency=most,
                                    recency_step=max(1, age // 30))
    out["matrix"] = {"T": age, "t": grid["t"], "recency": grid["recency"].tolist(),
                     "frequency": grid["frequency"].tolist(), "expected": grid["expected"].tolist(),
                     "p_alive": grid["p_alive"].tolist()}
    out["tracking"] = _tracking(store, run, split)
    return out


def _fit(fit: dict) -> dict:
    """The run's own transaction model as fitted: its name, parameters with standard errors, log-likelihood,
    and with covariates their coding and coefficients."""
    errors = fit.get("standard_errors") or {}
    return {"name": fit.get("name"), "log_likelihood": fit.get("log_likelihood"),
            "params": [{"name": k, "value": v, "standard_error": errors.get(k)} for k, v in (fit.get("params") or {}).items()],
            "coefficients": fit.get("coefficients") or [], "covariates": fit.get("covariates") or [],
            "plain_model": fit.get("plain_model")}


def customer_alive_history(store: Store, user: User, party_id: int, run_id: int | None = None) -> dict:
    """One customer's P(alive) period by period from their first purchase to the run's as-of date."""
    user.require(ACTION)
    run = _run(store, run_id)
    _, periods = _purchase_periods(store, run["unit"], run["as_of"], party_id)
    if periods.size == 0:
        raise NotFound(f"Party {party_id} bought nothing before the run's as-of date: no P(alive) history.")
    path = alive_path(run["model"], periods, ordinal_of(run["as_of"], run["unit"]))
    return {"party_id": party_id, "run_id": run["run_id"], "time_unit": run["unit"], "model": run["model_name"],
            "periods": [period_start(int(p), run["unit"]) for p in path["period"]],
            "purchases": [period_start(int(p), run["unit"]) for p in np.unique(periods)],
            **{k: path[k].tolist() for k in ("frequency", "recency", "T", "p_alive")}}


def _line(data: pd.DataFrame, x: str, y: str, colour: str, title: str, description: str, y_title: str):
    return (alt.Chart(data, title=title, description=description).mark_line(point=False)
            .encode(alt.X(f"{x}:T", title=None), alt.Y(f"{y}:Q", title=y_title), alt.Color(f"{colour}:N", title=None),
                    tooltip=[alt.Tooltip(f"{x}:T"), colour, alt.Tooltip(f"{y}:Q", format=",.1f")])
            .properties(width=WIDTH, height=HEIGHT))


def diagnostic_charts(found: dict) -> dict:
    """The diagnostics as inline SVG charts, each with its text alternative."""
    charts = {}
    track = found["tracking"]
    split = f"{track['split']:%Y-%m-%d}"
    for kind in ("cumulative", "incremental"):
        rows = [{"week": w, "series": series, "purchases": v}
                for series, key in (("actual", f"actual_{kind}"), ("model", f"expected_{kind}"))
                for w, v in zip(track["weeks"], track[key])]
        said = (f"Weekly {kind} repeat purchases of the {track['customers']:,} customers who had bought by {split}: "
                f"actual against the model fitted up to {split} (the holdout follows). Over the holdout: actual "
                f"{track['holdout_actual']:,.0f}, model {track['holdout_expected']:,.0f}.")
        charts[f"tracking_{kind}"] = inline_svg(_line(pd.DataFrame(rows), "week", "purchases", "series",
                                                      f"Tracking, {kind}", said, f"{kind} repeat purchases"))
    if found.get("period_transactions"):
        pt = found["period_transactions"]
        rows = [{"repeat purchases": k, "series": s, "customers": v}
                for s, key in (("actual", "actual"), ("model", "expected"))
                for k, v in zip(pt["repeat_purchases"], pt[key])]
        said = "Customers by repeat purchases, actual against the model: " + "; ".join(
            f"{k}: {a:,} actual, {e:,.0f} model" for k, a, e in zip(pt["repeat_purchases"], pt["actual"],
                                                                     pt["expected"])) + "."
        charts["period_transactions"] = inline_svg(
            alt.Chart(pd.DataFrame(rows), title="Period transactions", description=said).mark_bar()
            .encode(alt.X("repeat purchases:N", sort=pt["repeat_purchases"], axis=alt.Axis(labelAngle=0)),
                    alt.XOffset("series:N"), alt.Y("customers:Q"), alt.Color("series:N", title=None),
                    tooltip=["repeat purchases", "series", alt.Tooltip("customers:Q", format=",.0f")])
            .properties(width=WIDTH, height=HEIGHT))
    m = found["matrix"]
    for key, title, scheme in (("expected", "Expected purchases next month", "blues"),
                               ("p_alive", "P(alive)", "redyellowgreen")):
        values = np.array(m[key])
        rows = [{"recency": int(r), "frequency": int(f), "value": float(values[i, j])}
                for i, r in enumerate(m["recency"]) for j, f in enumerate(m["frequency"])]
        said = (f"{title} of a customer first seen {m['T']} {found['time_unit']}s ago, by repeat purchases "
                f"(0 to {m['frequency'][-1]}) and recency: from {values.min():.2f} to {values.max():.2f}; "
                f"highest for many purchases with a recent last one.")
        charts[f"matrix_{key}"] = inline_svg(
            alt.Chart(pd.DataFrame(rows), title=title, description=said).mark_rect()
            .encode(alt.X("frequency:O", title="repeat purchases"),
                    alt.Y("recency:O", sort="descending", title=f"recency ({found['time_unit']}s)"),
                    alt.Color("value:Q", scale=alt.Scale(scheme=scheme), title=None),
                    tooltip=["frequency", "recency", alt.Tooltip("value:Q", format=".3f")])
            .properties(width=WIDTH, height=HEIGHT))
    return charts


def alive_chart(history: dict) -> str:
    data = pd.DataFrame({"period": history["periods"], "p_alive": history["p_alive"]})
    buys = ", ".join(f"{d:%Y-%m-%d}" for d in history["purchases"][:12]) + (
        " …" if len(history["purchases"]) > 12 else "")
    said = (f"P(alive) of customer {history['party_id']} from the first purchase to the run's date: "
            f"{history['p_alive'][-1]:.0%} at the end, lowest {min(history['p_alive']):.0%}; it jumps back to "
            f"100% at each purchase ({buys}) and falls while they are silent.")
    return inline_svg(alt.Chart(data, title="P(alive) history", description=said).mark_line(color="#1565c0")
                      .encode(alt.X("period:T", title=None), alt.Y("p_alive:Q", title="P(alive)",
                                                                   axis=alt.Axis(format="%"),
                                                                   scale=alt.Scale(domain=[0, 1])),
                              tooltip=[alt.Tooltip("period:T"), alt.Tooltip("p_alive:Q", format=".1%")])
                      .properties(width=WIDTH, height=HEIGHT))
