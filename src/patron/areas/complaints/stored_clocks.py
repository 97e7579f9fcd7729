"""Each complaint's service-level clocks kept in ``complaint_clocks``, so that the desk's filter on the SLA state,
its sort by the resolution due time and the charter report are SQL at any data end.

A clock that has stopped has a settled state (met or breached). One still running is "on track" until the
moment it warns from, "warning" from then and "breached" after the moment it is breached after
(:meth:`~patron.areas.complaints.sla.Clock.warns_from`, :meth:`~patron.areas.complaints.sla.Clock.breached_after`,
in business hours of the service levels). A row keeps them for the first response, the resolution and the
latest next response (next responses: ``breached`` once any was late), and the due times. A complaint's state is
the worst of the three, as :func:`patron.areas.complaints.desk.with_clocks` takes it: both come from
:meth:`~patron.areas.complaints.sla.ServiceLevels.desk_clocks`, the one clock.

Kept right whoever writes: ``inputs`` is a digest, made in SQL, of everything the clocks are computed from (the
complaint's times, category, severity and waits, its thread's messages, the customer's triage group where a
policy names one, and the service levels). Before the states are read, the rows whose inputs differ are computed
again (:func:`refresh`); the complaint area's own writers (a new complaint, a status change, a wait, a message, new
service levels) do it in their transaction, and anything else (an import, a merge, an undo, the demo) is caught
at the next read. A complaint waiting for the customer and not resolved has clocks that stand still while the
data's end moves: those (a handful; :data:`LIVE`) are clocked at each read instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import replace

from patron.act.rules import read_settings
from patron.act.triggers import THREAD_SQL, complaint_threads
from patron.areas.complaints.sla import (
    DEFAULT_SERVICE_LEVELS,
    SLA_STATES,
    Clock,
    ServiceLevels,
    service_levels_from_toml,
)
from patron.store import Store

#: The ``settings`` row holding the store's service levels (TOML).
SERVICE_LEVELS_SETTING = "service_levels"
KINDS = ("first_response", "resolution", "next_response")
COLUMNS = ("complaint_id", "inputs",
           *(f"{k}_{part}" for k in KINDS for part in ("due", "settled", "warns_from", "breached_after")))
#: Complaints whose clocks are not kept: waiting for the customer, not resolved (``c``).
LIVE = "(c.waiting_since IS NOT NULL AND c.resolved_at IS NULL)"
#: The worst state of a complaint as a rank in :data:`~patron.areas.complaints.sla.SLA_STATES` (of ``st``,
#: :func:`states_sql`).
STATE_RANK = "greatest(st.first_response, st.resolution, coalesce(st.next_response, 0))"
_TRIAGE = ("LEFT JOIN scores s ON s.party_id = c.party_id "
           "AND s.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'value')")
_CHUNK = 1000  # ids per bounded IN list


def service_levels(store: Store) -> ServiceLevels:
    """The store's service levels: the TOML in the ``settings`` row ``service_levels`` (its calendar in the
    ``time_zone`` setting unless it names its own), else :data:`DEFAULT_SERVICE_LEVELS` in that time zone."""
    values = read_settings(store, SERVICE_LEVELS_SETTING) | read_settings(store, "time_zone")
    zone = values.get("time_zone") or "UTC"
    if values.get("service_levels"):
        return service_levels_from_toml(values["service_levels"], zone)
    if zone == "UTC":
        return DEFAULT_SERVICE_LEVELS
    return replace(DEFAULT_SERVICE_LEVELS, calendar=replace(DEFAULT_SERVICE_LEVELS.calendar, time_zone=zone))


def _basis(levels: ServiceLevels) -> str:
    return hashlib.sha256(repr(levels).encode()).hexdigest()[:16]


def _inputs_sql(levels: ServiceLevels) -> str:
    """A digest of what the clocks of complaint ``c`` are computed from (``t.messages``: its thread); the one
    parameter is the service levels' own digest."""
    text = [f"coalesce(CAST(c.{col} AS VARCHAR), '-')" for col in (
        "party_id", "opened_at", "first_response_at", "resolved_at", "category", "severity", "paused_hours",
        "waiting_since")]
    if any(p.triage is not None for p in levels.policies):
        text.append("coalesce(s.triage, '-')")
    return f"md5(concat_ws('|', {', '.join(text)}, coalesce(t.messages, '-'), CAST(? AS VARCHAR)))"


def _stale_sql(levels: ServiceLevels, where: str) -> str:
    narrow = f" AND {where}" if where else ""
    return (
        "SELECT * FROM (SELECT c.complaint_id, c.party_id, c.opened_at, c.first_response_at, c.resolved_at, "
        "c.category, c.severity, c.waiting_since, c.paused_hours, s.triage, k.inputs AS kept, "
        f"{_inputs_sql(levels)} AS inputs FROM complaints c LEFT JOIN (SELECT c.complaint_id, "
        "string_agg(CAST(i.occurred_at AS VARCHAR) || i.direction, ',' ORDER BY i.occurred_at, i.direction) "
        f"AS messages {THREAD_SQL}{narrow} GROUP BY c.complaint_id) t ON t.complaint_id = c.complaint_id "
        f"{_TRIAGE} LEFT JOIN complaint_clocks k ON k.complaint_id = c.complaint_id WHERE 1 = 1{narrow}) x "
        "WHERE x.kept IS DISTINCT FROM x.inputs")


