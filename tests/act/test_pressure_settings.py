"""Contact pressure set on the outbox page (``patron.areas.outbox.pressure``): an admin's caps, quiet hours and
default time zone are each checked, nothing is kept when one is wrong, changes are audited, a marketer only
reads them, and the send-time gate obeys what the page kept: a cap lowered there blocks the next send with
its reason logged, quiet hours set there in the zone set there defer a send."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from outbox_rows import add_person, no_quiet_hours, queue

from patron.act import rules
from patron.act.delivery import utcnow
from patron.app import create_app
from patron.areas.outbox import service
from patron.areas.users.service import add_user
from patron.store import Store

PASSWORD = "a long enough password"


def _page(path):
    """A signed-in client of the pages: ``sign_in(username)`` gives the outbox page's form token."""
    client = TestClient(create_app(str(path)))

    def sign_in(username):
        csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf})
        return client.get("/outbox").text.split('name="csrf" value="')[1].split('"')[0]

    return client, sign_in


def _send(path, smtp_server):
    with Store(path) as store:
        return service.send(store, None, smtp_host="127.0.0.1", smtp_port=smtp_server.port, backoff=0)


def test_an_admin_sets_caps_quiet_hours_and_time_zone_each_checked_and_audited(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "mia", PASSWORD, "marketing")
    client, sign_in = _page(path)
    with client:
        csrf = sign_in("ada")
        shown = client.get("/outbox").text
        assert 'name="caps.email" value="2/7, 4/30"' in shown and 'name="time_zone" value="UTC"' in shown
        assert 'name="quiet_hours.start" type="time" value="21:00"' in shown
        good = {"csrf": csrf, "caps.email": "1/7, 3/30", "caps.sms": "none", "quiet_hours.start": "22:00",
                "quiet_hours.end": "07:30", "time_zone": "Europe/Paris"}
        for field, wrong, said in (
                ("time_zone", "Mars/Olympus", "'Mars/Olympus' is not a time zone name"),
                ("time_zone", "europe/paris", "'europe/paris' is not a time zone name"),
                ("caps.email", "3/0", "needs at least 0 messages in at least 1 day"),
                ("caps.email", "5000/7", "from 0 to 1000 messages in a window, not 5000"),
                ("caps.email", "2/7, 3/7", "two caps over the same number of days"),
                ("caps.push", "often", "'often' is not a cap"),
                ("quiet_hours.start", "25:00", "the start is a time of day like 21:00, not '25:00'"),
                ("quiet_hours.end", "", "give both a start and an end"),
                ("quiet_hours.end", "22:00", "the start and the end are both 22:00")):
            refused = html.unescape(client.post("/outbox/pressure", data={**good, field: wrong}).text)
            assert "Nothing was saved: " in refused and said in refused, (field, wrong)
        kept = client.get("/outbox").text  # every value still its default
        assert 'name="caps.email" value="2/7, 4/30"' in kept and 'name="time_zone" value="UTC"' in kept
        saved = client.post("/outbox/pressure", data=good)
        assert "are saved" in saved.text and 'name="caps.email" value="1/7, 3/30"' in saved.text
        assert 'name="time_zone" value="Europe/Paris"' in saved.text
        # Saving again what is kept writes nothing; an empty field goes back to its default (no row kept).
        client.post("/outbox/pressure", data=good)
        client.post("/outbox/pressure", data={**good, "caps.sms": ""})
        client.post("/logout", data={"csrf": csrf})
        csrf = sign_in("mia")  # a marketer sees them, and may not change them
        page = client.get("/outbox").text
        assert "<strong>1/7, 3/30</strong>" in page and "<strong>22:00–07:30</strong>" in page
        assert client.post("/outbox/pressure", data={"csrf": csrf, "caps.email": "9/1"}).status_code == 403
        assert client.post("/outbox/pressure", data={"caps.email": "9/1"}).status_code == 403  # no form token
    with Store(path) as store:
        gate = rules.GateConfig.load(store)
        assert gate.caps["email"] == ((7, 1), (30, 3)) and gate.caps["sms"] == rules.DEFAULT_CAPS["sms"]
        assert gate.quiet_hours["email"] == (dt.time(22, 0), dt.time(7, 30)) and gate.time_zone.key == "Europe/Paris"
        changes = [d for u, d in store.query("SELECT username, detail FROM audit_log WHERE action = 'settings.change' "
                                             "ORDER BY happened_at") if u == "ada"]
        assert len(changes) == 2, changes
        assert '"caps.email": "1/7, 3/30"' in changes[0] and '"quiet_hours": "22:00-07:30"' in changes[0]
        assert changes[1] == '{"changes": {"caps.sms": null}}'


