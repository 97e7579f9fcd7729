"""``/api/v1/audit``: the audit log, for admins: filtered, paged, and as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from patron.api.deps import StoreDep, allowed
from patron.api.schemas import Day
from patron.areas.audit import service
from patron.areas.audit.schemas import AuditEntry
from patron.service.exports import attachment
from patron.service.permissions import User

router = APIRouter(prefix="/audit", tags=["audit"])
Entity = Annotated[str | None, Query(max_length=40, description="A kind of record: party, user, api_token...")]
EntityId = Annotated[int | None, Query(ge=0, description="One record of that kind (party 12...).")]
Username = Annotated[str | None, Query(max_length=200, description="Only what this user did.")]
Action = Annotated[str | None, Query(max_length=60, description="An action (party.read), or a family ending "
                                                                "with a dot (user.).")]
Since = Annotated[Day | None, Query(description="From this day (UTC), included.")]
Until = Annotated[Day | None, Query(description="To this day (UTC), included.")]


@router.get("", response_model=list[AuditEntry])
def audit_log(store: StoreDep, user: Annotated[User, allowed("audit.read")],
              limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
              entity: Entity = None, entity_id: EntityId = None, username: Username = None, action: Action = None,
              since: Since = None, until: Until = None) -> list[AuditEntry]:
    """Who changed, saw or took what, when and from where, newest first; ``entity=party&entity_id=12``
    answers "who saw or took this person's data"."""
    return [AuditEntry(**r) for r in service.audit_log(
        store, user, limit=limit, offset=offset, entity=entity, entity_id=entity_id, username=username,
        action=action, since=since, until=until)]


@router.get("/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The matching entries as CSV."}})
def export_audit_log(store: StoreDep, user: Annotated[User, allowed("audit.read")], entity: Entity = None,
                     entity_id: EntityId = None, username: Username = None, action: Action = None,
                     since: Since = None, until: Until = None) -> StreamingResponse:
    """The matching entries as CSV (the export is itself recorded)."""
    chunks = service.export_csv(store, user, entity=entity, entity_id=entity_id, username=username, action=action,
                                since=since, until=until)
    return StreamingResponse(chunks, media_type="text/csv", headers={"Content-Disposition": attachment("audit.csv")})
