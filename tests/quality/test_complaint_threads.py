"""Each complaint its own thread, on both stores: two complaints open at once for one customer keep their own
next-response clocks (messages logged against a complaint, imported ones by the rule, old ones linked by the
migration), and the desk's SQL filters, sorts and pages agree with clocking every complaint."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.act import triggers
from patron.areas.complaints import lists
from patron.areas.complaints.desk import clocked, complaint_desk, data_end, service_levels, set_service_levels
from patron.areas.interactions.service import log_interaction
from patron.errors import InvalidInput
from patron.service.permissions import User
from patron.store import Store
from patron.store.migrations import MIGRATIONS
from patron.store.vocabulary import COMPLAINT_SEVERITIES
from store_engines import ENGINES, new_store_url

LEAD = User(1, "sam", "service")
T = dt.datetime
CONFIG = """
[calendar]
opens = 9
closes = 17

[[policy]]
first_response_hours = 8
next_response_hours = 4
resolution_hours = 80
escalate_to = "service"
"""


def _complaint(store, n, party, opened, first=None, resolved=None, *, severity="medium", category="delivery",
               status="in_progress", owner=None):
    store.raw.execute(
        "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, first_response_at, "
        "resolved_at, category, severity, status, owner, description) "
        "VALUES (?, 't', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'x')",
        [n, f"c{n}", party, opened, first, resolved, category, severity, status, owner])


def _message(store, n, party, at, direction, complaint=None):
    store.raw.execute("INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, "
                      "channel, direction, department, complaint_id) VALUES (?, 'imp', ?, ?, ?, 'email', ?, "
                      "'service', ?)", [n, f"i{n}", party, at, direction, complaint])


@pytest.fixture(scope="module", params=ENGINES)
def shop(request, tmp_path_factory):
    """Ada (party 1) has two complaints open at once (Monday 2025-12-01 and Tuesday); 40 more complaints of
    other customers fill the desk."""
    store = Store(new_store_url(request, request.param, tmp_path_factory.mktemp("threads")))
    for pid in range(1, 12):
        store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                          "VALUES (?, 'person', 'customer', '2025-01-01', ?)", [pid, f"Customer {pid}"])
    _complaint(store, 1, 1, T(2025, 12, 1, 9), T(2025, 12, 1, 10))
    _complaint(store, 2, 1, T(2025, 12, 2, 9), T(2025, 12, 2, 10), category="billing")
    for n in range(3, 43):  # other customers: a spread of severities, ages, owners, states
        opened = T(2025, 11, 3, 9) + dt.timedelta(hours=7 * n)
        resolved = opened + dt.timedelta(hours=5 * n) if n % 3 == 0 else None
        _complaint(store, n, 2 + n % 10, opened, opened + dt.timedelta(hours=n % 7 + 1) if n % 4 else None,
                   resolved, severity=COMPLAINT_SEVERITIES[n % 4], category=("delivery", "billing")[n % 2],
                   status="resolved" if resolved else "open" if n % 4 == 0 else "in_progress",
                   owner=None if n % 5 == 0 else f"agent {n % 3}")
    set_service_levels(store, LEAD, CONFIG)
    # Complaint 1: the customer writes Tuesday 11:00 and we answer at 12:00 (1 h: met). Complaint 2: the customer
    # writes Tuesday 11:30 and nobody answers it; Wednesday's answer at 10:00 is about complaint 1.
    log_interaction(store, LEAD, 1, channel="email", direction="inbound", occurred_at=T(2025, 12, 2, 11),
                    complaint_id=1)
    log_interaction(store, LEAD, 1, channel="email", direction="outbound", occurred_at=T(2025, 12, 2, 12),
                    complaint_id=1)
    log_interaction(store, LEAD, 1, channel="email", direction="inbound", occurred_at=T(2025, 12, 2, 11, 30),
                    complaint_id=2)
    log_interaction(store, LEAD, 1, channel="phone", direction="outbound", occurred_at=T(2025, 12, 3, 10),
                    complaint_id=1)
    yield store
    store.close()


def test_two_open_complaints_keep_their_own_threads_and_clocks(shop):
    threads = triggers.complaint_threads(shop, "c.party_id = 1")
    assert [d for _, d in threads[1]] == ["inbound", "outbound", "outbound"]
    assert threads[2] == [(T(2025, 12, 2, 11, 30), "inbound")]
    rows = {r["complaint_id"]: r for r in complaint_desk(shop, LEAD, category=None, per_page=500)["rows"]}
    # complaint 1's message was answered within the hour; complaint 2's has waited from Tuesday 11:30 to the data's
    # end (the newest event, complaint 42's response or later): far past 4 business hours
    assert rows[1]["next_responses"] == {"count": 1, "breached": 0} and rows[1]["next_response"]["state"] == "met"
    assert rows[2]["next_responses"] == {"count": 1, "breached": 1}
    assert rows[2]["next_response"]["due"] == T(2025, 12, 2, 15, 30)
    # before, one thread per customer: complaint 2 would have read complaint 1's answer of Tuesday 12:00 as its own
    assert rows[2]["sla_state"] == "breached" and rows[1]["sla_state"] != "breached"
    # the complaint list shows the same clock
    listed = {r["complaint_id"]: r for r in lists.complaint_list(shop, LEAD, [
        {"field": "party_id", "op": "eq", "value": 1}])["items"]}
    assert listed[2]["next_response"] == rows[2]["next_response"] and listed[1]["sla_state"] == rows[1]["sla_state"]
    # the trigger reads complaint 2's breach alone, in the span of its due time
    found = triggers.sla_breached(shop, T(2025, 12, 2, 15), T(2025, 12, 2, 16), service_levels(shop))[0]
    assert found == [1]
    assert triggers.sla_breached(shop, T(2025, 12, 3, 14), T(2025, 12, 3, 16), service_levels(shop))[0] == []


def test_a_message_names_a_complaint_of_its_own_customer(shop):
    with pytest.raises(InvalidInput, match="not one of this customer"):
        log_interaction(shop, LEAD, 3, channel="email", direction="inbound", complaint_id=1)


def test_messages_that_name_no_complaint_go_to_the_newest_open_one(shop):
    """The rule for imported messages, and the migration that linked the messages already stored by it."""
    shop.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                     "VALUES (99, 'person', 'customer', '2025-01-01', 'Bo')")
    _complaint(shop, 901, 99, T(2025, 12, 1, 9), T(2025, 12, 1, 10), T(2025, 12, 4, 9))
    _complaint(shop, 902, 99, T(2025, 12, 2, 9), T(2025, 12, 2, 10))
    _message(shop, 9001, 99, T(2025, 12, 1, 12), "inbound")  # only 901 was open: 901's
    _message(shop, 9002, 99, T(2025, 12, 2, 12), "inbound")  # both open: the newest, 902
    _message(shop, 9003, 99, T(2025, 12, 3, 12), "outbound", complaint=901)  # named: 901's whatever the time
    _message(shop, 9004, 99, T(2025, 12, 5, 12), "outbound")  # 901 resolved: 902's
    threads = triggers.complaint_threads(shop, "c.party_id = 99")
    assert threads[901] == [(T(2025, 12, 1, 12), "inbound"), (T(2025, 12, 3, 12), "outbound")]
    assert threads[902] == [(T(2025, 12, 2, 12), "inbound"), (T(2025, 12, 5, 12), "outbound")]
    # the migration's link of stored messages follows the same rule
    shop.raw.execute(next(s for s in MIGRATIONS[22].statements if "UPDATE" in s))
    linked = dict(shop.query("SELECT interaction_id, complaint_id FROM interactions WHERE party_id = 99"))
    assert linked == {9001: 901, 9002: 902, 9003: 901, 9004: 902}
    assert triggers.complaint_threads(shop, "c.party_id = 99") == threads
    shop.raw.execute("DELETE FROM interactions WHERE party_id = 99")
    shop.raw.execute("DELETE FROM complaints WHERE party_id = 99")


@pytest.mark.parametrize("query", [
    {}, {"sort": "age", "descending": True}, {"sort": "severity"}, {"sort": "owner", "descending": True},
    {"sort": "value"}, {"sort": "resolution_due"}, {"status": ["open", "in_progress"], "sort": "category"},
    {"min_age_days": 3, "max_age_days": 9}, {"sla_state": "breached"}, {"sla_state": "met"},
    {"sla_state": "on track", "severity": ["low", "medium"]}, {"owner": "agent 1", "sort": "status"},
])
def test_the_desk_pages_in_sql_as_clocking_every_complaint_would(shop, query):
    """The page the SQL gives equals the reference: clock every complaint, filter and sort in Python."""
    levels, at = service_levels(shop), data_end(shop)
    every = clocked(shop, shop.records(
        "SELECT c.complaint_id, c.party_id, c.opened_at, c.first_response_at, c.resolved_at, c.category, c.severity, "
        "c.status, c.owner, c.waiting_since, c.paused_hours, c.cause, NULL AS value, NULL AS triage "
        "FROM complaints c"), levels, at)
    keep = [r for r in every if (not query.get("status") or r["status"] in query["status"])
            and (not query.get("severity") or r["severity"] in query["severity"])
            and (query.get("owner") is None or r["owner"] == query["owner"])
            and (query.get("sla_state") is None or r["sla_state"] == query["sla_state"])
            and r["age_days"] >= query.get("min_age_days", -1) and r["age_days"] <= query.get("max_age_days", 1e9)]
    sort = query.get("sort", "opened_at")
    key = {"age": lambda r: r["age_days"], "severity": lambda r: COMPLAINT_SEVERITIES.index(r["severity"]),
           "value": lambda r: -1.0, "resolution_due": lambda r: r["resolution"]["due"]}.get(
        sort, lambda r: (r[sort] is None, r[sort] if r[sort] is not None else ""))
    want = [r["complaint_id"] for r in sorted(keep, key=lambda r: (key(r), r["complaint_id"]),
                                              reverse=query.get("descending", False))]
    got, page = [], 1
    while True:
        found = complaint_desk(shop, LEAD, page=page, per_page=7, **query)
        assert found["total"] == len(want)
        got += [r["complaint_id"] for r in found["rows"]]
        if page >= found["pages"]:
            break
        page += 1
    assert got == want and want  # every filter here keeps some complaints
    states = {r["complaint_id"]: r["sla_state"] for r in every}
    assert all(states[r["complaint_id"]] == r["sla_state"] for r in complaint_desk(shop, LEAD, **query)["rows"])