def stale(store: Store, levels: ServiceLevels, where: str = "", params: list | None = None) -> int:
    """How many complaints (``where``: SQL on ``c``) have no kept clocks, or clocks of other inputs."""
    params = list(params or [])
    return int(store.scalar(f"SELECT count(*) FROM ({_stale_sql(levels, where)}) y",
                            [_basis(levels)] + params + params))


def _kept(clock: Clock | None) -> tuple:
    if clock is None:
        return None, None, None, None
    return clock.due, clock.state if clock.running is None else None, clock.warns_from(), clock.breached_after()


def _row(c: dict, messages: list, levels: ServiceLevels) -> tuple:
    """The kept clocks of complaint ``c``: computed at its own last event (a stopped clock's state no longer
    moves, a running one's moments do not depend on when it is read)."""
    at = max(t for t in (c["opened_at"], c["first_response_at"], c["resolved_at"], *(m[0] for m in messages))
             if t is not None)
    clocks = levels.desk_clocks(c | {"messages": messages}, at)
    nexts = clocks["next_responses"]
    if not nexts:
        latest = (None, None, None, None)
    elif any(k.running is None and k.state == "breached" for k in nexts):  # a late answer: breached for good
        latest = (nexts[-1].due, "breached", None, None)
    else:
        latest = _kept(nexts[-1])
    return (int(c["complaint_id"]), c["inputs"], *_kept(clocks["first_response"]), *_kept(clocks["resolution"]),
            *latest)


def refresh(store: Store, levels: ServiceLevels, where: str = "", params: list | None = None) -> int:
    """Compute again the clocks of the complaints (``where``: SQL on ``c``) whose inputs changed, inside the
    caller's write transaction; returns how many."""
    import pyarrow as pa

    store.backend.lock("complaint_clocks")
    params = list(params or [])
    rows = store.records(_stale_sql(levels, where), [_basis(levels)] + params + params)
    if not where:  # rows of complaints deleted since (an undone import)
        store.raw.execute("DELETE FROM complaint_clocks WHERE NOT EXISTS (SELECT 1 FROM complaints c "
                          "WHERE c.complaint_id = complaint_clocks.complaint_id)")
    if not rows:
        return 0
    ids = [int(r["complaint_id"]) for r in rows]
    threads: dict[int, list] = {}
    for n in range(0, len(ids), _CHUNK):
        chunk = ids[n:n + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        threads |= complaint_threads(store, f"c.complaint_id IN ({marks})", chunk)
        store.raw.execute(f"DELETE FROM complaint_clocks WHERE complaint_id IN ({marks})", chunk)
    kept = [_row(r, threads.get(int(r["complaint_id"]), []), levels) for r in rows]
    types = {"complaint_id": pa.int64(), "inputs": pa.string()} | {
        name: pa.string() if name.endswith("_settled") else pa.timestamp("us") for name in COLUMNS[2:]}
    store.insert_rows("complaint_clocks", pa.table(
        {name: pa.array([r[i] for r in kept], type=types[name]) for i, name in enumerate(COLUMNS)}))
    return len(rows)


def refresh_party(store: Store, party_id: int) -> int:
    """:func:`refresh` of one customer's complaints (a complaint or a message of theirs changed: a message that
    names no complaint belongs to one by the customer's other complaints), on the store's service levels."""
    return refresh(store, service_levels(store), "c.party_id = ?", [party_id])


def ranks(c: dict) -> tuple:
    """A clocked complaint's (:func:`patron.areas.complaints.desk.with_clocks`) states as ranks, for
    :func:`states_sql`: first response, resolution, next responses (None without one), and its resolution due."""
    n = c["next_responses"]
    nxt = None if not n["count"] else 3 if n["breached"] else SLA_STATES.index(c["next_response"]["state"])
    return (int(c["complaint_id"]), SLA_STATES.index(c["first_response"]["state"]),
            SLA_STATES.index(c["resolution"]["state"]), nxt, c["resolution"]["due"])


def states_sql(at: dt.datetime, live: list[tuple]) -> tuple[str, list]:
    """A derived table of every complaint's states at ``at``, as ranks in SLA_STATES (``complaint_id``,
    ``first_response``, ``resolution``, ``next_response``: NULL without one) and its ``resolution_due``: from the
    kept clocks, and for the complaints :data:`LIVE` from ``live`` (:func:`ranks` of their clocked rows)."""

    def rank(kind: str) -> str:
        return (f"CASE WHEN k.{kind}_settled = 'met' THEN 0 WHEN k.{kind}_settled = 'breached' THEN 3 "
                f"WHEN k.{kind}_breached_after IS NULL THEN NULL WHEN n.at > k.{kind}_breached_after THEN 3 "
                f"WHEN n.at >= k.{kind}_warns_from THEN 2 ELSE 1 END")

    sql = (f"SELECT k.complaint_id, {rank('first_response')} AS first_response, {rank('resolution')} AS resolution, "
           f"{rank('next_response')} AS next_response, k.resolution_due FROM complaint_clocks k "
           "JOIN complaints c ON c.complaint_id = k.complaint_id CROSS JOIN (SELECT CAST(? AS TIMESTAMP) AS at) n "
           f"WHERE NOT {LIVE}")
    params: list = [at]
    if live:
        sql += (" UNION ALL SELECT * FROM (VALUES " + ", ".join(
            "(CAST(? AS BIGINT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS TIMESTAMP))"
            for _ in live) + ") o (complaint_id, first_response, resolution, next_response, resolution_due)")
        params += [v for row in live for v in row]
    return sql, params
