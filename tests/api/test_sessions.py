"""Page sessions live in the store: signing out or disabling a user ends every copy of the cookie at once."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.users.service import add_user, set_disabled
from patron.store import Store

PASSWORD = "a long enough password"


def _sign_in(client, username):
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    return client.cookies.get("patron_session")


def _signed_in(app, cookie) -> bool:
    """Does a browser holding only this cookie (a saved copy) get the first page?"""
    other = TestClient(app)  # not started as a context: the service (and its store) is the running one's
    other.cookies.set("patron_session", cookie)
    return other.get("/", follow_redirects=False).status_code == 200


def test_sign_out_and_disable_end_saved_sessions(engine_url):
    with Store(engine_url) as store:
        add_user(store, "ada", PASSWORD, "admin")
        add_user(store, "sam", PASSWORD, "service")
    app = create_app(engine_url)
    with TestClient(app) as client:
        saved = _sign_in(client, "sam")
        assert _signed_in(app, saved)
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        r = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert not _signed_in(app, saved), "a saved cookie still worked after signing out"

        # Disabling a user, through the running service's own store, ends their sessions at once.
        saved = _sign_in(client, "sam")
        other = _sign_in(TestClient(app), "sam")
        ada = _sign_in(TestClient(app), "ada")
        assert _signed_in(app, saved) and _signed_in(app, other)
        set_disabled(app.state.store, "sam", True)
        assert not _signed_in(app, saved) and not _signed_in(app, other)
        assert _signed_in(app, ada)  # nobody else is signed out
        set_disabled(app.state.store, "sam", False)
        assert not _signed_in(app, saved)  # enabling again does not bring an ended session back
        assert _signed_in(app, _sign_in(client, "sam"))


def test_a_cookie_from_before_sessions_were_kept_is_refused(tmp_path):
    """The old cookie named only a user id: it must not sign anyone in now."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        add_user(store, "sam", PASSWORD, "service")
    app = create_app(str(path))
    with TestClient(app) as client:
        client.get("/login")
        secret = next(m.kwargs["secret_key"] for m in app.user_middleware if "secret_key" in m.kwargs)
        forged = TimestampSigner(secret).sign(base64.b64encode(json.dumps({"user_id": 1}).encode())).decode()
        assert not _signed_in(app, forged)


def test_a_saved_cookie_cannot_write_after_sign_out(engine_url):
    """The saved copy carries the form token too: only the store's ended session stops it writing."""
    from signin_helpers import add_customer, csrf_of

    with Store(engine_url) as store:
        add_user(store, "sam", PASSWORD, "service")
        add_customer(store)
    app = create_app(engine_url)
    with TestClient(app) as client:
        saved = _sign_in(client, "sam")
        csrf = csrf_of(client.get("/customers/1").text)
        copy = TestClient(app)
        copy.cookies.set("patron_session", saved)
        form = {"csrf": csrf, "channel": "phone", "subject": "called back"}
        assert copy.post("/customers/1/interactions", data=form, follow_redirects=False).status_code == 303
        count = app.state.store.scalar("SELECT count(*) FROM interactions")
        assert count == 1
        client.post("/logout", data={"csrf": csrf_of(client.get("/").text)}, follow_redirects=False)
        r = copy.post("/customers/1/interactions", data=form, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert copy.get("/customers/1", follow_redirects=False).headers["location"].startswith("/login")
        assert app.state.store.scalar("SELECT count(*) FROM interactions") == count, "written after sign-out"
