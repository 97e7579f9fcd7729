"""Old sign-in attempts and audit entries are trimmed: by hand, and by the service at start. On both stores."""

from __future__ import annotations

import datetime as dt
import json

from fastapi.testclient import TestClient

from patron.api.settings import Settings
from patron.app import create_app
from patron.areas.users.service import add_user
from patron.areas.users.signin import SignInRules, sign_in, throttle_wait, trim_attempts
from patron.service import audit
from patron.store import Store

PASSWORD = "a long enough password"
NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _age_audit(store: Store, action: str, days: float) -> None:
    store.raw.execute("UPDATE audit_log SET happened_at = ? WHERE action = ?",
                      [NOW - dt.timedelta(days=days), action])


def test_trimming_keeps_what_the_throttle_and_the_log_still_need(engine_store):
    store = engine_store
    add_user(store, "ada", PASSWORD, "admin")
    rules = SignInRules()
    for days in (3, 2):  # two old bursts of wrong passwords, long past any window
        for _ in range(4):
            sign_in(store, "ada", "wrong", "10.0.0.1", "api", rules, now=NOW - dt.timedelta(days=days))
    for _ in range(5):  # and five now: the account is throttled
        sign_in(store, "ada", "wrong", "10.0.0.2", "api", rules, now=NOW)
    assert throttle_wait(store, "ada", "10.0.0.2", rules, NOW) > 0
    assert trim_attempts(store, rules, NOW) == 8
    assert store.scalar("SELECT count(*) FROM sign_in_attempts") == 5
    assert throttle_wait(store, "ada", "10.0.0.2", rules, NOW) > 0  # the throttle still sees today's failures
    assert trim_attempts(store, rules, NOW) == 0

    audit.record(store, None, "test.old")
    audit.record(store, None, "test.recent")
    _age_audit(store, "test.old", 40)
    _age_audit(store, "test.recent", 20)
    assert audit.trim(store, 0) == 0  # 0 keeps everything
    assert audit.trim(store, 30, now=NOW) == 1
    actions = {e["action"]: e for e in audit.search(store, limit=1000)[1]}
    assert "test.old" not in actions and "test.recent" in actions and "sign_in.failed" in actions
    trimmed = actions["audit.trim"]
    assert trimmed["row_count"] == 1 and json.loads(trimmed["detail"])["days"] == 30


def test_the_service_trims_at_start_as_configured(engine_url):
    with Store(engine_url) as store:
        add_user(store, "ada", PASSWORD, "admin")
        audit.record(store, None, "test.old")
        _age_audit(store, "test.old", 10)
        for _ in range(3):
            sign_in(store, "ada", "wrong", "10.0.0.1", "page", now=NOW - dt.timedelta(days=2))
    with TestClient(create_app(settings=Settings(store=engine_url, audit_days=7))) as client:
        retention = client.app.state.retention
        for _ in range(100):  # the first trim runs as the service starts, on its own thread
            if retention.trimmed:
                break
            retention.stopping.wait(0.1)
        assert retention.last_error is None
        assert retention.trimmed == {"audit_log": 1, "sign_in_attempts": 3}
    with Store(engine_url) as store:
        assert store.scalar("SELECT count(*) FROM sign_in_attempts") == 0
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'test.old'") == 0
        assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'audit.trim'") == 1