def test_a_cap_lowered_on_the_page_blocks_the_next_send_with_its_reason(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        add_user(store, "ada", PASSWORD, "admin")
        no_quiet_hours(store)
        add_person(store, 1, "often@example.com")
        first = queue(store, 1, key="cap-page-1")
    assert _send(path, smtp_server).sent == 1  # one email in 7 days: under the default cap of 2
    client, sign_in = _page(path)
    with client:
        csrf = sign_in("ada")
        assert "are saved" in client.post("/outbox/pressure", data={"csrf": csrf, "caps.email": "1/7"}).text
    with Store(path) as store:
        second = queue(store, 1, key="cap-page-2")
    outcome = _send(path, smtp_server)
    assert (outcome.sent, outcome.blocked) == (0, 1) and len(smtp_server.messages) == 1
    with Store(path) as store:
        reason = "over the frequency cap: 1 email messages in the last 7 days (at most 1)"
        assert service.messages_by_id(store, first)["status"] == "sent"
        assert service.messages_by_id(store, second)["reason"] == reason
        assert store.query("SELECT detail FROM contact_events WHERE kind = 'blocked' AND message_id = ?",
                           [second]) == [(reason,)]


def test_quiet_hours_set_on_the_page_defer_a_send_in_the_zone_set_there(tmp_path, smtp_server):
    path = tmp_path / "patron.duckdb"
    tokyo = ZoneInfo("Asia/Tokyo")
    local = utcnow().replace(tzinfo=dt.UTC).astimezone(tokyo)
    start, end = (local - dt.timedelta(hours=1)).time(), (local + dt.timedelta(hours=2)).time()
    with Store(path) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_person(store, 1, "nozone@example.com")  # no time zone of their own: the default one applies
        add_person(store, 2, "away@example.com", time_zone="America/New_York")
    client, sign_in = _page(path)
    with client:
        csrf = sign_in("ada")
        off = client.post("/outbox/pressure", data={"csrf": csrf, "quiet_hours.off": "1"}).text
        assert "are saved" in off and 'name="quiet_hours.off" type="checkbox" value="1" checked' in off
        saved = client.post("/outbox/pressure", data={"csrf": csrf, "quiet_hours.start": f"{start:%H:%M}",
                                                       "quiet_hours.end": f"{end:%H:%M}", "time_zone": "Asia/Tokyo"})
        assert "are saved" in saved.text
    with Store(path) as store:
        night, day = queue(store, 1, key="quiet-page-1"), queue(store, 2, key="quiet-page-2")
    outcome = _send(path, smtp_server)
    assert (outcome.sent, outcome.deferred) == (1, 1)
    with Store(path) as store:
        row = service.messages_by_id(store, night)
        assert row["status"] == "queued" and row["reason"] == (f"deferred: quiet hours {start:%H:%M}-{end:%H:%M} "
                                                               "in Asia/Tokyo")
        wake = row["next_attempt_at"].replace(tzinfo=dt.UTC).astimezone(tokyo)
        assert (wake.hour, wake.minute) == (end.hour, end.minute)
        assert service.messages_by_id(store, day)["status"] == "sent"
