"""The complaint desk's one clock on both stores: next responses from the complaint's thread (each customer message
after an answer starts one), service levels kept in the store's settings, the firm's time zone, and the
``sla_breached`` trigger reading the same clock as the desk and the charter."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.act import triggers
from patron.areas.complaints.desk import charter_report, complaint_desk, service_levels, set_service_levels
from patron.areas.complaints.sla import DEFAULT_SERVICE_LEVELS, Calendar, Policy, ServiceLevels
from patron.errors import InvalidInput, PermissionDenied
from patron.service.permissions import User
from patron.store import Store
from store_engines import ENGINES, new_store_url

LEAD = User(1, "sam", "service")
T = dt.datetime


def test_the_calendar_counts_in_the_firms_time_zone():
    cal = Calendar(9, 17, time_zone="Europe/Amsterdam")
    # winter: 08:00-16:00 UTC is 09:00-17:00 in Amsterdam, a whole working day
    assert cal.hours_between(T(2025, 12, 22, 8), T(2025, 12, 22, 16)) == pytest.approx(8)
    assert cal.hours_between(T(2025, 12, 22, 16), T(2025, 12, 22, 17)) == 0  # after closing there
    assert cal.add_hours(T(2025, 12, 22, 8), 8) == T(2025, 12, 22, 16)
    # summer time: 09:00 in Amsterdam is 07:00 UTC; Friday's last hour, then Monday
    assert cal.add_hours(T(2025, 7, 1, 7), 1) == T(2025, 7, 1, 8)
    assert cal.add_hours(T(2025, 7, 4, 14), 2) == T(2025, 7, 7, 8)
    assert Calendar(9, 17).hours_between(T(2025, 12, 22, 16), T(2025, 12, 22, 17)) == pytest.approx(1)  # UTC
    with pytest.raises(InvalidInput, match="time zone"):
        Calendar(time_zone="Mars/Olympus")


def test_each_customer_message_after_an_answer_starts_a_next_response_clock():
    levels = ServiceLevels((Policy(8, 40, next_response_hours=4, escalate_to="service"),), Calendar(9, 17))
    c = {"opened_at": T(2025, 12, 19, 9), "severity": "medium", "first_response_at": T(2025, 12, 19, 10),
         "resolved_at": None, "messages": [
             (T(2025, 12, 19, 15), "inbound"),  # Friday 15:00: the customer writes back
             (T(2025, 12, 22, 10), "outbound"),  # Monday 10:00: answered after 2 + 1 = 3 h: met
             (T(2025, 12, 22, 11), "inbound"),  # a new message starts a new clock...
             (T(2025, 12, 22, 12), "inbound"),  # ...a second one before our answer does not move it
         ]}
    clocks = levels.desk_clocks(c, T(2025, 12, 23, 12))
    first, second = clocks["next_responses"]
    assert (first.used_hours, first.state) == (pytest.approx(3), "met")
    assert second.used_hours == pytest.approx(6 + 3) and second.state == "breached"  # Monday 11-17, Tuesday 9-12
    assert second.due == T(2025, 12, 22, 15) and second.escalate_to == "service"
    assert clocks["next_response"] is second
    # waiting for the customer since Monday 13:00 stops the running clock (2 h used of 4: on track)
    waiting = levels.desk_clocks(c | {"waiting_since": T(2025, 12, 22, 13)}, T(2025, 12, 23, 12))
    assert waiting["next_response"].used_hours == pytest.approx(2) and waiting["next_response"].state == "on track"
    # no first response yet, or a policy without a next-response target: no such clock
    assert levels.desk_clocks(c | {"first_response_at": None}, T(2025, 12, 23, 12))["next_responses"] == []
    assert DEFAULT_SERVICE_LEVELS.desk_clocks(c, T(2025, 12, 23, 12))["next_responses"]  # the defaults have one
    plain = ServiceLevels((Policy(8, 40),), Calendar(9, 17))
    assert plain.desk_clocks(c, T(2025, 12, 23, 12))["next_response"] is None


CONFIG = """
[calendar]
opens = 9
closes = 17
holidays = ["2025-12-25", "2025-12-26"]

