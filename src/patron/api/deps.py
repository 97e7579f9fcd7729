"""Request dependencies as ``Annotated`` aliases: the store, and the user behind the request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from patron.errors import NotAuthenticated
from patron.service.users import User, user_for_token
from patron.store import Store

bearer = HTTPBearer(auto_error=False, description="An API token from `patron user token`.")


def get_store(request: Request) -> Iterator[Store]:
    """A cursor of the app's store for this request (DuckDB connections are per thread)."""
    view = request.app.state.store.cursor()
    try:
        yield view
    finally:
        view.close()


StoreDep = Annotated[Store, Depends(get_store)]


def get_user(store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    if credentials is None:
        raise NotAuthenticated("Sign in: send an API token as 'Authorization: Bearer <token>'.")
    user = user_for_token(store, credentials.credentials)
    if user is None:
        raise NotAuthenticated("This API token is not valid (unknown, revoked, or its user is disabled).")
    return user


CurrentUser = Annotated[User, Depends(get_user)]
