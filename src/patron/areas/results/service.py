"""The results area's use cases: a campaign's measured response with its charts, the uplift model's suggestions,
and before/after a change date. The statistics are in :mod:`patron.act.measure` and :mod:`patron.models.uplift`."""

from __future__ import annotations

import datetime as dt
import math

import altair as alt
import pandas as pd

from patron.act import measure
from patron.service.charts import inline_svg
from patron.service.permissions import User
from patron.store import Store

ACTION = "campaigns.results"


def _require(user: User | None) -> None:
    if user is not None:  # the CLI runs as the machine's owner
        user.require(ACTION)


def plain(value):
    """JSON-safe: NaN and infinities become None, numpy numbers Python numbers, datetimes ISO text."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def campaign_results(store: Store, user: User | None, campaign_id: int, *, window_days: int = measure.WINDOW_DAYS,
                     by: str | None = None, run_id: int | None = None) -> dict:
    _require(user)
    return plain(measure.campaign_results(store, campaign_id, window_days=window_days, by=by, run_id=run_id))


def uplift_suggestions(store: Store, user: User | None, campaign_id: int, *, method: str = "two_model",
                       window_days: int = measure.WINDOW_DAYS, seed: int = 0) -> dict:
    _require(user)
    return plain(measure.uplift_suggestions(store, campaign_id, method=method, window_days=window_days, seed=seed))


def before_after(store: Store, user: User | None, change_date: dt.datetime, treated: list[int], control: list[int],
                 weeks: int = 26) -> dict:
    _require(user)
    return plain(measure.before_after(store, change_date, treated, control, weeks=weeks))


def group_parties(store: Store, *, segment: str | None = None, rung: str | None = None, triage: str | None = None,
                  campaign_id: int | None = None, arm: str | None = None) -> list[int]:
    """Parties for a before/after group: of the current run's segment, rung or triage group, or of a campaign's arm."""
    if campaign_id is not None:
        sql, params = "SELECT party_id FROM campaign_members WHERE campaign_id = ?", [int(campaign_id)]
        if arm:
            sql, params = sql + " AND arm = ?", [*params, arm]
        return [r[0] for r in store.query(sql, params)]
    from patron.service.runs import current_run

    run_id = current_run(store)
    column, value = next((c, v) for c, v in (("rfm_segment", segment), ("rung", rung), ("triage", triage)) if v)
    return [r[0] for r in store.query(f"SELECT party_id FROM scores WHERE run_id = ? AND {column} = ?",
                                      [run_id, value])]


def _interval_bars(rows: list[dict], measure_name: str, title: str, fmt: str) -> alt.Chart:
    data = pd.DataFrame([{"group": r["label"], "estimate": r[measure_name]["estimate"],
                          "low": r[measure_name]["low"], "high": r[measure_name]["high"]}
                         for r in rows if r.get(measure_name) and r[measure_name]["estimate"] is not None])
    base = alt.Chart(data, title=title).encode(alt.Y("group:N", sort=None, title=None))
    bars = base.mark_rule(strokeWidth=2).encode(alt.X("low:Q", title=f"treated − control ({fmt})"), alt.X2("high:Q"))
    dots = base.mark_point(filled=True, size=70).encode(alt.X("estimate:Q"))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(strokeDash=[4, 3], color="#777").encode(x="x:Q")
    return (bars + dots + zero).properties(width=460, height=28 * max(len(data), 1) + 20)


def _curve_chart(curves: dict) -> alt.Chart:
    """The Qini and the uplift curve side by side, each with the straight line of targeting in random order."""
    lines = alt.Scale(domain=["ranked by score", "random order"], range=["#1f5fa8", "#999999"])
    dashes = alt.Scale(domain=["ranked by score", "random order"], range=[[1, 0], [5, 4]])
    panels = []
    for kind, name in (("qini_curve", "Qini curve"), ("uplift_curve", "Uplift curve")):
        points = curves[kind]
        end = points[-1]["value"] if points else 0.0
        rows = [{"share": p["share"], "value": p["value"], "line": "ranked by score"} for p in points]
        rows += [{"share": 0.0, "value": 0.0, "line": "random order"}, {"share": 1.0, "value": end,
                                                                       "line": "random order"}]
        panels.append(alt.Chart(pd.DataFrame(rows), title=name).mark_line().encode(
            alt.X("share:Q", title=f"share targeted, highest {curves['score']} first", axis=alt.Axis(format="%")),
            alt.Y("value:Q", title="incremental responses"),
            alt.Color("line:N", title=None, scale=lines), alt.StrokeDash("line:N", scale=dashes, legend=None))
            .properties(width=250, height=220))
    return alt.hconcat(*panels)


def result_charts(result: dict) -> dict[str, str]:
    """The page's charts as inline SVG: intervals of the three measures by group, and the curves."""
    charts = {}
    rows = [{"label": "treated vs control", **result["treated_vs_control"]}]
    if result.get("treated_vs_holdout"):
        rows.append({"label": "treated vs global holdout", **result["treated_vs_holdout"]})
    groups = [{"label": g["group"], **g} for g in result.get("groups") or [] if "response" in g]
    charts["response"] = inline_svg(_interval_bars(rows + groups, "response", "Response rate uplift", "share"))
    charts["revenue"] = inline_svg(_interval_bars(rows + groups, "revenue", "Revenue per member", "EUR"))
    if result["treated_vs_control"].get("clv_change"):
        charts["clv"] = inline_svg(_interval_bars(rows + groups, "clv_change", "CLV change per member", "EUR"))
    if result.get("curves"):
        charts["curves"] = inline_svg(_curve_chart(result["curves"]))
    return charts
