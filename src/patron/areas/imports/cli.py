"""``patron import KIND FILE`` and ``patron quarantine``: bring a system's export into the store, and see what it could not store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
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
    kind: Annotated[str | None, typer.Argument(
        help=f"What the file holds: {', '.join(KINDS)}. Left out, it is read from the columns (and said). "
        "'undo' followed by an import's number undoes that import.", show_default=False)] = None,
    files: Annotated[list[str] | None, typer.Argument(
        help="One or more CSV, Parquet (.parquet) or JSON Lines (.jsonl) files. Each is imported all or nothing.",
        show_default=False)] = None,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", "-m", help="A TOML file naming which column holds which field (see README). "
        "Columns it leaves out are recognised by their usual names.")] = None,
    preset: Annotated[str | None, typer.Option(
        "--preset", "-p", help="A known layout: online-retail, shopify-orders, cdnow (see --list-presets).")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", "-s", help="Name of the system that exported the file; its customer keys are kept apart "
        "from other systems' keys. Default: from the mapping or preset, else 'default'.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what the import would do (counts, the first rows as typed, what would be "
        "rejected and why) and store nothing.")] = False,
    create_parties: Annotated[bool | None, typer.Option(
        "--create-parties/--no-create-parties", help="Whether a customer key the store does not know creates a "
        "customer. Default: yes for parties, orders and invoices; no for calls, feedback, complaints and "
        "consents (their rows with unknown keys are quarantined).", show_default=False)] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", "-e", help="The file's text encoding: utf-8 (the default) or latin-1 (ISO-8859-1, common in "
        "older Windows and European exports). Lines that do not decode are quarantined with their bytes.")] = None,
    max_rejects: Annotated[int | None, typer.Option(
        "--max-rejects", min=0, help="Refuse a file, storing nothing, when more of its records than this cannot be "
        "stored (default 10,000; 0: no limit).", show_default=False)] = None,
    list_presets: Annotated[bool, typer.Option("--list-presets", help="Show the built-in layouts and exit.")] = False,
    store: StoreOption = None,
) -> None:
    """Import exports from your systems: orders, invoices, contacts, calls, surveys, complaints, consents.

    Every record is either stored, recognised as already stored, or put in quarantine with its
    line and the reason; nothing is lost silently. Importing the same file again adds nothing.
    Every import can be undone. The import records who ran it: on the command line, the
    operating-system account (patron's users sign in to the pages and the API only).

    Examples:

      patron import transactions orders.csv

      patron import calls.csv --dry-run

      patron import --preset online-retail "Online Retail.csv"

      patron import interactions calls.csv --mapping calls.toml --source callcentre

      patron import parties old_crm.csv --encoding latin-1

      patron import undo 12
    """
    from patron.areas.imports.service import import_file, what_it_holds

    if list_presets:
        _list_presets()
        return
    if kind == "undo":
        _undo(files or [], store)
        return
    paths = [Path(f) for f in files or []]
    if kind and kind not in KINDS:
        if Path(kind).exists():
            paths, kind = [Path(kind), *paths], None
        else:
            raise typer.BadParameter(f"'{kind}' is not one of: {', '.join(KINDS)} (nor a file).", param_hint="KIND")
    if not paths:
        raise typer.BadParameter("Give at least one file to import.", param_hint="FILES")
    for path in paths:
        if not path.is_file():
            raise typer.BadParameter(f"no such file: {path}.", param_hint="FILES")
    run_by = _os_account()
    with open_store(store) as s:
        for path in paths:
            file_kind = kind
            if not (kind or preset or mapping):
                file_kind = what_it_holds(path, None)
                console.print(f"{path.name}: its columns say it holds [bold]{file_kind}[/] "
                              f"(give the kind to import it as something else).")
            with progress_bar(f"{'checking' if dry_run else 'importing'} {path.name}") as report_progress:
                report = import_file(s, path, file_kind, mapping=mapping, preset=preset, source=source,
                                     progress=report_progress, create_parties=create_parties, dry_run=dry_run,
                                     sample=10 if dry_run else 0, encoding=encoding, max_rejects=max_rejects,
                                     run_by=run_by)
            print_report(report)


def _os_account() -> str | None:
    """The operating-system account running the command (recorded with its imports), if it can be told."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no entry in the password database (a bare container)
        return None


def _undo(ids: list[str], store) -> None:
    from patron.areas.imports.service import undo

    if len(ids) != 1 or not ids[0].isdigit():
        raise typer.BadParameter("Say which import to undo by its number: patron import undo 12 "
                                 "(patron imports lists them).", param_hint="ID")
    with open_store(store) as s:
        done = undo(s, None, int(ids[0]))
    removed = ", ".join(f"{n:,} {table}" for table, n in done.facts_removed.items()) or "no facts"
    console.print(f"Import {done.import_id} undone: removed {removed} and {done.parties_removed:,} customers it "
                  f"created; put back {done.fields_restored:,} customer fields it had changed.")
    for party_id, field, value in done.kept:
        console.print(f"  [yellow]kept[/] customer {party_id}'s {field} ({value!r}): it was changed again since.")


def print_report(report) -> None:
    title = (f"{report.file_name} → {report.kind} (source '{report.source}', "
             + ("a dry run: nothing was stored)" if report.dry_run else f"import {report.import_id})"))
    table = Table(title=title, show_header=True)
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
        where = "" if report.dry_run else " (see [bold]patron quarantine[/])"
        console.print(f"  most common reasons for quarantine{where}:")
        for reason, n in report.reasons:
            console.print(f"    {n:>8,}  {escape(reason)}")
    if report.sample:
        _print_sample(report.sample)


def _print_sample(sample: list[dict]) -> None:
    names = list(sample[0]["values"])
    table = Table(title="the first records as they would be stored")
    for col in ("#", *names, "refused because"):
        table.add_column(col, overflow="fold")
    for row in sample:
        values = ["" if v is None else escape(str(v)) for v in row["values"].values()]
        table.add_row(str(row["record"]), *values, f"[red]{escape(row['reason'])}[/]" if row["reason"] else "")
    console.print(table)


@commands.command()
def imports(
    limit: Annotated[int, typer.Option(help="How many to show, newest first.")] = 30,
    store: StoreOption = None,
) -> None:
    """List the latest imports with their counts, and whether each was undone."""
    from patron.areas.imports.service import recent_imports

    with open_store(store) as s:
        rows = recent_imports(s, limit)
    table = Table(title="imports")
    for col in ("#", "file", "kind", "source", "when (UTC)", "by", "read", "accepted", "rejected", "new customers",
                "undone"):
        table.add_column(col, justify="right" if col in ("read", "accepted", "rejected", "new customers") else "left")
    for r in rows:
        table.add_row(str(r["import_id"]), escape(r["file_name"]), r["kind"], escape(r["source"]),
                      f"{r['finished_at']:%Y-%m-%d %H:%M}" if r["finished_at"] else "", plain(r["username"] or ""),
                      f"{r['rows_read']:,}",
                      f"{r['accepted']:,}", f"{r['rejected']:,}", f"{r['new_parties']:,}",
                      f"{r['undone_at']:%Y-%m-%d %H:%M}" if r["undone_at"] else "")
    console.print(table)


@commands.command()
def quarantine(
    import_id: Annotated[int | None, typer.Option("--import", help="Only this import.")] = None,
    limit: Annotated[int, typer.Option(help="How many rows to show.")] = 50,
    export: Annotated[Path | None, typer.Option(help="Write all matching rows to this CSV file.")] = None,
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
