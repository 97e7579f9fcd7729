"""The web application, put together: the REST API under ``/api/v1`` and the pages, over one store.

This is the composition root of the web service. It finds the areas
(``patron/areas/<area>/``) and mounts what each offers: ``routes.py`` (an API
router, under ``/api/v1``) and ``pages.py`` (a page router, with a ``NAV``
entry for the main navigation, and ``NAV_MORE`` for any others). A new area is a new folder; nothing here
changes. Errors become statuses by their type (:data:`patron.errors.HTTP_STATUS`):
JSON on the API, a page on the pages.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import re
import secrets
from contextlib import asynccontextmanager
from html import escape
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

import patron
import patron.areas
from patron.api.deps import CurrentUser
from patron.api.routes import health
from patron.api.schemas import Error
from patron.api.settings import Settings
from patron.areas.imports import service as imports_service
from patron.areas.outbox.service import deliver_in_background
from patron.areas.users.signin import SignInRules
from patron.errors import PatronError, TooManyAttempts, http_status
from patron.service.audit import ReadLog
from patron.service.jobs import Jobs
from patron.service.log_retention import Retention
from patron.store import Store
from patron.web.auth import SignInRequired
from patron.web.formatting import set_locale
from patron.web.headers import SecurityHeaders
from patron.web.sign_in_gate import SignInGate
from patron.web.templating import STATIC, set_navigation

API_PREFIX = "/api/v1"
#: The errors every API route may answer, documented once for all of them (a body of ``Error``; 422 is ours,
#: not FastAPI's ``detail`` list, see ``_handle_errors``).
ERROR_RESPONSES = {status: {"model": Error, "description": words} for status, words in (
    (400, "The request cannot be carried out as it is (the message says what and where)."),
    (401, "No valid token: sign in or send one (Authorization: Bearer ...)."),
    (403, "The user's role may not do this."),
    (404, "There is no such record."),
    (409, "The record's state does not allow this now."),
    (422, "A value in the request is not valid (the message names it)."))}
logger = logging.getLogger("patron.api")


def area_modules(kind: str) -> list:
    """The ``kind`` module (``routes``, ``pages``, ``cli``...) of every area that has one, by area name."""
    found = []
    for area in sorted(info.name for info in pkgutil.iter_modules(patron.areas.__path__) if info.ispkg):
        name = f"patron.areas.{area}.{kind}"
        if importlib.util.find_spec(name) is not None:
            found.append(importlib.import_module(name))
    return found


def _local_referer(request: Request) -> str:
    """The page the user came from, if it is one of ours (path and query only); else the first page."""
    parts = urlsplit(request.headers.get("referer") or "")
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path + (f"?{parts.query}" if parts.query else "")


def _page_error(request: Request, status: int, message: str) -> HTMLResponse:
    """On a page, an error is a page that says it, with the way back."""
    back = escape(_local_referer(request), quote=True)
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>patron</title>"
            f"<link rel='stylesheet' href='/static/patron.css'></head><body><main><section class='panel'>"
            f"<h1>That did not work</h1><p class='flash error' role='alert'>{escape(message)}</p>"
            f"<p><a href='{back}'>Go back</a></p></section></main></body></html>")
    return HTMLResponse(body, status_code=status)


def _respond(request: Request, status: int, message: str, headers: dict | None = None):
    """JSON for the API, a page for the pages."""
    if request.url.path.startswith(API_PREFIX):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return _page_error(request, status, message)


def _documented_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the API's schema documents for ``path``: a 405's ``Allow``. Starlette's names only the methods
    of the first route whose path matched, when several routes share it (``GET`` and ``PATCH /parties/{id}``).
    A literal path wins over a template that also matches (``/playbooks/run-due`` over ``/playbooks/{id}``)."""
    patterns = getattr(app.state, "documented_paths", None)
    if patterns is None:
        patterns = sorted(((re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"),
                            template.count("{"), sorted(m.upper() for m in operations))
                           for template, operations in app.openapi()["paths"].items()), key=lambda p: p[1])
        app.state.documented_paths = patterns
    return next((methods for pattern, _, methods in patterns if pattern.match(path)), [])


