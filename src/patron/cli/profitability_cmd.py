"""``patron profitability``: what customers leave after the cost to serve them, and who destroys value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store

commands = typer.Typer()


@commands.command()
def profitability(
    by: Annotated[str, typer.Option(help="Group customers by: rung, segment, channel or triage.")] = "rung",
    run: Annotated[Optional[int], typer.Option(help="Analysis run; default: the latest.")] = None,
    chart: Annotated[Optional[Path], typer.Option(help="Save the Stobachoff curve to this .svg or .html file.")] = None,
    store: StoreOption = None,
) -> None:
    """Profit to date after the cost to serve (contacts, complaints, refunds, deliveries, acquisition),
    by rung, segment, channel or triage, and the Stobachoff curve: cumulative profit by customer rank."""
    from patron.service.analyze import latest_run
    from patron.service.profitability import profitability_report, save_chart

    with open_store(store) as s:
        report = profitability_report(s, latest_run(s, run), by=by)
    table = Table(title=f"customer profitability by {by} (run {report.run_id})")
    for col in (by, "customers", "revenue", "cost to serve", "profit", "profit CLV", "unprofitable"):
        table.add_column(col, justify="left" if col == by else "right")
    for g in report.groups:
        table.add_row(g["grp"], f"{g['customers']:,}", f"{g['revenue'] or 0:,.0f}", f"{g['cost_to_serve'] or 0:,.0f}",
                      f"{g['profit'] or 0:,.0f}", f"{g['profit_clv'] or 0:,.0f}", f"{g['unprofitable']:,}")
    console.print(table)
    curve = Table(title="Stobachoff curve: cumulative profit, most profitable customers first")
    for col in ("customers", "share", "cumulative profit"):
        curve.add_column(col, justify="right")
    for p in report.curve:
        curve.add_row(f"{p['customers']:,}", f"{p['share']:.0%}", f"{p['cumulative_profit']:,.0f}")
    console.print(curve)
    console.print(f"{report.unprofitable:,} of {report.customers:,} customers are unprofitable and destroy "
                  f"{-report.unprofitable_loss:,.0f}; the profitable ones alone earn {report.peak_profit:,.0f}, "
                  f"all together {report.total_profit:,.0f}.")
    if chart:
        console.print(f"Chart: {save_chart(report, chart)}")
