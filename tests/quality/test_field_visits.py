"""Field visits as a listening instrument on both stores: answers recorded on a visit (channel field_visit), whatever
was asked, make their own report; they still count in their own instrument's report."""

from __future__ import annotations

import pytest

from patron.areas.feedback.service import record_feedback
from patron.areas.quality.service import feedback_report, instrument_report
from patron.errors import InvalidInput
from patron.service.permissions import User
from patron.store import Store
from store_engines import ENGINES, new_store_url

CLERK = User(1, "sam", "service")


@pytest.fixture(params=ENGINES)
def visited(request, tmp_path):
    store = Store(new_store_url(request, request.param, tmp_path))
    for party in (1, 2):
        store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                          "VALUES (?, 'person', 'customer', '2025-01-01', ?)", [party, f"Customer {party}"])
    yield store
    store.close()


def test_a_field_visits_report_reads_what_was_heard_on_visits(visited):
    store = visited
    visit = {"channel": "field_visit", "department": "service", "touchpoint": "after"}
    record_feedback(store, CLERK, 1, instrument="csat", score=4, scale_max=5, **visit)
    record_feedback(store, CLERK, 1, instrument="servqual", dimension="tangibles", expectation=6, perception=5,
                    adequate=4, desired=6, **visit)
    record_feedback(store, CLERK, 1, instrument="suggestion", text="Open on Saturdays", **visit)
    record_feedback(store, CLERK, 2, instrument="csat", score=2, scale_max=5, **visit)
    record_feedback(store, CLERK, 2, instrument="csat", score=5, scale_max=5, channel="email")  # not on a visit
    r = instrument_report(store, CLERK, "field_visit")
    assert (r["answers"], r["respondents"], r["visits"]) == (4, 2, 2)
    assert r["by_instrument"] == [{"instrument": "csat", "answers": 2}, {"instrument": "servqual", "answers": 1},
                                  {"instrument": "suggestion", "answers": 1}]
    assert r["scores"] == [pytest.approx({"scale_max": 5.0, "value": 3.0, "se": 1.0, "low": 3 - 1.959964,
                                          "high": 3 + 1.959964, "n": 2}, rel=1e-6)]
    assert [(p["of"], p["dimension"], p["value"]) for p in r["perception"]] == [("us", "tangibles", 5.0)]
    assert [t["text"] for t in r["texts"]] == ["Open on Saturdays"]
    # a visit's CSAT is still a CSAT answer; the suggestion scheme's report does not hold the email answer
    assert feedback_report(store, CLERK, "csat")["scales"][0]["overall"]["n"] == 3
    assert instrument_report(store, CLERK, "suggestion")["answers"] == 1
    row = store.records("SELECT adequate, desired, department, touchpoint FROM feedback WHERE instrument = 'servqual'")
    assert row == [{"adequate": 4.0, "desired": 6.0, "department": "service", "touchpoint": "after"}]
    with pytest.raises(InvalidInput, match="adequate level"):
        record_feedback(store, CLERK, 1, instrument="servqual", dimension="empathy", expectation=6, perception=5,
                        adequate=6, desired=4)
    with pytest.raises(InvalidInput, match="touchpoint"):
        record_feedback(store, CLERK, 1, instrument="csat", score=3, scale_max=5, touchpoint="someday")
    with pytest.raises(InvalidInput, match="listening instruments"):
        instrument_report(store, CLERK, "visit")
