"""Which analysis run is the current picture: the one every page, list and export shows.

A run becomes current when it is saved, if it is sound (both fits converged, no customer's CLV or
probability alive is NaN or infinite) and looks at data at least as new as the current run's; a backdated
run (``patron analyze --as-of 2023-01-20``) is kept for comparison but not shown. An unsound run is kept as
``failed``, for inspection, and is never current. An admin may promote any sound run
(``patron runs promote ID``).

``runs.status``: ``current`` (exactly one), ``kept`` (sound, not shown), ``failed`` (unsound), or NULL
for runs saved before the status existed (the newest of those is current until a run is promoted).

Old runs are not kept for ever (a fuzzed store had 171 runs and 919,179 score rows): each new run, in the
transaction that saves it, deletes the value runs and their scores beyond the newest ``runs.keep`` (a row
of ``settings``, default :data:`DEFAULT_KEEP`), except the current picture and any run a campaign was built
on (``campaigns.run_id``: its audience and results read that run's scores).
"""

from __future__ import annotations

import datetime as dt
import json
import math

from patron.analytics.ladder import LADDER_STATES
from patron.analytics.triage import triage_matrix
from patron.errors import Conflict, InvalidInput, NotFound, PatronError
from patron.service import audit
from patron.service.permissions import User
from patron.store import Store, picture

CURRENT, KEPT, FAILED = "current", "kept", "failed"
#: The ``settings`` row that says how many of the newest value runs are kept, and its default.
KEEP_SETTING, DEFAULT_KEEP, MAX_KEEP = "runs.keep", 10, 1000


def run_problems(store: Store, run_id: int, diagnostics: dict) -> list[str]:
    """Why a run cannot be the current picture, in words (none: it can)."""
    problems = []
    for key, what in (("transaction_model", "the purchase model"), ("spend_model", "the spend model")):
        fit = diagnostics.get(key) or {}
        convergence = fit.get("convergence") or {}
        if convergence and not convergence.get("success", False):
            params = ", ".join(f"{k}={v:.4g}" for k, v in (fit.get("params") or {}).items()
                               if isinstance(v, (int, float)))
            problems.append(f"{what} ({fit.get('name')}) did not converge ({params}): "
                            f"{convergence.get('message', '')}".rstrip(": "))
    # A runaway fit (the models' own checks). A standard error larger than its estimate alone is reported
    # but does not stop a run: the 400-customer demo's spend model has one (p = 19.8 +- 20.2), and its
    # CLVs are still usable (the uncertainty is shown with the parameters).
    serious = [w for w in diagnostics.get("fit_warnings") or [] if "standard error" not in w]
    if diagnostics.get("converged") is False and serious and not problems:
        problems.append("the models' fit is not trustworthy: " + "; ".join(serious))
    # Customers who bought (a summary row) must have both, finite: a NaN or an infinity makes the sums so (the
    # values' text differs between backends, and NaN may have been stored as NULL on the way in).
    total_clv, total_alive, missing = store.query(
        "SELECT sum(clv), sum(p_alive), count(*) - count(clv) + count(*) - count(p_alive) FROM scores "
        "WHERE run_id = ? AND frequency IS NOT NULL", [run_id])[0]
    not_finite = missing + sum(1 for v in (total_clv, total_alive) if v is not None and not math.isfinite(v))
    if not_finite:
        problems.append("customers have no finite CLV or probability alive (NaN or infinite values)")
    return problems


def current_run(store: Store) -> int:
    """The run the pages show.

    Raises
    ------
    PatronError
        No sound run yet.
    """
    found = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value' AND status = 'current'")
    if found is None:  # runs saved before run status existed
        found = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value' AND status IS NULL")
    if found is None:
        failed = store.scalar("SELECT count(*) FROM runs WHERE kind = 'value' AND status = 'failed'")
        raise PatronError("No analysis has been run yet: run patron analyze first." if not failed else
                          f"No sound analysis yet ({failed} run(s) failed: see patron runs); run patron analyze.")
    return int(found)


