"""Finding scored customers: filters over a run's scores, for lists and exports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from patron.errors import PatronError
from patron.service.analyze import latest_run
from patron.store import Store
from patron.store.vocabulary import RUNGS, TRIAGE_GROUPS

SORTS = {"clv": "s.clv DESC NULLS LAST", "revenue": "s.revenue DESC NULLS LAST",
         "p_alive": "s.p_alive ASC NULLS LAST", "health": "s.health ASC NULLS LAST"}
#: The columns of ``scores`` a list shows (every one but the run and party ids).
SCORE_FIELDS = ("frequency", "recency", "t", "monetary_value", "first_purchase_at", "last_purchase_at", "orders",
                "revenue", "margin", "p_alive", "expected_purchases", "expected_spend", "clv", "next_purchase_in",
                "r_score", "f_score", "m_score", "rfm_segment", "rung", "rung_level", "health", "health_trend",
                "triage", "value_tier", "quality_tier", "at_risk", "reasons")


@dataclass(frozen=True)
class CustomerFilter:
    segment: str | None = None
    rung: str | None = None
    triage: str | None = None
    at_risk: bool = False
    run_id: int | None = None
    sort: str = "clv"


def _query(store: Store, f: CustomerFilter) -> tuple[str, list]:
    run_id = latest_run(store, f.run_id)
    where, params = ["s.run_id = ?"], [run_id]
    if f.rung:
        if f.rung not in RUNGS:
            raise PatronError(f"Unknown rung '{f.rung}'. Rungs: {', '.join(RUNGS)}.")
        where.append("s.rung = ?")
        params.append(f.rung)
    if f.triage:
        if f.triage not in TRIAGE_GROUPS:
            raise PatronError(f"Unknown triage group '{f.triage}'. Groups: {', '.join(TRIAGE_GROUPS)}.")
        where.append("s.triage = ?")
        params.append(f.triage)
    if f.segment:
        known = [r[0] for r in store.query("SELECT DISTINCT rfm_segment FROM scores WHERE run_id = ? "
                                           "AND rfm_segment IS NOT NULL ORDER BY 1", [run_id])]
        if f.segment not in known:
            raise PatronError(f"Unknown segment '{f.segment}'. Segments in this run: {', '.join(known)}.")
        where.append("s.rfm_segment = ?")
        params.append(f.segment)
    if f.at_risk:
        where.append("s.at_risk")
    if f.sort not in SORTS:
        raise PatronError(f"Cannot sort by '{f.sort}'. Choose: {', '.join(SORTS)}.")
    sql = (f"SELECT s.party_id, p.name, p.email, p.kind, p.category, {', '.join('s.' + c for c in SCORE_FIELDS)} "
           f"FROM scores s JOIN parties p USING (party_id) WHERE {' AND '.join(where)} "
           f"ORDER BY {SORTS[f.sort]}, s.party_id")
    return sql, params


def list_customers(store: Store, f: CustomerFilter, *, limit: int = 30, offset: int = 0) -> tuple[int, list[dict]]:
    sql, params = _query(store, f)
    total = store.scalar(f"SELECT count(*) FROM ({sql}) matching", params)
    cur = store.raw.execute(f"{sql} LIMIT {int(limit)} OFFSET {int(offset)}", params)
    names = [d[0] for d in cur.description]
    return total, [dict(zip(names, row)) for row in cur.fetchall()]


def export_customers(store: Store, f: CustomerFilter, path: str | Path) -> int:
    """Write every matching customer to CSV or Parquet (by suffix); returns the count."""
    path = Path(path)
    fmt = {".csv": "(HEADER)", ".parquet": "(FORMAT PARQUET)"}.get(path.suffix.lower())
    if fmt is None:
        raise PatronError("Export to a .csv or a .parquet file.")
    sql, params = _query(store, f)
    store.export(sql, params, path, fmt)
    return store.scalar(f"SELECT count(*) FROM ({sql}) matching", params)
