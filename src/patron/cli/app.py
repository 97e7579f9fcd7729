"""The root ``patron`` command: every command of ``patron/cli/`` and of the areas, under one name.

Each module of commands (``patron/cli/*_cmd.py``, and ``cli.py`` in an area
folder) holds a Typer app called ``commands``; this module adds them all
(:func:`register`). None of them holds business logic: they call the service
layer and print what comes back.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys

import typer
from rich.text import Text

import patron.areas
from patron.cli.common import err_console
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
#: The order ``patron --help`` lists the command modules in: every one of ``patron/cli/``, and the areas' in the
#: order of a day's work; an area not named here comes after them.
ORDER = ("patron.cli.store_cmds", "patron.areas.imports.cli", "patron.cli.analyze_cmd", "patron.areas.segments.cli",
         "patron.cli.serve_cmd", "patron.areas.users.cli", "patron.cli.lake_cmd", "patron.cli.resolve_cmd",
         "patron.cli.demo_cmd", "patron.cli.profitability_cmd")
_registered = False


def register() -> typer.Typer:
    """Add every command to :data:`app` (once) and return it."""
    global _registered
    if not _registered:
        areas = [f"patron.areas.{i.name}.cli" for i in pkgutil.iter_modules(patron.areas.__path__) if i.ispkg]
        modules = [*ORDER, *sorted(m for m in areas if m not in ORDER and importlib.util.find_spec(m) is not None)]
        for name in modules:
            app.add_typer(importlib.import_module(name).commands)
        _registered = True
    return app


def main() -> None:
    """Entry point: run the app, turning a :class:`PatronError` into a clean message."""
    register()
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
