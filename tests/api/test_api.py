"""The REST API through the real app, and served by uvicorn for real."""

from __future__ import annotations

import base64

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import _token_hash, add_user, authenticate, get_user, issue_token
from patron.demo import generate_demo, import_demo
from patron.errors import PatronError
from patron.store import Store
from serving import start_serve
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    """A demo company with an analysis run and one user per role kind, on each engine."""
    root = tmp_path_factory.mktemp("api")
    path = new_store_url(request, request.param, root)
    with demo_company(root, 400, 5, path) as store:
        tokens = {}
        for name, role in (("sam", "service"), ("ann", "analyst"), ("max", "marketing"), ("bea", "billing")):
            tokens[role] = issue_token(store, add_user(store, name, PASSWORD, role), "tests")
        party = store.scalar("SELECT party_id FROM scores WHERE p_alive IS NOT NULL ORDER BY clv DESC LIMIT 1")
        name = store.scalar("SELECT name FROM parties WHERE party_id = ?", [party])
    with TestClient(create_app(str(path))) as client:
        yield client, tokens, party, name, path


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_only_health_is_open(world):
    client, _, party, _, _ = world
    assert client.get("/api/v1/health").json()["status"] == "ok"
    for method, url in (("get", "/api/v1/parties"), ("get", f"/api/v1/parties/{party}"),
                        ("post", f"/api/v1/parties/{party}/interactions"), ("patch", "/api/v1/complaints/1")):
        r = client.request(method, url, json={})
        assert r.status_code == 401 and "token" in r.json()["error"]
        r = client.request(method, url, json={}, headers=auth("patron_forged"))
        assert r.status_code == 401


def test_a_token_revoked_or_a_user_disabled_is_refused_at_once(world):
    """DuckDB keeps a token's user until this process writes: a revocation committed here is seen at once."""
    client, _, party, _, _ = world
    store = client.app.state.store
    token = issue_token(store, get_user(store, "ann"), "revocable")
    assert client.get(f"/api/v1/parties/{party}", headers=auth(token)).status_code == 200
    with store.transaction():
        store.raw.execute("UPDATE api_tokens SET revoked = TRUE WHERE token_hash = ?", [_token_hash(token)])
    r = client.get(f"/api/v1/parties/{party}", headers=auth(token))
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    other = issue_token(store, get_user(store, "ann"), "second")
    assert client.get(f"/api/v1/parties/{party}", headers=auth(other)).status_code == 200
    with store.transaction():
        store.raw.execute("UPDATE users SET disabled = TRUE WHERE username = 'ann'")
    try:
        assert client.get(f"/api/v1/parties/{party}", headers=auth(other)).status_code == 401
    finally:
        with store.transaction():
            store.raw.execute("UPDATE users SET disabled = FALSE WHERE username = 'ann'")
    assert client.get(f"/api/v1/parties/{party}", headers=auth(other)).status_code == 200


def test_search_is_paginated_and_masks_personal_data_by_role(world):
    client, tokens, _, name, _ = world
    surname = name.split()[-1]
    for role, masked in (("service", False), ("analyst", True), ("marketing", True)):
        r = client.get("/api/v1/parties", params={"q": surname, "limit": 2}, headers=auth(tokens[role]))
        page = r.json()
        assert r.status_code == 200 and page["total"] >= 1 and len(page["items"]) <= 2
        emails = [i["email"] for i in page["items"] if i["email"]]
        assert emails and all(("***@" in e) == masked for e in emails)
    r = client.get("/api/v1/parties", params={"limit": 5, "offset": 5}, headers=auth(tokens["analyst"]))
    assert r.json()["offset"] == 5 and len(r.json()["items"]) == 5
    r = client.get("/api/v1/parties", params={"limit": 5000}, headers=auth(tokens["analyst"]))
    assert r.status_code == 422 and "limit" in r.json()["error"]


def test_customer_360_has_everything_with_reasons(world):
    client, tokens, party, _, _ = world
    view = client.get(f"/api/v1/parties/{party}", headers=auth(tokens["service"])).json()
    assert view["profile"]["party_id"] == party and view["identities"]
    assert view["transactions"] and view["timeline"] and view["scores"]["clv"] > 0
    assert any("ladder of loyalty" in r for r in view["reasons"])
    masked = client.get(f"/api/v1/parties/{party}", headers=auth(tokens["analyst"])).json()
    assert masked["personal_data_visible"] is False
    assert masked["profile"]["email"] is None or "***" in masked["profile"]["email"]
    assert client.get("/api/v1/parties/99999999", headers=auth(tokens["analyst"])).status_code == 404


