"""Customer lifetime value from a transaction model and a spend model."""

from __future__ import annotations

import numpy as np

from patron.models.base import TransactionModel, group_rows
from patron.models.data import per_distinct_row
from patron.models.gamma_gamma import GammaGamma


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: GammaGamma,
    x,
    t_x,
    T,
    mean_spend,
    horizon: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    time_unit_per_period: float = 30.0,
):
    """Discounted value of each customer's purchases over the next ``horizon`` periods.

    Same definition as lifetimes' ``GammaGammaFitter.customer_lifetime_value``
    (times ``margin``): for each period k = 1..horizon, the purchases expected
    in it, ``E[X(k u)] - E[X((k - 1) u)]`` with ``u = time_unit_per_period``,
    times the customer's expected spend per purchase, discounted by
    ``(1 + discount_rate) ** k``. lifetimes' ``freq`` maps to
    ``time_unit_per_period`` as D -> 30, W -> 4.345, M -> 1, H -> 720 for
    monthly periods.

    Parameters
    ----------
    transaction_model : TransactionModel
        Fitted BG/NBD, Pareto/NBD, MBG/NBD or BG/BB.
    spend_model : GammaGamma
        Fitted spend model.
    x, t_x, T : array_like
        Each customer's frequency, recency and age, in the model's time unit.
    mean_spend : array_like
        Each customer's mean spend per repeat purchase (0 for one-time buyers).
    horizon : int
        Number of periods to sum over.
    discount_rate : float
        Discount rate per period.
    margin : float
        Share of spend that is profit; 1 gives revenue.
    time_unit_per_period : float
        Time units (of T) per period, e.g. 30 for days in a month.

    Returns
    -------
    ndarray
        Value per customer, in the currency of ``mean_spend``.
    """
    spend = spend_model.conditional_expected_average_spend(x, mean_spend)
    return margin * spend * expected_discounted_purchases(transaction_model, x, t_x, T, horizon=horizon,
                                                          discount_rate=discount_rate,
                                                          time_unit_per_period=time_unit_per_period)


def expected_discounted_purchases(transaction_model: TransactionModel, x, t_x, T, horizon: int = 12,
                                  discount_rate: float = 0.01, time_unit_per_period: float = 30.0):
    """The purchases each customer is expected to make in each of the next ``horizon`` periods, discounted
    and summed: the CLV of a customer who spends 1 per purchase (:func:`customer_lifetime_value`)."""
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    periods = np.arange(1, int(horizon) + 1)
    times = periods * time_unit_per_period
    discounts = (1 + discount_rate) ** (times / time_unit_per_period)

    def discounted(expected_up_to):
        """Sum over periods of the purchases expected in each, discounted."""
        previous, total = 0.0, 0.0
        for time, discount in zip(times, discounts):
            cumulative = expected_up_to(time)
            total = total + (cumulative - previous) / discount
            previous = cumulative
        return total

    if transaction_model._purchases_if_alive is not None:
        # Expected purchases are P(alive | history) times the purchases of a
        # customer alive at T, which depend on (x, T) only: the discounted sum
        # is computed once per distinct (x, T), far fewer than the histories.
        per_customer = transaction_model.probability_alive(x, t_x, T) * per_distinct_row(
            lambda x_u, T_u: discounted_purchases_if_alive(transaction_model, x_u, T_u, horizon=horizon,
                                                           discount_rate=discount_rate,
                                                           time_unit_per_period=time_unit_per_period), x, T
        )
    else:
        # Otherwise once per distinct (x, t_x, T), spread over the customers.
        (x_u, t_x_u, T_u), _, history = group_rows([x, t_x, T], inverse=True)
        per_customer = discounted(
            lambda t: transaction_model.conditional_expected_number_of_purchases_up_to_time(t, x_u, t_x_u, T_u)
        )[history].reshape(x.shape)
    return per_customer


def discounted_purchases_if_alive(transaction_model: TransactionModel, x, T, horizon: int = 12,
                                  discount_rate: float = 0.01, time_unit_per_period: float = 30.0):
    """:func:`expected_discounted_purchases` of a customer known to be alive at T, for the models whose
    expectation is P(alive) times it (``_purchases_if_alive``): it depends on (x, T) only."""
    x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, T)))
    previous, total = 0.0, 0.0
    for k in range(1, int(horizon) + 1):
        cumulative = transaction_model._purchases_if_alive(k * time_unit_per_period, x, T)
        total = total + (cumulative - previous) / (1 + discount_rate) ** k
        previous = cumulative
    return total
