"""The web application: the REST API under ``/api/v1`` over one store."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import patron
from patron.api.deps import NotAuthenticated
from patron.api.routes import complaints, health, jobs, parties, segments
from patron.api.settings import Settings
from patron.errors import PatronError
from patron.service.contacts import NotFound, PermissionDenied
from patron.service.jobs import Jobs
from patron.store import Store

API_PREFIX = "/api/v1"
logger = logging.getLogger("patron.api")


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(store: str | None = None, settings: Settings | None = None) -> FastAPI:
    """The app over the store at ``store`` (default: ``PATRON_STORE`` or ./patron.duckdb)."""
    settings = settings or Settings(**({"store": store} if store else {}))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.store = Store(settings.store)
        app.state.jobs = Jobs()
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(title="patron", version=patron.__version__, lifespan=lifespan,
                  description="Relationship marketing and CRM: customers, their value, and the contacts with them.")
    for module in (health, parties, complaints, segments, jobs):
        app.include_router(module.router, prefix=API_PREFIX)

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated):
        return _error(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(PermissionDenied)
    async def denied(request: Request, exc: PermissionDenied):
        return _error(403, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return _error(404, str(exc))

    @app.exception_handler(PatronError)
    async def patron_error(request: Request, exc: PatronError):
        message = str(exc)
        return _error(404 if message.startswith("There is no ") else 400, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _error(422, "; ".join(parts) or "The request is not valid.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error(500, "Something went wrong on our side; it has been logged.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, str(exc.detail))

    return app
