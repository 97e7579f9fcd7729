"""Playbook triggers at 1M customers: `patron playbook run-due` as a fresh process, twice.

    PYTHONPATH=src python benchmarks/triggers.py [--customers 1000000] [--store /tmp/triggers.duckdb]

Builds the store the fast way (INSERT ... SELECT over range() in DuckDB): two analysis runs in which 10% of the
best customers' P(alive) falls below 0.5, email consent, one first order per customer spread over two years.
Saves two playbooks (P(alive) drop for the best customers, first-purchase anniversary of anyone),
then times `patron playbook run-due` (the first call launches the campaigns) and a second call (nothing new,
the cost of every minute's evaluation of `patron serve`). Prints wall seconds and peak memory of each process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from patron.areas.accounts.service import OPERATOR
from patron.areas.campaigns.service import save_playbook
from patron.store import Store

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)


def build(store: Store, n: int) -> None:
    with store.transaction():
        store.raw.execute(
            "INSERT INTO parties (party_id, name, email, created_at) SELECT i, 'Ann' || i || ' Smith', "
            "'a' || i || '@example.org', ? FROM range(1, ? + 1) t(i)", [NOW, n])
        for run in (1, 2):
            store.raw.execute(
                "INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, engine, settings, parties, status) "
                "VALUES (?, 'value', ?, ?, ?, 'store', '{}', ?, ?)",
                [run, NOW, NOW, NOW, n, "current" if run == 2 else "superseded"])
            # Run 2: the best customers with i % 100 < 10 fall from 0.8 to 0.3.
            p_alive = "0.8" if run == 1 else "CASE WHEN i % 100 < 10 THEN 0.3 ELSE 0.8 END"
            store.raw.execute(
                "INSERT INTO scores (run_id, party_id, triage, rung, clv, p_alive, at_risk) SELECT ?, i, "
                "CASE WHEN i % 10 < 2 THEN 'best' WHEN i % 10 < 7 THEN 'average' ELSE 'worst' END, 'client', "
                f"(i % 1000) * 1.0, {p_alive}, FALSE FROM range(1, ? + 1) t(i)", [run, n])
        store.raw.execute(
            "INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, recorded_at) "
            "SELECT i, 'crm', CAST(i AS VARCHAR), i, 'email', 'marketing', TRUE, ? FROM range(1, ? + 1) t(i)",
            [NOW - dt.timedelta(days=30), n])
        store.raw.execute(
            "INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, occurred_at, revenue) "
            "SELECT i, 'shop', CAST(i AS VARCHAR), i, 'order', ? - to_days(CAST(i % 730 AS INTEGER)), 10 "
            "FROM range(1, ? + 1) t(i)", [NOW, n])


def timed(args: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    out = subprocess.run(["/usr/bin/time", "-f", "%e s wall, %M KiB peak", sys.executable, "-m", "patron", *args],
                         capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip().replace("\n", " | ") + " :: " + out.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    path = args.store or Path(tempfile.mkdtemp()) / "triggers.duckdb"
    with Store(path) as store:
        started = time.perf_counter()
        build(store, args.customers)
        print(f"built {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
        base = {"channel": "email", "purpose": "marketing", "audience": {"triage": "best"},
                "action": {"subject": "Hello {first_name}", "voucher": "10% off", "list": "Slipping best"}}
        save_playbook(store, OPERATOR, {**base, "name": "Slipping best",
                                        "trigger": {"kind": "event", "event": "p_alive_drop", "threshold": 0.5}})
        save_playbook(store, OPERATOR, {**base, "name": "Anniversaries", "audience": {},
                                        "trigger": {"kind": "event", "event": "first_purchase_anniversary"}})
        store.raw.execute("UPDATE playbooks SET created_at = ?", [NOW - dt.timedelta(days=1)])
    print("run-due, first:", timed(["playbook", "run-due", "--store", str(path)]))
    print("run-due, again:", timed(["playbook", "run-due", "--store", str(path)]))


if __name__ == "__main__":
    main()
