"""``patron quality``, ``patron lost`` and ``patron charter``: service quality in the terminal."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store

commands = typer.Typer()


def _num(x, fmt="{:.2f}") -> str:
    return "–" if x is None or x != x else fmt.format(x)


def _date(value: Optional[str], name: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} '{value}' is not a date (use YYYY-MM-DD).") from None


@commands.command()
def quality(
    instrument: Annotated[str, typer.Argument(
        help="nps, csat, ces, servqual, drivers, verbatims, benchmarks, gap1, tolerance, panel, mystery_shopper, "
             "suggestion, field_visit or review.")] = "servqual",
    by: Annotated[Optional[str], typer.Option(
        help="Break down by rung, triage, value_tier, segment, channel, department or touchpoint.")] = None,
    period: Annotated[Optional[str], typer.Option(help="Trend by week or month (NPS, CSAT, CES).")] = None,
    since: Annotated[Optional[str], typer.Option(help="First day (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day (YYYY-MM-DD).")] = None,
    target: Annotated[str, typer.Option(help="Drivers of nps or csat.")] = "nps",
    level: Annotated[str, typer.Option(help="Drivers per dimension or per item.")] = "dimension",
    method: Annotated[str, typer.Option(help="Drivers by relative_weights (Johnson) or shapley (Shapley R², "
                                             "dimensions only).")] = "relative_weights",
    store: StoreOption = None,
) -> None:
    """Service quality: SERVQUAL gaps with 95% intervals, NPS, CSAT and CES with their standard errors, what drives
    NPS or CSAT (relative weights with intervals, by value tier with --by value_tier), the listening instruments
    (panels, mystery shoppers, suggestions, field visits, reviews), or the verbatims tagged by dimension,
    sentiment and cause."""
    from patron.areas.quality.service import feedback_report, servqual_report

    s0, s1 = _date(since, "--since"), _date(until, "--until")
    if instrument == "verbatims":
        _verbatims(store, s0, s1)
        return
    if instrument in ("benchmarks", "gap1", "tolerance"):
        _references(store, instrument)
        return
    if instrument in ("panel", "mystery_shopper", "suggestion", "field_visit", "review"):
        _listening(store, instrument, s0, s1)
        return
    if instrument == "drivers":
        _drivers(store, target, level, by, method)
        return
    with open_store(store, read_only=True) as s:
        if instrument == "servqual":
            r = servqual_report(s, None, by=by, since=s0, until=s1)
        else:
            r = feedback_report(s, None, instrument, by=by, period=period, since=s0, until=s1)
    if instrument == "servqual":
        t = Table(title=f"SERVQUAL gaps (perception − expectation), {r['respondents']} questionnaires")
        for col in ("dimension", "gap", "95% interval", "importance", "answers"):
            t.add_column(col, justify="left" if col == "dimension" else "right")
        for d in r["dimensions"]:
            t.add_row(d["dimension"], _num(d["gap"]), f"{_num(d['low'])} to {_num(d['high'])}",
                      f"{d['weight']:.0%}", str(d["n"]))
        o, w = r["overall"], r["weighted"]
        t.add_row("overall", _num(o["gap"]), f"{_num(o['low'])} to {_num(o['high'])}", "", "")
        t.add_row("weighted", _num(w["gap"]), f"{_num(w['low'])} to {_num(w['high'])}", "", "")
        console.print(t)
        if r["groups"]:
            g = Table(title=f"gaps by {by}, where they cost most first")
            for col in ("group", "questionnaires", "overall gap", "value-weighted gap", "customer value",
                        "value at stake"):
                g.add_column(col, justify="left" if col == "group" else "right")
            for row in r["groups"]:
                g.add_row(str(row["group"]), str(row["respondents"]), _num(row["overall"]["gap"]),
                          _num(row["value_weighted_gap"]), _num(row["value"], "{:,.0f}"),
                          _num(row["value_at_stake"], "{:,.0f}"))
            console.print(g)
        return
    label = instrument.upper()
    for entry in r["scales"]:
        scale = "0-10" if instrument == "nps" else f"1-{entry['scale_max']:g}"
        t = Table(title=f"{label} on the {scale} scale")
        for col in ("", "answers", label, "SE", "95% interval", "promoters" if instrument == "nps" else "top two"):
            t.add_column(col, justify="left" if col == "" else "right")
        rows = [("overall", entry["overall"])] + [(str(g["group"]), g) for g in entry["groups"]] + [
            (f"{p['period']}", p) for p in entry["trend"]]
        for name, x in rows:
            sc = x["score"]
            extra = f"{x['promoters']:.0%}" if instrument == "nps" else _num(x["top_two_box"]["value"], "{:.0%}")
            t.add_row(name, str(x["n"]), _num(sc["value"], "{:.1f}"), _num(sc["se"]),
                      f"{_num(sc['low'], '{:.1f}')} to {_num(sc['high'], '{:.1f}')}", extra)
        console.print(t)
    for reason, n in r["left_out"].items():
        if n:
            console.print(f"{n} answers left out: {reason}.")


def _drivers(store, target: str, level: str, by: str | None, method: str = "relative_weights") -> None:
    from patron.areas.quality.service import drivers_report

    with open_store(store, read_only=True) as s:
        r = drivers_report(s, None, target=target, level=level, by=by, method=method)
    for g in r.get("groups") or [{"group": None, **r}]:
        where = f" ({by} {g['group']})" if g["group"] is not None else ""
        t = Table(title=f"what drives {target.upper()}{where}: {g['respondents']:,} questionnaires, R² {g['r2']:.2f}")
        for col in (level, "weight", "95% interval", "share of R²", "mean perception", "grid"):
            t.add_column(col, justify="left" if col in (level, "grid") else "right")
        for d in g["drivers"]:
            t.add_row(d["driver"], _num(d["weight"], "{:.3f}"), f"{_num(d['low'], '{:.3f}')} to "
                      f"{_num(d['high'], '{:.3f}')}", f"{d['share_of_r2']:.0%}", _num(d["performance"]), d["quadrant"])
        console.print(t)
    if r.get("too_few"):
        console.print(f"Too few questionnaires for: {', '.join(map(str, r['too_few']))}.")


def _listening(store, instrument: str, since, until) -> None:
    from patron.areas.quality.service import instrument_report

    with open_store(store, read_only=True) as s:
        r = instrument_report(s, None, instrument, since=since, until=until)
    console.print(f"{instrument.replace('_', ' ')}: {r['answers']:,} answers from {r['respondents']:,} respondents")
    for sc in r["scores"]:
        console.print(f"score on 1-{sc['scale_max']:g}: {_num(sc['value'])} (SE {_num(sc['se'], '{:.3f}')})")
    t = Table(title="perception by dimension (us and each benchmark)")
    for col in ("of", "dimension", "mean", "95% interval", "answers"):
        t.add_column(col, justify="left" if col in ("of", "dimension") else "right")
    for p in r["perception"]:
        t.add_row(p["of"], p["dimension"], _num(p["value"]), f"{_num(p['low'])} to {_num(p['high'])}", str(p["n"]))
    console.print(t)
    for x in r["texts"][:10]:
        console.print(f"{x['at']:%Y-%m-%d} {x['text']}")


def _references(store, what: str) -> None:
    from patron.areas.quality import references

    with open_store(store, read_only=True) as s:
        if what == "benchmarks":
            r = references.benchmark_report(s, None)
            t = Table(title=f"benchmarks by dimension and year (scale {r['scale']}; ours − theirs)")
            for col in ("year", "benchmark", "compared by", "dimension", "theirs", "ours", "difference"):
                t.add_column(col, justify="right" if col in ("theirs", "ours", "difference") else "left")
            for x in r["rows"]:
                t.add_row(str(x["year"]), x["benchmark"], x["source"].replace("_", " "), x["dimension"],
                          _num(x["theirs"]), _num(x["ours"]),
                          _num(x["difference"], "{:+.2f}"))
        elif what == "gap1":
            r = references.internal_gaps(s, None)
            t = Table(title="gap 1: management's estimate of customers' expectations minus theirs")
            for col in ("dimension", "management", "customers", "gap 1"):
                t.add_column(col, justify="left" if col == "dimension" else "right")
            for x in r["dimensions"]:
                t.add_row(x["dimension"], _num(x["management"]), _num(x["customers"]), _num(x["gap1"], "{:+.2f}"))
        else:
            r = references.zone_of_tolerance(s, None)
            t = Table(title=f"zone of tolerance, {r['answers']:,} answers with adequate and desired levels")
            for col in ("dimension", "adequate", "perceived", "desired", "MSA", "MSS", "position"):
                t.add_column(col, justify="left" if col in ("dimension", "position") else "right")
            for x in r["dimensions"]:
                t.add_row(x["dimension"], _num(x["adequate"]), _num(x["perceived"]), _num(x["desired"]),
                          _num(x["msa"]["value"], "{:+.2f}"), _num(x["mss"]["value"], "{:+.2f}"), x["position"])
    console.print(t)


@commands.command()
def cohorts(
    months: Annotated[int, typer.Option(help="Months since acquisition to show.")] = 12,
    store: StoreOption = None,
) -> None:
    """Cohort retention: customers by the month of their first purchase, the share buying in each month since."""
    from patron.areas.quality.cohorts import cohort_retention

    with open_store(store, read_only=True) as s:
        r = cohort_retention(s, None, max_months=months)
    t = Table(title="cohort retention (share of each acquisition month's customers buying, by months since)")
    t.add_column("cohort")
    t.add_column("customers", justify="right")
    for k in range(months + 1):
        t.add_column(str(k), justify="right")
    for c in r["cohorts"]:
        cells = [f"{x:.0%}" if x is not None else "" for x in c["retention"]]
        t.add_row(f"{c['cohort']:%Y-%m}", str(c["customers"]), *cells, *[""] * (months + 1 - len(cells)))
    console.print(t)


@commands.command("survey-wide")
def survey_wide(
    path: Annotated[str, typer.Argument(help="A survey tool's wide export (CSV): one row per response, one column "
                                             "per item (nps, csat_5, ces_7, E_REL1/P_REL1, ...).")],
    out: Annotated[str, typer.Argument(help="Where to write the long layout (CSV).")],
) -> None:
    """Turn a wide survey export into the long layout; then import it with --preset survey-long."""
    from patron.areas.quality.service import convert_wide_survey

    r = convert_wide_survey(path, out)
    console.print(f"{r['responses']:,} responses became {r['answers']:,} answers in {out}; import them with "
                  f"patron import {out} --preset survey-long")
    if r["ignored_columns"]:
        console.print(f"columns not read (not an item patron knows): {', '.join(r['ignored_columns'])}")


@commands.command("quality-references")
def quality_references(
    path: Annotated[str, typer.Argument(help="CSV: kind (competitor, industry, management), name, period, "
                                             "dimension, item (may be empty), score, scale_max.")],
    source: Annotated[Optional[str], typer.Option(help="Where the scores come from (default: the file name).")] = None,
    store: StoreOption = None,
) -> None:
    """Import benchmark scores (competitors, the industry norm) or management's estimates of customer expectations.

    Every row is checked first; a table with a bad row is refused whole, naming the lines.
    """
    from patron.areas.quality.references import import_references

    with open_store(store) as s:
        r = import_references(s, None, path, source=source)
    console.print(f"imported {r['imported']} reference scores from {r['source']}: {', '.join(r['names'])}")


def _verbatims(store, since, until) -> None:
    from patron.areas.quality.verbatims import verbatim_report

    with open_store(store, read_only=True) as s:
        r = verbatim_report(s, None, since=since, until=until, sample=10)
    t = Table(title=f"{r['verbatims']:,} verbatims by SERVQUAL dimension and sentiment")
    for col in ("dimension", "positive", "negative", "net"):
        t.add_column(col, justify="left" if col == "dimension" else "right")
    for d in r["dimensions"]:
        t.add_row(d["dimension"], str(d["positive"]), str(d["negative"]), f"{d['net']:+.0%}")
    console.print(t)
    if r["causes"]:
        console.print("complaints by cause bone: " + ", ".join(f"{b['bone']} {b['complaints']}" for b in r["causes"]))
    for row in r["sample"]:
        console.print(f"{row['at']:%Y-%m-%d} {row['source']}: {row['text']} -> {row['dimension']}, "
                      f"{row['sentiment']}, {row['cause']}")


@commands.command()
def lost(
    limit: Annotated[int, typer.Option(help="How many lost customers to list, most valuable first.")] = 20,
    store: StoreOption = None,
) -> None:
    """Who has left, the value they took, their last complaints; and survival by complaint experience."""
    from patron.areas.quality.survival import lost_customers, survival_report

    with open_store(store, read_only=True) as s:
        rep = lost_customers(s, None, limit=limit)
        surv = survival_report(s, None)
    console.print(f"Lost: {rep['lost']:,} of {rep['customers']:,} customers ({rep['rule']}); "
                  f"revenue lost per year: {rep['value_lost_per_year']:,.0f}")
    t = Table(title="survival by complaint experience (Kaplan–Meier)")
    for col in ("experience", "customers", "lost", "share lost", "alive after 1 year", "log-rank p vs never"):
        t.add_column(col, justify="left" if col == "experience" else "right")
    p = {x["group"]: x["p_value"] for x in surv["logrank"]["pairs"]}
    for c in surv["curves"]:
        t.add_row(c["group"], f"{c['n']:,}", f"{c['events']:,}", f"{c['events'] / c['n']:.0%}",
                  _num(c["survival_at"][365.0], "{:.0%}"), _num(p.get(c["group"]), "{:.2g}"))
    console.print(t)
    if not surv["cox"].get("converged", True):
        console.print(f"[yellow]{surv['cox']['note']}[/]")
    cx = Table(title="Cox model" + (f" (concordance {surv['cox']['concordance']:.2f})"
                                    if surv["cox"]["concordance"] is not None else ""))
    for col in ("covariate", "hazard ratio", "95% interval of the coefficient", "p"):
        cx.add_column(col, justify="left" if col == "covariate" else "right")
    for c in surv["cox"]["coefficients"]:
        cx.add_row(c["covariate"], _num(c["hazard_ratio"]), f"{_num(c['low'])} to {_num(c['high'])}",
                   _num(c["p_value"], "{:.2g}"))
    console.print(cx)
    lc = Table(title="lost customers, most valuable first")
    for col in ("customer", "last purchase", "revenue per year", "complaint experience", "last complaint"):
        lc.add_column(col)
    for c in rep["customers_lost"]:
        k = c["last_complaint"]
        lc.add_row(f"#{c['party_id']}", f"{c['last_purchase_at']:%Y-%m-%d}", f"{c['value_per_year']:,.0f}",
                   c["experience"], f"{k['category']}: {k['cause'] or '–'} ({k['status']})" if k else "")
    console.print(lc)


@commands.command()
def charter(
    since: Annotated[Optional[str], typer.Option(help="First day of the period (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(help="Last day of the period (YYYY-MM-DD).")] = None,
    store: StoreOption = None,
) -> None:
    """The customer charter clause by clause: the promise, complaints judged, kept, share against the target."""
    from patron.areas.complaints.desk import charter_report

    with open_store(store, read_only=True) as s:
        r = charter_report(s, None, since=_date(since, "--since"), until=_date(until, "--until"))
    t = Table(title=f"charter adherence, {r['complaints']:,} complaints (to {r['as_of']:%Y-%m-%d})")
    for col in ("promise", "judged", "kept", "share", "target", "adhered"):
        t.add_column(col, overflow="fold")
    for c in r["clauses"]:
        t.add_row(c["promise"], f"{c['complaints']:,}", f"{c['kept']:,}", _num(c["share"], "{:.0%}"),
                  f"{c['target_share']:.0%}", {True: "yes", False: "NO", None: "–"}[c["adhered"]])
    console.print(t)
