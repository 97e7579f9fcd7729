"""``patron customers``: list, filter and export scored customers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain
from patron.store.vocabulary import LADDER_STATES as RUNGS
from patron.store.vocabulary import TRIAGE_GROUPS

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
        help="Write all matching customers to a .csv or .parquet file: a contact list, so only people who "
        "may be contacted on --channel (for --purpose) unless --without-consent mark.")] = None,
    channel: Annotated[str, typer.Option(help="The channel an export is for: email, phone, sms, post, push.")] = "email",
    purpose: Annotated[Optional[str], typer.Option(
        help="The purpose an export is for (e.g. newsletter); default: the latest consent on the channel.")] = None,
    without_consent: Annotated[str, typer.Option(
        help="exclude: leave out people without current consent; mark: keep them, with a consent column.")
    ] = "exclude",
    no_contact_details: Annotated[bool, typer.Option(
        "--no-contact-details", help="Export for analysis: every customer, without names, emails or phones.")
    ] = False,
    store: StoreOption = None,
) -> None:
    """List, filter and export scored customers (from the latest `patron analyze` run)."""
    from patron.areas.segments.service import CustomerFilter, export_customers, list_customers
    from patron.service.consent import ConsentRule

    filters = CustomerFilter(segment=segment, rung=rung, triage=triage, at_risk=at_risk, run_id=run, sort=sort)
    rule = None if no_contact_details else ConsentRule(channel, purpose, without_consent)
    with open_store(store) as s:
        if export:
            n = export_customers(s, filters, export, rule)
            everyone = list_customers(s, filters, limit=1)[0]
            left_out = (f"; {everyone - n:,} left out for lack of {rule.describe()} consent"
                        if rule and rule.without == "exclude" and everyone > n else "")
            console.print(f"Wrote {n:,} customers to {export}{left_out}.")
            return
        total, rows = list_customers(s, filters, limit=limit)
    table = Table(title=f"customers ({total:,} match{'' if total <= limit else f', first {limit}'})")
    cols = ("party_id", "name", "rung", "rfm_segment", "triage", "revenue", "clv", "clv 95%", "p_alive",
            "p_alive 95%", "health")
    for col in cols:
        table.add_column(col, justify="left" if col in ("party_id", "name", "rung", "rfm_segment", "triage")
                         else "right")
    for r in rows:
        table.add_row(str(r["party_id"]), plain(r["name"]), r["rung"] or "", r["rfm_segment"] or "", r["triage"] or "",
                      _num(r["revenue"], ",.0f"), _num(r["clv"], ",.0f"), _span(r, "clv", ",.0f"),
                      _num(r["p_alive"], ".2f"), _span(r, "p_alive", ".2f"), _num(r["health"], ".0f"))
    console.print(table)
    console.print("95%: intervals from the models' parameter uncertainty (delta method; docs/models.md).")


def _span(row: dict, name: str, fmt: str) -> str:
    low, high = row.get(f"{name}_low"), row.get(f"{name}_high")
    return "" if low is None or high is None else f"{low:{fmt}}–{high:{fmt}}"


def _num(value, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