def settle_run(store: Store, run_id: int, as_of: dt.datetime, diagnostics: dict) -> tuple[str, list[str]]:
    """Inside the transaction that saved run ``run_id``: make it current, keep it, or mark it failed.

    Returns its status and the sentences that explain it.
    """
    problems = run_problems(store, run_id, diagnostics)
    if problems:
        store.changed("UPDATE runs SET status = 'failed' WHERE run_id = ?", [run_id])
        return FAILED, [f"Run {run_id} is not sound and was not made current: " + "; ".join(problems) + "."]
    newest = store.query("SELECT run_id, as_of FROM runs WHERE kind = 'value' AND run_id <> ? AND "
                         "(status = 'current' OR status IS NULL) ORDER BY (status = 'current') DESC, run_id DESC "
                         "LIMIT 1", [run_id])
    if newest and newest[0][1] > as_of:
        store.changed("UPDATE runs SET status = 'kept' WHERE run_id = ?", [run_id])
        return KEPT, [f"Run {run_id} looks at the data as of {as_of:%Y-%m-%d}, older than the current picture "
                      f"(run {newest[0][0]}, as of {newest[0][1]:%Y-%m-%d}): it is kept for comparison, not shown. "
                      f"An admin can show it with: patron runs promote {run_id}"]
    _make_current(store, run_id)
    return CURRENT, []


def _make_current(store: Store, run_id: int) -> None:
    store.changed("UPDATE runs SET status = 'kept' WHERE kind = 'value' AND run_id <> ? "
                  "AND (status = 'current' OR status IS NULL)", [run_id])
    store.changed("UPDATE runs SET status = 'current' WHERE run_id = ?", [run_id])
    picture.rebuild(store)  # every party's picture shows this run's scores


def promote(store: Store, user: User | None, run_id: int) -> None:
    """Make a sound run the current picture (an admin's choice, audited)."""
    if user is not None:
        user.require("runs.promote")
    with store.transaction():
        found = store.query("SELECT status FROM runs WHERE run_id = ? AND kind = 'value'", [run_id])
        if not found:
            raise NotFound(f"There is no analysis run {run_id}.")
        if found[0][0] == FAILED:
            raise Conflict(f"Run {run_id} failed (its fit did not converge, or it has values that are not "
                           "numbers): it cannot be shown.")
        _make_current(store, run_id)
        audit.record(store, user, "runs.promote", "run", run_id)


def list_runs(store: Store, limit: int = 30) -> list[dict]:
    """The latest analysis runs, newest first, with their status and the model's convergence."""
    rows = store.records(
        "SELECT run_id, started_at, finished_at, as_of, engine, parties, status, diagnostics, settings "
        "FROM runs WHERE kind = 'value' ORDER BY run_id DESC LIMIT ?", [int(limit)])
    current = None
    try:
        current = current_run(store)
    except PatronError:
        pass
    for r in rows:
        diagnostics = json.loads(r.pop("diagnostics") or "{}")
        settings = json.loads(r.pop("settings") or "{}")
        r["model"] = settings.get("model")
        r["converged"] = all(((diagnostics.get(k) or {}).get("convergence") or {}).get("success", True)
                             for k in ("transaction_model", "spend_model"))
        r["current"] = r["run_id"] == current
        r["status"] = r["status"] or (CURRENT if r["current"] else "")
    return rows


def check_keep(value) -> int:
    """How many runs to keep, from what a person typed or the setting holds: a whole number 1-1000."""
    try:
        keep = int(str(value).strip())
    except ValueError:
        raise InvalidInput(f"The number of analysis runs to keep ({KEEP_SETTING}) must be a whole number from 1 "
                           f"to {MAX_KEEP}, not {value!r}.") from None
    if not 1 <= keep <= MAX_KEEP:
        raise InvalidInput(f"The number of analysis runs to keep ({KEEP_SETTING}) must be from 1 to {MAX_KEEP}, "
                           f"not {keep}.")
    return keep


def runs_kept(store: Store) -> int:
    """How many of the newest value runs are kept (the ``runs.keep`` setting, or :data:`DEFAULT_KEEP`)."""
    found = store.query("SELECT value FROM settings WHERE name = ?", [KEEP_SETTING])
    return check_keep(found[0][0]) if found else DEFAULT_KEEP


