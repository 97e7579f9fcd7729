"""``/api/v1/imports`` bodies: an import's preview, an undo's result, an import listed, a quarantined row."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from patron.api.schemas import UtcDateTime


class QuarantineRow(BaseModel):
    line: int | None = None
    #: the line as read (left out, with the values the reason quotes, for a role that does not see personal data)
    raw: str | None = None
    reason: str
    #: the line's original bytes, base64-encoded (a line in another encoding is kept exactly)
    raw_base64: str | None = None
    #: the raw text and quoted values are hidden from this role (no personal_data.read)
    masked: bool = False


class KindFitPublic(BaseModel):
    kind: str
    #: fields of this kind's own that the file's columns hold (0 when a required one is missing)
    score: int
    possible: bool
    missing: list[str]


class SampleRecord(BaseModel):
    record: int
    values: dict[str, Any]
    reason: str | None = None


class PreviewReport(BaseModel):
    kind: str
    file_name: str
    rows_read: int
    accepted: int
    rejected: int
    already_present: int
    new_parties: int
    updated: int
    notes: list[str]
    reasons: list[list[Any]]
    sample: list[SampleRecord]


class ImportPreview(BaseModel):
    """What the import would do; nothing is stored. Import it with ``POST /api/v1/imports?upload_id=``."""

    upload_id: str
    file_name: str
    columns: list[str]
    detected_kind: str | None
    kind: str | None
    fits: list[KindFitPublic]
    warning: str | None = None
    error: str | None = None
    #: the preview typed the first lines only (a large file); the import checks every line
    partial: bool
    may_create_parties: bool
    mapping: str | None = None
    report: PreviewReport | None = None


class ImportListed(BaseModel):
    import_id: int
    kind: str
    source: str
    file_name: str
    finished_at: UtcDateTime | None = None
    rows_read: int
    accepted: int
    rejected: int
    already_present: int
    new_parties: int
    undone_at: UtcDateTime | None = None
    undone_by: str | None = None
    #: who ran it: the patron user (pages, API) or the operating-system account (the command line)
    user_id: int | None = None
    username: str | None = None
    #: the text encoding the file was read with (none for Parquet)
    encoding: str | None = None


class KeptField(BaseModel):
    party_id: int
    field: str
    value: str | None = None


class UndoResult(BaseModel):
    import_id: int
    facts_removed: dict[str, int]
    parties_removed: int
    fields_restored: int
    #: fields changed again since the import: left as they are
    kept: list[KeptField]
