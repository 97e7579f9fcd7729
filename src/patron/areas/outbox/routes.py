"""``/api/v1/outbox`` (messages, dead letters, re-queue) and ``/api/v1/contact-events`` (bounces, complaints)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from patron.api.deps import StoreDep, allowed
from patron.areas.outbox import service
from patron.areas.outbox.schemas import ContactEventCreate, ContactEventRecorded, OutboxMessage, OutboxSummary
from patron.service.permissions import User
from patron.store import vocabulary

router = APIRouter(tags=["outbox"])


@router.get("/outbox", response_model=OutboxSummary)
def outbox(store: StoreDep, user: Annotated[User, allowed("outbox.read")],
           status: Literal[vocabulary.OUTBOX_STATUSES] | None = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> OutboxSummary:
    """How many messages are in each status, and the newest (blocked ones with why)."""
    return OutboxSummary(counts=service.status_counts(store, user),
                         messages=[OutboxMessage(**m) for m in service.messages(store, user, status=status,
                                                                                 limit=limit)])


@router.get("/outbox/dead", response_model=list[OutboxMessage])
def dead_letters(store: StoreDep, user: Annotated[User, allowed("outbox.read")],
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[OutboxMessage]:
    """Messages that failed every attempt."""
    return [OutboxMessage(**m) for m in service.messages(store, user, status="dead", limit=limit)]


@router.post("/outbox/{message_id}/requeue", response_model=OutboxMessage)
def requeue(store: StoreDep, user: Annotated[User, allowed("outbox.manage")], message_id: int) -> OutboxMessage:
    """Send a dead or failed message again (admins)."""
    return OutboxMessage(**service.requeue(store, user, message_id))


@router.post("/contact-events", response_model=ContactEventRecorded, status_code=201)
def contact_event(store: StoreDep, user: Annotated[User, allowed("contact_events.write")],
                  body: ContactEventCreate) -> ContactEventRecorded:
    """Record a bounce (a hard one blocks the address), a complaint (blocks the channel) or an unsubscribe."""
    parties = service.record_event(store, user, kind=body.kind, email=body.email, party_id=body.party_id,
                                   channel=body.channel, hard=body.hard, note=body.note)
    return ContactEventRecorded(kind=body.kind, parties=parties)