def test_logged_interaction_appears_on_the_timeline_and_is_audited(world):
    client, tokens, party, _, path = world
    r = client.post(f"/api/v1/parties/{party}/interactions", headers=auth(tokens["service"]),
                    json={"channel": "phone", "direction": "outbound", "department": "service",
                          "phase": "after", "subject": "follow-up call", "outcome": "happy"})
    assert r.status_code == 201 and r.json()["staff"] == "sam"
    timeline = client.get(f"/api/v1/parties/{party}", headers=auth(tokens["service"])).json()["timeline"]
    assert timeline[0]["type"] == "interaction" and "follow-up call" in timeline[0]["detail"]
    store = client.app.state.store  # the app holds the file; read through its own connection
    assert store.query("SELECT username, action FROM audit_log WHERE entity = 'interaction' "
                       "AND entity_id = ?", [r.json()["interaction_id"]]) == [("sam", "interaction.create")]


def test_complaint_lifecycle_with_timestamps(world):
    client, tokens, party, _, _ = world
    h = auth(tokens["service"])
    c = client.post(f"/api/v1/parties/{party}/complaints", headers=h,
                    json={"category": "delivery", "description": "late twice", "severity": "high"}).json()
    assert c["status"] == "open" and c["first_response_at"] is None
    url = f"/api/v1/complaints/{c['complaint_id']}"
    c = client.patch(url, headers=h, json={"status": "in_progress"}).json()
    assert c["status"] == "in_progress" and c["first_response_at"] is not None
    r = client.patch(url, headers=h, json={"status": "resolved"})
    assert r.status_code == 400 and "resolution" in r.json()["error"]
    c = client.patch(url, headers=h, json={"status": "resolved", "resolution": "courier changed",
                                           "satisfaction_after": 4}).json()
    assert c["status"] == "resolved" and c["resolved_at"] >= c["first_response_at"] >= c["opened_at"]
    r = client.patch(url, headers=h, json={"status": "in_progress"})
    assert r.status_code == 400 and "cannot become" in r.json()["error"]


@pytest.mark.parametrize("body,fragment", [
    ({"channel": "carrier pigeon"}, "channel"),
    ({"channel": "phone", "duration_s": -5}, "duration_s"),
    ({"channel": "phone", "subject": "x" * 600}, "subject"),
    ({"channel": "phone", "admin": True}, "admin"),
])
def test_bad_bodies_get_clear_422s(world, body, fragment):
    client, tokens, party, _, _ = world
    r = client.post(f"/api/v1/parties/{party}/interactions", headers=auth(tokens["service"]), json=body)
    assert r.status_code == 422 and fragment in r.json()["error"]


def test_roles_without_write_access_are_refused(world):
    client, tokens, party, _, _ = world
    r = client.post(f"/api/v1/parties/{party}/complaints", headers=auth(tokens["analyst"]),
                    json={"category": "x", "description": "y"})
    assert r.status_code == 403 and "analyst" in r.json()["error"]


def test_hostile_search_text_is_just_text(world):
    client, tokens, _, _, _ = world
    for q in ("' OR 1=1 --", "%", "_", "\\", "\u0000x", "🙂" * 50):
        r = client.get("/api/v1/parties", params={"q": q}, headers=auth(tokens["analyst"]))
        assert r.status_code in (200, 422)
        if r.status_code == 200 and q.startswith("'"):
            assert r.json()["total"] == 0


def test_openapi_schema_describes_the_api_to_users_only(world):
    client, tokens, _, _, _ = world
    assert client.get("/api/v1/openapi.json").status_code == 401
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404
    paths = client.get("/api/v1/openapi.json", headers=auth(tokens["analyst"])).json()["paths"]
    assert {"/api/v1/health", "/api/v1/parties", "/api/v1/parties/{party_id}",
            "/api/v1/parties/{party_id}/interactions", "/api/v1/complaints/{complaint_id}"} <= set(paths)


def test_passwords_are_hashed_and_checked(engine_url):
    with Store(engine_url) as store:
        add_user(store, "Lea", PASSWORD, "billing")
        stored = store.scalar("SELECT password_hash FROM users WHERE username = 'lea'")
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert authenticate(store, "lea", PASSWORD).role == "billing"
        assert authenticate(store, "lea", PASSWORD + "x") is None and authenticate(store, "nobody", PASSWORD) is None
        for args, match in ((("lea", PASSWORD, "billing"), "already"), (("x", "short", "billing"), "10 characters"),
                            (("y", PASSWORD, "boss"), "Unknown role")):
            with pytest.raises(PatronError, match=match):
                add_user(store, *args)
        token = issue_token(store, authenticate(store, "lea", PASSWORD), "t")
        assert store.scalar("SELECT count(*) FROM api_tokens WHERE token_hash = ?", [token]) == 0


