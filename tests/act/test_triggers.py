"""Playbook triggers on both stores: each event fires once per party per occurrence, through the campaigns service
(holdout, control, exclusions), a schedule fires when due and not again before its next moment, and every
evaluation is recorded in trigger_evaluations."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from companies import demo_company
from patron.act import triggers as act_triggers
from patron.act.holdout import cut, holdout_bucket
from patron.areas.campaigns.service import get_campaign, save_playbook
from patron.areas.campaigns.triggers import describe_trigger, evaluations, next_due, run_due
from patron.areas.complaints.desk import service_levels
from patron.errors import PermissionDenied
from patron.service.permissions import User
from patron.service.runs import current_run
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")
AT = dt.datetime(2030, 1, 1, 12, 0)


def _book(name: str, trigger: str, channel: str = "email", action: str = 'subject = "Hello {first_name}"',
          audience: str = "") -> str:
    return (f'name = "{name}"\nchannel = "{channel}"\npurpose = "newsletter"\ncontrol_share = 0.2\n'
            f"[trigger]\n{trigger}\n[audience]\n{audience}\n[action]\n{action}\n")


def _copy_run(store, changes: str, params: list) -> int:
    """A new current run: the current one's scores copied, then ``changes`` (an UPDATE's SET and WHERE on the
    new run's rows) applied; the old run stays as the one before."""
    old = current_run(store)
    new = old + 1
    columns = [c for c in store.records("SELECT * FROM scores WHERE run_id = ? LIMIT 1", [old])[0] if c != "run_id"]
    run_columns = [c for c in store.records("SELECT * FROM runs WHERE run_id = ?", [old])[0] if c != "run_id"]
    with store.transaction():
        store.raw.execute(f"INSERT INTO runs (run_id, {', '.join(run_columns)}) SELECT ?, {', '.join(run_columns)} "
                          "FROM runs WHERE run_id = ?", [new, old])
        store.raw.execute(f"INSERT INTO scores (run_id, {', '.join(columns)}) SELECT ?, {', '.join(columns)} "
                          "FROM scores WHERE run_id = ?", [new, old])
        store.raw.execute(f"UPDATE scores SET {changes} AND run_id = ?", [*params, new])
    assert current_run(store) == new
    return new


@pytest.fixture(params=ENGINES)
def company(request, tmp_path):
    with demo_company(tmp_path, 300, 5, new_store_url(request, request.param, tmp_path)) as store:
        yield store


def _members(store, campaign_id: int) -> dict[int, str]:
    return dict(store.query("SELECT party_id, arm FROM campaign_members WHERE campaign_id = ?", [campaign_id]))


