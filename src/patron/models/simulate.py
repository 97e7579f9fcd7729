"""Simulate customer bases from the models, with their ground truth kept.

Fully vectorised (no loop over customers), so millions of customers take
seconds. Used by the tests (parameter recovery), the benchmarks and the demo
company.

Examples
--------
>>> import numpy as np
>>> from patron.models.simulate import simulate_bgnbd
>>> base = simulate_bgnbd(1000, 0.25, 4.0, 0.8, 2.5, T=52.0, rng=np.random.default_rng(1))
>>> base.frequency.shape, bool((base.recency <= base.T).all())
((1000,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SimulatedCustomers:
    """A simulated customer base and the latent truth behind it.

    ``purchase_customer`` and ``purchase_time`` (present when event times
    were asked for) list every repeat purchase: the customer's index and the
    time since that customer's first purchase, sorted by customer then time.
    """

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    alive: np.ndarray
    purchase_rate: np.ndarray
    dropout: np.ndarray
    purchase_customer: np.ndarray | None = None
    purchase_time: np.ndarray | None = None


def _ages(T, n):
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if (T < 0).any():
        raise ValueError("T cannot be negative.")
    return T


def _event_times(x, window, arrivals, rng):
    """First x of the ordered arrival times of a Poisson process on (0, window].

    Given N arrivals in the window, they are N sorted uniforms; the first x
    of them are (E_1 + ... + E_k) / (E_1 + ... + E_x + G) with exponential
    E and G ~ Gamma(N + 1 - x), so only x draws are needed per customer.
    ``arrivals`` is N.
    """
    x = x.astype(np.int64)
    customer = np.repeat(np.arange(x.size), x)
    if customer.size == 0:
        return customer, np.zeros(0)
    steps = rng.exponential(size=customer.size)
    running = np.cumsum(steps)
    first = np.cumsum(x) - x
    offset = np.where(x > 0, running[np.maximum(first - 1, 0)] * (first > 0), 0.0)
    within = running - offset[customer]
    total = np.zeros(x.size)
    has = x > 0
    total[has] = within[np.cumsum(x)[has] - 1]
    rest = rng.gamma(np.maximum(arrivals - x + 1, 1e-300).astype(float))
    times = window[customer] * within / (total + rest)[customer]
    return customer, times


def simulate_bgnbd(n, r, alpha, a, b, T, rng, *, event_times=False, modified=False):
    """Simulate ``n`` customers from the BG/NBD (or, ``modified=True``, MBG/NBD).

    Parameters
    ----------
    n : int
        Number of customers.
    r, alpha, a, b : float
        Model parameters (purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b)).
    T : float or array_like
        Each customer's age at the end of observation.
    rng : numpy.random.Generator
    event_times : bool
        Also return every repeat purchase time.
    modified : bool
        Allow leaving right after the first purchase (MBG/NBD).

    Returns
    -------
    SimulatedCustomers
    """
    T = _ages(T, n)
    rate = rng.gamma(r, 1.0 / alpha, n)
    p = np.clip(rng.beta(a, b, n), 1e-300, 1.0)
    purchases_before_leaving = rng.geometric(p) - (1 if modified else 0)
    arrivals = rng.poisson(rate * T)
    x = np.minimum(purchases_before_leaving, arrivals)
    alive = purchases_before_leaving > arrivals
    result = SimulatedCustomers(x.astype(float), np.zeros(n), T, alive, rate, p)
    if event_times:
        customer, times = _event_times(x, T, arrivals, rng)
        result.purchase_customer, result.purchase_time = customer, times
        result.recency[np.unique(customer)] = times[np.cumsum(x)[x > 0] - 1]
    else:
        has = x > 0
        result.recency[has] = T[has] * rng.beta(x[has], arrivals[has] - x[has] + 1)
    return result


def simulate_pareto_nbd(n, r, alpha, s, beta, T, rng, *, event_times=False):
    """Simulate ``n`` customers from the Pareto/NBD.

    Purchase rate ~ Gamma(r, alpha), dropout rate ~ Gamma(s, beta); lifetime
    is exponential with the dropout rate. See :func:`simulate_bgnbd`.
    """
    T = _ages(T, n)
    rate = rng.gamma(r, 1.0 / alpha, n)
    death_rate = rng.gamma(s, 1.0 / beta, n)
    lifetime = rng.exponential(1.0 / np.maximum(death_rate, 1e-300))
    window = np.minimum(lifetime, T)
    x = rng.poisson(rate * window)
    result = SimulatedCustomers(x.astype(float), np.zeros(n), T, lifetime > T, rate, death_rate)
    if event_times:
        customer, times = _event_times(x, window, x, rng)
        result.purchase_customer, result.purchase_time = customer, times
        result.recency[np.unique(customer)] = times[np.cumsum(x)[x > 0] - 1]
    else:
        has = x > 0
        result.recency[has] = window[has] * rng.beta(x[has], 1.0)
    return result


def simulate_bgbb(n, alpha, beta, gamma, delta, n_periods, rng):
    """Simulate ``n`` customers from the BG/BB over ``n_periods`` opportunities.

    Returns a :class:`SimulatedCustomers` whose ``T`` is ``n_periods`` and
    whose recency is the opportunity of the last purchase.
    """
    p = rng.beta(alpha, beta, n)
    theta = rng.beta(gamma, delta, n)
    alive = np.ones(n, dtype=bool)
    x = np.zeros(n)
    t_x = np.zeros(n)
    for opportunity in range(1, int(n_periods) + 1):
        alive &= rng.random(n) >= theta
        buys = alive & (rng.random(n) < p)
        x += buys
        t_x[buys] = opportunity
    return SimulatedCustomers(x, t_x, np.full(n, float(n_periods)), alive, p, theta)


def simulate_gamma_gamma(frequency, p, q, gamma, rng):
    """Mean spend per repeat purchase for customers with these frequencies.

    Each customer's scale nu ~ Gamma(q, gamma); each purchase ~ Gamma(p, nu),
    so the mean of x purchases is Gamma(p x, nu x). One-time buyers get 0.

    Examples
    --------
    >>> import numpy as np
    >>> spend = simulate_gamma_gamma(np.array([0, 3]), 6.0, 4.0, 15.0, np.random.default_rng(0))
    >>> float(spend[0]), bool(spend[1] > 0)
    (0.0, True)
    """
    x = np.asarray(frequency, dtype=float)
    nu = rng.gamma(q, 1.0 / gamma, x.shape)
    has = x > 0
    spend = np.zeros(x.shape)
    spend[has] = rng.gamma(p * x[has], 1.0 / (nu[has] * x[has]))
    return spend
