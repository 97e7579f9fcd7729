"""The customer page's field-visit form: CSRF, the role, the values checked, and the answers in the field-visit
report (the pages through FastAPI's TestClient on a DuckDB file; the service on both stores)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.complaints.service import open_complaint
from patron.areas.feedback.service import record_field_visit
from patron.areas.quality.service import instrument_report
from patron.areas.users.service import add_user
from patron.errors import InvalidInput, PermissionDenied
from patron.service.permissions import User
from patron.store import Store, picture, search_index
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"


def _customer(store) -> int:
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at, name) "
                      "VALUES (1, 'person', 'customer', '2025-01-01', 'Ada Visited')")
    search_index.refresh(store, [1])
    picture.refresh(store, [1])
    return 1


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    path = tmp_path_factory.mktemp("visits") / "patron.duckdb"
    with Store(path) as store:
        _customer(store)
        add_user(store, "tom", PASSWORD, "service", "Tom Service")
        add_user(store, "ann", PASSWORD, "analyst", "Ann Analyst")
    with TestClient(create_app(str(path))) as client:
        yield client, path


def _sign_in(client, who) -> str:
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/customers/1").text).group(1)


def test_a_field_visit_recorded_from_the_customer_page(site):
    client, path = site
    csrf = _sign_in(client, "tom")
    page = client.get("/customers/1").text
    assert 'action="/customers/1/field-visits"' in page and 'id="visit_satisfaction"' in page
    # without the form's token: refused, nothing kept
    assert client.post("/customers/1/field-visits", data={"satisfaction": "4"}).status_code == 403
    bad = client.post("/customers/1/field-visits", data={"csrf": csrf, "satisfaction": "9"})
    assert bad.status_code == 400 and "1 to 5" in bad.text
    assert client.post("/customers/1/field-visits", data={"csrf": csrf}).status_code == 400  # nothing said
    done = client.post("/customers/1/field-visits", data={
        "csrf": csrf, "satisfaction": "4", "suggestion": "Deliver on Tuesdays", "visited_on": "2025-11-20",
        "touchpoint": "after"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert "Field visit recorded (2 answers)" in client.get(done.headers["location"]).text
    with Store(path) as store:
        report = instrument_report(store, None, "field_visit")
        assert report["visits"] == 1 and {k["instrument"] for k in report["by_instrument"]} == {"csat", "suggestion"}
        assert report["texts"][0]["text"] == "Deliver on Tuesdays" and report["texts"][0]["touchpoint"] == "after"
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'feedback.create'") == 2
    # a message logged from the composer about an open complaint goes into that complaint's thread
    with Store(path) as store:
        complaint = open_complaint(store, User(1, "tom", "service"), 1, category="delivery", description="late")
    page = client.get("/customers/1").text
    assert f'<option value="{complaint["complaint_id"]}">#{complaint["complaint_id"]} delivery' in page
    logged = client.post("/customers/1/interactions", data={
        "csrf": csrf, "channel": "email", "direction": "inbound", "subject": "Still waiting",
        "complaint_id": str(complaint["complaint_id"])}, follow_redirects=False)
    assert logged.status_code == 303, logged.text
    with Store(path) as store:
        assert store.scalar("SELECT complaint_id FROM interactions WHERE subject = 'Still waiting'") == \
            complaint["complaint_id"]
    # an analyst reads but does not record: the form is not shown and the post is refused
    csrf = _sign_in(client, "ann")
    assert 'action="/customers/1/field-visits"' not in client.get("/customers/1").text
    assert client.post("/customers/1/field-visits", data={"csrf": csrf, "satisfaction": "3"}).status_code == 403


@pytest.mark.parametrize("engine", ENGINES)
def test_a_field_visit_is_checked_and_kept_in_one_transaction(request, tmp_path, engine):
    with Store(new_store_url(request, engine, tmp_path)) as store:
        _customer(store)
        clerk = User(1, "tom", "service")
        with pytest.raises(PermissionDenied):
            record_field_visit(store, User(2, "ann", "analyst"), 1, satisfaction=4)
        with pytest.raises(InvalidInput, match="time still to come"):
            record_field_visit(store, clerk, 1, satisfaction=4, visited_at=dt.datetime(2999, 1, 1))
        with pytest.raises(InvalidInput, match="whole score"):
            record_field_visit(store, clerk, 1, satisfaction=3.5)
        with pytest.raises(InvalidInput, match="touchpoint"):
            record_field_visit(store, clerk, 1, suggestion="More blends", touchpoint="never")
        assert store.scalar("SELECT count(*) FROM feedback") == 0
        kept = record_field_visit(store, clerk, 1, satisfaction=5, suggestion="More blends",
                                  visited_at=dt.datetime(2025, 6, 2, 10))
        assert [a["instrument"] for a in kept] == ["csat", "suggestion"]
        assert store.query("SELECT instrument, channel, occurred_at, scale_max FROM feedback ORDER BY feedback_id") == [
            ("csat", "field_visit", dt.datetime(2025, 6, 2, 10), 5.0),
            ("suggestion", "field_visit", dt.datetime(2025, 6, 2, 10), None)]
