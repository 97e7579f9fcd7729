"""Benchmark the model core: fit time and parameter recovery at scale.

Simulates N customers (default 10 million) from a known BG/NBD with
Gamma-Gamma spend, time in days, each customer's age a whole number of days
(1 to 365) and recency rounded up to the day, as real summaries are. Fits
every model on the raw per-customer arrays (validation + compression + fit)
and prints the wall time and the fitted parameters next to the truth.

Rounding recency to whole days is what real data do, and it biases a
continuous-time model a little (the z-scores of the first table show it at
this N); a second run on 1 million customers with exact times shows
recovery without that effect.

Run:  .venv/bin/python benchmarks/models.py [N] [--seed S]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from patron.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    compress,
    customer_lifetime_value,
)
from patron.models.simulate import simulate_bgbb, simulate_bgnbd, simulate_gamma_gamma

# CDNOW estimates (Fader, Hardie & Lee 2005), alpha converted from weeks to days.
BGNBD_TRUTH = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}
GG_TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}
BGBB_TRUTH = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}


def timed(label, function, *args):
    """Run and print wall time and this process's CPU time (the machine may be shared)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<50} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    return result


def report(model, truth=None):
    print(f"    {model!r}")
    print(f"    log-likelihood {model.log_likelihood_:.6g}; {model.convergence_}")
    if truth:
        for name, true in truth.items():
            fitted, error = model.params_[name], model.standard_errors_[name]
            print(
                f"    {name:>6}: true {true:9.4f}  fitted {fitted:9.4f}  se {error:8.4f}  "
                f"z {(fitted - true) / error:+6.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2005)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.n
    print(f"N = {n:,} customers; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    ages = rng.integers(1, 366, n).astype(float)
    base = timed("simulate BG/NBD", simulate_bgnbd, n, *BGNBD_TRUTH.values(), ages, rng)
    x, T = base.frequency, base.T
    t_x = np.minimum(np.ceil(base.recency), T)
    rows = timed("compress (x, t_x, T)", compress, x, t_x, T)
    print(f"    {rows[0].size:,} distinct histories")

    for cls, truth in ((BetaGeo, BGNBD_TRUTH), (ModifiedBetaGeo, None), (ParetoNBD, None)):
        model = timed(f"{cls.__name__}.fit (validate + compress + fit)", cls().fit, x, t_x, T)
        report(model, truth)
        if cls is BetaGeo:
            bgnbd = model
        elif truth is None:
            timed(f"{cls.__name__}.fit on precompressed rows", cls().fit, *rows)

    repeat = x > 0
    spend = simulate_gamma_gamma(x, *GG_TRUTH.values(), rng)
    spend = np.round(spend, 2)
    spend_model = timed("GammaGamma.fit (repeat buyers)", GammaGamma().fit, x[repeat], spend[repeat])
    report(spend_model, GG_TRUTH)

    timed("probability_alive, all customers", bgnbd.probability_alive, x, t_x, T)
    timed("expected_purchases(30 days), all customers", bgnbd.expected_purchases, 30.0, x, t_x, T)
    timed(
        "customer_lifetime_value (12 months), all",
        customer_lifetime_value, bgnbd, spend_model, x, t_x, T, spend, 12, 0.01, 1.0, 30.0,
    )

    exact_n = min(n, 1_000_000)
    exact = simulate_bgnbd(exact_n, *BGNBD_TRUTH.values(), ages[:exact_n], rng)
    model = timed(
        f"BetaGeo.fit, {exact_n:,} customers, exact recency",
        BetaGeo().fit, exact.frequency, exact.recency, exact.T,
    )
    report(model, BGNBD_TRUTH)

    periods = simulate_bgbb(n, *BGBB_TRUTH.values(), 6, rng)
    model = timed(
        "BetaGeoBetaBinom.fit (6 opportunities)",
        BetaGeoBetaBinom().fit, periods.frequency, periods.recency, periods.T,
    )
    report(model, BGBB_TRUTH)


if __name__ == "__main__":
    main()
