"""Errors patron shows to people.

A :class:`PatronError` carries a message written for the person at the
keyboard (a marketer, not a programmer): what went wrong, where (file, line,
column), and what to do about it. Interfaces print it without a traceback.
"""


class PatronError(Exception):
    """A problem the user can fix; the message says what, where and how."""


class ImportRejected(PatronError):
    """A whole file could not be imported; nothing from it was stored."""
