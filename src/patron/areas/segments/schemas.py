"""``/api/v1/segments`` bodies: a segment of the latest run, and a member of one."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from patron.store.vocabulary import PARTY_CATEGORIES, PARTY_KINDS, RUNGS, TRIAGE_GROUPS, TRIAGE_TIERS


class Segment(BaseModel):
    kind: Literal["rfm", "rung", "triage", "at_risk"]
    name: str
    members: int
    total_clv: float | None = None
    run_id: int


class SegmentMember(BaseModel):
    """A scored customer: who they are and their row of the run's scores."""

    model_config = ConfigDict(extra="forbid")
    party_id: int
    name: str | None = None
    email: str | None = None
    kind: Literal[PARTY_KINDS]
    category: Literal[PARTY_CATEGORIES]
    frequency: int | None = None
    recency: float | None = None
    t: float | None = None
    monetary_value: float | None = None
    first_purchase_at: dt.datetime | None = None
    last_purchase_at: dt.datetime | None = None
    orders: int | None = None
    revenue: float | None = None
    margin: float | None = None
    p_alive: float | None = None
    expected_purchases: float | None = None
    expected_spend: float | None = None
    clv: float | None = None
    next_purchase_in: float | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    rfm_segment: str | None = None
    rung: Literal[RUNGS] | None = None
    rung_level: int | None = None
    health: float | None = None
    health_trend: float | None = None
    triage: Literal[TRIAGE_GROUPS] | None = None
    value_tier: Literal[TRIAGE_TIERS] | None = None
    quality_tier: Literal[TRIAGE_TIERS] | None = None
    at_risk: bool | None = None
    reasons: str | None = None
