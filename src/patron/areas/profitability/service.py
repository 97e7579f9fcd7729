"""Profitability use cases: a run's profit to date by group, and the Stobachoff curve (seeds 001 and 004)."""

from __future__ import annotations

from dataclasses import asdict

from patron.errors import PatronError
from patron.service.charts import inline_svg
from patron.service.overview import run_currency
from patron.service.permissions import User
from patron.service.profitability import (
    GROUPINGS,
    curve_description,
    profit_groups,
    profitability_report,
    stobachoff_chart,
)
from patron.service.runs import current_run
from patron.store import Store

ACTION = "customers.read"
#: The groupings the page shows, in its order.
PAGE_GROUPINGS = ("segment", "rung", "channel", "triage")


def profitability(store: Store, user: User, by: str = "rung", run_id: int | None = None, points: int = 20) -> dict:
    """The run's profitability grouped ``by`` rung, segment, channel or triage, with the Stobachoff curve."""
    from patron.service.analyze import latest_run

    user.require(ACTION)
    report = profitability_report(store, latest_run(store, run_id), by=by, points=points)
    currency = run_currency(store, report.run_id)
    return {**asdict(report), "by": by, "currency": currency, "description": curve_description(report, currency)}


def profitability_page(store: Store, user: User) -> dict:
    """Everything the page shows: every grouping's table, the curve as a chart and its points, or no run."""
    user.require(ACTION)
    try:
        run_id = current_run(store)
    except PatronError:  # no sound run yet: the page says so
        return {"report": None}
    report = profitability_report(store, run_id, by=PAGE_GROUPINGS[0])
    groups = {by: profit_groups(store, run_id, by) for by in PAGE_GROUPINGS}
    currency = run_currency(store, run_id)
    chart = inline_svg(stobachoff_chart(report, currency)) if report.customers else None
    return {"report": report, "groups": groups, "chart": chart, "description": curve_description(report, currency),
            "currency": currency, "groupings": GROUPINGS}
