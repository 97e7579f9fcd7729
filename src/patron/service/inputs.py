"""Values people type (dates, numbers), checked once for every interface: the command line gets the
same limits and the same sentences as the API, never a traceback."""

from __future__ import annotations

import datetime as dt
import math

from patron.errors import InvalidInput


def parse_date(text: str | dt.date | dt.datetime, what: str) -> dt.datetime:
    """``text`` (YYYY-MM-DD, optionally with a time) as a datetime; ``what`` names it in the error.

    Example
    -------
    >>> parse_date("2025-02-01", "the split date")
    datetime.datetime(2025, 2, 1, 0, 0)
    """
    if isinstance(text, dt.datetime):
        return text
    if isinstance(text, dt.date):
        return dt.datetime(text.year, text.month, text.day)
    try:
        return dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise InvalidInput(f"{what[:1].upper()}{what[1:]} '{text}' is not a date: use YYYY-MM-DD, e.g. "
                           "2025-01-31.") from None


def check_range(value: float | None, what: str, low: float, high: float, *, low_open: bool = False,
                unit: str = "") -> None:
    """Refuse ``value`` outside [low, high] (or (low, high] with ``low_open``), and NaN, with a sentence."""
    if value is None:
        return
    bad = (isinstance(value, float) and not math.isfinite(value)) or value > high or (
        value <= low if low_open else value < low)
    if bad:
        lower = f"more than {low:g}" if low_open else f"at least {low:g}"
        raise InvalidInput(f"{what[:1].upper()}{what[1:]} must be {lower} and at most {high:g}{unit} "
                           f"(got {value:g}).")