[[policy]]
first_response_hours = 8
next_response_hours = 4
resolution_hours = 40
escalate_to = "service"
"""


@pytest.fixture(params=ENGINES)
def thread_store(request, tmp_path):
    store = Store(new_store_url(request, request.param, tmp_path))
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                      "VALUES (1, 'person', 'customer', '2025-01-01', 'Ada')")
    store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, "
                      "first_response_at, category, severity, status) "
                      "VALUES (1, 't', 'c1', 1, ?, ?, 'delivery', 'medium', 'in_progress')",
                      [T(2025, 12, 19, 9), T(2025, 12, 19, 10)])
    thread = [(T(2025, 12, 19, 9, 30), "inbound", "service"),  # before the first response: its own clock
              (T(2025, 12, 19, 15), "inbound", "service"), (T(2025, 12, 22, 10), "outbound", "service"),
              (T(2025, 12, 22, 11), "inbound", None), (T(2025, 12, 22, 11, 30), "outbound", "marketing"),
              (T(2025, 12, 23, 12), "inbound", "service")]  # the data's end: the latest event
    for n, (at, direction, department) in enumerate(thread, start=1):
        store.raw.execute("INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, "
                          "channel, direction, department) VALUES (?, 't', ?, 1, ?, 'email', ?, ?)",
                          [n, f"i{n}", at, direction, department])
    yield store
    store.close()


def test_the_desk_charter_and_trigger_read_one_clock_from_the_thread(thread_store):
    store = thread_store
    assert triggers.complaint_threads(store)[1][0] == (T(2025, 12, 19, 15), "inbound")  # after the first answer
    set_service_levels(store, LEAD, CONFIG)
    assert service_levels(store).calendar.opens == 9
    row = complaint_desk(store, LEAD)["rows"][0]
    # Friday 15:00 answered Monday 10:00 (3 h: met); Monday 11:00 (a marketing mail is no answer, and Tuesday's
    # message comes before any answer) runs to the data's end, Tuesday 12:00: 6 + 3 = 9 h of 4, breached
    assert row["next_responses"] == {"count": 2, "breached": 1}
    assert row["next_response"]["state"] == "breached" and row["next_response"]["due"] == T(2025, 12, 22, 15)
    assert row["sla_state"] == "breached" and row["escalate_to"] == "service"
    reply = {c["clause"]: c for c in charter_report(store, LEAD)["clauses"]}["reply"]
    assert (reply["complaints"], reply["kept"]) == (1, 0)
    # the trigger finds the breach once, in the span holding its due time (Monday 15:00)
    assert triggers.sla_breached(store, T(2025, 12, 22, 14), T(2025, 12, 22, 16), service_levels(store))[0] == [1]
    assert triggers.sla_breached(store, T(2025, 12, 22, 16), T(2025, 12, 23, 12), service_levels(store))[0] == []
    # the firm's time zone from its settings moves the working day: 9-17 in New York is 14-22 UTC, so Monday's
    # message of 11:00 UTC (06:00 there) waits for 14:00 UTC, and is due 4 h later
    store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) VALUES ('time_zone', "
                      "'America/New_York', ?, 't')", [T(2025, 12, 1)])
    assert service_levels(store).calendar.time_zone == "America/New_York"
    first = complaint_desk(store, LEAD)["rows"][0]
    assert first["next_response"]["due"] == T(2025, 12, 22, 18)


def test_service_levels_are_checked_before_they_are_kept(thread_store):
    store = thread_store
    with pytest.raises(InvalidInput, match="Policy 1"):
        set_service_levels(store, LEAD, "[[policy]]\nfirst_response_hours = 0\nresolution_hours = 2")
    assert service_levels(store) is DEFAULT_SERVICE_LEVELS  # nothing kept
    with pytest.raises(PermissionDenied):
        set_service_levels(store, User(2, "mo", "marketing"), CONFIG)
    set_service_levels(store, LEAD, CONFIG)
    assert service_levels(store).policies[0].next_response_hours == 4
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'settings.change'") == 1
    assert set_service_levels(store, LEAD, "") is DEFAULT_SERVICE_LEVELS  # back to the defaults
    assert store.scalar("SELECT count(*) FROM settings WHERE name = 'service_levels'") == 0
