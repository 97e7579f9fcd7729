"""``/api/v1/imports``: uploading an export to import it (a background job), and the rows it could not store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from patron.api.deps import JobsDep, SharedStore, StoreDep, allowed
from patron.api.schemas import Page
from patron.areas.imports import service
from patron.areas.imports.schemas import QuarantineRow
from patron.areas.jobs.schemas import JobPublic
from patron.service.permissions import User

router = APIRouter(prefix="/imports", tags=["imports"])


@router.post("", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def upload_import(jobs: JobsDep, store: SharedStore, user: Annotated[User, allowed("imports.run")],
                  file: Annotated[UploadFile, File()],
                  kind: Annotated[str | None, Query(max_length=20)] = None,
                  preset: Annotated[str | None, Query(max_length=40)] = None,
                  source: Annotated[str | None, Query(max_length=100)] = None) -> JobPublic:
    """Upload an export (CSV, Parquet or JSON Lines) and import it; follow it at /api/v1/jobs/{job_id}."""
    job = service.start_upload(jobs, store, user, file.file, file.filename, kind=kind, preset=preset, source=source)
    return JobPublic(**job.public())


@router.get("/{import_id}/quarantine", response_model=Page[QuarantineRow])
def quarantine(import_id: int, store: StoreDep, user: Annotated[User, allowed("imports.rows.read")],
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> Page[QuarantineRow]:
    """Rows of one import that could not be stored, with line, raw text and reason."""
    total, rows = service.quarantine(store, user, import_id, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[QuarantineRow(**r) for r in rows])