def _files_sent_as_text(request: Request, exc: RequestValidationError) -> str | None:
    """The name of a file field of the route that arrived as text (a multipart part without a file name), if any:
    a clear 400 rather than a 422 about types."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    files = {param.alias for param in dependant.body_params if isinstance(param.field_info, params.File)}
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if len(loc) == 2 and loc[0] == "body" and loc[1] in files and isinstance(err.get("input"), str):
            return loc[1]
    return None


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(PatronError)
    async def patron_error(request: Request, exc: PatronError):
        status = http_status(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, TooManyAttempts):
            headers = {"Retry-After": str(exc.retry_after)}
        return _respond(request, status, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if unnamed := _files_sent_as_text(request, exc):
            return _respond(request, 400, f"'{unnamed}' must be a file, sent with its file name (a multipart part "
                                          f"with Content-Disposition: form-data; name=\"{unnamed}\"; "
                                          "filename=\"...\"); this part had no file name, so it arrived as text.")
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _respond(request, 422, "; ".join(parts) or "The request is not valid.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return _respond(request, 500, "Something went wrong on our side; it has been logged.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 413:  # an upload route stopped reading a body past its limit
            return _respond(request, 413, imports_service.TOO_LARGE)
        headers = getattr(exc, "headers", None)  # a 405's Allow
        if exc.status_code == 405 and request.url.path.startswith(API_PREFIX):
            headers = {**(headers or {}), "Allow": ", ".join(_documented_methods(request.app, request.url.path))
                       or (headers or {}).get("Allow", "")}
        return _respond(request, exc.status_code, str(exc.detail), headers)


def _start_triggers(store: Store, settings: Settings):
    """The playbooks' trigger scheduler (areas/campaigns/triggers.py), when the settings ask for it."""
    if not settings.triggers:
        return None
    from patron.areas.campaigns.triggers import Scheduler

    return Scheduler(store).start()


def create_app(store: str | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over the store at ``store`` (default: ``PATRON_STORE`` or ./patron.duckdb)."""
    settings = settings or Settings(**({"store": store} if store else {}))
    set_locale(settings.locale)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = Store(settings.store)
        app.state.store.limit_threads(settings.duckdb_threads)
        read_log = ReadLog(app.state.store, settings.audit_flush_seconds).start()
        app.state.jobs = Jobs(app.state.store)
        scheduler = _start_triggers(app.state.store, settings)
        app.state.delivery = deliver_in_background(app.state.store, settings.delivery)
        app.state.retention = Retention(app.state.store, settings.audit_days,
                                        SignInRules.from_settings(settings)).start()
        try:
            yield
        finally:
            if app.state.delivery is not None:  # its batch in hand is sent and recorded first
                app.state.delivery.stop()
            if scheduler is not None:
                scheduler.stop()
            app.state.retention.stop()
            # Jobs run on cursors of the store: closing it under a running import or analysis fails (DuckDB
            # refuses) or cuts the job off; let them end first.
            app.state.jobs.wait_all()
            read_log.stop()  # the reads' audit rows still waiting are written before the store closes
            app.state.store.close()

    # No open /docs or /openapi.json: only sign-in and health are reachable without a user, and
    # FastAPI's docs page would load Swagger UI from a CDN. The schema is served to users below.
    app = FastAPI(title="patron", version=patron.__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Relationship marketing and CRM: customers, their value, and the contacts with them.")
    app.state.settings = settings
    app.include_router(health.router, prefix=API_PREFIX)
    for module in area_modules("routes"):
        app.include_router(module.router, prefix=API_PREFIX, responses=ERROR_RESPONSES)

    @app.get(f"{API_PREFIX}/openapi.json", include_in_schema=False)
    def openapi_schema(user: CurrentUser) -> JSONResponse:
        """The OpenAPI schema of this API, for signed-in users and scripts with a token."""
        return JSONResponse(app.openapi())

    pages = area_modules("pages")
    for module in pages:
        app.include_router(module.router)
    # An area's NAV, and NAV_MORE: its other entries (the complaint list beside the desk).
    set_navigation([item for module in pages if hasattr(module, "NAV")
                    for item in (module.NAV, *getattr(module, "NAV_MORE", ()))])

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key or secrets.token_urlsafe(32),
                       session_cookie="patron_session", same_site="strict", https_only=settings.secure_cookies,
                       max_age=12 * 3600)
    app.add_middleware(SignInGate)  # sign-ins take turns; a refused one is answered slowly
    app.add_middleware(SecurityHeaders)  # outermost: on every response, errors included
    _handle_errors(app)
    return app
