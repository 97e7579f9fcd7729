"""The value analysis at scale: DuckDB and Spark (local mode) on the same demo company.

Usage: python benchmarks/scale.py [N ...] [--root DIR] [--reuse] [--engines duckdb-store duckdb-lake spark]
                                  [--spark-master local[2]] [--driver-memory 6g]

For each N (default 1,000,000 and 10,000,000 customers) the demo company is
simulated and imported into a DuckDB store (``python -m patron.demo``), and the
store is exported as a lake (``patron lake export``); ``--reuse`` keeps what an
earlier run left under ``--root``. Then each engine runs the whole value
analysis (summary, BG/NBD + Gamma-Gamma on the compressed histories, scores for
every customer, RFM, ladder, health, triage, scores written), each in its own
process:

- ``duckdb-store``: ``patron analyze`` on the store (scores into the store);
- ``duckdb-lake``: ``patron analyze --lake`` on DuckDB (scores into the lake);
- ``spark``: ``patron analyze --engine spark --lake`` on a local Spark session
  (scores into the lake, written by the executors).

With ``--synthetic`` the lake holds only what a firm's own warehouse might:
``transactions`` (the BG/NBD + Gamma-Gamma log of ``benchmarks/clv.py``, about
3 purchases per customer, columns mapped in ``patron-lake.json``) and
``parties``; the other tables are empty. That is quick to make at 10M customers,
where importing the whole demo company would take most of an hour on 2 cores.

Printed per run: wall time of the analysis (and, for Spark, of starting the
session), CPU seconds of the whole measured process (session start and data
reading included), and the peak memory of the whole process tree (Python, the JVM and
Spark's Python workers), sampled from /proc every 0.1 s. The machine is shared
and small (2 cores), so times are indicative: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ENGINES = ("duckdb-store", "duckdb-lake", "spark")


def tree_usage(pid: int, cpu: dict[int, float]) -> int:
    """Resident bytes of a process and all its descendants, from /proc; records each one's CPU seconds in ``cpu``."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = fields
    total, todo, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        if p in stats:
            fields = stats[p]
            total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            cpu[p] = max(cpu.get(p, 0.0), (int(fields[11]) + int(fields[12])) / tick)  # utime + stime
        todo.extend(children.get(p, []))
    return total


