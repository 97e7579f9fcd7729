"""``patron serve`` delivers the outbox while it runs: a campaign launched through the API reaches the local SMTP
server, and SIGTERM mid-delivery stops the service with every message either sent and recorded or still queued."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter

import httpx
from outbox_rows import no_quiet_hours

from companies import demo_company
from patron.act.delivery import message_id_header
from patron.areas.users.service import add_user, issue_token
from patron.store import Store
from serving import start_serve

PASSWORD = "a long enough password"
#: uvicorn shuts down gracefully on SIGTERM, then raises the signal again: the exit is by SIGTERM (or 0).
STOPPED = (0, -signal.SIGTERM)
PLAYBOOK = """
name = "Thank everyone"
channel = "email"
purpose = "newsletter"
[audience]
triage = ["best", "average", "worst"]
[action]
subject = "Thank you, {first_name}"
body = "Dear {name}"
"""


def _counts(base: str, headers: dict) -> dict:
    return httpx.get(f"{base}/api/v1/outbox", headers=headers, params={"limit": 1}, timeout=10).json()["counts"]


def _wait(check, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"still not so after {seconds:.0f} s")


def test_serve_delivers_a_launched_campaign_and_stops_cleanly_on_sigterm(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    with demo_company(tmp_path, 400, 8, str(path)) as store:
        no_quiet_hours(store)
        with store.transaction():
            store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('caps.email', 'none', now())")
        marketer = {"Authorization": f"Bearer {issue_token(store, add_user(store, 'mia', PASSWORD, 'marketing'), 't')}"}
        admin = {"Authorization": f"Bearer {issue_token(store, add_user(store, 'ada', PASSWORD, 'admin'), 't')}"}
    smtp = ("--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_server.port), "--public-url", "http://patron.test")
    # Slow enough (20 a second, 10 at a time) that the SIGTERM below comes mid-delivery.
    proc, base = start_serve(path, args=(*smtp, "--rate", "20", "--batch", "10"), stderr=subprocess.PIPE)
    try:
        book = httpx.post(f"{base}/api/v1/playbooks", headers=marketer, json={"definition": PLAYBOOK}, timeout=30)
        assert book.status_code in (200, 201), book.text
        made = httpx.post(f"{base}/api/v1/campaigns", headers=marketer,
                          json={"playbook_id": book.json()["playbook_id"]}, timeout=30).json()
        cid = made["campaign_id"]
        launched = httpx.post(f"{base}/api/v1/campaigns/{cid}/launch", headers=marketer, timeout=60)
        assert launched.status_code == 200, launched.text
        queued = launched.json()["queued"]
        assert queued > 40
        # The service's worker picks the messages up by itself: mails arrive without any other command.
        _wait(lambda: len(smtp_server.messages) >= 10)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) in STOPPED, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    arrived = Counter(smtp_server.message_ids())
    assert 10 <= len(arrived) < queued and max(arrived.values()) == 1
    with Store(path) as store:
        counts = dict(store.query("SELECT status, count(*) FROM outbox WHERE campaign_id = ? GROUP BY status", [cid]))
        # Stopped between batches: nothing left claimed, and what is recorded sent is exactly what arrived.
        assert "sending" not in counts
        assert counts.get("sent") == len(arrived)
        keys = {message_id_header(k) for (k,) in store.query(
            "SELECT idempotency_key FROM outbox WHERE campaign_id = ? AND status = 'sent'", [cid])}
        assert keys == set(arrived)
        assert counts.get("queued", 0) + counts.get("blocked", 0) + counts["sent"] == queued

    # Served again, at full speed: the rest arrives, nothing twice.
    proc, base = start_serve(path, args=smtp, stderr=subprocess.PIPE)
    try:
        done = _wait(lambda: (c := _counts(base, admin))["queued"] == 0 and c["sending"] == 0 and c)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) in STOPPED, proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    arrived = Counter(smtp_server.message_ids())
    assert max(arrived.values()) == 1 and len(arrived) == done["sent"]
    assert done["sent"] + done["blocked"] == queued


def test_no_delivery_serves_without_sending(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        no_quiet_hours(store)
        from outbox_rows import add_person, queue

        add_person(store, 1, "ann@example.com")
        queue(store, 1, key="serve-off-1")
    proc, _ = start_serve(path, args=("--no-delivery", "--smtp-host", "127.0.0.1", "--smtp-port",
                                      str(smtp_server.port)))
    time.sleep(3)  # the worker would have polled twice by now
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) in STOPPED
    assert smtp_server.messages == []
    out = subprocess.run([sys.executable, "-m", "patron", "serve", "--help"], capture_output=True, text=True,
                         check=True).stdout
    assert "--no-delivery" in out and "--smtp-host" in out
