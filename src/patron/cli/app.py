"""The root ``patron`` command and its shared options.

Each group of commands lives in its own module and registers itself on
:data:`app`; none of them holds business logic, they call
:mod:`patron.service` and print what comes back.
"""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer
from rich.console import Console

from patron.errors import PatronError

app = typer.Typer(
    name="patron",
    help=(
        "patron: relationship marketing and CRM. Import what your systems export, then see what "
        "each customer relationship is worth, how strong it is, and who is slipping away."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    Optional[str],
    typer.Option(
        "--store",
        envvar="PATRON_STORE",
        help="Where the data lives: a DuckDB file path (default ./patron.duckdb) or duckdb:///path.",
        show_default=False,
    ),
]


def open_store(store: str | None, *, read_only: bool = False):
    from patron.store import Store

    return Store(store, read_only=read_only)


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from patron.cli import store_cmds  # noqa: F401
    from patron.cli import import_cmd  # noqa: F401
    from patron.cli import analyze_cmd  # noqa: F401
    from patron.cli import serve_cmd  # noqa: F401
    from patron.cli import resolve_cmd  # noqa: F401

    try:
        from patron.cli import demo_cmd  # noqa: F401
    except ImportError:  # pragma: no cover - demo module not built yet
        pass


def main() -> None:
    """Entry point: run the app, turning a :class:`PatronError` into a clean message."""
    _register()
    try:
        app()
    except PatronError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}")
        sys.exit(2)
