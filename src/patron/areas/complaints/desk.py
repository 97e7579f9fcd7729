"""The complaint desk a service team works from: every complaint, filtered, sorted and paged, with its
service-level clocks (first response, next response, resolution, in business hours of the store's service
levels, :func:`service_levels`); assigning an owner; waiting for the customer (the clocks stop); the charter
report.

Ages and clocks run to the data's end (:func:`data_end`): the latest of the last analysis run's as-of
date, the newest complaint event and the newest message of a complaint's thread, never the wall clock, so an imported history reads as it stood.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.act.rules import read_settings
from patron.act.triggers import complaint_threads
from patron.areas.complaints import stored_clocks
from patron.areas.complaints.charter import DEFAULT_CLAUSES, Clause
from patron.areas.complaints.service import get_complaint
from patron.areas.complaints.sla import SLA_STATES, ServiceLevels, service_levels_from_toml
from patron.areas.complaints.stored_clocks import SERVICE_LEVELS_SETTING, service_levels
from patron.errors import InvalidInput
from patron.service.audit import change_settings, record
from patron.service.entered import now
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import COMPLAINT_SEVERITIES, COMPLAINT_STATUSES

SORTS = ("opened_at", "age", "severity", "value", "status", "category", "owner", "resolution_due")


def data_end(store: Store) -> dt.datetime:
    """The data's end date: the latest of the last run's as-of, the newest complaint event and the newest message
    of a complaint's thread (an interaction after a first response)."""
    ends = store.query(
        "SELECT max(opened_at), max(first_response_at), max(resolved_at) FROM complaints UNION ALL "
        "SELECT max(as_of), NULL, NULL FROM runs WHERE kind = 'value' UNION ALL "
        "SELECT max(i.occurred_at), NULL, NULL FROM interactions i WHERE EXISTS (SELECT 1 FROM complaints c "
        "WHERE c.party_id = i.party_id AND i.occurred_at > c.first_response_at)")
    found = [v for row in ends for v in row if v is not None]
    return max(found) if found else now()


def set_service_levels(store: Store, user: User | None, text: str) -> ServiceLevels:
    """Keep ``text`` (TOML, :mod:`patron.areas.complaints.sla`) as the store's service levels, once it parses
    (audited); an empty text goes back to the defaults."""
    if user is not None:
        user.require("service_levels.manage")
    text = (text or "").strip()
    levels = service_levels_from_toml(text, read_settings(store, "time_zone").get("time_zone") or "UTC") \
        if text else None
    change_settings(store, user, {SERVICE_LEVELS_SETTING: text or None})
    levels = levels or service_levels(store)
    with store.transaction():  # every complaint's kept clocks, on the new targets
        stored_clocks.refresh(store, levels)
    return levels


def with_clocks(c: dict, levels: ServiceLevels, at: dt.datetime) -> dict:
    """The complaint with its age (days to ``at``), its clocks (first response, resolution, the latest next
    response and how many next responses were late) and its SLA state (the worst of them)."""
    end = c["resolved_at"] or at
    c["age_days"] = max((end - c["opened_at"]).total_seconds() / 86400, 0.0)
    clocks = levels.desk_clocks(c, at)
    c["first_response"] = clocks["first_response"].as_dict()
    c["resolution"] = clocks["resolution"].as_dict()
    nexts = clocks["next_responses"]
    c["next_response"] = clocks["next_response"].as_dict() if nexts else None
    c["next_responses"] = {"count": len(nexts), "breached": sum(k.state == "breached" for k in nexts)}
    states = [clocks["first_response"].state, clocks["resolution"].state]
    if nexts:  # any late answer to a customer's message breaches; else the latest clock says
        states.append("breached" if c["next_responses"]["breached"] else nexts[-1].state)
    c["sla_state"] = max(states, key=SLA_STATES.index)
    c["escalate_to"] = (clocks["resolution"].escalate_to or clocks["first_response"].escalate_to
                        or next((k.escalate_to for k in nexts if k.escalate_to), None))
    return c


