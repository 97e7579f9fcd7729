"""``benchmarks/clv.py --end-to-end``: the commands a user runs, as fresh processes, beside lifetimes.

Usage: python benchmarks/clv.py --end-to-end [N] [--runs K] [--no-lifetimes] [--keep DIR] [--no-import]

Generates N customers (about 3 transactions each) from the known BG/NBD + Gamma-Gamma process of
``benchmarks/clv.py`` into a Parquet file and the same rows as an order CSV (customer key, order
date, amount). Then, K times, in the same run and each as a fresh process:

1. ``patron import transactions FILE --create-parties`` into an empty store (N new customers);
2. ``patron analyze`` over it: everything computed, persisted and summarised, as a user runs it;
3. the ``lifetimes`` CLV-only job (summary, BG/NBD and Gamma-Gamma fits, P(alive), 12-month CLV) on
   the Parquet file, imports and reading included;
4. the phases of ``patron analyze``: the same value run and summary as the command, in a fresh
   process of its own that times each phase (Python imports, reading and summarising the
   transactions, fitting, intervals, scoring, relationship measures, persisting the scores,
   printing the summaries), with CPU seconds beside wall seconds.

Every figure is the child process's own: wall seconds, user + system CPU seconds and peak resident
memory (``os.wait4``). Prints every run and the median. The targets (issue 13, 2 cores, 1M
customers): analyze <= 5 s, import <= 10 s; 10M customers analysed <= 60 s, < 6 GB.
On a shared machine wall seconds stretch with the load; CPU seconds much less.

``--keep DIR`` writes the generated files into DIR and reuses them on the next call with the same N (they
take a minute to make at 1M), and keeps the first run's imported store as ``DIR/imported.duckdb``;
``--no-import`` (with ``--keep``) analyses a copy of that store instead of importing again, for timing
``patron analyze`` alone.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent




def _timed(args: list[str], env: dict | None = None) -> dict:
    """Like :func:`_run`, with the child's own rusage from ``wait4``."""
    t = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # communicate() would reap the child before wait4 sees it: read the pipes, then wait4.
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": time.perf_counter() - t, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "rc": child.returncode,
            "out": out.decode(errors="replace"), "err": err.decode(errors="replace")}


def write_csv(parquet: Path, csv: Path) -> None:
    import duckdb

    duckdb.connect().execute(
        f"COPY (SELECT 'C' || customer_id::VARCHAR AS customer_id, strftime(date, '%Y-%m-%d') AS order_date, "
        f"round(amount, 2) AS amount FROM read_parquet('{parquet}')) TO '{csv}' (HEADER)")


