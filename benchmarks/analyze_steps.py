"""Where one ``patron analyze`` spends its time, statement by statement (finer than the phases of --end-to-end).

Usage: python benchmarks/analyze_steps.py STORE [--threads T]

Runs ``service.analyze.analyze`` once on STORE (analyse a copy: it adds a run) and prints, in order, wall
and CPU seconds of each per-party table the run makes in the database (``persist``: the summary, the
purchase days, ladder, health, profits, the wide table), of the scoring, of saving (the scores insert, the
run's checks, rebuilding ``party_picture``, each commit, the whole transaction), and the time Ibis
spent compiling expressions to SQL (inside the steps above, and how many compilations). With ``--threads``
DuckDB runs on T threads (default: one per core).
"""

from __future__ import annotations

import resource
import sys
import time
from collections import defaultdict


def cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


class _Timed:
    """The raw connection, its commits timed (the rest passed through)."""

    def __init__(self, raw, steps) -> None:
        self._raw, self._steps = raw, steps

    def commit(self):
        t, c = time.perf_counter(), cpu()
        try:
            return self._raw.commit()
        finally:
            self._steps.append(("commit", time.perf_counter() - t, cpu() - c))

    def __getattr__(self, name):
        return getattr(self._raw, name)


def main(argv: list[str]) -> None:
    t0, c0 = time.perf_counter(), cpu()
    from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

    from patron.engines import local
    from patron.engines.store import StoreEngine
    from patron.service import analyze as A
    from patron.service import runs
    from patron.store import Store
    imports = (time.perf_counter() - t0, cpu() - c0)

    steps: list[tuple[str, float, float]] = [("python imports (service, ibis)", *imports)]
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])

    def timed(owner, attr, name, into_steps=True, label=None):
        original = getattr(owner, attr)

        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), cpu()
            try:
                return original(*args, **kwargs)
            finally:
                w, u = time.perf_counter() - t, cpu() - c
                what = label(args) if label else name
                if into_steps:
                    steps.append((what, w, u))
                else:
                    totals[what][0] += w
                    totals[what][1] += u
                    totals[what][2] += 1
        setattr(owner, attr, wrapper)

    timed(StoreEngine, "persist", "persist", label=lambda a: f"persist {a[2]}")
    timed(local, "scored", "scoring (fetch the summary, score, Arrow)")
    timed(A, "fit_value_models", "fitting (with intervals)")
    timed(A, "compressed_histories", "distinct histories")
    timed(A, "_totals", "totals")
    timed(runs, "run_problems", "saving: the run's checks")
    timed(runs.picture, "rebuild", "saving: party_picture rebuilt")
    timed(DuckDBCompiler, "to_sqlglot", "Ibis compiling", into_steps=False)
    from ibis.backends.duckdb import Backend

    timed(Backend, "insert", "saving: the scores INSERT")
    timed(A, "record_run", "saving: the whole transaction")

    threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 0
    t, c = time.perf_counter(), cpu()
    with Store(argv[0]) as store:
        if threads:
            store.limit_threads(threads)
        assert store.ibis is not None  # made over the connection itself, before its commits are timed
        store.raw = store.backend.raw = _Timed(store.raw, steps)
        opened = (time.perf_counter() - t, cpu() - c)
        t, c = time.perf_counter(), cpu()
        result = A.analyze(store)
        run = (time.perf_counter() - t, cpu() - c)
    print(f"run {result.run_id}: {result.customers:,} customers, {result.parties:,} parties")
    print(f"{'step':52}{'wall s':>8}{'CPU s':>8}")
    print(f"{'open the store':52}{opened[0]:>8.2f}{opened[1]:>8.2f}")
    for name, w, u in steps:
        print(f"{name:52}{w:>8.2f}{u:>8.2f}")
    for name, (w, u, n) in totals.items():
        print(f"{name + f' ({n} expressions, inside the steps)':52}{w:>8.2f}{u:>8.2f}")
    print(f"{'the value run (analyze), all of it':52}{run[0]:>8.2f}{run[1]:>8.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
