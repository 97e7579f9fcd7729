"""Lists of scored customers: filters over a run's scores, the segments of the latest run, and their export.

A segment is an RFM segment, a rung of the ladder of loyalty, a triage group
(seed 004: best, average, worst) or the valuable customers at risk; a list is
any filter over one run's scores (``patron customers``, the segment pages).
Exports mask personal data for roles that may not see it and write cells a
spreadsheet will not run as formulas.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from patron.errors import InvalidInput, NotFound
from patron.service.analyze import latest_run
from patron.service.audit import counted
from patron.service.consent import ConsentRule, consent_columns
from patron.service.exports import csv_chunks, write_csv
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.store import Store
from patron.store.vocabulary import LADDER_STATES as RUNGS
from patron.store.vocabulary import TRIAGE_GROUPS

SORTS = {"clv": "s.clv DESC NULLS LAST", "revenue": "s.revenue DESC NULLS LAST",
         "p_alive": "s.p_alive ASC NULLS LAST", "health": "s.health ASC NULLS LAST"}
#: The columns of ``scores`` a list shows (every one but the run and party ids).
SCORE_FIELDS = ("frequency", "recency", "t", "monetary_value", "first_purchase_at", "last_purchase_at", "orders",
                "revenue", "margin", "p_alive", "expected_purchases", "expected_spend", "clv", "next_purchase_in",
                "r_score", "f_score", "m_score", "rfm_segment", "rung", "rung_level", "health", "health_trend",
                "triage", "value_tier", "quality_tier", "at_risk", "reasons", "rung_reason", "triage_reason",
                "cost_to_serve", "profit", "profit_clv", "p_alive_low", "p_alive_high", "clv_low", "clv_high")


@dataclass(frozen=True)
class CustomerFilter:
    segment: str | None = None
    rung: str | None = None
    triage: str | None = None
    at_risk: bool = False
    run_id: int | None = None
    sort: str = "clv"


def _query(store: Store, f: CustomerFilter, consent: ConsentRule | None = None, *,
           contact_details: bool = True) -> tuple[str, list]:
    """The filter's SQL; with ``consent``, a ``consent`` column and, unless marking, only those who gave it."""
    run_id = latest_run(store, f.run_id)
    join, column, params = consent_columns(consent) if consent else ("", "NULL", [])
    where = ["s.run_id = ?"]
    params.append(run_id)
    if consent and consent.without == "exclude":
        where.append(f"{column} = 'granted'")
    if f.rung:
        if f.rung not in RUNGS:
            raise InvalidInput(f"Unknown rung '{f.rung}'. Rungs: {', '.join(RUNGS)}.")
        where.append("s.rung = ?")
        params.append(f.rung)
    if f.triage:
        if f.triage not in TRIAGE_GROUPS:
            raise InvalidInput(f"Unknown triage group '{f.triage}'. Groups: {', '.join(TRIAGE_GROUPS)}.")
        where.append("s.triage = ?")
        params.append(f.triage)
    if f.segment:
        known = [r[0] for r in store.query("SELECT DISTINCT rfm_segment FROM scores WHERE run_id = ? "
                                           "AND rfm_segment IS NOT NULL ORDER BY 1", [run_id])]
        if f.segment not in known:
            raise NotFound(f"Unknown segment '{f.segment}'. Segments in this run: {', '.join(known)}.")
        where.append("s.rfm_segment = ?")
        params.append(f.segment)
    if f.at_risk:
        where.append("s.at_risk")
    if f.sort not in SORTS:
        raise InvalidInput(f"Cannot sort by '{f.sort}'. Choose: {', '.join(SORTS)}.")
    contact = "p.name, p.email, p.phone, " if contact_details else ""
    sql = (f"SELECT s.party_id, {contact}p.kind, p.category, "
           f"{', '.join('s.' + c for c in SCORE_FIELDS)}, {column} AS consent "
           f"FROM scores s JOIN parties p ON p.party_id = s.party_id {join} WHERE {' AND '.join(where)} "
           f"ORDER BY {SORTS[f.sort]}, s.party_id")
    return sql, params


def list_customers(store: Store, f: CustomerFilter, *, limit: int = 30, offset: int = 0,
                   consent: ConsentRule | None = None) -> tuple[int, list[dict]]:
    sql, params = _query(store, f, consent)
    total = store.scalar(f"SELECT count(*) FROM ({sql}) matching", params)
    return total, store.records(f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}", params)


def export_customers(store: Store, f: CustomerFilter, path: str | Path,
                     consent: ConsentRule | None = ConsentRule()) -> int:
    """Write every matching customer to CSV or Parquet (by suffix); returns the count.

    A list of people is a contact list: by default only those whose latest email consent is granted are
    written (``consent``; ``None`` for an analysis extract without contact details).
    """
    path = Path(path)
    fmt = {".csv": "(HEADER)", ".parquet": "(FORMAT PARQUET)"}.get(path.suffix.lower())
    if fmt is None:
        raise InvalidInput("Export to a .csv or a .parquet file.")
    # No contact details without a consent rule.
    sql, params = _query(store, f, consent, contact_details=consent is not None)
    if path.suffix.lower() == ".csv":
        return write_csv(store, sql, params, path)  # the one CSV path: formulas made harmless
    store.export(sql, params, path, fmt)
    return store.scalar(f"SELECT count(*) FROM ({sql}) matching", params)


# -- segments ------------------------------------------------------------------
KINDS = {"rfm": "rfm_segment", "rung": "rung", "triage": "triage"}
EXPORT_COLUMNS = ("party_id", "name", "email", "phone", "kind", "category", "rung", "rfm_segment", "triage", "revenue",
                  "clv", "p_alive", "health", "at_risk", "consent")


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
        raise InvalidInput(f"Unknown kind of segment '{kind}'. Kinds: {', '.join([*KINDS, 'at_risk'])}.")
    return CustomerFilter(**{{"rfm": "segment", "rung": "rung", "triage": "triage"}[kind]: name})


def members(store: Store, user: User, kind: str, name: str, *, limit: int = 50, offset: int = 0) -> tuple[int, list]:
    user.require("customers.read")
    total, rows = list_customers(store, _filter(kind, name), limit=limit, offset=offset)
    return total, [visible(r, user) for r in rows]


def export_csv(store: Store, user: User, kind: str, name: str, batch: int = 5000,
               consent: ConsentRule = ConsentRule()) -> Iterator[str]:
    """The members as CSV text, in batches (a list can have millions of rows): only those who may be contacted
    under ``consent`` (by default, whose latest email consent is granted), or all of them marked."""
    user.require("segments.export")
    f = _filter(kind, name)

    def batches():
        offset = 0
        while True:
            total, rows = list_customers(store, f, limit=batch, offset=offset, consent=consent)
            yield [visible(r, user) for r in rows]
            offset += batch
            if offset >= total:
                return

    return csv_chunks(EXPORT_COLUMNS, counted(store, user, "segment.export", batches(), "segment", None,
                                              {"kind": kind, "name": name, "consent": consent.channel}))
