"""Cohort retention: customers by the month of their first purchase (the acquisition cohort), and the share of
each cohort who buy again in each month since (month 0 is the acquisition month, 100 % by definition).

Months are counted to the data's last purchase; a cohort's cells past that month are left empty, not zero.
"""

from __future__ import annotations

from html import escape

from patron.service.permissions import User
from patron.store import Store


def cohort_retention(store: Store, user: User | None, *, max_months: int = 24) -> dict:
    """Per acquisition month: its customers and the share active (a purchase) in each month since."""
    if user is not None:
        user.require("customers.read")
    rows = store.query(
        "WITH t AS (SELECT party_id, CAST(date_trunc('month', occurred_at) AS DATE) AS m FROM transactions "
        "WHERE kind IN ('order', 'invoice')), "
        "f AS (SELECT party_id, min(m) AS c FROM t GROUP BY party_id), "
        "a AS (SELECT DISTINCT t.party_id, f.c, "
        "(CAST(extract(year FROM t.m) AS INTEGER) - CAST(extract(year FROM f.c) AS INTEGER)) * 12 "
        "+ CAST(extract(month FROM t.m) AS INTEGER) - CAST(extract(month FROM f.c) AS INTEGER) AS k "
        "FROM t JOIN f ON f.party_id = t.party_id) "
        "SELECT c, k, count(*) FROM a WHERE k <= ? GROUP BY c, k ORDER BY c, k", [max_months])
    last = store.scalar("SELECT CAST(date_trunc('month', max(occurred_at)) AS DATE) FROM transactions "
                        "WHERE kind IN ('order', 'invoice')")
    cohorts: dict = {}
    for c, k, n in rows:
        cohorts.setdefault(c, {})[int(k)] = int(n)
    out = []
    for c, cells in cohorts.items():
        size = cells.get(0, 0)
        horizon = (last.year - c.year) * 12 + last.month - c.month if last else 0
        out.append({"cohort": c, "customers": size,
                    "retention": [cells.get(k, 0) / size if size else None for k in range(min(horizon, max_months) + 1)]})
    return {"cohorts": out, "max_months": max_months, "last_month": last}


def heatmap_svg(report: dict, *, cell: int = 22) -> str:
    """The cohort table as an SVG heatmap: rows cohorts, columns months since, darker = more retained."""
    cohorts = report["cohorts"]
    months = max((len(c["retention"]) for c in cohorts), default=0)
    left, top = 90, 30
    width, height = left + cell * max(months, 1) + 10, top + cell * max(len(cohorts), 1) + 10
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
              f'font-size="10" role="img" aria-label="Cohort retention heatmap">')]
    for k in range(months):
        parts.append(f'<text x="{left + cell * k + cell / 2}" y="{top - 8}" text-anchor="middle">{k}</text>')
    for i, c in enumerate(cohorts):
        y = top + cell * i
        parts.append(f'<text x="{left - 6}" y="{y + cell * 0.65}" text-anchor="end">'
                     f'{escape(c["cohort"].strftime("%Y-%m"))} ({c["customers"]})</text>')
        for k, share in enumerate(c["retention"]):
            if share is None:
                continue
            shade = int(245 - 200 * min(share * (1 if k == 0 else 3), 1.0))  # months after 0 are on a 0-33 % ramp
            parts.append(f'<rect class="cohort-cell" x="{left + cell * k}" y="{y}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="rgb({shade},{shade},255)"><title>{c["cohort"]:%Y-%m}, month '
                         f'{k}: {share:.0%}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)
