"""What a file holds, read from its columns: the import kind whose fields its columns fit best.

An interactions file uploaded as parties once changed a customer's details:
nothing looked at whether the columns fit. Each kind's fields (and their
usual column names, :mod:`patron.ingest.fields`) are matched against the
file's header; a kind whose required fields are not all there cannot be the
one. The kind with the most matched fields of its own wins; a file that fits
another kind better than the one it is imported as gets a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from patron.ingest.fields import KINDS
from patron.ingest.mapping import Mapping, complete_mapping
from patron.ingest.readers import stage

#: Fields every kind has: matching them says nothing about which kind a file is.
_COMMON = frozenset({"customer_key", "external_id"})


@dataclass(frozen=True)
class KindFit:
    """How well a file's columns fit one import kind."""

    kind: str
    #: field -> the file's column that holds it
    matched: dict[str, str]
    missing_required: tuple[str, ...]

    @property
    def possible(self) -> bool:
        return not self.missing_required

    @property
    def score(self) -> int:
        """Fields of this kind's own that the file has (0 when a required one is missing)."""
        return len(set(self.matched) - _COMMON) if self.possible else 0


def file_columns(path: str | Path, mapping: Mapping | None = None) -> list[str]:
    """The columns of a file as the importer reads them (CSV header, Parquet or JSON Lines fields)."""
    with duckdb.connect() as con:
        return stage(con, Path(path), mapping or Mapping(kind="transactions")).columns


def kind_fits(columns: list[str]) -> list[KindFit]:
    """Every import kind with how the columns fit it, the best first."""
    fits = []
    for kind, fields in KINDS.items():
        matched = complete_mapping(Mapping(kind=kind), columns).columns
        missing = tuple(f.name for f in fields if f.required and f.name not in matched)
        fits.append(KindFit(kind, matched, missing))
    return sorted(fits, key=lambda f: (-f.score, not f.possible, list(KINDS).index(f.kind)))


#: A kind is detected only with this many fields of its own matched, and more than any other kind.
MIN_EVIDENCE = 2


def detect_kind(columns: list[str]) -> str | None:
    """The kind the columns fit clearly best, or ``None`` when the evidence is too thin to say (the user says)."""
    best, runner_up = kind_fits(columns)[:2]
    return best.kind if best.score >= MIN_EVIDENCE and best.score > runner_up.score else None


def kind_warning(columns: list[str], kind: str) -> str | None:
    """A sentence for the user when the columns fit another kind better than ``kind``; else ``None``."""
    fits = {f.kind: f for f in kind_fits(columns)}
    best = max(fits.values(), key=lambda f: f.score)
    chosen = fits[kind]
    if best.kind == kind or best.score <= chosen.score:
        return None
    own = ", ".join(sorted(set(best.matched) - _COMMON))
    why = (f"it lacks {', '.join(chosen.missing_required)}" if chosen.missing_required
           else f"only {chosen.score} of its columns are {kind} fields")
    return (f"These columns look like {best.kind} ({own}), not {kind}: {why}. "
            f"Check what the file holds before importing it.")
