"""``/imports``: uploading an export, following its import, and the rows it could not store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from patron.api.deps import JobsDep, SharedStore, StoreDep
from patron.areas.imports import service
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(50, "Imports", "/imports")


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, store: StoreDep, jobs: JobsDep, job: str | None = None):
    user = page_user(request, store)
    found = jobs.get(job) if job else None
    return render(request, "imports/imports.html", user, active=NAV.label, imports=service.recent_imports(store),
                  kinds=service.IMPORT_KINDS, presets=service.PRESET_NAMES, job=found.public() if found else None,
                  can_import=user.may("imports.run"))


@router.post("/imports")
def upload(request: Request, store: StoreDep, shared: SharedStore, jobs: JobsDep, file: Annotated[UploadFile, File()],
           csrf: Annotated[str, Form()] = "", kind: Annotated[str | None, Form()] = None,
           preset: Annotated[str | None, Form()] = None, source: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    # The form always sends a kind; a known layout says what the file holds itself.
    job = service.start_upload(jobs, shared, user, file.file, file.filename, kind=None if preset else kind,
                               preset=preset or None, source=source or None)
    return back(f"/imports?job={job.job_id}", request)


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def quarantine_page(request: Request, store: StoreDep, import_id: int):
    user = page_user(request, store)
    total, rows = service.quarantine(store, user, import_id, limit=500)
    return render(request, "imports/quarantine.html", user, active=NAV.label, import_id=import_id, total=total,
                  rows=rows)
