"""Where the analytics read their tables from: a store, or a mapping of Ibis tables.

Point-in-time measures (ladder, health, lost customers) need several store
tables. They accept either a :class:`~patron.store.connection.Store` (or
anything with a ``table(name)`` method) or a plain mapping such as
``{"parties": t1, "transactions": t2, ...}``, which lets a caller pass
filtered tables or tables of another engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, Union

import ibis.expr.types as ir


class HasTables(Protocol):
    def table(self, name: str) -> ir.Table: ...


Tables = Union[HasTables, Mapping[str, ir.Table]]


def table(source: Tables | Any, name: str) -> ir.Table:
    """The Ibis table ``name`` of ``source``."""
    if isinstance(source, Mapping):
        try:
            return source[name]
        except KeyError:
            raise KeyError(f"this measure needs the '{name}' table; pass it in the mapping") from None
    return source.table(name)
