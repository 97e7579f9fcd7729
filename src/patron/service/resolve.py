"""Identity resolution use cases: run, review, explain, undo (shared by the CLI and, later, the API)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from patron.errors import Conflict, NotFound, PatronError
from patron.resolve import merge as merging
from patron.resolve.model import LinkageSettings, score_pairs
from patron.resolve.records import read_party_records

#: At or above this match probability two parties are merged without asking.
ACCEPT_THRESHOLD = 0.95
#: From this probability up to the accept threshold a pair goes to the review queue.
REVIEW_THRESHOLD = 0.50


@dataclass
class ResolveSummary:
    run_id: int | None
    records: int
    pairs_found: int
    merged: int
    sent_to_review: int
    kept_apart: int
    fields: list[str]
    message: str = ""


def _kept_apart(store) -> set[tuple[int, int]]:
    """Pairs a person said are different (rejected in review) or whose merge was undone."""
    rows = store.query(
        "SELECT left_party_id, right_party_id FROM review_queue WHERE status = 'rejected' "
        "UNION SELECT surviving_party_id, merged_party_id FROM merges WHERE undone_at IS NOT NULL")
    return {tuple(sorted(r)) for r in rows}


def run_resolution(store, *, accept: float = ACCEPT_THRESHOLD, review: float = REVIEW_THRESHOLD,
                   engine: str = "duckdb", seed: int = 42, by: str = "patron resolve",
                   progress: Callable[[str], None] | None = None) -> ResolveSummary:
    """Find parties that are the same customer, merge the sure ones, queue the doubtful ones.

    Re-running changes nothing unless new parties arrived: merged parties are
    gone, rejected or undone pairs are kept apart, queued pairs are not queued twice.
    """
    if not 0 < review <= accept <= 1:
        raise PatronError("Thresholds must satisfy 0 < review <= accept <= 1 (e.g. --review 0.5 --accept 0.95).")
    say = progress or (lambda _: None)
    with store.transaction():
        merging.refresh_crosswalk(store)
    records = read_party_records(store)
    if len(records) < 2:
        return ResolveSummary(None, len(records), 0, 0, 0, 0, [],
                              message=f"The store holds {len(records)} customer(s): nothing to compare. "
                                      "Import customers first (patron import parties FILE).")
    say(f"Comparing {len(records):,} customers")
    linkage = score_pairs(records, LinkageSettings(seed=seed, engine=engine), threshold_probability=min(review, 0.01))
    say(f"Scored {linkage.pairs_found:,} candidate pairs; clustering")
    pairs = linkage.pairs.copy()
    pairs["left"] = pairs["left_id"].astype("int64")
    pairs["right"] = pairs["right_id"].astype("int64")
    lo = pairs[["left", "right"]].min(axis=1)
    pairs["right"] = pairs[["left", "right"]].max(axis=1)
    pairs["left"] = lo
    apart = _kept_apart(store)
    pairs["apart"] = [(a, b) in apart for a, b in zip(pairs["left"], pairs["right"])]

    clusters = linkage.clusters(accept)
    members: dict[str, list[int]] = {}
    for record, cluster in clusters.items():
        members.setdefault(cluster, []).append(int(record))
    merges = _plan_merges(members, pairs[pairs["match_probability"] >= accept], apart)
    merged_pairs = {tuple(sorted((s, m))) for s, m, *_ in merges}
    same_cluster = {(a, b) for a, b in zip(pairs["left"], pairs["right"])
                    if clusters.get(str(a)) is not None and clusters.get(str(a)) == clusters.get(str(b))}

    def decision(row) -> str:
        key = (row.left, row.right)
        if row.apart:
            return "kept_apart"
        if key in merged_pairs or key in same_cluster and row.match_probability >= accept:
            return "merge"
        if row.match_probability >= review and key not in same_cluster:
            return "review"
        return "distinct"

    pairs["decision"] = [decision(r) for r in pairs.itertuples(index=False)]
    say(f"Merging {len(merges):,} parties")
    con = store.raw
    with store.transaction():
        run_id = store.next_id("runs", "run_id")
        now = store.scalar("SELECT now()::TIMESTAMP")
        settings = {"accept": accept, "review": review, "engine": engine, "seed": seed,
                    "fields": linkage.fields, "priors": linkage.priors}
        con.execute("INSERT INTO runs (run_id, kind, started_at, as_of, engine, settings, parties) "
                    "VALUES (?, 'resolve', now()::TIMESTAMP, now()::TIMESTAMP, ?, ?, ?)",
                    [run_id, engine, json.dumps(settings), len(records)])
        _store_pairs(store, run_id, pairs)
        next_merge = store.next_id("merges", "merge_id")
        rows = [(next_merge + i, run_id, int(s), int(m), _num(w), _num(p), now, by)
                for i, (s, m, w, p) in enumerate(merges)]
        if rows:
            _insert_rows(store, "merges", ("merge_id", "run_id", "surviving_party_id", "merged_party_id",
                                           "match_weight", "match_probability", "merged_at", "merged_by"), rows)
            merging.apply_merges(store, "SELECT merge_id FROM merges WHERE run_id = ?", [run_id])
        queued = _queue_reviews(store, run_id, pairs[pairs["decision"] == "review"])
        con.execute("UPDATE runs SET finished_at = now()::TIMESTAMP, diagnostics = ? WHERE run_id = ?",
                    [json.dumps({"pairs": len(pairs), "merged": len(rows), "queued": queued}), run_id])
    return ResolveSummary(run_id, len(records), len(pairs), len(rows), queued, int(pairs["apart"].sum()),
                          linkage.fields)


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _plan_merges(members: dict[str, list[int]], sure: pd.DataFrame, apart: set) -> list[tuple]:
    """(surviving, merged, weight, probability) per party to merge: the oldest party of a cluster survives.

    A merge carries the weight of the pair survivor-merged when it was scored, else the strongest pair
    that brought the merged party into the cluster.
    """
    pair = {}
    strongest: dict[int, tuple[float, float]] = {}
    for left, right, weight, probability in zip(sure["left"], sure["right"], sure["match_weight"],
                                                sure["match_probability"]):
        pair[(left, right)] = (weight, probability)
        for party in (left, right):
            if party not in strongest or weight > strongest[party][0]:
                strongest[party] = (weight, probability)
    plan = []
    for ids in members.values():
        ids = sorted(ids)
        survivor = ids[0]
        for other in ids[1:]:
            if (survivor, other) in apart:
                continue  # a person kept these two apart: leave the other one alone
            weight, probability = pair.get((survivor, other)) or strongest.get(other, (None, None))
            plan.append((survivor, other, weight, probability))
    return plan


def _insert_rows(store, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert many rows in bulk, as one Arrow table (row-by-row inserts cost minutes at a million rows)."""
    if not rows:
        return
    import pyarrow as pa

    store.insert_rows(table, pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)}))


