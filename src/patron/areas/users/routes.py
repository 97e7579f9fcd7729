"""``/api/v1/tokens``: a script signs in for a token; ``/api/v1/users``: admins manage users and their tokens.

Every change applies from the next request, on both stores: a disabled user's tokens and page sessions,
a revoked token, a new role.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from patron.api.deps import StoreDep, allowed
from patron.api.schemas import Error, UtcDateTime, not_bool
from patron.areas.users import service
from patron.areas.users.signin import SignInRules, sign_in
from patron.errors import NotAuthenticated
from patron.service.permissions import User
from patron.store.vocabulary import ROLES
from patron.web.auth import client_address

router = APIRouter(tags=["users"])
Admin = Annotated[User, allowed("users.manage")]


#: A token's life in days. The bound comes before the validator that refuses ``true``: the other way round,
#: pydantic writes it into the schema as ``ge``/``le``, which JSON Schema does not know (schemathesis sent 0).
Days = Annotated[int, Field(ge=1, le=3650), BeforeValidator(not_bool)]


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    name: str = Field("script", min_length=1, max_length=100, description="What the token is for.")
    days: Days | None = Field(None, description="How long it works; the service's default if left out.")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the token is for, e.g. 'nightly export'.")
    days: Days | None = Field(None, description="How long it works; the service's default if left out.")


class NewToken(BaseModel):
    token: str = Field(description="Shown once: send it as 'Authorization: Bearer <token>'.")
    expires_at: UtcDateTime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=100)
    password: str = Field(min_length=10, max_length=1000)
    role: str = Field(json_schema_extra={"enum": list(ROLES)})
    full_name: str | None = Field(None, max_length=200)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str | None = Field(None, json_schema_extra={"enum": list(ROLES)})
    disabled: bool | None = Field(None, strict=True)
    password: str | None = Field(None, min_length=10, max_length=1000, description="A new password; their "
                                                                                   "page sessions end.")


class UserPublic(BaseModel):
    username: str
    full_name: str | None = None
    role: str
    disabled: bool
    created_at: UtcDateTime
    last_sign_in: UtcDateTime | None = None
    tokens: int = Field(description="API tokens not revoked.")


class TokenPublic(BaseModel):
    token_id: int
    name: str
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None = None
    expires_at: UtcDateTime
    state: str = Field(json_schema_extra={"enum": ["active", "expired", "revoked"]})


def _days(request: Request, days: int | None) -> int:
    return days or request.app.state.settings.token_days


@router.post("/tokens", status_code=201, response_model=NewToken,
             responses={401: {"model": Error, "description": "Wrong user name or password."},
                        429: {"model": Error, "description": "Too many failed sign-ins: wait Retry-After seconds."}})
def token_for_password(body: SignIn, request: Request, store: StoreDep) -> NewToken:
    """Sign in with a user name and password for a new API token (throttled like the sign-in page)."""
    user = sign_in(store, body.username, body.password, client_address(request), "api",
                   SignInRules.from_settings(request.app.state.settings))
    if user is None:
        raise NotAuthenticated("Wrong user name or password.")
    days = _days(request, body.days)
    token = service.issue_token(store, user, body.name, days=days)
    return NewToken(token=token, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=days))


@router.get("/users", response_model=list[UserPublic])
def list_users(store: StoreDep, user: Admin) -> list[UserPublic]:
    """Every user, by name, with role, state, last sign-in and how many tokens they hold."""
    return [UserPublic(**u) for u in service.list_users(store, by=user)]


@router.post("/users", status_code=201, response_model=UserPublic)
def add_user(body: UserCreate, store: StoreDep, user: Admin) -> UserPublic:
    added = service.add_user(store, body.username, body.password, body.role, body.full_name, by=user)
    return _public(store, user, added.username)


@router.patch("/users/{username}", response_model=UserPublic)
def change_user(username: str, body: UserUpdate, store: StoreDep, user: Admin) -> UserPublic:
    """Change a user's role, disable or enable them, or set a new password; in effect from their next request."""
    if body.role is not None:
        service.set_role(store, username, body.role, by=user)
    if body.disabled is not None:
        service.set_disabled(store, username, body.disabled, by=user)
    if body.password is not None:
        service.set_password(store, username, body.password, by=user)
    return _public(store, user, username)


def _public(store, user, username: str) -> UserPublic:
    service.existing_user(store, username)
    return next(UserPublic(**u) for u in service.list_users(store, by=user) if u["username"] == username)


@router.get("/users/{username}/tokens", response_model=list[TokenPublic])
def user_tokens(username: str, request: Request, store: StoreDep, user: Admin) -> list[TokenPublic]:
    """A user's API tokens, newest first (never the tokens themselves: only their hash is kept)."""
    return [TokenPublic(**t) for t in service.list_tokens(store, username, days=_days(request, None), by=user)]


@router.post("/users/{username}/tokens", status_code=201, response_model=NewToken)
def make_token(username: str, body: TokenCreate, request: Request, store: StoreDep, user: Admin) -> NewToken:
    days = _days(request, body.days)
    token = service.issue_token(store, service.existing_user(store, username), body.name, days=days, by=user)
    return NewToken(token=token, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=days))


@router.delete("/tokens/{token_id}", response_model=TokenPublic)
def revoke_token(token_id: int, request: Request, store: StoreDep, user: Admin) -> TokenPublic:
    """Revoke a token: scripts using it are refused from their next request."""
    found = service.revoke_token(store, token_id, by=user)
    return next(TokenPublic(**t) for t in service.list_tokens(store, found["username"], days=_days(request, None),
                                                              by=user) if t["token_id"] == token_id)
