"""The kept clocks (``complaint_clocks``) on both stores: after every kind of change (a new message, a status change,
a wait for the customer, new service levels, a time zone, a write by raw SQL) the kept due times equal the ones the
desk's clock computes, the desk's SLA-state filter and resolution-due sort read in SQL what the clock says, at the
data's end and later, and the charter counts the same on the kept clocks as on every complaint's clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from companies import demo_company
from patron.areas.complaints import stored_clocks
from patron.areas.complaints.charter import DEFAULT_CLAUSES
from patron.areas.complaints.desk import (
    charter_report,
    clocked,
    complaint_desk,
    data_end,
    service_levels,
    set_service_levels,
    wait_for_customer,
)
from patron.areas.complaints.service import change_complaint_status, open_complaint
from patron.areas.complaints.sla import SLA_STATES
from patron.areas.interactions.service import log_interaction
from patron.service.permissions import User
from patron.store import Store
from store_engines import ENGINES, new_store_url

LEAD = User(1, "sam", "service")
T = dt.datetime
H = dt.timedelta(hours=1)

#: Half-past opening and closing and the Christmas holidays: due times at closing and in the gaps after it.
CONFIG = """
[calendar]
opens = 8.5
closes = 17.5
holidays = ["2025-12-25", "2025-12-26"]

[[policy]]
severity = "high"
first_response_hours = 2
next_response_hours = 2
resolution_hours = 18

[[policy]]
first_response_hours = 9
next_response_hours = 4.5
resolution_hours = 45
escalate_to = "service"
"""


def _complaint(store, n, party, opened, *, severity="medium", status="open", first=None, resolved=None,
               satisfaction=None):
    store.raw.execute(
        "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, first_response_at, "
        "resolved_at, category, severity, status, satisfaction_after, description) "
        "VALUES (?, 't', ?, ?, ?, ?, ?, 'delivery', ?, ?, ?, 'late parcel')",
        [n, f"c{n}", party, opened, first, resolved, severity, status, satisfaction])


def _message(store, n, party, at, direction, complaint=None):
    store.raw.execute("INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, channel, "
                      "direction, department, complaint_id) VALUES (?, 't', ?, ?, ?, 'email', ?, 'service', ?)",
                      [n, f"i{n}", party, at, direction, complaint])


def _fill(store) -> Store:
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) VALUES "
                      "(1, 'person', 'customer', '2025-01-01', 'Ada'), (2, 'person', 'customer', '2025-01-01', 'Ben')")
    _complaint(store, 1, 1, T(2025, 12, 19, 9), status="in_progress", first=T(2025, 12, 19, 10))
    _complaint(store, 2, 1, T(2025, 12, 22, 9), severity="high")  # no answer yet
    _complaint(store, 3, 2, T(2025, 12, 15, 9), status="resolved", first=T(2025, 12, 15, 12),
               resolved=T(2025, 12, 18, 16), satisfaction=5)
    _complaint(store, 4, 2, T(2025, 12, 23, 16, 30), severity="low")  # half an hour before the holidays
    _complaint(store, 5, 2, T(2025, 12, 1, 9), severity="high", status="resolved", resolved=T(2025, 12, 10, 9),
               satisfaction=2)  # resolved late, never answered first
    _complaint(store, 6, 1, T(2025, 12, 22, 9, 20), status="in_progress", first=T(2025, 12, 22, 9, 40))
    for n, (at, direction, complaint) in enumerate([
            (T(2025, 12, 19, 15), "inbound", 1), (T(2025, 12, 22, 10), "outbound", 1),
            (T(2025, 12, 22, 11), "inbound", None),  # names no complaint: the newest open one's (6)
            (T(2025, 12, 22, 13, 10), "inbound", 1), (T(2025, 12, 23, 12), "inbound", 4)], start=1):
        _message(store, n, 1 if complaint != 4 else 2, at, direction, complaint)
    return store


@pytest.fixture(params=ENGINES)
def desk_store(request, tmp_path):
    store = _fill(Store(new_store_url(request, request.param, tmp_path)))
    yield store
    store.close()


def _states(store, levels, at) -> dict[int, tuple]:
    """Every complaint's (first response, resolution, next response) state ranks and resolution due, clocked."""
    rows = clocked(store, store.records("SELECT c.*, NULL AS triage FROM complaints c"), levels, at)
    return {r["complaint_id"]: (r, stored_clocks.ranks(r)[1:]) for r in rows}


