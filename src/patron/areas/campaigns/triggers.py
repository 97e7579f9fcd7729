"""Playbook triggers carried out: ``patron playbook run-due``, the API's and the page's button, and the scheduler of
``patron serve`` all call :func:`run_due`.

For every active playbook whose trigger is an event or a schedule, one evaluation (a ``trigger_evaluations``
row) is recorded: when, against which run, how many people it matched, the campaign it started and any error.
A match creates a campaign of the playbook through the campaigns service and launches it at once (the global
holdout, the random control and every exclusion apply as for a campaign started by hand), in the same
transaction as the evaluation: an evaluation and its campaign are stored together or not at all, and the next
evaluation starts where the last one that did not fail ended, so running run-due twice starts nothing new.

- An **event** (``act/triggers.py``) matches the people it found since the last evaluation who are also in the
  playbook's audience; the campaign keeps to them (``party_ids``).
- A **schedule** is due when its next moment (``every`` day, week, month or quarter, ``at`` HH:MM, ``on`` a
  weekday or a day of the month, in the playbook's ``time_zone`` or else the firm's ``time_zone`` setting) has come since the last evaluation (or since the playbook was saved); the
  campaign reaches the playbook's whole audience.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from patron.act import rules, triggers
from patron.act.audience import Audience, audience_sql
from patron.act.delivery import notify
from patron.act.playbooks import Playbook, parse_playbook
from patron.act.triggers import EVENT_WORDS, describe_trigger
from patron.areas.campaigns import service
from patron.areas.complaints.desk import service_levels
from patron.errors import InvalidInput, PatronError
from patron.service.audit import record
from patron.service.periodic import Periodic
from patron.service.permissions import User
from patron.service.runs import current_run
from patron.store import Store

#: Who the scheduler of ``patron serve`` acts as (in the audit log and as a campaign's creator).
SCHEDULER = User(0, "trigger scheduler", "marketing")
__all__ = ["EVENT_WORDS", "Scheduler", "describe", "describe_trigger", "evaluate", "evaluations", "last_evaluation",
           "next_due", "prune", "run_due", "schedule_zone"]
#: How often the scheduler of ``patron serve`` calls :func:`run_due`.
INTERVAL_S = 60


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def last_evaluation(store: Store, playbook_id: int, *, succeeded: bool = False) -> dict | None:
    """The playbook's newest evaluation (the newest that did not fail, with ``succeeded``)."""
    clause = " AND error IS NULL" if succeeded else ""
    rows = store.records(
        "SELECT evaluation_id, playbook_id, evaluated_at, run_id, matched, campaign_id, detail, error "
        f"FROM trigger_evaluations WHERE playbook_id = ?{clause} ORDER BY evaluation_id DESC LIMIT 1", [playbook_id])
    return rows[0] if rows else None


def evaluations(store: Store, playbook_id: int, limit: int = 20) -> list[dict]:
    return store.records(
        "SELECT evaluation_id, evaluated_at, run_id, matched, campaign_id, detail, error FROM trigger_evaluations "
        f"WHERE playbook_id = ? ORDER BY evaluation_id DESC LIMIT {int(limit)}", [playbook_id])


def firm_time_zone(store: Store) -> str:
    """The firm's time zone: the ``time_zone`` setting (the one quiet hours fall back on), UTC by default."""
    return rules.read_settings(store).get("time_zone") or rules.DEFAULT_TIME_ZONE


def schedule_zone(store: Store, trigger: dict) -> ZoneInfo:
    """The zone a schedule's ``at`` and ``on`` are read in: the playbook's ``time_zone``, else the firm's."""
    return rules.zone(trigger.get("time_zone"), rules.zone(firm_time_zone(store), ZoneInfo("UTC")))


def describe(store: Store, trigger: dict | None) -> str:
    """The trigger in words, a schedule's time with its zone."""
    return describe_trigger(trigger, firm_time_zone(store))