def test_patron_serve_answers_on_loopback(tmp_path, engine_url):
    from patron.ingest import import_file

    path = engine_url
    (tmp_path / "o.csv").write_text("customer_id,date,amount\nA,2024-01-01,10\nA,2024-02-01,12\n")
    with Store(path) as store:
        import_file(store, tmp_path / "o.csv", "transactions")
        token = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
        party = store.scalar("SELECT party_id FROM parties")
    proc, base = start_serve(path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env={**os.environ, "COLUMNS": "200"})
    try:
        url = f"{base}/api/v1"
        assert httpx.get(f"{url}/parties/{party}", timeout=5).status_code == 401
        r = httpx.get(f"{url}/parties/{party}", headers=auth(token), timeout=5)
        assert r.status_code == 200 and r.json()["totals"]["lines"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_concurrent_writes_get_distinct_ids(world):
    from concurrent.futures import ThreadPoolExecutor

    client, tokens, party, _, _ = world

    def post(i):
        return client.post(f"/api/v1/parties/{party}/interactions", headers=auth(tokens["service"]),
                           json={"channel": "email", "subject": f"parallel {i}"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(post, range(40)))
    assert all(r.status_code == 201 for r in responses)
    ids = [r.json()["interaction_id"] for r in responses]
    assert len(set(ids)) == 40
    assert client.app.state.store.integrity_problems() == []


def test_segments_members_and_export(world):
    client, tokens, _, _, _ = world
    h = auth(tokens["marketing"])
    segs = client.get("/api/v1/segments", headers=h).json()
    kinds = {s["kind"] for s in segs}
    assert {"rfm", "rung", "triage", "at_risk"} <= kinds
    best = next(s for s in segs if s["kind"] == "triage" and s["name"] == "best")
    page = client.get("/api/v1/segments/triage/best", params={"limit": 3}, headers=h).json()
    assert page["total"] == best["members"] and len(page["items"]) == 3
    export = client.get("/api/v1/segments/triage/best/export", headers=h)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.strip().splitlines()
    # A contact list: only the members whose latest email consent is a grant; marked, everyone.
    assert lines[0].startswith("Customer number,Name,Email") and lines[0].endswith(",Consent")  # headers in words
    assert 1 < len(lines) < best["members"] + 1 and all(line.endswith(",granted") for line in lines[1:])
    marked = client.get("/api/v1/segments/triage/best/export", params={"without_consent": "mark"}, headers=h)
    assert len(marked.text.strip().splitlines()) == best["members"] + 1
    assert client.get("/api/v1/segments/triage/best/export", params={"channel": "pigeon"},
                      headers=h).status_code == 400
    assert "@" not in export.text or "***@" in export.text  # marketing sees no personal data
    assert client.get("/api/v1/segments/nonsense/x", headers=h).status_code == 400


def test_export_cells_cannot_become_formulas():
    from patron.service.exports import safe_cell

    assert safe_cell("=HYPERLINK(\"http://x\")").startswith("'=")
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("-12.5") == "-12.5" and safe_cell("Ann") == "Ann"


def test_analysis_run_as_a_background_job(world):
    client, tokens, _, _, _ = world
    assert client.post("/api/v1/runs", json={}, headers=auth(tokens["service"])).status_code == 403
    r = client.post("/api/v1/runs", json={"horizon_months": 6}, headers=auth(tokens["analyst"]))
    assert r.status_code == 202
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "done", job.error
    polled = client.get(f"/api/v1/jobs/{job.job_id}", headers=auth(tokens["analyst"])).json()
    assert polled["progress"] == 1.0 and polled["result"]["run_id"] >= 2
    assert client.get("/api/v1/jobs/nope", headers=auth(tokens["analyst"])).status_code == 404
    r = client.post("/api/v1/runs", json={"model": "magic"}, headers=auth(tokens["analyst"]))
    assert r.status_code == 422


def test_analysis_run_with_covariates(world):
    """``covariates`` in the body: the job's result and the run's diagnostics carry the coefficients; a column the
    party record lacks is refused at once, by name; one missing for some parties fails the job, saying how many."""
    from patron.service.runs import current_run, promote

    client, tokens, _, _, _ = world
    h = auth(tokens["analyst"])
    store = client.app.state.store
    before = current_run(store)
    try:
        r = client.post("/api/v1/runs", json={"model": "pareto", "covariates": ["kind"]}, headers=h)
        assert r.status_code == 202, r.text
        job = client.app.state.jobs.wait(r.json()["job_id"])
        assert job.status == "done", job.error
        rows = job.result["coefficients"]
        assert rows and {row["parameter"] for row in rows} == {"alpha", "beta"}
        assert all(row["standard_error"] > 0 for row in rows)
        shown = client.get("/api/v1/diagnostics", params={"run_id": job.result["run_id"]}, headers=h).json()
        assert shown["fit"]["coefficients"] == rows and shown["fit"]["covariates"][0]["column"] == "kind"
        assert {row["covariate"] for row in rows} == {"kind=organisation"}  # people are the reference
        # The demo's duplicate registrations and orphan orders have no channel: the job fails and says so.
        r = client.post("/api/v1/runs", json={"covariates": ["acquisition_channel"]}, headers=h)
        job = client.app.state.jobs.wait(r.json()["job_id"])
        assert job.status == "failed" and "'acquisition_channel' is missing for" in job.error
    finally:
        promote(store, None, before)  # the module's other tests read the run they started with
    r = client.post("/api/v1/runs", json={"covariates": ["chanel"]}, headers=h)
    assert r.status_code == 400 and "'chanel' is not a column of the party record" in r.json()["error"]
    r = client.post("/api/v1/runs", json={"model": "mbgnbd", "covariates": ["acquisition_channel"]}, headers=h)
    assert r.status_code == 400 and "--model pareto" in r.json()["error"]


def test_upload_import_with_quarantine(world):
    client, tokens, _, _, _ = world
    h = auth(tokens["analyst"])
    data = b"customer_id,date,amount\nU1,2024-01-01,5\nU2,not a date,3\n"
    r = client.post("/api/v1/imports", params={"kind": "transactions", "source": "upload"},
                    files={"file": ("../../etc/evil.csv", data, "text/csv")}, headers=h)
    assert r.status_code == 202
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "done" and job.result["accepted"] == 1 and job.result["rejected"] == 1
    assert job.result["file_name"] == "evil.csv"  # the client's path is ignored
    # An analyst does not see personal data: the rejected line's text, bytes and quoted value are withheld;
    # billing (who imports and reads customers' details) sees them, the original bytes too.
    q = client.get(f"/api/v1/imports/{job.result['import_id']}/quarantine", headers=h).json()
    assert q["items"] == [{"line": 3, "raw": None, "reason": "'…' in column 'date' is not a date and time",
                           "raw_base64": None, "masked": True}]
    q = client.get(f"/api/v1/imports/{job.result['import_id']}/quarantine",
                   headers=auth(tokens["billing"])).json()
    assert q["items"] == [{"line": 3, "raw": "U2,not a date,3", "reason": "'not a date' in column 'date' is not "
                           "a date and time", "raw_base64": base64.b64encode(b"U2,not a date,3").decode(),
                           "masked": False}]
    bad = client.post("/api/v1/imports", params={"kind": "transactions"},
                      files={"file": ("x.csv", b"\x00\x01binary", "text/csv")}, headers=h)
    failed = client.app.state.jobs.wait(bad.json()["job_id"])
    assert failed.status == "failed" and "not a text file" in failed.error
    assert client.post("/api/v1/imports", files={"file": ("x.csv", data)},
                       headers=auth(tokens["marketing"])).status_code == 403


def test_pages_render_on_every_engine(world):
    """Sign in through the form, open every page, log a contact through a form: no page fails on either engine."""
    import re

    client, _, party, name, _ = world

    def csrf_of(url):
        return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)

    def pages_as(username, urls):
        r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf_of("/login")},
                        follow_redirects=False)
        assert r.status_code == 303
        for url in urls:
            page = client.get(url)
            assert page.status_code == 200, (username, url, page.text[:300])

    try:
        pages_as("ann", ["/", "/imports", "/imports/1", "/segments", "/segments/triage/best"])
        client.cookies.clear()
        pages_as("sam", ["/", "/customers", f"/customers?q={name.split()[-1]}", f"/customers/{party}", "/complaints"])
        r = client.post(f"/customers/{party}/interactions", follow_redirects=False,
                        data={"csrf": csrf_of(f"/customers/{party}"), "channel": "phone", "direction": "inbound",
                              "subject": "page form call"})
        assert r.status_code == 303
        assert "page form call" in client.get(f"/customers/{party}").text
    finally:
        client.cookies.clear()


