"""The pages: thin routes that call :mod:`patron.service` and render a template."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from patron.api.deps import StoreDep
from patron.errors import NotFound, PatronError, PermissionDenied
from patron.service import contacts, dashboard, parties, segments
from patron.service.users import authenticate
from patron.store.vocabulary import INTERACTION_CHANNELS
from patron.web.auth import check_csrf, csrf_token, page_user, sign_in

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
IMPORT_ROLES = {"analyst", "admin", "billing"}


def render(request: Request, template: str, user=None, status_code: int = 200, **context) -> HTMLResponse:
    flash = request.session.pop("flash", None)
    kind = request.session.pop("flash_kind", None)
    return templates.TemplateResponse(request, template, {"user": user, "csrf": csrf_token(request), "flash": flash,
                                                          "flash_kind": kind, **context}, status_code=status_code)


def back(url: str, request: Request, message: str | None = None, error: bool = False) -> RedirectResponse:
    if message:
        request.session["flash"] = message
        request.session["flash_kind"] = "error" if error else ""
    return RedirectResponse(url, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", next=next if next.startswith("/") and not next.startswith("//") else "/")


@router.post("/login")
def login(request: Request, store: StoreDep, username: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    check_csrf(request, csrf)
    user = authenticate(store, username, password)
    if user is None:
        request.session["flash"], request.session["flash_kind"] = "Wrong user name or password.", "error"
        return render(request, "login.html", status_code=401, next=next)
    sign_in(request, user)
    return back(next if next.startswith("/") and not next.startswith("//") else "/", request)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    request.session.clear()
    return back("/login", request, "You are signed out.")


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, store: StoreDep):
    from patron.service.analyze import valuable_at_risk
    from patron.service.charts import inline_svg, ladder_funnel, triage_chart

    user = page_user(request, store)
    numbers = dashboard.overview_numbers(store)
    run_id = numbers.get("run_id")
    charts = ({"ladder": inline_svg(ladder_funnel(store, run_id)), "triage": inline_svg(triage_chart(store, run_id))}
              if run_id else None)
    at_risk = valuable_at_risk(store, run_id, 20) if run_id else []
    return render(request, "overview.html", user, active="Overview", numbers=numbers, charts=charts, at_risk=at_risk)


@router.get("/customers", response_class=HTMLResponse)
def customer_search(request: Request, store: StoreDep, q: str | None = None):
    user = page_user(request, store)
    total, items = parties.search_parties(store, user, (q or "")[:200] or None, limit=50)
    return render(request, "customers.html", user, active="Customers", q=q, total=total, items=items)


@router.get("/customers/{party_id}", response_class=HTMLResponse)
def customer_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    view = parties.party_360(store, user, party_id)
    return render(request, "customer.html", user, active="Customers", view=view, channels=INTERACTION_CHANNELS)


@router.post("/customers/{party_id}/interactions")
def customer_interaction(request: Request, store: StoreDep, party_id: int, channel: Annotated[str, Form()],
                         subject: Annotated[str, Form(max_length=500)], csrf: Annotated[str, Form()] = "",
                         direction: Annotated[str | None, Form()] = None,
                         outcome: Annotated[str | None, Form(max_length=500)] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    contacts.log_interaction(store, user, party_id, channel=channel, direction=direction or None,
                             subject=subject, outcome=outcome or None, department=_department(user.role))
    return back(f"/customers/{party_id}", request, "Interaction logged.")


def _department(role: str) -> str | None:
    return role if role in ("marketing", "sales", "service", "billing") else None


@router.post("/customers/{party_id}/complaints")
def customer_complaint(request: Request, store: StoreDep, party_id: int, category: Annotated[str, Form()],
                       description: Annotated[str, Form()], severity: Annotated[str, Form()] = "medium",
                       csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    c = contacts.open_complaint(store, user, party_id, category=category, description=description, severity=severity)
    return back(f"/customers/{party_id}", request, f"Complaint {c['complaint_id']} opened.")


@router.get("/segments", response_class=HTMLResponse)
def segments_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    try:
        found = segments.segments(store)
    except PatronError:
        found = []
    return render(request, "segments.html", user, active="Segments", segments=found)


@router.get("/segments/{kind}/{name}.csv")
def segment_csv(request: Request, store: StoreDep, kind: str, name: str):
    user = page_user(request, store)
    segments.members(store, user, kind, name, limit=1)
    return StreamingResponse(segments.export_csv(store, user, kind, name), media_type="text/csv", headers={
        "Content-Disposition": f"attachment; filename=\"patron-{quote(kind)}-{quote(name)}.csv\""})


@router.get("/segments/{kind}/{name}", response_class=HTMLResponse)
def segment_page(request: Request, store: StoreDep, kind: str, name: str):
    user = page_user(request, store)
    total, rows = segments.members(store, user, kind, name, limit=100)
    return render(request, "segment.html", user, active="Segments", kind=kind, name=name, total=total, rows=rows)


@router.get("/complaints", response_class=HTMLResponse)
def complaint_desk(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "complaints.html", user, active="Complaint desk", queue=dashboard.complaint_queue(store),
                  levels=dashboard.SERVICE_LEVELS)


@router.post("/complaints/{complaint_id}/status")
def complaint_status(request: Request, store: StoreDep, complaint_id: int, status: Annotated[str, Form()],
                     csrf: Annotated[str, Form()] = "", resolution: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    user = page_user(request, store)
    contacts.change_complaint_status(store, user, complaint_id, status, resolution=resolution or None)
    return back("/complaints", request, f"Complaint {complaint_id} is now {status.replace('_', ' ')}.")


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, store: StoreDep, job: str | None = None):
    from patron.ingest.fields import KINDS
    from patron.ingest.presets import PRESETS

    user = page_user(request, store)
    found = request.app.state.jobs.get(job) if job else None
    return render(request, "imports.html", user, active="Imports", imports=dashboard.recent_imports(store),
                  kinds=list(KINDS), presets=list(PRESETS), job=found.public() if found else None,
                  can_import=user.role in IMPORT_ROLES)


@router.post("/imports")
def upload(request: Request, store: StoreDep, file: Annotated[UploadFile, File()], csrf: Annotated[str, Form()] = "",
           kind: Annotated[str | None, Form()] = None, preset: Annotated[str | None, Form()] = None,
           source: Annotated[str | None, Form()] = None):
    from patron.ingest import import_file

    check_csrf(request, csrf)
    user = page_user(request, store)
    if user.role not in IMPORT_ROLES:
        raise PermissionDenied(f"The {user.role} role cannot import files.")
    folder = Path(tempfile.mkdtemp(prefix="patron-upload-"))
    target = folder / Path(file.filename or "upload.csv").name
    with open(target, "wb") as out:
        while chunk := file.file.read(1 << 20):
            out.write(chunk)
    shared = request.app.state.store

    def work(progress):
        view = shared.cursor()
        try:
            report = import_file(view, target, None if preset else kind, preset=preset or None,
                                 source=source or None, progress=progress)
        finally:
            view.close()
            target.unlink(missing_ok=True)
            folder.rmdir()
        return {"import_id": report.import_id, "file_name": report.file_name, "accepted": report.accepted,
                "rejected": report.rejected, "already_present": report.already_present}

    job = request.app.state.jobs.start("import", user.username, work)
    return back(f"/imports?job={job.job_id}", request)


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def quarantine_page(request: Request, store: StoreDep, import_id: int):
    user = page_user(request, store)
    if user.role not in IMPORT_ROLES:
        raise PermissionDenied(f"The {user.role} role cannot see raw imported rows.")
    total = store.scalar("SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id])
    cur = store.raw.execute("SELECT line, raw, reason FROM quarantine WHERE import_id = ? ORDER BY line LIMIT 500",
                            [import_id])
    rows = [dict(zip(("line", "raw", "reason"), r)) for r in cur.fetchall()]
    return render(request, "quarantine.html", user, active="Imports", import_id=import_id, total=total, rows=rows)


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)
