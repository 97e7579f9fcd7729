"""Records entered in patron itself rather than imported: their source, their time, their choices checked.

Such records have source ``patron`` and their own id as external id, so they
sit in the same tables as imported ones and a later import never collides
with them.
"""

from __future__ import annotations

import datetime as dt

from patron.errors import InvalidInput

SOURCE = "patron"


def now() -> dt.datetime:
    """The current time as the store keeps it: naive UTC, whole seconds."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def choice(name: str, value: str | None, allowed: tuple[str, ...], required: bool = False) -> str | None:
    """``value`` if it is one of ``allowed`` (or ``None`` when not ``required``); else a message naming them."""
    if value is None:
        if required:
            raise InvalidInput(f"{name} is required: one of {', '.join(allowed)}.")
        return None
    if value not in allowed:
        raise InvalidInput(f"{name} '{value}' is not one of: {', '.join(allowed)}.")
    return value
