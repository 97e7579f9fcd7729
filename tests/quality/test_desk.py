"""The complaint desk: paging with totals, filters, sorting, owners, waiting for the customer, the charter report."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.areas.complaints.desk import assign_owner, charter_report, complaint_desk, data_end, wait_for_customer
from patron.areas.complaints.service import change_complaint_status
from patron.errors import InvalidInput
from patron.service.permissions import User

CLERK = User(1, "sam", "service")
T = dt.datetime


def _complaint(store, n, opened, *, severity="medium", category="delivery", status="open", first=None,
               resolved=None, satisfaction=None):
    store.raw.execute(
        "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, first_response_at, "
        "resolved_at, category, severity, status, satisfaction_after, description) "
        "VALUES (?, 't', ?, 1, ?, ?, ?, ?, ?, ?, ?, 'late parcel')",
        [n, f"c{n}", opened, first, resolved, category, severity, status, satisfaction])


@pytest.fixture
def desk_store(store):
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                      "VALUES (1, 'person', 'customer', '2025-01-01', 'Ada')")
    # Monday 2025-12-01 09:00 opens the week; the data ends Friday 2025-12-05 17:00 (the last event)
    _complaint(store, 1, T(2025, 12, 1, 9), first=T(2025, 12, 1, 10), resolved=T(2025, 12, 2, 9),
               status="resolved", satisfaction=5)  # answered in 1 h, resolved in 10 h: both met
    _complaint(store, 2, T(2025, 12, 1, 9), severity="critical", first=T(2025, 12, 1, 15),
               resolved=T(2025, 12, 5, 17), status="closed", satisfaction=2)  # 6 h > 2 h; 48 h > 10 h
    _complaint(store, 3, T(2025, 12, 2, 9), category="billing", severity="low")  # 38 business hours of 24 (8-18): response breached
    _complaint(store, 4, T(2025, 12, 5, 9), severity="high", status="in_progress",
               first=T(2025, 12, 5, 10))  # 8 h of 30: on track
    return store


def test_paging_filters_and_sorting(desk_store):
    assert data_end(desk_store) == T(2025, 12, 5, 17)
    page = complaint_desk(desk_store, CLERK, per_page=3, sort="opened_at")
    assert (page["total"], page["pages"], [r["complaint_id"] for r in page["rows"]]) == (4, 2, [1, 2, 3])
    assert [r["complaint_id"] for r in complaint_desk(desk_store, CLERK, per_page=3, page=2)["rows"]] == [4]
    states = {r["complaint_id"]: r["sla_state"] for r in complaint_desk(desk_store, CLERK)["rows"]}
    assert states == {1: "met", 2: "breached", 3: "breached", 4: "on track"}
    breached = complaint_desk(desk_store, CLERK, sla_state="breached")
    assert breached["total"] == 2 and {r["escalate_to"] for r in breached["rows"]} == {"admin", "service"}
    assert complaint_desk(desk_store, CLERK, status=["open", "in_progress"])["total"] == 2
    assert [r["complaint_id"] for r in complaint_desk(desk_store, CLERK, category="billing")["rows"]] == [3]
    ages = complaint_desk(desk_store, CLERK, sort="age", descending=True)["rows"]
    assert ages[0]["complaint_id"] == 2 and ages[0]["age_days"] == pytest.approx(4 + 8 / 24)  # from the data's end
    assert complaint_desk(desk_store, CLERK, min_age_days=3.3)["total"] == 2  # 2 (resolved late) and 3 (open)
    assert [r["severity"] for r in complaint_desk(desk_store, CLERK, sort="severity", descending=True)["rows"]][0] \
        == "critical"
    with pytest.raises(InvalidInput, match="Unknown status"):
        complaint_desk(desk_store, CLERK, status=["lost"])
    with pytest.raises(InvalidInput, match="sort"):
        complaint_desk(desk_store, CLERK, sort="colour")


def test_owner_waiting_and_resolution_with_satisfaction(desk_store):
    assign_owner(desk_store, CLERK, 3, "Ben S.")
    assert [r["complaint_id"] for r in complaint_desk(desk_store, CLERK, owner="Ben S.")["rows"]] == [3]
    # waiting for the customer from Tuesday 12:00 to Thursday 12:00 pauses 20 business hours (6 + 10 + 4 on the default Mon-Fri 8-18 calendar)
    wait_for_customer(desk_store, CLERK, 3, True, at=T(2025, 12, 2, 12))
    r = wait_for_customer(desk_store, CLERK, 3, False, at=T(2025, 12, 4, 12))
    assert r["paused_hours"] == pytest.approx(20)
    row = complaint_desk(desk_store, CLERK, category="billing")["rows"][0]
    assert row["first_response"]["used_hours"] == pytest.approx(38 - 20)  # 18 of 24: on track again
    assert row["sla_state"] == "on track"
    change_complaint_status(desk_store, CLERK, 3, "in_progress")
    done = change_complaint_status(desk_store, CLERK, 3, "resolved", resolution="refund sent", satisfaction_after=4)
    assert done["status"] == "resolved" and done["satisfaction_after"] == 4
    with pytest.raises(InvalidInput, match="open or in-progress"):
        wait_for_customer(desk_store, CLERK, 3, True)


def test_charter_report_clause_by_clause(desk_store):
    rep = charter_report(desk_store, CLERK)
    clauses = {c["clause"]: c for c in rep["clauses"]}
    # answer: 1 met, 2 breached, 3 breached (no answer, past due), 4 met -> 2 of 4
    assert (clauses["answer"]["complaints"], clauses["answer"]["kept"]) == (4, 2)
    assert clauses["answer"]["adhered"] is False
    # resolve: 1 met, 2 breached; 3 (38 of 120 h) and 4 and 4 still running are not judged yet
    assert (clauses["resolve"]["complaints"], clauses["resolve"]["kept"]) == (2, 1)
    # satisfy: 5 kept, 2 not
    assert (clauses["satisfy"]["complaints"], clauses["satisfy"]["kept"], clauses["satisfy"]["share"]) == (2, 1, 0.5)
    only_friday = charter_report(desk_store, CLERK, since=dt.date(2025, 12, 5), until=dt.date(2025, 12, 5))
    assert only_friday["complaints"] == 1
