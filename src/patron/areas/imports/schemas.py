"""``/api/v1/imports`` bodies: a row of an import that could not be stored."""

from __future__ import annotations

from pydantic import BaseModel


class QuarantineRow(BaseModel):
    line: int | None = None
    raw: str | None = None
    reason: str
