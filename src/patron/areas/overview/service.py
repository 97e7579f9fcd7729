"""The overview: the state of the customer base at a glance, for the first page."""

from __future__ import annotations

import datetime as dt

from patron.errors import PatronError
from patron.service.analyze import valuable_at_risk
from patron.service.charts import inline_svg, ladder_funnel, triage_chart
from patron.service.overview import revenue_12m, run_currency
from patron.service.runs import current_run
from patron.store import Store


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
        "(SELECT count(*) FROM parties)",
        [as_of - 2 * year, as_of - year, as_of - year, as_of]).fetchall()[0]
    active, previous, kept, parties = row
    try:
        run = store.query("SELECT run_id, as_of FROM runs WHERE run_id = ?", [current_run(store)])
    except PatronError:
        run = []
    clv = store.scalar("SELECT sum(clv) FROM scores WHERE run_id = ?", [run[0][0]]) if run else None
    currency = run_currency(store, run[0][0] if run else None)
    revenue = revenue_12m(store, as_of, currency).get("revenue") or 0.0  # net of refunds, as in `patron analyze`
    return {"as_of": as_of, "active_customers": active, "parties": parties, "revenue_12m": float(revenue),
            "currency": currency,
            "retention_rate": kept / previous if previous else None, "retained": kept, "previous": previous,
            "total_clv": clv, "run_id": run[0][0] if run else None, "run_as_of": run[0][1] if run else None}


def overview(store: Store, at_risk: int = 20) -> dict:
    """The numbers, the ladder and triage charts (inline SVG) and the valuable customers at risk."""
    numbers = overview_numbers(store)
    run_id = numbers.get("run_id")
    charts = ({"ladder": inline_svg(ladder_funnel(store, run_id)), "triage": inline_svg(triage_chart(store, run_id))}
              if run_id else None)
    return {"numbers": numbers, "charts": charts,
            "at_risk": valuable_at_risk(store, run_id, at_risk) if run_id else []}