PHASES = r'''
import io, json, resource, sys, time
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF); return u.ru_utime + u.ru_stime
marks = []
def mark(name, t, c): marks.append((name, time.perf_counter() - t, cpu() - c))
t, c = time.perf_counter(), cpu()
import patron.cli.app  # what `patron` imports before it runs a command
from patron.service import analyze as A
from patron.models import scoring
from patron.engines import store as ES
from patron.cli import report
from patron.store import Store
mark("python imports", t, c)
timers = {}
def timed(owner, attr, name):
    original = getattr(owner, attr)
    def wrapper(*a, **k):
        t, c = time.perf_counter(), cpu()
        try:
            return original(*a, **k)
        finally:
            w, u = timers.get(name, (0.0, 0.0))
            timers[name] = (w + time.perf_counter() - t, u + cpu() - c)
    setattr(owner, attr, wrapper)
timed(scoring, "run_intervals", "intervals (in fitting)")
steps = {}
last = [time.perf_counter(), cpu(), None]
def progress(step, fraction):
    now, c = time.perf_counter(), cpu()
    if last[2] is not None:
        steps[last[2]] = (now - last[0], c - last[1])
    last[:] = [now, c, step]
t, c = time.perf_counter(), cpu()
s = Store(sys.argv[1])
mark("open store", t, c)
t, c = time.perf_counter(), cpu()
result = A.analyze(s, A.AnalysisSettings(), progress=progress)
total = (time.perf_counter() - t, cpu() - c)
names = {"summaries": "reading + summarising transactions", "fitting models": "fitting (with intervals)",
         "scoring customers": "scoring", "relationship measures": "RFM, ladder, health, profit (persisted)",
         "saving scores": "persisting scores"}
for step, (w, u) in steps.items():
    marks.append((names.get(step, step), w, u))
for name, (w, u) in timers.items():
    marks.append((name, w, u))
marks.append(("value run (all of the above)", *total))
report.console.file = io.StringIO()
t, c = time.perf_counter(), cpu()
report.print_model(result)
report.print_value_summary(s, result.run_id)
mark("printing the summaries", t, c)
print(json.dumps(marks))
'''


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(HERE))
    import clv  # the generator and the lifetimes side of benchmarks/clv.py

    valued = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--runs", "--keep")}
    args = [a for a in argv if not a.startswith("--") and a not in valued]
    n = int(args[0]) if args else 1_000_000
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    with_lifetimes = "--no-lifetimes" not in argv
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    reuse_import = "--no-import" in argv
    if reuse_import and (keep is None or not (keep / "imported.duckdb").exists()):
        raise SystemExit("--no-import needs --keep DIR with an imported store from an earlier call.")
    python = sys.executable
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", str(HERE.parent / "src"))
    env["COLUMNS"] = "120"
    with tempfile.TemporaryDirectory(prefix="patron-e2e-") as scratch:
        tmp = Path(scratch) if keep is None else keep
        tmp.mkdir(parents=True, exist_ok=True)
        parquet, csv, made_for = tmp / "transactions.parquet", tmp / "orders.csv", tmp / "customers.txt"
        t = time.perf_counter()
        kept = parquet.exists() and csv.exists() and made_for.exists() and made_for.read_text().strip() == str(n)
        if not kept:
            (tmp / "imported.duckdb").unlink(missing_ok=True)
            rows = clv.generate(parquet, n)
            write_csv(parquet, csv)
            made_for.write_text(str(n))
        else:
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(parquet).metadata.num_rows
        print(f"{n:,} customers, {rows:,} transactions ({csv.stat().st_size / 1e6:.0f} MB CSV) "
              f"{'reused from ' + str(tmp) if kept else 'generated'} in {time.perf_counter() - t:.1f} s; "
              f"{os.cpu_count()} cores; python {sys.version.split()[0]}")
        results: dict[str, list[dict]] = {"import": [], "analyze": [], "lifetimes": []}
        phases: list[list] = []
        for k in range(runs):
            store = tmp / f"store{k}.duckdb"
            base = tmp / f"base{k}.duckdb"
            if reuse_import:
                base.write_bytes((tmp / "imported.duckdb").read_bytes())
            else:
                imp = _timed([python, "-m", "patron", "import", "transactions", str(csv), "--create-parties",
                              "--store", str(base)], env)
                _check(imp, "patron import")
                results["import"].append(imp)
                if keep is not None and k == 0:
                    (tmp / "imported.duckdb").write_bytes(base.read_bytes())
            store.write_bytes(base.read_bytes())  # the phase run gets the same store as the command
            ana = _timed([python, "-m", "patron", "analyze", "--store", str(base)], env)
            _check(ana, "patron analyze")
            results["analyze"].append(ana)
            if with_lifetimes:
                lt = _timed([python, str(HERE / "clv.py"), "--side", "lifetimes-process", str(parquet)], env)
                _check(lt, "lifetimes")
                results["lifetimes"].append(lt)
            ph = _timed([python, "-c", PHASES, str(store)], env)
            _check(ph, "analyze phases")
            phases.append(json.loads(ph["out"].strip().splitlines()[-1]))
            for f in (store, base):
                f.unlink(missing_ok=True)
            line = (f"run {k + 1}: " + (f"import {imp['wall']:.2f} s, " if not reuse_import else "")
                    + f"analyze {ana['wall']:.2f} s"
                    + (f", lifetimes {results['lifetimes'][-1]['wall']:.2f} s" if with_lifetimes else ""))
            print(line, flush=True)
    _print(results, phases, n)


def _check(r: dict, what: str) -> None:
    if r["rc"] != 0:
        tail = "\n".join((r["err"] or r["out"]).strip().splitlines()[-8:])
        raise SystemExit(f"{what} failed ({r['rc']}):\n{tail}")


def _print(results: dict, phases: list, n: int) -> None:
    print(f"\n{'fresh process':34}{'runs (wall s)':>30}{'median s':>10}{'CPU s':>8}{'peak MB':>9}")
    medians = {}
    for name, label in (("import", "patron import (1 file, new customers)"), ("analyze", "patron analyze"),
                        ("lifetimes", "lifetimes CLV-only job")):
        rs = results[name]
        if not rs:
            continue
        walls = [r["wall"] for r in rs]
        medians[name] = statistics.median(walls)
        print(f"{label[:34]:34}{', '.join(f'{w:.2f}' for w in walls):>30}{medians[name]:>10.2f}"
              f"{statistics.median(r['cpu'] for r in rs):>8.2f}{max(r['peak_mb'] for r in rs):>9.0f}")
    if "lifetimes" in medians:
        print(f"lifetimes / patron analyze: {medians['lifetimes'] / medians['analyze']:.1f}x "
              f"(target >= 8x); targets at 1M: analyze <= 5 s, import <= 10 s")
    print(f"\nphases of patron analyze (median of {len(phases)} fresh processes; wall s / CPU s)")
    names = [m[0] for m in phases[0]]
    for name in names:
        ws = [{m[0]: m[1] for m in p}.get(name, 0.0) for p in phases]
        cs = [{m[0]: m[2] for m in p}.get(name, 0.0) for p in phases]
        print(f"  {name:44}{statistics.median(ws):>8.2f}{statistics.median(cs):>8.2f}   "
              f"({', '.join(f'{w:.2f}' for w in ws)})")
