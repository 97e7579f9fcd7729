"""``/api/v1/audit`` bodies: one entry of the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class AuditEntry(BaseModel):
    happened_at: dt.datetime
    user_id: int | None = None
    username: str
    action: str
    entity: str | None = None
    entity_id: int | None = None
    detail: dict[str, Any]