def next_due(store: Store, playbook_id: int, row: dict | None = None, playbook: Playbook | None = None
             ) -> dt.datetime | None:
    """When the playbook's trigger is next evaluated: a schedule's next moment; an event is looked for every time
    run-due runs (the moment of the next call: None here); a playbook started by hand, never (None)."""
    if row is None or playbook is None:
        row, playbook = service.get_playbook(store, playbook_id)
    trigger = playbook.trigger or {}
    if trigger.get("kind") != "schedule" or row["status"] != "active":
        return None
    last = last_evaluation(store, playbook_id, succeeded=True)
    start = last["evaluated_at"] if last else row["created_at"]
    return triggers.next_due(start, trigger["every"], trigger.get("at", "00:00"), trigger.get("on"),
                             schedule_zone(store, trigger))


def _previous_run(store: Store, run_id: int) -> int | None:
    found = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value' AND run_id < ? "
                         "AND coalesce(status, '') <> 'failed'", [run_id])
    return None if found is None else int(found)


def _event_people(store: Store, trigger: dict, last: dict | None, since: dt.datetime, at: dt.datetime, run_id: int
                  ) -> tuple[list[int] | None, str]:
    """The people the event found since the last evaluation, and in words; None: nothing to compare yet."""
    event = trigger["event"]
    if event in triggers.RUN_EVENTS:
        before = int(last["run_id"]) if last and last["run_id"] is not None else _previous_run(store, run_id)
        if before is None:
            return None, f"run {run_id} is the first analysis run: there is no earlier run to compare it with"
        if before >= run_id:
            return None, f"no new analysis run since run {before}"
        if event == "p_alive_drop":
            return triggers.p_alive_drop(store, before, run_id, float(trigger.get("threshold", 0.5)))
        return triggers.ladder_move(store, before, run_id, trigger.get("direction", "any"))
    if event == "complaint_resolved":
        return triggers.complaint_resolved(store, since, at)
    if event == "sla_breached":
        return triggers.sla_breached(store, since, at, service_levels(store))
    if event == "detractor":
        return triggers.detractor(store, since, at, float(trigger.get("max_score", 6)))
    if event == "first_purchase_anniversary":
        return triggers.first_purchase_anniversary(store, since, at)
    return triggers.import_finished(store, since, at)


def _audience_count(store: Store, audience: Audience, run_id: int) -> int:
    within = service._saved_view(store, audience.saved_view) if audience.saved_view else None
    sql, params = audience_sql(store, audience, run_id, within)
    return int(store.scalar(f"SELECT count(DISTINCT party_id) FROM ({sql}) a", params))


