"""``/api/v1`` bodies of interactions: logging one, and what is shown of it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import UtcDateTime
from patron.store.vocabulary import DEPARTMENTS, INTERACTION_CHANNELS, INTERACTION_DIRECTIONS, INTERACTION_PHASES


class InteractionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal[INTERACTION_CHANNELS]
    direction: Literal[INTERACTION_DIRECTIONS] | None = None
    department: Literal[DEPARTMENTS] | None = None
    phase: Literal[INTERACTION_PHASES] | None = None
    subject: str | None = Field(None, max_length=500)
    outcome: str | None = Field(None, max_length=500)
    notes: str | None = Field(None, max_length=10_000)
    duration_s: float | None = Field(None, strict=True, ge=0, le=86_400)
    complaint_id: int | None = Field(None, description="The complaint whose thread the message belongs to (the "
                                     "customer's own complaint); its next-response clock reads it.")


class InteractionPublic(InteractionCreate):
    model_config = ConfigDict(extra="ignore")
    interaction_id: int
    party_id: int
    occurred_at: UtcDateTime
    staff: str | None = None
