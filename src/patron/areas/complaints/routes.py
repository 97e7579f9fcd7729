"""``/api/v1/complaints`` and ``/api/v1/parties/{party_id}/complaints``: opening a complaint, and its progress
through open → in progress → resolved → closed; ``/api/v1/complaints/list`` (and ``/export``): every complaint,
filtered, sorted and paged by cursor as the customer list is (``docs/list-views.md``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.areas.complaints import desk, lists, service
from patron.areas.complaints.schemas import ComplaintCreate, ComplaintPublic, ComplaintUpdate
from patron.areas.quality.service import plain
from patron.service.exports import attachment
from patron.service.permissions import User
from patron.store.vocabulary import COMPLAINT_SEVERITIES

router = APIRouter(tags=["complaints"])
FILTERS = Query(max_length=20_000, description='JSON list of {"field", "op", "value"} (docs/list-views.md).')
SORT = Query(max_length=40, description="A field, '-' first: descending (default -opened_at).")


@router.post("/parties/{party_id}/complaints", response_model=ComplaintPublic, status_code=status.HTTP_201_CREATED)
def open_complaint(party_id: int, body: ComplaintCreate, store: StoreDep,
                   user: Annotated[User, allowed("customers.write")]) -> ComplaintPublic:
    """Open a complaint for the party."""
    return ComplaintPublic(**service.open_complaint(store, user, party_id, **body.model_dump()))


@router.get("/complaints/list")
def complaint_list(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                   sort: Annotated[str | None, SORT] = None,
                   cursor: Annotated[str | None, Query(max_length=2000)] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """One page of every complaint with the total, each with its customer, age and service-level state at the
    data's end; ``next_cursor`` asks for the next page (null: the last)."""
    return plain(lists.complaint_list(store, user, filters, sort=sort, cursor=cursor, limit=limit))


@router.get("/complaints/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The matching complaints as CSV."}})
def export_complaints(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                      sort: Annotated[str | None, SORT] = None) -> StreamingResponse:
    """Exactly the filtered list as CSV: human headers, contact details masked for roles that may not see them."""
    return StreamingResponse(lists.export_complaints(store, user, filters, sort=sort), media_type="text/csv",
                             headers={"Content-Disposition": attachment("complaints.csv")})


@router.get("/complaints/{complaint_id:int}", response_model=ComplaintPublic)  # digits only: PATCH /complaints/export is a 405
def get_complaint(complaint_id: int, store: StoreDep, user: CurrentUser) -> ComplaintPublic:
    return ComplaintPublic(**service.get_complaint(store, complaint_id))


@router.patch("/complaints/{complaint_id:int}", response_model=ComplaintPublic)
def change_status(complaint_id: int, body: ComplaintUpdate, store: StoreDep,
                  user: Annotated[User, allowed("customers.write")]) -> ComplaintPublic:
    """Move a complaint on; first response and resolution times are stamped automatically."""
    return ComplaintPublic(**service.change_complaint_status(store, user, complaint_id, **body.model_dump()))


class OwnerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(None, max_length=200)


class WaitingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waiting: bool = Field(strict=True)


@router.get("/complaints")
def complaint_desk(store: StoreDep, user: CurrentUser, status: Annotated[list[str] | None, Query()] = None,
                   severity: Annotated[list[Literal[COMPLAINT_SEVERITIES]] | None, Query()] = None,
                   category: str | None = None,
                   cause: str | None = None, owner: str | None = None,
                   sla_state: Literal["met", "on track", "warning", "breached"] | None = None,
                   min_age_days: float | None = None, max_age_days: float | None = None,
                   min_value: float | None = None, sort: str = "opened_at", descending: bool = False,
                   page: Annotated[int, Query(ge=1)] = 1,
                   per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """The complaint desk: one page of complaints with the total, each with its service-level clocks."""
    return plain(desk.complaint_desk(store, user, status=status, severity=severity, category=category, cause=cause,
                                     owner=owner, sla_state=sla_state, min_age_days=min_age_days,
                                     max_age_days=max_age_days, min_value=min_value, sort=sort,
                                     descending=descending, page=page, per_page=per_page))


@router.put("/complaints/{complaint_id:int}/owner")
def assign_owner(complaint_id: int, body: OwnerUpdate, store: StoreDep,
                 user: Annotated[User, allowed("customers.write")]) -> dict[str, Any]:
    """Give the complaint an owner (or none)."""
    return plain(desk.assign_owner(store, user, complaint_id, body.owner))


@router.put("/complaints/{complaint_id:int}/waiting")
def waiting(complaint_id: int, body: WaitingUpdate, store: StoreDep,
            user: Annotated[User, allowed("customers.write")]) -> dict[str, Any]:
    """Waiting for the customer stops the complaint's service-level clocks; ``waiting: false`` restarts them."""
    return plain(desk.wait_for_customer(store, user, complaint_id, body.waiting))


class ServiceLevelsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    toml: str = Field("", max_length=100_000, description="The service levels as TOML; empty: the defaults.")


def _levels(levels) -> dict[str, Any]:
    cal = levels.calendar
    return {"calendar": {"opens": cal.opens, "closes": cal.closes, "workdays": list(cal.workdays),
                         "holidays": [d.isoformat() for d in cal.holidays], "time_zone": cal.time_zone},
            "policies": [{"category": p.category, "severity": p.severity, "triage": p.triage,
                          "first_response_hours": p.first_response_hours, "next_response_hours": p.next_response_hours,
                          "resolution_hours": p.resolution_hours, "warn_at": p.warn_at, "escalate_to": p.escalate_to}
                         for p in levels.policies]}


@router.get("/service-levels")
def get_service_levels(store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """The complaint desk's service levels: the calendar (working hours, days, holidays, time zone) and the
    policies with their first-response, next-response and resolution targets in business hours."""
    user.require("customers.read")
    return _levels(desk.service_levels(store))


@router.put("/service-levels")
def put_service_levels(body: ServiceLevelsUpdate, store: StoreDep,
                       user: Annotated[User, allowed("service_levels.manage")]) -> dict[str, Any]:
    """Replace the service levels with the TOML given (checked first; an empty text restores the defaults)."""
    return _levels(desk.set_service_levels(store, user, body.toml))
