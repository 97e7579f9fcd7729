"""The audit trail: who changed what, and when. Every write through the service layer records one row."""

from __future__ import annotations

import json
from typing import Any

from patron.store import Store


def record(store: Store, user: Any, action: str, entity: str | None = None, entity_id: int | None = None,
           detail: dict | None = None) -> None:
    """Append one audit row; call it inside the transaction of the change it records."""
    store.raw.execute(
        "INSERT INTO audit_log (happened_at, user_id, username, action, entity, entity_id, detail) "
        "VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
        [getattr(user, "user_id", None), getattr(user, "username", None) or "system", action, entity, entity_id,
         json.dumps(detail, default=str) if detail else None],
    )


def recent(store: Store, limit: int = 50, entity: str | None = None, entity_id: int | None = None) -> list[dict]:
    where, params = [], []
    if entity:
        where.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        where.append("entity_id = ?")
        params.append(entity_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    return store.records(f"SELECT * FROM audit_log {clause} ORDER BY happened_at DESC LIMIT {int(limit)}", params)
