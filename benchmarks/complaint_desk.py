"""The complaint desk's first page, a filtered page and the charter report on a store with many complaints.

Builds (once, ``--store``) a DuckDB store of ``--complaints`` complaints over ``complaints / 2`` customers, each
complaint with a thread of four service messages after its first response (messages that name no complaint, so
the thread is found by the rule of migration 23 where the tree has it), then times, in this process:

- ``desk``: ``complaint_desk`` default page (50 rows, newest first);
- ``desk_filtered``: status open or in progress, severity high, sorted by age;
- ``keep_clocks`` (a tree with kept clocks): every complaint's clocks computed and kept, once
  (:mod:`patron.areas.complaints.stored_clocks`; the first desk read that needs them does it otherwise);
- ``desk_state``: the breached ones (a clock filter: read from the kept clocks where the tree keeps them, else
  every candidate is clocked);
- ``desk_due``: every complaint sorted by resolution due;
- ``charter``: the charter report over every complaint;
- ``message``: a customer's message logged in a complaint's thread, then the breached ones again.

Stop 23, 20,000 complaints, CPU seconds at load 9-10, main's tree against kept clocks: breached ones 2.20 against
0.15, sorted by resolution due 2.30 against 0.13, charter 2.48 against 0.13, a message then the breached ones 2.33
against 0.20; keeping every complaint's clocks the first time 3.07.

Run it with either tree first on the path to compare (a fresh process each)::

    PYTHONPATH=src python benchmarks/complaint_desk.py --store /tmp/desk-new.duckdb
    PYTHONPATH=/work/main/src python benchmarks/complaint_desk.py --store /tmp/desk-old.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from pathlib import Path

from patron.areas.complaints.desk import charter_report, complaint_desk, service_levels
from patron.areas.interactions.service import log_interaction
from patron.service.permissions import User
from patron.store import Store

try:
    from patron.areas.complaints import stored_clocks
except ImportError:  # a tree without kept clocks
    stored_clocks = None


def build(store: Store, complaints: int) -> None:
    customers = max(complaints // 2, 1)
    store.raw.execute(
        "INSERT INTO parties (party_id, kind, category, created_at, name) SELECT i, 'person', 'customer', "
        "TIMESTAMP '2024-01-01', 'Customer ' || i FROM range(1, ? + 1) t(i)", [customers])
    store.raw.execute(
        "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, first_response_at, "
        "resolved_at, category, severity, status, description) SELECT i, 'bench', 'c' || i, 1 + i % ?, "
        "TIMESTAMP '2024-01-01' + to_hours(CAST(i * 7 % 17000 AS BIGINT)), "
        "TIMESTAMP '2024-01-01' + to_hours(CAST(i * 7 % 17000 + 1 + i % 9 AS BIGINT)), "
        "CASE WHEN i % 3 = 0 THEN TIMESTAMP '2024-01-01' + to_hours(CAST(i * 7 % 17000 + 60 + i % 50 AS BIGINT)) END, "
        "CASE i % 4 WHEN 0 THEN 'delivery' WHEN 1 THEN 'billing' WHEN 2 THEN 'product' ELSE 'service' END, "
        "CASE i % 4 WHEN 0 THEN 'low' WHEN 1 THEN 'medium' WHEN 2 THEN 'high' ELSE 'critical' END, "
        "CASE WHEN i % 3 = 0 THEN 'resolved' WHEN i % 5 = 0 THEN 'open' ELSE 'in_progress' END, 'late parcel' "
        "FROM range(1, ? + 1) t(i)", [customers, complaints])
    store.raw.execute(
        "INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, channel, direction, "
        "department) SELECT row_number() OVER (), 'bench', 'i' || c.complaint_id || '-' || k, c.party_id, "
        "c.first_response_at + to_hours(CAST(2 + 5 * k AS BIGINT)), 'email', "
        "CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'service' "
        "FROM complaints c, range(0, 4) r(k)")


def keep(store: Store) -> int:
    with store.transaction():
        return stored_clocks.refresh(store, service_levels(store))


def message(store: Store) -> int:
    """A customer writes back about complaint 1 (a day after the last message), then the breached ones again."""
    at = store.scalar("SELECT max(occurred_at) FROM interactions") + dt.timedelta(days=1)
    log_interaction(store, User(1, "bench", "service"), int(store.scalar(
        "SELECT party_id FROM complaints WHERE complaint_id = 1")), channel="email", direction="inbound",
        department="service", occurred_at=at, complaint_id=1)
    return complaint_desk(store, None, sla_state="breached")["total"]


def timed(name: str, f) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    out = f()
    print(f"{name:14s} wall {time.perf_counter() - started:7.3f} s  cpu {time.process_time() - cpu:7.3f} s  "
          f"({out})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="the DuckDB file (built when missing)")
    parser.add_argument("--complaints", type=int, default=50_000, help="complaints to build (default 50,000)")
    args = parser.parse_args()
    fresh = not args.store.exists()
    with Store(args.store) as store:
        if fresh:
            print(f"building {args.complaints:,} complaints...", flush=True)
            build(store, args.complaints)
        print(f"{store.scalar('SELECT count(*) FROM complaints'):,} complaints, "
              f"{store.scalar('SELECT count(*) FROM interactions'):,} messages", flush=True)
        timed("desk", lambda: complaint_desk(store, None)["total"])
        timed("desk_filtered", lambda: complaint_desk(store, None, status=["open", "in_progress"], severity=["high"],
                                                      sort="age", descending=True)["total"])
        if stored_clocks is not None:
            timed("keep_clocks", lambda: keep(store))
        timed("desk_state", lambda: complaint_desk(store, None, sla_state="breached")["total"])
        timed("desk_due", lambda: complaint_desk(store, None, sort="resolution_due")["rows"][0]["complaint_id"])
        timed("charter", lambda: charter_report(store, None)["complaints"])
        timed("message", lambda: message(store))
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
