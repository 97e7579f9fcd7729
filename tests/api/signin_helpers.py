"""Signing in through the login form, and a customer to look at, for the sign-in, user and audit tests."""

from __future__ import annotations

import re

PASSWORD = "a long enough password"


def csrf_of(page_text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page_text).group(1)


def post_login(client, username: str, password: str = PASSWORD):
    """The login form posted as a browser does (its token from the page first)."""
    csrf = csrf_of(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf},
                       follow_redirects=False)


def signed_in(client, username: str, password: str = PASSWORD):
    r = post_login(client, username, password)
    assert r.status_code == 303, r.text
    return client


def add_customer(store, party_id: int = 1, name: str = "Jürgen Müller", email: str = "jm@example.org") -> int:
    store.raw.execute("INSERT INTO parties (party_id, kind, category, name, email, created_at) "
                      "VALUES (?, 'person', 'customer', ?, ?, '2025-01-01')", [party_id, name, email])
    return party_id
