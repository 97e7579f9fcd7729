"""Signing in and out of the pages; ``/users``: the admins' page of users and their API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.users import service
from patron.areas.users.signin import SignInRules
from patron.areas.users.signin import sign_in as check_sign_in
from patron.errors import TooManyAttempts
from patron.store.vocabulary import ROLES
from patron.web.auth import check_csrf, client_address, page_user, sign_in, sign_out
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(95, "Users", "/users", action="users.manage", section="Admin")


def _local(next_url: str) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "users/login.html", next=_local(next))


@router.post("/login")
def login(request: Request, store: StoreDep, username: Annotated[str, Form(max_length=200)],
          password: Annotated[str, Form(max_length=1000)], csrf: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/"):
    check_csrf(request, csrf)
    try:
        user = check_sign_in(store, username, password, client_address(request), "page",
                             SignInRules.from_settings(request.app.state.settings))
    except TooManyAttempts as exc:
        request.session["flash"], request.session["flash_kind"] = str(exc), "error"
        page = render(request, "users/login.html", status_code=429, next=_local(next))
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    if user is None:
        request.session["flash"], request.session["flash_kind"] = "Wrong user name or password.", "error"
        return render(request, "users/login.html", status_code=401, next=_local(next))
    sign_in(request, store, user)
    return back(_local(next), request)


@router.post("/logout")
def logout(request: Request, store: StoreDep, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    sign_out(request, store)
    return back("/login", request, "You are signed out.")


# -- administration --------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "users/users.html", user, active=NAV.label, users=service.list_users(store, by=user),
                  roles=ROLES)


@router.post("/users")
def add(request: Request, store: StoreDep, username: Annotated[str, Form(max_length=100)],
        role: Annotated[str, Form()], password: Annotated[str, Form(max_length=1000)],
        full_name: Annotated[str, Form(max_length=200)] = "", csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    added = service.add_user(store, username, password, role, full_name.strip() or None, by=user)
    return back(f"/users/{added.username}", request, f"Added {added.username} ({added.role}).")


@router.get("/users/{username}", response_class=HTMLResponse)
def user_page(request: Request, store: StoreDep, username: str):
    user = page_user(request, store)
    return _user_page(request, store, user, username)


def _user_page(request, store, user, username, new_token: str | None = None):
    person = next((u for u in service.list_users(store, by=user) if u["username"] == username), None)
    if person is None:
        service.existing_user(store, username)  # the clear "no such user"
    tokens = service.list_tokens(store, username, days=request.app.state.settings.token_days, by=user)
    return render(request, "users/user.html", user, active=NAV.label, person=person, tokens=tokens, roles=ROLES,
                  new_token=new_token, token_days=request.app.state.settings.token_days)


@router.post("/users/{username}/{change}")
def change(request: Request, store: StoreDep, username: str, change: str, csrf: Annotated[str, Form()] = "",
           role: Annotated[str, Form()] = "", password: Annotated[str, Form(max_length=1000)] = "",
           name: Annotated[str, Form(max_length=100)] = "", days: Annotated[str, Form(max_length=5)] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    here = f"/users/{username}"
    if change in ("disable", "enable"):
        service.set_disabled(store, username, change == "disable", by=user)
        ended = " Their page sessions ended and their tokens are refused." if change == "disable" else ""
        return back(here, request, f"{username} is now {change}d.{ended}")
    if change == "role":
        service.set_role(store, username, role, by=user)
        return back(here, request, f"{username} is now {role}; it applies from their next page or request.")
    if change == "password":
        service.set_password(store, username, password, by=user)
        return back(here, request, f"New password set for {username}; they sign in again with it.")
    if change == "tokens":
        lifetime = int(days) if days.strip().isdigit() else None if days.strip() == "never" else \
            request.app.state.settings.token_days
        token = service.issue_token(store, service.existing_user(store, username), name, days=lifetime, by=user)
        return _user_page(request, store, user, username, new_token=token)
    return back(here, request, f"There is nothing called '{change}' to change for a user.", error=True)


@router.post("/tokens/{token_id}/revoke")
def revoke(request: Request, store: StoreDep, token_id: int, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    token = service.revoke_token(store, token_id, by=user)
    return back(f"/users/{token['username']}", request,
                f"Token '{token['name']}' of {token['username']} is revoked: scripts using it are refused now.")
