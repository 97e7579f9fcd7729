"""The diagnostics users of ``lifetimes`` know, computed from a fitted transaction model (pure NumPy).

- :func:`period_transactions`: customers by number of repeat purchases, as observed and as the model expects
  them (lifetimes' ``plot_period_transactions``, computed exactly rather than by simulating a new base: each
  customer's ``P(X(T) = n)`` at their own age T, summed).
- :func:`frequency_recency_matrix`: expected purchases in the next ``t`` and P(alive) for every frequency and
  recency of a customer of age ``T`` (lifetimes' ``plot_frequency_recency_matrix`` and
  ``conditional_probability_alive_matrix``; rows are recency, columns frequency, as lifetimes lays them out).
- :func:`purchase_count_probabilities`: ``P(X(t) = n)`` for a new customer.
- :func:`alive_path`: one customer's P(alive) period by period since their first purchase (lifetimes'
  ``calculate_alive_path``).
- :func:`tracking`: the base's expected repeat purchases period by period, incremental and cumulative, against
  the actual (lifetimes' ``expected_cumulative_transactions``).
"""

from __future__ import annotations

import numpy as np

from patron.models.errors import ModelError

__all__ = ["alive_path", "frequency_recency_matrix", "period_transactions", "purchase_count_probabilities",
           "tracking"]


def purchase_count_probabilities(model, t: float, most: int) -> np.ndarray:
    """``P(X(t) = n)`` for n = 0 .. ``most`` - 1, and the rest (n >= most) last: ``most`` + 1 values summing to 1."""
    if not hasattr(model, "probability_of_purchases"):
        raise ModelError(f"P(X(t) = n) is not available for {type(model).__name__}; it is for BG/NBD.")
    n = np.arange(most, dtype=float)
    found = model.probability_of_purchases(np.full(most, float(t)), n)
    return np.append(found, max(0.0, 1.0 - found.sum()))


def period_transactions(model, x, T, most: int = 7) -> dict[str, list]:
    """Customers with 0, 1, .. ``most`` - 1 and ``most`` or more repeat purchases: observed and expected.

    Expected counts are ``sum_i P(X(T_i) = n)``, once per distinct age T. Returns ``repeat_purchases`` (labels),
    ``actual`` and ``expected`` (counts of customers).
    """
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    ages, customers = np.unique(T, return_counts=True)
    expected = np.zeros(most + 1)
    for age, count in zip(ages, customers):
        expected += count * purchase_count_probabilities(model, age, most)
    actual = np.bincount(np.minimum(x, most).astype(int), minlength=most + 1)[: most + 1]
    labels = [str(k) for k in range(most)] + [f"{most}+"]
    return {"repeat_purchases": labels, "actual": actual.tolist(), "expected": expected.tolist()}


def frequency_recency_matrix(model, T: float, t: float = 1.0, max_frequency: int | None = None,
                             recency_step: int = 1) -> dict:
    """Expected purchases in the next ``t`` and P(alive) of a customer of age ``T``, by frequency and recency.

    ``expected[recency][frequency]`` and ``p_alive[recency][frequency]`` for recency 0 .. T (whole periods) and
    frequency 0 .. ``max_frequency`` (default T); every ``recency_step``-th recency, and T itself. A recency of 0 with purchases, or above T, cannot happen; they
    are computed all the same, as lifetimes does.
    """
    T = int(T)
    max_frequency = T if max_frequency is None else int(max_frequency)
    recencies = np.unique(np.append(np.arange(0, T + 1, max(1, int(recency_step))), T)).astype(float)
    recency, frequency = np.meshgrid(recencies, np.arange(max_frequency + 1, dtype=float), indexing="ij")
    age = np.full(recency.shape, float(T))
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        np.full(recency.size, float(t)), frequency.ravel(), recency.ravel(), age.ravel()).reshape(recency.shape)
    alive = model.probability_alive(frequency.ravel(), recency.ravel(), age.ravel()).reshape(recency.shape)
    return {"T": T, "t": float(t), "recency": recencies, "frequency": np.arange(max_frequency + 1),
            "expected": expected, "p_alive": alive}


def alive_path(model, purchase_periods, end: int) -> dict[str, np.ndarray]:
    """P(alive) of one customer at each period from their first purchase to ``end`` (period ordinals).

    ``purchase_periods`` are the ordinals of the periods in which they bought (several purchases in one period
    count once, as in the customer summary). At period s: frequency = periods with a purchase after the first,
    up to s; recency = the last such period less the first; age T = s less the first.
    """
    periods = np.unique(np.asarray(purchase_periods, dtype=np.int64))
    if periods.size == 0:
        raise ModelError("A customer without purchases has no P(alive) history.")
    first = int(periods[0])
    at = np.arange(first, max(int(end), first) + 1)
    last = np.searchsorted(periods, at, side="right") - 1
    frequency, recency, age = last.astype(float), (periods[last] - first).astype(float), (at - first).astype(float)
    return {"period": at, "frequency": frequency, "recency": recency, "T": age,
            "p_alive": model.probability_alive(frequency, recency, age)}


def tracking(model, first_periods, purchase_periods, start: int, end: int) -> dict[str, np.ndarray]:
    """The base's repeat purchases per period from ``start`` to ``end``: actual, and as the model expects.

    ``first_periods`` are each customer's first purchase period, ``purchase_periods`` the period of each repeat
    purchase (customer-periods after the first). A customer who first bought at f is expected to have made
    ``E[X(s - f)]`` repeat purchases by period s (the unconditional expectation: the model knows only
    when they arrived), so the expected cumulative count at s sums that over the customers who arrived by then.
    """
    first = np.asarray(first_periods, dtype=np.int64)
    repeat = np.asarray(purchase_periods, dtype=np.int64)
    periods = np.arange(int(start), int(end) + 1)
    arrivals, arrived = np.unique(first, return_counts=True)
    expected = np.zeros(periods.size)
    for i, s in enumerate(periods):
        ages = (s - arrivals).astype(float)  # the age T a customer has at period s, as the summary counts it
        live = ages > 0
        if live.any():
            expected[i] = arrived[live] @ model.expected_number_of_purchases_up_to_time(ages[live])
    # Repeat purchases before ``start`` count in its cumulative total; those after ``end`` are left out.
    counts = np.bincount(np.clip(repeat - periods[0], 0, None), minlength=periods.size)[: periods.size]
    actual = np.cumsum(counts).astype(float)
    return {"period": periods, "actual_cumulative": actual, "expected_cumulative": expected,
            "actual_incremental": np.diff(actual, prepend=0.0), "expected_incremental": np.diff(expected, prepend=0.0)}
