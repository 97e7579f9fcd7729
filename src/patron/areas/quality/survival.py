"""Does recovery work, and who has left: survival by complaint experience, and the lost-customer report.

**Who is lost** (the documented rule): in the latest value run, a customer is lost when their P(alive) is
below ``lost_p_alive`` (0.5) *and* their last purchase is more than ``lost_days`` (180) days before the
run's as-of date (the data's end). A lost customer's lifetime ends at their last purchase; everyone else is
censored at the as-of date. Lifetimes start at the first purchase.

**Complaint experience** is read from a customer's latest complaint: never complained; resolved within the
service level (the resolution clock of :mod:`patron.areas.complaints.sla`, in business hours); resolved
late; unresolved at the data's end.

**Value lost**: a lost customer's revenue per year of their lifetime (at least 30 days), the yearly
revenue the firm no longer receives.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pandas as pd

from patron.areas.complaints.desk import service_levels
from patron.areas.complaints.sla import ServiceLevels
from patron.errors import InvalidInput
from patron.models import survival
from patron.service.permissions import User
from patron.store import Store

EXPERIENCES = ("never complained", "resolved within SLA", "resolved late", "unresolved")


def _run(store: Store) -> tuple[int, dt.datetime]:
    row = store.query("SELECT run_id, as_of FROM runs WHERE kind = 'value' ORDER BY run_id DESC LIMIT 1")
    if not row:
        raise InvalidInput("Survival and lost customers need an analysis run: run patron analyze first.")
    return row[0]


def complaint_experience(store: Store, as_of: dt.datetime, levels: ServiceLevels | None = None
                         ) -> dict[int, str]:
    """Each complaining customer's experience of their latest complaint opened by ``as_of``, judged on the
    desk's resolution clock (the store's service levels, waits for the customer left out)."""
    levels = levels or service_levels(store)
    rows = store.records(
        "SELECT party_id, opened_at, first_response_at, resolved_at, category, severity, waiting_since, "
        "paused_hours FROM complaints "
        "WHERE opened_at <= ? ORDER BY party_id, opened_at", [as_of])
    latest = {r["party_id"]: r for r in rows}
    out = {}
    for party, c in latest.items():
        if c["resolved_at"] is None or c["resolved_at"] > as_of:
            out[party] = "unresolved"
            continue
        clock = levels.desk_clocks(c, as_of)["resolution"]
        out[party] = "resolved within SLA" if clock.state == "met" else "resolved late"
    return out


def customer_lifetimes(store: Store, *, lost_p_alive: float = 0.5, lost_days: float = 180,
                       levels: ServiceLevels | None = None) -> pd.DataFrame:
    """One row per scored buyer: lifetime in days, lost or not, complaint experience, value and channel."""
    run_id, as_of = _run(store)
    rows = store.query(
        "SELECT s.party_id, s.first_purchase_at, s.last_purchase_at, s.p_alive, s.revenue, s.monetary_value, "
        "s.clv, coalesce(p.acquisition_channel, 'unknown') FROM scores s JOIN parties p USING (party_id) "
        "WHERE s.run_id = ? AND s.first_purchase_at IS NOT NULL", [run_id])
    df = pd.DataFrame(rows, columns=["party_id", "first", "last", "p_alive", "revenue", "monetary_value", "clv",
                                     "channel"])
    since_last = (pd.Timestamp(as_of) - pd.to_datetime(df["last"])).dt.total_seconds() / 86400
    df["lost"] = ((df["p_alive"].astype(float) < lost_p_alive) & (since_last > lost_days)).astype(int)
    end = np.where(df["lost"] == 1, pd.to_datetime(df["last"]), pd.Timestamp(as_of))
    df["days"] = np.maximum((pd.to_datetime(end) - pd.to_datetime(df["first"])).dt.total_seconds() / 86400, 0.5)
    exp = complaint_experience(store, as_of, levels)
    df["experience"] = df["party_id"].map(exp).fillna(EXPERIENCES[0])
    df["value_per_year"] = df["revenue"].astype(float) / (np.maximum(df["days"], 30) / 365.25)
    df.attrs.update(run_id=run_id, as_of=as_of, lost_p_alive=lost_p_alive, lost_days=lost_days)
    return df


def cox_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The Cox model's data: lifetime, loss, complaint experience (against never complained), log spend, channel."""
    frame = pd.DataFrame({"days": df["days"], "lost": df["lost"]})
    for e in EXPERIENCES[1:]:
        if (df["experience"] == e).any():
            frame[e] = (df["experience"] == e).astype(float)
    frame["log average spend"] = np.log1p(df["monetary_value"].astype(float).fillna(0).clip(lower=0))
    channels = df["channel"].value_counts()
    for ch in channels.index[1:]:  # the commonest channel is the baseline
        if channels[ch] >= 10:
            frame[f"channel {ch}"] = (df["channel"] == ch).astype(float)
    return frame


def survival_report(store: Store, user: User | None, **rule) -> dict:
    """Kaplan–Meier by complaint experience, log-rank tests against never complained, and a Cox model."""
    if user is not None:
        user.require("customers.read")
    df = customer_lifetimes(store, **rule)
    groups = df["experience"].to_numpy(object)
    return {"run_id": df.attrs["run_id"], "as_of": df.attrs["as_of"], "customers": int(len(df)),
            "lost": int(df["lost"].sum()),
            "curves": survival.kaplan_meier(df["days"], df["lost"], groups, at=(180, 365, 730)),
            "logrank": survival.logrank(df["days"], df["lost"], groups, reference=EXPERIENCES[0]),
            "cox": survival.cox(cox_frame(df), "days", "lost", penalizer=0.01)}


def lost_customers(store: Store, user: User | None, *, limit: int = 50, **rule) -> dict:
    """Who left (the module's rule), the value they took, their last complaint and the causes, by channel."""
    if user is not None:
        user.require("customers.read")
    df = customer_lifetimes(store, **rule)
    lost = df[df["lost"] == 1].sort_values("value_per_year", ascending=False)
    ids = {int(x) for x in lost["party_id"]}
    last = {r["party_id"]: r for r in store.records(
        "SELECT party_id, opened_at, category, cause, status FROM complaints WHERE opened_at <= ? "
        "ORDER BY party_id, opened_at", [df.attrs["as_of"]]) if r["party_id"] in ids}
    causes = Counter((r["category"], r["cause"]) for r in last.values())
    by_channel = (lost.groupby("channel").agg(customers=("party_id", "size"), value_lost=("value_per_year", "sum"))
                  .reset_index().sort_values("value_lost", ascending=False).to_dict("records"))
    return {"rule": f"P(alive) < {df.attrs['lost_p_alive']:g} and no purchase for over {df.attrs['lost_days']:g} days "
                    f"before {df.attrs['as_of']:%Y-%m-%d}",
            "as_of": df.attrs["as_of"], "customers": int(len(df)), "lost": int(len(lost)),
            "value_lost_per_year": float(lost["value_per_year"].sum()),
            "lost_share_by_experience": {e: float(df.loc[df["experience"] == e, "lost"].mean())
                                         for e in EXPERIENCES if (df["experience"] == e).any()},
            "by_channel": by_channel,
            "causes": [{"category": c, "cause": k, "customers": n} for (c, k), n in causes.most_common()],
            "customers_lost": [{"party_id": int(r.party_id), "last_purchase_at": r.last,
                                "value_per_year": float(r.value_per_year), "experience": r.experience,
                                "last_complaint": last.get(int(r.party_id))}
                               for r in lost.head(limit).itertuples()]}

