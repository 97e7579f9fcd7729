"""Ordinal time periods: the arithmetic every customer measure counts in.

A purchase history is summarised in whole *periods* (days, weeks or months).
Each timestamp is mapped to an integer **period ordinal**, counted from the
period that contains 1970-01-01; differences of ordinals are then plain
integer subtractions, which every engine does the same way.

=========  ============================================  ==========================
unit       ordinal of a timestamp ``ts``                 period starts on
=========  ============================================  ==========================
``day``    ``d = days from 1970-01-01 to date(ts)``      midnight (UTC)
``week``   ``floor((d + 3) / 7)``                        Monday, 00:00
``month``  ``12 * (year(ts) - 1970) + month(ts) - 1``    the 1st of the month
=========  ============================================  ==========================

1970-01-01 was a Thursday, so adding 3 days makes the week ordinal change on
Mondays: these are the weeks ``pandas.Period(freq="W")`` (W-SUN, ending on
Sunday) uses, and therefore the weeks of ``lifetimes`` with ``freq="W"``.
Floor division (not truncation) keeps dates before 1970 in the right week.

The same functions exist twice: :func:`period_ordinal` builds the Ibis
expression that runs in the engine, :func:`ordinal_of` computes the ordinal
of one Python value (a cut-off date given by the caller), and
:func:`period_start` goes back from an ordinal to a timestamp.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from patron.store.vocabulary import TIME_UNITS

_EPOCH = dt.date(1970, 1, 1)
_WEEK_SHIFT = 3  # 1970-01-01 is a Thursday; Monday 1969-12-29 starts week 0


def check_unit(unit: str) -> str:
    """Return ``unit`` if it is a known time unit, else raise ``ValueError``."""
    if unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {', '.join(TIME_UNITS)}, not {unit!r}")
    return unit


def period_ordinal(ts: ir.TimestampValue, unit: str) -> ir.IntegerValue:
    """Ibis expression: the integer ordinal of the period that contains ``ts``.

    Parameters
    ----------
    ts
        A timestamp column or scalar (naive UTC, as the store keeps them).
    unit
        ``"day"``, ``"week"`` (Monday to Sunday) or ``"month"``.
    """
    check_unit(unit)
    if unit == "month":
        return (ts.year() - 1970) * 12 + ts.month() - 1
    days = ts.date().delta(ibis.date(_EPOCH), unit="day")
    if unit == "day":
        return days
    return (days + _WEEK_SHIFT) // 7


def period_key(ts: ir.TimestampValue, unit: str) -> ir.Value:
    """Ibis expression that identifies the period of ``ts``, cheapest to group by.

    For days it is the date (a cast, where the ordinal is a date difference:
    7-17% less CPU for the per-day summary of 31M rows, measured on a busy
    machine); for weeks and months the ordinal. Orders like the ordinal; :func:`key_ordinal` turns a key, or an
    aggregate of keys such as their minimum, into the ordinal.
    """
    check_unit(unit)
    return ts.date() if unit == "day" else period_ordinal(ts, unit)


def key_ordinal(key: ir.Value, unit: str) -> ir.IntegerValue:
    """The ordinal of a :func:`period_key` value."""
    check_unit(unit)
    return key.delta(ibis.date(_EPOCH), unit="day") if unit == "day" else key


def to_datetime(value: dt.datetime | dt.date | str) -> dt.datetime:
    """A caller's date or timestamp as a naive UTC ``datetime``.

    Strings are read with :meth:`datetime.fromisoformat`; a value with a time
    zone is converted to UTC and the zone dropped, as the store does.
    """
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    # pandas.Timestamp and numpy datetime64 land here
    return to_datetime(str(value))


def ordinal_of(value: dt.datetime | dt.date | str, unit: str) -> int:
    """The period ordinal of one Python date or timestamp (same rule as :func:`period_ordinal`)."""
    check_unit(unit)
    value = to_datetime(value)
    if unit == "month":
        return (value.year - 1970) * 12 + value.month - 1
    days = (value.date() - _EPOCH).days
    if unit == "day":
        return days
    return (days + _WEEK_SHIFT) // 7


def period_start(ordinal: int, unit: str) -> dt.datetime:
    """The first instant of the period with this ordinal.

    Example
    -------
    >>> period_start(ordinal_of("2024-05-16 13:00", "week"), "week")
    datetime.datetime(2024, 5, 13, 0, 0)
    """
    check_unit(unit)
    if unit == "month":
        year, month0 = divmod(ordinal, 12)
        return dt.datetime(1970 + year, month0 + 1, 1)
    days = ordinal if unit == "day" else ordinal * 7 - _WEEK_SHIFT
    return dt.datetime.combine(_EPOCH + dt.timedelta(days=days), dt.time())


def as_of_instant(value: dt.datetime | dt.date | str) -> dt.datetime:
    """The last instant a point-in-time measure sees: facts dated ``<=`` it count.

    A date (or a ``YYYY-MM-DD`` string) means the end of that day, so that
    ``as_of="2024-06-30"`` includes everything that happened on June 30.
    """
    if isinstance(value, str) and len(value.strip()) == 10:
        value = dt.date.fromisoformat(value.strip())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time.max)
    return to_datetime(value)
