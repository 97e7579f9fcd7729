"""Segments of the latest analysis run: RFM segments, ladder rungs and triage groups, with their members."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from patron.errors import PatronError
from patron.service.analyze import latest_run
from patron.service.customers import CustomerFilter, list_customers
from patron.service.parties import PERSONAL_FIELDS, mask
from patron.service.users import User
from patron.store import Store

KINDS = {"rfm": "rfm_segment", "rung": "rung", "triage": "triage"}
EXPORT_COLUMNS = ("party_id", "name", "email", "kind", "category", "rung", "rfm_segment", "triage", "revenue", "clv",
                  "p_alive", "health", "at_risk")


def segments(store: Store) -> list[dict]:
    run_id = latest_run(store)
    out = []
    for kind, column in KINDS.items():
        for name, members, clv in store.query(
                f"SELECT {column}, count(*), sum(clv) FROM scores WHERE run_id = ? AND {column} IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC", [run_id]):
            out.append({"kind": kind, "name": name, "members": members, "total_clv": clv, "run_id": run_id})
    out.append({"kind": "at_risk", "name": "valuable customers at risk", "run_id": run_id,
                "members": store.scalar("SELECT count(*) FROM scores WHERE run_id = ? AND at_risk", [run_id]),
                "total_clv": store.scalar("SELECT sum(clv) FROM scores WHERE run_id = ? AND at_risk", [run_id])})
    return out


def _filter(kind: str, name: str) -> CustomerFilter:
    if kind == "at_risk":
        return CustomerFilter(at_risk=True)
    if kind not in KINDS:
        raise PatronError(f"Unknown kind of segment '{kind}'. Kinds: {', '.join([*KINDS, 'at_risk'])}.")
    return CustomerFilter(**{{"rfm": "segment", "rung": "rung", "triage": "triage"}[kind]: name})


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (names come from outside)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _visible(row: dict, user: User) -> dict:
    if user.sees_personal_data:
        return row
    return {k: (mask(k, v) if k in PERSONAL_FIELDS else v) for k, v in row.items()}


def members(store: Store, user: User, kind: str, name: str, *, limit: int = 50, offset: int = 0) -> tuple[int, list]:
    total, rows = list_customers(store, _filter(kind, name), limit=limit, offset=offset)
    return total, [_visible(r, user) for r in rows]


def export_csv(store: Store, user: User, kind: str, name: str, batch: int = 5000) -> Iterator[str]:
    """The members as CSV text, in batches (a list can have millions of rows)."""
    f = _filter(kind, name)
    offset = 0
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    while True:
        total, rows = list_customers(store, f, limit=batch, offset=offset)
        for r in rows:
            r = _visible(r, user)
            writer.writerow([safe_cell(r.get(c)) for c in EXPORT_COLUMNS])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
        offset += batch
        if offset >= total:
            return
