"""The results area's use cases: a campaign's measured response with its charts, the uplift model's suggestions,
and before/after a change date. The statistics are in :mod:`patron.act.measure` and :mod:`patron.models.uplift`."""

from __future__ import annotations

import datetime as dt
import math

import altair as alt
import pandas as pd

from patron.act import measure
from patron.areas.parties.lists import selection_sql
from patron.areas.views.service import view_filters
from patron.errors import InvalidInput, NotFound, PatronError
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


#: The kinds of group a before/after compares, as written ``kind:value`` (``rung:advocate``, ``country:FR``,
#: ``view:Lapsed Paris``, ``campaign:3:treated``), with their labels.
GROUP_KINDS = {"segment": "RFM segment", "rung": "Rung", "triage": "Triage group", "view": "Saved view",
               "country": "Country", "campaign": "Campaign"}


def parse_group(text: str, where: str) -> tuple[str, str]:
    """``"rung:advocate"`` -> ``("rung", "advocate")``, or a clear error naming ``where``."""
    kind, _, value = (text or "").partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if kind not in GROUP_KINDS or not value:
        raise InvalidInput(f"{where}: '{text}' is not a group; write kind:value with kind one of "
                           f"{', '.join(GROUP_KINDS)} (e.g. rung:advocate, country:FR, view:My view, "
                           "campaign:3:treated).")
    return kind, value


def group_label(text: str) -> str:
    kind, value = parse_group(text, "group")
    if kind == "campaign":
        number, _, arm = value.partition(":")
        return f"Campaign {number}, {arm or 'treated'} members"
    return f"{GROUP_KINDS[kind]}: {value}"


def group_members(store: Store, text: str, where: str = "group") -> list[int]:
    """The party ids of the group ``kind:value`` (:data:`GROUP_KINDS`); a group with nobody is an error."""
    kind, value = parse_group(text, where)
    if kind == "campaign":
        number, _, arm = value.partition(":")
        if not number.isdigit():
            raise InvalidInput(f"{where}: '{text}': write campaign:NUMBER or campaign:NUMBER:ARM (treated, control).")
        ids = group_parties(store, campaign_id=int(number), arm=arm or "treated")
    elif kind == "view":
        found = store.query("SELECT view_id FROM saved_views WHERE area = 'customers' AND lower(name) = lower(?) "
                            "ORDER BY shared DESC, view_id", [value])
        if not found:
            raise NotFound(f"{where}: there is no saved view of the customer list named '{value}'.")
        filters, _ = view_filters(store, int(found[0][0]))
        sql, params = selection_sql(store, filters)
        ids = [r[0] for r in store.query(sql, params)]
    elif kind == "country":
        ids = [r[0] for r in store.query("SELECT party_id FROM parties WHERE upper(country) = upper(?)", [value])]
    else:
        ids = group_parties(store, **{kind: value})
    if not ids:
        raise InvalidInput(f"{where}: nobody is in {group_label(text)}.")
    return [int(i) for i in ids]


def group_choices(store: Store) -> list[tuple[str, str]]:
    """The groups a marketer can pick (``kind:value``, label): the current run's triage groups, rungs and
    segments, the shared saved views, and the countries."""
    from patron.service.runs import current_run

    choices = []
    try:
        run_id = current_run(store)
    except PatronError:  # no analysis yet: views and countries only
        run_id = None
    if run_id is not None:
        for kind, column in (("triage", "triage"), ("rung", "rung"), ("segment", "rfm_segment")):
            for (value,) in store.query(f"SELECT DISTINCT {column} FROM scores WHERE run_id = ? AND {column} IS "
                                        f"NOT NULL ORDER BY 1", [run_id]):
                choices.append((f"{kind}:{value}", f"{GROUP_KINDS[kind]}: {value}"))
    for (name,) in store.query("SELECT DISTINCT name FROM saved_views WHERE area = 'customers' ORDER BY 1"):
        choices.append((f"view:{name}", f"Saved view: {name}"))
    for (country,) in store.query("SELECT DISTINCT country FROM parties WHERE country IS NOT NULL ORDER BY 1"):
        choices.append((f"country:{country}", f"Country: {country}"))
    return choices


def before_after_groups(store: Store, user: User | None, change_date: dt.datetime, treated: str, control: str, *,
                        weeks: int = 26) -> dict:
    """Before/after a change for two groups named ``kind:value``: the weekly series of both, the difference in
    differences with its interval (:func:`patron.act.measure.before_after`), and the groups' labels."""
    _require(user)
    ids_t = group_members(store, treated, "treated")
    ids_c = group_members(store, control, "control")
    overlap = set(ids_t) & set(ids_c)
    if overlap:  # the changed group wins: a control must be untouched by the change
        ids_c = [p for p in ids_c if p not in overlap]
    result = plain(measure.before_after(store, change_date, ids_t, ids_c, weeks=weeks))
    return {**result, "treated": treated, "control": control, "treated_label": group_label(treated),
            "control_label": group_label(control), "left_out_of_control": len(overlap)}


def before_after_chart(result: dict) -> str:
    """The two weekly series with the change date marked, as inline SVG."""
    rows = [{"week": w, "value": v, "group": f"changed: {result['treated_label']}"}
            for w, v in zip(result["week_starts"], result["treated_series"], strict=True)]
    rows += [{"week": w, "value": v, "group": f"control: {result['control_label']}"}
             for w, v in zip(result["week_starts"], result["control_series"], strict=True)]
    lines = alt.Chart(pd.DataFrame(rows), title="Revenue per party and week").mark_line(point=True).encode(
        alt.X("week:T", title="week starting"), alt.Y("value:Q", title="revenue per party (EUR)"),
        alt.Color("group:N", title=None, legend=alt.Legend(orient="bottom")))
    date = result["change_date"][:10]
    mark = alt.Chart(pd.DataFrame({"week": [date], "label": [f"change {date}"]}))
    rule = mark.mark_rule(strokeDash=[5, 4], color="#b03a2e").encode(x="week:T")
    text = mark.mark_text(align="left", dx=4, dy=-6, color="#b03a2e").encode(x="week:T", text="label:N",
                                                                                y=alt.value(8))
    return inline_svg((lines + rule + text).properties(width=560, height=260))


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
    if run_id is None:
        raise InvalidInput("Segments, rungs and triage groups come from an analysis: run patron analyze first.")
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
