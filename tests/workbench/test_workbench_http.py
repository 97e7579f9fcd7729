"""The customer list, saved views, bulk actions, tasks and field edits through the API and the pages
(FastAPI's TestClient over a demo company's DuckDB file)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("workbench")
    path = root / "patron.duckdb"
    with demo_company(root, 300, 5, path) as store:
        token = issue_token(store, add_user(store, "sue", PASSWORD, "sales", "Sue Sales"), "t")
        add_user(store, "tom", PASSWORD, "service", "Tom Service")
        party = store.scalar("SELECT min(party_id) FROM parties WHERE kind = 'person'")
    with TestClient(create_app(str(path))) as client:
        yield client, {"Authorization": f"Bearer {token}"}, party


def test_api_list_pages_with_cursor_and_bulk_owner(site):
    client, auth, _ = site
    filters = json.dumps([{"field": "p_alive", "op": "gte", "value": 0.2}])
    first = client.get("/api/v1/customers", params={"filters": filters, "sort": "-clv", "limit": 20}, headers=auth)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["total"] > 20 and len(body["items"]) == 20 and body["next_cursor"]
    second = client.get("/api/v1/customers", params={"filters": filters, "sort": "-clv", "limit": 20,
                                                     "cursor": body["next_cursor"]}, headers=auth).json()
    assert not {r["party_id"] for r in body["items"]} & {r["party_id"] for r in second["items"]}
    assert body["items"][-1]["clv"] >= second["items"][0]["clv"]
    bad = client.get("/api/v1/customers", params={"filters": '[{"field": "zip", "op": "eq", "value": 1}]'},
                     headers=auth)
    assert bad.status_code == 400 and "no field 'zip'" in bad.json()["error"]
    ids = [r["party_id"] for r in body["items"][:3]]
    done = client.post("/api/v1/customers/owner", json={"owner": "tom", "party_ids": ids}, headers=auth).json()
    assert done == {"selected": 3, "changed": 3}
    owned = client.get("/api/v1/customers", params={"filters": json.dumps([{"field": "owner", "op": "eq",
                                                                             "value": "tom"}])}, headers=auth).json()
    assert sorted(r["party_id"] for r in owned["items"]) == sorted(ids)
    history = client.get(f"/api/v1/parties/{ids[0]}", headers=auth).json()["changes"]
    assert history[0]["field"] == "owner" and history[0]["new_value"] == "tom" and history[0]["how"] == "api"


def test_api_views_tasks_and_edits(site):
    client, auth, party = site
    made = client.post("/api/v1/views", json={"name": "Lapsed", "filters": [{"field": "rung", "op": "eq",
                                                                               "value": "lapsed"}]}, headers=auth)
    assert made.status_code == 201, made.text
    vid = made.json()["view_id"]
    assert client.patch(f"/api/v1/views/{vid}", json={"name": "Fallen"}, headers=auth).json()["name"] == "Fallen"
    assert [v["name"] for v in client.get("/api/v1/views", headers=auth).json()] == ["Fallen"]
    assert client.delete(f"/api/v1/views/{vid}", headers=auth).status_code == 204
    task = client.post(f"/api/v1/parties/{party}/tasks", json={"title": "Call back", "due_at": "2020-01-02T10:00"},
                       headers=auth)
    assert task.status_code == 201 and task.json()["owner"] == "sue"
    mine = client.get("/api/v1/tasks", params={"owner": "me"}, headers=auth).json()
    assert mine[0]["task_id"] == task.json()["task_id"] and mine[0]["overdue"]
    assert client.post(f"/api/v1/tasks/{mine[0]['task_id']}/done", headers=auth).json()["status"] == "done"
    edit = client.patch(f"/api/v1/parties/{party}", json={"phone": "+351 21 123 4567"}, headers=auth)
    assert edit.json() == {"party_id": party, "changed": ["phone"]}
    found = client.get("/api/v1/parties", params={"q": "021 123 4567"}, headers=auth).json()
    assert party in [r["party_id"] for r in found["items"]]
    assert client.patch(f"/api/v1/parties/{party}", json={"colour": "red"}, headers=auth).status_code == 422


def _sign_in(client, who):
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/customers").text).group(1)


def test_pages_filter_save_bulk_and_tasks(site):
    client, _, party = site
    csrf = _sign_in(client, "sue")
    page = client.get("/customers", params={"triage": "best"})
    assert page.status_code == 200 and 'id="customer-list"' in page.text
    total = int(re.search(r'id="list-total">([\d,]+) customer', page.text).group(1).replace(",", ""))
    filters = json.dumps([{"field": "triage", "op": "eq", "value": "best"}])
    saved = client.post("/customers/views", data={"csrf": csrf, "name": "Best ones", "filters": filters,
                                                  "sort": "-clv"}, follow_redirects=True)
    assert "View &#39;Best ones&#39; saved." in saved.text or "View 'Best ones' saved." in saved.text
    assert f"{total:,} customer" in saved.text
    bulk = client.post("/customers/bulk", data={"csrf": csrf, "filters": filters, "scope": "all",
                                                "action": "task", "title": "Thank them", "due": "2030-01-01"},
                       follow_redirects=True)
    assert f"{total:,} tasks added for sue." in bulk.text
    tasks = client.get("/tasks").text
    assert tasks.count("Thank them") == total
    logged = client.post(f"/customers/{party}/interactions", data={
        "csrf": csrf, "channel": "phone", "direction": "outbound", "subject": "Rang about the order",
        "notes": "wants a call in May", "task_title": "Ring again in May", "task_due": "2020-05-01"},
        follow_redirects=True)
    assert "follow-up task added" in logged.text and "Ring again in May" in logged.text
    assert "Ring again in May" in client.get("/tasks").text.split("Thank them")[0]  # overdue first
    only_calls = client.get(f"/customers/{party}", params={"type": "interaction", "channel": "phone"}).text
    timeline = only_calls.split('id="timeline"')[1].split("</ul>")[0]
    assert "Rang about the order" in timeline and "purchase" not in timeline.lower().replace("order", "")


def test_a_customer_page_draws_who_they_referred(site):
    """The demo's referrals (webshop "referred by") are drawn as each customer's own network."""
    client, _, _ = site
    _sign_in(client, "sue")
    drawn = [pid for pid in range(1, 120) if 'id="ego-network"' in client.get(f"/customers/{pid}").text]
    assert drawn, "no customer page drew a network, though the demo's customers refer each other"
    page = client.get(f"/customers/{drawn[0]}").text
    section = page.split('id="ego-network">')[1]
    assert section.startswith("<svg") and "direct tie" in section
    plain = client.get(f"/customers/{next(p for p in range(1, 120) if p not in drawn)}").text
    assert 'id="ego-network"' not in plain and "Relationships</h2>" not in plain


def test_a_saved_view_is_renamed_and_deleted_from_its_list_page_by_its_owner_only(site):
    client, _, _ = site
    csrf = _sign_in(client, "sue")
    filters = json.dumps([{"field": "channel", "op": "eq", "value": "phone"}])
    saved = client.post("/interactions/views", data={"csrf": csrf, "name": "Calls", "filters": filters},
                        follow_redirects=False)
    view_id = int(re.search(r"view=(\d+)", saved.headers["location"]).group(1))
    renamed = client.post(f"/interactions/views/{view_id}", data={"csrf": csrf, "name": "Phone calls"},
                          follow_redirects=True)
    assert "View renamed &#39;Phone calls&#39;" in renamed.text or "View renamed 'Phone calls'" in renamed.text
    # without the tick nothing is deleted, and the page says what to do
    kept = client.post(f"/interactions/views/{view_id}", data={"csrf": csrf, "delete": "1"}, follow_redirects=True)
    assert "Tick" in kept.text and "yes, delete" in kept.text
    assert "Phone calls" in client.get("/interactions").text
    # another user (not an admin) can neither rename nor delete it
    tom = _sign_in(client, "tom")
    for data in ({"csrf": tom, "name": "Mine now"}, {"csrf": tom, "delete": "1", "confirm": "yes"}):
        assert client.post(f"/interactions/views/{view_id}", data=data).status_code in (403, 404)
    # nor without the form's token
    csrf = _sign_in(client, "sue")
    assert client.post(f"/interactions/views/{view_id}", data={"delete": "1", "confirm": "yes"}).status_code == 403
    assert "Phone calls" in client.get("/interactions").text
    gone = client.post(f"/interactions/views/{view_id}", data={"csrf": csrf, "delete": "1", "confirm": "yes"},
                       follow_redirects=True)
    assert "View &#39;Phone calls&#39; deleted." in gone.text or "View 'Phone calls' deleted." in gone.text
    assert "Phone calls" not in client.get("/interactions").text
