"""Do two versions of patron save the same scores? Every column of every row, compared exactly.

Usage: python benchmarks/same_scores.py STORE BEFORE_SRC AFTER_SRC [--threads T] [--keep DIR]

STORE is a DuckDB store with transactions (``patron import`` or ``patron demo`` made it); BEFORE_SRC and
AFTER_SRC are the ``src`` folders of the two versions (two worktrees). Each version analyses its own copy
of STORE in a fresh process (``service.analyze.analyze``, default settings) with T DuckDB threads (default
1: DuckDB's parallel float sums add in no fixed order, so two runs of the same code on two threads can
differ in the last bits of a sum, and every CLV with them; on one thread they add in the same order every
time). Then the new run's ``scores`` of the two copies are joined on ``party_id`` and every column is
compared with ``IS DISTINCT FROM`` (no tolerance; NULL equals NULL, NaN equals NaN). Prints, per column,
how many rows differ and the largest difference; exits 1 if any row differs or is missing on one side.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

RUN = """
import sys, time
from patron.service.analyze import analyze
from patron.store import Store
with Store(sys.argv[1]) as s:
    s.limit_threads(int(sys.argv[2]))
    t = time.perf_counter()
    result = analyze(s)
    print(result.run_id, result.status, round(time.perf_counter() - t, 2))
"""


def run(src: Path, store: Path, threads: int) -> int:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run([sys.executable, "-c", RUN, str(store), str(threads)], env=env, capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"analysis with {src} failed:\n{out.stderr[-3000:]}")
    run_id, status, seconds = out.stdout.strip().splitlines()[-1].split()
    print(f"{src}: run {run_id} ({status}) in {seconds} s on {threads} thread(s)")
    return int(run_id)


def compare(before: Path, before_run: int, after: Path, after_run: int) -> int:
    con = duckdb.connect()
    con.execute(f"ATTACH '{before}' AS b (READ_ONLY)")
    con.execute(f"ATTACH '{after}' AS a (READ_ONLY)")
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'b' AND table_name = 'scores' "
        "ORDER BY column_index").fetchall() if r[0] != "run_id"]
    rows = {side: con.execute(f"SELECT count(*) FROM {side}.scores WHERE run_id = ?", [run_id]).fetchone()[0]
            for side, run_id in (("b", before_run), ("a", after_run))}
    print(f"rows: before {rows['b']:,}, after {rows['a']:,}")
    con.execute(f"CREATE TEMP TABLE x AS SELECT {', '.join(f'b.{c} AS b_{c}, a.{c} AS a_{c}' for c in columns)}, "
                "b.party_id IS NULL AS only_after, a.party_id IS NULL AS only_before "
                f"FROM (SELECT * FROM b.scores WHERE run_id = {before_run}) b "
                f"FULL JOIN (SELECT * FROM a.scores WHERE run_id = {after_run}) a ON a.party_id = b.party_id")
    missing = con.execute("SELECT count(*) FILTER (only_after), count(*) FILTER (only_before) FROM x").fetchone()
    print(f"parties only after: {missing[0]:,}; only before: {missing[1]:,}")
    differing = 0
    numeric = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'b' AND table_name = 'scores' "
        "AND data_type IN ('DOUBLE', 'BIGINT', 'INTEGER')").fetchall()}
    for c in columns:
        distinct = f"b_{c} IS DISTINCT FROM a_{c} AND NOT only_after AND NOT only_before"
        n = con.execute(f"SELECT count(*) FROM x WHERE {distinct}").fetchone()[0]
        largest = ""
        if n and c in numeric:
            largest = con.execute(f"SELECT max(abs(b_{c} - a_{c})) FROM x WHERE {distinct}").fetchone()[0]
            largest = f", largest difference {largest:.3g}"
        print(f"  {c:22} {'same' if not n else f'{n:,} rows differ{largest}'}")
        differing += n
    return differing + missing[0] + missing[1]


def main(argv: list[str]) -> None:
    valued = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--threads", "--keep")}
    args = [a for a in argv if not a.startswith("--") and a not in valued]
    if len(args) != 3:
        raise SystemExit(__doc__)
    store, before_src, after_src = (Path(a).resolve() for a in args)
    threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 1
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    with tempfile.TemporaryDirectory(prefix="same-scores-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        before, after = folder / "before.duckdb", folder / "after.duckdb"
        for copy in (before, after):
            shutil.copyfile(store, copy)
        t = time.perf_counter()
        before_run, after_run = run(before_src, before, threads), run(after_src, after, threads)
        problems = compare(before, before_run, after, after_run)
        print(f"{'the same scores' if not problems else f'{problems:,} differences'} "
              f"({time.perf_counter() - t:.0f} s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main(sys.argv[1:])
