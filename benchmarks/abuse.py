"""The customer 360 and a write while the service is abused: a login flood, a garbage file, oversized uploads.

Usage: python benchmarks/abuse.py [--customers 2000] [--clients 8] [--seconds 15] [--garbage-mb 200]
                                 [--flood 8] [--keep DIR] [--phases quiet,flood,garbage,oversized]

Builds the demo company (simulate, import, analyse) in DIR (a temporary folder unless ``--keep``), starts a
fresh ``patron serve`` on loopback (its temporary folder inside DIR), and runs one phase after the other, each
``--seconds`` long. In every phase ``--clients`` threads read random customers' 360 (GET /api/v1/parties/{id})
and one thread logs interactions (POST /api/v1/parties/{id}/interactions); the phases add:

- ``quiet``: nothing;
- ``login flood``: ``--flood`` threads posting wrong passwords to POST /api/v1/tokens as they can;
- ``garbage file``: one upload of a ``--garbage-mb`` MB file with a valid header and random lines through
  POST /api/v1/imports, followed to its end: how long until its clear error, and the server's memory;
- ``oversized uploads``: two threads streaming 520 MB bodies to POST /api/v1/imports/preview, each refused
  with a 413, over and over; and whether any temporary file stays behind.

Prints per phase the 360's and the write's median and p95 (ms), the abuse's own counts, the server's CPU
seconds in the phase, its peak resident memory and the machine's load average. Loopback only; every phase ends on time.
Target (issue 12): 360 and write p95 under 250 ms with 8 clients under abuse; the garbage file refused with a
clear error within 60 s and under 1 GB of memory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

PASSWORD = "a long enough password"
OVERSIZED = 520 * 1024 * 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(folder: Path, customers: int) -> tuple[Path, str, list[int]]:
    """The demo store in ``folder`` (reused when there), an admin's token and the customers' ids."""
    from patron.areas.users.service import add_user, issue_token
    from patron.demo import generate_demo, import_demo
    from patron.service.analyze import analyze
    from patron.store import Store

    path = folder / "patron.duckdb"
    fresh = not path.exists()
    with Store(path) as store:
        if fresh:
            print(f"building the demo store ({customers:,} customers) in {folder}", flush=True)
            generate_demo(folder / "data", customers, 7)
            import_demo(store, folder / "data")
            analyze(store)
        name = f"bench{int(time.time())}"
        token = issue_token(store, add_user(store, name, PASSWORD, "admin"), "abuse")
        ids = [r[0] for r in store.query("SELECT party_id FROM parties WHERE category = 'customer'")]
    return path, token, ids


def garbage_file(path: Path, megabytes: int) -> None:
    """A transactions header, then random printable lines: nothing in it is a record."""
    rng = random.Random(3)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ,;.-/"
    with open(path, "w", encoding="ascii") as out:
        out.write("customer_id,date,amount\n")
        written = 0
        block = "".join(rng.choice(alphabet) for _ in range(1 << 16))
        while written < megabytes << 20:
            start = rng.randrange(0, len(block) - 200)
            line = block[start:start + rng.randrange(10, 120)] + "\n"
            out.write(line * 64)
            written += len(line) * 64


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far, in seconds (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Phase:
    """Readers and a writer for ``seconds``, with ``abuse`` (a callable given the stop event) alongside."""

    def __init__(self, base: str, token: str, ids: list[int], clients: int, seconds: float) -> None:
        self.base, self.token, self.ids, self.clients, self.seconds = base, token, ids, clients, seconds
        self.reads: list[float] = []
        self.writes: list[float] = []
        self.errors: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def _reader(self, stop: threading.Event, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60) as c:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    r = c.get(f"/api/v1/parties/{rng.choice(self.ids)}")
                except httpx.HTTPError as exc:
                    self._count(f"360 {type(exc).__name__}")
                    continue
                self.reads.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    self._count(f"360 {r.status_code}")

    def _writer(self, stop: threading.Event) -> None:
        rng = random.Random(99)
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.token}"}, timeout=60) as c:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    r = c.post(f"/api/v1/parties/{rng.choice(self.ids)}/interactions",
                               json={"channel": "phone", "direction": "inbound", "subject": "abuse benchmark"})
                except httpx.HTTPError as exc:
                    self._count(f"write {type(exc).__name__}")
                    continue
                self.writes.append((time.perf_counter() - started) * 1000)
                if r.status_code != 201:
                    self._count(f"write {r.status_code}")
                stop.wait(0.05)

    def run(self, abuse=None) -> dict:
        stop = threading.Event()
        threads = [threading.Thread(target=self._reader, args=(stop, n), daemon=True) for n in range(self.clients)]
        threads.append(threading.Thread(target=self._writer, args=(stop,), daemon=True))
        extra: dict = {}
        if abuse is not None:
            threads.append(threading.Thread(target=abuse, args=(stop, extra), daemon=True))
        for t in threads:
            t.start()
        stop.wait(self.seconds)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        return extra


def login_flood(base: str, threads: int):
    def abuse(stop: threading.Event, extra: dict) -> None:
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def one(n: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                i = 0
                while not stop.is_set():
                    i += 1
                    try:
                        r = c.post("/api/v1/tokens", json={"username": f"victim{(n * 1000 + i) % 40}",
                                                           "password": f"guess {i}"})
                        status = r.status_code
                    except httpx.HTTPError:
                        status = -1
                    with lock:
                        statuses[status] = statuses.get(status, 0) + 1

        workers = [threading.Thread(target=one, args=(n,), daemon=True) for n in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        extra["sign-ins tried"] = sum(statuses.values())
        extra["answers"] = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    return abuse


def garbage_upload(base: str, token: str, path: Path, pid: int):
    def abuse(stop: threading.Event, extra: dict) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        peak = rss_mb(pid)
        with httpx.Client(base_url=base, headers=headers, timeout=600) as c, open(path, "rb") as fh:
            r = c.post("/api/v1/imports", params={"kind": "transactions", "source": "garbage"},
                       files={"file": ("garbage.csv", fh, "text/csv")})
            uploaded = time.perf_counter() - started
            if r.status_code != 202:
                extra["refused at upload"] = f"{r.status_code}: {r.text[:200]}"
                return
            job = r.json()["job_id"]
            while True:  # followed to its end, even past the phase: the figure is how long it takes
                peak = max(peak, rss_mb(pid))
                state = c.get(f"/api/v1/jobs/{job}").json()
                if state["status"] in ("done", "failed"):
                    break
                time.sleep(0.25)
        extra["upload s"] = round(uploaded, 1)
        extra["until its error s"] = round(time.perf_counter() - started, 1)
        extra["job"] = state["status"]
        extra["error"] = (state.get("error") or "")[:160]
        extra["server RSS during it, MB (peak sampled)"] = round(peak)
    return abuse


def oversized_uploads(base: str, token: str, tmp: Path):
    def abuse(stop: threading.Event, extra: dict) -> None:
        answers: dict[str, int] = {}
        seconds: list[float] = []
        lock = threading.Lock()

        def body():
            boundary = "abuse"
            yield (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
                   "Content-Type: text/csv\r\n\r\n").encode()
            piece = b"0" * (1 << 20)
            for _ in range(OVERSIZED >> 20):  # a body cut short would be a malformed upload, not an oversized one
                yield piece
            yield f"\r\n--{boundary}--\r\n".encode()

        def one() -> None:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
                while not stop.is_set():
                    started = time.perf_counter()
                    try:
                        r = c.post("/api/v1/imports/preview", content=body(),
                                   headers={"Content-Type": "multipart/form-data; boundary=abuse"})
                        answer = str(r.status_code)
                    except httpx.HTTPError as exc:
                        answer = type(exc).__name__
                    with lock:
                        answers[answer] = answers.get(answer, 0) + 1
                        if answer == "413":
                            seconds.append(time.perf_counter() - started)

        workers = [threading.Thread(target=one, daemon=True) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        extra["answers"] = ", ".join(f"{k}: {v}" for k, v in sorted(answers.items()))
        extra["s to a 413 (median)"] = round(statistics.median(seconds), 1) if seconds else None
        left = [p for p in tmp.rglob("*") if p.is_file() and p.name != ".owner"]
        extra["temporary files left"] = len(left)
    return abuse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--garbage-mb", type=int, default=200)
    parser.add_argument("--flood", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the demo store in this folder")
    parser.add_argument("--phases", default="quiet,flood,garbage,oversized",
                        help="which phases to run, comma-separated, in this order (default: all four)")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="patron-abuse-"))
    folder.mkdir(parents=True, exist_ok=True)
    path, token, ids = build(folder, args.customers)
    garbage = folder / "garbage.csv"
    if not garbage.exists() or garbage.stat().st_size < args.garbage_mb << 20:
        garbage_file(garbage, args.garbage_mb)
    tmp = folder / "tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "patron", "serve", "--store", str(path), "--port", str(port),
                               "--no-triggers", "--no-delivery"], env={**os.environ, "TMPDIR": str(tmp)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            sys.exit("patron serve did not start")
        offered = {"quiet": ("quiet", None), "flood": ("login flood", login_flood(base, args.flood)),
                   "garbage": ("garbage file", garbage_upload(base, token, garbage, server.pid)),
                   "oversized": ("oversized uploads", oversized_uploads(base, token, tmp))}
        phases = [offered[name.strip()] for name in args.phases.split(",") if name.strip()]
        print(f"{len(ids):,} customers, {args.clients} readers + 1 writer, {args.seconds:.0f} s a phase; "
              f"garbage file {garbage.stat().st_size / 1e6:.0f} MB", flush=True)
        for name, abuse in phases:
            phase = Phase(base, token, ids, args.clients, args.seconds)
            cpu = cpu_seconds(server.pid)
            extra = phase.run(abuse)
            cpu = cpu_seconds(server.pid) - cpu
            load = os.getloadavg()
            print(f"\n{name}: 360 n={len(phase.reads)} median {statistics.median(phase.reads):.0f} ms, "
                  f"p95 {percentile(phase.reads, 0.95):.0f} ms; write n={len(phase.writes)} median "
                  f"{statistics.median(phase.writes) if phase.writes else float('nan'):.0f} ms, "
                  f"p95 {percentile(phase.writes, 0.95):.0f} ms; server CPU {cpu:.1f} s; load {load[0]:.1f} {load[1]:.1f}",
                  flush=True)
            if phase.errors:
                print(f"  errors: {phase.errors}")
            for key, value in extra.items():
                print(f"  {key}: {value}")
        print(f"\nserver peak resident memory over the run: {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
