"""Audience evaluation with consent, and a launch that queues 100k emails, at 1M customers.

    PYTHONPATH=src python benchmarks/act.py [--customers 1000000] [--store /tmp/act.duckdb] [--deliver 10000]

Then time the commands a marketer runs, as fresh processes: `patron campaign preview 1 --store FILE` and
`patron campaign launch 1 --store FILE` (the script leaves campaign 1 launched; build again for a second run).

Builds the store the fast way (INSERT ... SELECT over range() in DuckDB), then times a campaign's preview
(audience, exclusions, arms) and its launch (members and outbox rows in one transaction). Prints seconds and
the peak resident memory of this process. With ``--deliver N``, then delivers the first N or more of the queued
emails (whole batches) to aiosmtpd on loopback, started as a separate process (so that its work does not share
this process's interpreter), with the send-time gate checked against the 1M customers' consents and events.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from patron.act import delivery
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


SMTP_SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Accept(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def deliver(store: Store, wanted: int, connections: int) -> None:
    """Send at least ``wanted`` of the queued emails, batch by batch, as the outbox worker does; print the rate."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", SMTP_SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    with store.transaction():
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('quiet_hours', 'none', ?)", [NOW])
    worker = delivery.start(store, delivery.DeliveryConfig.load(
        store, smtp_host="127.0.0.1", smtp_port=port, smtp_connections=connections))
    total = delivery.Outcome()
    started = time.perf_counter()
    try:
        if hasattr(delivery, "_Batch"):  # the worker that overlaps sending one batch with claiming the next
            total = worker.run_once(limit=wanted)
        else:
            while total.sent + total.blocked < wanted and (rows := worker.claim(delivery.utcnow())):
                total.add(worker.deliver(rows, delivery.utcnow()))
    finally:
        seconds = time.perf_counter() - started
        worker.close()
        server.stdin.close()
        server.wait(timeout=30)
    print(f"delivery: {total.sent:,} sent, {total.blocked:,} blocked at send time, in {seconds:.1f} s: "
          f"{total.sent / seconds:,.0f} messages/s over {connections} SMTP connection(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--deliver", type=int, default=0, help="Then deliver this many of the queued emails.")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections for --deliver.")
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
    if args.deliver:
        deliver(store, args.deliver, args.connections)
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    store.close()


if __name__ == "__main__":
    main()
