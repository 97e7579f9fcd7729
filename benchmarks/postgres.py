"""Import and analysis on DuckDB and on PostgreSQL, on the same files: prints seconds per step.

    python benchmarks/postgres.py [ROWS] [--url postgresql://...]

Without ``--url`` a throwaway PostgreSQL server is started (as the tests do:
the ``postgresql`` Debian package must be installed). Steps: a first import of
ROWS order lines (CSV), a small second import into the now-full store (which
is where the server path pays for bringing the source's keys into the staging
copy), and ``patron analyze``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from patron.ingest import import_file
from patron.service.analyze import analyze
from patron.store import Store


def write_orders(path: Path, rows: int, customers: int, offset: int = 0) -> Path:
    with open(path, "w") as fh:
        fh.write("customer_id,date,amount,description\n")
        for i in range(offset, offset + rows):
            fh.write(f"C{i % customers},2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00,{i % 997}.{i % 100:02d},"
                     f"item {i}\n")
    return path


def run(url: str, big: Path, small: Path) -> dict[str, float]:
    times = {}
    with Store(url) as store:
        t = time.perf_counter()
        import_file(store, big, "transactions", source="shop")
        times["first import"] = time.perf_counter() - t
        t = time.perf_counter()
        import_file(store, small, "transactions", source="shop")
        times["second import (10k rows)"] = time.perf_counter() - t
        t = time.perf_counter()
        analyze(store)
        times["analyze"] = time.perf_counter() - t
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=300_000)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: start a throwaway server)")
    args = parser.parse_args()
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers = max(args.rows // 10, 10)
        big = write_orders(folder / "big.csv", args.rows, customers)
        small = write_orders(folder / "small.csv", 10_000, customers, offset=args.rows)
        url = args.url
        if url is None:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
            from postgres_server import PostgresServer

            server = PostgresServer().start()
            url = server.new_database(migrated=False)
        try:
            results = {"duckdb": run(str(folder / "bench.duckdb"), big, small), "postgres": run(url, big, small)}
        finally:
            if server:
                server.stop()
    print(f"{args.rows:,} order lines, {customers:,} customers")
    print(f"{'step':<26}{'duckdb':>10}{'postgres':>10}")
    for step in results["duckdb"]:
        print(f"{step:<26}{results['duckdb'][step]:>9.2f}s{results['postgres'][step]:>9.2f}s")


if __name__ == "__main__":
    main()
