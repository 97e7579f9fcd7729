"""Delivery to a local SMTP server: `patron outbox send --once` as a fresh process, end to end.

    PYTHONPATH=src python benchmarks/delivery.py [--messages 20000] [--batch 500] [--before /tmp/before/src]
    PYTHONPATH=src python benchmarks/delivery.py --floor [--connections 4]

Builds a DuckDB store with one person per message (email, consent for email marketing) and the messages queued
as a campaign's launch queues them, starts aiosmtpd on 127.0.0.1 in this process (a thread), then times the
command a user runs. Prints messages received, seconds, messages per second and the command's peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from patron.store import Store

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Count:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
        return "250 OK"


def build(path: Path, n: int) -> None:
    with Store(path) as store, store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, name, email, created_at) SELECT i, 'Ann ' || i, "
                          "'a' || i || '@example.org', ? FROM range(1, ? + 1) t(i)", [NOW, n])
        store.raw.execute("INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, "
                          "recorded_at) SELECT i, 'crm', CAST(i AS VARCHAR), i, 'email', 'marketing', TRUE, ? "
                          "FROM range(1, ? + 1) t(i)", [NOW - dt.timedelta(days=30), n])
        store.raw.execute("INSERT INTO outbox (message_id, idempotency_key, party_id, channel, purpose, recipient, "
                          "subject, body, status, created_at) SELECT i, 'bench:' || i, i, 'email', 'marketing', "
                          "'a' || i || '@example.org', 'Hello Ann', 'Dear Ann, thank you.', 'queued', ? "
                          "FROM range(1, ? + 1) t(i)", [NOW, n])
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('quiet_hours', 'none', ?)", [NOW])


def run(label: str, pythonpath: str, n: int, batch: int, port: int, inbox: Count, connections: int | None) -> None:
    path = Path(tempfile.mkdtemp()) / "delivery.duckdb"
    # Built by the tree that is timed: a store migrated by a newer tree refuses an older one.
    subprocess.run([sys.executable, __file__, "--build", str(path), "--messages", str(n)], check=True,
                   env={**os.environ, "PYTHONPATH": pythonpath})
    inbox.n = 0
    command = [sys.executable, "-m", "patron", "outbox", "send", "--once", "--smtp-host", "127.0.0.1",
               "--smtp-port", str(port), "--batch", str(batch), "--store", str(path),
               *(["--smtp-connections", str(connections)] if connections else [])]
    started, server = time.perf_counter(), time.process_time()
    proc = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": pythonpath}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its CPU and peak memory
    seconds, server = time.perf_counter() - started, time.process_time() - server
    out, err = proc.stdout.read(), proc.stderr.read()
    print(f"[{label}] {out.strip() or err.strip()[-500:]}")
    print(f"[{label}] {inbox.n:,} of {n:,} messages received in {seconds:.1f} s (fresh process, start included): "
          f"{inbox.n / seconds:,.0f} messages/s; CPU user {usage.ru_utime:.1f} s, system {usage.ru_stime:.1f} s; "
          f"peak memory {usage.ru_maxrss / 1024:.0f} MiB; exit {os.waitstatus_to_exitcode(status)}; the SMTP "
          f"server (aiosmtpd, this process) used {server:.1f} s of CPU")


def floor(n: int, connections: int, port: int, inbox: Count) -> None:
    """The receiver's own ceiling: a bare smtplib loop (no store, no gate), ``connections`` threads side by side,
    each sending one prepared message over one reused connection, in a fresh process."""
    script = (
        "import smtplib, sys, threading\n"
        "n, k, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])\n"
        "text = (b'From: a@b\\r\\nTo: c@d\\r\\nSubject: Hello Ann\\r\\nMessage-ID: <x@patron>\\r\\n\\r\\n'"
        " + b'Dear Ann, thank you.\\r\\n' * 4)\n"
        "def go(count):\n"
        "    smtp = smtplib.SMTP('127.0.0.1', port)\n"
        "    for _ in range(count):\n"
        "        smtp.sendmail('a@b', ['c@d'], text)\n"
        "    smtp.quit()\n"
        "threads = [threading.Thread(target=go, args=(n // k,)) for _ in range(k)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n")
    inbox.n = 0
    started, server = time.perf_counter(), time.process_time()
    proc = subprocess.Popen([sys.executable, "-c", script, str(n), str(connections), str(port)])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds, server = time.perf_counter() - started, time.process_time() - server
    print(f"[floor, {connections} connection(s)] {inbox.n:,} messages received in {seconds:.1f} s: "
          f"{inbox.n / seconds:,.0f} messages/s; sender CPU {usage.ru_utime + usage.ru_stime:.1f} s; the SMTP "
          f"server (aiosmtpd, this process) used {server:.1f} s of CPU; exit {os.waitstatus_to_exitcode(status)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--before", help="Also time this source tree first (its src folder), e.g. an older "
                                         "commit's: git archive <commit> src | tar -x -C /tmp/before")
    parser.add_argument("--floor", action="store_true", help="Time only a bare smtplib loop to the same aiosmtpd "
                                                             "(the receiver's ceiling on this machine)")
    parser.add_argument("--connections", type=int, help="SMTP connections (of the --floor loop: 4; of the "
                                                             "command: its setting, 4)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # build this store only (run() calls it)
    args = parser.parse_args()
    if args.build:
        build(args.build, args.messages)
        return
    inbox = Count()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"{os.cpu_count()} cores; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    try:
        if args.floor:
            for connections in sorted({1, args.connections or 4}):
                floor(args.messages, connections, port, inbox)
            return
        if args.before:
            run("before", args.before, args.messages, args.batch, port, inbox, args.connections)
        run("now", os.environ.get("PYTHONPATH", "src"), args.messages, args.batch, port, inbox, args.connections)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
