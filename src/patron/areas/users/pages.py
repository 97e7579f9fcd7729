"""Signing in and out of the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.users.service import authenticate
from patron.web.auth import check_csrf, sign_in, sign_out
from patron.web.templating import back, render

router = APIRouter(include_in_schema=False)


def _local(next_url: str) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/"):
    return render(request, "users/login.html", next=_local(next))


@router.post("/login")
def login(request: Request, store: StoreDep, username: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    check_csrf(request, csrf)
    user = authenticate(store, username, password)
    if user is None:
        request.session["flash"], request.session["flash_kind"] = "Wrong user name or password.", "error"
        return render(request, "users/login.html", status_code=401, next=next)
    sign_in(request, store, user)
    return back(_local(next), request)


@router.post("/logout")
def logout(request: Request, store: StoreDep, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    sign_out(request, store)
    return back("/login", request, "You are signed out.")