def _store_pairs(store, run_id: int, pairs: pd.DataFrame) -> None:
    _insert_rows(store, "match_pairs",
                 ("run_id", "left_party_id", "right_party_id", "match_weight", "match_probability", "decision"),
                 [(run_id, int(r.left), int(r.right), float(r.match_weight), float(r.match_probability), r.decision)
                  for r in pairs.itertuples(index=False)])
    _insert_rows(store, "match_evidence",
                 ("run_id", "left_party_id", "right_party_id", "field", "level", "agreed", "bayes_factor",
                  "match_weight"),
                 [(run_id, int(r.left), int(r.right), e["field"], e["level"], e["agreed"], float(e["bayes_factor"]),
                   float(e["weight"])) for r in pairs.itertuples(index=False) for e in r.explanation])


def _queue_reviews(store, run_id: int, doubtful: pd.DataFrame) -> int:
    known = {tuple(r) for r in store.query("SELECT left_party_id, right_party_id FROM review_queue")}
    next_id = store.next_id("review_queue", "review_id")
    rows = []
    for r in doubtful.itertuples(index=False):
        if (int(r.left), int(r.right)) in known:
            continue
        rows.append((next_id + len(rows), run_id, int(r.left), int(r.right), float(r.match_weight),
                     float(r.match_probability), json.dumps(r.explanation)))
    if rows:
        now = store.scalar("SELECT now()::TIMESTAMP")
        _insert_rows(store, "review_queue",
                     ("review_id", "run_id", "left_party_id", "right_party_id", "match_weight", "match_probability",
                      "explanation", "status", "created_at"),
                     [(*r, "pending", now) for r in rows])
    return len(rows)


# -- review -------------------------------------------------------------------
@dataclass
class ReviewItem:
    review_id: int
    left_party_id: int
    right_party_id: int
    left_name: str | None
    right_name: str | None
    match_probability: float
    match_weight: float
    explanation: list[dict]
    status: str


def pending_reviews(store, limit: int = 50) -> list[ReviewItem]:
    """Doubtful pairs waiting for a person, most likely first."""
    rows = store.query(
        "SELECT q.review_id, q.left_party_id, q.right_party_id, l.name, r.name, q.match_probability, "
        "q.match_weight, q.explanation, q.status FROM review_queue q "
        "LEFT JOIN parties l ON l.party_id = q.left_party_id LEFT JOIN parties r ON r.party_id = q.right_party_id "
        "WHERE q.status = 'pending' ORDER BY q.match_probability DESC, q.review_id LIMIT ?", [limit])
    return [ReviewItem(*r[:7], json.loads(r[7]), r[8]) for r in rows]


