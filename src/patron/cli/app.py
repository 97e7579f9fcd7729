"""The root ``patron`` command and its shared options.

Each group of commands lives in its own module and registers itself on
:data:`app`; none of them holds business logic, they call
:mod:`patron.service` and print what comes back.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.text import Text

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
# Printed to a file or a pipe, Rich would wrap tables at 80 columns; logs and CI output read better wider.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
console = Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True)

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


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from patron.cli import store_cmds  # noqa: F401
    from patron.cli import import_cmd  # noqa: F401
    from patron.cli import analyze_cmd  # noqa: F401
    from patron.cli import serve_cmd  # noqa: F401
    from patron.cli import lake_cmd  # noqa: F401
    from patron.cli import resolve_cmd  # noqa: F401

    from patron.cli import demo_cmd  # noqa: F401


def main() -> None:
    """Entry point: run the app, turning a :class:`PatronError` into a clean message."""
    _register()
    try:
        app()
    except PatronError as exc:
        # Plain text, not markup (a message may quote "[...]" from a file), and not hard-wrapped,
        # so a long path or value stays whole when a script reads stderr.
        err_console.print(Text.assemble(("Error: ", "bold red"), str(exc)), soft_wrap=True)
        sys.exit(2)
    except Exception as exc:
        from patron.store import lost_server_message

        message = lost_server_message(exc)
        if message is None:
            raise
        err_console.print(Text.assemble(("Error: ", "bold red"), message), soft_wrap=True)
        sys.exit(2)
