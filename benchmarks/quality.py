"""Benchmark service quality at scale: SERVQUAL gaps, NPS and drivers on 1M survey answers, survival on 1M customers.

Each step runs the model core patron's quality pages call (:mod:`patron.models.quality`,
:mod:`patron.models.survival`) on simulated arrays with known truth, and prints its wall time and peak
memory (tracemalloc: Python and NumPy allocations of that step). Targets: ≤ 10 s and ≤ 2 GB each on 2 cores.

- SERVQUAL: ``--answers`` answer rows (22 items a questionnaire, so 1M rows are 45,455 questionnaires),
  gaps per item, dimension and overall with 500 bootstrap draws, and the weighted gap;
- NPS: ``--answers`` 0-10 scores with the standard error;
- drivers: Johnson's relative weights of the five dimensions on ``--answers`` rows (five perceptions and
  a satisfaction score, with planted weights), 300 bootstrap draws;
- Shapley R²: the same as drivers with Shapley's decomposition (LMG: every subset's R²), 300 draws, on the
  five dimensions and on twelve drivers (the most it takes);
- survival: ``--customers`` customers in four complaint-experience groups, Kaplan–Meier per group, the
  log-rank test and a Cox model with four covariates (lifelines; from 50,000 customers lifelines' model
  fitted by :mod:`patron.models.cox`).

Measured once (load average about 3-9 from other work on the 2 cores): SERVQUAL 2.4-3.1 s / 0.14 GB,
NPS 0.01 s, drivers 9.2 s / 0.81 GB, Kaplan–Meier 10.8-12.5 s / 0.24 GB (missed), log-rank 6.3-9.3 s /
0.35 GB; the Cox model on 1M customers had not finished after 17 minutes under tracemalloc (lifelines' fit
allocates in Python; without tracemalloc it took 21 s at 100,000 and 43 s at 300,000 customers).
Stop 20: the Cox model past 50,000 customers is lifelines' model fitted by patron.models.cox (vectorised
NumPy, equal to lifelines to 2e-5 in the coefficients), its concordance from a 100,000-customer sample:
1M customers 13.2-13.9 s under tracemalloc (0.29 GB), 3.4-5.1 s without it (three runs, load 2.7). The
Kaplan–Meier curves past 50,000 customers a group are lifelines' estimate in NumPy: 8.4 s under tracemalloc
(most of it making the 1M-point curves into lists), 0.5-1.0 s without (lifelines: 9.8-12.7 s under
tracemalloc); log-rank 6.3-7.6 s. Same runs, load 1.1-2.7.

Stop 23, every step in one run at load 2.2-3.2 (wall / CPU s / peak): SERVQUAL 1.5 / 2.1 / 0.14 GB, NPS 0.0,
relative weights 4.2 / 6.3 / 0.63 GB, Shapley R² 2.8 / 4.7 / 0.63 GB on 5 drivers and 7.7 / 10.3 / 1.26 GB on 12,
Kaplan–Meier 5.3 / 5.3 / 0.13 GB, log-rank 4.0 / 4.0 / 0.35 GB, Cox 8.1 / 8.9 / 0.29 GB: all within target. Shapley
refitted on rows before (main's code, load 12): 63.9 CPU s on 5 drivers, unfinished after about 180 CPU s on 12;
relative weights took 27.4 CPU s (load 8) before the moment sums were taken as features' counts.

Run:  PYTHONPATH=src .venv/bin/python benchmarks/quality.py [--answers 1000000] [--customers 1000000]
      [--cox-customers 100000]
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
import pandas as pd

from patron.models import quality as q
from patron.models import survival as s

DIMS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
ITEMS = (4, 5, 4, 4, 5)
GAPS = np.array([-0.2, -1.1, -0.8, -0.3, -0.5])


def timed(label: str, fn):
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    out = fn()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    ok = "ok" if seconds <= 10 and peak <= 2 * 1024 ** 3 else "MISSED"
    print(f"{label:<44} {seconds:8.2f} s  cpu {cpu:7.2f} s  {peak / 1024 ** 3:6.2f} GB  {ok}  "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)
    return out


def servqual(rng, answers: int):
    n_items = sum(ITEMS)
    n_resp = answers // n_items
    item_dim = np.repeat(np.arange(5), ITEMS)
    resp = np.repeat(np.arange(n_resp), n_items)
    item = np.tile(np.arange(n_items), n_resp)
    gap = np.round(GAPS[item_dim[item]] + rng.normal(0, 0.5, n_resp)[resp] + rng.normal(0, 0.8, resp.size))
    r = timed(f"SERVQUAL gaps, {resp.size:,} answers, 500 draws",
              lambda: q.servqual_gaps(resp, item, gap, item_dim, DIMS, weights=[11, 32, 22, 19, 16], n_boot=500))
    worst = min(r["dimensions"], key=lambda d: d["gap"])
    print(f"    worst dimension {worst['dimension']} {worst['gap']:.2f} [{worst['low']:.2f}, {worst['high']:.2f}]"
          f" (planted {GAPS[1]:.2f} before rounding)")


def nps(rng, answers: int):
    scores = np.clip(np.round(rng.normal(7.5, 2.0, answers)), 0, 10)
    r = timed(f"NPS, {answers:,} answers", lambda: q.nps(scores))
    print(f"    NPS {r['nps'].as_dict()}")


def drivers(rng, answers: int):
    weights = np.array([0.05, 0.40, 0.30, 0.15, 0.10])
    x = rng.normal(5, 1, (answers, 5)) + rng.normal(0, 0.5, (answers, 1))  # correlated, as perceptions are
    y = x @ weights + rng.normal(0, 1, answers)
    r = timed(f"drivers (relative weights), {answers:,} rows, 300 draws",
              lambda: q.relative_weights_ci(x, y, n_boot=300))
    order = [DIMS[k] for k in np.argsort(-r["weights"])]
    print(f"    ranking {order} (planted {[DIMS[k] for k in np.argsort(-weights)]}), R² {r['r2']:.3f}")


def shapley(rng, answers: int, drivers: int):
    weights = np.linspace(0.4, 0.02, drivers)
    x = rng.normal(5, 1, (answers, drivers)) + rng.normal(0, 0.5, (answers, 1))
    y = x @ weights + rng.normal(0, 1, answers)
    r = timed(f"drivers (Shapley R²), {answers:,} rows, {drivers} drivers, 300 draws",
              lambda: q.shapley_r2_ci(x, y, n_boot=300))
    widths = r["high"] - r["low"]
    print(f"    order {[int(k) for k in np.argsort(-r['weights'])]} (planted {list(range(drivers))}), R² {r['r2']:.3f}, "
          f"widest interval {widths.max():.4f}")


def survival(rng, customers: int, cox_customers: int):
    group = rng.choice(4, customers, p=(0.7, 0.15, 0.1, 0.05))
    value = rng.lognormal(4, 1, customers)
    tenure = rng.uniform(0, 3, customers)
    hazard = 0.02 * np.exp(np.array([0.0, 0.1, 0.4, 0.9])[group] - 0.1 * np.log(value))
    life = rng.exponential(1 / hazard)
    censor = rng.uniform(0, 104, customers)
    duration = np.minimum(life, censor)
    event = life <= censor
    names = np.array(["never complained", "resolved in time", "resolved late", "unresolved"], dtype=object)[group]
    timed(f"Kaplan–Meier by 4 groups, {customers:,} customers", lambda: s.kaplan_meier(duration, event, names))
    timed(f"log-rank, {customers:,} customers", lambda: s.logrank(duration, event, names,
                                                                  reference="never complained"))
    frame = pd.DataFrame({"weeks": duration, "lost": event.astype(int), "late": (group == 2).astype(float),
                          "unresolved": (group == 3).astype(float), "log_value": np.log(value),
                          "tenure": tenure}).iloc[:cox_customers]
    r = timed(f"Cox model, 4 covariates, {len(frame):,} customers", lambda: s.cox(frame, "weeks", "lost"))
    hr = {c["covariate"]: round(c["hazard_ratio"], 3) for c in r["coefficients"]}
    print(f"    hazard ratios {hr} (planted unresolved {np.exp(0.9):.3f}, late {np.exp(0.4):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000, help="survey answer rows (default 1,000,000)")
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers for survival (default 1M)")
    parser.add_argument("--cox-customers", type=int, default=None,
                        help="customers for the Cox model (default: --customers; lifelines is slow past 300,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("servqual", "nps", "drivers", "shapley", "survival"), default=None,
                        help="run one step only")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    own = np.random.default_rng(args.seed + 1)  # Shapley's data: the other steps keep the draws they had
    print(f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    for name, step in (("servqual", lambda: servqual(rng, args.answers)), ("nps", lambda: nps(rng, args.answers)),
                       ("drivers", lambda: drivers(rng, args.answers)),
                       ("shapley", lambda: (shapley(own, args.answers, 5), shapley(own, args.answers, 12))),
                       ("survival", lambda: survival(rng, args.customers, args.cox_customers or args.customers))):
        if args.only in (None, name):
            step()


if __name__ == "__main__":
    main()
