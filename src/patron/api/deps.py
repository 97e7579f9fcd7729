"""Request dependencies as ``Annotated`` aliases: the store, the jobs, the user behind the request, what they may do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from patron.areas.users.service import user_for_token
from patron.errors import NotAuthenticated
from patron.service.jobs import Jobs
from patron.service.permissions import ACTIONS, User
from patron.store import Store
from patron.web.auth import client_address

bearer = HTTPBearer(auto_error=False, description="An API token from `patron user token`.")


def get_store(request: Request) -> Iterator[Store]:
    """A cursor of the app's store for this request (DuckDB connections are per thread)."""
    view = request.app.state.store.cursor()
    try:
        yield view
    finally:
        view.close()


StoreDep = Annotated[Store, Depends(get_store)]


def get_shared_store(request: Request) -> Store:
    """The app's store itself, for background jobs that outlive the request (they take cursors of their own)."""
    return request.app.state.store


SharedStore = Annotated[Store, Depends(get_shared_store)]


def get_jobs(request: Request) -> Jobs:
    return request.app.state.jobs


JobsDep = Annotated[Jobs, Depends(get_jobs)]


def get_user(request: Request, store: StoreDep,
             credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    if credentials is None:
        raise NotAuthenticated("Sign in: send an API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(store, credentials.credentials, days=request.app.state.settings.token_days,
                          address=client_address(request))
    if user is None:
        raise NotAuthenticated("This API token is not valid (unknown, revoked, expired, or its user is disabled).")
    return user


CurrentUser = Annotated[User, Depends(get_user)]


def allowed(action: str):
    """A dependency: the current user, if their role may do ``action`` (:mod:`patron.service.permissions`).

    Example: ``user: Annotated[User, allowed("runs.start")]``. The service checks again: this makes a route
    say what it needs where it is defined, and refuse before reading a request body.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action '{action}'")

    def dependency(user: CurrentUser) -> User:
        user.require(action)
        return user

    return Depends(dependency)
