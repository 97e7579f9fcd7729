"""The server's CPU time per request over HTTP: what decides whether two cores can meet a p95 under load.

Usage: python benchmarks/server_cpu.py STORE [--seconds 10] [--clients 8] [--kind 360 --kind list ...]

Starts ``patron serve`` on loopback over STORE (a store ``benchmarks/api.py --synthetic --keep DIR`` built:
DIR/search.duckdb), loads it with ``wrk`` (``apt-get install wrk``) and prints, for each kind of request, the
requests per second, p50 / p95 and the server process's CPU milliseconds per request (every thread's, from
/proc: DuckDB's threads and the HTTP framework's included). Unlike the latencies, the CPU per request hardly
depends on what else a shared machine runs. ``404`` (the 360 of a party that does not exist: token check, one
point query, an error answer) is the floor every authenticated request pays.

With C cores and N closed-loop clients, a p95 of P ms needs roughly CPU per request <= P * C / N / 1.5.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import WRK_SCRIPT, request_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="a DuckDB store file (benchmarks/api.py --synthetic --keep DIR: DIR/search.duckdb)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kind", action="append", choices=["404", "360", "search", "list"])
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("This benchmark needs wrk (apt-get install wrk).")
    from patron.areas.users.service import add_user, get_user, issue_token
    from patron.store import Store

    with Store(args.store) as store:
        user = get_user(store, "bench") or add_user(store, "bench", "benchmark password", "service")
        token = issue_token(store, user, "benchmark")
    folder = Path(tempfile.mkdtemp(prefix="patron-server-cpu-"))
    kinds = args.kind or ["404", "360", "search", "list"]
    files = {}
    for kind in kinds:
        paths = ["/api/v1/parties/0"] if kind == "404" else request_paths(args.store, kind)
        files[kind] = folder / f"paths-{kind}.txt"
        files[kind].write_text("\n".join(paths) + "\n")
    (folder / "requests.lua").write_text(WRK_SCRIPT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "patron", "serve", "--port", str(port), "--store", args.store],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def cpu() -> float:
        fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        import httpx

        for _ in range(1200):
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        for kind in kinds:
            env = {**os.environ, "PATRON_TOKEN": token, "PATRON_PATHS": str(files[kind])}
            script = str(folder / "requests.lua")
            subprocess.run([wrk, "-t2", "-c2", "-d3s", "-s", script, url], check=False, capture_output=True, env=env)  # warm-up
            load = Path("/proc/loadavg").read_text().split()[0]
            before = cpu()
            out = subprocess.run([wrk, f"-t{min(args.clients, 2)}", f"-c{args.clients}", f"-d{args.seconds}s", "-s",
                                  script, url], check=False, capture_output=True, text=True, env=env).stdout
            used = cpu() - before
            found = re.search(r"^PATRON (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$", out, re.MULTILINE)
            if not found:
                raise SystemExit(f"could not read wrk's output:\n{out}")
            n, errors, micros, p50, p95, _ = found.groups()
            n = int(n)
            print(f"{kind:6s} {n / (int(micros) / 1e6):6.1f} req/s  p50 {float(p50):7.1f} ms  p95 {float(p95):7.1f} ms  "
                  f"server CPU {1000 * used / max(n, 1):6.2f} ms/request  ({n} requests, {errors} errors or 404s, "
                  f"{args.clients} clients, load {load})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
