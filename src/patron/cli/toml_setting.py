"""One shape of command for a setting kept as TOML text in the store (``patron relationship-rules``,
``patron service-levels``): with no option it prints what is in force; ``--set FILE`` checks the file and keeps
it; ``--defaults`` goes back to the built-in values. Each prints what is in force afterwards.

This module does not postpone its annotations (no ``from __future__ import annotations``): the options'
help texts are made from the setting's name inside :func:`toml_setting_command`, and Typer reads the
annotations as objects, not as names to look up in the module.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from patron.cli.common import StoreOption, console, open_store


def toml_setting_command(app: typer.Typer, name: str, *, what: str, help: str,
                         read: Callable[[Any], Any], write: Callable[[Any, str], Any], show: Callable[[Any], None],
                         saved: str, restored: str) -> Callable:
    """Add the command ``name`` to ``app`` for the TOML setting ``what`` (e.g. "relationship rules").

    ``read(store)`` gives the setting in force, ``write(store, text)`` checks and keeps ``text`` (an empty
    text: the defaults) and gives the setting kept, ``show(setting)`` prints it; ``saved`` and ``restored``
    are said after ``--set`` and ``--defaults``. ``read`` and ``write`` import their service when called, so
    that ``patron --help`` loads none of them.
    """

    def command(
        set_from: Annotated[Path | None, typer.Option("--set", help=f"Keep the {what} in this TOML file "
                                                         "(checked first).", exists=True, dir_okay=False)] = None,
        defaults: Annotated[bool, typer.Option("--defaults", help=f"Go back to the built-in {what}.")] = False,
        store: StoreOption = None,
    ) -> None:
        if set_from is not None or defaults:
            with open_store(store) as s:
                setting = write(s, "" if defaults else set_from.read_text(encoding="utf-8"))
            console.print(saved if set_from is not None else restored)
        else:
            with open_store(store, read_only=True) as s:
                setting = read(s)
        show(setting)

    command.__name__ = name.replace("-", "_") + "_cmd"
    command.__doc__ = help
    return app.command(name)(command)
