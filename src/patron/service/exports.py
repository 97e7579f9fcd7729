"""Writing lists for other programs: one CSV path, with cells a spreadsheet will not run.

Every CSV patron writes (the API's and pages' segment downloads, ``patron customers --export``,
``patron quarantine --export``) goes through :func:`csv_chunks`, so one escaping rule holds everywhere.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from patron.store.vocabulary import label

#: Columns that hold a stored code: a CSV file people open shows the word (``cant_lose_them`` → "can't lose them").
CODE_COLUMNS = frozenset({"kind", "category", "rung", "rfm_segment", "segment", "triage", "channel",
                          "acquisition_channel", "status", "severity", "instrument", "direction", "department",
                          "currency"})


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (names come from outside); a float is written
    with at most 6 decimals (``36681.24``, not the binary ``36681.240000000005``)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        value = round(value, 6)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_chunks(columns: Sequence[str], batches: Iterable[Iterable[dict[str, Any]]]) -> Iterator[str]:
    """CSV text: the header, then one chunk per batch of rows (dicts), every cell made safe."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for rows in batches:
        for r in rows:
            writer.writerow([safe_cell(label(r.get(c)) if c in CODE_COLUMNS and r.get(c) is not None else r.get(c))
                             for c in columns])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():  # pragma: no cover - no batches at all: the header alone
        yield buf.getvalue()


def write_csv(store, sql: str, params: list[Any], path: str | Path, batch: int = 20_000) -> int:
    """Write a query's rows (``sql`` must be ordered) to a CSV file in batches, cells made safe; returns the count."""
    count = 0

    def batches():
        nonlocal count
        offset = 0
        while True:
            rows = store.records(f"SELECT * FROM ({sql}) exported LIMIT {int(batch)} OFFSET {int(offset)}", params)
            count += len(rows)
            yield rows
            if len(rows) < batch:
                return
            offset += batch

    columns = [d[0] for d in store.raw.execute(f"SELECT * FROM ({sql}) exported LIMIT 0", params).description]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.writelines(csv_chunks(columns, batches()))
    return count



def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value for a download of any name (RFC 6266 with RFC 5987's ``filename*``).

    HTTP headers are Latin-1: a name in another script gets a plain ASCII ``filename`` for old clients
    and the exact name, UTF-8 and percent-encoded, in ``filename*``.
    """
    from urllib.parse import quote

    name = "".join(c for c in filename if c.isprintable() and c not in '"\\/').strip() or "download"
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