def test_events_and_schedules_fire_once(company):
    store = company
    run1 = current_run(store)
    drop = save_playbook(store, ADMIN, _book("Slipping", 'kind = "event"\nevent = "p_alive_drop"\nthreshold = 0.5'))
    resolved = save_playbook(store, ADMIN, _book("After a complaint", 'kind = "event"\nevent = "complaint_resolved"',
                                                 channel="task"))
    detract = save_playbook(store, ADMIN, _book("Detractors", 'kind = "event"\nevent = "detractor"', channel="list",
                                                action='list = "Detractors to call"'))
    ladder = save_playbook(store, ADMIN, _book("Climbers", 'kind = "event"\nevent = "ladder_move"\ndirection = "up"'))
    daily = save_playbook(store, ADMIN, _book("Every morning", 'kind = "schedule"\nevery = "day"\nat = "09:00"',
                                              audience='triage = "best"'))
    assert describe_trigger({"kind": "schedule", "every": "day", "at": "09:00"}) == "every day at 09:00 UTC"
    saved = store.scalar("SELECT created_at FROM playbooks WHERE playbook_id = ?", [daily])
    first_morning = dt.datetime.combine(saved.date(), dt.time(9))
    assert next_due(store, daily) == (first_morning if saved < first_morning else first_morning + dt.timedelta(days=1))

    # Run 2: ten people who were alive enough fall below 0.5.
    falling = [int(p) for (p,) in store.query("SELECT party_id FROM scores WHERE run_id = ? AND p_alive >= 0.5 "
                                              "ORDER BY party_id LIMIT 10", [run1])]
    assert len(falling) == 10
    run2 = _copy_run(store, f"p_alive = 0.1 WHERE party_id IN ({', '.join(map(str, falling))})", [])
    # A complaint resolved and a detractor's answer, an hour before the evaluation.
    someone = falling[0]
    other = int(store.scalar(f"SELECT max(party_id) FROM scores WHERE run_id = ? AND party_id NOT IN "
                             f"({', '.join(map(str, falling))})", [run2]))
    cid = int(store.scalar("SELECT coalesce(max(complaint_id), 0) + 1 FROM complaints"))
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, resolved_at, "
                      "status) VALUES (?, 'desk', 't1', ?, ?, ?, 'resolved')",
                      [cid, someone, AT - dt.timedelta(days=2), AT - dt.timedelta(hours=1)])
    fid = int(store.scalar("SELECT coalesce(max(feedback_id), 0) + 1 FROM feedback"))
    store.raw.execute("INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, "
                      "score, scale_max) VALUES (?, 'survey', 't1', ?, ?, 'nps', 3, 10)",
                      [fid, other, AT - dt.timedelta(hours=1)])

    done = {e["playbook_id"]: e for e in run_due(store, ADMIN, at=AT)}
    assert set(done) == {drop, resolved, detract, ladder, daily} and not any(e["error"] for e in done.values())
    assert all(e["run_id"] == run2 for e in done.values())

    # P(alive): exactly the ten, in arms as any campaign (the global holdout kept out of the treated).
    slipping = done[drop]
    assert slipping["matched"] == 10 and "fell below 0.5 between runs" in slipping["detail"]
    members = _members(store, slipping["campaign_id"])
    assert set(members) == set(falling)
    for pid, arm in members.items():
        assert (arm == "holdout") == (holdout_bucket(pid) < cut(0.05))
    assert get_campaign(store, slipping["campaign_id"])["status"] == "running"
    assert store.scalar("SELECT count(*) FROM outbox WHERE campaign_id = ?", [slipping["campaign_id"]]) \
        == sum(1 for a in members.values() if a == "treated")

    assert set(_members(store, done[resolved]["campaign_id"])) == {someone}
    assert set(_members(store, done[detract]["campaign_id"])) == {other}
    if _members(store, done[detract]["campaign_id"])[other] == "treated":
        assert store.query("SELECT party_id FROM list_members WHERE list_name = 'Detractors to call'") == [(other,)]
    assert done[ladder]["matched"] == 0 and done[ladder]["campaign_id"] is None  # run 2 moved nobody's rung
    best = {int(p) for (p,) in store.query("SELECT party_id FROM scores WHERE run_id = ? AND triage = 'best'",
                                           [run2])}
    daily_members = _members(store, done[daily]["campaign_id"])
    assert set(daily_members) == best and done[daily]["matched"] == len(best)
    treated = sum(1 for a in daily_members.values() if a == "treated")
    assert treated > 0 and store.scalar("SELECT count(*) FROM outbox WHERE campaign_id = ?",
                                        [done[daily]["campaign_id"]]) == treated

    campaigns = store.scalar("SELECT count(*) FROM campaigns")
    outbox = store.scalar("SELECT count(*) FROM outbox")
    # Twice, and a minute later: the events were seen, the schedule is not due until tomorrow at 09:00.
    again = run_due(store, ADMIN, at=AT)
    later = run_due(store, ADMIN, at=AT + dt.timedelta(minutes=1))
    assert all(e["matched"] == 0 and e["campaign_id"] is None for e in again + later)
    assert daily not in {e["playbook_id"] for e in again + later}
    assert store.scalar("SELECT count(*) FROM campaigns") == campaigns
    assert store.scalar("SELECT count(*) FROM outbox") == outbox
    assert next_due(store, daily) == dt.datetime(2030, 1, 2, 9, 0)
    assert len(evaluations(store, drop)) == 3

    # Run 3: one person climbs a rung; the next morning the schedule fires again, the ladder event once.
    climber = int(store.scalar("SELECT min(party_id) FROM scores WHERE run_id = ? AND rung <> 'partner'", [run2]))
    _copy_run(store, "rung = 'partner' WHERE party_id = ?", [climber])
    morning = {e["playbook_id"]: e for e in run_due(store, ADMIN, at=dt.datetime(2030, 1, 2, 9, 30))}
    assert set(_members(store, morning[ladder]["campaign_id"])) == {climber}
    assert morning[daily]["campaign_id"] is not None and morning[drop]["matched"] == 0
    assert store.scalar("SELECT count(*) FROM campaigns") == campaigns + 2
    assert store.scalar("SELECT count(*) FROM trigger_evaluations") == 5 + 4 + 4 + 5

    with pytest.raises(PermissionDenied):
        run_due(store, User(2, "ann", "analyst"), at=AT)


