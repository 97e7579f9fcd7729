"""The web application: the REST API under ``/api/v1`` over one store."""

from __future__ import annotations

import logging
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

import patron
from patron.api.deps import CurrentUser
from patron.api.routes import complaints, health, jobs, parties, segments
from patron.api.settings import Settings
from patron.errors import PatronError, http_status
from patron.service.jobs import Jobs
from patron.store import Store

API_PREFIX = "/api/v1"
logger = logging.getLogger("patron.api")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _page_error(request: Request, status: int, message: str):
    """On a page, an error is a page that says it, with the way back."""
    from html import escape

    from fastapi.responses import HTMLResponse

    back = escape(request.headers.get("referer") or "/", quote=True)
    body = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>patron</title>"
            f"<link rel='stylesheet' href='/static/patron.css'></head><body><main><section class='panel'>"
            f"<h1>That did not work</h1><p class='flash error' role='alert'>{escape(message)}</p>"
            f"<p><a href='{back}'>Go back</a></p></section></main></body></html>")
    return HTMLResponse(body, status_code=status)


def create_app(store: str | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over the store at ``store`` (default: ``PATRON_STORE`` or ./patron.duckdb)."""
    settings = settings or Settings(**({"store": store} if store else {}))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = Store(settings.store)
        app.state.jobs = Jobs(app.state.store)
        try:
            yield
        finally:
            # Jobs run on cursors of the store: closing it under a running import or analysis fails (DuckDB
            # refuses) or cuts the job off; let them end first.
            app.state.jobs.wait_all()
            app.state.store.close()

    # No open /docs or /openapi.json: only sign-in and health are reachable without a user, and
    # FastAPI's docs page would load Swagger UI from a CDN. The schema is served to users below.
    app = FastAPI(title="patron", version=patron.__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None,
                  description="Relationship marketing and CRM: customers, their value, and the contacts with them.")
    for module in (health, parties, complaints, segments, jobs):
        app.include_router(module.router, prefix=API_PREFIX)
    @app.get(f"{API_PREFIX}/openapi.json", include_in_schema=False)
    def openapi_schema(user: CurrentUser) -> JSONResponse:
        """The OpenAPI schema of this API, for signed-in users and scripts with a token."""
        return JSONResponse(app.openapi())

    from patron.web import pages
    from patron.web.auth import SignInRequired

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(Path(pages.__file__).parent / "static")), name="static")
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key or secrets.token_urlsafe(32),
                       session_cookie="patron_session", same_site="strict", https_only=settings.secure_cookies,
                       max_age=12 * 3600)

    def respond(request: Request, status: int, message: str, headers: dict | None = None):
        """JSON for the API, a page for the pages."""
        if request.url.path.startswith(API_PREFIX):
            return _error(status, message, headers)
        return _page_error(request, status, message)

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(PatronError)
    async def patron_error(request: Request, exc: PatronError):
        # The status is the error's type (patron.errors.HTTP_STATUS), never its wording.
        status = http_status(exc)
        return respond(request, status, str(exc), {"WWW-Authenticate": "Bearer"} if status == 401 else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return respond(request, 422, "; ".join(parts) or "The request is not valid.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return respond(request, 500, "Something went wrong on our side; it has been logged.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return respond(request, exc.status_code, str(exc.detail))

    return app
