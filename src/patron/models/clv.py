"""Customer lifetime value from a transaction model and a spend model."""

from __future__ import annotations

import numpy as np

from patron.models.base import TransactionModel, group_rows
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
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    # The discounted purchase count depends on the history only: compute it
    # once per distinct (x, t_x, T), then spread it over the customers.
    (x_u, t_x_u, T_u), _, history = group_rows([x, t_x, T], inverse=True)
    previous = 0.0
    discounted_purchases = 0.0
    for period in range(1, int(horizon) + 1):
        time = period * time_unit_per_period
        cumulative = transaction_model.conditional_expected_number_of_purchases_up_to_time(
            time, x_u, t_x_u, T_u
        )
        discount = (1 + discount_rate) ** (time / time_unit_per_period)
        discounted_purchases = discounted_purchases + (cumulative - previous) / discount
        previous = cumulative
    per_customer = discounted_purchases[history].reshape(x.shape)
    return margin * spend * per_customer