def _two_customers(url: str, tmp_path) -> tuple[str, list[int]]:
    """A store with two customers and a service user: the user's API token and the two party ids."""
    from patron.ingest import import_file

    (tmp_path / "o.csv").write_text("customer_id,date,amount\nA,2024-01-01,10\nB,2024-02-01,12\n")
    with Store(url) as store:
        import_file(store, tmp_path / "o.csv", "transactions")
        token = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
        parties = [r[0] for r in store.query("SELECT party_id FROM parties ORDER BY party_id")]
    return token, parties


@pytest.mark.postgres
def test_two_servers_on_one_database_serve_concurrent_writers(postgres_server, tmp_path):
    """Two `patron serve` processes over one PostgreSQL database, eight clients writing through both at once."""
    from concurrent.futures import ThreadPoolExecutor

    url = postgres_server.new_database()
    token, parties = _two_customers(url, tmp_path)
    procs, bases = [], []
    try:
        for _ in range(2):
            proc, base = start_serve(url, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            procs.append(proc)
            bases.append(base)

        def post(i):
            return httpx.post(f"{bases[i % 2]}/api/v1/parties/{parties[i % 2]}/interactions",
                              headers=auth(token), json={"channel": "email", "subject": f"parallel {i}"}, timeout=30)

        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(post, range(60)))
        assert [r.status_code for r in responses] == [201] * 60
        assert len({r.json()["interaction_id"] for r in responses}) == 60
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    said = procs[0].stdout.read().decode()
    assert "postgresql://patron:***@127.0.0.1" in said and "patron-test-secret" not in said
    with Store(url) as store:
        assert store.count("interactions") == 60
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'interaction.create'") == 60
        assert store.integrity_problems() == []


