"""Triggers: who a playbook's event found between two evaluations, and when its schedule is next due.

An evaluation looks at what happened since the previous one (``trigger_evaluations``; the last one that did not
fail is where the next starts), so an event fires once per party per occurrence:

- between two analysis runs (the run the last evaluation saw, and the current one): ``p_alive_drop`` (P(alive)
  was at or above ``threshold`` and is now below it), ``ladder_move`` (the party's rung went ``up``, ``down`` or
  either way on the ladder of loyalty);
- in a span of time (after the last evaluation, up to now), by when patron learnt of it (an imported record
  counts from its import's end, so a record imported late with an old date is not missed): ``complaint_resolved``,
  ``sla_breached`` (the time to respond, to answer a customer's next message or to resolve a complaint ran out,
  in business hours of the store's service levels, the clock the complaint desk shows),
  ``detractor`` (an NPS answer of at most ``max_score``, 6 by default), ``first_purchase_anniversary`` (one or
  more whole years since the first order), ``import_finished`` (the people an import created or brought
  records of).

Each function returns the party ids (sorted, distinct) and a sentence saying what was found. "Valuable" (a
valuable customer's P(alive) falls) is the playbook's audience: the campaign keeps to those of the found people
that are in it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from patron.store import Store
from patron.store.vocabulary import LADDER_STATES

#: Events compared between two analysis runs; the others look at a span of time.
RUN_EVENTS = ("p_alive_drop", "ladder_move")
EVENT_WORDS = {
    "p_alive_drop": "a valuable customer's P(alive) falls below a threshold",
    "ladder_move": "a move up or down the ladder of loyalty",
    "complaint_resolved": "a complaint resolved",
    "sla_breached": "a complaint's service level breached",
    "detractor": "a detractor's NPS answer",
    "first_purchase_anniversary": "a first-purchase anniversary",
    "import_finished": "an import finished",
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: How far back an anniversary is looked for when the span is longer (a playbook evaluated after a long pause).
ANNIVERSARY_SPAN = dt.timedelta(days=366)


def describe_trigger(trigger: dict | None, firm_zone: str = "UTC") -> str:
    """The trigger in words, for the pages (a schedule's time in its ``time_zone``, else ``firm_zone``)."""
    trigger = trigger or {"kind": "manual"}
    kind = trigger.get("kind", "manual")
    if kind == "schedule":
        every = trigger["every"]
        on = trigger.get("on")
        when = {"day": "every day", "week": f"every {str(on or 'monday').capitalize()}",
                "month": f"every month on day {on or 1}", "quarter": f"every quarter on day {on or 1}"}[every]
        return f"{when} at {trigger.get('at', '00:00')} {trigger.get('time_zone') or firm_zone}"
    if kind == "event":
        event = trigger["event"]
        words = EVENT_WORDS[event]
        if event == "p_alive_drop":
            words = words.replace("a threshold", f"{trigger.get('threshold', 0.5):g}")
        if event == "ladder_move" and trigger.get("direction", "any") != "any":
            words = f"a move {trigger['direction']} the ladder of loyalty"
        if event == "detractor":
            words += f" ({trigger.get('max_score', 6):g} or less)"
        return f"on {words}"
    return "by hand"


def _ids(rows) -> list[int]:
    return sorted({int(r[0]) for r in rows})


def _learnt(alias: str, column: str) -> str:
    """When patron learnt of a record: its own time, or its import's end if that is later."""
    return (f"greatest({alias}.{column}, coalesce((SELECT i.finished_at FROM imports i "
            f"WHERE i.import_id = {alias}.import_id), {alias}.{column}))")


def p_alive_drop(store: Store, before_run: int, run: int, threshold: float) -> tuple[list[int], str]:
    ids = _ids(store.query(
        "SELECT c.party_id FROM scores c JOIN scores b ON b.party_id = c.party_id AND b.run_id = ? "
        "WHERE c.run_id = ? AND b.p_alive >= ? AND c.p_alive < ?", [before_run, run, threshold, threshold]))
    return ids, f"{len(ids):,} people's P(alive) fell below {threshold:g} between runs {before_run} and {run}"


def ladder_move(store: Store, before_run: int, run: int, direction: str = "any") -> tuple[list[int], str]:
    rank = "CASE {c} " + " ".join(f"WHEN '{state}' THEN {i}" for i, state in enumerate(LADDER_STATES)) + " END"
    compare = {"up": ">", "down": "<", "any": "<>"}[direction]
    ids = _ids(store.query(
        f"SELECT c.party_id FROM scores c JOIN scores b ON b.party_id = c.party_id AND b.run_id = ? "
        f"WHERE c.run_id = ? AND {rank.format(c='c.rung')} {compare} {rank.format(c='b.rung')}", [before_run, run]))
    moved = {"up": "moved up", "down": "moved down", "any": "moved"}[direction]
    return ids, f"{len(ids):,} people {moved} the ladder of loyalty between runs {before_run} and {run}"


def complaint_resolved(store: Store, since: dt.datetime, until: dt.datetime) -> tuple[list[int], str]:
    learnt = _learnt("c", "resolved_at")
    ids = _ids(store.query(f"SELECT c.party_id FROM complaints c WHERE c.resolved_at IS NOT NULL "
                           f"AND {learnt} > ? AND {learnt} <= ?", [since, until]))
    return ids, f"{len(ids):,} people had a complaint resolved"


#: A message that names no complaint (imported, or logged before migration 23) belongs to its customer's newest
#: complaint open when it was sent: opened at or before it and not yet resolved, ties to the higher number.
_UNLINKED_OWNER = (
    "i.complaint_id IS NULL AND coalesce(i.department, 'service') = 'service' AND NOT EXISTS (SELECT 1 FROM "
    "complaints o WHERE o.party_id = c.party_id AND o.complaint_id <> c.complaint_id AND o.opened_at <= i.occurred_at "
    "AND (o.resolved_at IS NULL OR o.resolved_at > i.occurred_at) AND (o.opened_at > c.opened_at OR "
    "(o.opened_at = c.opened_at AND o.complaint_id > c.complaint_id)))")


#: FROM and WHERE of every complaint's thread (``c``) and its messages (``i``), as :func:`complaint_threads` reads it.
THREAD_SQL = ("FROM complaints c JOIN interactions i ON i.party_id = c.party_id "
              "AND i.occurred_at > c.first_response_at AND (c.resolved_at IS NULL OR i.occurred_at < c.resolved_at) "
              f"WHERE i.direction IS NOT NULL AND (i.complaint_id = c.complaint_id OR ({_UNLINKED_OWNER}))")


def complaint_threads(store: Store, where: str = "", params: list | None = None
                      ) -> dict[int, list[tuple[dt.datetime, str]]]:
    """Each complaint's own thread after its first response, in time order, as (time, direction) pairs: the
    inbound and outbound messages logged against it (``interactions.complaint_id``) and the service messages
    (department ``service`` or none) that name no complaint and belong to it by :data:`_UNLINKED_OWNER`, from
    the first response up to the resolution. ``where`` narrows the complaints (SQL on ``c``)."""
    threads: dict[int, list] = {}
    for cid, at, direction in store.query(
            f"SELECT c.complaint_id, i.occurred_at, i.direction {THREAD_SQL}" + (f" AND {where}" if where else "")
            + " ORDER BY c.complaint_id, i.occurred_at", params or []):
        threads.setdefault(int(cid), []).append((at, direction))
    return threads


def sla_breached(store: Store, since: dt.datetime, until: dt.datetime, levels) -> tuple[list[int], str]:
    """A complaint's first-response, next-response or resolution deadline fell in the span with no answer or
    resolution by then, on the clock the desk shows: ``levels`` (the store's
    :class:`~patron.areas.complaints.sla.ServiceLevels`) in business hours, waits for the customer left out."""
    open_then = "c.opened_at <= ? AND (c.resolved_at IS NULL OR c.resolved_at > ?)"
    rows = store.records(
        "SELECT c.complaint_id, c.party_id, c.category, c.severity, c.opened_at, c.first_response_at, c.resolved_at, "
        "c.waiting_since, c.paused_hours, s.triage FROM complaints c LEFT JOIN scores s ON s.party_id = c.party_id "
        f"AND s.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'value') WHERE {open_then}", [until, since])
    threads = complaint_threads(store, open_then, [until, since])
    found = set()
    for c in rows:
        clocks = levels.desk_clocks(c | {"messages": threads.get(int(c["complaint_id"]), ())}, until)
        if any(k.state == "breached" and since < k.due <= until for k in
               (clocks["first_response"], clocks["resolution"], *clocks["next_responses"])):
            found.add(int(c["party_id"]))
    return sorted(found), f"{len(found):,} people's complaint ran past its service level"


def detractor(store: Store, since: dt.datetime, until: dt.datetime, max_score: float = 6) -> tuple[list[int], str]:
    learnt = _learnt("f", "occurred_at")
    ids = _ids(store.query(f"SELECT f.party_id FROM feedback f WHERE f.instrument = 'nps' AND f.score <= ? "
                           f"AND {learnt} > ? AND {learnt} <= ?", [max_score, since, until]))
    return ids, f"{len(ids):,} people answered the NPS question with {max_score:g} or less"


def _anniversary(first: dt.datetime, year: int) -> dt.datetime:
    day = min(first.day, calendar.monthrange(year, first.month)[1])  # 29 February: the 28th in other years
    return first.replace(year=year, day=day)


def first_purchase_anniversary(store: Store, since: dt.datetime, until: dt.datetime) -> tuple[list[int], str]:
    since = max(since, until - ANNIVERSARY_SPAN)
    # Only first orders on a day of the year the span covers come out of the store (a minute's span: one day);
    # the exact moment is compared below. 29 February counts as the 28th in other years.
    days, day = set(), since.date()
    while day <= until.date() and len(days) < 367:
        days.add(day.month * 100 + day.day)
        day += dt.timedelta(days=1)
    if 228 in days:
        days.add(229)
    first_sql = "min(occurred_at)"
    rows = store.query(
        "SELECT party_id, min(occurred_at) FROM transactions WHERE kind = 'order' GROUP BY party_id "
        f"HAVING {first_sql} <= ? AND extract(month FROM {first_sql}) * 100 + extract(day FROM {first_sql}) IN "
        f"({', '.join(map(str, sorted(days)))})", [until - dt.timedelta(days=365)])
    found = []
    for pid, first in rows:
        for year in range(max(since.year, first.year + 1), until.year + 1):
            if since < _anniversary(first, year) <= until:
                found.append(int(pid))
                break
    return sorted(found), f"{len(found):,} people reached an anniversary of their first purchase"


def import_finished(store: Store, since: dt.datetime, until: dt.datetime) -> tuple[list[int], str]:
    imports = [int(i) for (i,) in store.query("SELECT import_id FROM imports WHERE finished_at > ? "
                                              "AND finished_at <= ? AND undone_at IS NULL", [since, until])]
    if not imports:
        return [], "no import finished"
    listed = ", ".join(map(str, imports))
    parts = [f"SELECT party_id FROM {table} WHERE import_id IN ({listed})"
             for table in ("parties", "transactions", "interactions", "feedback", "complaints")]
    ids = _ids(store.query(" UNION ".join(parts)))
    return ids, f"{len(ids):,} people in {len(imports)} finished import(s) ({listed})"


def next_due(after: dt.datetime, every: str, at: str = "00:00", on: str | int | None = None,
             zone: ZoneInfo | None = None) -> dt.datetime:
    """The first moment of the schedule strictly after ``after`` (naive UTC), as naive UTC.

    ``at`` and ``on`` are wall-clock time in ``zone`` (the playbook's ``time_zone``, else the firm's; UTC when
    None): "every day at 09:00 Europe/Paris" is 08:00 UTC in winter and 07:00 UTC in summer. On the days the
    clocks change, a time the spring-forward skips (02:30 in Paris on the last Sunday of March) runs at the
    same distance past the change (03:30 summer time), and a time the autumn's fall-back repeats runs once, at
    its first occurrence.
    """
    zone = zone or dt.UTC
    wall = after.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
    while True:
        wall = _next_wall(wall, every, at, on)
        when = wall.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)
        if when > after:  # a wall time before ``after`` in UTC: the repeated hour of the autumn
            return when


def _next_wall(after: dt.datetime, every: str, at: str, on: str | int | None) -> dt.datetime:
    """The first wall-clock moment of the schedule strictly after the wall-clock ``after``."""
    time = dt.time.fromisoformat(at)
    if every == "day":
        when = dt.datetime.combine(after.date(), time)
        return when if when > after else when + dt.timedelta(days=1)
    if every == "week":
        target = WEEKDAYS.index(str(on or "monday").lower())
        when = dt.datetime.combine(after.date() + dt.timedelta(days=(target - after.weekday()) % 7), time)
        return when if when > after else when + dt.timedelta(days=7)
    day = int(on or 1)
    step = 3 if every == "quarter" else 1
    year, month = after.year, after.month
    if every == "quarter":
        month = month - (month - 1) % 3  # the first month of the quarter
    while True:
        when = dt.datetime.combine(dt.date(year, month, day), time)
        if when > after:
            return when
        month += step
        if month > 12:
            year, month = year + 1, month - 12
