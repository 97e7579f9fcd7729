"""What the ``scores_party`` index costs a value run and what it saves the customer 360.

Usage: python benchmarks/scores_index.py [CUSTOMERS] [--runs R] [--lookups K] [--sorted]

In a fresh DuckDB store (all migrations), R runs of CUSTOMERS score rows are saved as a value run saves
them (one ``INSERT INTO scores ... SELECT`` per run, then the commit), first with the index on
``scores (party_id)`` and then, in another store, without it. For each store it prints the last run's
insert and commit seconds (wall and CPU), then the customer 360's read of one party's scores
(``SELECT * FROM scores WHERE party_id = ?``, the page's query) and the same read of the current run
only (``... WHERE run_id = ? AND party_id = ?``), K random parties each, with one DuckDB thread as the
web service runs its queries: median and 95th percentile in milliseconds.

The rows are synthetic (every column filled, text of the lengths a run writes) and written in a
shuffled party order, as the run's joins leave them; with ``--sorted`` in party order (each run's rows
then lie in party order, and DuckDB skips the row groups whose party range cannot hold the party).
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from patron.store import Store


def cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


ROWS = """
INSERT INTO scores (run_id, party_id, frequency, recency, t, monetary_value, first_purchase_at, last_purchase_at,
    orders, revenue, margin, p_alive, expected_purchases, expected_spend, clv, next_purchase_in, r_score, f_score,
    m_score, rfm_segment, rung, rung_level, health, health_trend, triage, value_tier, quality_tier, at_risk,
    reasons, rung_reason, triage_reason, cost_to_serve, profit, profit_clv, p_alive_low, p_alive_high, clv_low,
    clv_high)
SELECT {run}, p, p % 7, (p % 300)::DOUBLE, (p % 700)::DOUBLE, (p % 97) * 1.5, TIMESTAMP '2023-01-01',
    TIMESTAMP '2024-06-01', p % 5, p * 0.01, NULL, 0.5, 1.2, 33.3, 40.1, 12.0, 1 + p % 5, 1 + p % 5, 1 + p % 5,
    'loyal', 'client', 4, 61.5, -2.0, 'average', 'mid', 'mid', p % 9 = 0,
    CASE WHEN p % 9 = 0 THEN 'silent 200 days; bought every 30.5 days over 4 purchases' END,
    'client because: 3 purchase day(s), last purchase 40 days ago; no positive feedback or loyalty membership yet',
    'average because: profit CLV in the middle third', 4.5, 20.0, 35.0, 0.4, 0.6, 30.0, 50.0
FROM (SELECT range AS p FROM range(1, {n} + 1) ORDER BY hash(range + {run})) r {order}
"""


def save_runs(store: Store, n: int, runs: int, order: str) -> tuple[float, float, float, float]:
    """``runs`` runs saved one transaction each; the last run's (insert wall, insert CPU, commit wall, commit CPU)."""
    for run in range(1, runs + 1):
        store.raw.begin()
        t, c = time.perf_counter(), cpu()
        store.raw.execute(ROWS.format(run=run, n=n, order=order))
        insert = (time.perf_counter() - t, cpu() - c)
        t, c = time.perf_counter(), cpu()
        store.raw.commit()
        commit = (time.perf_counter() - t, cpu() - c)
    return (*insert, *commit)


def lookups(store: Store, n: int, runs: int, k: int) -> dict[str, tuple[float, float]]:
    store.raw.execute("SET threads = 1")
    rng = np.random.default_rng(3)
    found = {}
    for name, sql, params in (("all runs (the 360's query)", "SELECT * FROM scores WHERE party_id = ?", lambda p: [p]),
                              ("current run only", "SELECT * FROM scores WHERE run_id = ? AND party_id = ?",
                               lambda p: [runs, p])):
        times = []
        for p in rng.integers(1, n + 1, k):
            t = time.perf_counter()
            rows = store.raw.execute(sql, params(int(p))).fetchall()
            times.append((time.perf_counter() - t) * 1000)
            assert rows, p
        times.sort()
        found[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return found


def main(argv: list[str]) -> None:
    valued = {argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--runs", "--lookups")}
    args = [a for a in argv if not a.startswith("--") and a not in valued]
    n = int(args[0]) if args else 1_000_000
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    k = int(argv[argv.index("--lookups") + 1]) if "--lookups" in argv else 200
    print(f"{n:,} score rows a run, {runs} runs, {k} lookups each"
          + (", rows in party order" if "--sorted" in argv else ", rows in shuffled order"))
    with tempfile.TemporaryDirectory() as tmp:
        for indexed in (True, False):
            path = Path(tmp) / f"{'with' if indexed else 'without'}.duckdb"
            with Store(path) as store:
                has = store.scalar("SELECT count(*) FROM duckdb_indexes() WHERE index_name = 'scores_party'")
                if indexed and not has:
                    store.raw.execute("CREATE INDEX scores_party ON scores (party_id)")
                if not indexed and has:
                    store.raw.execute("DROP INDEX scores_party")
                iw, ic, cw, cc = save_runs(store, n, runs, "ORDER BY p" if "--sorted" in argv else "")
                found = lookups(store, n, runs, k)
            print(f"{'with' if indexed else 'without'} the index: last run's insert {iw:.2f} s wall / {ic:.2f} s CPU, "
                  f"commit {cw:.2f} / {cc:.2f}")
            for name, (p50, p95) in found.items():
                print(f"  {name:28} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
