"""``/api/v1/imports``: previewing an export, importing it (a background job), listing and undoing imports,
and the rows an import could not store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status

from patron.api.deps import JobsDep, SharedStore, StoreDep, allowed
from patron.api.schemas import Error, Page
from patron.areas.imports import service
from patron.areas.imports.schemas import ImportListed, ImportPreview, KeptField, QuarantineRow, UndoResult
from patron.areas.jobs.schemas import JobPublic
from patron.service.permissions import User

router = APIRouter(prefix="/imports", tags=["imports"])
KindQuery = Annotated[str | None, Query(max_length=20, description="What the file holds; left out, it is read "
                                        "from the columns.")]
PresetQuery = Annotated[str | None, Query(max_length=40)]
SourceQuery = Annotated[str | None, Query(max_length=100)]
EncodingQuery = Annotated[str | None, Query(max_length=20, description="The file's text encoding: utf-8 "
                                            "(the default) or latin-1 (ISO-8859-1).")]
CreateQuery = Annotated[bool | None, Query(description="Whether unknown customer keys create customers (default: "
                                           "only for parties and transactions).")]


@router.get("", response_model=list[ImportListed])
def list_imports(store: StoreDep, user: Annotated[User, allowed("imports.run")],
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ImportListed]:
    """The latest imports, newest first, with their counts and whether they were undone."""
    return [ImportListed(**r) for r in service.recent_imports(store, limit)]


@router.post("/preview", response_model=ImportPreview, max_body_size=service.UPLOAD_BODY_LIMIT,
             responses={413: {"model": Error, "description": "The file is larger than an upload takes."}})
def preview_import(store: StoreDep, user: Annotated[User, allowed("imports.run")],
                   file: Annotated[UploadFile, File()] = None,  # optional; never null (multipart has no null)
                   upload_id: Annotated[str | None, Query(max_length=40)] = None,
                   kind: KindQuery = None, preset: PresetQuery = None, source: SourceQuery = None,
                   create_parties: CreateQuery = None, encoding: EncodingQuery = None) -> ImportPreview:
    """Upload an export (or name an earlier upload) and see what importing it would do; nothing is stored.

    The answer gives the kind detected from the columns, how well they fit each kind, a warning when they fit
    another kind better, and the first records as they would be typed with the reason each would be refused.
    """
    path = (service.saved_upload(user, upload_id) if upload_id
            else service.save_upload(user, file.file if file else None, file.filename if file else None))
    try:
        found = service.preview(store, user, path, kind=kind, preset=preset, source=source,
                                create_parties=create_parties, encoding=encoding)
    except BaseException:
        service.discard_upload(path)  # refused: nothing to import it from later
        raise
    return ImportPreview(**found)


@router.post("", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED,
             max_body_size=service.UPLOAD_BODY_LIMIT,
             responses={413: {"model": Error, "description": "The file is larger than an upload takes."}})
def upload_import(jobs: JobsDep, store: SharedStore, user: Annotated[User, allowed("imports.run")],
                  file: Annotated[UploadFile, File()] = None,  # optional; never null (multipart has no null)
                  upload_id: Annotated[str | None, Query(max_length=40)] = None,
                  kind: KindQuery = None, preset: PresetQuery = None, source: SourceQuery = None,
                  create_parties: CreateQuery = None, encoding: EncodingQuery = None) -> JobPublic:
    """Import an export (CSV, Parquet or JSON Lines), uploaded now or previewed before (``upload_id``);
    follow it at /api/v1/jobs/{job_id}."""
    job = service.start_upload(jobs, store, user, file.file if file else None, file.filename if file else None,
                               kind=kind, preset=preset, source=source, create_parties=create_parties,
                               upload_id=upload_id, encoding=encoding)
    return JobPublic(**job.public())


@router.post("/{import_id}/undo", response_model=UndoResult)
def undo_import(import_id: int, store: StoreDep, user: Annotated[User, allowed("imports.undo")]) -> UndoResult:
    """Undo an import: the facts it added and the customers it created removed, the customer fields it
    changed put back (those changed again since are kept, and listed)."""
    done = service.undo(store, user, import_id)
    return UndoResult(import_id=done.import_id, facts_removed=done.facts_removed,
                      parties_removed=done.parties_removed, fields_restored=done.fields_restored,
                      kept=[KeptField(party_id=p, field=f, value=v) for p, f, v in done.kept])


@router.get("/{import_id}/quarantine", response_model=Page[QuarantineRow])
def quarantine(import_id: int, store: StoreDep, user: Annotated[User, allowed("imports.rows.read")],
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> Page[QuarantineRow]:
    """Rows of one import that could not be stored, with line, raw text and reason."""
    total, rows = service.quarantine(store, user, import_id, limit=limit, offset=offset)
    return Page(total=total, limit=limit, offset=offset, items=[QuarantineRow(**r) for r in rows])
