"""Bodies every resource shares: a page of results, an error, the service's health.

Each area's own schemas (Create / Update / Public per entity) live beside its
routes, in ``patron/areas/<area>/schemas.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema

T = TypeVar("T")


def _with_offset(value: dt.datetime) -> str:
    """A stored timestamp (naive UTC, see docs/architecture.md) as RFC 3339 says it: with its offset."""
    return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()


#: A timestamp in an API answer: ``2024-05-01T09:30:00+00:00``, never without its offset (the OpenAPI
#: ``format: date-time`` requires one; clients would read a bare one as their own local time). Read the same
#: as ``datetime`` in a request.
UtcDateTime = Annotated[dt.datetime, PlainSerializer(_with_offset, when_used="json"),
                        WithJsonSchema({"type": "string", "format": "date-time"})]


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
