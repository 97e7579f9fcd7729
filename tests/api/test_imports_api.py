"""The import wizard and undo through the API and the pages, and who may do what with imports, on both stores."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.ingest import import_file
from patron.store import Store
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"
PEOPLE = "customer_id,name,email,city,acquisition_channel\nC1,Ana Silva,ana@example.com,Lisbon,web\n"
CALLS = ("customer_id,date,channel,direction,department,notes\n"
         "C1,2024-02-01 10:00,phone,inbound,service,asked about delivery\n"
         "C1,2024-02-02 11:00,email,outbound,sales,sent a quote\n"
         "C1,2024-02-03 12:00,face_to_face,inbound,sales,visit\n"
         "C1,2024-02-04 12:00,phone,inbound,service,called back\n"
         "C1,2024-02-05 12:00,phone,inbound,service,thanks\n"
         "C1,2024-02-06 12:00,phone,inbound,service,more\n"
         "999999999,2024-02-07 12:00,phone,inbound,service,wrong number\n")


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("imports-api")
    url = new_store_url(request, request.param, root)
    with Store(url) as store:
        (root / "people.csv").write_text(PEOPLE)
        import_file(store, root / "people.csv", "parties", source="crm")
        tokens = {role: issue_token(store, add_user(store, role[:3] + "x", PASSWORD, role), "tests")
                  for role in ("analyst", "billing", "admin", "marketing")}
    with TestClient(create_app(str(url))) as client:
        yield client, tokens


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_preview_detects_the_kind_warns_and_stores_nothing(world):
    client, tokens = world
    h = auth(tokens["billing"])
    before = client.get("/api/v1/imports", headers=h).json()
    r = client.post("/api/v1/imports/preview", params={"source": "crm"}, files={"file": ("calls.csv", CALLS)},
                    headers=h)
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["detected_kind"] == p["kind"] == "interactions" and p["warning"] is None
    assert (p["report"]["accepted"], p["report"]["rejected"], p["report"]["new_parties"]) == (6, 1, 0)
    assert p["report"]["sample"][6]["reason"].startswith("'999999999' in column 'customer_id' is not a known")
    assert p["report"]["sample"][0]["values"]["channel"] == "phone"
    assert client.get("/api/v1/imports", headers=h).json() == before
    # The same upload previewed as parties: warned, and the import would be refused.
    wrong = client.post("/api/v1/imports/preview", params={"upload_id": p["upload_id"], "kind": "parties",
                                                            "source": "crm"}, headers=h).json()
    assert "look like interactions" in wrong["warning"] and "Nothing was imported" in wrong["error"]
    # Imported from the preview, then undone.
    job = client.post("/api/v1/imports", params={"upload_id": p["upload_id"], "source": "crm"}, headers=h)
    assert job.status_code == 202, job.text
    done = client.app.state.jobs.wait(job.json()["job_id"])
    assert done.status == "done" and done.result["kind"] == "interactions" and done.result["accepted"] == 6
    undo = client.post(f"/api/v1/imports/{done.result['import_id']}/undo", headers=h)
    assert undo.status_code == 200 and undo.json()["facts_removed"] == {"interactions": 6}
    assert client.post(f"/api/v1/imports/{done.result['import_id']}/undo", headers=h).status_code == 409
    # An upload id is good once, and only for its owner.
    assert client.post("/api/v1/imports", params={"upload_id": p["upload_id"]}, headers=h).status_code == 404
    other = client.post("/api/v1/imports/preview", files={"file": ("calls.csv", CALLS)}, headers=h).json()
    assert client.post("/api/v1/imports/preview", params={"upload_id": other["upload_id"]},
                       headers=auth(tokens["admin"])).status_code == 404


def test_a_file_whose_kind_cannot_be_told_must_be_named(world):
    client, tokens = world
    r = client.post("/api/v1/imports", files={"file": ("x.csv", "customer_id,colour\nC1,red\n")},
                    headers=auth(tokens["billing"]))
    assert r.status_code == 400 and "Cannot tell from its columns" in r.json()["error"]


def test_an_analyst_cannot_add_or_change_customers_through_imports(world):
    client, tokens = world
    h = auth(tokens["analyst"])
    people = "customer_id,name,email\nZ1,Zed Analyst,zed@example.com\n"
    r = client.post("/api/v1/imports", params={"kind": "parties"}, files={"file": ("p.csv", people)}, headers=h)
    assert r.status_code == 403 and "add or change customer records" in r.json()["error"]
    r = client.post("/api/v1/imports", files={"file": ("p.csv", people)}, headers=h)  # detected as parties
    assert r.status_code == 403
    r = client.post("/api/v1/imports", params={"kind": "interactions", "create_parties": True},
                    files={"file": ("c.csv", CALLS)}, headers=h)
    assert r.status_code == 403
    # Calls for known customers are fine.
    r = client.post("/api/v1/imports", params={"source": "crm"}, files={"file": ("c.csv", CALLS)}, headers=h)
    assert r.status_code == 202
    assert client.app.state.jobs.wait(r.json()["job_id"]).status == "done"
    assert client.post("/api/v1/imports", files={"file": ("c.csv", CALLS)},
                       headers=auth(tokens["marketing"])).status_code == 403


def test_the_wizard_in_the_pages(world):
    client, _ = world

    def csrf_of(url):
        return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)

    client.post("/login", data={"username": "bilx", "password": PASSWORD, "csrf": csrf_of("/login")})
    page = client.get("/imports").text
    assert 'name="kind"' not in page  # no default kind: it is read from the file
    r = client.post("/imports/preview", data={"csrf": csrf_of("/imports"), "source": "crm"},
                    files={"file": ("calls.csv", CALLS.replace("2024-02", "2024-03"))})
    assert r.status_code == 200 and "Its columns say it holds <strong>interactions</strong>" in r.text
    assert "is not a known customer of crm" in r.text and "Nothing has been stored yet" in r.text
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    again = client.post("/imports/preview", data={"csrf": csrf_of("/imports"), "upload_id": upload_id,
                                                  "kind": "parties", "source": "crm"})
    assert "look like interactions" in again.text and "Import as parties" not in again.text
    r = client.post("/imports", data={"csrf": csrf_of("/imports"), "upload_id": upload_id, "kind": "interactions",
                                      "source": "crm"}, follow_redirects=False)
    assert r.status_code == 303
    job = r.headers["location"].split("job=")[1]
    assert client.app.state.jobs.wait(job).status == "done"
    import_id = client.app.state.jobs.get(job).result["import_id"]
    r = client.post(f"/imports/{import_id}/undo", data={"csrf": csrf_of("/imports")})
    assert f"Import {import_id} undone: removed 6 interactions" in r.text
    assert "undone " in client.get("/imports").text
    client.post("/logout", data={"csrf": csrf_of("/imports")})