def set_runs_kept(store: Store, user: User | None, keep) -> int:
    """Keep the newest ``keep`` value runs from the next run on (admins; audited). Returns the number set."""
    if user is not None:
        user.require("runs.promote")
    keep = check_keep(keep)
    audit.change_settings(store, user, {KEEP_SETTING: str(keep)}, {"name": KEEP_SETTING, "value": keep})
    return keep


def prune_runs(store: Store, keep: int | None = None) -> list[int]:
    """Inside a write transaction: delete the value runs (and their scores) beyond the newest ``keep``.

    Never the current picture (promoted or not) nor a run a campaign refers to. Returns the ids deleted.
    """
    keep = runs_kept(store) if keep is None else check_keep(keep)
    newest_first = [r[0] for r in store.query("SELECT run_id FROM runs WHERE kind = 'value' ORDER BY run_id DESC")]
    spared = set(newest_first[:keep])
    spared.update(r[0] for r in store.query("SELECT DISTINCT run_id FROM campaigns WHERE run_id IS NOT NULL"))
    try:
        spared.add(current_run(store))
    except PatronError:
        pass
    doomed = [run_id for run_id in newest_first[keep:] if run_id not in spared]
    for start in range(0, len(doomed), 500):
        chunk = doomed[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        store.changed(f"DELETE FROM scores WHERE run_id IN ({marks})", chunk)
        store.changed(f"DELETE FROM runs WHERE run_id IN ({marks})", chunk)
    if doomed:
        audit.record(store, None, "runs.prune", "run", None, {"deleted": doomed, "keep": keep})
    return doomed


def latest_run(store: Store, run_id: int | None = None) -> int:
    """``run_id`` if it exists, else the current run (:func:`current_run`)."""
    if run_id is not None:
        if not store.scalar("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]):
            raise NotFound(f"There is no analysis run {run_id}.")
        return run_id
    return current_run(store)


def ladder_counts(store: Store, run_id: int) -> list[tuple[str, int]]:
    counts = dict(store.query("SELECT rung, count(*) FROM scores WHERE run_id = ? GROUP BY rung", [run_id]))
    rows = [(rung, counts.get(rung, 0)) for rung in LADDER_STATES]
    if counts.get(None):  # staff of business customers: their organisation is on the ladder
        rows.append(("not on the ladder", counts[None]))
    return rows


def triage_table(store: Store, run_id: int) -> list[tuple]:
    scores = store.table("scores").filter(lambda s: s.run_id == run_id)
    matrix = triage_matrix(scores.mutate(value=scores.clv, quality=scores.health))
    return matrix.order_by(["value_tier", "quality_tier"]).to_pyarrow().to_pylist()


def valuable_at_risk(store: Store, run_id: int, limit: int = 20) -> list[dict]:
    """The run's at-risk customers with the most revenue, named (a party without a name by its first key)."""
    # The first key of the chosen few only: grouping every identity to name 20 parties took 0.08-0.17 CPU-s at
    # 1M customers, this 0.02-0.03 (the same 20 rows).
    rows = store.raw.execute(
        "WITH top AS (SELECT s.party_id, p.name, s.revenue, s.clv, s.p_alive, s.health, s.rung, s.reasons "
        "FROM scores s JOIN parties p USING (party_id) WHERE s.run_id = ? AND s.at_risk "
        "ORDER BY s.revenue DESC, s.party_id LIMIT ?) "
        "SELECT t.party_id, coalesce(t.name, i.source_key) AS customer, t.revenue, t.clv, t.p_alive, t.health, "
        "t.rung, t.reasons FROM top t LEFT JOIN (SELECT party_id, min(source_key) AS source_key FROM identities "
        "WHERE party_id IN (SELECT party_id FROM top) GROUP BY party_id) i USING (party_id) "
        "ORDER BY t.revenue DESC, t.party_id",
        [run_id, limit],
    )
    names = [d[0] for d in rows.description]
    return [dict(zip(names, r)) for r in rows.fetchall()]
