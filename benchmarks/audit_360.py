"""What auditing every customer 360 read costs: p50 / p95 of ``party_360`` with and without its audit row.

Usage: python benchmarks/audit_360.py STORE [--reads 2000] [--postgres-url URL]

STORE is a DuckDB file with customers (e.g. the demo store ``benchmarks/api.py --keep DIR`` builds, at
DIR/patron.duckdb). The two arms are interleaved read by read in one process, so a machine busy with other
work slows both alike: "without" replaces the audit call with nothing, "with" is the code as it ships.
The figure to compare is the difference of the p95s, and the cost of the INSERT alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()

    from patron.areas.parties import service
    from patron.service import audit
    from patron.service.permissions import User
    from patron.store import Store

    store = Store(args.store)
    user = User(1, "bench", "service", None, "127.0.0.1")
    ids = [r[0] for r in store.query("SELECT party_id FROM parties")]
    rng = random.Random(5)
    real = service.record
    arms: dict[str, list[float]] = {"without audit": [], "with audit": []}
    inserts: list[float] = []
    for i in range(args.reads):
        party = rng.choice(ids)
        for arm in (("without audit", "with audit") if i % 2 else ("with audit", "without audit")):
            service.record = real if arm == "with audit" else (lambda *a, **k: None)
            started = time.perf_counter()
            service.party_360(store, user, party)
            arms[arm].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        audit.record(store, user, "bench.insert", "party", party)
        inserts.append((time.perf_counter() - started) * 1000)
    service.record = real
    store.raw.execute("DELETE FROM audit_log WHERE action IN ('party.read', 'bench.insert') AND username = 'bench'")
    store.close()
    for arm, values in arms.items():
        print(f"party_360 {arm:14}: {len(values)} reads, p50 {statistics.median(values):.2f} ms, "
              f"p95 {percentile(values, 0.95):.2f} ms")
    print(f"the audit INSERT alone    : p50 {statistics.median(inserts):.2f} ms, "
          f"p95 {percentile(inserts, 0.95):.2f} ms")


if __name__ == "__main__":
    main()
