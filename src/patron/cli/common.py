"""What every ``patron`` command shares: the console, the ``--store`` option, opening the store, a progress bar."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.text import Text

# Printed to a file or a pipe, Rich would wrap tables at 80 columns; logs and CI output read better wider.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
console = Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True)

#: Control characters (C0 but tab, DEL, C1): in a terminal they start escapes that recolour, retitle or link.
_CONTROLS = {c: "\ufffd" for c in [*range(0x09), *range(0x0a, 0x20), *range(0x7f, 0xa0)]}


def plain(value) -> Text:
    """A table cell from data (names, raw lines): never read as Rich markup, terminal escapes made visible."""
    return Text("" if value is None else str(value).translate(_CONTROLS))

StoreOption = Annotated[
    Optional[str],
    typer.Option(
        "--store",
        envvar="PATRON_STORE",
        help="Where the data lives: a DuckDB file path (default ./patron.duckdb), duckdb:///path, or a "
             "PostgreSQL server: postgresql://user:password@host:5432/database.",
        show_default=False,
    ),
]


def open_store(store: str | None, *, read_only: bool = False):
    from patron.store import Store

    return Store(store, read_only=read_only)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[str, float], None]]:
    """A bar for long work that reports ``(step, fraction done)``; it is gone when the work ends."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[step]}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=1.0, step="")
        yield lambda step, fraction: bar.update(task, completed=fraction, step=step)
