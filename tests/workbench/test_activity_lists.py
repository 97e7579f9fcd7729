"""The complaint and interaction lists through the API, on both backends (a DuckDB file and the PostgreSQL server
the fixtures start): filters, sorts, cursor pages, totals, the CSV export (human headers, personal data as the
role sees it, formulas made harmless), and ages counted to the data's end, not to today."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.ingest import import_file
from patron.store import Store

PASSWORD = "a long enough password"


@pytest.fixture
def api(engine_url, tmp_path):
    store = Store(engine_url)
    (tmp_path / "people.csv").write_text(
        "customer_id,name,email,phone\nC1,Anna Müller,anna@example.com,+44 20 7946 0958\n"
        "C2,=HYPERLINK(\"x\"),jorge@example.com,\nC3,Li Wei,li@example.com,\n", encoding="utf-8")
    import_file(store, tmp_path / "people.csv", "parties", source="crm")
    (tmp_path / "complaints.csv").write_text(
        "complaint_id,customer_id,opened_at,resolved_at,channel,category,severity,status,description\n"
        "K1,C1,2023-03-01 09:00,,email,delivery,high,open,parcel late\n"
        "K2,C1,2023-03-10 09:00,2023-03-12 09:00,phone,billing,low,resolved,charged twice\n"
        "K3,C2,2023-03-20 09:00,,phone,delivery,medium,in_progress,box damaged\n"
        "K4,C3,2023-04-01 09:00,,chat,website,critical,open,cannot sign in\n", encoding="utf-8")
    import_file(store, tmp_path / "complaints.csv", "complaints", source="crm")
    (tmp_path / "interactions.csv").write_text(
        "interaction_id,customer_id,occurred_at,channel,direction,department,staff,subject\n"
        + "".join(f"I{i},C{i % 3 + 1},2023-02-{i + 1:02d} 10:00,{('phone', 'email')[i % 2]},inbound,service,"
                  f"Eve,question {i}\n" for i in range(12)), encoding="utf-8")
    import_file(store, tmp_path / "interactions.csv", "interactions", source="crm")
    tokens = {role: issue_token(store, add_user(store, role, PASSWORD, role), "t") for role in ("sales", "analyst", "marketing")}
    store.close()
    with TestClient(create_app(engine_url)) as client:
        yield client, {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_complaint_list_filters_sorts_pages_and_ages_to_the_data_end(api):
    client, auth = api
    body = client.get("/api/v1/complaints/list", params={"limit": 2}, headers=auth["sales"]).json()
    assert body["total"] == 4 and len(body["items"]) == 2 and body["next_cursor"]
    assert [r["category"] for r in body["items"]] == ["website", "delivery"]  # the newest first
    rest = client.get("/api/v1/complaints/list", params={"limit": 2, "cursor": body["next_cursor"]},
                      headers=auth["sales"]).json()
    assert [r["description"] for r in rest["items"]] == ["charged twice", "parcel late"]
    assert rest["next_cursor"] is None
    # The data ends at the newest complaint event, 2023-04-01 09:00: the open complaint of 2023-03-01 is 31 days
    # old then, whatever today's date; the resolved one is as old as it took to resolve.
    assert body["as_of"].startswith("2023-04-01T09:00")
    ages = {r["description"]: r["age_days"] for r in body["items"] + rest["items"]}
    assert ages["parcel late"] == pytest.approx(31.0) and ages["charged twice"] == pytest.approx(2.0)
    assert ages["cannot sign in"] == pytest.approx(0.0)
    filters = [{"field": "status", "op": "in", "value": ["open", "in_progress"]},
               {"field": "opened_at", "op": "between", "value": ["2023-03-01", "2023-03-31"]},
               {"field": "text", "op": "contains", "value": "DAMAGED"}]
    found = client.get("/api/v1/complaints/list", params={"filters": json.dumps(filters), "sort": "opened_at"},
                       headers=auth["sales"]).json()
    assert found["total"] == 1 and found["items"][0]["description"] == "box damaged"
    by_channel = client.get("/api/v1/complaints/list", params={
        "filters": json.dumps([{"field": "channel", "op": "eq", "value": "phone"}]), "sort": "severity"},
        headers=auth["sales"]).json()
    assert [r["severity"] for r in by_channel["items"]] == ["low", "medium"]
    bad = client.get("/api/v1/complaints/list", params={"sort": "colour"}, headers=auth["sales"])
    assert bad.status_code == 400 and "Cannot sort by 'colour'" in bad.json()["error"]


def test_complaint_export_has_human_headers_masks_for_the_role_and_defuses_formulas(api):
    client, auth = api
    filters = json.dumps([{"field": "category", "op": "eq", "value": "delivery"}])
    sales = client.get("/api/v1/complaints/export", params={"filters": filters}, headers=auth["sales"])
    assert sales.status_code == 200 and sales.headers["content-type"].startswith("text/csv")
    header = sales.text.splitlines()[0]
    assert header.startswith("Complaint number,Opened,Resolved,Status,Severity,Channel,Category")
    rows = _rows(sales.text)
    assert len(rows) == 2 and {r["Email"] for r in rows} == {"anna@example.com", "jorge@example.com"}
    assert rows[0]["Opened"] == "2023-03-20 09:00:00" and rows[0]["Status"] == "in progress"
    assert rows[0]["Customer"] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, never runs it
    assert float(rows[1]["Age (days)"]) == pytest.approx(31.0)  # numbers stay plain for other programs
    analyst = _rows(client.get("/api/v1/complaints/export", params={"filters": filters},
                               headers=auth["analyst"]).text)
    assert {r["Email"] for r in analyst} == {"a***@example.com", "j***@example.com"}


def test_interaction_list_pages_filters_and_exports(api):
    client, auth = api
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/interactions", params={"limit": 5, "sort": "occurred_at",
                                                          **({"cursor": cursor} if cursor else {})},
                          headers=auth["sales"]).json()
        assert page["total"] == 12
        seen += [r["subject"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"question {i}" for i in range(12)]
    filters = [{"field": "channel", "op": "eq", "value": "email"},
               {"field": "customer", "op": "contains", "value": "müller"},
               {"field": "occurred_at", "op": "lte", "value": "2023-02-10"}]
    found = client.get("/api/v1/interactions", params={"filters": json.dumps(filters)}, headers=auth["sales"]).json()
    assert [r["subject"] for r in found["items"]] == ["question 3"]
    one = client.get(f"/api/v1/interactions/{found['items'][0]['interaction_id']}", headers=auth["analyst"]).json()
    assert one["subject"] == "question 3" and one["email"] == "a***@example.com"
    assert client.get("/api/v1/interactions/999999", headers=auth["sales"]).status_code == 404
    rows = _rows(client.get("/api/v1/interactions/export", params={"filters": json.dumps(filters[:1])},
                            headers=auth["analyst"]).text)
    assert len(rows) == 6 and rows[0]["Channel"] == "email" and rows[0]["Department"] == "service"
    assert all(r["Email"].startswith(("a***", "j***", "l***")) for r in rows)
    assert [r["When"] for r in rows] == sorted((r["When"] for r in rows), reverse=True)


def test_a_filtered_customer_list_goes_onto_a_named_list(api):
    client, auth = api
    filters = [{"field": "name", "op": "contains", "value": "i"}]  # Li Wei and =HYPERLINK("x")
    done = client.post("/api/v1/customers/list-members", json={"name": "Autumn tasting", "filters": filters},
                       headers=auth["marketing"])
    assert done.status_code == 200, done.text
    assert done.json() == {"selected": 2, "added": 2}
    again = client.post("/api/v1/customers/list-members", json={"name": "Autumn tasting", "filters": filters},
                        headers=auth["marketing"]).json()
    assert again == {"selected": 2, "added": 0}  # those on it already stay as they are
    members = client.get("/api/v1/lists/Autumn tasting", headers=auth["marketing"]).json()
    assert members["total"] == 2
    refused = client.post("/api/v1/customers/list-members", json={"name": "Autumn tasting", "filters": filters},
                          headers=auth["sales"])
    assert refused.status_code == 403
