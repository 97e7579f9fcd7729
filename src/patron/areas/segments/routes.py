"""``/api/v1/segments``: RFM segments, ladder rungs, triage groups and the valuable at risk, as lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.api.schemas import Page
from patron.areas.segments import service
from patron.areas.segments.schemas import Segment, SegmentMember
from patron.service.consent import ConsentRule
from patron.service.exports import attachment
from patron.service.permissions import User

router = APIRouter(prefix="/segments", tags=["segments"])


@router.get("", response_model=list[Segment])
def list_segments(store: StoreDep, user: CurrentUser) -> list[Segment]:
    """Every segment of the latest analysis run, with its size and value."""
    return [Segment(**s) for s in service.segments(store)]


@router.get("/{kind}/{name}", response_model=Page[SegmentMember])
def segment_members(kind: str, name: str, store: StoreDep, user: CurrentUser,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page[SegmentMember]:
    """Members of one segment (kind: rfm, rung, triage or at_risk), most valuable first."""
    total, rows = service.members(store, user, kind, name, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[SegmentMember(**r) for r in rows])


@router.get("/{kind}/{name}/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The members as CSV."}})
def export_segment(kind: str, name: str, store: StoreDep,
                   user: Annotated[User, allowed("segments.export")],
                   channel: Annotated[str, Query(max_length=20, description="The channel the list is for.")] = "email",
                   purpose: Annotated[str | None, Query(max_length=60, description="The purpose (e.g. newsletter); "
                                                        "left out, the latest consent on the channel counts.")] = None,
                   without_consent: Annotated[str, Query(pattern="^(exclude|mark)$", description=(
                       "exclude: only people whose current consent is granted; mark: everyone, with a consent "
                       "column (granted, withdrawn, none, suppressed)."))] = "exclude") -> StreamingResponse:
    """The members as a contact list in CSV: only people who may be contacted on the channel for the purpose
    (or everyone, marked); personal data masked for roles that may not see it."""
    rule = ConsentRule(channel, purpose, without_consent)
    service.members(store, user, kind, name, limit=1)  # fail before streaming if the segment is wrong
    return StreamingResponse(service.export_csv(store, user, kind, name, consent=rule), media_type="text/csv",
                             headers={"Content-Disposition": attachment(f"patron-{kind}-{name}.csv")})