def _sign_in(http: httpx.Client, base: str, username: str) -> None:
    page = http.get(f"{base}/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = http.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf": csrf})
    assert r.status_code in (200, 303), r.text[:300]


@pytest.mark.postgres
def test_a_job_and_a_sign_in_are_seen_by_every_server_of_one_database(postgres_server, tmp_path):
    """What `patron serve --workers N` relies on: a job started on one server is reported by another, and a
    page session signed on one is good on another (they share PATRON_SECRET_KEY)."""
    url = postgres_server.new_database()
    generate_demo(tmp_path / "data", 200, 3)
    with Store(url) as store:
        import_demo(store, tmp_path / "data")
        token = issue_token(store, add_user(store, "ann", PASSWORD, "analyst"), "t")
    env = {**os.environ, "PATRON_SECRET_KEY": "one key for every worker"}
    procs, bases = [], []
    try:
        for _ in range(2):
            proc, base = start_serve(url, env=env)
            procs.append(proc)
            bases.append(base)
        r = httpx.post(f"{bases[0]}/api/v1/runs", json={}, headers=auth(token), timeout=30)
        assert r.status_code == 202
        job_id = r.json()["job_id"]
        for _ in range(600):
            seen = httpx.get(f"{bases[1]}/api/v1/jobs/{job_id}", headers=auth(token), timeout=10)
            assert seen.status_code == 200
            if seen.json()["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert seen.json()["status"] == "done", seen.json()["error"]
        assert seen.json()["result"]["customers"] > 0 and seen.json()["progress"] == 1.0
        with httpx.Client(timeout=30) as http:
            _sign_in(http, bases[0], "ann")
            assert http.cookies.get("patron_session")
            r = http.get(f"{bases[1]}/", follow_redirects=False)
            assert r.status_code == 200 and "Sign in" not in r.text
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def _worker_processes(parent: int) -> list[int]:
    """Child processes of ``parent`` started by multiprocessing (uvicorn's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        if ppid == parent and b"multiprocessing" in command and b"resource_tracker" not in command:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.postgres
def test_serve_with_several_workers(postgres_server, tmp_path):
    url = postgres_server.new_database()
    token, parties = _two_customers(url, tmp_path)
    proc, base = start_serve(url, args=("--workers", "2"))
    try:
        assert len(_worker_processes(proc.pid)) == 2
        for i in range(20):
            r = httpx.get(f"{base}/api/v1/parties/{parties[i % 2]}", headers=auth(token), timeout=10)
            assert r.status_code == 200 and r.json()["profile"]["party_id"] == parties[i % 2]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_several_workers_need_postgres(tmp_path):
    out = subprocess.run([sys.executable, "-m", "patron", "serve", "--workers", "2", "--store",
                          str(tmp_path / "p.duckdb")], capture_output=True, text=True, timeout=60, check=False,
                         env={**os.environ, "COLUMNS": "200"})
    assert out.returncode != 0
    assert "needs a PostgreSQL store" in out.stdout + out.stderr
