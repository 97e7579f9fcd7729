"""Starting a real `patron serve` on loopback for the tests that need one (API, pages, several servers)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(store: str, port: int | None = None, args: tuple[str, ...] = (), wait_s: float = 15, **popen
                ) -> tuple[subprocess.Popen, str]:
    """``patron serve --store STORE [ARGS]`` in its own process, once its health endpoint answers.

    Returns the process and its base URL (``http://127.0.0.1:PORT``). ``popen`` goes to
    :class:`subprocess.Popen` (``stdout``, ``env``...). A server that does not answer within
    ``wait_s`` seconds (15) is stopped and the test fails.
    """
    port = port or free_port()
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    proc = subprocess.Popen([sys.executable, "-m", "patron", "serve", "--port", str(port), "--store", str(store),
                             *args], **popen)
    base = f"http://127.0.0.1:{port}"
    for _ in range(int(wait_s * 10)):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    proc.wait(timeout=10)
    pytest.fail(f"patron serve did not answer on {base}")
