"""The base at a glance, for a value run: revenue mix, customers lost, acquisition against value."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from patron.analytics.measures import acquisition_value, lost_customers, lost_value, revenue_mix
from patron.analytics.triage import GROUP_PLANS
from patron.store import Store


@dataclass
class Overview:
    as_of: dt.datetime
    revenue_mix: dict  # relational vs transactional revenue over the last 12 months
    lost: dict  # customers lost in the last 12 months and the revenue/margin they brought
    acquisition: list[dict]  # per acquisition channel: cost against CLV
    plans: dict[str, str]  # triage group -> plan


def year_before(as_of: dt.datetime) -> dt.datetime:
    """The start of the "last 12 months" ending at ``as_of``: the day 365 days before, whole days counted."""
    return as_of - dt.timedelta(days=365)


def run_currency(store: Store, run_id: int | None) -> str | None:
    """The currency a run analysed (None when unknown: patron never shows the placeholder code ``XXX``)."""
    if run_id is None:
        return None
    diagnostics = store.scalar("SELECT diagnostics FROM runs WHERE run_id = ?", [run_id])
    currency = (json.loads(diagnostics) if isinstance(diagnostics, str) else diagnostics or {}).get("currency")
    return currency if currency and currency != "XXX" else None


def current_currency(store: Store) -> str | None:
    """The currency of the current picture's money figures (None without a sound run)."""
    from patron.errors import PatronError
    from patron.service.runs import current_run

    try:
        return run_currency(store, current_run(store))
    except PatronError:
        return None


def revenue_12m(store: Store, as_of: dt.datetime, currency: str | None = None) -> dict:
    """The revenue of the 12 months up to ``as_of`` (whole days), net of refunds, in ``currency`` (default: all):
    the one figure the overview page, ``patron analyze`` and the API show
    (:func:`patron.analytics.measures.revenue_mix`)."""
    tx = store.table("transactions")
    if currency:
        tx = tx.filter(tx.currency == currency)
    mix = revenue_mix(tx, start=year_before(as_of).date(), end=as_of.date())
    rows = mix.to_pyarrow().to_pylist()
    return rows[0] if rows else {}


def relationship_overview(store: Store, run_id: int) -> Overview:
    """Base-wide measures at the run's as-of date, over the 12 months before it."""
    as_of = store.scalar("SELECT as_of FROM runs WHERE run_id = ?", [run_id])
    tx = store.table("transactions")
    mix = [revenue_12m(store, as_of, run_currency(store, run_id))]
    year_before_ = year_before(as_of)
    scores = store.table("scores").filter(lambda s: s.run_id == run_id)
    lost = lost_value(lost_customers(tx, as_of=as_of, since=year_before_)).to_pyarrow().to_pylist()
    acquisition = (acquisition_value(store.table("parties"), scores.select("party_id", "clv"))
                   .to_pyarrow().to_pylist())
    return Overview(as_of, mix[0] if mix else {}, lost[0] if lost else {},
                    [a for a in acquisition if a.get("acquisition_channel")], dict(GROUP_PLANS))
