"""Bodies every resource shares: a page of results, an error, the service's health.

Each area's own schemas (Create / Update / Public per entity) live beside its
routes, in ``patron/areas/<area>/schemas.py``.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


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
