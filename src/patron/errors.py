"""Errors patron shows to people.

A :class:`PatronError` carries a message written for the person at the
keyboard (a marketer, not a programmer): what went wrong, where (file, line,
column), and what to do about it. Interfaces print it without a traceback.

What kind of problem it is, is its type, never its wording: the web service
answers each type with its own HTTP status (:data:`HTTP_STATUS`), the command
line prints them all the same way.
"""


class PatronError(Exception):
    """A problem the user can fix; the message says what, where and how."""


class InvalidInput(PatronError):
    """A value given to patron cannot be used (a date that is not one, a choice that is not offered)."""


class NotFound(PatronError):
    """The thing asked for does not exist (a party, a complaint, a run...)."""


class PermissionDenied(PatronError):
    """The user's role may not do this."""


class NotAuthenticated(PatronError):
    """No valid credentials came with the request (no token, an unknown or revoked one)."""


class Conflict(PatronError):
    """The request clashes with what is stored (a user name taken, a merge already undone)."""


class TooManyAttempts(PatronError):
    """Too many failed sign-ins: refused, before any password is checked, until ``retry_after`` seconds pass."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StoreInUse(PatronError):
    """A DuckDB file is held by another process (a running ``patron serve``): only that process may write it."""


class ImportRejected(PatronError):
    """A whole file could not be imported; nothing from it was stored."""


#: The HTTP status of each type; a subclass takes its nearest listed ancestor's (see :func:`http_status`).
HTTP_STATUS: dict[type[PatronError], int] = {
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    InvalidInput: 400,
    ImportRejected: 400,
    PatronError: 400,
}


def http_status(error: PatronError) -> int:
    """The status an error is answered with: that of the first of its classes listed in :data:`HTTP_STATUS`."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 400
