"""``patron analyze``, ``patron holdout`` and ``patron ladder``: value and relationship strength."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, progress_bar
from patron.cli.report import print_ladder, print_model, print_triage, print_value_summary

commands = typer.Typer()



@commands.command()
def analyze(
    as_of: Annotated[Optional[str], typer.Option(help="Look from this date (YYYY-MM-DD); default: the latest "
                                                 "transaction.")] = None,
    time_unit: Annotated[str, typer.Option(
        help="Period in which purchases are counted: day, week (calendar weeks, Monday to Sunday; 4.345 a "
             "month, as lifetimes) or month. Coarser periods merge purchases made in the same period, which "
             "biases the models.")] = "day",
    model: Annotated[str, typer.Option(help="Transaction model: bgnbd (BG/NBD), pareto (Pareto/NBD), "
                                            "mbgnbd (modified BG/NBD), bgbb (BG/BB: each period of --time-unit "
                                            "is one opportunity to buy), or auto (the lowest AIC of the first "
                                            "three; the comparison is printed).")] = "bgnbd",
    horizon: Annotated[int, typer.Option(help="Months ahead for CLV and expected purchases.")] = 12,
    discount: Annotated[float, typer.Option(help="Monthly discount rate for CLV (0.01 ≈ 12.7% a year).")] = 0.01,
    margin: Annotated[Optional[float], typer.Option(help="Share of revenue that is margin (0-1). Default: the "
                                                    "store's own, where costs are known; else 1.")] = None,
    currency: Annotated[Optional[str], typer.Option(help="Analyse this currency only; default: the main one.")] = None,
    covariates: Annotated[Optional[str], typer.Option(
        help="Columns of the party record the purchase and dropout rates depend on, comma-separated "
             "(e.g. acquisition_channel,acquisition_cost): a text column counts as categories compared with its "
             "most common value, a number per standard deviation. With --model bgnbd or pareto; the "
             "coefficients are printed and saved with the run (docs/models.md).")] = None,
    charts: Annotated[Optional[Path], typer.Option(help="Save charts (SVG) into this folder.")] = None,
    rules: Annotated[Optional[Path], typer.Option(
        help="A TOML file changing the ladder's and the triage's rules ([ladder], [triage]; "
             "defaults in docs/ladder.md).")] = None,
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

    Example:

      patron analyze --model pareto --covariates acquisition_channel
    """
    from patron.service.analyze import AnalysisSettings
    from patron.service.analyze import analyze as run_analysis
    from patron.service.audit import os_account

    settings = AnalysisSettings(as_of=as_of, time_unit=time_unit, model=model, horizon_months=horizon,
                                monthly_discount_rate=discount, margin=margin, currency=currency,
                                rules=str(rules) if rules else None, covariates=covariates or ())
    if lake is not None or engine != "duckdb":
        _analyze_lake(settings, engine, lake, spark_master, store, charts)
        return
    with open_store(store) as s:
        with s.hold("analysis"), progress_bar("analysing") as report:  # one run at a time, as the service's
            result = run_analysis(s, settings, progress=report, run_by=os_account())
        print_model(result)
        _refuse_failed(result)
        print_value_summary(s, result.run_id)
        if charts:
            from patron.service.charts import run_charts

            paths = run_charts(s, result.run_id, charts)
            console.print(f"Charts: {', '.join(str(p) for p in paths)}")


def _refuse_failed(result) -> None:
    """An unsound run is saved for inspection but the command fails: its numbers must not be read as an answer."""
    from patron.errors import PatronError

    if result.status == "failed":
        raise PatronError(f"The analysis is not sound (run {result.run_id}, kept for inspection only): see the "
                          "notes above. Check the as-of date and the data (patron status), or try another model.")


@commands.command()
def runs(
    action: Annotated[Optional[str], typer.Argument(
        help="'promote' to make a run the current picture; 'keep' to set how many runs are kept.",
        show_default=False)] = None,
    run_id: Annotated[Optional[int], typer.Argument(help="The run to promote, or how many runs to keep.",
                                                    show_default=False)] = None,
    limit: Annotated[int, typer.Option(help="How many runs to list, newest first.")] = 20,
    store: StoreOption = None,
) -> None:
    """List analysis runs and which is the current picture (the one pages, lists and exports show).

    A run becomes current when it is sound (its fits converged, no value is NaN) and looks at data at
    least as new as the current one. A backdated run is kept but not shown until promoted. Each new run
    deletes the runs beyond the newest 10 (set with 'keep') with their scores, except the current picture
    and the runs campaigns were built on.

    Examples:

      patron runs

      patron runs promote 7

      patron runs keep 20
    """
    from patron.service.runs import list_runs, promote, runs_kept, set_runs_kept

    with open_store(store) as s:
        if action is not None:
            if action not in ("promote", "keep") or run_id is None:
                raise typer.BadParameter("Use: patron runs promote RUN_ID, or patron runs keep COUNT",
                                         param_hint="ACTION")
            if action == "promote":
                promote(s, None, run_id)
                console.print(f"Run {run_id} is now the current picture.")
            else:
                console.print(f"The newest {set_runs_kept(s, None, run_id)} runs will be kept (older ones are "
                              "deleted when the next run is saved).")
        rows = list_runs(s, limit)
        kept = runs_kept(s)
    table = Table(title="analysis runs")
    for col in ("run", "as of", "finished (UTC)", "model", "engine", "customers", "converged", "status"):
        table.add_column(col, justify="right" if col in ("run", "customers") else "left")
    for r in rows:
        status = {"current": "[bold green]current[/]", "failed": "[red]failed[/]"}.get(r["status"], r["status"])
        table.add_row(str(r["run_id"]), f"{r['as_of']:%Y-%m-%d}",
                      f"{r['finished_at']:%Y-%m-%d %H:%M}" if r["finished_at"] else "not finished",
                      r["model"] or "", r["engine"], f"{r['parties'] or 0:,}", "yes" if r["converged"] else "[red]no[/]",
                      status)
    console.print(table)
    console.print(f"Keeping the newest {kept} runs, the current picture and the runs campaigns were built on.")


