"""Bodies every resource shares: a page of results, an error, the service's health.

Each area's own schemas (Create / Update / Public per entity) live beside its
routes, in ``patron/areas/<area>/schemas.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")


def _with_offset(value: dt.datetime) -> str:
    """A stored timestamp (naive UTC, see docs/architecture.md) as RFC 3339 says it: with its offset."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()


#: A timestamp in an API answer: ``2024-05-01T09:30:00+00:00``, never without its offset (the OpenAPI
#: ``format: date-time`` requires one; clients would read a bare one as their own local time). Read the same
#: as ``datetime`` in a request.
UtcDateTime = Annotated[dt.datetime, PlainSerializer(_with_offset, when_used="json"),
                        WithJsonSchema({"type": "string", "format": "date-time"})]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value):
    """Dates and times in a request as ISO 8601 text only: pydantic would read ``0`` or ``0.5`` as seconds since
    1970, which no user means (and the schema's ``format: date`` refuses)."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and not _ISO_DAY.match(value.strip())):
        raise ValueError("must be a date as YYYY-MM-DD (a time as YYYY-MM-DDTHH:MM)")
    return value


def not_bool(value):
    """An integer in a request body is a number: pydantic would read ``true`` as 1."""
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")  # noqa: TRY004 - pydantic reports only a ValueError as invalid input
    return value


#: A whole number in a request body (``12`` or ``12.0``, never ``true``).
Int = Annotated[int, BeforeValidator(not_bool)]
#: A day in a request (query or body): ``2024-05-01``.
Day = Annotated[dt.date, BeforeValidator(_iso_text)]
#: A time in a request: ``2024-05-01T09:30`` (or a day); read as UTC when it has no offset.
Moment = Annotated[dt.datetime, BeforeValidator(_iso_text)]


class Page(BaseModel, Generic[T]):
    total: int
    limit: int
    offset: int
    items: list[T]


class Error(BaseModel):
    error: str = Field(description="What went wrong, in words a user can act on.")


class Health(BaseModel):
    status: Literal["ok"]
    schema_version: int