def test_time_events_look_at_their_window_only(company):
    store = company
    # A critical complaint opened 30 h ago (Monday 06:00) with no answer: on the default Mon-Fri 8-18 calendar its
    # 2 business hours to respond ran out on Monday at 10:00 and its 10 to resolve at 18:00.
    pid = int(store.scalar("SELECT min(party_id) FROM parties"))
    cid = int(store.scalar("SELECT coalesce(max(complaint_id), 0) + 1 FROM complaints"))
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, severity, "
                      "status) VALUES (?, 'desk', 's1', ?, ?, 'critical', 'open')", [cid, pid, AT - dt.timedelta(hours=30)])
    levels = service_levels(store)
    # from Monday 16:30: the resolution's business-hours deadline (18:00) is in the span; in calendar hours it
    # would have been 16:00, before it
    found, words = act_triggers.sla_breached(store, AT - dt.timedelta(hours=19, minutes=30), AT, levels)
    assert pid in found and "service level" in words
    assert pid not in act_triggers.sla_breached(store, AT - dt.timedelta(hours=5), AT,
                                                levels)[0]  # both deadlines before the span

    # Anniversaries: a day's window around each first order plus whole years, against Python.
    firsts = dict(store.query("SELECT party_id, min(occurred_at) FROM transactions WHERE kind = 'order' "
                              "GROUP BY party_id"))
    pid, first = next((p, f) for p, f in sorted(firsts.items()) if (f.month, f.day) != (2, 29))
    day = first.replace(year=first.year + 1)
    since, until = day - dt.timedelta(hours=12), day + dt.timedelta(hours=12)
    got, _ = act_triggers.first_purchase_anniversary(store, since, until)

    def anniversary(f, year):
        return f.replace(year=year, day=min(f.day, calendar.monthrange(year, f.month)[1]))
    expected = {p for p, f in firsts.items() for y in range(since.year, until.year + 1)
                if y > f.year and since < anniversary(f, y) <= until}
    assert pid in got and got == sorted(expected)

    # An import that finished: the people it created or brought records of; nobody before the window.
    finished = store.scalar("SELECT max(finished_at) FROM imports")
    people, _ = act_triggers.import_finished(store, finished - dt.timedelta(seconds=1), finished)
    window = {int(i) for i, at in store.query("SELECT import_id, finished_at FROM imports")
              if finished - dt.timedelta(seconds=1) < at <= finished}
    expected = set()
    for table in ("parties", "transactions", "interactions", "feedback", "complaints"):
        expected |= {int(p) for p, i in store.query(f"SELECT party_id, import_id FROM {table}") if i in window}
    assert window
    assert people and set(people) == expected
    assert act_triggers.import_finished(store, finished, finished + dt.timedelta(hours=1))[0] == []


def test_the_next_moment_of_a_schedule():
    at = dt.datetime(2030, 1, 1, 12, 0)  # a Tuesday
    assert act_triggers.next_due(at, "day", "09:00") == dt.datetime(2030, 1, 2, 9, 0)
    assert act_triggers.next_due(at, "day", "13:00") == dt.datetime(2030, 1, 1, 13, 0)
    assert act_triggers.next_due(at, "week", "08:00", "monday") == dt.datetime(2030, 1, 7, 8, 0)
    assert act_triggers.next_due(at, "week", "13:00", "tuesday") == dt.datetime(2030, 1, 1, 13, 0)
    assert act_triggers.next_due(at, "month", "06:00", 1) == dt.datetime(2030, 2, 1, 6, 0)
    assert act_triggers.next_due(dt.datetime(2030, 11, 20), "quarter", "06:00", 15) == dt.datetime(2031, 1, 15, 6)
    assert act_triggers.next_due(dt.datetime(2030, 12, 31, 23, 0), "month", "00:00") == dt.datetime(2031, 1, 1)


