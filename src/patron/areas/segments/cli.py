"""``patron customers``: list, filter and export scored customers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store
from patron.store.vocabulary import LADDER_STATES as RUNGS, TRIAGE_GROUPS

commands = typer.Typer()


@commands.command()
def customers(
    segment: Annotated[Optional[str], typer.Option(help="RFM segment, e.g. champions, at_risk.")] = None,
    rung: Annotated[Optional[str], typer.Option(help=f"Ladder rung: {', '.join(RUNGS)}.")] = None,
    triage: Annotated[Optional[str], typer.Option(help=f"Triage group: {', '.join(TRIAGE_GROUPS)}.")] = None,
    at_risk: Annotated[bool, typer.Option("--at-risk", help="Only valuable customers at risk.")] = False,
    run: Annotated[Optional[int], typer.Option(help="Analysis run; default: the latest.")] = None,
    sort: Annotated[str, typer.Option(help="Sort by: clv, revenue, p_alive, health.")] = "clv",
    limit: Annotated[int, typer.Option(help="Rows to show on screen.")] = 30,
    export: Annotated[Optional[Path], typer.Option(
        help="Write all matching customers to a .csv or .parquet file.")] = None,
    store: StoreOption = None,
) -> None:
    """List, filter and export scored customers (from the latest `patron analyze` run)."""
    from patron.areas.segments.service import CustomerFilter, export_customers, list_customers

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


