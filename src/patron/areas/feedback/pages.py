"""The customer page's form for a field visit: what the customer said when we visited (satisfaction, a suggestion)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from patron.api.deps import StoreDep
from patron.areas.feedback import service
from patron.errors import InvalidInput
from patron.service.inputs import parse_date
from patron.web.auth import check_csrf, page_user
from patron.web.templating import back

router = APIRouter(include_in_schema=False)


@router.post("/customers/{party_id}/field-visits")
def customer_field_visit(request: Request, store: StoreDep, party_id: int, csrf: Annotated[str, Form()] = "",
                         satisfaction: Annotated[str | None, Form(max_length=10)] = None,
                         suggestion: Annotated[str | None, Form(max_length=2000)] = None,
                         visited_on: Annotated[str | None, Form(max_length=30)] = None,
                         touchpoint: Annotated[str | None, Form(max_length=20)] = None):
    """Record a field visit's answers (CSRF-checked; the service checks the role and the values)."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    score = None
    if (satisfaction or "").strip():
        try:
            score = float(satisfaction)
        except ValueError:
            raise InvalidInput("Satisfaction on a visit is a whole score from 1 to 5.") from None
    at = parse_date(visited_on, "the day of the visit") if (visited_on or "").strip() else None
    answers = service.record_field_visit(store, user, party_id, satisfaction=score, suggestion=suggestion,
                                         visited_at=at, touchpoint=touchpoint or None)
    return back(f"/customers/{party_id}", request,
                f"Field visit recorded ({len(answers)} answer{'s' if len(answers) > 1 else ''}).")
