"""Reading the audit trail (written by every change, :func:`patron.service.audit.record`)."""

from __future__ import annotations

import json

from patron.service import audit
from patron.service.permissions import User
from patron.store import Store


def audit_log(store: Store, user: User | None, *, limit: int = 100, entity: str | None = None,
              entity_id: int | None = None) -> list[dict]:
    """The latest entries, newest first, with their detail as a dict; ``user`` None is the local operator."""
    if user is not None:
        user.require("audit.read")
    rows = audit.recent(store, limit, entity, entity_id)
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
    return rows
