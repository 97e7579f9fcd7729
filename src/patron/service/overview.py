"""The base at a glance, for a value run: revenue mix, customers lost, acquisition against value."""

from __future__ import annotations

import datetime as dt
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


def relationship_overview(store: Store, run_id: int) -> Overview:
    """Base-wide measures at the run's as-of date, over the 12 months before it."""
    as_of = store.scalar("SELECT as_of FROM runs WHERE run_id = ?", [run_id])
    year_before = as_of - dt.timedelta(days=365)
    tx = store.table("transactions")
    mix = revenue_mix(tx, start=year_before.date(), end=as_of.date()).to_pyarrow().to_pylist()
    scores = store.table("scores").filter(lambda s: s.run_id == run_id)
    lost = lost_value(lost_customers(tx, as_of=as_of, since=year_before)).to_pyarrow().to_pylist()
    acquisition = (acquisition_value(store.table("parties"), scores.select("party_id", "clv"))
                   .to_pyarrow().to_pylist())
    return Overview(as_of, mix[0] if mix else {}, lost[0] if lost else {},
                    [a for a in acquisition if a.get("acquisition_channel")], dict(GROUP_PLANS))
