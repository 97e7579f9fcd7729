"""``/api/v1`` bodies of feedback: recording an answer, and what is shown of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import UtcDateTime
from patron.store.vocabulary import DEPARTMENTS, FEEDBACK_INSTRUMENTS, INTERACTION_PHASES, SERVQUAL_DIMENSIONS


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instrument: Literal[FEEDBACK_INSTRUMENTS]
    score: float | None = Field(None, strict=True, ge=0, le=100)
    scale_max: float | None = Field(None, strict=True, gt=0, le=100)
    item: str | None = Field(None, max_length=500)
    text: str | None = Field(None, max_length=10_000)
    dimension: Literal[SERVQUAL_DIMENSIONS] | None = None
    expectation: float | None = Field(None, strict=True, ge=1, le=100)
    perception: float | None = Field(None, strict=True, ge=1, le=100)
    adequate: float | None = Field(None, ge=1, le=100, description="SERVQUAL: the adequate level of service.")
    desired: float | None = Field(None, ge=1, le=100, description="SERVQUAL: the desired level of service.")
    channel: str | None = Field(None, max_length=100, description="Where it was heard: e.g. email, phone, "
                                                                   "field_visit (asked on a visit to the customer).")
    department: Literal[DEPARTMENTS] | None = None
    touchpoint: Literal[INTERACTION_PHASES] | None = Field(None, description="Before, during or after the sale.")


class FeedbackPublic(FeedbackCreate):
    model_config = ConfigDict(extra="ignore")
    feedback_id: int
    party_id: int
    occurred_at: UtcDateTime


class FeedbackAnswer(BaseModel):
    """An answer as the customer 360 shows it, SERVQUAL expectation and perception included."""

    model_config = ConfigDict(extra="forbid")
    feedback_id: int
    occurred_at: UtcDateTime
    instrument: Literal[FEEDBACK_INSTRUMENTS]
    item: str | None = None
    dimension: Literal[SERVQUAL_DIMENSIONS] | None = None
    score: float | None = None
    scale_max: float | None = None
    expectation: float | None = None
    perception: float | None = None
    text: str | None = None
