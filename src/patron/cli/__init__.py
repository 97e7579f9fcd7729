"""The ``patron`` command: a thin Typer interface over :mod:`patron.service`."""

from patron.cli.app import app, main

__all__ = ["app", "main"]
