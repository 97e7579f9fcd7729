"""The B2C customer base: who arrives when, through which channel, and how
each customer buys and leaves (the buy-till-you-die process).

Everything here is a whole-population array operation: at ten million
customers it holds a dozen numbers per customer and never loops over them.

The BG/NBD draw uses two facts about a Poisson process so that no purchase
has to be generated to know a customer's summary:

- the customer drops out right after repeat purchase ``J ~ Geometric(p)``,
  which happens at ``S_J ~ Gamma(J, 1/lambda)`` weeks after acquisition;
- given ``S_J``, the first ``J - 1`` purchase times are uniform on
  ``(0, S_J)``, so the number inside the window ``(0, T)`` of a customer
  still alive at the end is ``Binomial(J - 1, T / S_J)``.

The individual purchase times are drawn later, chunk by chunk, given the
count ``x`` and the time of the last one ``t_x`` (see :mod:`patron.demo.orders`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patron.demo.params import CHANNELS, DemoParameters

CHANNEL_NAMES = tuple(CHANNELS)
REFERRAL = CHANNEL_NAMES.index("referral")
ORGANIC = CHANNEL_NAMES.index("organic_search")
FIRST_CUSTOMER_NO = 100001


@dataclass
class Population:
    """One row per true B2C person, in order of acquisition (index = person id)."""

    acquired_w: np.ndarray  # weeks after START of the first purchase (= acquisition)
    lam: np.ndarray  # purchases per week
    p: np.ndarray  # dropout probability after each repeat purchase
    nu: np.ndarray  # Gamma-Gamma scale: true mean spend is gg_p / nu
    repeat_total: np.ndarray  # J: repeat purchases in the customer's whole life
    dropout_w: np.ndarray  # weeks after START when the customer drops out (may be after END)
    x: np.ndarray  # repeat purchases inside the observation window
    t_x: np.ndarray  # weeks from acquisition to the last repeat purchase in the window (0 if x == 0)
    channel: np.ndarray  # index into CHANNEL_NAMES
    acquisition_cost_cents: np.ndarray
    referred_by: np.ndarray  # person id of the referrer, -1 if none
    customer_no: np.ndarray  # webshop customer number of the first registration
    duplicate_no: np.ndarray  # customer number of the second registration, -1 if none
    duplicate_w: np.ndarray  # weeks after START of the second registration (nan if none)
    duplicate_typo: np.ndarray  # 0 none, 1 name, 2 email, 3 both
    end_w: float  # weeks from START to the end of the observation window

    @property
    def size(self) -> int:
        return len(self.lam)

    @property
    def alive_at_end(self) -> np.ndarray:
        return self.dropout_w > self.end_w

    @property
    def churned(self) -> np.ndarray:
        """Dropped out inside the window: their last repeat purchase was their final one."""
        return ~self.alive_at_end


def acquisition_weeks(rng: np.random.Generator, n: int, params: DemoParameters) -> np.ndarray:
    """Sorted acquisition times with a linearly growing arrival rate (later cohorts are bigger)."""
    c = (params.acquisition_growth - 1.0) / 2.0
    y = rng.random(n) * (1.0 + c)
    s = y if c == 0 else (-1.0 + np.sqrt(1.0 + 4.0 * c * y)) / (2.0 * c)
    return np.sort(s * params.acquisition_weeks)


def simulate_population(rng: np.random.Generator, n: int, params: DemoParameters) -> Population:
    """Draw ``n`` customers: acquisition, BG/NBD summary, spend scale, channel, referrals, duplicates."""
    end_w = params.observation_weeks
    t0 = acquisition_weeks(rng, n, params)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    lam = np.maximum(lam, 1e-12)  # a Gamma draw can underflow to 0
    p = rng.beta(params.a, params.b, n)
    p = np.clip(p, 1e-9, 1.0)
    nu = rng.gamma(params.gg_q, 1.0 / params.gg_gamma, n)
    repeat_total = rng.geometric(p)
    s_j = rng.gamma(repeat_total.astype(float), 1.0 / lam)
    window = end_w - t0
    dead = s_j <= window
    share_in_window = np.clip(window / np.maximum(s_j, 1e-300), 0.0, 1.0)
    x = np.where(dead, repeat_total, rng.binomial(np.maximum(repeat_total - 1, 0), share_in_window))
    u = rng.random(n)
    with np.errstate(divide="ignore"):
        t_alive = window * u ** (1.0 / np.maximum(x, 1))
    t_x = np.where(dead, s_j, np.where(x > 0, t_alive, 0.0))

    shares = np.array([v[0] for v in CHANNELS.values()])
    channel = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    channel[0] = ORGANIC  # nobody can refer the very first customer
    referred_by = _draw_referrers(rng, t0, t0 + s_j, lam, channel)
    channel[(channel == REFERRAL) & (referred_by < 0)] = ORGANIC
    mean_cost = np.array([v[1] for v in CHANNELS.values()])[channel]
    sigma = 0.35
    cost = mean_cost * rng.lognormal(-sigma**2 / 2, sigma, n)
    acquisition_cost_cents = np.round(cost * 100).astype(np.int64)

    is_dup = rng.random(n) < params.duplicate_share
    last_seen = np.minimum(np.maximum(t_x, 4.0), window)
    duplicate_w = np.where(is_dup, t0 + rng.random(n) * last_seen, np.nan)
    duplicate_typo = np.where(is_dup, rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15]), 0).astype(np.int8)
    customer_no, duplicate_no = _customer_numbers(t0, duplicate_w)

    pop = Population(
        acquired_w=t0, lam=lam, p=p, nu=nu, repeat_total=repeat_total, dropout_w=t0 + s_j, x=x,
        t_x=t_x, channel=channel, acquisition_cost_cents=acquisition_cost_cents, referred_by=referred_by,
        customer_no=customer_no, duplicate_no=duplicate_no, duplicate_w=duplicate_w,
        duplicate_typo=duplicate_typo, end_w=end_w,
    )
    return pop


def _draw_referrers(rng, t0, dropout_w, lam, channel, rounds: int = 12) -> np.ndarray:
    """Pick for each referred customer an earlier customer who was still active when referring.

    Candidates are accepted with a probability rising with their purchase
    rate, so frequent buyers refer more (they are the firm's advocates).
    """
    n = len(t0)
    referred_by = np.full(n, -1, dtype=np.int64)
    todo = np.flatnonzero(channel == REFERRAL)
    todo = todo[todo > 0]
    lam_ref = np.quantile(lam, 0.75) if n else 1.0
    for _ in range(rounds):
        if not len(todo):
            break
        cand = np.floor(rng.random(len(todo)) * todo).astype(np.int64)
        ok = (dropout_w[cand] > t0[todo]) & (rng.random(len(todo)) < np.minimum(1.0, lam[cand] / lam_ref))
        referred_by[todo[ok]] = cand[ok]
        todo = todo[~ok]
    return referred_by


def _customer_numbers(t0: np.ndarray, duplicate_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Number every registration (first and second) in the order the webshop saw them."""
    n = len(t0)
    dup_people = np.flatnonzero(~np.isnan(duplicate_w))
    times = np.concatenate([t0, duplicate_w[dup_people]])
    order = np.argsort(times, kind="stable")
    numbers = np.empty(len(times), dtype=np.int64)
    numbers[order] = FIRST_CUSTOMER_NO + np.arange(len(times))
    duplicate_no = np.full(n, -1, dtype=np.int64)
    duplicate_no[dup_people] = numbers[n:]
    return numbers[:n], duplicate_no
