"""``/api/v1/audit``: the audit log, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from patron.api.deps import StoreDep, allowed
from patron.areas.audit import service
from patron.areas.audit.schemas import AuditEntry
from patron.service.permissions import User

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntry])
def audit_log(store: StoreDep, user: Annotated[User, allowed("audit.read")],
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              entity: Annotated[str | None, Query(max_length=40)] = None,
              entity_id: Annotated[int | None, Query(ge=0)] = None) -> list[AuditEntry]:
    """Who changed what and when, newest first; optionally for one entity (``complaint`` 12, ``user`` 3...)."""
    return [AuditEntry(**r) for r in service.audit_log(store, user, limit=limit, entity=entity, entity_id=entity_id)]
