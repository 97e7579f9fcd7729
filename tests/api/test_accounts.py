"""The accounts area through the API, the pages and the command."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.store import Store

PASSWORD = "a long enough password"


def _signed_in(client, name):
    client.cookies.clear()
    csrf = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf})
    return client.get("/relationships").text.split('name="csrf" value="')[1].split('"')[0] \
        if 'name="csrf"' in client.get("/relationships").text else csrf


def test_accounts_through_the_api_the_pages_and_the_command(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        token = issue_token(store, add_user(store, "sam", PASSWORD, "sales"), "t")
        analyst = issue_token(store, add_user(store, "ann", PASSWORD, "analyst"), "t")
        with store.transaction():
            store.raw.execute("INSERT INTO parties (party_id, kind, name, created_at) VALUES "
                              "(1, 'organisation', 'Hafen Logistik AG', now()::TIMESTAMP), "
                              "(2, 'person', 'Ida Kranz', now()::TIMESTAMP), "
                              "(9, 'organisation', 'Hafen Logistik Nord GmbH', now()::TIMESTAMP)")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(str(path))) as client:
        r = client.post("/api/v1/parties/2/links", headers=auth,
                        json={"other_party_id": 1, "link_type": "buying_role", "role": "decider"})
        assert r.status_code == 201 and r.json()["link_type"] == "buying_role"
        r = client.post("/api/v1/parties/2/links", headers=auth, json={"other_party_id": 1, "link_type": "buying_role",
                                                                       "role": "chief"})
        assert r.status_code == 400 and "not one of" in r.json()["error"]
        r = client.post("/api/v1/parties/2/links", headers={"Authorization": f"Bearer {analyst}"},
                        json={"other_party_id": 1, "link_type": "works_for"})
        assert r.status_code == 403
        r = client.post("/api/v1/parties/2/assessments", headers=auth,
                        json={"form": "trust", "answers": {"credibility": 7, "reliability": 8, "intimacy": 4,
                                                           "self_orientation": 3}})
        assert r.status_code == 201
        r = client.post("/api/v1/parties/2/assessments", headers=auth,
                        json={"form": "stakeholder", "answers": {"influence": 9}})
        assert r.status_code == 400 and "influence must be from 1 to 5" in r.json()["error"]
        view = client.get("/api/v1/accounts/1", headers=auth).json()
        assert view["people"][0]["name"] == "Ida Kranz" and view["people"][0]["buying_roles"] == ["decider"]
        assert view["people"][0]["trust"]["weakest"] == "intimacy"
        assert [a["kind"] for a in view["alerts"]][:1] == ["single_threaded"]
        assert client.get("/api/v1/accounts/1?recency=0&frequency=0&reciprocity=0&depth=0&seniority=0",
                          headers=auth).status_code == 400
        assert client.get("/api/v1/accounts/2", headers=auth).status_code == 400  # a person
        assert client.get("/api/v1/accounts", headers=auth).json()[0]["stage"] == "pre_relationship"
        assert client.get("/api/v1/accounts", headers=auth).json()[0]["wilson_stage"] == "partner_selection"
        assert client.get("/api/v1/network", headers=auth).json()["edges"] == 1
        # A subsidiary rolls up into its parent, in the API and on the page; a circle is refused.
        r = client.post("/api/v1/parties/1/links", headers=auth, json={"other_party_id": 9, "link_type": "parent_of"})
        assert r.status_code == 201
        r = client.post("/api/v1/parties/9/links", headers=auth, json={"other_party_id": 1, "link_type": "parent_of"})
        assert r.status_code == 400 and "circle" in r.json()["error"]
        rolled = client.get("/api/v1/accounts/1", headers=auth).json()["rollup"]
        assert [c["name"] for c in rolled["children"]] == ["Hafen Logistik Nord GmbH"]
        assert len(client.get("/api/v1/parties/2/assessments", headers=auth).json()) == 4
        # The pages: add a contact with a role and attitude, see them on the grid; the alert stays.
        csrf = _signed_in(client, "sam")
        r = client.post("/accounts/1/contacts", data={"csrf": csrf, "name": "Olaf Brink", "job_title": "CFO",
                                                      "buying_role": "approver", "influence": "5", "interest": "2",
                                                      "attitude": "opponent"})
        assert r.status_code in (200, 303)
        r = client.post("/accounts/1/trust", data={"csrf": csrf, "contact": "10", "credibility": "8", "reliability": "7",
                                                   "intimacy": "4", "self_orientation": "2"})
        assert r.status_code in (200, 303)
        page = client.get("/accounts/1").text
        assert "held back by intimacy" in page, page
        assert "Olaf Brink" in page and 'class="stakeholder opponent"' in page and "alert-single_threaded" in page
        assert 'id="rollup"' in page and "Hafen Logistik Nord GmbH" in page and 'id="wilson-stage-card"' in page
        assert "Relationships" in client.get("/relationships").text and "Hafen Logistik AG" in client.get(
            "/relationships").text
    register()
    runner = CliRunner()
    out = runner.invoke(app, ["accounts", "link", "2", "reports_to", "10", "--store", str(path)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["accounts", "assess", "1", "investments", "buyer_investment=4",
                              "supplier_investment=4", "--store", str(path)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["accounts", "show", "1", "--store", str(path)])
    assert out.exit_code == 0 and "Single-threaded" in out.output and "strategic partnership" in out.output
    out = runner.invoke(app, ["accounts", "list", "--store", str(path)])
    assert out.exit_code == 0 and "Hafen" in out.output
    out = runner.invoke(app, ["network", "--store", str(path)])
    assert out.exit_code == 0 and "ties" in out.output
    out = runner.invoke(app, ["accounts", "--help"])
    assert out.exit_code == 0 and "show" in out.output


def test_account_reviews_in_the_pages_are_kept_and_trended(tmp_path):
    """Wilson's constructs recorded twice from the account page: the page shows the change; the investments
    form places the account in Bensaou's portfolio; an analyst may not review; a score of 6 is refused."""
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        add_user(store, "sam", PASSWORD, "sales")
        add_user(store, "ann", PASSWORD, "analyst")
        with store.transaction():
            store.raw.execute("INSERT INTO parties (party_id, kind, name, created_at) VALUES "
                              "(1, 'organisation', 'Hafen Logistik AG', now()::TIMESTAMP)")
    with TestClient(create_app(str(path))) as client:
        csrf = _signed_in(client, "sam")
        assert "Not reviewed yet." in client.get("/accounts/1").text
        r = client.post("/accounts/1/review", data={"csrf": csrf, "form": "wilson", "commitment": "4", "trust": "4"})
        assert r.status_code in (200, 303)
        with Store(path) as store:  # the second review a month later (the form records "now")
            store.raw.execute("UPDATE assessments SET assessed_at = assessed_at - INTERVAL 30 DAY")
        r = client.post("/accounts/1/review", data={"csrf": csrf, "form": "wilson", "commitment": "2", "trust": "5"})
        page = client.get("/accounts/1").text
        table = page.split('id="wilson"')[1].split("</table>")[0]
        assert "2 reviews" in page and "declining" in page
        assert "<td>commitment</td><td>2</td><td>4</td>" in table and "-2" in table and "+1" in table
        bad = client.post("/accounts/1/review", data={"csrf": csrf, "form": "wilson", "commitment": "6"})
        assert "must be from 1 to 5" in bad.text
        client.post("/accounts/1/review", data={"csrf": csrf, "form": "investments", "buyer_investment": "4",
                                                "supplier_investment": "1"})
        assert "captive buyer" in client.get("/accounts/1").text
        csrf = _signed_in(client, "ann")
        denied = client.post("/accounts/1/review", data={"csrf": csrf, "form": "wilson", "commitment": "3"})
        assert denied.status_code == 403, (denied.status_code, denied.text[:300])
