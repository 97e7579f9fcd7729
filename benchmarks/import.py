"""Import speed: patron's import of a transaction CSV against DuckDB's bare reader.

Usage: python benchmarks/import.py [ROWS]   (default 3,000,000)

Writes a realistic order-line CSV (customer key, timestamp, document,
product, quantity, unit price, amount), then in the same run and on the same
file times (a) DuckDB's own ``read_csv`` into a table of a fresh DuckDB file,
with its type sniffing, and (b) ``patron import`` into a fresh store:
staging, typing, quarantine, keys, identities and insert in one transaction.
Prints rows/s and the ratio. The issue's target: >= 1M rows/s and at most
2x the bare reader.

Two more lines say where patron's time goes: the bare reader again, into a
table with an index on the customer as a number (what any store that looks
up one customer's records pays, at commit), and patron's own phases as its
progress callback reports them, each with the process's CPU seconds (on two
cores a phase that keeps both busy shows about twice its wall time).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from patron.ingest import import_file
from patron.store import Store


def write_csv(path: Path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(f"""
        COPY (
            SELECT 'C' || (hash(i) % {max(rows // 3, 1)})::VARCHAR AS customer_id,
                   (TIMESTAMP '2022-01-01' + to_seconds((hash(i * 7) % 63072000)::BIGINT))::VARCHAR AS order_date,
                   'O' || (i // 3)::VARCHAR AS order_id,
                   'SKU-' || (hash(i * 13) % 5000)::VARCHAR AS sku,
                   1 + hash(i * 17) % 5 AS quantity,
                   round(1 + (hash(i * 19) % 10000) / 100.0, 2) AS unit_price,
                   round((1 + hash(i * 17) % 5) * (1 + (hash(i * 19) % 10000) / 100.0), 2) AS amount
            FROM range({rows}) r(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
    """)
    con.close()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Phases:
    """Wall and CPU seconds between the import's progress reports."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._last = None

    def __call__(self, step: str, fraction: float) -> None:
        now = (time.perf_counter(), cpu_seconds())
        if self._last is not None:
            name, wall, cpu = self._last
            self.rows.append((name, now[0] - wall, now[1] - cpu))
        self._last = (step, *now)


def timed(con, sql: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), cpu_seconds()
    con.execute(sql)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "orders.csv"
        t = time.perf_counter()
        write_csv(csv_path, rows)
        print(f"wrote {rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s; "
              f"{os.cpu_count()} cores")

        bare = duckdb.connect(str(tmp / "bare.duckdb"))
        bare_s, bare_cpu = timed(bare, f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
        assert bare.execute("SELECT count(*) FROM t").fetchone()[0] == rows
        # The customer as a number, as patron's party_id, indexed as patron indexes it.
        number = "CAST(substr(customer_id, 2) AS BIGINT) AS customer_no"
        bare.execute(f"CREATE TABLE ti AS SELECT *, {number} FROM t LIMIT 0; CREATE INDEX ti_no ON ti (customer_no)")
        bare.execute("BEGIN")
        indexed = timed(bare, f"INSERT INTO ti SELECT *, {number} FROM read_csv('{csv_path}')")
        commit = timed(bare, "COMMIT")
        bare.close()

        store = Store(tmp / "patron.duckdb")
        phases = Phases()
        cpu = cpu_seconds()
        t = time.perf_counter()
        report = import_file(store, csv_path, "transactions", source="bench", progress=phases)
        patron_s = time.perf_counter() - t
        patron_cpu = cpu_seconds() - cpu
        assert report.accepted == rows, report
        t = time.perf_counter()
        again = import_file(store, csv_path, "transactions", source="bench")
        reimport_s = time.perf_counter() - t
        assert again.accepted == 0 and again.already_present == rows
        store.close()

    print(f"{'':34}{'seconds':>10}{'CPU s':>8}{'rows/s':>12}")
    print(f"{'duckdb read_csv (bare)':34}{bare_s:>10.2f}{bare_cpu:>8.2f}{rows / bare_s:>12,.0f}")
    both = indexed[0] + commit[0]
    print(f"{'  the same + customer index: insert':34}{indexed[0]:>10.2f}{indexed[1]:>8.2f}")
    print(f"{'                            commit':34}{commit[0]:>10.2f}{commit[1]:>8.2f}{rows / both:>12,.0f}")
    print(f"{'patron import':34}{patron_s:>10.2f}{patron_cpu:>8.2f}{rows / patron_s:>12,.0f}")
    for step, wall, cpu in phases.rows:
        print(f"{'  ' + step:34}{wall:>10.2f}{cpu:>8.2f}")
    print(f"{'patron re-import (no-op)':34}{reimport_s:>10.2f}{'':>8}{rows / reimport_s:>12,.0f}")
    print(f"patron / bare reader: {patron_s / bare_s:.2f}x   (target: <= 2x, and >= 1,000,000 rows/s)")
    print(f"bare reader into the indexed table / bare reader: {both / bare_s:.2f}x")


if __name__ == "__main__":
    main()
