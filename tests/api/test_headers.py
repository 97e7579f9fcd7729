"""Security headers on every page and API answer; the error page's way back never leaves patron."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.store import Store

PASSWORD = "a long enough password"


def test_security_headers_and_a_local_way_back(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        token = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "t")
    with TestClient(create_app(str(path))) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": csrf})
        answers = [client.get("/"), client.get("/customers"), client.get("/login"), client.get("/customers/999999"),
                   client.get("/api/v1/health"), client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})]
        for r in answers:
            h = r.headers
            assert "script-src 'none'" in h["content-security-policy"] and "frame-ancestors 'none'" in \
                h["content-security-policy"], r.url
            assert (h["x-frame-options"], h["x-content-type-options"], h["referrer-policy"]) == \
                ("DENY", "nosniff", "no-referrer")
            assert h["cache-control"] == "no-store", r.url
        assert "no-store" not in client.get("/static/patron.css").headers.get("cache-control", "")

        for referer, back in (("https://evil.example/phish", "/"), ("//evil.example/x", "/"),
                              ("javascript:alert(1)", "/"), ("http://testserver/customers?q=ann", "/customers?q=ann")):
            r = client.get("/customers/999999", headers={"Referer": referer})
            assert r.status_code == 404
            assert f"<a href='{back}'>Go back</a>" in r.text, (referer, r.text)
