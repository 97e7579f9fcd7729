"""``/api/v1/audit`` bodies: one entry of the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    happened_at: dt.datetime
    user_id: int | None = None
    username: str
    action: str
    entity: str | None = None
    entity_id: int | None = None
    row_count: int | None = Field(None, description="How many rows an export or read handed out.")
    address: str | None = Field(None, description="Where the request came from.")
    detail: dict[str, Any]
