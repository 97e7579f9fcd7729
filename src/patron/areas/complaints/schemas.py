"""``/api/v1`` bodies of complaints: opening one, moving it on, and what is shown of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import UtcDateTime
from patron.store.vocabulary import COMPLAINT_SEVERITIES, COMPLAINT_STATUSES, INTERACTION_CHANNELS


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    severity: Literal[COMPLAINT_SEVERITIES] = "medium"
    channel: Literal[INTERACTION_CHANNELS] | None = None
    cause: str | None = Field(None, max_length=200)


class ComplaintUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal[COMPLAINT_STATUSES]
    resolution: str | None = Field(None, max_length=10_000)
    satisfaction_after: float | None = Field(None, strict=True, ge=1, le=5)


class ComplaintPublic(BaseModel):
    model_config = ConfigDict(extra="ignore")
    complaint_id: int
    party_id: int
    opened_at: UtcDateTime
    first_response_at: UtcDateTime | None = None
    resolved_at: UtcDateTime | None = None
    channel: str | None = None
    category: str | None = None
    cause: str | None = None
    severity: Literal[COMPLAINT_SEVERITIES]
    status: Literal[COMPLAINT_STATUSES]
    description: str | None = None
    resolution: str | None = None
    satisfaction_after: float | None = None