def test_two_evaluators_at_once_start_one_campaign(company):
    """Two schedulers (two workers of patron serve, or cron and the service) evaluating at the same moment:
    the evaluations take turns, and the second finds nothing new."""
    import threading

    store = company
    book = save_playbook(store, ADMIN, _book("Resolved", 'kind = "event"\nevent = "complaint_resolved"'))
    pid = int(store.scalar("SELECT min(party_id) FROM scores"))
    cid = int(store.scalar("SELECT coalesce(max(complaint_id), 0) + 1 FROM complaints"))
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, resolved_at, "
                      "status) VALUES (?, 'desk', 'c2', ?, ?, ?, 'resolved')",
                      [cid, pid, AT - dt.timedelta(days=1), AT - dt.timedelta(minutes=5)])
    results, errors = [], []

    def evaluate_now():
        cursor = store.cursor()
        try:
            results.extend(run_due(cursor, ADMIN, at=AT))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            cursor.close()

    threads = [threading.Thread(target=evaluate_now) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and len(results) == 2
    assert sorted(e["matched"] for e in results) == [0, 1]
    assert store.scalar("SELECT count(*) FROM campaigns WHERE playbook_id = ?", [book]) == 1
    assert store.scalar("SELECT count(*) FROM trigger_evaluations WHERE playbook_id = ?", [book]) == 2


def test_an_evaluation_that_fails_is_recorded_and_moves_nothing_on(tmp_path):
    from patron.areas.campaigns.triggers import last_evaluation
    from patron.store import Store

    with Store(tmp_path / "p.duckdb") as store:
        book = save_playbook(store, ADMIN, _book("Resolved", 'kind = "event"\nevent = "complaint_resolved"'))
        failed = run_due(store, ADMIN, at=AT)
        assert len(failed) == 1 and "No analysis has been run yet" in failed[0]["error"]
        assert failed[0]["campaign_id"] is None and failed[0]["matched"] == 0
        assert last_evaluation(store, book, succeeded=True) is None  # the next one starts where none ended
        assert last_evaluation(store, book)["evaluation_id"] == failed[0]["evaluation_id"]
        assert store.scalar("SELECT count(*) FROM campaigns") == 0


def test_a_schedule_keeps_its_wall_clock_time_across_the_clock_changes():
    paris, utc = ZoneInfo("Europe/Paris"), dt.UTC
    # 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer.
    assert act_triggers.next_due(dt.datetime(2030, 1, 1, 12), "day", "09:00", zone=paris) == dt.datetime(2030, 1, 2, 8)
    assert act_triggers.next_due(dt.datetime(2030, 7, 1, 12), "day", "09:00", zone=paris) == dt.datetime(2030, 7, 2, 7)
    # The spring-forward (Sunday 31 March 2030, 02:00 -> 03:00): 02:30 does not exist and runs at 03:30 summer time.
    spring = act_triggers.next_due(dt.datetime(2030, 3, 30, 12), "day", "02:30", zone=paris)
    assert spring == dt.datetime(2030, 3, 31, 1, 30)
    assert spring.replace(tzinfo=utc).astimezone(paris).strftime("%H:%M %Z") == "03:30 CEST"
    assert act_triggers.next_due(spring, "day", "02:30", zone=paris) == dt.datetime(2030, 4, 1, 0, 30)
    # The fall-back (Sunday 27 October 2030, 03:00 -> 02:00): 02:30 happens twice and runs once, the first time.
    autumn = act_triggers.next_due(dt.datetime(2030, 10, 26, 12), "day", "02:30", zone=paris)
    assert autumn == dt.datetime(2030, 10, 27, 0, 30)
    assert act_triggers.next_due(autumn, "day", "02:30", zone=paris) == dt.datetime(2030, 10, 28, 1, 30)
    # Looking from inside the repeated hour (its second 02:15) does not fire the day's 02:30 again.
    assert act_triggers.next_due(dt.datetime(2030, 10, 27, 1, 15), "day", "02:30", zone=paris) \
        == dt.datetime(2030, 10, 28, 1, 30)
    # A whole year of a daily 02:30 in Paris: once a day, every day, always 02:30 or (the one skipped day) 03:30.
    moments, when = [], dt.datetime(2029, 12, 31, 12)
    while (when := act_triggers.next_due(when, "day", "02:30", zone=paris)) < dt.datetime(2031, 1, 1):
        moments.append(when.replace(tzinfo=utc).astimezone(paris))
    assert len(moments) == 365 and len({m.date() for m in moments}) == 365
    assert {m.strftime("%H:%M") for m in moments} == {"02:30", "03:30"}
    assert [m.date() for m in moments if m.strftime("%H:%M") == "03:30"] == [dt.date(2030, 3, 31)]
    # A weekly schedule in New York (clocks change on other Sundays): Monday 08:00 local, EST then EDT.
    new_york = ZoneInfo("America/New_York")
    assert act_triggers.next_due(dt.datetime(2030, 3, 5), "week", "08:00", "monday", new_york) \
        == dt.datetime(2030, 3, 11, 12)  # after the change of 10 March: EDT, UTC-4
    assert act_triggers.next_due(dt.datetime(2030, 3, 1), "week", "08:00", "monday", new_york) \
        == dt.datetime(2030, 3, 4, 13)  # before it: EST, UTC-5


def test_a_playbook_schedule_in_its_own_zone_or_the_firms(tmp_path):
    from patron.areas.campaigns.triggers import describe
    from patron.errors import InvalidInput
    from patron.store import Store

    with Store(tmp_path / "z.duckdb") as store:
        own = save_playbook(store, ADMIN, _book("Tokyo mornings", 'kind = "schedule"\nevery = "day"\nat = "09:00"\n'
                                                'time_zone = "Asia/Tokyo"'))
        firm = save_playbook(store, ADMIN, _book("Firm mornings", 'kind = "schedule"\nevery = "day"\nat = "09:00"'))
        for book in (own, firm):
            store.raw.execute("UPDATE playbooks SET created_at = ? WHERE playbook_id = ?", [AT, book])
        assert next_due(store, own) == dt.datetime(2030, 1, 2, 0)  # 09:00 in Tokyo is midnight UTC
        assert next_due(store, firm) == dt.datetime(2030, 1, 2, 9)  # no firm zone set: UTC
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('time_zone', 'Europe/Paris', ?)",
                          [AT])
        assert next_due(store, firm) == dt.datetime(2030, 1, 2, 8)
        assert next_due(store, own) == dt.datetime(2030, 1, 2, 0)
        from patron.areas.campaigns.service import get_playbook
        assert describe(store, get_playbook(store, firm)[1].trigger) == "every day at 09:00 Europe/Paris"
        assert describe(store, get_playbook(store, own)[1].trigger) == "every day at 09:00 Asia/Tokyo"
        with pytest.raises(InvalidInput, match="time_zone: 'Europe/Pariss' is not an IANA time zone"):
            save_playbook(store, ADMIN, _book("Typo", 'kind = "schedule"\nevery = "day"\ntime_zone = "Europe/Pariss"'))
        done = run_due(store, ADMIN, at=dt.datetime(2030, 1, 2, 0, 5))
        assert [e["playbook_id"] for e in done] == [own]


