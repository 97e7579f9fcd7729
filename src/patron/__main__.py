"""``python -m patron``: the same as the ``patron`` command."""

from patron.cli import main

main()
