"""``/api/v1/parties/{party_id}/interactions``: contacts logged against a party; ``/api/v1/interactions``: every
contact, filtered, sorted and paged by cursor as the customer list is (``docs/list-views.md``), its CSV export
and one interaction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.areas.interactions import lists, service
from patron.areas.interactions.schemas import InteractionCreate, InteractionPublic
from patron.service.exports import attachment
from patron.service.permissions import User

router = APIRouter(tags=["interactions"])
FILTERS = Query(max_length=20_000, description='JSON list of {"field", "op", "value"} (docs/list-views.md).')
SORT = Query(max_length=40, description="A field, '-' first: descending (default -occurred_at).")


@router.post("/parties/{party_id}/interactions", response_model=InteractionPublic,
             status_code=status.HTTP_201_CREATED)
def log_interaction(party_id: int, body: InteractionCreate, store: StoreDep,
                    user: Annotated[User, allowed("customers.write")]) -> InteractionPublic:
    """Log a direct contact (call, email, meeting…) with the party; you are recorded as the staff member."""
    return InteractionPublic(**service.log_interaction(store, user, party_id, **body.model_dump()))


@router.get("/interactions")
def interaction_list(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                     sort: Annotated[str | None, SORT] = None,
                     cursor: Annotated[str | None, Query(max_length=2000)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """One page of every logged contact with the total; ``next_cursor`` asks for the next page (null: the last)."""
    return lists.interaction_list(store, user, filters, sort=sort, cursor=cursor, limit=limit)


@router.get("/interactions/export", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The matching interactions as CSV."}})
def export_interactions(store: StoreDep, user: CurrentUser, filters: Annotated[str | None, FILTERS] = None,
                        sort: Annotated[str | None, SORT] = None) -> StreamingResponse:
    """Exactly the filtered list as CSV: human headers, contact details masked for roles that may not see them."""
    return StreamingResponse(lists.export_interactions(store, user, filters, sort=sort), media_type="text/csv",
                             headers={"Content-Disposition": attachment("interactions.csv")})


@router.get("/interactions/{interaction_id:int}")
def get_interaction(interaction_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """One interaction with its customer."""
    return lists.get_interaction(store, user, interaction_id)