def test_old_evaluations_that_started_nothing_are_pruned(company):
    from patron.areas.campaigns.triggers import last_evaluation, prune
    from patron.errors import InvalidInput

    store = company
    quiet = save_playbook(store, ADMIN, _book("Imports", 'kind = "event"\nevent = "import_finished"'))
    resolved = save_playbook(store, ADMIN, _book("Resolved", 'kind = "event"\nevent = "complaint_resolved"'))
    pid = int(store.scalar("SELECT min(party_id) FROM scores"))
    cid = int(store.scalar("SELECT coalesce(max(complaint_id), 0) + 1 FROM complaints"))
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, resolved_at, "
                      "status) VALUES (?, 'desk', 'c-prune', ?, ?, ?, 'resolved')",
                      [cid, pid, AT - dt.timedelta(days=2), AT - dt.timedelta(minutes=5)])
    for day in range(10):  # one evaluation a day for ten days; only the first finds someone (the complaint)
        run_due(store, ADMIN, at=AT + dt.timedelta(days=day))
    launched = store.scalar("SELECT evaluation_id FROM trigger_evaluations WHERE campaign_id IS NOT NULL")
    assert launched is not None
    assert store.scalar("SELECT count(*) FROM trigger_evaluations") == 20
    newest_quiet = last_evaluation(store, quiet, succeeded=True)["evaluation_id"]

    # Forty days after the first: the evaluations older than 30 days that started nothing go.
    assert prune(store, at=AT + dt.timedelta(days=40)) == 2 * 10 - 2 * 1 - 1
    newest_resolved = last_evaluation(store, resolved, succeeded=True)["evaluation_id"]
    left = dict(store.query("SELECT evaluation_id, playbook_id FROM trigger_evaluations"))
    assert left == {launched: resolved, newest_quiet: quiet, newest_resolved: resolved}
    # The next evaluation still starts where the last one ended: nothing fires again. run-due prunes as it goes.
    again = run_due(store, ADMIN, at=AT + dt.timedelta(days=41))
    assert len(again) == 2 and all(e["campaign_id"] is None for e in again)
    assert store.scalar("SELECT count(*) FROM campaigns WHERE playbook_id = ?", [resolved]) == 1
    assert set(dict(store.query("SELECT evaluation_id, playbook_id FROM trigger_evaluations"))) \
        == {launched} | {e["evaluation_id"] for e in again}

    # The retention is a setting: with half a day, day 41's evaluations go once day 42's are there.
    run_due(store, ADMIN, at=AT + dt.timedelta(days=42))
    store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('triggers.keep_days', '0.5', ?)", [AT])
    assert prune(store, at=AT + dt.timedelta(days=42, hours=13)) == 2
    assert store.scalar("SELECT count(*) FROM trigger_evaluations") == 3
    store.raw.execute("UPDATE settings SET value = 'a month' WHERE name = 'triggers.keep_days'")
    with pytest.raises(InvalidInput, match="triggers.keep_days: a number of days"):
        prune(store)
