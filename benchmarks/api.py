"""Customer 360 under load: p50 / p95 latency and requests per second.

Usage: python benchmarks/api.py [--customers 1000000] [--clients 8] [--seconds 20] [--keep DIR]
                               [--postgres [--workers N]]

Builds the demo company (simulate, import, analyse) in DIR (reused when it is
already there), starts ``patron serve`` on loopback, and from a second
process sends GET /api/v1/parties/{id} for random customers with N
concurrent clients for a fixed time. The load tool is ``wrk`` when it is
installed (``apt-get install wrk``: written in C, it leaves the two cores to
the server), else a Python client with one thread per connection (which
takes CPU from the server it measures; ``--python`` forces it). Target
(issue 4): p95 under 50 ms with 8 concurrent clients at 1 million customers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def load(url: str, token: str, ids: list[int], clients: int, seconds: float) -> dict:
    """The load generator: runs in its own process (see main)."""
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine, bad = [], 0
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                r = http.get(f"{url}/api/v1/parties/{rng.choice(ids)}")
                mine.append(time.perf_counter() - started)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "errors": errors[0], "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


WRK_SCRIPT = """
local ids = {}
for id in string.gmatch(os.getenv("PATRON_IDS"), "%d+") do ids[#ids + 1] = id end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("PATRON_TOKEN")
math.randomseed(7)
request = function()
  return wrk.format("GET", "/api/v1/parties/" .. ids[math.random(#ids)])
end
done = function(summary, latency, requests)
  io.write(string.format("PATRON %d %d %d %.3f %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def load_wrk(url: str, token: str, ids: list[int], clients: int, seconds: float, folder: Path) -> dict:
    """The same load from wrk, in its own process; latencies as wrk measures them."""
    script = folder / "customer_360.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "PATRON_TOKEN": token, "PATRON_IDS": " ".join(map(str, ids))}
    out = subprocess.run(["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(script), url],
                         capture_output=True, text=True, env=env, check=True).stdout
    found = re.search(r"^PATRON (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", out, re.M)
    if not found:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    n, errors, micros, p50, p95, p99 = found.groups()
    elapsed = int(micros) / 1e6
    return {"requests": int(n), "errors": int(errors), "seconds": elapsed, "rps": int(n) / elapsed,
            "p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99), "tool": "wrk"}


def build(folder: Path, customers: int, store_url: str | None = None) -> tuple[str, str, list[int]]:
    from patron.demo import generate_demo, import_demo
    from patron.service.analyze import analyze
    from patron.areas.users.service import add_user, get_user, issue_token
    from patron.store import Store

    path = store_url or str(folder / "patron.duckdb")
    with Store(path) as store:
        if store.count("parties") == 0:
            t = time.perf_counter()
            generate_demo(folder / "data", customers, 1)
            import_demo(store, folder / "data")
            print(f"demo company of {customers:,} customers built and imported in {time.perf_counter() - t:.0f} s")
            t = time.perf_counter()
            analyze(store)
            print(f"analysed in {time.perf_counter() - t:.0f} s")
        user = get_user(store, "bench") or add_user(store, "bench", "benchmark password", "service")
        token = issue_token(store, user, "benchmark")
        every = [r[0] for r in store.query("SELECT party_id FROM parties")]
        ids = random.Random(5).sample(every, min(5000, len(every)))
    return path, token, ids


def main() -> None:
    if sys.argv[1:2] == ["--load"]:
        url, token, ids_file, clients, seconds = sys.argv[2:7]
        ids = json.loads(Path(ids_file).read_text())
        print(json.dumps(load(url, token, ids, int(clients), float(seconds))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--keep", type=Path, help="folder for the demo store (reused if present)")
    parser.add_argument("--python", action="store_true", help="use the Python load client even if wrk is installed")
    parser.add_argument("--postgres", action="store_true",
                        help="serve from a PostgreSQL server (Debian package postgresql) instead of DuckDB: "
                             "a throwaway one, or with --keep one kept in DIR/pg")
    parser.add_argument("--workers", type=int, default=1,
                        help="patron serve worker processes (more than one needs --postgres)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="patron-api-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.workers > 1 and not args.postgres:
        parser.error("--workers needs --postgres: a DuckDB file has one writing process")
    pg = None
    store_url = None
    if args.postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from postgres_server import PostgresServer

        # With --keep, the cluster lives in DIR/pg and its database is reused by the next run.
        pg = PostgresServer(folder / "pg" if args.keep else None).start()
        store_url = pg.url("patron_bench")
        import psycopg

        with psycopg.connect(pg.url("postgres"), autocommit=True) as con:
            if not con.execute("SELECT 1 FROM pg_database WHERE datname = 'patron_bench'").fetchone():
                con.execute("CREATE DATABASE patron_bench")
    try:
        path, token, ids = build(folder, args.customers, store_url)
        r = measure(path, token, ids, folder, args)
    finally:
        if pg is not None:
            pg.stop()
    engine = "PostgreSQL" if args.postgres else "DuckDB"
    print(f"{args.customers:,} customers on {engine} ({args.workers} worker{'s' * (args.workers > 1)}), "
          f"{args.clients} clients ({r['tool']}), {r['seconds']:.0f} s, "
          f"{os.cpu_count()} cores: "
          f"{r['requests']:,} requests ({r['errors']} errors), {r['rps']:.0f} req/s, "
          f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms  (target: p95 < 50 ms)")


def measure(path: str, token: str, ids: list[int], folder: Path, args) -> dict:
    """Start patron serve on loopback over ``path`` and load it from a second process."""
    ids_file = folder / "ids.json"
    ids_file.write_text(json.dumps(ids))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "patron", "serve", "--port", str(port), "--store", str(path),
                               "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # warm-up, then the measured run, each from a second process
        subprocess.run([sys.executable, __file__, "--load", url, token, str(ids_file), "2", "3"],
                       capture_output=True, check=True)
        if shutil.which("wrk") and not args.python:
            r = load_wrk(url, token, ids, args.clients, args.seconds, folder)
        else:
            out = subprocess.run([sys.executable, __file__, "--load", url, token, str(ids_file), str(args.clients),
                                  str(args.seconds)], capture_output=True, text=True, check=True)
            r = {**json.loads(out.stdout.strip().splitlines()[-1]), "tool": "python client"}
    finally:
        server.terminate()
        server.wait(timeout=10)
    return r


if __name__ == "__main__":
    main()
