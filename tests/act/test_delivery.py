"""Delivery with real parts: emails reach an SMTP server (aiosmtpd), webhooks an HTTP receiver; a kill -9 loses
and repeats nothing that Message-IDs cannot tell apart; unsubscribe links are honoured at once; an idle worker
writes nothing, and a message queued with a notice still goes at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager

from fastapi.testclient import TestClient
from outbox_rows import add_person, no_quiet_hours, queue

from patron.act import delivery, links, rules
from patron.app import create_app
from patron.areas.outbox import service
from patron.areas.users.service import add_user, issue_token
from patron.store import Store

PASSWORD = "a long enough password"


def _send(store, smtp_server, **options):
    return service.send(store, None, smtp_host="127.0.0.1", smtp_port=smtp_server.port, backoff=0,
                        public_url="http://patron.test", **options)


def test_an_email_arrives_with_its_headers_and_its_link_unsubscribes_at_once(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        no_quiet_hours(store)
        add_person(store, 1, "ann@example.com")
        queue(store, 1, key="camp-7-party-1", subject="Your autumn offer", body="Dear Ann, 10% off this week.")
        assert _send(store, smtp_server).sent == 1
        (rcpt, message), = smtp_server.messages
        assert rcpt == ["ann@example.com"] and message["Subject"] == "Your autumn offer"
        assert message["Message-ID"] == "<camp-7-party-1@patron>"
        assert message["X-Patron-Idempotency-Key"] == "camp-7-party-1"
        body = message.get_payload(decode=True).decode()
        assert "Dear Ann, 10% off this week." in body
        url = message["List-Unsubscribe"].strip("<>")
        assert url.startswith("http://patron.test/unsubscribe/") and url in body
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert store.query("SELECT kind, detail FROM contact_events") == [("sent", "<camp-7-party-1@patron>")]
    token = url.rsplit("/", 1)[1]
    with TestClient(create_app(str(path))) as client:
        page = client.get(f"/unsubscribe/{token}")
        assert page.status_code == 200 and "You are unsubscribed" in page.text
        bad = client.get(f"/unsubscribe/{token[:-3]}xyz")
        assert bad.status_code == 400 and "not valid" in bad.text
        assert client.post(f"/unsubscribe/{token}").status_code == 200  # RFC 8058 one-click, no sign-in
    with Store(path) as store:
        again = queue(store, 1, key="camp-8-party-1")
        assert _send(store, smtp_server).blocked == 1 and len(smtp_server.messages) == 1
        assert service.messages_by_id(store, again)["reason"].startswith("unsubscribed from email on")


def test_old_unsubscribe_links_still_work_and_an_altered_compact_one_is_refused(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        add_person(store, 1, "ann@example.com")
        secret = links.link_secret(store)
        old = links._serializer(secret).dumps({"p": 1, "c": "email", "u": "marketing", "m": 7})  # before stop 22
        compact = links.unsubscribe_token(secret, 1, "email", "newsletter", 8)
        assert compact.startswith("u1.") and len(compact) < len(old)
        assert links.read_unsubscribe_token(secret, compact) == {"p": 1, "m": 8, "c": "email", "u": "newsletter"}
    forged = links.unsubscribe_token(secret, 2, "email", "newsletter", 8).split(".")[1]  # another person's payload
    with TestClient(create_app(str(path))) as client:
        assert client.get(f"/unsubscribe/{old}").status_code == 200
        assert client.get(f"/unsubscribe/{compact}").status_code == 200
        assert client.get(f"/unsubscribe/u1.{forged}.{compact.rsplit('.', 1)[1]}").status_code == 400
        assert client.get(f"/unsubscribe/{compact[:-2]}").status_code == 400
    with Store(path) as store:
        assert store.query("SELECT party_id, message_id, detail FROM contact_events WHERE kind = 'unsubscribe' "
                           "ORDER BY message_id") == [(1, 7, "marketing"), (1, 8, "newsletter")]


def test_a_webhook_that_fails_three_times_is_delivered_once_on_the_fourth(store, webhook_receiver):
    receiver = webhook_receiver(failures=3)
    body = json.dumps({"event": "at_risk", "party_id": 1})
    mid = queue(store, None, key="hook-1", channel="webhook", purpose=None, recipient=receiver.url, payload=body)
    for _ in range(4):  # backoff 0: each pass makes the next attempt
        service.send(store, None, backoff=0)
    row = service.messages_by_id(store, mid)
    assert row["status"] == "sent" and row["attempts"] == 4 and len(receiver.calls) == 4
    (headers, delivered), = receiver.delivered
    assert delivered == {"event": "at_risk", "party_id": 1} and headers["X-Patron-Idempotency-Key"] == "hook-1"
    secret = links.link_secret(store)
    raw = receiver.calls[-1][1]
    assert links.verify_webhook(secret, headers["X-Patron-Signature"], raw, now=int(time.time()))
    assert not links.verify_webhook(secret, headers["X-Patron-Signature"], raw + b" ", now=int(time.time()))
    assert not links.verify_webhook("another secret", headers["X-Patron-Signature"], raw, now=int(time.time()))


def test_a_webhook_that_always_fails_ends_dead_and_an_admin_requeues_it(tmp_path, webhook_receiver):
    path = tmp_path / "patron.duckdb"
    receiver = webhook_receiver(failures=None)
    with Store(path) as store:
        mid = queue(store, None, key="hook-dead", channel="webhook", purpose=None, recipient=receiver.url,
                    payload="{}")
        for _ in range(5):
            service.send(store, None, backoff=0, max_attempts=3)
        row = service.messages_by_id(store, mid)
        assert row["status"] == "dead" and row["attempts"] == 3 and "503" in row["last_error"]
        assert len(receiver.calls) == 3
        admin = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "t")
        analyst = issue_token(store, add_user(store, "al", PASSWORD, "analyst"), "t")
    with TestClient(create_app(str(path))) as client:
        dead = client.get("/api/v1/outbox/dead", headers={"Authorization": f"Bearer {analyst}"})
        assert dead.status_code == 200 and [m["message_id"] for m in dead.json()] == [mid]
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": csrf})
        shown = client.get("/outbox").text
        # The dead letter is listed on the page with its error and a re-queue button for the admin.
        assert "Dead letters" in shown and f'action="/outbox/{mid}/requeue"' in shown and "503" in shown
        assert "Re-queue</button>" in shown
        refused = client.post(f"/api/v1/outbox/{mid}/requeue", headers={"Authorization": f"Bearer {analyst}"})
        assert refused.status_code == 403
        done = client.post(f"/api/v1/outbox/{mid}/requeue", headers={"Authorization": f"Bearer {admin}"})
        assert done.status_code == 200 and done.json()["status"] == "queued" and done.json()["attempts"] == 0
        outbox = client.get("/outbox")
        assert outbox.status_code == 200 and "Dead letters" in outbox.text and "queued" in outbox.text
        recorded = client.post("/api/v1/contact-events", json={"kind": "bounce", "email": "x@example.com"},
                               headers={"Authorization": f"Bearer {analyst}"})
        assert recorded.status_code == 403
        recorded = client.post("/api/v1/contact-events", json={"kind": "bounce", "email": "x@example.com"},
                               headers={"Authorization": f"Bearer {admin}"})
        assert recorded.status_code == 201


def test_an_admin_sets_the_delivery_settings_on_the_outbox_page_each_checked(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "mia", PASSWORD, "marketing")
    with TestClient(create_app(str(path))) as client:
        def sign_in(username):
            csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
            client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf})
            return client.get("/outbox").text.split('name="csrf" value="')[1].split('"')[0]

        csrf = sign_in("ada")
        shown = client.get("/outbox").text
        assert 'name="smtp.connections" value="4"' in shown and 'name="triggers.keep_days" value="30"' in shown
        wrong = client.post("/outbox/settings", data={"csrf": csrf, "smtp.connections": "0", "delivery.batch": "200"})
        assert "Nothing was saved: SMTP connections sending side by side (smtp.connections): from 1 to 32, not 0" \
            in wrong.text
        client.post("/outbox/settings", data={"csrf": csrf, "smtp.connections": "8", "delivery.batch": "abc"})
        saved = client.post("/outbox/settings", data={"csrf": csrf, "smtp.connections": "8", "delivery.batch": "200",
                                                      "triggers.keep_days": "7.5"})
        assert 'name="delivery.batch" value="200"' in saved.text and "are saved" in saved.text
        client.post("/logout", data={"csrf": csrf})
        csrf = sign_in("mia")  # a marketer sees them, and may not change them
        assert "<strong>200</strong>" in client.get("/outbox").text
        assert client.post("/outbox/settings", data={"csrf": csrf, "delivery.batch": "10"}).status_code == 403
    with Store(path) as store:
        config = delivery.DeliveryConfig.load(store)
        assert (config.smtp_connections, config.batch) == (8, 200)
        assert rules.read_settings(store, "triggers.")["triggers.keep_days"] == "7.5"
        changes = store.query("SELECT username, detail FROM audit_log WHERE action = 'settings.change'")
        assert len(changes) == 1 and changes[0][0] == "ada" and '"smtp.connections": "8"' in changes[0][1]


def test_kill_9_mid_send_then_restart_every_message_arrives_once_by_message_id(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    count = 400
    with Store(path) as store:
        no_quiet_hours(store)
        with store.transaction():
            store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('caps.email', 'none', now())")
        with store.transaction():  # the same rows as add_person and queue write, in three statements
            store.raw.execute("INSERT INTO parties (party_id, email, created_at) SELECT i, 'p' || i || '@example.com', "
                              "now() FROM range(1, ?) t(i)", [count + 1])
            store.raw.execute("INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, "
                              "granted, recorded_at) SELECT i, 'test', 'c' || i, i, 'email', 'marketing', true, "
                              "now() - INTERVAL 1 DAY FROM range(1, ?) t(i)", [count + 1])
            store.raw.execute("INSERT INTO outbox (message_id, idempotency_key, party_id, channel, purpose, subject, "
                              "body, status, created_at) SELECT i, 'kill-' || i, i, 'email', 'marketing', 'Hello', "
                              "'A message', 'queued', now() FROM range(1, ?) t(i)", [count + 1])
        keys = {f"kill-{pid}" for pid in range(1, count + 1)}
    command = [sys.executable, "-m", "patron", "outbox", "send", "--loop", "--rate", "200", "--batch", "20",
               "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_server.port), "--store", str(path)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    kills = 0
    for wait_for in (60, 200):  # kill it twice, mid-batch, once some messages have arrived
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while len(smtp_server.messages) < wait_for and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        kills += 1
        assert len(set(smtp_server.message_ids())) < count  # killed before the end
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(set(smtp_server.message_ids())) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, proc.stderr.read().decode()
    received = Counter(smtp_server.message_ids())
    assert set(received) == {f"<{k}@patron>" for k in keys}  # every message, none lost
    # A copy can only be one of the batches in hand when a kill came (accepted, not yet recorded): at most two
    # batches (--batch 20: one being recorded, the next being sent) per kill, each with its original's Message-ID.
    assert sum(received.values()) - count <= kills * 2 * 20
    with Store(path) as store:
        assert service.status_counts(store, None)["sent"] == count
        assert store.scalar("SELECT count(*) FROM contact_events WHERE kind = 'sent'") == count


def test_a_batch_goes_over_several_smtp_connections_each_message_once(tmp_path):
    from aiosmtpd.controller import Controller

    from serving import free_port

    class Sessions:
        def __init__(self) -> None:
            self.peers, self.ids = [], []

        async def handle_DATA(self, server, session, envelope):
            self.peers.append(session.peer)
            self.ids.append(envelope.content.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode())
            return "250 OK"

    handler = Sessions()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with Store(tmp_path / "pool.duckdb") as store:
            no_quiet_hours(store)
            for pid in range(1, 31):
                add_person(store, pid, f"p{pid}@example.org")
                queue(store, pid, key=f"pool-{pid}")
            done = service.send(store, None, smtp_host="127.0.0.1", smtp_port=controller.port,
                                public_url="http://patron.test", smtp_connections=3, batch=30)
            assert done.sent == 30
            assert store.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") == 30
            assert store.scalar("SELECT count(*) FROM contact_events WHERE kind = 'sent'") == 30
            # Each message once, by Message-ID, its sent event naming that Message-ID.
            assert sorted(handler.ids) == sorted(f"<pool-{pid}@patron>" for pid in range(1, 31))
            assert {d for (d,) in store.query("SELECT detail FROM contact_events WHERE kind = 'sent'")} \
                == set(handler.ids)
    finally:
        controller.stop()
    # Three connections (three client ports), ten messages each: the batch was dealt out among them.
    assert sorted(Counter(handler.peers).values()) == [10, 10, 10]


class CountingStore:
    """A store counting its write transactions and its reads (``query``), as the worker uses them."""

    def __init__(self, store: Store) -> None:
        self._store, self.transactions, self.reads = store, 0, 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    @contextmanager
    def transaction(self, **options):
        self.transactions += 1
        with self._store.transaction(**options):
            yield

    def query(self, *args):
        self.reads += 1
        return self._store.query(*args)


def test_an_idle_worker_opens_no_write_transaction_and_a_notified_message_goes_at_once(tmp_path, smtp_server):
    with Store(tmp_path / "idle.duckdb") as store:
        no_quiet_hours(store)
        add_person(store, 1, "ann@example.com")
        config = delivery.DeliveryConfig(smtp_host="127.0.0.1", smtp_port=smtp_server.port, backoff=0,
                                         public_url="http://patron.test")
        counting = CountingStore(store.cursor())  # the worker's own cursor, as the service's worker has
        worker = delivery.start(counting, config)  # it puts back what a dead worker left: one transaction
        opened = counting.transactions
        computed = []

        def stable_answer():  # an answer the process keeps until a write transaction commits (a token's user)
            return store.stable(("idle worker probe",), lambda: computed.append(1) or len(computed))

        stable_answer()
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll": 0.05, "poll_max": 5.0})
        thread.start()
        try:
            # Idle, it looks after 0.05, 0.1, 0.2, 0.4, 0.8 and 1.6 s (3.15 s in all), then waits 3.2 s.
            time.sleep(3.5)
            assert counting.transactions == opened, "an idle worker opened a write transaction"
            stable_answer()
            assert computed == [1], "an idle worker ended the process's stable answers"
            assert counting.reads >= 5, f"{counting.reads} looks at the outbox in 3.5 s"

            queue(store, 1, key="idle-1")  # mid-way through its longest wait
            queued = time.monotonic()
            delivery.notify(store)  # as a launch does
            while not smtp_server.messages and time.monotonic() - queued < 10:
                time.sleep(0.01)
            took = time.monotonic() - queued
        finally:
            stop.set()
            thread.join(30)
            worker.close()
            counting.close()
        assert [m["Message-ID"] for _, m in smtp_server.messages] == ["<idle-1@patron>"]
        assert took < 2.0, f"the notified message took {took:.1f} s (its next look was 2.9 s away)"
        assert store.query("SELECT status FROM outbox") == [("sent",)]
