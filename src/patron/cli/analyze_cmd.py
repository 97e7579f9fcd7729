"""``patron analyze``, ``patron customers`` and ``patron holdout``: value and relationship strength."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patron.cli.app import StoreOption, app, console, open_store

RUNG_HELP = "suspect, prospect, customer, client, supporter, advocate, partner"


@app.command()
def analyze(
    as_of: Annotated[Optional[str], typer.Option(help="Look from this date (YYYY-MM-DD); default: the latest "
                                                 "transaction.")] = None,
    time_unit: Annotated[str, typer.Option(
        help="Period in which purchases are counted: day, week or month. Coarser periods merge purchases "
             "made in the same period, which biases the models.")] = "day",
    model: Annotated[str, typer.Option(help="Transaction model: bgnbd (BG/NBD), pareto (Pareto/NBD), "
                                            "mbgnbd (modified BG/NBD).")] = "bgnbd",
    horizon: Annotated[int, typer.Option(help="Months ahead for CLV and expected purchases.")] = 12,
    discount: Annotated[float, typer.Option(help="Monthly discount rate for CLV (0.01 ≈ 12.7% a year).")] = 0.01,
    margin: Annotated[Optional[float], typer.Option(help="Share of revenue that is margin (0-1). Default: the "
                                                    "store's own, where costs are known; else 1.")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Analyse this currency only; default: the main one.")] = None,
    charts: Annotated[Optional[Path], typer.Option(help="Save charts (SVG) into this folder.")] = None,
    engine: Annotated[str, typer.Option(help="Where the analysis runs: duckdb, or spark (needs --lake and "
                                             "pip install 'patron\\[spark]').")] = "duckdb",
    lake: Annotated[Optional[Path], typer.Option(
        help="Analyse this lake (Parquet folders per table, e.g. from patron lake export) instead of the store; "
             "scores are written into it, and into the store too when --store is given.")] = None,
    spark_master: Annotated[Optional[str], typer.Option(
        envvar="PATRON_SPARK_MASTER", help="Spark master: local[*] (default), spark://host:7077, yarn, …")] = None,
    store: StoreOption = None,
) -> None:
    """Score every customer: lifetime value, probability alive, RFM, ladder of loyalty, health and triage.

    Each run is saved (with its settings and model diagnostics) as one row per party in the
    scores table; `patron customers` lists and exports them. With --lake the same analysis runs
    over Parquet tables, on DuckDB or (--engine spark) on a Spark cluster.
    """
    from patron.service.analyze import AnalysisSettings
    from patron.service.analyze import analyze as run_analysis

    settings = AnalysisSettings(as_of=as_of, time_unit=time_unit, model=model, horizon_months=horizon,
                                monthly_discount_rate=discount, margin=margin, currency=currency)
    if lake is not None or engine != "duckdb":
        _analyze_lake(settings, engine, lake, spark_master, store, charts)
        return
    with open_store(store) as s:
        with _progress() as report:
            result = run_analysis(s, settings, progress=report)
        print_model(result)
        print_value_summary(s, result.run_id)
        if charts:
            from patron.service.charts import run_charts

            paths = run_charts(s, result.run_id, charts)
            console.print(f"Charts: {', '.join(str(p) for p in paths)}")


@contextmanager
def _progress():
    with Progress(TextColumn("[bold]analysing"), BarColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("analyse", total=1.0, step="")
        yield lambda step, f: bar.update(task, completed=f, step=step)


def _analyze_lake(settings, engine: str, lake: Path | None, spark_master: str | None, store: str | None,
                  charts: Path | None) -> None:
    from patron.engines import open_lake
    from patron.errors import PatronError
    from patron.service.lake import analyze_lake, lake_ladder_counts, lake_triage_table

    if charts and not store:
        raise PatronError("--charts with --lake needs --store: the charts are drawn from the store's run.")
    if lake is None:
        raise PatronError(f"--engine {engine} analyses a lake: export the store with `patron lake export DIR`, "
                          "then give --lake DIR.")
    options = {"master": spark_master} if engine == "spark" else {}
    tables = open_lake(lake, engine, **options)
    s = open_store(store) if store else None
    try:
        with _progress() as report:
            result = analyze_lake(tables, settings, progress=report, store=s)
        print_model(result)
        console.print(f"Scores written to {Path(lake) / 'scores' / f'run_id={result.run_id}'} ({engine})"
                      + (f" and to the store {s.url.location}." if s else "."))
        if s:
            print_value_summary(s, result.run_id)
            if charts:
                from patron.service.charts import run_charts

                console.print(f"Charts: {', '.join(str(p) for p in run_charts(s, result.run_id, charts))}")
        else:
            _print_ladder(lake_ladder_counts(tables, result.run_id))
            _print_triage(lake_triage_table(tables, result.run_id))
    finally:
        if s:
            s.close()


def print_model(result) -> None:
    d = result.diagnostics
    console.print(f"[bold]Run {result.run_id}[/] as of {result.as_of:%Y-%m-%d}: {result.customers:,} customers, "
                  f"{result.parties:,} parties scored in {result.seconds:.1f} s ({d.get('currency')}).")
    table = Table(title="models")
    for col in ("model", "parameter", "estimate", "std. error"):
        table.add_column(col, justify="left" if col in ("model", "parameter") else "right")
    for key in ("transaction_model", "spend_model"):
        m = d[key]
        ses = m.get("standard_errors") or {}
        for i, (name, value) in enumerate(m["params"].items()):
            se = ses.get(name) if isinstance(ses, dict) else None
            table.add_row(m["name"] if i == 0 else "", name, f"{value:.4g}", f"{se:.3g}" if se is not None else "")
    console.print(table)
    for note in result.notes + d.get("warnings", []):
        console.print(f"  [dim]{note}[/]")


def print_value_summary(s, run_id: int, top: int = 20) -> None:
    """Ladder, triage and the most valuable customers at risk, for a run."""
    from patron.service.analyze import ladder_counts, triage_table, valuable_at_risk

    _print_ladder(ladder_counts(s, run_id))
    _print_triage(triage_table(s, run_id))
    print_overview(s, run_id)
    risky = valuable_at_risk(s, run_id, top)
    table = Table(title=f"the {len(risky)} most valuable customers at risk")
    for col in ("party", "customer", "revenue", "CLV", "P(alive)", "health", "rung", "why"):
        table.add_column(col, justify="right" if col in ("revenue", "CLV", "P(alive)", "health") else "left",
                         overflow="fold")
    for r in risky:
        table.add_row(str(r["party_id"]), r["customer"] or "", f"{r['revenue']:,.0f}", f"{r['clv']:,.0f}",
                      f"{r['p_alive']:.2f}", f"{r['health']:.0f}" if r["health"] is not None else "",
                      r["rung"], r["reasons"] or "")
    console.print(table)


def _print_ladder(counts: list[tuple[str, int]]) -> None:
    ladder = Table(title="ladder of loyalty")
    ladder.add_column("rung")
    ladder.add_column("parties", justify="right")
    ladder.add_column("")
    widest = max((n for _, n in counts), default=1) or 1
    for rung, n in reversed(counts):
        ladder.add_row(rung, f"{n:,}", "█" * max(0, round(30 * n / widest)))
    console.print(ladder)


def _print_triage(rows: list[dict]) -> None:
    triage = Table(title="triage: value (CLV) × relationship quality (health)")
    for col in ("value", "quality", "group", "parties", "CLV", "mean health"):
        triage.add_column(col, justify="right" if col in ("parties", "CLV", "mean health") else "left")
    colour = {"best": "green", "average": "yellow", "worst": "red"}
    for row in rows:
        group = row["triage"]
        triage.add_row(row["value_tier"] or "-", row["quality_tier"] or "-",
                       f"[{colour.get(group, 'white')}]{group}[/]", f"{row['parties']:,}",
                       f"{row['total_value'] or 0:,.0f}", f"{row['mean_quality'] or 0:.0f}")
    console.print(triage)


def print_overview(s, run_id: int) -> None:
    """Revenue mix, customers lost, acquisition cost against CLV, and the triage plans."""
    from patron.service.overview import relationship_overview

    o = relationship_overview(s, run_id)
    mix, lost = o.revenue_mix, o.lost
    if mix.get("revenue"):
        console.print(
            f"Last 12 months: revenue {mix['revenue']:,.0f}; [bold]{mix['relational_share']:.0%} relational[/] "
            f"(from {mix['relational_customers']:,} repeat buyers), {1 - mix['relational_share']:.0%} "
            f"transactional (from {mix['transactional_customers']:,} one-off buyers).")
    if lost.get("customers"):
        console.print(
            f"Lost in the last 12 months (no purchase for a year): [bold]{lost['customers']:,} customers[/] who "
            f"brought {lost['lost_revenue'] or 0:,.0f} revenue"
            + (f" and {lost['lost_margin']:,.0f} margin" if lost.get("lost_margin") else "")
            + " in their last year.")
    if o.acquisition:
        table = Table(title="acquisition cost against lifetime value (12-month CLV), by channel")
        for col in ("channel", "customers", "mean cost", "mean CLV", "CLV / cost"):
            table.add_column(col, justify="left" if col == "channel" else "right")
        for a in sorted(o.acquisition, key=lambda a: -(a["value_to_cost"] or 0)):
            ratio = a["value_to_cost"]
            table.add_row(a["acquisition_channel"], f"{a['customers']:,}", f"{a['mean_acquisition_cost'] or 0:,.2f}",
                          f"{a['mean_value'] or 0:,.2f}",
                          "" if ratio is None else f"[{'green' if ratio >= 1 else 'red'}]{ratio:.2f}[/]")
        console.print(table)
    for group in ("best", "average", "worst"):
        console.print(f"  [bold]{group}[/]: {o.plans[group]}")


@app.command()
def customers(
    segment: Annotated[Optional[str], typer.Option(help="RFM segment, e.g. champions, at_risk.")] = None,
    rung: Annotated[Optional[str], typer.Option(help=f"Ladder rung: {RUNG_HELP}.")] = None,
    triage: Annotated[Optional[str], typer.Option(help="Triage group: best, average, worst.")] = None,
    at_risk: Annotated[bool, typer.Option("--at-risk", help="Only valuable customers at risk.")] = False,
    run: Annotated[Optional[int], typer.Option(help="Analysis run; default: the latest.")] = None,
    sort: Annotated[str, typer.Option(help="Sort by: clv, revenue, p_alive, health.")] = "clv",
    limit: Annotated[int, typer.Option(help="Rows to show on screen.")] = 30,
    export: Annotated[Optional[Path], typer.Option(
        help="Write all matching customers to a .csv or .parquet file.")] = None,
    store: StoreOption = None,
) -> None:
    """List, filter and export scored customers (from the latest `patron analyze` run)."""
    from patron.service.customers import CustomerFilter, export_customers, list_customers

    filters = CustomerFilter(segment=segment, rung=rung, triage=triage, at_risk=at_risk, run_id=run, sort=sort)
    with open_store(store) as s:
        if export:
            n = export_customers(s, filters, export)
            console.print(f"Wrote {n:,} customers to {export}.")
            return
        total, rows = list_customers(s, filters, limit=limit)
    table = Table(title=f"customers ({total:,} match{'' if total <= limit else f', first {limit}'})")
    cols = ("party_id", "name", "rung", "rfm_segment", "triage", "revenue", "clv", "p_alive", "health")
    for col in cols:
        table.add_column(col, justify="right" if col in ("revenue", "clv", "p_alive", "health") else "left")
    for r in rows:
        table.add_row(str(r["party_id"]), r["name"] or "", r["rung"] or "", r["rfm_segment"] or "", r["triage"] or "",
                      _num(r["revenue"], ",.0f"), _num(r["clv"], ",.0f"), _num(r["p_alive"], ".2f"),
                      _num(r["health"], ".0f"))
    console.print(table)


def _num(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


@app.command()
def holdout(
    split: Annotated[str, typer.Option(help="Calibration end (YYYY-MM-DD): fit before, check after.")],
    until: Annotated[Optional[str], typer.Option(help="End of the holdout; default: the last transaction.")] = None,
    time_unit: Annotated[str, typer.Option(help="day, week or month.")] = "day",
    model: Annotated[str, typer.Option(help="bgnbd, pareto or mbgnbd.")] = "bgnbd",
    chart: Annotated[Optional[Path], typer.Option(help="Save the chart to this .svg or .html file.")] = None,
    store: StoreOption = None,
) -> None:
    """Check the model: fit on purchases before --split, compare predicted and actual purchases after it."""
    from patron.service.holdout import holdout_report

    with open_store(store) as s:
        report = holdout_report(s, split, until, time_unit=time_unit, model=model)
    table = Table(title=f"calibration to {report.calibration_end:%Y-%m-%d}, holdout to "
                        f"{report.observation_end:%Y-%m-%d} ({report.customers:,} customers)")
    for col in ("repeat purchases in calibration", "customers", "predicted per customer", "actual per customer"):
        table.add_column(col, justify="right")
    for r in report.rows:
        table.add_row(r["frequency_cal"], f"{r['customers']:,}", f"{r['predicted']:.2f}", f"{r['actual']:.2f}")
    table.add_row("total", f"{report.customers:,}", f"{report.predicted_total:,.0f}", f"{report.actual_total:,.0f}",
                  style="bold")
    console.print(table)
    console.print(f"Total holdout purchases: predicted {report.predicted_total:,.0f}, actual "
                  f"{report.actual_total:,.0f} ({report.error_total:+.1%}).")
    if chart:
        from patron.service.charts import holdout_chart, save

        console.print(f"Chart: {save(holdout_chart(report.rows), chart)}")


@app.command()
def ladder(
    start: Annotated[str, typer.Option("--from", help="First date (YYYY-MM-DD).")],
    end: Annotated[Optional[str], typer.Option("--to", help="Second date; default: the latest transaction.")] = None,
    chart: Annotated[Optional[Path], typer.Option(help="Save the migration chart to this .svg or .html file.")] = None,
    store: StoreOption = None,
) -> None:
    """Who moved on the ladder of loyalty between two dates (suspect … partner), and how many."""
    from patron.service.ladder import ladder_movement

    with open_store(store) as s:
        movement = ladder_movement(s, start, end)
    rows = movement.matrix
    table = Table(title=f"ladder migration {movement.start:%Y-%m-%d} → {movement.end:%Y-%m-%d} (rows: from, "
                        "columns: to)")
    table.add_column("from \\ to")
    for rung in movement.rungs:
        table.add_column(rung[:9], justify="right")
    for from_rung in ["new", *movement.rungs]:
        cells = [rows.get((from_rung, to), 0) for to in movement.rungs]
        if any(cells):
            table.add_row(from_rung, *[f"{c:,}" if c else "·" for c in cells])
    console.print(table)
    console.print(f"Moved up: [green]{movement.up:,}[/]   stayed: {movement.same:,}   moved down: "
                  f"[red]{movement.down:,}[/]   new on the ladder: {movement.new:,}")
    if chart:
        from patron.service.charts import ladder_migration_chart, save

        console.print(f"Chart: {save(ladder_migration_chart(movement.frame), chart)}")
