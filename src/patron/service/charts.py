"""Charts of a value run, as Vega-Lite specs (Altair), saved offline.

Every function returns an ``altair.Chart`` built from the store; ``save``
writes it as SVG or as a self-contained HTML file (the Vega libraries are
inlined by vl-convert: nothing is loaded from a CDN).
"""

from __future__ import annotations

import html
from pathlib import Path

import altair as alt
import pandas as pd

from patron.analytics.ladder import LADDER_STATES as RUNGS
from patron.store import Store
from patron.store.vocabulary import label

WIDTH, HEIGHT = 520, 300
#: The base URL vl-convert resolves relative links against; the pages' links are patron's own paths.
_DATA_BASE = "https://vega.github.io/vega-datasets/"
TRIAGE_COLOURS = alt.Scale(domain=["best", "average", "worst", "unrated"],
                           range=["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"])


def clv_distribution(store: Store, run_id: int, bins: int = 40) -> alt.Chart:
    """Histogram of CLV, binned in the engine; the top 1% is gathered in the last bin."""
    data = store.raw.execute(
        f"WITH cap AS (SELECT greatest(quantile_cont(clv, 0.99), 1e-9) AS top FROM scores "
        f"WHERE run_id = ? AND clv IS NOT NULL) "
        f"SELECT least(floor(clv / (top / {bins})), {bins - 1}) * top / {bins} AS clv_from, "
        f"(least(floor(clv / (top / {bins})), {bins - 1}) + 1) * top / {bins} AS clv_to, count(*) AS customers "
        f"FROM scores, cap WHERE run_id = ? AND clv IS NOT NULL GROUP BY 1, 2 ORDER BY 1",
        [run_id, run_id]).df()
    return (alt.Chart(data, title="Customer lifetime value (the top 1% in the last bar)")
            .mark_bar(color="#1565c0")
            .encode(alt.X("clv_from:Q", title="CLV"), alt.X2("clv_to:Q"),
                    alt.Y("customers:Q", title="customers", scale=alt.Scale(type="symlog")),
                    tooltip=[alt.Tooltip("clv_from:Q", format=",.0f"), alt.Tooltip("clv_to:Q", format=",.0f"),
                             "customers"])
            .properties(width=WIDTH, height=HEIGHT))


def p_alive_matrix(store: Store, run_id: int, columns: int = 30) -> alt.Chart:
    """Mean P(alive) by repeat purchases (rows) and recency (columns binned to about ``columns`` bins)."""
    data = store.raw.execute(
        "WITH w AS (SELECT greatest(1, ceil(quantile_cont(recency, 0.98) / ?))::INTEGER AS width FROM scores "
        "WHERE run_id = ? AND p_alive IS NOT NULL) "
        "SELECT least(frequency, 30) AS frequency, (recency::INTEGER // width) * width AS recency, "
        "avg(p_alive) AS p_alive, count(*) AS customers FROM scores, w "
        "WHERE run_id = ? AND p_alive IS NOT NULL AND recency <= width * ? GROUP BY 1, 2",
        [columns, run_id, run_id, columns + 1]).df()
    unit = json_setting(store, run_id, "time_unit", "period")
    return (alt.Chart(data, title="Probability alive by frequency and recency")
            .mark_rect()
            .encode(alt.X("recency:O", title=f"recency ({unit}s since first purchase, binned)"),
                    alt.Y("frequency:O", sort="descending", title="repeat purchases (30 = 30 or more)"),
                    alt.Color("p_alive:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
                              title="P(alive)"),
                    tooltip=["frequency", "recency", alt.Tooltip("p_alive:Q", format=".2f"), "customers"])
            .properties(width=WIDTH, height=HEIGHT))


def json_setting(store: Store, run_id: int, name: str, default: str) -> str:
    """One of a run's saved settings."""
    import json

    settings = store.scalar("SELECT settings FROM runs WHERE run_id = ?", [run_id])
    return json.loads(settings).get(name, default) if settings else default


def ladder_funnel(store: Store, run_id: int) -> alt.Chart:
    """Parties on each rung, the ladder's top (partner) first and the lapsed below suspect; a bar opens its list."""
    counts = dict(store.query("SELECT rung, count(*) FROM scores WHERE run_id = ? GROUP BY rung", [run_id]))
    order = list(reversed(RUNGS))  # partner ... suspect, lapsed: the ladder as it is climbed, read from the top
    data = pd.DataFrame({"rung": [label(r) for r in order], "parties": [counts.get(r, 0) for r in order],
                         "list": [f"/segments/rung/{r}" for r in order],
                         "says": [f"{label(r)}: {counts.get(r, 0):,} parties (open the list)" for r in order]})
    described = ", ".join(f"{label(r)} {counts.get(r, 0):,}" for r in order)
    return (alt.Chart(data, title="Ladder of loyalty",
                      description=f"Ladder of loyalty, parties on each rung from the top: {described}.")
            .mark_bar(color="#6a1b9a")
            .encode(alt.Y("rung:N", sort=[label(r) for r in order], title=None, axis=alt.Axis(labelAngle=0)),
                    alt.X("parties:Q", title="parties"), alt.Href("list:N"), alt.Description("says:N"),
                    tooltip=["rung", alt.Tooltip("parties:Q", format=",")])
            .properties(width=WIDTH, height=HEIGHT))


def ladder_migration_chart(migration: pd.DataFrame) -> alt.Chart:
    """A from-rung × to-rung heat map of a ``ladder_migration`` result."""
    order = ["new", *RUNGS]
    return (alt.Chart(migration, title="Ladder migration")
            .mark_rect()
            .encode(alt.X("to_rung:N", sort=order, title="to"), alt.Y("from_rung:N", sort=order, title="from"),
                    alt.Color("parties:Q", scale=alt.Scale(type="symlog", scheme="blues")),
                    tooltip=["from_rung", "to_rung", "parties"])
            .properties(width=WIDTH, height=HEIGHT))


