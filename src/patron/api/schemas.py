"""Request and response bodies, one family per entity (Create / Update / Public)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from patron.store.vocabulary import (
    COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, DEPARTMENTS, FEEDBACK_INSTRUMENTS, INTERACTION_CHANNELS,
    INTERACTION_DIRECTIONS, INTERACTION_PHASES, JOB_STATUSES, TIME_UNITS,
)

T = TypeVar("T")

Channel = Literal[INTERACTION_CHANNELS]
Department = Literal[DEPARTMENTS]
Severity = Literal[COMPLAINT_SEVERITIES]
Status = Literal[COMPLAINT_STATUSES]


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


class Error(BaseModel):
    error: str = Field(description="What went wrong, in words a user can act on.")


class PartySummary(BaseModel):
    model_config = ConfigDict(extra="allow")
    party_id: int
    kind: str
    category: str
    name: str | None = None
    email: str | None = None
    rung: str | None = None
    clv: float | None = None
    triage: str | None = None
    at_risk: bool | None = None


class Party360(BaseModel):
    profile: dict[str, Any]
    identities: list[dict[str, Any]]
    totals: dict[str, Any]
    transactions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    complaints: list[dict[str, Any]]
    scores: dict[str, Any] | None
    reasons: list[str]
    personal_data_visible: bool


class InteractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    direction: Literal[INTERACTION_DIRECTIONS] | None = None
    department: Department | None = None
    phase: Literal[INTERACTION_PHASES] | None = None
    subject: str | None = Field(None, max_length=500)
    outcome: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)
    duration_s: float | None = Field(None, ge=0, le=86_400)


class InteractionPublic(InteractionCreate):
    model_config = ConfigDict(extra="ignore")
    interaction_id: int
    party_id: int
    occurred_at: dt.datetime
    staff: str | None = None


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    severity: Severity = "medium"
    channel: Channel | None = None
    cause: str | None = Field(None, max_length=200)


class ComplaintUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    resolution: str | None = Field(None, max_length=10_000)
    satisfaction_after: float | None = Field(None, ge=1, le=5)


class ComplaintPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")
    complaint_id: int
    party_id: int
    opened_at: dt.datetime
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    channel: str | None = None
    category: str | None = None
    cause: str | None = None
    severity: str
    status: str
    description: str | None = None
    resolution: str | None = None
    satisfaction_after: float | None = None


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instrument: Literal[FEEDBACK_INSTRUMENTS]
    score: float | None = Field(None, ge=0, le=100)
    scale_max: float | None = Field(None, gt=0, le=100)
    item: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=10_000)


class FeedbackPublic(FeedbackCreate):
    model_config = ConfigDict(extra="ignore")
    feedback_id: int
    party_id: int
    occurred_at: dt.datetime


class Health(BaseModel):
    status: Literal["ok"]
    schema_version: int


class Segment(BaseModel):
    kind: str
    name: str
    members: int
    total_clv: float | None = None
    run_id: int


class AnalysisRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: dt.date | None = None
    time_unit: Literal[TIME_UNITS] = "day"
    model: Literal["bgnbd", "pareto", "mbgnbd"] = "bgnbd"
    horizon_months: int = Field(12, ge=1, le=120)
    monthly_discount_rate: float = Field(0.01, ge=0, le=0.5)
    margin: float | None = Field(None, gt=0, le=1)
    currency: str | None = Field(None, min_length=3, max_length=3)


class JobPublic(BaseModel):
    job_id: str
    kind: str
    username: str
    status: Literal[JOB_STATUSES]
    step: str
    progress: float
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class QuarantineRow(BaseModel):
    line: int | None = None
    raw: str | None = None
    reason: str
