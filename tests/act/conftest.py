"""Real parts for delivery tests: an SMTP server (aiosmtpd) and an HTTP receiver of webhooks, on loopback."""

from __future__ import annotations

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

    async def handle_DATA(self, server, session, envelope):
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
    def do_POST(self):
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