def triage_chart(store: Store, run_id: int) -> alt.Chart:
    """Value tier × relationship-quality tier, each cell's parties written in it; a cell opens its group's list."""
    # One cell per tier pair, coloured by the group the tiers give; the lapsed (worst whatever their tiers) are
    # counted apart in the cell's text instead of drawn on top of it.
    rows = store.raw.execute(
        "SELECT value_tier, quality_tier, triage, triage_reason LIKE 'worst because: the relationship is lost%' "
        "AS lost, count(*) AS parties, sum(clv) AS clv FROM scores "
        "WHERE run_id = ? AND triage <> 'unrated' GROUP BY 1, 2, 3, 4", [run_id]).df()
    found = []
    for (value_tier, quality_tier), cell in rows.groupby(["value_tier", "quality_tier"]):
        live = cell[~cell["lost"].astype(bool)]
        group = (live.groupby("triage")["parties"].sum().idxmax() if len(live) else "worst")
        lost = int(cell.loc[cell["lost"].astype(bool), "parties"].sum())
        total = int(cell["parties"].sum())
        found.append({"value_tier": value_tier, "quality_tier": quality_tier, "triage": group, "parties": total,
                      "lost": lost, "clv": float(cell["clv"].fillna(0).sum()),
                      "text": f"{total - lost:,}" + (f" + {lost:,} lapsed" if lost else "")})
    data = pd.DataFrame(found, columns=["value_tier", "quality_tier", "triage", "parties", "lost", "clv", "text"])
    data["list"] = "/segments/triage/" + data["triage"]
    data["says"] = [f"value {r.value_tier}, quality {r.quality_tier}: {r.text} parties, {label(r.triage)} "
                    f"(open the list)" for r in data.itertuples()]
    tiers = ["low", "mid", "high"]
    described = "; ".join(f"value {r.value_tier}, quality {r.quality_tier}: {r.text} ({label(r.triage)})"
                          for r in data.sort_values(["value_tier", "quality_tier"]).itertuples())
    base = alt.Chart(data).encode(
        alt.X("quality_tier:N", sort=tiers, title="relationship quality (health)", axis=alt.Axis(labelAngle=0)),
        alt.Y("value_tier:N", sort=list(reversed(tiers)), title="value (CLV)"))
    cells = base.mark_rect(stroke="white").encode(alt.Color("triage:N", scale=TRIAGE_COLOURS), alt.Href("list:N"),
                                                  alt.Description("says:N"),
                                                  tooltip=["triage", "parties", "lost",
                                                           alt.Tooltip("clv:Q", format=",.0f")])
    labels = base.mark_text(fontSize=13, aria=False).encode(text="text:N")
    return (cells + labels).properties(
        width=360, height=260, title="Triage: value × relationship quality",
        description=f"Triage of the customers by value and relationship quality: {described}.")


def holdout_chart(rows: list[dict]) -> alt.Chart:
    data = pd.DataFrame(rows).melt(id_vars=["frequency_cal"], value_vars=["predicted", "actual"],
                                   var_name="series", value_name="purchases")
    return (alt.Chart(data, title="Calibration / holdout: repeat purchases in the holdout")
            .mark_line(point=True)
            .encode(alt.X("frequency_cal:O", title="repeat purchases in calibration"),
                    alt.Y("purchases:Q", title="mean purchases per customer in holdout"),
                    alt.Color("series:N"), tooltip=["frequency_cal", "series",
                                                    alt.Tooltip("purchases:Q", format=".2f")])
            .properties(width=WIDTH, height=HEIGHT))


def inline_svg(chart: alt.Chart, *, title: bool = False) -> str:
    """The chart as an SVG element to put in a page (rendered here: the page needs no script).

    A page gives the chart its own heading, so the chart's title is left out unless ``title`` (no doubled
    titles); axis labels are written horizontally; the chart's description becomes the SVG's text alternative
    (``role="img"`` and ``aria-label``), and bars with a list behind them are links to it.
    """
    import vl_convert as vlc

    if not title:
        chart = chart.properties(title="")
    chart = chart.configure_axisX(labelAngle=0).configure_view(stroke=None)
    svg = vlc.vegalite_to_svg(chart.to_json())
    svg = svg[svg.index("<svg"):] if "<svg" in svg else svg
    svg = svg.replace(f'xlink:href="{_DATA_BASE}', 'xlink:href="')  # links into patron, not to Vega's data site
    description = chart.to_dict().get("description")
    if description and "aria-label" not in svg[:svg.index(">")]:
        svg = svg.replace("<svg", f'<svg role="figure" aria-label="{html.escape(description)}"', 1)
    return svg


def save(chart: alt.Chart, path: str | Path) -> Path:
    """Write ``chart`` as ``.svg`` or self-contained ``.html`` (by the file's suffix)."""
    import vl_convert as vlc

    path = Path(path)
    spec = chart.to_json()
    if path.suffix == ".svg":
        path.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    else:
        path.write_text(vlc.vegalite_to_html(spec, bundle=True), encoding="utf-8")
    return path


def run_charts(store: Store, run_id: int, folder: str | Path, fmt: str = "svg") -> list[Path]:
    """All charts of a run, written to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    charts = {
        "clv_distribution": clv_distribution(store, run_id),
        "p_alive_matrix": p_alive_matrix(store, run_id),
        "ladder_funnel": ladder_funnel(store, run_id),
        "triage_matrix": triage_chart(store, run_id),
    }
    return [save(chart, folder / f"{name}.{fmt}") for name, chart in charts.items()]