def _check(store) -> None:
    """The kept clocks say what the clock says, read every way the desk and the charter read them."""
    levels, at = service_levels(store), data_end(store)
    by_due = complaint_desk(store, LEAD, sort="resolution_due", per_page=500)  # brings the kept clocks up to date
    assert stored_clocks.stale(store, levels) == 0
    clocks = _states(store, levels, at)
    live = {c for c, (r, _) in clocks.items() if r["waiting_since"] is not None and r["resolved_at"] is None}
    kept = {k["complaint_id"]: k for k in store.records("SELECT * FROM complaint_clocks")}
    assert set(kept) == set(clocks)
    for cid, (r, _) in clocks.items():
        if cid not in live:
            assert (kept[cid]["first_response_due"], kept[cid]["resolution_due"], kept[cid]["next_response_due"]) == (
                r["first_response"]["due"], r["resolution"]["due"], (r["next_response"] or {}).get("due")), cid
    assert [r["complaint_id"] for r in by_due["rows"]] == sorted(clocks, key=lambda c: (
        clocks[c][0]["resolution"]["due"], c))
    for state in SLA_STATES:
        found = complaint_desk(store, LEAD, sla_state=state, per_page=500)
        want = {c for c, (r, _) in clocks.items() if r["sla_state"] == state}
        assert ({r["complaint_id"] for r in found["rows"]}, found["total"]) == (want, len(want)), state
    python = tuple(replace(c, sql=None) for c in DEFAULT_CLAUSES)
    assert charter_report(store, LEAD)["clauses"] == charter_report(store, LEAD, clauses=python)["clauses"]
    # later data ends: the running clocks cross their warnings and targets where the kept moments say
    monday = (at + dt.timedelta(days=7 - at.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    for later in (at, at + H, at + 5 * H, at + 26 * H, at + 80 * H, at + 400 * H, monday - 65 * H, monday - 64 * H,
                  monday - 60 * H, monday - dt.timedelta(microseconds=1), monday, monday + H):
        sql, params = stored_clocks.states_sql(later, [])
        got = {int(r[0]): tuple(r[1:4]) for r in store.query(sql, params)}
        want = {c: ranks[:3] for c, (_, ranks) in _states(store, levels, later).items() if c not in live}
        assert got == want, later


def test_kept_clocks_follow_every_kind_of_change(desk_store):
    store = desk_store
    set_service_levels(store, LEAD, CONFIG)  # new service levels: every complaint's clocks, at once
    assert stored_clocks.stale(store, service_levels(store)) == 0
    _check(store)
    # a new message in complaint 6's thread, logged from the customer page: kept in the same transaction
    log_interaction(store, LEAD, 1, channel="email", direction="outbound", department="service",
                    occurred_at=T(2025, 12, 22, 12), complaint_id=6)
    assert stored_clocks.stale(store, service_levels(store)) == 0
    _check(store)
    log_interaction(store, LEAD, 2, channel="phone", direction="outbound", department="service",
                    occurred_at=T(2025, 12, 23, 15), complaint_id=4)
    _check(store)
    # status changes (they stamp the wall clock: the data's end moves with them)
    change_complaint_status(store, LEAD, 2, "in_progress")
    assert stored_clocks.stale(store, service_levels(store)) == 0
    _check(store)
    change_complaint_status(store, LEAD, 1, "resolved", resolution="refund", satisfaction_after=4)
    _check(store)
    change_complaint_status(store, LEAD, 3, "open")  # reopened
    _check(store)
    # a wait for the customer: its clocks stand still, clocked at each read; ended, kept again
    wait_for_customer(store, LEAD, 6, True, at=T(2025, 12, 22, 14))
    _check(store)
    wait_for_customer(store, LEAD, 6, False, at=T(2025, 12, 29, 10))
    assert stored_clocks.stale(store, service_levels(store)) == 0
    _check(store)
    # a new complaint from the app
    open_complaint(store, LEAD, 2, category="billing", description="charged twice", severity="high")
    assert stored_clocks.stale(store, service_levels(store)) == 0
    _check(store)
    # writers outside the complaint area (raw SQL here; an import, a merge or an undo alike) are caught at the read
    store.raw.execute("UPDATE complaints SET severity = 'high' WHERE complaint_id = 4")
    _message(store, 90, 2, T(2025, 12, 24, 10), "inbound", 4)
    assert stored_clocks.stale(store, service_levels(store)) == 1
    _check(store)
    # the firm's time zone moves the working day (and every due time)
    store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) VALUES ('time_zone', "
                      "'America/New_York', ?, 't')", [T(2025, 12, 1)])
    assert stored_clocks.stale(store, service_levels(store)) == store.count("complaints")
    _check(store)
    set_service_levels(store, LEAD, "")  # back to the defaults
    _check(store)


def test_other_service_levels_and_custom_clauses_are_clocked_in_python(desk_store):
    store = desk_store
    set_service_levels(store, LEAD, CONFIG)
    other = replace(service_levels(store), policies=service_levels(store).policies[1:])
    python = {r["complaint_id"]: r["sla_state"] for r in clocked(
        store, store.records("SELECT c.*, NULL AS triage FROM complaints c"), other, data_end(store))}
    found = complaint_desk(store, LEAD, sla_state="breached", levels=other, per_page=500)
    assert {r["complaint_id"] for r in found["rows"]} == {c for c, s in python.items() if s == "breached"}
    custom = (replace(DEFAULT_CLAUSES[0], sql=None),)
    assert charter_report(store, LEAD, clauses=custom)["clauses"][0] == charter_report(store, LEAD)["clauses"][0]


def test_a_read_only_store_reads_kept_clocks_or_clocks_in_python(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        _fill(store)
        set_service_levels(store, LEAD, CONFIG)
        before = charter_report(store, LEAD)
        store.raw.execute("UPDATE complaints SET severity = 'high' WHERE complaint_id = 1")  # kept clocks behind
    with Store(path, read_only=True) as ro:
        assert stored_clocks.stale(ro, service_levels(ro)) == 1
        clocks = _states(ro, service_levels(ro), data_end(ro))
        found = complaint_desk(ro, LEAD, sla_state="breached", per_page=500)  # clocked in Python: nothing written
        assert {r["complaint_id"] for r in found["rows"]} == {c for c, (r, _) in clocks.items()
                                                              if r["sla_state"] == "breached"}
        python = tuple(replace(c, sql=None) for c in DEFAULT_CLAUSES)
        assert charter_report(ro, LEAD)["clauses"] == charter_report(ro, LEAD, clauses=python)["clauses"]
        assert charter_report(ro, LEAD)["complaints"] == before["complaints"]
        assert stored_clocks.stale(ro, service_levels(ro)) == 1


def test_the_demo_companys_complaints_read_the_same_from_kept_clocks(tmp_path):
    store = demo_company(tmp_path, 3000, 5)
    try:
        levels, at = service_levels(store), data_end(store)
        total = store.count("complaints")
        assert total > 100
        counts = {s: complaint_desk(store, LEAD, sla_state=s)["total"] for s in SLA_STATES}
        rows = clocked(store, store.records(
            "SELECT c.*, s.triage FROM complaints c LEFT JOIN scores s ON s.party_id = c.party_id "
            "AND s.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'value')"), levels, at)
        assert counts == {s: sum(r["sla_state"] == s for r in rows) for s in SLA_STATES}
        assert sum(counts.values()) == total
        kept = {k["complaint_id"]: k for k in store.records("SELECT * FROM complaint_clocks")}
        assert all(kept[r["complaint_id"]]["resolution_due"] == r["resolution"]["due"] and
                   kept[r["complaint_id"]]["first_response_due"] == r["first_response"]["due"] for r in rows)
        python = tuple(replace(c, sql=None) for c in DEFAULT_CLAUSES)
        assert charter_report(store, LEAD)["clauses"] == charter_report(store, LEAD, clauses=python)["clauses"]
        for later in (at + 3 * H, at + 50 * H, at + 300 * H):
            sql, params = stored_clocks.states_sql(later, [])
            got = {int(r[0]): tuple(r[1:4]) for r in store.query(sql, params)}
            assert got == {r["complaint_id"]: stored_clocks.ranks(r)[1:4] for r in clocked(
                store, store.records("SELECT c.*, s.triage FROM complaints c LEFT JOIN scores s ON s.party_id = "
                                     "c.party_id AND s.run_id = (SELECT max(run_id) FROM runs WHERE kind = 'value')"),
                levels, later)}
    finally:
        store.close()
