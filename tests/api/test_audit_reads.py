"""The audit log answers "who saw or took this person's data, and when": 360 reads on the page and the API,
exports with row counts, sign-ins, admin actions, each with the address it came from; admins filter, page
and download it, and reach it from the customer page."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from signin_helpers import PASSWORD, add_customer, post_login, signed_in

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.store import Store


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_reads_exports_and_sign_ins_are_audited(engine_url):
    with Store(engine_url) as store:
        admin = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "t")
        sam_token = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
        add_customer(store, 1)
        add_customer(store, 2, "Other Person", "op@example.org")
    app = create_app(engine_url)
    with TestClient(app) as client:
        sam = signed_in(TestClient(app), "sam")
        assert sam.get("/customers/1").status_code == 200
        assert client.get("/api/v1/parties/1", headers=_bearer(sam_token)).status_code == 200
        assert client.get("/api/v1/parties/2", headers=_bearer(sam_token)).status_code == 200
        assert post_login(TestClient(app), "sam", "not the password").status_code == 401
        export = sam.get("/customers/export?consent=")
        assert export.status_code == 200

        log = client.get("/api/v1/audit", headers=_bearer(admin),
                         params={"entity": "party", "entity_id": 1, "action": "party.read"}).json()
        assert [(e["username"], e["address"]) for e in log] == [("sam", "testclient")] * 2, \
            "both reads of customer 1 (page and API), and only those"
        assert log[0]["detail"] == {"personal_data": True}

        exports = client.get("/api/v1/audit", headers=_bearer(admin), params={"action": "customers.export"}).json()
        assert len(exports) == 1 and exports[0]["username"] == "sam"
        rows_sent = len(list(csv.reader(io.StringIO(export.text)))) - 1
        assert exports[0]["row_count"] == rows_sent and exports[0]["detail"]["complete"] is True

        signs = client.get("/api/v1/audit", headers=_bearer(admin), params={"action": "sign_in."}).json()
        assert [e["action"] for e in signs] == ["sign_in.failed"]
        assert signs[0]["detail"]["username"] == "sam" and signs[0]["address"] == "testclient"
        assert client.get("/api/v1/audit", headers=_bearer(admin),
                          params={"action": "sign_in"}).json()[0]["username"] == "sam"

        # Filters by user and dates; paging.
        by_sam = client.get("/api/v1/audit", headers=_bearer(admin), params={"username": "sam"}).json()
        assert by_sam and all(e["username"] == "sam" for e in by_sam)
        assert client.get("/api/v1/audit", headers=_bearer(admin), params={"until": "2000-01-01"}).json() == []
        everything = client.get("/api/v1/audit", headers=_bearer(admin), params={"limit": 1000}).json()
        second = client.get("/api/v1/audit", headers=_bearer(admin), params={"limit": 2, "offset": 2}).json()
        assert second == everything[2:4]

        # CSV for admins (itself recorded), refused to others.
        r = client.get("/api/v1/audit/export", headers=_bearer(admin), params={"entity": "party", "entity_id": 1})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(r.text)))
        assert {row["Action"] for row in table} == {"party.read"} and len(table) == 2
        assert client.get("/api/v1/audit/export", headers=_bearer(sam_token)).status_code == 403
        assert client.get("/api/v1/audit", headers=_bearer(admin),
                          params={"action": "audit.export"}).json()[0]["row_count"] == 2


def test_admins_see_who_saw_a_customer_from_its_page(engine_url):
    with Store(engine_url) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "sam", PASSWORD, "service")
        add_customer(store, 1)
    app = create_app(engine_url)
    with TestClient(app) as ada, TestClient(app) as sam:
        signed_in(sam, "sam")
        assert 'id="who-saw"' not in sam.get("/customers/1").text
        assert sam.get("/audit?entity=party&entity_id=1").status_code == 403
        assert sam.get("/audit/export.csv").status_code == 403
        signed_in(ada, "ada")
        page = ada.get("/customers/1").text
        assert 'href="/audit?entity=party&amp;entity_id=1"' in page
        log = ada.get("/audit?entity=party&entity_id=1").text
        assert "customer 360 opened" in log and "sam" in log and "testclient" in log
        assert log.count("customer 360 opened") == 3  # sam once, ada once, and the filter's option
        filtered = ada.get("/audit?username=sam&action=party.read&since=2000-01-01&until=2999-12-31").text
        assert filtered.count("<tr><td>") == 1
        assert ada.get("/audit?since=not-a-date").status_code == 400
        r = ada.get("/audit/export.csv?entity=party&entity_id=1")
        assert r.status_code == 200 and len(list(csv.DictReader(io.StringIO(r.text)))) == 2


def test_a_read_does_not_empty_the_token_cache(tmp_path):
    """The 360's audit row is one INSERT outside a write transaction: cached token lookups survive it."""
    path = tmp_path / "c.duckdb"
    with Store(path) as store:
        token = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
        add_customer(store, 1)
    app = create_app(str(path))
    with TestClient(app) as client:
        assert client.get("/api/v1/parties/1", headers=_bearer(token)).status_code == 200
        cache = app.state.store.backend._stable
        assert any(key[0] == "api token" for key in cache)
        client.get("/api/v1/parties/1", headers=_bearer(token))
        assert any(key[0] == "api token" for key in cache)
