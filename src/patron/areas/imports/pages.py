"""``/imports``: the import wizard (upload → what the file holds, its columns and a preview → import), the
imports with their undo, and the rows an import could not store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from patron.api.deps import JobsDep, SharedStore, StoreDep
from patron.areas.imports import service
from patron.errors import PatronError, PermissionDenied
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(50, "Imports", "/imports", section="Admin")


def _page(request, store, jobs, user, job=None, **extra):
    found = jobs.get(job) if job else None
    return render(request, "imports/imports.html", user, active=NAV.label, imports=service.recent_imports(store),
                  kinds=service.IMPORT_KINDS, presets=service.PRESET_NAMES, encodings=service.ENCODING_NAMES,
                  job=found.public() if found else None,
                  can_import=user.may("imports.run"), can_undo=user.may("imports.undo"), **extra)


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, store: StoreDep, jobs: JobsDep, job: str | None = None):
    return _page(request, store, jobs, page_user(request, store), job)


@router.post("/imports/preview", response_class=HTMLResponse, max_body_size=service.UPLOAD_BODY_LIMIT)
def preview(request: Request, store: StoreDep, jobs: JobsDep, file: Annotated[UploadFile | None, File()] = None,
            csrf: Annotated[str, Form()] = "", upload_id: Annotated[str, Form()] = "",
            kind: Annotated[str, Form()] = "", preset: Annotated[str, Form()] = "",
            source: Annotated[str, Form()] = "", create_parties: Annotated[str, Form()] = "",
            encoding: Annotated[str, Form(max_length=20)] = ""):
    """Step 2 of the wizard: what the file holds and how it would be imported; nothing stored yet."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    path = None
    try:
        path = (service.saved_upload(user, upload_id) if upload_id
                else service.save_upload(user, file.file if file else None, file.filename if file else None))
        found = service.preview(store, user, path, kind=kind or None, preset=preset or None, source=source or None,
                                create_parties=bool(create_parties) or None, encoding=encoding or None)
    except PermissionDenied:
        if path is not None:
            service.discard_upload(path)
        raise
    except PatronError as problem:
        if path is not None:  # refused: the form starts again from the file
            service.discard_upload(path)
        return _page(request, store, jobs, user, upload_error=str(problem), status_code=400)
    return render(request, "imports/preview.html", user, active=NAV.label, p=found, kinds=service.IMPORT_KINDS,
                  presets=service.PRESET_NAMES, source=source, preset=preset, create_parties=bool(create_parties),
                  encoding=encoding)


@router.post("/imports", max_body_size=service.UPLOAD_BODY_LIMIT)
def upload(request: Request, store: StoreDep, shared: SharedStore, jobs: JobsDep,
           file: Annotated[UploadFile | None, File()] = None, csrf: Annotated[str, Form()] = "",
           upload_id: Annotated[str, Form()] = "", kind: Annotated[str, Form()] = "",
           preset: Annotated[str, Form()] = "", source: Annotated[str, Form()] = "",
           create_parties: Annotated[str, Form()] = "", encoding: Annotated[str, Form(max_length=20)] = ""):
    """Step 3: import the previewed upload (or a file sent directly) as a background job."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    job = service.start_upload(jobs, shared, user, file.file if file else None, file.filename if file else None,
                               kind=None if preset else (kind or None), preset=preset or None,
                               source=source or None, create_parties=bool(create_parties) or None,
                               upload_id=upload_id or None, encoding=encoding or None)
    return back(f"/imports?job={job.job_id}", request)


@router.get("/imports/{import_id}/undo", response_class=HTMLResponse)
def confirm_undo(request: Request, store: StoreDep, import_id: int):
    """What undoing the import would remove and put back, and the button that does it."""
    user = page_user(request, store)
    return render(request, "imports/undo.html", user, active=NAV.label, u=service.undo_preview(store, user, import_id))


@router.post("/imports/{import_id}/undo")
def undo(request: Request, store: StoreDep, import_id: int, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    done = service.undo(store, user, import_id)
    removed = ", ".join(f"{n:,} {t}" for t, n in done.facts_removed.items()) or "no records"
    message = (f"Import {import_id} undone: removed {removed} and {done.parties_removed:,} customers it created; "
               f"put back {done.fields_restored:,} customer details it had changed.")
    if done.kept:
        message += " Kept, because they were changed again since: " + "; ".join(
            f"customer {p}'s {f}" for p, f, _ in done.kept[:10]) + ("…" if len(done.kept) > 10 else ".")
    return back("/imports", request, message)


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def quarantine_page(request: Request, store: StoreDep, import_id: int):
    user = page_user(request, store)
    total, rows = service.quarantine(store, user, import_id, limit=500)
    return render(request, "imports/quarantine.html", user, active=NAV.label, import_id=import_id, total=total,
                  rows=rows, hidden=service.HIDDEN)
