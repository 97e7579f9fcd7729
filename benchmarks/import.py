"""Import speed: patron's import of a transaction CSV against DuckDB's bare reader.

Usage: python benchmarks/import.py [ROWS]   (default 3,000,000)

Writes a realistic order-line CSV (customer key, timestamp, document,
product, quantity, unit price, amount), then in the same run and on the same
file times (a) DuckDB's own ``read_csv`` into a table of a fresh DuckDB file,
with its type sniffing, and (b) ``patron import`` into a fresh store:
staging, typing, quarantine, keys, identities and insert in one transaction.
Prints rows/s and the ratio. The issue's target: >= 1M rows/s and at most
2x the bare reader.
"""

from __future__ import annotations

import os
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
        t = time.perf_counter()
        bare.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")
        bare_s = time.perf_counter() - t
        assert bare.execute("SELECT count(*) FROM t").fetchone()[0] == rows
        bare.close()

        store = Store(tmp / "patron.duckdb")
        t = time.perf_counter()
        report = import_file(store, csv_path, "transactions", source="bench")
        patron_s = time.perf_counter() - t
        assert report.accepted == rows, report
        t = time.perf_counter()
        again = import_file(store, csv_path, "transactions", source="bench")
        reimport_s = time.perf_counter() - t
        assert again.accepted == 0 and again.already_present == rows
        store.close()

    print(f"{'':28}{'seconds':>10}{'rows/s':>14}")
    print(f"{'duckdb read_csv (bare)':28}{bare_s:>10.2f}{rows / bare_s:>14,.0f}")
    print(f"{'patron import':28}{patron_s:>10.2f}{rows / patron_s:>14,.0f}")
    print(f"{'patron re-import (no-op)':28}{reimport_s:>10.2f}{rows / reimport_s:>14,.0f}")
    print(f"patron / bare reader: {patron_s / bare_s:.2f}x   (target: <= 2x, and >= 1,000,000 rows/s)")


if __name__ == "__main__":
    main()
