"""Scores to compare our service with: competitor and industry benchmarks, management's estimate of what
customers expect (gap 1 of the gaps model), and the zone of tolerance customers state.

- **Benchmarking**: our customers' mean perception per dimension and year against each competitor's or the
  industry norm's score (from an imported benchmark table, or panel and mystery-shopper answers recorded
  with a ``benchmark``), dimension by dimension and over time. Scores on another scale are mapped linearly
  onto ours (1..7 by default): ``1 + (score − 1) × 6 / (scale_max − 1)``.
- **Gap 1**: management's estimate of customers' expectation minus what customers say they expect.
- **Zone of tolerance**: per dimension the customers' mean adequate and desired levels and their perception;
  the measure of service adequacy (MSA = P − adequate) and superiority (MSS = P − desired), each with its SE.
  Below the zone (MSA < 0) the service is unacceptable, above it (MSS > 0) it delights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from patron.errors import InvalidInput
from patron.ingest.references import parse_references, store_references
from patron.models.quality import mean_estimate
from patron.service.audit import record
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import SERVQUAL_DIMENSIONS

OUR_SCALE = 7.0


def _on_scale(score: float, scale_max: float, to: float = OUR_SCALE) -> float:
    return 1.0 + (score - 1.0) * (to - 1.0) / (scale_max - 1.0)


def import_references(store: Store, user: User | None, path: str | Path, *, source: str | None = None) -> dict:
    """Import a benchmark or management-perception table (CSV); all rows or none."""
    if user is not None:
        user.require("imports.run")
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"There is no file {path}.")
    rows = parse_references(path.read_text(encoding="utf-8-sig"), where=path.name)
    source = source or path.name
    with store.transaction():
        first = store_references(store, rows, source)
        if user is not None:
            record(store, user, "quality.references.import", "quality_references", first,
                   {"rows": len(rows), "source": source})
    return {"imported": len(rows), "source": source, "names": sorted({r["name"] for r in rows})}


TABLE = "benchmark table"


def _ours_by_year(store: Store, instrument: str = "servqual") -> dict[tuple[int, str], tuple[float, int]]:
    rows = store.query(
        "SELECT CAST(extract(year FROM occurred_at) AS INTEGER), dimension, "
        "avg(1 + (perception - 1) * 6.0 / (coalesce(scale_max, 7) - 1)), count(*) FROM feedback "
        "WHERE instrument = ? AND benchmark IS NULL AND perception IS NOT NULL "
        "AND dimension IS NOT NULL AND coalesce(scale_max, 7) > 1 GROUP BY 1, 2", [instrument])
    return {(int(y), d): (float(m), int(n)) for y, d, m, n in rows}


def benchmark_report(store: Store, user: User | None) -> dict:
    """Our mean perception per dimension and year against each benchmark's score, and the difference.

    Like is compared with like: an imported benchmark table (``source`` "benchmark table") against our customers'
    SERVQUAL perceptions; panel or mystery-shopper answers about a competitor (``source`` the instrument) against
    the same instrument's answers about us. A benchmark seen both ways has a row for each source.
    """
    if user is not None:
        user.require("customers.read")
    refs = [(name, kind, TABLE, year, dim, score, top) for name, kind, year, dim, score, top in store.query(
        "SELECT name, kind, CAST(extract(year FROM period) AS INTEGER), dimension, score, scale_max "
        "FROM quality_references WHERE kind IN ('competitor', 'industry')")]
    # panel or mystery-shopper answers about a competitor, recorded with a benchmark
    refs += store.query(
        "SELECT benchmark, 'competitor', instrument, CAST(extract(year FROM occurred_at) AS INTEGER), dimension, "
        "perception, coalesce(scale_max, 7) FROM feedback WHERE benchmark IS NOT NULL AND perception IS NOT NULL "
        "AND dimension IS NOT NULL AND coalesce(scale_max, 7) > 1")
    cells: dict[tuple[str, str, str, int, str], list[float]] = {}
    for name, kind, source, year, dim, score, top in refs:
        cells.setdefault((name, kind, source, int(year), dim), []).append(_on_scale(float(score), float(top)))
    ours = {TABLE: _ours_by_year(store)}
    rows = []
    for (name, kind, source, year, dim), scores in sorted(cells.items()):
        if source not in ours:
            ours[source] = _ours_by_year(store, source)
        theirs = float(np.mean(scores))
        mine = ours[source].get((year, dim))
        rows.append({"benchmark": name, "kind": kind, "source": source, "year": year, "dimension": dim,
                     "theirs": theirs, "their_answers": len(scores),
                     "ours": mine[0] if mine else None, "our_answers": mine[1] if mine else 0,
                     "difference": (mine[0] - theirs) if mine else None})
    latest = max((r["year"] for r in rows if r["ours"] is not None), default=None)
    return {"scale": f"1-{OUR_SCALE:g}", "rows": rows, "latest_year": latest,
            "benchmarks": sorted({r["benchmark"] for r in rows}),
            "sources": sorted({r["source"] for r in rows}),
            "latest": [r for r in rows if r["year"] == latest]}


def internal_gaps(store: Store, user: User | None) -> dict:
    """Gap 1 per dimension: management's estimate of customers' expectations minus their stated expectation."""
    if user is not None:
        user.require("customers.read")
    expect = dict(store.query(
        "SELECT dimension, avg(1 + (expectation - 1) * 6.0 / (coalesce(scale_max, 7) - 1)) FROM feedback "
        "WHERE instrument = 'servqual' AND benchmark IS NULL AND expectation IS NOT NULL AND dimension IS NOT NULL AND coalesce(scale_max, 7) > 1 "
        "GROUP BY dimension"))
    mgmt = store.query("SELECT dimension, score, scale_max FROM quality_references WHERE kind = 'management'")
    per: dict[str, list[float]] = {}
    for dim, score, top in mgmt:
        per.setdefault(dim, []).append(_on_scale(float(score), float(top)))
    rows = [{"dimension": d, "management": float(np.mean(v)), "customers": expect.get(d),
             "gap1": float(np.mean(v)) - expect[d] if d in expect else None} for d, v in sorted(per.items())]
    return {"scale": f"1-{OUR_SCALE:g}", "dimensions": rows}


def zone_of_tolerance(store: Store, user: User | None) -> dict:
    """Per dimension: mean adequate, desired and perceived service; MSA and MSS with their SE; the position."""
    if user is not None:
        user.require("customers.read")
    rows = store.query(
        "SELECT dimension, adequate, desired, perception FROM feedback WHERE instrument = 'servqual' "
        "AND benchmark IS NULL AND dimension IS NOT NULL AND perception IS NOT NULL AND adequate IS NOT NULL "
        "AND desired IS NOT NULL")
    out = []
    for dim in SERVQUAL_DIMENSIONS:
        a = np.array([[r[1], r[2], r[3]] for r in rows if r[0] == dim], dtype=float).reshape(-1, 3)
        if not len(a):
            continue
        msa, mss = mean_estimate(a[:, 2] - a[:, 0]), mean_estimate(a[:, 2] - a[:, 1])
        position = ("below the zone" if msa.high < 0 else "above the zone" if mss.low > 0
                    else "within the zone" if msa.low > 0 and mss.high < 0 else "at an edge of the zone")
        out.append({"dimension": dim, "answers": len(a), "adequate": float(a[:, 0].mean()),
                    "desired": float(a[:, 1].mean()), "perceived": float(a[:, 2].mean()),
                    "msa": msa.as_dict(), "mss": mss.as_dict(), "position": position})
    return {"dimensions": out, "answers": sum(d["answers"] for d in out)}
