"""``/api/v1/audit`` bodies: one entry of the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from patron.api.schemas import UtcDateTime


class AuditEntry(BaseModel):
    happened_at: UtcDateTime
    user_id: int | None = None
    username: str
    action: str
    entity: str | None = None
    entity_id: int | None = None
    row_count: int | None = Field(None, description="How many rows an export or read handed out.")
    address: str | None = Field(None, description="Where the request came from.")
    detail: dict[str, Any]
