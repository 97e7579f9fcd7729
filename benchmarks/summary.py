"""Benchmark: customer summaries on DuckDB, from a generated transaction log.

Generates N customers with 1-5 purchases each (3 on average, so 3N rows)
straight into a patron store with SQL ``range()``, then times
:func:`patron.analytics.summary.customer_summary` executed to a PyArrow
table (what a caller hands to the CLV models).

Measured 2026-11-25 on a shared 2-vCPU VM (other jobs running, load 1-4),
30.0M transactions -> 10M summaries: model columns only 5.8 s wall /
10.6 s CPU at load 1.2 (7.7-16 s wall under heavier load); full summary
24-33 s wall / 32-38 s CPU, most of it counting 30M distinct order documents
(every generated row is its own order: the worst case). 3.0M -> 1M: model
columns 0.9-1.0 s wall, full summary 2.2-2.5 s wall.

Usage::

    .venv/bin/python benchmarks/summary.py            # N = 1M and 10M
    .venv/bin/python benchmarks/summary.py 100000     # any N
    .venv/bin/python benchmarks/summary.py --keep DIR [--reuse]  # keep (and reuse) the stores in DIR
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from patron.analytics.summary import customer_summary
from patron.store.connection import Store

GENERATE = """
INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, document,
                          occurred_at, revenue, cost, currency)
SELECT row_number() OVER () AS transaction_id,
       'bench', 'b' || party_id || '-' || j, party_id, 'order',
       'o' || party_id || '-' || j,
       TIMESTAMP '2021-01-01' + to_seconds((hash(party_id, j) % (3 * 365 * 86400))::BIGINT),
       (1 + hash(j, party_id) % 20000 / 100.0)::DECIMAL(18, 4),
       CASE WHEN j % 2 = 0 THEN (hash(j, party_id) % 10000 / 100.0)::DECIMAL(18, 4) END,
       'EUR'
FROM (SELECT i AS party_id, unnest(range(1 + (hash(i) % 5)::BIGINT)) AS j FROM range(?) r(i))
"""


def run(n: int, folder: Path, reuse: bool = False) -> None:
    path = folder / f"bench_{n}.duckdb"
    if path.exists() and reuse:
        store = Store(path)
        rows = store.raw.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
        print(f"N={n:,} customers: reusing {rows:,} transactions in {path}")
    else:
        if path.exists():
            path.unlink()
        store = Store(path)
        started = time.perf_counter()
        store.raw.execute(GENERATE, [n])
        rows = store.raw.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
        print(f"N={n:,} customers: generated {rows:,} transactions in {time.perf_counter() - started:.1f} s")
        store.raw.execute("CHECKPOINT")
    transactions = store.table("transactions")
    cases = [
        ("model columns only (details=False), days", dict(details=False)),
        ("model columns only (details=False), weeks", dict(details=False, time_unit="week")),
        ("model columns + holdout (details=False)", dict(details=False, calibration_end="2023-01-01")),
        ("full summary (orders, revenue, margin, refunds)", dict()),
    ]
    for label, kw in cases:
        expr = customer_summary(transactions, observation_end="2024-01-01", **kw)
        wall = cpu = float("inf")
        for _ in range(2):
            started, cpu_started = time.perf_counter(), time.process_time()
            table = expr.to_pyarrow()
            wall = min(wall, time.perf_counter() - started)
            cpu = min(cpu, time.process_time() - cpu_started)
        print(
            f"  {label}: {table.num_rows:,} summaries in {wall:.2f} s wall, {cpu:.2f} s CPU "
            f"({rows / wall / 1e6:.1f} M transactions/s, {table.num_rows / wall / 1e6:.2f} M customers/s)"
        )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--keep", type=Path, help="folder for the generated stores (default: a temp folder)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: reuse stores generated before")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU(s) visible; load average before: {os.getloadavg()[0]:.2f} "
          "(other work on the machine slows the wall times)")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for n in args.n:
            run(n, args.keep, args.reuse)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.n:
            run(n, Path(tmp))


if __name__ == "__main__":
    main()
