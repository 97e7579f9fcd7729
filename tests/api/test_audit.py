"""The audit area: an admin reads who changed what, on the API, the page and the command line; nobody else does."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.store import Store

PASSWORD = "a long enough password"


def test_the_audit_log_is_for_admins(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store:
        admin = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "t")
        service = issue_token(store, add_user(store, "sam", PASSWORD, "service"), "t")
    with TestClient(create_app(str(path))) as client:
        r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200
        assert {(e["action"], e["detail"].get("username")) for e in r.json()} >= {("user.create", "ada"),
                                                                                  ("user.create", "sam")}
        r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {service}"})
        assert r.status_code == 403 and "audit log" in r.json()["error"]
        for name, sees in (("sam", False), ("ada", True)):
            client.cookies.clear()
            page = client.get("/login")
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            client.post("/login", data={"username": name, "password": PASSWORD, "csrf": csrf})
            assert ('href="/audit"' in client.get("/").text) is sees
            assert client.get("/audit").status_code == (200 if sees else 403)
    register()
    out = CliRunner().invoke(app, ["audit", "--entity", "user", "--store", str(path)])
    assert out.exit_code == 0 and "user.create" in out.output and "sam" in out.output