def clocked(store: Store, rows: list[dict], levels: ServiceLevels, at: dt.datetime) -> list[dict]:
    """The rows (complaints) with their clocks (:func:`with_clocks`), each read from its own thread
    (:func:`~patron.act.triggers.complaint_threads` of exactly these complaints, one query): the one clock the
    desk, the complaint list and the charter show."""
    ids = sorted({int(r["complaint_id"]) for r in rows})
    threads: dict[int, list] = {}
    for n in range(0, len(ids), 1000):  # a bounded IN list per query
        chunk = ids[n:n + 1000]
        threads |= complaint_threads(store, f"c.complaint_id IN ({', '.join('?' for _ in chunk)})", chunk)
    return [with_clocks(r | {"messages": threads.get(int(r["complaint_id"]), ())}, levels, at) for r in rows]


_DESK_COLUMNS = (
    "c.complaint_id, c.party_id, coalesce(p.name, '#' || CAST(c.party_id AS VARCHAR)) AS customer, "
    "c.opened_at, c.first_response_at, c.resolved_at, c.channel, c.category, c.cause, c.severity, c.status, "
    "c.description, c.resolution, c.satisfaction_after, c.owner, c.waiting_since, c.paused_hours, "
    "s.clv AS value, s.triage AS triage")
_DESK_SOURCE = ("complaints c JOIN parties p ON p.party_id = c.party_id "
                "LEFT JOIN scores s ON s.party_id = c.party_id AND s.run_id = ?")
_SEVERITY_RANK = "CASE c.severity " + " ".join(
    f"WHEN '{sev}' THEN {n}" for n, sev in enumerate(COMPLAINT_SEVERITIES)) + " END"


