"""``python -m patron``: the same as the ``patron`` command."""

from patron.cli.app import main

main()
