"""``/api/v1/segments`` bodies: a segment of the latest run, and a member of one."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from patron.areas.parties.schemas import ScoreFields
from patron.store.vocabulary import PARTY_CATEGORIES, PARTY_KINDS


class Segment(BaseModel):
    kind: Literal["rfm", "rung", "triage", "at_risk"]
    name: str
    members: int
    total_clv: float | None = None
    run_id: int


class SegmentMember(ScoreFields):
    """A scored customer: who they are and their row of the run's scores."""

    party_id: int
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    kind: Literal[PARTY_KINDS]
    category: Literal[PARTY_CATEGORIES]
    consent: str | None = Field(None, description="For contact lists: granted, withdrawn, none or suppressed.")