def complaint_desk(store: Store, user: User | None, *, status: list[str] | None = None,
                   severity: list[str] | None = None, category: str | None = None, cause: str | None = None,
                   owner: str | None = None, sla_state: str | None = None, min_age_days: float | None = None,
                   max_age_days: float | None = None, min_value: float | None = None, sort: str = "opened_at",
                   descending: bool = False, page: int = 1, per_page: int = 50,
                   levels: ServiceLevels | None = None) -> dict[str, Any]:
    """One page of complaints matching the filters, with the total, each with its clocks and customer value.

    Filters, sorting, the total and the page are SQL; the business-hours clocks are computed for the page's rows
    only (:func:`clocked`). A filter on the SLA state and the sort by resolution due read the kept clocks
    (:mod:`~patron.areas.complaints.stored_clocks`, computed again first where their inputs changed) in SQL too;
    only with service levels other than the store's, or on a read-only store whose kept clocks are behind, is
    every candidate clocked here."""
    if user is not None:
        user.require("customers.read")
    for name, values, allowed in (("status", status, COMPLAINT_STATUSES), ("severity", severity,
                                                                             COMPLAINT_SEVERITIES)):
        bad = set(values or ()) - set(allowed)
        if bad:
            raise InvalidInput(f"Unknown {name} {', '.join(sorted(bad))}; choose from {', '.join(allowed)}.")
    if sla_state is not None and sla_state not in SLA_STATES:
        raise InvalidInput(f"Unknown SLA state '{sla_state}'; choose from {', '.join(SLA_STATES)}.")
    if sort not in SORTS:
        raise InvalidInput(f"Cannot sort by '{sort}'; choose from {', '.join(SORTS)}.")
    if page < 1 or not 1 <= per_page <= 500:
        raise InvalidInput("page starts at 1 and per_page is 1 to 500.")
    at = data_end(store)
    run_id = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")
    by_clock = sla_state is not None or sort == "resolution_due"
    states = _clock_states(store, levels, at, run_id) if by_clock else None
    levels = levels or service_levels(store)
    source, where, params = _DESK_SOURCE, ["1 = 1"], [run_id]
    if states is not None:
        source += f" JOIN ({states[0]}) st ON st.complaint_id = c.complaint_id"
        params += states[1]
    for col, values in (("status", status), ("severity", severity)):
        if values:
            where.append(f"c.{col} IN ({', '.join('?' for _ in values)})")
            params += list(values)
    for col, value in (("category", category), ("cause", cause), ("owner", owner)):
        if value:
            where.append(f"c.{col} = ?")
            params.append(value)
    if min_value is not None:
        where.append("coalesce(s.clv, 0) >= ?")
        params.append(min_value)
    age = "(coalesce(c.resolved_at, CAST(? AS TIMESTAMP)) - c.opened_at)"  # an interval on both stores
    for bound, op in ((min_age_days, ">="), (max_age_days, "<=")):
        if bound is not None:
            where.append(f"{age} {op} ?")
            params += [at, dt.timedelta(days=float(bound))]
    if sla_state == "met":  # every clock stopped: resolved
        where.append("c.resolved_at IS NOT NULL")
    if states is not None and sla_state is not None:
        where.append(f"{stored_clocks.STATE_RANK} = ?")
        params.append(SLA_STATES.index(sla_state))
    sql = f"SELECT {_DESK_COLUMNS} FROM {source} WHERE {' AND '.join(where)}"
    start = (page - 1) * per_page
    if by_clock and states is None:  # other service levels than the store's: every candidate is clocked
        rows = clocked(store, store.records(sql, params), levels, at)
        if sla_state is not None:
            rows = [r for r in rows if r["sla_state"] == sla_state]
        key = {"resolution_due": lambda r: r["resolution"]["due"], "age": lambda r: r["age_days"],
               "severity": lambda r: COMPLAINT_SEVERITIES.index(r["severity"]),
               "value": lambda r: r["value"] if r["value"] is not None else -1.0}.get(
            sort, lambda r: (r[sort] is None, r[sort] if r[sort] is not None else ""))
        rows.sort(key=lambda r: (key(r), r["complaint_id"]), reverse=descending)
        total, rows = len(rows), rows[start:start + per_page]
    else:
        way = "DESC" if descending else "ASC"
        order, order_params = {"age": (f"{age} {way}", [at]), "severity": (f"{_SEVERITY_RANK} {way}", []),
                               "value": (f"coalesce(s.clv, -1.0) {way}", []),
                               "resolution_due": (f"st.resolution_due {way}", [])}.get(
            sort, (f"CASE WHEN c.{sort} IS NULL THEN 1 ELSE 0 END {way}, c.{sort} {way}", []))
        total = int(store.scalar(f"SELECT count(*) FROM {source} WHERE {' AND '.join(where)}", params))
        rows = clocked(store, store.records(f"{sql} ORDER BY {order}, c.complaint_id {way} LIMIT ? OFFSET ?",
                                            params + order_params + [per_page, start]), levels, at)
    return {"total": total, "page": page, "per_page": per_page, "as_of": at,
            "pages": max((total + per_page - 1) // per_page, 1), "rows": rows}


def _clock_states(store: Store, levels: ServiceLevels | None, at: dt.datetime, run_id) -> tuple[str, list] | None:
    """Every complaint's clock states at ``at`` as SQL (:func:`~patron.areas.complaints.stored_clocks.states_sql`):
    the kept clocks, computed again first where their inputs changed, and the clocks of the complaints waiting
    for the customer, clocked here. None for service levels other than the store's, or a read-only store
    whose kept clocks are behind: then the caller clocks every complaint itself."""
    own = service_levels(store)
    if levels is not None and levels != own:
        return None
    if stored_clocks.stale(store, own):
        if store.read_only:
            return None
        with store.transaction():
            stored_clocks.refresh(store, own)
    live = clocked(store, store.records(f"SELECT {_DESK_COLUMNS} FROM {_DESK_SOURCE} WHERE {stored_clocks.LIVE}",
                                        [run_id]), own, at)
    return stored_clocks.states_sql(at, [stored_clocks.ranks(r) for r in live])


def assign_owner(store: Store, user: User, complaint_id: int, owner: str | None) -> dict:
    """Give the complaint an owner (a user name or a team), or none."""
    user.require("customers.write")
    owner = (owner or "").strip() or None
    with store.transaction():
        before = get_complaint(store, complaint_id)
        store.raw.execute("UPDATE complaints SET owner = ? WHERE complaint_id = ?", [owner, complaint_id])
        record(store, user, "complaint.owner", "complaint", complaint_id, {"owner": owner})
    return {**before, "owner": owner}


def wait_for_customer(store: Store, user: User, complaint_id: int, waiting: bool, *,
                      levels: ServiceLevels | None = None, at: dt.datetime | None = None) -> dict:
    """Stop the clocks while waiting for the customer (``waiting``), or start them again."""
    user.require("customers.write")
    at = at or now()
    levels = levels or service_levels(store)
    with store.transaction():
        c = store.records("SELECT party_id, status, waiting_since, paused_hours FROM complaints "
                          "WHERE complaint_id = ?",
                          [complaint_id])
        if not c:
            get_complaint(store, complaint_id)
        c = c[0]
        if c["status"] not in ("open", "in_progress"):
            raise InvalidInput("Only an open or in-progress complaint can wait for the customer.")
        if waiting and c["waiting_since"] is None:
            store.raw.execute("UPDATE complaints SET waiting_since = ? WHERE complaint_id = ?", [at, complaint_id])
        elif not waiting and c["waiting_since"] is not None:
            paused = (c["paused_hours"] or 0.0) + levels.calendar.hours_between(c["waiting_since"], at)
            store.raw.execute("UPDATE complaints SET waiting_since = NULL, paused_hours = ? WHERE complaint_id = ?",
                              [paused, complaint_id])
        record(store, user, "complaint.waiting", "complaint", complaint_id, {"waiting": waiting})
        stored_clocks.refresh_party(store, c["party_id"])
    return store.records("SELECT complaint_id, waiting_since, paused_hours FROM complaints WHERE complaint_id = ?",
                         [complaint_id])[0]


def charter_report(store: Store, user: User | None, *, since: dt.date | None = None, until: dt.date | None = None,
                   clauses: tuple[Clause, ...] = DEFAULT_CLAUSES, levels: ServiceLevels | None = None) -> dict:
    """Clause by clause: the complaints opened in the period a clause covers, how many kept the promise,
    the share against the clause's target, and whether the charter was kept. Clauses with their SQL (the
    defaults) are counted on the kept clocks (:func:`_clock_states`); others on every complaint's clocks."""
    if user is not None:
        user.require("customers.read")
    period, params = ["1 = 1"], []
    if since is not None:
        period.append("c.opened_at >= ?")
        params.append(dt.datetime.combine(since, dt.time()))
    if until is not None:
        period.append("c.opened_at < ?")
        params.append(dt.datetime.combine(until, dt.time()) + dt.timedelta(days=1))
    at = data_end(store)
    run_id = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")
    states = _clock_states(store, levels, at, run_id) if all(cl.sql for cl in clauses) else None
    if states is not None:
        sums = ", ".join(f"sum(CASE WHEN {judged} THEN 1 ELSE 0 END), "
                         f"sum(CASE WHEN ({judged}) AND ({kept}) THEN 1 ELSE 0 END)" for judged, kept in
                         (cl.sql for cl in clauses))
        row = store.query(f"SELECT count(*), {sums} FROM complaints c JOIN ({states[0]}) st "
                          f"ON st.complaint_id = c.complaint_id WHERE {' AND '.join(period)}", states[1] + params)[0]
        count, tallies = int(row[0]), [(int(row[1 + 2 * n] or 0), int(row[2 + 2 * n] or 0))
                                       for n in range(len(clauses))]
    else:
        complaints = clocked(store, store.records(
            "SELECT c.*, s.triage AS triage FROM complaints c LEFT JOIN scores s ON s.party_id = c.party_id "
            f"AND s.run_id = ? WHERE {' AND '.join(period)}", [run_id] + params), levels or service_levels(store), at)
        count, tallies = len(complaints), []
        for clause in clauses:
            judged = [v for v in (clause.kept(c) for c in complaints) if v is not None]
            tallies.append((len(judged), sum(judged)))
    out = []
    for clause, (judged, kept) in zip(clauses, tallies, strict=True):
        share = kept / judged if judged else None
        out.append({"clause": clause.code, "promise": clause.promise, "target_share": clause.target_share,
                    "complaints": judged, "kept": kept, "share": share,
                    "adhered": None if share is None else share >= clause.target_share})
    return {"as_of": at, "since": since, "until": until, "complaints": count, "clauses": out}
