"""The quality area and the desk on the API and the command line, on a small demo company."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register

PASSWORD = "a long enough password"


def test_api_and_commands(tmp_path):
    store = demo_company(tmp_path, 1500, 3)
    token = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
    party = store.scalar("SELECT min(party_id) FROM parties")
    open_complaints = store.scalar("SELECT count(*) FROM complaints WHERE status = 'open'")
    store.close()
    path = tmp_path / "patron.duckdb"
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(str(path))) as client:
        r = client.get("/api/v1/quality/feedback/nps?by=triage&period=month", headers=auth)
        assert r.status_code == 200 and r.json()["scales"][0]["overall"]["score"]["se"] > 0
        r = client.get("/api/v1/quality/feedback/csat?by=colour", headers=auth)
        assert r.status_code == 422
        r = client.get("/api/v1/quality/servqual?by=rung", headers=auth)
        assert r.status_code == 200 and len(r.json()["dimensions"]) == 5
        r = client.get("/api/v1/quality/survival", headers=auth)
        assert r.status_code == 200 and r.json()["cox"]["coefficients"]
        assert client.get("/api/v1/quality/lost?limit=5", headers=auth).json()["lost"] > 0
        assert [c["clause"] for c in client.get("/api/v1/quality/charter", headers=auth).json()["clauses"]] == [
            "answer", "reply", "resolve", "satisfy"]
        tiers = client.get("/api/v1/quality/drivers?by=value_tier", headers=auth).json()
        assert tiers["by"] == "value_tier" and {g["group"] for g in tiers["groups"]} >= {"high", "mid"}
        items = client.get("/api/v1/quality/drivers?level=item&target=csat", headers=auth).json()
        assert len(items["drivers"]) == 22 and items["target"] == "csat"
        assert client.get("/api/v1/quality/drivers?level=word", headers=auth).status_code == 422
        levels = client.get("/api/v1/service-levels", headers=auth).json()
        assert levels["calendar"]["time_zone"] == "UTC" and levels["policies"][0]["next_response_hours"] == 2
        r = client.get("/api/v1/quality/causes", headers=auth)
        assert r.status_code == 200 and r.json()["by_value"][0]["value"] >= r.json()["by_value"][-1]["value"]
        r = client.get("/api/v1/quality/fishbone/delivery", headers=auth)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and "<svg" in r.text
        r = client.get("/api/v1/quality/verbatims?source=complaints&limit=3", headers=auth)
        assert r.status_code == 200 and len(r.json()["rows"]) == 3 and r.json()["rows"][0]["source"] == "complaints"
        assert {"dimension", "sentiment", "cause", "cause_p"} <= set(r.json()["rows"][0])
        assert client.get("/api/v1/quality/verbatims?source=letters", headers=auth).status_code == 422
        bench = client.get("/api/v1/quality/benchmarks", headers=auth).json()
        assert len(bench["benchmarks"]) == 3 and bench["latest"][0]["ours"] is not None
        gap1 = client.get("/api/v1/quality/internal-gaps", headers=auth).json()["dimensions"]
        assert {d["dimension"] for d in gap1} == {"reliability", "responsiveness", "assurance", "empathy", "tangibles"}
        assert client.get("/api/v1/quality/tolerance", headers=auth).json()["dimensions"] == []  # not measured
        r = client.get("/api/v1/quality/instruments/mystery_shopper", headers=auth)
        assert r.status_code == 200 and r.json()["answers"] == 8 * 3 * 3 * 5  # quarters, firms, channels, dims
        assert client.get("/api/v1/quality/instruments/nps", headers=auth).status_code == 422
        cohort = client.get("/api/v1/quality/cohorts?max_months=6", headers=auth).json()["cohorts"]
        assert cohort and all(c["retention"][0] == 1 and len(c["retention"]) <= 7 for c in cohort)
        assert client.get("/api/v1/quality/cohorts.svg", headers=auth).text.startswith("<svg")
        r = client.get("/api/v1/quality/feedback/nps?by=touchpoint", headers=auth)
        assert r.status_code == 200 and r.json()["scales"][0]["groups"][0]["group"] == "not recorded"
        r = client.post(f"/api/v1/parties/{party}/feedback", headers=auth,
                        json={"instrument": "servqual", "item": "EMP1", "dimension": "empathy", "expectation": 6,
                              "perception": 4})
        assert r.status_code == 201 and r.json()["dimension"] == "empathy"
        # an answer heard on a field visit: the field-visit report reads it, whatever was asked
        before = client.get("/api/v1/quality/instruments/field_visit", headers=auth).json()
        assert before["answers"] > 0  # the demo plants field visits
        r = client.post(f"/api/v1/parties/{party}/feedback", headers=auth,
                        json={"instrument": "csat", "score": 4, "scale_max": 5, "channel": "field_visit",
                              "department": "service", "touchpoint": "after", "text": "Shop floor tidy, staff kind"})
        assert r.status_code == 201 and r.json()["channel"] == "field_visit" and r.json()["touchpoint"] == "after"
        visits = client.get("/api/v1/quality/instruments/field_visit", headers=auth).json()
        assert (visits["answers"], visits["visits"]) == (before["answers"] + 1, before["visits"] + 1)
        assert "Shop floor tidy, staff kind" in [t["text"] for t in visits["texts"]]
        panel = client.get("/api/v1/quality/instruments/panel", headers=auth).json()
        assert panel["answers"] > 0  # the demo plants a quarterly panel
        r = client.post(f"/api/v1/parties/{party}/feedback", headers=auth, json={"instrument": "ces", "score": 3})
        assert r.status_code == 400 and "scale" in r.json()["error"]
        # work a complaint opened in the app: the desk finds it, an owner takes it, it waits, it is resolved
        c = client.post(f"/api/v1/parties/{party}/complaints", headers=auth,
                        json={"category": "delivery", "description": "parcel lost", "severity": "high"}).json()
        desk = client.get("/api/v1/complaints?status=open&per_page=5&sort=opened_at&descending=true",
                          headers=auth).json()
        assert desk["total"] >= 1 and len(desk["rows"]) <= 5 and desk["rows"][0]["complaint_id"] == c["complaint_id"]
        cid = c["complaint_id"]
        assert client.put(f"/api/v1/complaints/{cid}/owner", headers=auth, json={"owner": "sam"}).status_code == 200
        assert client.put(f"/api/v1/complaints/{cid}/waiting", headers=auth, json={"waiting": True}).status_code == 200
        assert client.get("/api/v1/complaints?owner=sam", headers=auth).json()["total"] == 1
        client.patch(f"/api/v1/complaints/{cid}", headers=auth, json={"status": "in_progress"})
        done = client.patch(f"/api/v1/complaints/{cid}", headers=auth,
                            json={"status": "resolved", "resolution": "resent", "satisfaction_after": 5}).json()
        assert done["status"] == "resolved" and done["satisfaction_after"] == 5
        client.cookies.clear()
        page = client.get("/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "sam", "password": PASSWORD, "csrf": csrf})
        for url, expect in (("/quality", "weighted SERVQUAL"), ("/quality", "What customers write"),
                            ("/quality", "Gap 1: what management thinks"), ("/lost", "cohort-cell"), ("/quality?by=triage", "Value at stake"),
                            ("/lost", "Survival by complaint experience"), ("/charter", "adherence"),
                            ("/quality", "What drives NPS"), ("/listening", "Shop floor tidy"),
                            ("/complaints", "first response / next response / resolution"),
                            ("/complaints?sla_state=breached&sort=age&descending=true", "complaints"),
                            ("/complaints?status=resolved&status=closed&page=2", "page 2 of")):
            r = client.get(url)
            assert r.status_code == 200 and expect in r.text, url
        total = int(client.get("/complaints?status=open").text.split('id="desk-total">')[1].split()[0].replace(",", ""))
        assert total == open_complaints  # the complaint opened above is resolved by now
    register()
    runner = CliRunner()
    for args, expect in ((["quality", "--store", str(path)], "reliability"),
                         (["quality", "nps", "--period", "month", "--store", str(path)], "NPS on the 0-10 scale"),
                         (["quality", "servqual", "--by", "triage", "--store", str(path)], "value at stake"),
                         (["complaints", "--sla", "breached", "--per-page", "5", "--store", str(path)], "complaints"),
                         (["charter", "--store", str(path)], "adhered"),
                         (["quality", "verbatims", "--store", str(path)], "verbatims by SERVQUAL dimension"),
                         (["quality", "benchmarks", "--store", str(path)], "Bean Bros"),
                         (["quality", "gap1", "--store", str(path)], "responsiveness"),
                         (["quality", "tolerance", "--store", str(path)], "zone of tolerance"),
                         (["cohorts", "--months", "3", "--store", str(path)], "100%"),
                         (["quality", "panel", "--store", str(path)], f"panel: {panel['answers']} answers"),
                         (["quality", "field_visit", "--store", str(path)], f"field visit: {visits['answers']} answers"),
                         (["quality", "drivers", "--by", "value_tier", "--store", str(path)], "what drives NPS"),
                         (["quality", "drivers", "--level", "item", "--target", "csat", "--store", str(path)], "REL"),
                         (["service-levels", "--store", str(path)], "Business hours: Mon Tue Wed Thu Fri 8-18 UTC"),
                         (["lost", "--limit", "5", "--store", str(path)], "Cox model")):
        out = runner.invoke(app, args)
        assert out.exit_code == 0, out.output
        assert expect in out.output