def measured(cmd: list[str], env: dict) -> tuple[dict, float]:
    """Run ``cmd``; its JSON result (last stdout line) with the CPU seconds of its process tree, and peak RSS in GB.

    CPU is summed over every process of the tree as last sampled (every 0.1 s), so a worker that lives
    less than that is missed; it is less sensitive than wall time to other jobs on a shared machine.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak, cpu = [0], {}

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_usage(proc.pid, cpu))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_seconds"] = sum(cpu.values())
    return result, peak[0] / 1e9


def prepare(root: Path, n: int, reuse: bool) -> tuple[Path, Path]:
    """The demo company of ``n`` customers as a store and as a lake under ``root/n``."""
    base = root / str(n)
    store, lake = base / "patron.duckdb", base / "lake"
    if reuse and store.exists() and (lake / "transactions").is_dir():
        return store, lake
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "patron.demo", "--customers", str(n), "--seed", "1",
                    "--out", str(base / "data"), "--store", str(store)], check=True, stdout=subprocess.DEVNULL)
    child(["export", str(store), str(lake)])
    print(f"  prepared {n:,} customers in {time.perf_counter() - started:.0f} s")
    return store, lake


def prepare_synthetic(root: Path, n: int, reuse: bool) -> Path:
    """A lake of transactions and parties only, from the simulator of benchmarks/clv.py."""
    import duckdb

    lake = root / f"synthetic-{n}" / "lake"
    if reuse and (lake / "transactions").is_dir():
        return lake
    shutil.rmtree(lake.parent, ignore_errors=True)
    (lake / "transactions").mkdir(parents=True)
    (lake / "parties").mkdir()
    sys.path.insert(0, str(Path(__file__).parent))
    from clv import generate

    started = time.perf_counter()
    generate(lake / "transactions" / "part-0.parquet", n)
    con = duckdb.connect()
    con.execute(f"COPY (SELECT customer_id AS party_id, 'person' AS kind, 'customer' AS category, "
                f"min(date)::TIMESTAMP AS created_at, NULL::TIMESTAMP AS acquired_at, NULL::BIGINT AS referred_by "
                f"FROM read_parquet('{lake / 'transactions' / 'part-0.parquet'}') GROUP BY customer_id) "
                f"TO '{lake / 'parties' / 'part-0.parquet'}' (FORMAT parquet)")
    (lake / "patron-lake.json").write_text(json.dumps({"columns": {"transactions": {
        "party_id": "customer_id", "occurred_at": "date", "revenue": "amount"}}}))
    print(f"  prepared a synthetic lake of {n:,} customers in {time.perf_counter() - started:.0f} s")
    return lake


def child(argv: list[str]) -> None:
    """In the measured process: one analysis, its result as JSON on the last line."""
    from patron.service.analyze import analyze
    from patron.store import Store

    what = argv[0]
    if what == "export":
        from patron.engines.lake import export_lake

        with Store(argv[1], read_only=True) as store:
            export_lake(store, argv[2])
        return
    started = time.perf_counter()
    session_s = 0.0
    steps: dict[str, float] = {}
    last = [started, None]

    def progress(step: str, fraction: float) -> None:  # seconds spent in each step of the run
        now = time.perf_counter()
        if last[1] is not None:
            steps[last[1]] = round(now - last[0], 1)
        last[:] = [now, step]

    if what == "duckdb-store":
        with Store(argv[1]) as store:
            result = analyze(store, progress=progress)
    else:
        from patron.engines import open_lake
        from patron.service.lake import analyze_lake

        options = {}
        if what == "spark":
            from patron.engines.spark import spark_session

            options["session"] = spark_session(argv[3], {"spark.driver.memory": argv[4]})
            options["session"].sparkContext.setLogLevel("ERROR")
            session_s = time.perf_counter() - started
        lake = open_lake(argv[2], "duckdb" if what == "duckdb-lake" else "spark", **options)
        started = last[0] = time.perf_counter()
        result = analyze_lake(lake, progress=progress)
    print(json.dumps({"seconds": time.perf_counter() - started, "session_seconds": session_s, "steps": steps,
                      "customers": result.customers, "parties": result.parties,
                      "histories": result.diagnostics.get("compressed_histories")}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--root", type=Path, default=Path("/tmp/patron-scale"))
    parser.add_argument("--reuse", action="store_true", help="keep the data an earlier run prepared")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--synthetic", action="store_true", help="transactions and parties only (no store)")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--driver-memory", default="6g", help="Spark driver (= executor in local mode) heap")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                         os.environ.get("PYTHONPATH", "")])}
    rows = []
    for n in args.sizes:
        if args.synthetic:
            store, lake = None, prepare_synthetic(args.root, n, args.reuse)
        else:
            store, lake = prepare(args.root, n, args.reuse)
        for engine in args.engines:
            if store is None and engine == "duckdb-store":
                continue
            cmd = [sys.executable, __file__, "--child", engine, str(store), str(lake), args.spark_master,
                   args.driver_memory]
            result, peak = measured(cmd, env)
            rows.append((n, engine, result, peak))
            print(f"  {n:>11,} {engine:13} {result['seconds']:7.1f} s  cpu {result['cpu_seconds']:7.1f} s  "
                  f"peak {peak:5.2f} GB  steps (s): "
                  + ", ".join(f"{k} {v}" for k, v in result["steps"].items()), flush=True)
    print(f"\n{'customers':>11}  {'engine':13} {'parties':>11} {'histories':>9} {'analysis s':>10} "
          f"{'session s':>9} {'CPU s':>7} {'peak GB':>7}")
    for n, engine, r, peak in rows:
        print(f"{n:>11,}  {engine:13} {r['parties']:>11,} {r['histories'] or 0:>9,} {r['seconds']:>10.1f} "
              f"{r['session_seconds']:>9.1f} {r['cpu_seconds']:>7.0f} {peak:>7.2f}")
    print(f"\n{os.cpu_count()} cores; load average when done: {os.getloadavg()[0]:.1f} (others share this machine)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
