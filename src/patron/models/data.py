"""Customer histories in: validation, compression, per-value evaluation.

Fits work on *compressed sufficient statistics*: customers with the same
(frequency, recency, T) are one row with a weight, which turns ten million
customers into a few hundred thousand rows.
"""

from __future__ import annotations

import warnings

import numpy as np

from patron.models.errors import DegenerateDataError, InvalidInputError, RecencyClippedWarning

__all__ = [
    "Histories",
    "as_float_column",
    "check_rfm",
    "column_codes",
    "compress",
    "group_rows",
    "per_distinct_row",
    "plural",
]

#: Recency may exceed T by this fraction of T (or 0.01 time units, whichever
#: is larger) before it is refused rather than clipped: rounding does that.
RECENCY_SLACK = 0.01


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def as_float_column(values, name: str) -> np.ndarray:
    """One column as floats, refusing text, NaN, infinities and negatives."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be numbers ({exc}).") from exc
    if array.ndim != 1:
        array = array.reshape(-1)
    bad = ~np.isfinite(array)
    if bad.any():
        raise InvalidInputError(
            f"{name} has {plural(int(bad.sum()), 'missing or infinite value')}; "
            "drop or fill those customers before fitting."
        )
    if (array < 0).any():
        raise InvalidInputError(
            f"{name} has {plural(int((array < 0).sum()), 'negative value')}; "
            "counts and durations cannot be negative."
        )
    return array


def check_rfm(frequency, recency, T, weights=None, *, discrete: bool = False):
    """Validate and clean frequency, recency and age (and optional weights).

    Returns float arrays. Recency a rounding error above ``T`` is clipped to
    ``T`` with a :class:`RecencyClippedWarning`; anything else inconsistent
    raises :class:`InvalidInputError` saying what and how many.
    """
    x = as_float_column(frequency, "frequency")
    t_x = as_float_column(recency, "recency")
    age = as_float_column(T, "T" if not discrete else "n_periods")
    if not (x.shape == t_x.shape == age.shape):
        raise InvalidInputError(
            f"frequency, recency and T must have the same length; got "
            f"{x.size}, {t_x.size} and {age.size}."
        )
    if x.size == 0:
        raise DegenerateDataError("There are no customers to fit the model on.")
    if (x != np.round(x)).any():
        raise InvalidInputError(
            f"frequency has {plural(int((x != np.round(x)).sum()), 'non-integer value')}; "
            "it counts repeat purchases."
        )
    if discrete:
        for name, col in (("recency", t_x), ("n_periods", age)):
            if (col != np.round(col)).any():
                raise InvalidInputError(f"{name} must count whole periods.")
    over = t_x - age
    slack = np.maximum(RECENCY_SLACK * age, 0.01) if not discrete else 0.0
    refused = over > slack
    if refused.any():
        raise InvalidInputError(
            f"{plural(int(refused.sum()), 'customer')} have recency greater than T "
            f"(by up to {over.max():.4g}); recency is the time from first to last "
            "purchase and cannot exceed the customer's age T."
        )
    clipped = over > 0
    if clipped.any():
        warnings.warn(
            f"{plural(int(clipped.sum()), 'customer')} had recency a rounding error "
            f"above T (at most {over.max():.3g}); set to T.",
            RecencyClippedWarning,
            stacklevel=3,
        )
        t_x = np.minimum(t_x, age)
    no_gap = (x > 0) & (t_x == 0)
    if no_gap.any():
        raise InvalidInputError(
            f"{plural(int(no_gap.sum()), 'customer')} have repeat purchases but recency 0; "
            "recency must be the time between first and last purchase."
        )
    phantom = (x == 0) & (t_x > 0)
    if phantom.any():
        raise InvalidInputError(
            f"{plural(int(phantom.sum()), 'customer')} have no repeat purchase but a "
            "recency above 0; recency must be 0 for one-time buyers."
        )
    if discrete and (x > t_x).any():
        raise InvalidInputError(
            f"{plural(int((x > t_x).sum()), 'customer')} made more purchases than "
            "the period of their last purchase allows (frequency > recency)."
        )
    if weights is None:
        w = np.ones_like(x)
    else:
        w = as_float_column(weights, "weights")
        if w.shape != x.shape:
            raise InvalidInputError("weights must have one entry per row.")
    return x, t_x, age, w


def column_codes(column: np.ndarray):
    """Values of a column and each row's index into them.

    Whole numbers in a modest range (days, counts) are coded by offset, with
    no sort: the values are then the whole range, some possibly absent.
    Other values are coded by rank among the distinct values.
    """
    if column.size == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    low, high = float(column.min()), float(column.max())
    if high - low < min(2**24, 4 * column.size + 1024) and low == np.floor(low):
        codes = column.astype(np.int64)
        if np.array_equal(codes, column):
            codes -= int(low)
            return low + np.arange(int(high - low) + 1, dtype=float), codes
    values = np.unique(column)
    return values, np.searchsorted(values, column)


def group_rows(columns, weights=None, *, inverse=False):
    """Distinct rows of equal-length float columns and the weight of each.

    Parameters
    ----------
    columns : sequence of ndarray
    weights : ndarray, optional
        Weight of each input row; defaults to one.
    inverse : bool
        Also return, for each input row, the index of its distinct row.

    Returns
    -------
    distinct : list of ndarray
    counts : ndarray
    inverse : ndarray, only if asked for
    """
    columns = [np.asarray(c, dtype=float).reshape(-1) for c in columns]
    n = columns[0].size
    coded = [column_codes(c) for c in columns]
    sizes = [values.size for values, _ in coded]
    if np.prod(np.array(sizes, dtype=float)) >= 2.0**62:  # cannot pack: sort rows
        stacked = np.stack(columns)
        order = np.lexsort(stacked[::-1])
        start = np.r_[True, (np.diff(stacked[:, order], axis=1) != 0).any(axis=0)]
        group = np.empty(n, dtype=np.int64)
        group[order] = np.cumsum(start) - 1
        counts = np.bincount(group, weights=weights, minlength=int(start.sum()))
        distinct = [c[order][start] for c in columns]
        return (distinct, counts, group) if inverse else (distinct, counts)
    key = np.zeros(n, dtype=np.int64)
    for size, (_, codes) in zip(sizes, coded):
        key *= size
        key += codes
    space = int(np.prod(np.array(sizes, dtype=np.int64)))
    if space <= 2 * n:  # small key space: count by direct addressing
        occupancy = np.bincount(key, minlength=space)
        keys = np.flatnonzero(occupancy)
        if weights is None:
            counts = occupancy[keys]
        else:
            counts = np.bincount(key, weights=weights, minlength=space)[keys]
        group = (np.cumsum(occupancy > 0) - 1)[key] if inverse else None
    elif not inverse and weights is None:  # a plain sort is several times faster than unique's argsort
        ordered = np.sort(key)
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        keys, counts = ordered[starts], np.diff(np.r_[starts, n])
    else:
        keys, group = np.unique(key, return_inverse=True)
        counts = np.bincount(group, weights=weights, minlength=keys.size)
    distinct = []
    for size, (values, _) in zip(sizes[::-1], coded[::-1]):
        keys, code = np.divmod(keys, size)
        distinct.append(values[code])
    distinct.reverse()
    return (distinct, counts.astype(float), group) if inverse else (distinct, counts.astype(float))


def compress(frequency, recency, T, weights=None):
    """Collapse customers with identical (frequency, recency, T) into one row.

    Parameters
    ----------
    frequency, recency, T : array_like
        One entry per customer (or per row, if ``weights`` is given).
    weights : array_like, optional
        How many customers each row stands for; defaults to one.

    Returns
    -------
    frequency, recency, T, weights : ndarray
        The distinct rows (sorted) and how many customers each stands for.

    Examples
    --------
    >>> compress([0, 0, 2], [0.0, 0.0, 3.5], [10.0, 10.0, 10.0])[3]
    array([2., 1.])
    """
    w = None if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    (x, t_x, age), counts = group_rows([frequency, recency, T], w)
    return x, t_x, age, counts


class Histories:
    """Compressed histories plus the distinct values of each column.

    Many terms of a likelihood depend on one column only (``gammaln(r + x)``,
    ``log(alpha + T)``); :meth:`per` computes such a term once per distinct
    value and spreads it over the rows, which is most of the speed of a fit.
    """

    def __init__(self, **columns: np.ndarray):
        self.columns = columns
        self._levels = {}
        for name, col in columns.items():
            setattr(self, name, col)
            unique, inverse = np.unique(col, return_inverse=True)
            if unique.size <= col.size // 4:  # else indexing costs more than it saves
                self._levels[name] = unique, inverse

    def per(self, name: str, function):
        """``function(column)``, evaluated on distinct values only when that pays."""
        if name not in self._levels:
            return function(self.columns[name])
        unique, inverse = self._levels[name]
        return function(unique)[inverse]


#: Below this many customers predictions are computed directly; above it,
#: once per distinct history (real bases repeat histories a lot).
DISTINCT_ROWS_FROM = 20_000


def per_distinct_row(function, *columns):
    """``function(*columns)`` evaluated once per distinct row, then spread back.

    The columns are broadcast together first; the result has their shape.
    Worth it for the special functions of a prediction on millions of
    customers, whose histories repeat.
    """
    columns = np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in columns))
    shape = columns[0].shape
    if columns[0].size < DISTINCT_ROWS_FROM:
        return function(*columns)
    distinct, _, row = group_rows([c.reshape(-1) for c in columns], inverse=True)
    return function(*distinct)[row].reshape(shape)


def check_prediction_inputs(x=None, t_x=None, T=None, t=None) -> None:
    """Refuse histories and horizons a prediction cannot mean: NaN, infinite, negative, recency > T.

    Raises :class:`InvalidInputError` saying what, how many and the first offending position.
    """
    named = [(n, v) for n, v in (("frequency", x), ("recency", t_x), ("T", T), ("horizon t", t)) if v is not None]
    arrays = {}
    for name, value in named:
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"{name} must be numbers ({exc}).") from exc
        bad = ~np.isfinite(array)
        if bad.any():
            first = int(np.flatnonzero(bad.reshape(-1))[0])
            raise InvalidInputError(f"{name} has {plural(int(bad.sum()), 'missing or infinite value')} "
                                    f"(the first at position {first}); a prediction needs a number for each.")
        if (array < 0).any():
            first = int(np.flatnonzero((array < 0).reshape(-1))[0])
            raise InvalidInputError(f"{name} has {plural(int((array < 0).sum()), 'negative value')} "
                                    f"(the first at position {first}: {array.reshape(-1)[first]:g}); "
                                    "counts, durations and horizons cannot be negative.")
        arrays[name] = array
    if "recency" in arrays and "T" in arrays:
        r, age = np.broadcast_arrays(arrays["recency"], arrays["T"])
        late = r > age * (1 + 1e-12) + 1e-12
        if late.any():
            first = int(np.flatnonzero(late.reshape(-1))[0])
            raise InvalidInputError(
                f"recency is greater than T for {plural(int(late.sum()), 'customer')} (the first at position "
                f"{first}: recency {r.reshape(-1)[first]:g} > T {age.reshape(-1)[first]:g}); the last purchase "
                "cannot come after the end of the observation.")
