"""``/api/v1/audit`` bodies: one entry of the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from patron.api.schemas import UtcDateTime


class AuditEntry(BaseModel):
    happened_at: UtcDateTime
    user_id: int | None = None
    username: str
    action: str
    entity: str | None = None
    entity_id: int | None = None
    detail: dict[str, Any]
