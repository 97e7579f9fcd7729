"""The schema of the store as numbered migrations, one file each: ``NNNN_what_it_does.py``.

Each file holds ``NAME`` (recorded in ``schema_migrations``) and ``STATEMENTS``, written in DuckDB's SQL
dialect (a PostgreSQL store gets them translated, :mod:`patron.store.backends.postgres_dialect`). A
released migration is never edited: ``tests/store/test_migrations.py`` holds the checksum of each. A change
to the schema is the next number; a new table is also declared in :mod:`patron.store.tables`.

Conventions
-----------
- Timestamps are stored as ``TIMESTAMP`` in UTC. Importers convert values that carry a time zone and
  interpret values without one in the zone the mapping names (UTC by default).
- Money is ``DECIMAL(18, 4)`` in the row's own ``currency``: no float rounding on storage; analytics cast
  to ``DOUBLE`` where they model.
- Every fact row keeps where it came from: ``source`` (the system that exported it), ``external_id`` (its
  key in that system, or a content hash when the system has none) and ``import_id`` (the import that
  brought it). ``(source, external_id)`` is unique, which is what makes re-imports add nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]

    @property
    def checksum(self) -> str:
        """SHA-256 of the statements as written: a released migration keeps it for ever."""
        return hashlib.sha256("\n;\n".join(s.strip() for s in self.statements).encode()).hexdigest()


def _load() -> tuple[Migration, ...]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = re.fullmatch(r"(\d{4})_\w+", info.name)
        if match is None:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(Migration(int(match.group(1)), module.NAME, tuple(module.STATEMENTS)))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"Migrations must be numbered 1, 2, 3... without gaps; found {versions}.")
    return tuple(found)


MIGRATIONS: tuple[Migration, ...] = _load()
