"""Admins manage users and tokens in the pages and the API while the service runs, in effect at once on both
stores; tokens expire and record their last use; the CLI on a held DuckDB file says where to go instead."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from signin_helpers import PASSWORD, csrf_of, signed_in

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.store import Store


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_admin_api_disables_revokes_and_changes_roles_at_once(engine_url):
    with Store(engine_url) as store:
        admin = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "admin script")
    app = create_app(engine_url)
    with TestClient(app) as client:
        r = client.post("/api/v1/users", headers=_bearer(admin),
                        json={"username": "sam", "password": PASSWORD, "role": "service", "full_name": "Sam"})
        assert r.status_code == 201 and r.json()["role"] == "service"
        r = client.post("/api/v1/users/sam/tokens", headers=_bearer(admin), json={"name": "sync", "days": 30})
        assert r.status_code == 201
        sam = r.json()["token"]
        assert client.get("/api/v1/tasks", headers=_bearer(sam)).status_code == 200
        assert client.get("/api/v1/users", headers=_bearer(sam)).status_code == 403  # not an admin
        assert client.get("/api/v1/audit", headers=_bearer(sam)).status_code == 403

        # A new role applies from the next request, though the token's user is cached between writes.
        assert client.patch("/api/v1/users/sam", headers=_bearer(admin), json={"role": "admin"}).status_code == 200
        assert client.get("/api/v1/audit", headers=_bearer(sam)).status_code == 200
        client.patch("/api/v1/users/sam", headers=_bearer(admin), json={"role": "service"})

        # Disabled: the token and the page session stop at once; enabled again, the token works again.
        page = signed_in(TestClient(app), "sam")
        assert page.get("/", follow_redirects=False).status_code == 200
        r = client.patch("/api/v1/users/sam", headers=_bearer(admin), json={"disabled": True})
        assert r.status_code == 200 and r.json()["disabled"] is True
        assert client.get("/api/v1/tasks", headers=_bearer(sam)).status_code == 401
        assert page.get("/", follow_redirects=False).status_code == 303
        client.patch("/api/v1/users/sam", headers=_bearer(admin), json={"disabled": False})
        assert client.get("/api/v1/tasks", headers=_bearer(sam)).status_code == 200

        tokens = client.get("/api/v1/users/sam/tokens", headers=_bearer(admin)).json()
        assert [(t["name"], t["state"]) for t in tokens] == [("sync", "active")]
        r = client.delete(f"/api/v1/tokens/{tokens[0]['token_id']}", headers=_bearer(admin))
        assert r.status_code == 200 and r.json()["state"] == "revoked"
        assert client.get("/api/v1/tasks", headers=_bearer(sam)).status_code == 401

        # An admin cannot lock themself out.
        r = client.patch("/api/v1/users/ada", headers=_bearer(admin), json={"disabled": True})
        assert r.status_code == 409 and "yourself" in r.json()["error"]

        actions = {a for (a,) in app.state.store.query("SELECT action FROM audit_log WHERE username = 'ada'")}
        assert {"user.create", "token.create", "user.role", "user.disable", "user.enable", "token.revoke"} <= actions


def test_tokens_expire_and_record_their_last_use(engine_url):
    with Store(engine_url) as store:
        user = add_user(store, "sam", PASSWORD, "service")
        fresh = issue_token(store, user, "fresh", days=1)
        old = issue_token(store, user, "from before expiry")
        recent = issue_token(store, user, "recent, no expiry")
        # Tokens made before expiry existed have none: the default lifetime (90 days) counts from created_at.
        store.raw.execute("UPDATE api_tokens SET expires_at = NULL, created_at = created_at - INTERVAL 100 DAY "
                          "WHERE name = 'from before expiry'")
        store.raw.execute("UPDATE api_tokens SET expires_at = NULL, created_at = created_at - INTERVAL 10 DAY "
                          "WHERE name = 'recent, no expiry'")
    app = create_app(engine_url)
    with TestClient(app) as client:
        assert client.get("/api/v1/tasks", headers=_bearer(fresh)).status_code == 200
        assert client.get("/api/v1/tasks", headers=_bearer(recent)).status_code == 200
        r = client.get("/api/v1/tasks", headers=_bearer(old))
        assert r.status_code == 401 and "expired" in r.json()["error"]

        store = app.state.store
        used = dict(store.query("SELECT name, last_used_at FROM api_tokens"))
        assert used["fresh"] is not None and used["from before expiry"] is None
        client.get("/api/v1/tasks", headers=_bearer(fresh))
        assert dict(store.query("SELECT name, last_used_at FROM api_tokens"))["fresh"] == used["fresh"], \
            "last_used_at was written again within a minute"

        with store.transaction():  # a day later: expired
            store.raw.execute("UPDATE api_tokens SET expires_at = ? WHERE name = 'fresh'",
                              [dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1)])
        assert client.get("/api/v1/tasks", headers=_bearer(fresh)).status_code == 401


def test_the_users_page_manages_users_and_tokens(engine_url):
    with Store(engine_url) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "sam", PASSWORD, "service")
    app = create_app(engine_url)
    with TestClient(app) as admin:
        signed_in(admin, "ada")
        page = admin.get("/users")
        assert page.status_code == 200 and 'href="/users/sam"' in page.text and 'href="/users"' in page.text
        r = admin.post("/users", data={"csrf": csrf_of(page.text), "username": "Bea", "role": "marketing",
                                       "password": PASSWORD, "full_name": "Bea"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/users/bea"
        csrf = csrf_of(admin.get("/users/bea").text)
        r = admin.post("/users/bea/tokens", data={"csrf": csrf, "name": "export", "days": "30"})
        token = r.text.split('<section class="panel" id="new-token">')[1].split("<code>")[2].split("</code>")[0]
        assert token.startswith("patron_")
        assert admin.get("/api/v1/tasks", headers=_bearer(token)).status_code == 200
        assert "patron_" not in admin.get("/users/bea").text, "a token is shown once only"

        bea = signed_in(TestClient(app), "bea")
        admin.post("/users/bea/role", data={"csrf": csrf, "role": "analyst"})
        assert "analyst" in bea.get("/").text
        admin.post("/users/bea/disable", data={"csrf": csrf})
        assert bea.get("/", follow_redirects=False).status_code == 303
        assert admin.get("/api/v1/tasks", headers=_bearer(token)).status_code == 401
        admin.post("/users/bea/enable", data={"csrf": csrf})
        token_id = app.state.store.scalar("SELECT token_id FROM api_tokens WHERE name = 'export'")
        r = admin.post(f"/tokens/{token_id}/revoke", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert admin.get("/api/v1/tasks", headers=_bearer(token)).status_code == 401
        assert ">revoked<" in admin.get("/users/bea").text

        new_password = "another long password"
        admin.post("/users/bea/password", data={"csrf": csrf, "password": new_password})
        signed_in(TestClient(app), "bea", new_password)

        sam = signed_in(TestClient(app), "sam")
        assert 'href="/users"' not in sam.get("/").text
        assert sam.get("/users").status_code == 403
        r = sam.post("/users/bea/disable", data={"csrf": csrf_of(sam.get("/").text)})
        assert r.status_code == 403


def test_the_cli_on_a_store_held_by_the_service_says_where_to_go(tmp_path):
    """``patron user disable`` used to fail on DuckDB's file lock; now it names the way that works."""
    import subprocess
    import sys

    from serving import start_serve

    path = tmp_path / "held.duckdb"
    with Store(path) as store:
        add_user(store, "sam", PASSWORD, "service")
    proc, _ = start_serve(str(path))
    try:
        out = subprocess.run([sys.executable, "-m", "patron", "user", "disable", "sam", "--store", str(path)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 2
        assert "Users page" in out.stderr and "/api/v1/users" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)
