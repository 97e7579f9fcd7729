"""Time the demo company: ``python -m patron.demo --customers 1000000 --out /tmp/demo [--store s.duckdb]``.

Prints how long simulating and writing took, the rows of each file, and with
``--store`` how long each import took. A benchmark script, not a test.
"""

from __future__ import annotations

import argparse
import resource
import time

from patron.demo import generate_demo, import_demo


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m patron.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="demo-data")
    parser.add_argument("--store", help="also import into this DuckDB store and time it")
    args = parser.parse_args()

    started = time.perf_counter()
    result = generate_demo(args.out, args.customers, args.seed)
    print(f"simulate + write {args.customers:,} customers: {time.perf_counter() - started:.1f} s")
    for f, _, rows in result.files:
        print(f"  {f.name:28} {rows:>12,} rows")
    if args.store:
        from patron.store import Store

        started = time.perf_counter()
        with Store(args.store) as store:
            for r in import_demo(store, args.out):
                print(f"  import {r.file_name:28} {r.seconds:7.1f} s  accepted {r.accepted:,} rejected {r.rejected:,}")
        print(f"import: {time.perf_counter() - started:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak memory: {peak:.2f} GB")


if __name__ == "__main__":
    main()
