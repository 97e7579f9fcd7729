"""Customer 360, search and list pages under load: p50 / p95 latency and requests per second.

Usage: python benchmarks/api.py [--customers 1000000] [--clients 8] [--seconds 20] [--keep DIR]
                               [--postgres [--workers N]] [--kind 360 --kind search --kind list] [--synthetic]

Builds the demo company (simulate, import, analyse) in DIR (reused when it is
already there), starts ``patron serve`` on loopback, and from a second
process sends requests of each ``--kind`` with N concurrent clients for a
fixed time, one kind after the other:

- ``360``: GET /api/v1/parties/{id} for random customers;
- ``search``: GET /api/v1/parties?q=... for a surname typed without accents, a given name and a surname in
  the other order, a phone number in another format, an order number and an email of random customers;
- ``list``: GET /api/v1/customers filtered (triage "best", CLV 100-2,000), sorted by CLV, page 1 and page 50
  (by its cursor).

``--synthetic`` builds the store as ``benchmarks/search.py`` does (straight with SQL, 20 s for a million
customers) instead of the demo company (much slower to build and analyse). The load tool is ``wrk`` when it is
installed (``apt-get install wrk``: written in C, it leaves the two cores to
the server), else a Python client with one thread per connection (which
takes CPU from the server it measures; ``--python`` forces it). Target
(issues 4 and 11): p95 under 50 ms for the 360 and under 100 ms for search and list pages, with 8
concurrent clients at 1 million customers.
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


def load(url: str, token: str, paths: list[str], clients: int, seconds: float) -> dict:
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
                r = http.get(f"{url}{rng.choice(paths)}")
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
local paths = {}
for line in io.lines(os.getenv("PATRON_PATHS")) do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("PATRON_TOKEN")
math.randomseed(7)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  io.write(string.format("PATRON %d %d %d %.3f %.3f %.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def load_wrk(url: str, token: str, paths_file: Path, clients: int, seconds: float, folder: Path) -> dict:
    """The same load from wrk, in its own process; latencies as wrk measures them."""
    script = folder / "requests.lua"
    script.write_text(WRK_SCRIPT)
    env = {**os.environ, "PATRON_TOKEN": token, "PATRON_PATHS": str(paths_file)}
    out = subprocess.run(["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{int(seconds)}s", "-s", str(script), url],
                         capture_output=True, text=True, env=env, check=True).stdout
    found = re.search(r"^PATRON (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", out, re.M)
    if not found:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    n, errors, micros, p50, p95, p99 = found.groups()
    elapsed = int(micros) / 1e6
    return {"requests": int(n), "errors": int(errors), "seconds": elapsed, "rps": int(n) / elapsed,
            "p50_ms": float(p50), "p95_ms": float(p95), "p99_ms": float(p99), "tool": "wrk"}


def build(folder: Path, customers: int, store_url: str | None = None, synthetic: bool = False) -> tuple[str, str]:
    from patron.areas.users.service import add_user, get_user, issue_token
    from patron.store import Store

    path = store_url or str(folder / ("search.duckdb" if synthetic else "patron.duckdb"))
    if synthetic:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from search import build as build_synthetic

        build_synthetic(path, customers)
    with Store(path) as store:
        if store.count("parties") == 0:
            from patron.demo import generate_demo, import_demo
            from patron.service.analyze import analyze

            t = time.perf_counter()
            generate_demo(folder / "data", customers, 1)
            import_demo(store, folder / "data")
            print(f"demo company of {customers:,} customers built and imported in {time.perf_counter() - t:.0f} s")
            t = time.perf_counter()
            analyze(store)
            print(f"analysed in {time.perf_counter() - t:.0f} s")
        user = get_user(store, "bench") or add_user(store, "bench", "benchmark password", "service")
        token = issue_token(store, user, "benchmark")
    return path, token


def request_paths(path: str, kind: str) -> list[str]:
    """The GET paths of one kind of request (see the module's docstring), from the store's own rows."""
    from urllib.parse import quote

    from patron.areas.parties.lists import customer_list
    from patron.service.permissions import User
    from patron.areas.parties.service import fold
    from patron.store import Store

    rng = random.Random(5)
    with Store(path) as store:
        every = [r[0] for r in store.query("SELECT party_id FROM parties")]
        if kind == "360":
            return [f"/api/v1/parties/{i}" for i in rng.sample(every, min(5000, len(every)))]
        if kind == "list":
            filters = json.dumps([{"field": "triage", "op": "eq", "value": "best"},
                                  {"field": "clv", "op": "between", "value": [100, 2000]}])
            cursor, user = None, User(0, "bench", "service")
            for _ in range(49):
                cursor = customer_list(store, user, filters, sort="-clv", cursor=cursor, limit=50)["next_cursor"]
            page = f"/api/v1/customers?filters={quote(filters)}&sort=-clv&limit=50"
            return [page, f"{page}&cursor={quote(cursor or '')}"]
        chosen = rng.sample(every, min(300, len(every)))
        marks = ", ".join("?" for _ in chosen)
        people = store.query(f"SELECT name, email, phone FROM parties WHERE party_id IN ({marks})", chosen)
        documents = [r[0] for r in store.query(
            f"SELECT document FROM transactions WHERE document IS NOT NULL AND party_id IN ({marks})", chosen)]
    queries = []
    for name, email, phone in people:
        named = [w for w in re.split(r"[\s\-.,']+", fold(name or "")) if w.isalpha()]
        if len(named) >= 2:
            queries += [fold(named[-1]), f"{named[-1]} {named[0]}"]  # a surname unaccented; two words reversed
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) >= 8:
            queries.append(" ".join(digits[i:i + 3] for i in range(0, len(digits), 3)))  # the phone regrouped
        if email:
            queries.append(email)
    queries += documents[:100]
    return [f"/api/v1/parties?q={quote(q)}" for q in queries]


def main() -> None:
    if sys.argv[1:2] == ["--load"]:
        url, token, paths_file, clients, seconds = sys.argv[2:7]
        paths = Path(paths_file).read_text().splitlines()
        print(json.dumps(load(url, token, paths, int(clients), float(seconds))))
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
    parser.add_argument("--kind", action="append", choices=KINDS,
                        help="the requests to send, one kind after the other (default: all three)")
    parser.add_argument("--synthetic", action="store_true",
                        help="build the store as benchmarks/search.py does (fast) instead of the demo company")
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
        path, token = build(folder, args.customers, store_url, args.synthetic)
        kinds = args.kind or list(KINDS)
        results = measure(path, token, {k: request_paths(path, k) for k in kinds}, folder, args)
    finally:
        if pg is not None:
            pg.stop()
    engine = "PostgreSQL" if args.postgres else "DuckDB"
    for kind, r in results.items():
        print(f"{kind:6s} {args.customers:,} customers on {engine} ({args.workers} worker{'s' * (args.workers > 1)}), "
              f"{args.clients} clients ({r['tool']}), {r['seconds']:.0f} s, {os.cpu_count()} cores: "
              f"{r['requests']:,} requests ({r['errors']} errors), {r['rps']:.0f} req/s, "
              f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms  "
              f"(target: p95 < {KINDS[kind]} ms)")


#: The kinds of request and their p95 targets, ms.
KINDS = {"360": 50, "search": 100, "list": 100}


def measure(path: str, token: str, paths: dict[str, list[str]], folder: Path, args) -> dict[str, dict]:
    """Start patron serve on loopback over ``path`` and load it from a second process, each kind in turn."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "patron", "serve", "--port", str(port), "--store", str(path),
                               "--workers", str(args.workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    results = {}
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for kind, kind_paths in paths.items():
            paths_file = folder / f"paths-{kind}.txt"
            paths_file.write_text("\n".join(kind_paths) + "\n")
            # warm-up, then the measured run, each from a second process
            subprocess.run([sys.executable, __file__, "--load", url, token, str(paths_file), "2", "3"],
                           capture_output=True, check=True)
            if shutil.which("wrk") and not args.python:
                results[kind] = load_wrk(url, token, paths_file, args.clients, args.seconds, folder)
            else:
                out = subprocess.run([sys.executable, __file__, "--load", url, token, str(paths_file),
                                      str(args.clients), str(args.seconds)], capture_output=True, text=True, check=True)
                results[kind] = {**json.loads(out.stdout.strip().splitlines()[-1]), "tool": "python client"}
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results


if __name__ == "__main__":
    main()