def _analyze_lake(settings, engine: str, lake: Path | None, spark_master: str | None, store: str | None,
                  charts: Path | None) -> None:
    from patron.errors import PatronError
    from patron.service.lake import analyze_lake, lake_ladder_counts, lake_triage_table, open_lake

    if charts and not store:
        raise PatronError("--charts with --lake needs --store: the charts are drawn from the store's run.")
    if lake is None:
        raise PatronError(f"--engine {engine} analyses a lake: export the store with `patron lake export DIR`, "
                          "then give --lake DIR.")
    options = {"master": spark_master} if engine == "spark" else {}
    tables = open_lake(lake, engine, **options)
    s = open_store(store) if store else None
    try:
        with progress_bar("analysing") as report:
            result = analyze_lake(tables, settings, progress=report, store=s)
        print_model(result)
        if s:
            _refuse_failed(result)
        console.print(f"Scores written to {Path(lake) / 'scores' / f'run_id={result.run_id}'} ({engine})"
                      + (f" and to the store {s.url.location}." if s else "."))
        if s:
            print_value_summary(s, result.run_id)
            if charts:
                from patron.service.charts import run_charts

                console.print(f"Charts: {', '.join(str(p) for p in run_charts(s, result.run_id, charts))}")
        else:
            print_ladder(lake_ladder_counts(tables, result.run_id))
            print_triage(lake_triage_table(tables, result.run_id))
    finally:
        if s:
            s.close()


@commands.command()
def holdout(
    split: Annotated[str, typer.Option(help="Calibration end (YYYY-MM-DD): fit before, check after.")],
    until: Annotated[Optional[str], typer.Option(help="End of the holdout; default: the last transaction.")] = None,
    time_unit: Annotated[str, typer.Option(help="day, week or month.")] = "day",
    model: Annotated[str, typer.Option(help="bgnbd, pareto, mbgnbd or bgbb.")] = "bgnbd",
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


@commands.command()
def ladder(
    start: Annotated[str, typer.Option("--from", help="First date (YYYY-MM-DD).")],
    end: Annotated[Optional[str], typer.Option("--to", help="Second date; default: the latest transaction.")] = None,
    chart: Annotated[Optional[Path], typer.Option(help="Save the migration chart to this .svg or .html file.")] = None,
    rules: Annotated[Optional[Path], typer.Option(help="A TOML file changing the ladder's rules ([ladder]).")] = None,
    store: StoreOption = None,
) -> None:
    """Who moved on the ladder of loyalty between two dates (lapsed, suspect … partner): climbs and falls."""
    from patron.service.ladder import ladder_movement

    with open_store(store) as s:
        movement = ladder_movement(s, start, end, rules=str(rules) if rules else None)
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


@commands.command()
def retention(
    survivors: Annotated[str, typer.Argument(help="One cohort's customers under contract at the start and after each "
                                                  "renewal period, comma-separated: 1000,631,468,382")],
    project: Annotated[int, typer.Option(help="Periods to project beyond the data.")] = 5,
    discount: Annotated[float, typer.Option(help="Discount rate per period for the expected periods a customer "
                                                 "pays for.")] = 0.1,
) -> None:
    """Contract (subscription) retention with the shifted-beta-geometric model (sBG, Fader & Hardie 2007).

    Fits the cohort's survivor counts, prints the parameters with 95% intervals, the retention rates by
    tenure (which rise as the likeliest leavers go), the projected survivors, and each tenure's expected
    further periods, discounted.

    Example:

      patron retention 1000,631,468,382,326,289,262,241 --project 5
    """
    from patron.service.retention import retention_report

    report = retention_report(survivors, project, discount)
    counts = report.survivors
    table = Table(title=f"sBG fit on {len(counts) - 1} periods of a cohort of {counts[0]:,.0f}")
    for col in ("parameter", "estimate", "std. error", "95% interval"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, value in report.params.items():
        low, high = report.intervals[name]
        table.add_row(name, f"{value:.4g}", f"{report.standard_errors[name]:.3g}", f"{low:.3g} – {high:.3g}")
    console.print(table)
    for warning in report.warnings:
        console.print(f"  [yellow]{warning}[/]")
    periods = Table(title="retention by tenure (periods beyond the data are projected)")
    for col in ("period", "survivors", "model", "retention rate", f"expected further periods (d={discount:g})"):
        periods.add_column(col, justify="right")
    for r in report.rows:
        periods.add_row(str(r["period"]), f"{r['actual']:,.0f}" if r["actual"] is not None else "·",
                        f"{r['model']:,.1f}", f"{r['retention']:.3f}", f"{r['expected_periods']:.2f}")
    console.print(periods)
    console.print(f"A new customer is expected to pay for {report.new_customer_periods:.2f} periods "
                  f"(discounted at {discount:g} a period, the first counted in full).")
