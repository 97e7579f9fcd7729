"""The ``patron`` command: a thin Typer interface over the service layer (root: :mod:`patron.cli.app`)."""