def decide_review(store, review_id: int, accept: bool, by: str = "patron resolve review") -> dict:
    """Accept (merge the pair) or reject (keep them apart for good) one queued pair."""
    row = store.query("SELECT left_party_id, right_party_id, status, match_weight, match_probability, run_id "
                      "FROM review_queue WHERE review_id = ?", [review_id])
    if not row:
        raise NotFound(f"There is no pair {review_id} in the review queue. 'patron resolve review' lists them.")
    left, right, status, weight, probability, run_id = row[0]
    if status != "pending":
        raise Conflict(f"Pair {review_id} was already {status}.")
    if not accept:
        with store.transaction():
            store.raw.execute("UPDATE review_queue SET status = 'rejected', decided_by = ?, "
                              "decided_at = now()::TIMESTAMP WHERE review_id = ?", [by, review_id])
        return {"status": "rejected"}
    gone = [p for p in (left, right) if not store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [p])]
    if gone:
        raise PatronError(f"Party {gone[0]} has been merged into another since this pair was queued; "
                          "run 'patron resolve' again to compare the merged customer.")
    with store.transaction():
        merge_id = store.next_id("merges", "merge_id")
        store.raw.execute("INSERT INTO merges (merge_id, run_id, surviving_party_id, merged_party_id, match_weight, "
                          "match_probability, merged_at, merged_by) VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                          [merge_id, run_id, left, right, weight, probability, by])
        merging.apply_merges(store, "SELECT ?", [merge_id])
        store.raw.execute("UPDATE review_queue SET status = 'accepted', decided_by = ?, decided_at = now()::TIMESTAMP, "
                          "merge_id = ? WHERE review_id = ?", [by, merge_id, review_id])
    return {"status": "accepted", "merge_id": merge_id, "surviving_party_id": left, "merged_party_id": right}


# -- explain and undo -------------------------------------------------------------
def parse_party_or_merge(store, text: str) -> tuple[str, int]:
    """``M46`` / ``merge:46`` is a merge; a plain number is a party if the store knows it, else a merge."""
    value = str(text).strip().lower()
    for prefix in ("merge:", "merge-", "merge", "m"):
        if value.startswith(prefix) and value[len(prefix):].isdigit():
            return "merge", int(value[len(prefix):])
    if not value.isdigit():
        raise PatronError(f"'{text}' is neither a party id (a number) nor a merge (M46).")
    number = int(value)
    known = store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [number]) or store.scalar(
        "SELECT count(*) FROM merges WHERE merged_party_id = ?", [number])
    return ("party" if known else "merge"), number


_MERGE_COLUMNS = ("SELECT merge_id, surviving_party_id, merged_party_id, match_weight, match_probability, merged_at, "
                  "merged_by, undone_at FROM merges ")


def explain(store, party_or_merge: int | str) -> dict:
    """Why parties were (or were not) matched: a merge (``M46``), or a party (its merges and queued pairs)."""
    kind, number = parse_party_or_merge(store, party_or_merge)
    if kind == "merge":
        merges = store.query(_MERGE_COLUMNS + "WHERE merge_id = ?", [number])
        if not merges:
            raise PatronError(f"{party_or_merge} is neither a merge nor a customer in this store.")
    else:
        merges = store.query(_MERGE_COLUMNS + "WHERE surviving_party_id = ? OR merged_party_id = ? ORDER BY merge_id",
                             [number, number])
    party_or_merge = number
    out = {"kind": kind, "id": party_or_merge, "merges": [], "reviews": []}
    for m in merges:
        a, b = sorted((m[1], m[2]))
        out["merges"].append({
            "merge_id": m[0], "surviving_party_id": m[1], "merged_party_id": m[2], "match_weight": m[3],
            "match_probability": m[4], "merged_at": m[5], "merged_by": m[6], "undone_at": m[7],
            "evidence": _evidence(store, a, b)})
    if kind == "party":
        for r in store.query("SELECT review_id, left_party_id, right_party_id, match_probability, match_weight, "
                             "explanation, status FROM review_queue WHERE left_party_id = ? OR right_party_id = ?",
                             [party_or_merge, party_or_merge]):
            out["reviews"].append({"review_id": r[0], "left_party_id": r[1], "right_party_id": r[2],
                                   "match_probability": r[3], "match_weight": r[4],
                                   "evidence": json.loads(r[5]), "status": r[6]})
    return out


def _evidence(store, a: int, b: int) -> list[dict]:
    rows = store.query(
        "SELECT field, level, agreed, bayes_factor, match_weight FROM match_evidence "
        "WHERE left_party_id = ? AND right_party_id = ? AND run_id = (SELECT max(run_id) FROM match_evidence "
        "WHERE left_party_id = ? AND right_party_id = ?)", [a, b, a, b])
    return [{"field": f, "level": lv, "agreed": ag, "bayes_factor": bf, "weight": w} for f, lv, ag, bf, w in rows]


def undo(store, merge_id: int, by: str = "patron resolve undo") -> dict:
    """Undo one merge: every moved row back to the party it had."""
    return merging.undo_merge(store, merge_id, by)