def evaluate(store: Store, user, playbook_id: int, at: dt.datetime | None = None) -> dict[str, Any] | None:
    """Evaluate one playbook's trigger now; its evaluation (and campaign, when it matched) in one transaction.

    Returns the evaluation recorded, or None when the playbook is started by hand or a schedule is not due.
    """
    at = at or _now()
    row, playbook = service.get_playbook(store, playbook_id)
    trigger = playbook.trigger or {"kind": "manual"}
    if row["status"] != "active" or trigger.get("kind", "manual") == "manual":
        return None
    try:
        with store.transaction():
            evaluation_id = store.next_id("trigger_evaluations", "evaluation_id")  # one evaluator at a time
            last = last_evaluation(store, playbook_id, succeeded=True)
            since = last["evaluated_at"] if last else row["created_at"]
            if trigger["kind"] == "schedule":
                due = triggers.next_due(since, trigger["every"], trigger.get("at", "00:00"), trigger.get("on"),
                                        schedule_zone(store, trigger))
                if due > at:
                    return None
            run_id = current_run(store)
            campaign_id, matched = None, 0
            if trigger["kind"] == "schedule":
                audience = playbook.audience
                matched = _audience_count(store, audience, run_id)
                detail = f"scheduled for {due:%Y-%m-%d %H:%M} UTC: {matched:,} people in the audience"
                label = f"{due:%Y-%m-%d %H:%M}"
            else:
                people, detail = _event_people(store, trigger, last, since, at, run_id)
                audience = Audience.from_dict({**playbook.audience.to_dict(), "party_ids": people or []})
                if people:
                    matched = _audience_count(store, audience, run_id)
                    detail += f"; {matched:,} of them in the playbook's audience"
                label = f"{trigger['event'].replace('_', ' ')} {at:%Y-%m-%d %H:%M}"
            if matched:
                campaign_id = service._create(store, user, playbook_id, playbook, run_id,
                                              name=f"{playbook.name} ({label})", audience=audience,
                                              detail={"trigger_evaluation": evaluation_id})
                launched = service._launch(store, user, campaign_id, at)
                detail += (f"; campaign {campaign_id} launched: {launched['arms'].get('treated', 0):,} treated, "
                           f"{launched['arms'].get('control', 0):,} control")
            store.raw.execute(
                "INSERT INTO trigger_evaluations (evaluation_id, playbook_id, evaluated_at, run_id, matched, "
                "campaign_id, detail, error) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                [evaluation_id, playbook_id, at, run_id, matched, campaign_id, detail])
            if campaign_id is not None:  # an evaluation that starts nothing is in trigger_evaluations only
                record(store, user, "playbook.trigger", "playbook", playbook_id,
                       {"evaluation_id": evaluation_id, "matched": matched, "campaign_id": campaign_id})
        if campaign_id is not None:
            notify(store)  # its messages go now
    except PatronError as exc:
        # Recorded as failed: the next evaluation starts again from the last one that did not fail.
        with store.transaction():
            evaluation_id = store.next_id("trigger_evaluations", "evaluation_id")
            store.raw.execute(
                "INSERT INTO trigger_evaluations (evaluation_id, playbook_id, evaluated_at, run_id, matched, "
                "campaign_id, detail, error) VALUES (?, ?, ?, NULL, 0, NULL, NULL, ?)",
                [evaluation_id, playbook_id, at, str(exc)])
    return store.records(
        "SELECT evaluation_id, playbook_id, evaluated_at, run_id, matched, campaign_id, detail, error "
        "FROM trigger_evaluations WHERE evaluation_id = ?", [evaluation_id])[0]


#: Days an evaluation that started nothing is kept (setting ``triggers.keep_days``): ``patron serve`` evaluates
#: every minute, 1,440 rows a playbook a day, 525,600 a year.
KEEP_DAYS = 30


def prune(store: Store, at: dt.datetime | None = None, keep_days: float | None = None) -> int:
    """Delete the evaluations older than ``keep_days`` (``triggers.keep_days``, 30 by default) that started no
    campaign; how many. Kept whatever their age: an evaluation that launched a campaign (why it was started), and
    each playbook's newest evaluation that did not fail (where its next evaluation starts)."""
    if keep_days is None:
        value = rules.read_settings(store).get("triggers.keep_days", KEEP_DAYS)
        try:
            keep_days = float(value)
        except ValueError:
            raise InvalidInput(f"setting triggers.keep_days: a number of days, not '{value}'.") from None
    if keep_days < 0:
        raise InvalidInput(f"triggers.keep_days: a number of days, 0 or more, not {keep_days:g}.")
    cutoff = (at or _now()) - dt.timedelta(days=keep_days)
    with store.transaction():
        return store.changed(
            "DELETE FROM trigger_evaluations WHERE evaluated_at < ? AND campaign_id IS NULL AND evaluation_id NOT IN "
            "(SELECT max(evaluation_id) FROM trigger_evaluations WHERE error IS NULL GROUP BY playbook_id)", [cutoff])


def run_due(store: Store, user, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Evaluate every active playbook's trigger (events, and the schedules that are due); the evaluations made.
    Then the old evaluations that started nothing are pruned (:func:`prune`)."""
    user.require("campaigns.launch")
    at = at or _now()
    done = []
    for playbook_id, name, definition in store.query(
            "SELECT playbook_id, name, definition FROM playbooks WHERE status = 'active' ORDER BY playbook_id"):
        if (parse_playbook(definition).trigger or {}).get("kind", "manual") == "manual":
            continue
        evaluation = evaluate(store, user, int(playbook_id), at)
        if evaluation is not None:
            done.append({**evaluation, "playbook": name})
    prune(store, at)
    return done


class Scheduler(Periodic):
    """The background thread of ``patron serve`` that calls :func:`run_due` every minute, on its own cursor."""

    name = "patron-triggers"

    def __init__(self, store: Store, interval_s: float = INTERVAL_S) -> None:
        super().__init__(store, interval_s)

    def work(self, cursor: Store) -> None:
        run_due(cursor, SCHEDULER)
