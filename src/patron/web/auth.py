"""Sessions for the pages: sign-in, the user behind a request, and CSRF protection of every form."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import replace

from fastapi import Request

from patron.areas.users.service import end_session, session_user, start_session
from patron.errors import PatronError, PermissionDenied
from patron.service.permissions import User
from patron.store import Store


class SignInRequired(PatronError):
    """The page needs a signed-in user."""


class CsrfFailed(PermissionDenied):
    """A form came without the token of this session."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed("This form has expired or did not come from patron; reload the page and try again.")


def sign_in(request: Request, store: Store, user: User) -> None:
    request.session.clear()  # a new session on sign-in: no fixation
    request.session["session"] = start_session(store, user)  # kept in the store: sign-out ends it there
    csrf_token(request)


def sign_out(request: Request, store: Store) -> None:
    key = request.session.get("session")
    if key:
        end_session(store, key)
    request.session.clear()


def page_user(request: Request, store: Store) -> User:
    """The signed-in user of a page; a redirect to sign-in (:class:`SignInRequired`) when there is none.

    The session must not have ended in the store (signed out, the user disabled), so a saved copy of
    the cookie stops working at once.
    """
    key = request.session.get("session")
    user = session_user(store, key) if isinstance(key, str) else None
    if user is None:
        raise SignInRequired("Sign in to continue.")
    return replace(user, address=client_address(request))


def client_address(request: Request) -> str | None:
    """Where a request came from, for throttling and the audit log (the peer; a proxy's own address behind one)."""
    return request.client.host if request.client else None
