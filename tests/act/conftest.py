"""Real parts for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver of webhooks, on loopback."""

from __future__ import annotations

import datetime as dt
import json
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from serving import free_port


class Inbox:
    """What the SMTP server received: one parsed message per DATA, in order."""

    def __init__(self) -> None:
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [m["Message-ID"] for _, m in self.messages]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


class Receiver(ThreadingHTTPServer):
    def __init__(self, failures: int | None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.failures = failures  # None: fails every time
        self.calls, self.delivered = [], []


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's hook name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        server.calls.append((dict(self.headers), body))
        if server.failures is None or len(server.calls) <= server.failures:
            self.send_response(503)
            self.end_headers()
            return
        server.delivered.append((dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver():
    servers = []

    def start(failures: int | None) -> Receiver:
        server = Receiver(failures)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


NOW = dt.datetime(2026, 12, 2, 12, 0)


def add_person(store, party_id: int, email: str, *, consent: bool | None = True, time_zone: str | None = None,
               purpose: str = "marketing") -> None:
    """A person with an email address and (unless None) a consent row for email and ``purpose``."""
    with store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, name, email, time_zone, created_at) VALUES (?, ?, ?, ?, ?)",
                          [party_id, f"Person {party_id}", email, time_zone, NOW - dt.timedelta(days=400)])
        if consent is not None:
            store.raw.execute(
                "INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, "
                "recorded_at) VALUES (?, 'test', ?, ?, 'email', ?, ?, ?)",
                [store.next_id("consents", "consent_id"), f"c{party_id}", party_id, purpose, consent,
                 NOW - dt.timedelta(days=100)])


def queue(store, party_id: int | None, *, key: str, channel: str = "email", purpose: str | None = "marketing",
          subject: str = "Hello", body: str = "A message", recipient: str | None = None,
          payload: str | None = None) -> int:
    """One queued outbox row, as the campaign producer writes it."""
    with store.transaction():
        message_id = store.next_id("outbox", "message_id")
        store.raw.execute(
            "INSERT INTO outbox (message_id, idempotency_key, party_id, channel, purpose, recipient, subject, body, "
            "payload, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            [message_id, key, party_id, channel, purpose, recipient, subject, body, payload, NOW])
    return message_id


def no_quiet_hours(store) -> None:
    with store.transaction():
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('quiet_hours', 'none', ?)", [NOW])
