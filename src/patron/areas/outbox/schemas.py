"""``/api/v1/outbox`` and ``/api/v1/contact-events`` bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from patron.api.schemas import Int, UtcDateTime
from patron.store import vocabulary


class OutboxMessage(BaseModel):
    message_id: int
    idempotency_key: str
    campaign_id: int | None = None
    party_id: int | None = None
    channel: str
    purpose: str | None = None
    recipient: str | None = None
    subject: str | None = None
    status: Literal[vocabulary.OUTBOX_STATUSES]
    reason: str | None = None
    attempts: int
    next_attempt_at: UtcDateTime | None = None
    last_error: str | None = None
    created_at: UtcDateTime
    sent_at: UtcDateTime | None = None


class OutboxSummary(BaseModel):
    counts: dict[str, int]
    messages: list[OutboxMessage]


class ContactEventCreate(BaseModel):
    """A bounce (of an address), a spam complaint or an unsubscribe (of a person, by email or party id)."""

    kind: Literal["bounce", "complaint", "unsubscribe"]
    email: str | None = Field(None, max_length=320)
    party_id: Int | None = Field(None)
    channel: Literal[vocabulary.CONSENT_CHANNELS] = "email"
    hard: bool = Field(True, strict=True)
    note: str | None = Field(None, max_length=500)


class ContactEventRecorded(BaseModel):
    kind: str
    parties: int
