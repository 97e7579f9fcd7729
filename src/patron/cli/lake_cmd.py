"""``patron lake export``: the store's tables as Parquet folders, for ``patron analyze --lake`` (DuckDB or Spark)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store

lake_app = typer.Typer(help="A lake: the store's tables as Parquet folders, for analysis on Spark or DuckDB.",
                       no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(lake_app, name="lake")


@lake_app.command("export")
def export(
    path: Annotated[Path, typer.Argument(help="The lake folder (created if missing); one sub-folder per table.")],
    table: Annotated[Optional[list[str]], typer.Option(
        "--table", help="Export only this table (repeat for several); default: parties, identities, "
                        "transactions, interactions, feedback, complaints, consents.")] = None,
    store: StoreOption = None,
) -> None:
    """Write the store's tables as Parquet (lake/<table>/part-0.parquet), replacing those folders.

    Then: patron analyze --engine spark --lake PATH. Scores of earlier lake runs are kept.
    """
    from patron.service.lake import LAKE_TABLES, export_lake

    with open_store(store, read_only=True) as s:
        rows = export_lake(s, path, tuple(table) if table else LAKE_TABLES)
    out = Table(title=f"lake {path}")
    out.add_column("table")
    out.add_column("rows", justify="right")
    for name, n in rows.items():
        out.add_row(name, f"{n:,}")
    console.print(out)
