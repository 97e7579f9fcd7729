"""The gate blocks a send, with the reason logged, for each rule; quiet hours defer instead of dropping. On both
engines: a DuckDB file and a PostgreSQL server."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from outbox_rows import NOW, add_person, no_quiet_hours, queue
from typer.testing import CliRunner

from patron.act import rules
from patron.act.delivery import utcnow
from patron.areas.outbox import service
from patron.cli.app import app, register


def _send(store, smtp_server, **options):
    return service.send(store, None, smtp_host="127.0.0.1", smtp_port=smtp_server.port, backoff=0, **options)


def test_each_rule_blocks_with_its_reason(engine_store, engine_url, smtp_server, tmp_path):
    store = engine_store
    no_quiet_hours(store)
    add_person(store, 1, "ok@example.com")
    add_person(store, 2, "withdrawn@example.com", consent=False)
    add_person(store, 3, "never@example.com", consent=None)
    add_person(store, 4, "erased@example.com")
    add_person(store, 5, "busy@example.com")
    add_person(store, 6, "angry@example.com")
    add_person(store, 7, "Gone@Example.com")
    now = utcnow()
    with store.transaction():
        store.raw.execute("INSERT INTO suppressions (party_id, reason, created_at) VALUES (4, 'erased', ?)", [now])
        for days in (1, 3):  # two sends in the last 7 days: the default email cap (2 in 7 days) is reached
            store.raw.execute("INSERT INTO contact_events (party_id, channel, kind, occurred_at) VALUES "
                              "(5, 'email', 'sent', ?)", [now - dt.timedelta(days=days)])
    register()
    runner = CliRunner()
    out = runner.invoke(app, ["outbox", "bounce", "angry@example.com", "--complaint", "--store", engine_url])
    assert out.exit_code == 0, out.output
    bounces = tmp_path / "bounces.csv"
    bounces.write_text("email,reason\ngone@example.com,550 no such user\n")
    out = runner.invoke(app, ["outbox", "bounce", "--file", str(bounces), "--store", engine_url])
    assert out.exit_code == 0 and "1 bounced address(es) recorded, for 1 customer(s)" in out.output, out.output

    expected = {2: "consent to email for marketing withdrawn on", 3: "no consent to email for marketing on record",
                4: "on the suppression list", 5: "over the frequency cap: 2 email messages in the last 7 days (at most 2)",
                6: "complained of email as spam on", 7: "the address gone@example.com bounced on"}
    found = rules.blocks(store, range(1, 8), channel="email", purpose="marketing", at=now)
    assert set(found) == set(expected)
    for pid, text in expected.items():
        assert found[pid].startswith(text), (pid, found[pid])
    # The same, asked with the audience's own query.
    assert rules.blocks(store, ("SELECT party_id FROM parties WHERE party_id >= ?", [2]), channel="email",
                        purpose="marketing", at=now) == found

    ids = {pid: queue(store, pid, key=f"gate-{pid}") for pid in range(1, 8)}
    outcome = _send(store, smtp_server)
    assert (outcome.sent, outcome.blocked) == (1, 6)
    assert [rcpt for rcpt, _ in smtp_server.messages] == [["ok@example.com"]]
    rows = {r["message_id"]: r for r in service.messages(store, None)}
    events = dict(store.query("SELECT message_id, detail FROM contact_events WHERE kind = 'blocked'"))
    for pid, text in expected.items():
        assert rows[ids[pid]]["status"] == "blocked" and rows[ids[pid]]["reason"].startswith(text)
        assert events[ids[pid]] == rows[ids[pid]]["reason"]


def test_the_cap_counts_the_messages_of_the_same_batch(engine_store, smtp_server):
    store = engine_store
    no_quiet_hours(store)
    add_person(store, 1, "a@example.com")
    with store.transaction():
        store.raw.execute("INSERT INTO contact_events (party_id, channel, kind, occurred_at) VALUES "
                          "(1, 'email', 'sent', ?)", [utcnow() - dt.timedelta(days=2)])
    first, second = queue(store, 1, key="cap-1"), queue(store, 1, key="cap-2")
    outcome = _send(store, smtp_server)
    assert (outcome.sent, outcome.blocked) == (1, 1) and len(smtp_server.messages) == 1
    assert service.messages_by_id(store, first)["status"] == "sent"
    assert service.messages_by_id(store, second)["reason"].startswith("over the frequency cap: 2 email messages")


def test_batches_in_flight_side_by_side_still_keep_the_cap(engine_store, smtp_server):
    """The worker claims batch N+1 while N is being sent: a person with a message in N waits for N's record, so
    that their next message is checked against N's ``sent`` (2 in 7 days: 2 of each person's 3 messages go)."""
    store = engine_store
    no_quiet_hours(store)
    for pid in range(1, 5):
        add_person(store, pid, f"p{pid}@example.com")
    for nth in range(3):
        for pid in range(1, 5):
            queue(store, pid, key=f"pipe-{pid}-{nth}")
    outcome = _send(store, smtp_server, batch=3)
    assert (outcome.sent, outcome.blocked) == (8, 4)
    sent = store.query("SELECT party_id, count(*) FROM contact_events WHERE kind = 'sent' GROUP BY party_id "
                       "ORDER BY party_id")
    assert sent == [(pid, 2) for pid in range(1, 5)] and len(smtp_server.messages) == 8
    assert store.scalar("SELECT count(*) FROM outbox WHERE status = 'sending'") == 0


def test_quiet_hours_defer_to_the_morning_in_the_persons_zone(engine_store, smtp_server):
    store = engine_store
    tokyo = ZoneInfo("Asia/Tokyo")
    local = utcnow().replace(tzinfo=dt.UTC).astimezone(tokyo)
    start, end = (local - dt.timedelta(hours=1)).time(), (local + dt.timedelta(hours=1)).time()
    with store.transaction():
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('quiet_hours.email', ?, ?)",
                          [f"{start:%H:%M}-{end:%H:%M}", NOW])
    add_person(store, 1, "night@example.com", time_zone="Asia/Tokyo")
    add_person(store, 2, "day@example.com", time_zone="America/New_York")
    night, day = queue(store, 1, key="q-1"), queue(store, 2, key="q-2")
    outcome = _send(store, smtp_server)
    assert (outcome.sent, outcome.deferred) == (1, 1)
    row = service.messages_by_id(store, night)
    assert row["status"] == "queued" and row["reason"].startswith("deferred: quiet hours") and "Asia/Tokyo" in row["reason"]
    wake = row["next_attempt_at"].replace(tzinfo=dt.UTC).astimezone(tokyo)
    assert (wake.hour, wake.minute) == (end.hour, end.minute) and row["next_attempt_at"] > utcnow()
    assert service.messages_by_id(store, day)["status"] == "sent"
    # Not due yet: a second pass sends nothing and drops nothing.
    assert _send(store, smtp_server).sent == 0 and service.messages_by_id(store, night)["status"] == "queued"


def test_next_allowed_across_midnight():
    paris = ZoneInfo("Europe/Paris")
    quiet = rules.parse_quiet_hours("21:00-08:00", "test")
    # 22:30 UTC on 2 December is 23:30 in Paris: wait until 08:00 Paris on 3 December, 07:00 UTC.
    assert rules.next_allowed(dt.datetime(2026, 12, 2, 22, 30), quiet, paris) == dt.datetime(2026, 12, 3, 7, 0)
    assert rules.next_allowed(dt.datetime(2026, 12, 2, 5, 0), quiet, paris) == dt.datetime(2026, 12, 2, 7, 0)
    assert rules.next_allowed(dt.datetime(2026, 12, 2, 12, 0), quiet, paris) is None
    assert rules.parse_caps("2/7, 4/30", "x") == ((7, 2), (30, 4))
