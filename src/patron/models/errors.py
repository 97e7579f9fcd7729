"""Errors and warnings of the model core, all :class:`patron.errors.PatronError`."""

from patron.errors import PatronError

__all__ = ["ConvergenceWarning", "DegenerateDataError", "InvalidInputError", "ModelError", "RecencyClippedWarning"]


class ModelError(PatronError):
    """A model cannot be fitted or used as asked; the message says why."""


class InvalidInputError(ModelError, ValueError):
    """Input arrays break the model's assumptions (negative, NaN, inconsistent)."""


class DegenerateDataError(ModelError):
    """The data are valid but cannot identify the model (e.g. no repeat buyers)."""


class RecencyClippedWarning(UserWarning):
    """Some recencies were a rounding error above T and were set to T."""


class ConvergenceWarning(UserWarning):
    """A fit stopped before its optimiser converged; its numbers are not reported as a result."""
