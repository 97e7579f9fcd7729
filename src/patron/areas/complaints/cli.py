"""``patron complaints``: the complaint desk in the terminal."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store
from patron.cli.toml_setting import toml_setting_command

commands = typer.Typer()


@commands.command()
def complaints(
    status: Annotated[Optional[list[str]], typer.Option(help="Only this status (repeat for several).")] = None,
    severity: Annotated[Optional[list[str]], typer.Option(help="Only this severity (repeat for several).")] = None,
    category: Annotated[Optional[str], typer.Option(help="Only this category.")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Only complaints this owner holds.")] = None,
    sla: Annotated[Optional[str], typer.Option(help="Only this SLA state: met, on track, warning, breached.")] = None,
    sort: Annotated[str, typer.Option(help="opened_at, age, severity, value, status, category, owner, "
                                           "resolution_due.")] = "opened_at",
    descending: Annotated[bool, typer.Option(help="Largest first.")] = False,
    page: Annotated[int, typer.Option(help="Page number.")] = 1,
    per_page: Annotated[int, typer.Option(help="Complaints per page.")] = 30,
    store: StoreOption = None,
) -> None:
    """The complaint desk: complaints filtered, sorted and paged, with their service-level clocks."""
    from patron.areas.complaints.desk import complaint_desk

    with open_store(store, read_only=True) as s:
        r = complaint_desk(s, None, status=status, severity=severity, category=category, owner=owner,
                           sla_state=sla, sort=sort, descending=descending, page=page, per_page=per_page)
    t = Table(title=f"complaints {(page - 1) * per_page + 1 if r['rows'] else 0}-"
                    f"{(page - 1) * per_page + len(r['rows'])} of {r['total']:,} (page {page} of {r['pages']}; "
                    f"ages to {r['as_of']:%Y-%m-%d})")
    for col in ("id", "customer", "opened", "age (days)", "category", "severity", "status", "owner", "SLA",
                "escalate to"):
        t.add_column(col)
    for c in r["rows"]:
        t.add_row(str(c["complaint_id"]), c["customer"], f"{c['opened_at']:%Y-%m-%d}", f"{c['age_days']:.1f}",
                  c["category"] or "", c["severity"], c["status"].replace("_", " "), c["owner"] or "",
                  c["sla_state"], c["escalate_to"] or "")
    console.print(t)


def _read_levels(store):
    from patron.areas.complaints.desk import service_levels

    return service_levels(store)


def _write_levels(store, text: str):
    from patron.areas.complaints.desk import set_service_levels

    return set_service_levels(store, None, text)


def _show_levels(levels) -> None:
    cal = levels.calendar
    console.print(f"Business hours: {' '.join(cal.workdays)} {cal.opens:g}-{cal.closes:g} {cal.time_zone}"
                  + (f"; holidays {', '.join(d.isoformat() for d in cal.holidays)}" if cal.holidays else ""))
    t = Table(title="service levels (business hours)")
    for col in ("category", "severity", "triage", "first response", "next response", "resolution", "escalate to"):
        t.add_column(col)
    for p in levels.policies:
        t.add_row(p.category or "any", p.severity or "any", p.triage or "any", f"{p.first_response_hours:g}",
                  f"{p.next_response_hours:g}" if p.next_response_hours else "–", f"{p.resolution_hours:g}",
                  p.escalate_to)
    console.print(t)


toml_setting_command(
    commands, "service-levels", what="service levels", read=_read_levels, write=_write_levels, show=_show_levels,
    saved="Service levels saved.", restored="Back to the built-in service levels.",
    help="The complaint desk's service levels: working hours, days, holidays and time zone, and the first-response, "
         "next-response and resolution targets per policy, in business hours. --set FILE replaces them.")
