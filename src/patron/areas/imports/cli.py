"""``patron import KIND FILE`` and ``patron quarantine``: bring a system's export into the store, and see what it could not store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store, plain, progress_bar
from patron.store.vocabulary import IMPORT_KINDS as KINDS

commands = typer.Typer()


def _list_presets() -> None:
    from patron.areas.imports.service import describe_presets

    table = Table(title="import presets")
    for col in ("preset", "kind", "layout"):
        table.add_column(col, overflow="fold")
    for name, kind, text in describe_presets():
        table.add_row(name, kind, text)
    console.print(table)


@commands.command("import")
def import_command(
    kind: Annotated[Optional[str], typer.Argument(
        help=f"What the file holds: {', '.join(KINDS)}. May be left out with --preset or a mapping that says it.",
        show_default=False)] = None,
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="One or more CSV, Parquet (.parquet) or JSON Lines (.jsonl) files. Each is imported all or nothing.",
        show_default=False)] = None,
    mapping: Annotated[Optional[Path], typer.Option(
        "--mapping", "-m", help="A TOML file naming which column holds which field (see README). "
        "Columns it leaves out are recognised by their usual names.")] = None,
    preset: Annotated[Optional[str], typer.Option(
        "--preset", "-p", help="A known layout: online-retail, shopify-orders, cdnow (see --list-presets).")] = None,
    source: Annotated[Optional[str], typer.Option(
        "--source", "-s", help="Name of the system that exported the file; its customer keys are kept apart "
        "from other systems' keys. Default: from the mapping or preset, else 'default'.")] = None,
    list_presets: Annotated[bool, typer.Option("--list-presets", help="Show the built-in layouts and exit.")] = False,
    store: StoreOption = None,
) -> None:
    """Import exports from your systems: orders, invoices, contacts, calls, surveys, complaints, consents.

    Every record is either stored, recognised as already stored, or put in quarantine with its
    line and the reason; nothing is lost silently. Importing the same file again adds nothing.

    Examples:

      patron import transactions orders.csv

      patron import --preset online-retail "Online Retail.csv"

      patron import interactions calls.csv --mapping calls.toml --source callcentre
    """
    from patron.areas.imports.service import import_file

    if list_presets:
        _list_presets()
        return
    if kind and not files and Path(kind).exists() and (preset or mapping):
        files, kind = [Path(kind)], None
    if not files:
        raise typer.BadParameter("Give at least one file to import.", param_hint="FILES")
    if kind and kind not in KINDS:
        if Path(kind).exists() and (preset or mapping):
            files, kind = [Path(kind), *files], None
        else:
            raise typer.BadParameter(f"'{kind}' is not one of: {', '.join(KINDS)}.", param_hint="KIND")
    with open_store(store) as s:
        for path in files:
            with progress_bar(f"importing {path.name}") as report_progress:
                report = import_file(s, path, kind, mapping=mapping, preset=preset, source=source,
                                     progress=report_progress)
            print_report(report)


def print_report(report) -> None:
    table = Table(title=f"{report.file_name} → {report.kind} (source '{report.source}', import {report.import_id})",
                  show_header=True)
    for col in ("read", "accepted", "rejected", "already present", "new parties", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(f"{report.rows_read:,}", f"[green]{report.accepted:,}[/]",
                  f"[red]{report.rejected:,}[/]" if report.rejected else "0",
                  f"{report.already_present:,}", f"{report.new_parties:,}", f"{report.seconds:.2f}")
    console.print(table)
    if report.updated:
        console.print(f"  {report.updated:,} known parties had details updated.")
    for note in report.notes:
        console.print(f"  [dim]{note}[/]")
    if report.ignored_columns:
        console.print(f"  [dim]columns not used: {', '.join(report.ignored_columns)}[/]")
    if report.reasons:
        console.print("  most common reasons for quarantine (see [bold]patron quarantine[/]):")
        for reason, n in report.reasons:
            console.print(f"    {n:>8,}  {reason}")


@commands.command()
def quarantine(
    import_id: Annotated[Optional[int], typer.Option("--import", help="Only this import.")] = None,
    limit: Annotated[int, typer.Option(help="How many rows to show.")] = 50,
    export: Annotated[Optional[Path], typer.Option(help="Write all matching rows to this CSV file.")] = None,
    store: StoreOption = None,
) -> None:
    """Show records that could not be imported, with file, line, raw text and reason."""
    from patron.areas.imports.service import quarantine_rows

    with open_store(store) as s:
        total, rows = quarantine_rows(s, import_id, limit=limit, export=export)
    if export:
        console.print(f"Wrote {total:,} quarantined rows to {export}.")
        return
    table = Table(title=f"quarantine ({total:,} rows{'' if total <= limit else f', first {limit}'})")
    for col in ("import", "file", "line", "raw", "reason"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["import_id"]), plain(r["file_name"]), str(r["line"] or ""), plain((r["raw"] or "")[:80]),
                      plain(r["reason"]))
    console.print(table)
