"""Audience evaluation with consent, and a launch that queues 100k emails, at 1M customers.

    PYTHONPATH=src python benchmarks/act.py [--customers 1000000] [--store /tmp/act.duckdb]

Then time the commands a marketer runs, as fresh processes: `patron campaign preview 1 --store FILE` and
`patron campaign launch 1 --store FILE` (the script leaves campaign 1 launched; build again for a second run).

Builds the store the fast way (INSERT ... SELECT over range() in DuckDB), then times a campaign's preview
(audience, exclusions, arms) and its launch (members and outbox rows in one transaction). Prints seconds and
the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from patron.areas.accounts.service import OPERATOR
from patron.areas.campaigns.service import create_campaign, launch, preview, save_playbook
from patron.store import Store

NOW = dt.datetime(2025, 3, 1)


def build(store: Store, n: int) -> None:
    with store.transaction():
        store.raw.execute(
            "INSERT INTO parties (party_id, name, email, created_at) SELECT i, 'Ann' || i || ' Smith', "
            "CASE WHEN i % 50 = 0 THEN NULL ELSE 'a' || i || '@example.org' END, ? FROM range(1, ? + 1) t(i)",
            [NOW, n])
        store.raw.execute(
            "INSERT INTO scores (run_id, party_id, triage, rung, clv, p_alive, at_risk) SELECT 1, i, "
            "CASE WHEN i % 10 < 2 THEN 'best' WHEN i % 10 < 7 THEN 'average' ELSE 'worst' END, 'client', "
            "(i % 1000) * 1.0, (i % 97) / 97.0, i % 3 = 0 FROM range(1, ? + 1) t(i)", [n])
        store.raw.execute(
            "INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, recorded_at) "
            "SELECT i, 'crm', CAST(i AS VARCHAR), i, 'email', 'marketing', i % 7 <> 0, ? FROM range(1, ? + 1) t(i) "
            "WHERE i % 11 <> 0", [NOW - dt.timedelta(days=30), n])
        store.raw.execute("INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, engine, settings, parties, "
                          "status) VALUES (1, 'value', ?, ?, ?, 'store', '{}', ?, 'current')", [NOW, NOW, NOW, n])
        store.raw.execute("INSERT INTO suppressions (party_id, reason, created_at) SELECT i, 'opted out', ? "
                          "FROM range(1, ? + 1) t(i) WHERE i % 101 = 0", [NOW, n])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    path = args.store or Path(tempfile.mkdtemp()) / "act.duckdb"
    store = Store(path)
    started = time.perf_counter()
    build(store, args.customers)
    print(f"built {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
    # The best customers: 200k of 1M before exclusions and control groups (about 119k treated).
    playbook = save_playbook(store, OPERATOR, {
        "name": "bench", "channel": "email", "purpose": "marketing", "control_share": 0.1,
        "audience": {"triage": "best", "min_clv": 0},
        "action": {"subject": "Hi {first_name}", "body": "Dear {name}, thank you."}})
    cid = create_campaign(store, OPERATOR, playbook, seed=1)
    t0 = time.perf_counter()
    seen = preview(store, cid, at=NOW)
    t1 = time.perf_counter()
    done = launch(store, OPERATOR, cid, at=NOW)
    t2 = time.perf_counter()
    print(f"preview: audience {seen['audience']:,}, arms {seen['arms']}, excluded {seen['excluded']}: {t1 - t0:.2f} s")
    print(f"launch: {done['queued']:,} emails queued: {t2 - t1:.2f} s; preview + launch {t2 - t0:.2f} s")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    store.close()


if __name__ == "__main__":
    main()
