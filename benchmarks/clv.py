"""End-to-end CLV job: patron against lifetimes on the same transactions.

Usage: python benchmarks/clv.py N [--no-lifetimes]
       python benchmarks/clv.py --end-to-end [N] [--runs K] [--no-lifetimes]   (benchmarks/clv_end_to_end.py:
       the commands a user runs, patron import and patron analyze, as fresh processes beside lifetimes)

Generates N customers' transactions from a known BG/NBD + Gamma-Gamma
process (about 3 transactions per customer) into a Parquet file, then runs,
each side in its own process so that its peak memory is its own:

- patron: transactions in a DuckDB table -> ``customer_summary`` in the
  engine -> BG/NBD and Gamma-Gamma fits -> probability alive and 12-month
  CLV for every customer;
- lifetimes: the same file in a pandas DataFrame ->
  ``summary_data_from_transaction_data`` -> ``BetaGeoFitter`` and
  ``GammaGammaFitter`` -> ``conditional_probability_alive`` and
  ``customer_lifetime_value``.

Timing starts once the transactions are in the engine (patron) or in memory
(lifetimes) and ends when every customer has a CLV. Prints both, the ratio
and each side's peak resident memory. Targets (issue 3, 2 cores): at 1M
customers patron >= 20x faster; at 10M patron <= 30 s and < 6 GB.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TRUE = {"r": 0.6, "alpha": 60.0, "a": 0.8, "b": 3.0, "p": 6.0, "q": 4.0, "gamma": 30.0}
END = np.datetime64("2024-12-31")


def generate(path: Path, n: int, seed: int = 7, chunk: int = 1_000_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from patron.models.simulate import simulate_bgnbd

    rng = np.random.default_rng(seed)
    writer, rows = None, 0
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        T = rng.uniform(30, 730, m).round()
        sim = simulate_bgnbd(m, TRUE["r"], TRUE["alpha"], TRUE["a"], TRUE["b"], T, rng, event_times=True)
        first = END - T.astype("timedelta64[D]")
        ids = np.arange(start, start + m)
        nu = rng.gamma(TRUE["q"], 1.0 / TRUE["gamma"], m)
        cust = np.concatenate([ids, start + sim.purchase_customer])
        days = np.concatenate([np.zeros(m), np.floor(sim.purchase_time)]).astype("timedelta64[D]")
        date = np.concatenate([first, first[sim.purchase_customer]]) + days
        amount = rng.gamma(TRUE["p"], 1.0 / nu[cust - start]).round(2)
        table = pa.table({"customer_id": cust, "date": date.astype("datetime64[ms]"), "amount": amount})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
        rows += table.num_rows
    writer.close()
    return rows


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_patron(path: Path) -> dict:
    import ibis

    from patron.analytics.summary import customer_summary, summary_arrays
    from patron.models import BetaGeo, GammaGamma, customer_lifetime_value

    con = ibis.duckdb.connect()
    con.raw_sql(f"CREATE TABLE transactions AS SELECT customer_id AS party_id, date AS occurred_at, "
                f"amount AS revenue FROM read_parquet('{path}')")
    tx = con.table("transactions")
    t0 = time.perf_counter()
    summary = summary_arrays(customer_summary(tx, time_unit="day", observation_end=str(END), details=False))
    t1 = time.perf_counter()
    x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
    spend = np.nan_to_num(summary["monetary_value"])
    bgf = BetaGeo().fit(x, t_x, T)
    rep = (x > 0) & (spend > 0)
    ggf = GammaGamma().fit(x[rep], spend[rep])
    t2 = time.perf_counter()
    p_alive = bgf.probability_alive(x, t_x, T)
    clv = customer_lifetime_value(bgf, ggf, x, t_x, T, spend, horizon=12, discount_rate=0.01,
                                  time_unit_per_period=30.0)
    t3 = time.perf_counter()
    return {"seconds": t3 - t0, "summary_s": t1 - t0, "fit_s": t2 - t1, "score_s": t3 - t2,
            "customers": len(x), "params": bgf.params_, "gg": ggf.params_, "clv_sum": float(clv.sum()),
            "p_alive_mean": float(p_alive.mean()), "peak_mb": peak_mb()}


def run_lifetimes(path: Path) -> dict:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    df = pd.read_parquet(path)
    t0 = time.perf_counter()
    s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount",
                                           observation_period_end=pd.Timestamp(str(END)), freq="D")
    t1 = time.perf_counter()
    bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    ggf = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    t2 = time.perf_counter()
    p_alive = bgf.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    clv = ggf.customer_lifetime_value(bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"], time=12,
                                      discount_rate=0.01, freq="D")
    t3 = time.perf_counter()
    return {"seconds": t3 - t0, "summary_s": t1 - t0, "fit_s": t2 - t1, "score_s": t3 - t2,
            "customers": len(s), "params": {k: float(v) for k, v in bgf.params_.items()},
            "gg": {k: float(v) for k, v in ggf.params_.items()}, "clv_sum": float(np.asarray(clv).sum()),
            "p_alive_mean": float(np.mean(p_alive)), "peak_mb": peak_mb()}


def child(side: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--side", side, str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_lifetimes_process(path: Path) -> dict:
    """The lifetimes job as a user runs it: imports and reading the file count too (the process is timed)."""
    t = time.perf_counter()
    result = run_lifetimes(path)
    result["with_reading_s"] = time.perf_counter() - t
    return result


def main() -> None:
    if "--end-to-end" in sys.argv:
        from clv_end_to_end import main as end_to_end

        end_to_end([a for a in sys.argv[1:] if a != "--end-to-end"])
        return
    if sys.argv[1:2] == ["--side"]:
        side, path = sys.argv[2], Path(sys.argv[3])
        if side == "lifetimes-process":
            print(json.dumps(run_lifetimes_process(path)))
            return
        print(json.dumps(run_patron(path) if side == "patron" else run_lifetimes(path)))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with_lifetimes = "--no-lifetimes" not in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "transactions.parquet"
        t = time.perf_counter()
        rows = generate(path, n)
        print(f"{n:,} customers, {rows:,} transactions generated in {time.perf_counter() - t:.1f} s; "
              f"{os.cpu_count()} cores")
        results = {"patron": child("patron", path)}
        if with_lifetimes:
            results["lifetimes"] = child("lifetimes", path)
    print(f"{'':10}{'total s':>9}{'summary':>9}{'fit':>8}{'score':>8}{'peak MB':>9}   BG/NBD params")
    for side, r in results.items():
        if "error" in r:
            print(f"{side:10}failed: {r['error']}")
            continue
        params = ", ".join(f"{k}={v:.3f}" for k, v in r["params"].items())
        print(f"{side:10}{r['seconds']:>9.2f}{r['summary_s']:>9.2f}{r['fit_s']:>8.2f}{r['score_s']:>8.2f}"
              f"{r['peak_mb']:>9.0f}   {params}")
    print(f"true BG/NBD: r={TRUE['r']}, alpha={TRUE['alpha']}, a={TRUE['a']}, b={TRUE['b']}")
    p, lt = results["patron"], results.get("lifetimes")
    if lt and "error" not in lt and "error" not in p:
        print(f"patron is {lt['seconds'] / p['seconds']:.1f}x faster than lifetimes end to end "
              f"(CLV totals: patron {p['clv_sum']:,.0f}, lifetimes {lt['clv_sum']:,.0f})")


if __name__ == "__main__":
    main()
