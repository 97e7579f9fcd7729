"""Reference tables for service quality: competitor and industry benchmarks and management's estimates, read
from CSV (kind, name, period, dimension, item, score, scale_max) and stored in ``quality_references``."""

from __future__ import annotations

import csv
import datetime as dt
import io

from patron.errors import InvalidInput
from patron.store import Store
from patron.store.vocabulary import SERVQUAL_DIMENSIONS

KINDS = ("competitor", "industry", "management")
COLUMNS = ("kind", "name", "period", "dimension", "item", "score", "scale_max")


def parse_references(text: str, *, where: str = "the file") -> list[dict]:
    """Rows of a reference table (CSV with a header: kind, name, period, dimension, item, score, scale_max;
    item may be empty). Every bad row is named with its line; nothing is returned half-read."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or []) and c != "item"]
    if missing:
        raise InvalidInput(f"{where} lacks the column(s) {', '.join(missing)}; a reference table has "
                           f"{', '.join(COLUMNS)}.")
    rows, problems = [], []
    for line, r in enumerate(reader, 2):
        try:
            kind = (r["kind"] or "").strip().lower()
            if kind not in KINDS:
                raise ValueError(f"kind '{r['kind']}' is not one of {', '.join(KINDS)}")
            name = (r["name"] or "").strip()
            if not name:
                raise ValueError("the name is empty")
            dim = (r["dimension"] or "").strip().lower()
            if dim not in SERVQUAL_DIMENSIONS:
                raise ValueError(f"dimension '{r['dimension']}' is not a SERVQUAL dimension")
            try:
                period = dt.date.fromisoformat((r["period"] or "").strip()[:10])
            except ValueError:
                raise ValueError(f"period '{r['period']}' is not a date (YYYY-MM-DD)") from None
            try:
                score, top = float(r["score"]), float(r["scale_max"])
            except (TypeError, ValueError):
                raise ValueError(f"score '{r['score']}' or scale_max '{r['scale_max']}' is not a number") from None
            if not (top > 1 and 1 <= score <= top):
                raise ValueError(f"score {score:g} is not on the 1-{top:g} scale")
            rows.append({"kind": kind, "name": name, "period": period, "dimension": dim,
                         "item": (r.get("item") or "").strip() or None, "score": score, "scale_max": top})
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise InvalidInput(f"{where} has {len(problems)} bad row(s), nothing was imported: {shown}.")
    if not rows:
        raise InvalidInput(f"{where} has no rows.")
    return rows


def store_references(store: Store, rows: list[dict], source: str) -> int:
    """Insert parsed rows (inside the caller's transaction); returns the first id."""
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    first = store.next_id("quality_references", "reference_id")
    for k, r in enumerate(rows):
        store.raw.execute(
            "INSERT INTO quality_references (reference_id, kind, name, period, dimension, item, score, scale_max, "
            "source, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [first + k, r["kind"], r["name"], r["period"], r["dimension"], r["item"], r["score"], r["scale_max"],
             source, at])
    return first
