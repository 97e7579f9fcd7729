"""Imports and analysis runs leave an audit row in their own transaction (who, when, what, how many rows), shown
on /audit; a preview, a refused file and a failed run leave none. On both stores."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from companies import bgnbd_orders
from patron.app import create_app
from patron.areas.imports.service import import_file
from patron.areas.users.service import add_user, issue_token
from patron.errors import ImportRejected
from patron.service import audit
from patron.service.analyze import analyze
from patron.store import Store
from signin_helpers import signed_in
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"
ORDERS = "customer_id,date,amount\n" + "".join(bgnbd_orders(80, 3))


@pytest.fixture(params=ENGINES)
def world(request, tmp_path):
    url = new_store_url(request, request.param, tmp_path)
    with Store(url) as store:
        token = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "tests")
    with TestClient(create_app(str(url))) as client:
        yield client, {"Authorization": f"Bearer {token}"}, url


def entries(client, headers, action):
    r = client.get("/api/v1/audit", params={"action": action}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_upload_and_a_run_are_audited_with_who_and_how_many(world):
    client, h, _ = world
    assert client.post("/api/v1/imports/preview", files={"file": ("orders.csv", ORDERS)},
                       headers=h).status_code == 200
    assert entries(client, h, "import.") == []  # a preview stores nothing and records nothing
    job = client.post("/api/v1/imports", params={"source": "shop"}, files={"file": ("orders.csv", ORDERS)},
                      headers=h)
    assert job.status_code == 202, job.text
    done = client.app.state.jobs.wait(job.json()["job_id"])
    assert done.status == "done", done.error
    [row] = entries(client, h, "import.run")
    assert (row["username"], row["entity"], row["entity_id"]) == ("ada", "import", done.result["import_id"])
    assert row["row_count"] == done.result["accepted"] == ORDERS.count("\n") - 1
    assert row["detail"]["file"] == "orders.csv" and row["detail"]["kind"] == "transactions"
    assert row["detail"]["source"] == "shop" and row["detail"]["rejected"] == 0
    assert row["happened_at"].endswith("+00:00")

    job = client.post("/api/v1/runs", json={}, headers=h)
    assert job.status_code == 202, job.text
    done = client.app.state.jobs.wait(job.json()["job_id"])
    assert done.status == "done", done.error
    [run] = entries(client, h, "run.")
    assert (run["username"], run["action"], run["entity"], run["entity_id"]) == ("ada", "run.create", "run",
                                                                                 done.result["run_id"])
    assert run["row_count"] == done.result["parties"] > 0
    assert run["detail"]["model"] == "bgnbd" and run["detail"]["customers"] == done.result["customers"]

    signed_in(client, "ada")
    page = client.get("/audit", params={"action": "import."})
    assert page.status_code == 200 and "import.run" in page.text and "orders.csv" in page.text
    assert "run.create" in client.get("/audit", params={"action": "run."}).text
    assert "analysis runs" in client.get("/audit").text  # the filter offers them


def test_the_command_line_records_its_account_and_a_refusal_records_nothing(world, tmp_path):
    client, h, url = world
    (tmp_path / "orders.csv").write_text(ORDERS)
    (tmp_path / "bad.csv").write_text("customer_id,date,amount\n" + "C1,not a date,x\n" * 50)
    with Store(url) as store:
        with pytest.raises(ImportRejected):
            import_file(store, tmp_path / "bad.csv", "transactions", run_by="operator", max_rejects=10)
        import_file(store, tmp_path / "orders.csv", "transactions", run_by="operator", dry_run=True)
        assert audit.search(store, action="import.")[0] == 0
        report = import_file(store, tmp_path / "orders.csv", "transactions", run_by="operator")
        result = analyze(store, run_by="operator")
        rows = {e["action"]: e for e in audit.search(store, action="")[1]}
    assert rows["import.run"]["username"] == "operator" and rows["import.run"]["user_id"] is None
    assert rows["import.run"]["row_count"] == report.accepted
    assert rows["run.create"]["username"] == "operator" and rows["run.create"]["row_count"] == result.parties
    assert rows["run.create"]["entity_id"] == result.run_id
