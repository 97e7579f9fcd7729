"""The numbers on the overview page, and the complaint desk's queue against service levels."""

from __future__ import annotations

import datetime as dt

from patron.store import Store

#: Service levels of the customer charter, by severity: hours to first response and to resolution.
SERVICE_LEVELS = {
    "critical": (4, 24),
    "high": (24, 72),
    "medium": (48, 168),
    "low": (72, 336),
}


def overview_numbers(store: Store) -> dict:
    """Customers, revenue and retention over the last 12 months, and the latest run's CLV."""
    as_of = store.scalar("SELECT max(occurred_at) FROM transactions")
    if as_of is None:
        return {"as_of": None}
    year = dt.timedelta(days=365)
    row = store.raw.execute(
        "WITH t AS (SELECT party_id, occurred_at, revenue FROM transactions WHERE kind <> 'refund'), "
        "prev AS (SELECT DISTINCT party_id FROM t WHERE occurred_at > ? AND occurred_at <= ?), "
        "last AS (SELECT DISTINCT party_id FROM t WHERE occurred_at > ? AND occurred_at <= ?) "
        "SELECT (SELECT count(*) FROM last), (SELECT count(*) FROM prev), "
        "(SELECT count(*) FROM prev WHERE party_id IN (SELECT party_id FROM last)), "
        "(SELECT coalesce(sum(revenue), 0) FROM transactions WHERE occurred_at > ? AND occurred_at <= ?), "
        "(SELECT count(*) FROM parties)",
        [as_of - 2 * year, as_of - year, as_of - year, as_of, as_of - year, as_of]).fetchall()[0]
    active, previous, kept, revenue, parties = row
    run = store.query("SELECT run_id, as_of FROM runs WHERE kind = 'value' ORDER BY run_id DESC LIMIT 1")
    clv = store.scalar("SELECT sum(clv) FROM scores WHERE run_id = ?", [run[0][0]]) if run else None
    return {"as_of": as_of, "active_customers": active, "parties": parties, "revenue_12m": float(revenue),
            "retention_rate": kept / previous if previous else None, "retained": kept, "previous": previous,
            "total_clv": clv, "run_id": run[0][0] if run else None, "run_as_of": run[0][1] if run else None}


def complaint_queue(store: Store, now: dt.datetime | None = None, limit: int = 200) -> list[dict]:
    """Open complaints, oldest breach first, with their age against the service levels."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    cur = store.raw.execute(
        "SELECT c.complaint_id, c.party_id, coalesce(p.name, '#' || c.party_id::VARCHAR) AS customer, c.opened_at, "
        "c.first_response_at, c.category, c.severity, c.status, c.description FROM complaints c "
        "JOIN parties p USING (party_id) WHERE c.status IN ('open', 'in_progress') "
        "ORDER BY c.opened_at LIMIT ?", [limit])
    names = [d[0] for d in cur.description]
    rows = []
    for values in cur.fetchall():
        r = dict(zip(names, values))
        respond_h, resolve_h = SERVICE_LEVELS[r["severity"]]
        age_h = (now - r["opened_at"]).total_seconds() / 3600
        r["age_hours"] = age_h
        r["response_due"] = r["opened_at"] + dt.timedelta(hours=respond_h)
        r["resolution_due"] = r["opened_at"] + dt.timedelta(hours=resolve_h)
        r["response_breached"] = r["first_response_at"] is None and now > r["response_due"]
        r["resolution_breached"] = now > r["resolution_due"]
        r["urgency"] = age_h / resolve_h  # share of the resolution time used
        rows.append(r)
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    rows.sort(key=lambda r: (not r["resolution_breached"], not r["response_breached"], order[r["severity"]],
                             -r["urgency"]))
    return rows


def recent_imports(store: Store, limit: int = 50) -> list[dict]:
    cur = store.raw.execute(
        "SELECT import_id, kind, source, file_name, finished_at, rows_read, accepted, rejected, already_present "
        "FROM imports ORDER BY import_id DESC LIMIT ?", [limit])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
