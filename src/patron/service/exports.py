"""Writing lists for other programs: one CSV path, with cells a spreadsheet will not run.

Every CSV patron writes (the API's and pages' segment downloads, ``patron customers --export``,
``patron quarantine --export``) goes through :func:`csv_chunks`, so one escaping rule holds everywhere.

A CSV file is opened by people, in a spreadsheet: its header row is in words (:func:`header`: "Customer
number", "P(still active)"), and stored codes are written as their words ("can't lose them"). The values stay
readable by programs: numbers with a dot and no thousands separator, at most 6 decimals; times ISO 8601
(``2025-03-01 09:00:00``, UTC); nothing in the reader's locale. A program that wants the codes reads the
JSON API or a Parquet export, whose column names are the stored ones.
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


#: The header a CSV column gets; any other column reads as its name in words ("first_response_at" →
#: "First response at").
HEADERS = {
    "party_id": "Customer number", "name": "Name", "email": "Email", "phone": "Phone", "kind": "Kind",
    "category": "Category", "city": "City", "country": "Country", "owner": "Owner", "rung": "Rung",
    "triage": "Triage group", "segment": "RFM segment", "rfm_segment": "RFM segment", "clv": "CLV",
    "p_alive": "P(still active)", "revenue": "Revenue", "health": "Health", "at_risk": "At risk",
    "consent": "Consent", "complaint_id": "Complaint number", "opened_at": "Opened", "resolved_at": "Resolved",
    "age_days": "Age (days)", "sla_state": "Service level", "customer": "Customer",
    "value": "Customer value (CLV)", "satisfaction_after": "Satisfaction after (1-5)",
    "interaction_id": "Interaction number", "occurred_at": "When", "duration_s": "Duration (seconds)",
    "happened_at": "When", "user_id": "User number", "username": "User", "entity": "Record",
    "entity_id": "Record number", "row_count": "Rows", "address": "Address", "import_id": "Import number",
    "raw": "Raw line", "raw_base64": "Raw bytes (base64)", "last_activity": "Last activity",
}


def header(column: str) -> str:
    """The header people read for a column (``p_alive`` → "P(still active)")."""
    return HEADERS.get(column) or column.replace("_", " ").capitalize()


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
    writer.writerow([header(c) for c in columns])
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
