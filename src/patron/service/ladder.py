"""Movement on the ladder of loyalty between two dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from patron.analytics.ladder import LADDER_STATES, ladder_migration, ladder_rules_from
from patron.errors import PatronError
from patron.service.inputs import parse_date
from patron.store import Store


@dataclass
class LadderMovement:
    start: dt.datetime
    end: dt.datetime
    rungs: tuple[str, ...]
    frame: pd.DataFrame  # from_rung, to_rung, parties, from_level, to_level
    matrix: dict[tuple[str, str], int]
    up: int
    same: int
    down: int
    new: int


def _date(text: str) -> dt.datetime:
    return parse_date(text, "the date")


def ladder_movement(store: Store, start: str, end: str | None = None, *, rules: str | None = None) -> LadderMovement:
    """Counts of parties from each rung (or lapsed) at ``start`` to each at ``end``; ``down`` counts the falls."""
    first = _date(start)
    last = _date(end) if end else store.table("transactions").occurred_at.max().to_pyarrow().as_py()
    if last is None:
        raise PatronError("The store has no transactions yet.")
    if last <= first:
        raise PatronError("The second date must be after the first.")
    frame = ladder_migration(store, first, last, rules=ladder_rules_from(rules)).to_pandas()
    matrix = {(r.from_rung, r.to_rung): int(r.parties) for r in frame.itertuples()}
    known = frame[frame.from_rung != "new"]
    return LadderMovement(
        first, last, LADDER_STATES, frame, matrix,
        up=int(known[known.to_level > known.from_level].parties.sum()),
        same=int(known[known.to_level == known.from_level].parties.sum()),
        down=int(known[known.to_level < known.from_level].parties.sum()),
        new=int(frame[frame.from_rung == "new"].parties.sum()),
    )
