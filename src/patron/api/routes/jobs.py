"""``/api/v1/runs`` and ``/api/v1/imports``: analysis runs and file imports as background jobs."""

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile, status

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import AnalysisRequest, JobPublic, Page, QuarantineRow
from patron.errors import NotFound, PatronError, PermissionDenied

router = APIRouter(tags=["jobs"])
ANALYSIS_ROLES = {"analyst", "marketing", "admin"}
IMPORT_ROLES = {"analyst", "admin", "billing"}
MAX_UPLOAD = 512 * 1024 * 1024


def _jobs(request: Request):
    return request.app.state.jobs


@router.post("/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def start_run(body: AnalysisRequest, request: Request, user: CurrentUser) -> JobPublic:
    """Start an analysis run; follow it at /api/v1/jobs/{job_id}."""
    from patron.service.analyze import AnalysisSettings, analyze

    if user.role not in ANALYSIS_ROLES:
        raise PermissionDenied(f"The {user.role} role cannot start analysis runs.")
    settings = AnalysisSettings(**body.model_dump())
    store = request.app.state.store

    def work(progress):
        view = store.cursor()
        try:
            result = analyze(view, settings, progress=progress)
        finally:
            view.close()
        return {"run_id": result.run_id, "customers": result.customers, "parties": result.parties,
                "seconds": round(result.seconds, 2), "notes": result.notes,
                "models": {k: result.diagnostics[k]["params"] for k in ("transaction_model", "spend_model")}}

    return JobPublic(**_jobs(request).start("analysis", user.username, work).public())


@router.post("/imports", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def upload_import(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
                  kind: Annotated[str | None, Query(max_length=20)] = None,
                  preset: Annotated[str | None, Query(max_length=40)] = None,
                  source: Annotated[str | None, Query(max_length=100)] = None) -> JobPublic:
    """Upload an export (CSV, Parquet or JSON Lines) and import it; follow it at /api/v1/jobs/{job_id}."""
    from patron.ingest import import_file

    if user.role not in IMPORT_ROLES:
        raise PermissionDenied(f"The {user.role} role cannot import files.")
    name = Path(file.filename or "upload.csv").name  # never a path from the client
    folder = Path(tempfile.mkdtemp(prefix="patron-upload-"))
    target = folder / name
    size = 0
    with open(target, "wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise PatronError("The file is larger than 512 MB; import it with the patron command instead.")
            out.write(chunk)
    store = request.app.state.store

    def work(progress):
        view = store.cursor()
        try:
            report = import_file(view, target, kind, preset=preset, source=source, progress=progress)
        finally:
            view.close()
            target.unlink(missing_ok=True)
            folder.rmdir()
        return {"import_id": report.import_id, "file_name": report.file_name, "rows_read": report.rows_read,
                "accepted": report.accepted, "rejected": report.rejected,
                "already_present": report.already_present, "new_parties": report.new_parties,
                "notes": report.notes, "reasons": [list(r) for r in report.reasons]}

    return JobPublic(**_jobs(request).start("import", user.username, work).public())


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: str, request: Request, user: CurrentUser) -> JobPublic:
    job = _jobs(request).get(job_id)
    if job is None:
        raise NotFound(f"There is no job {job_id}.")
    return JobPublic(**job.public())


@router.get("/imports/{import_id}/quarantine", response_model=Page[QuarantineRow])
def quarantine(import_id: int, store: StoreDep, user: CurrentUser,
               limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0) -> Page[QuarantineRow]:
    """Rows of one import that could not be stored, with line, raw text and reason."""
    if user.role not in IMPORT_ROLES:
        raise PermissionDenied(f"The {user.role} role cannot see raw imported rows.")
    if not store.scalar("SELECT count(*) FROM imports WHERE import_id = ?", [import_id]):
        raise NotFound(f"There is no import {import_id}.")
    total = store.scalar("SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id])
    cur = store.raw.execute("SELECT line, raw, reason FROM quarantine WHERE import_id = ? ORDER BY line "
                            "LIMIT ? OFFSET ?", [import_id, limit, offset])
    items = [QuarantineRow(line=line, raw=raw, reason=reason) for line, raw, reason in cur.fetchall()]
    return Page(total=total, limit=limit, offset=offset, items=items)
