"""``/api/v1/parties``: search, and the customer 360; ``/api/v1/customers``: the customer list (filters, sort,
cursor paging), its bulk actions and its contact-list export; ``PATCH /api/v1/parties/{id}``: field edits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import Moment, Page
from patron.areas.parties import lists, service
from patron.areas.parties.schemas import Party360, PartySummary
from patron.errors import InvalidInput
from patron.service.consent import ConsentRule
from patron.service.exports import attachment

router = APIRouter(tags=["parties"])
FILTERS = Query(max_length=20_000, description='JSON list of {"field", "op", "value"} (docs/list-views.md).')


class Selection(BaseModel):
    """The customers a bulk action touches: ``party_ids``, or every one ``filters`` selects."""

    model_config = ConfigDict(extra="forbid")
    filters: list[dict] | None = None
    party_ids: list[int] | None = Field(None, max_length=100_000)


class OwnerAssignment(Selection):
    owner: str | None = Field(None, max_length=200, description="A user name; null clears the owner.")


class TaskForEach(Selection):
    title: str = Field(min_length=1, max_length=300, pattern=r"\S")  # what is to be done, not blank
    body: str | None = Field(None, max_length=5000)
    owner: str | None = Field(None, max_length=200)
    due_at: Moment | None = None


class ListAddition(Selection):
    name: str = Field(max_length=200, description="The named list (made if new).")


class PartyEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=300)
    email: str | None = Field(None, max_length=300, pattern=r"^(\s*|[\s\S]*@[\s\S]*)$")  # blank clears it
    phone: str | None = Field(None, max_length=60)
    address: str | None = Field(None, max_length=500)
    postcode: str | None = Field(None, max_length=30)
    city: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=100)
    job_title: str | None = Field(None, max_length=200)


@router.get("/customers")
def customer_list(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                  sort: Annotated[str | None, Query(max_length=40, description="A field, '-' first: descending.")]
                  = None, cursor: Annotated[str | None, Query(max_length=2000)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """One page of the customer list with the total; ``next_cursor`` asks for the next page (null: the last)."""
    return lists.customer_list(store, user, filters, sort=sort, cursor=cursor, limit=limit)


@router.post("/customers/owner")
def assign_owner(body: OwnerAssignment, store: StoreDep, user: CurrentUser) -> dict[str, int]:
    """Give the selected customers an owner; each change goes to the change history."""
    return lists.assign_owner(store, user, body.owner, filters=body.filters, party_ids=body.party_ids, how="api")


@router.post("/customers/tasks", status_code=201)
def task_for_each(body: TaskForEach, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Add one task for each selected customer."""
    from patron.areas.tasks.service import add_tasks

    return add_tasks(store, user, body.title, filters=body.filters, party_ids=body.party_ids, body=body.body,
                     owner=body.owner, due_at=body.due_at)


@router.post("/customers/list-members")
def add_to_list(body: ListAddition, store: StoreDep, user: CurrentUser) -> dict[str, int]:
    """Add the selected customers to a named list (those on it already stay): how many were selected and added."""
    from patron.areas.campaigns.offers import add_to_list

    ids = lists.selected_parties(store, body.filters, body.party_ids)
    if not ids:
        raise InvalidInput("No customer matches: nobody to add.")
    return {"selected": len(ids), "added": add_to_list(store, user, body.name, ids)}


@router.get("/customers/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The contact list as CSV."}})
def export_contacts(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                    channel: Annotated[str, Query(max_length=20)] = "email",
                    purpose: Annotated[str | None, Query(max_length=100)] = None,
                    without_consent: Literal["exclude", "mark"] = "exclude") -> StreamingResponse:
    """The filtered list as a contact list (CSV): only people with current consent for the channel, or all marked."""
    chunks = lists.export_contacts(store, user, filters, consent=ConsentRule(channel, purpose, without_consent))
    return StreamingResponse(chunks, media_type="text/csv",
                             headers={"Content-Disposition": attachment("customers.csv")})


@router.patch("/parties/{party_id}")
def edit_party(party_id: int, body: PartyEdit, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Change a party's owner or contact details; each change goes to the change history (how: api)."""
    return lists.update_party(store, user, party_id, body.model_dump(exclude_unset=True), how="api")


@router.get("/parties", response_model=Page[PartySummary])
def search(store: StoreDep, user: CurrentUser,
           q: Annotated[str | None, Query(max_length=200, description="Name, key in a source system or id; "
                                          "email too for roles that may see it.")] = None,
           category: Annotated[str | None, Query(max_length=40)] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 25,
           offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> Page[PartySummary]:
    """Find parties; the most valuable (latest CLV) first."""
    total, rows = service.search_parties(store, user, q, category=category, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[PartySummary(**r) for r in rows])


@router.get("/parties/{party_id}", response_model=Party360)
def customer_360(party_id: int, store: StoreDep, user: CurrentUser) -> Party360:
    """Everything about one party: profile, identities, purchases, timeline, feedback, complaints, scores."""
    return Party360(**service.party_360(store, user, party_id))
