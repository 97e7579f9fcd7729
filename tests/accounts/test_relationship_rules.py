"""The relationship rules as settings (``patron.areas.accounts.relationship_rules``), on every store: checked
before they are kept, read back, and applied by the account view; through the command and the API too."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from patron.areas.accounts import service
from patron.areas.accounts.relationship_rules import (
    DEFAULT_RULES,
    relationship_rules,
    rules_from_toml,
    rules_to_toml,
    set_relationship_rules,
)
from patron.errors import InvalidInput, PermissionDenied
from patron.service.permissions import User
from patron.store import Store

AS_OF = dt.datetime(2024, 7, 1)
SALES = User(1, "sam", "sales")
ANALYST = User(2, "ann", "analyst")


def build(store):
    """An account of two contacts, one met 10 days ago and one 200, buying for 500 days, its investments
    rated 4 (the buyer's) and 2 (the supplier's)."""
    with store.transaction():
        for pid, kind, name, title in ((1, "organisation", "Werk Nord AG", None), (2, "person", "Ada Kern",
                                        "Managing Director"), (3, "person", "Bo Lenz", "Office Manager")):
            store.raw.execute("INSERT INTO parties (party_id, kind, category, name, job_title, created_at) "
                              "VALUES (?, ?, 'customer', ?, ?, ?)", [pid, kind, name, title, AS_OF])
        for n, (pid, days) in enumerate(((2, 10), (3, 200))):
            store.raw.execute("INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, "
                              "channel, direction) VALUES (?, 'crm', ?, ?, ?, 'face_to_face', 'outbound')",
                              [n + 1, str(n), pid, AS_OF - dt.timedelta(days=days)])
        store.raw.execute("INSERT INTO transactions (transaction_id, source, external_id, party_id, occurred_at, kind, "
                          "product, revenue, currency) VALUES (1, 'erp', '1', 1, ?, 'invoice', 'P', 900, 'EUR'), "
                          "(2, 'erp', '2', 1, ?, 'invoice', 'P', 900, 'EUR')",
                          [AS_OF - dt.timedelta(days=500), AS_OF - dt.timedelta(days=20)])
    service.add_link(store, SALES, 2, 1, "works_for")
    service.add_link(store, SALES, 3, 1, "works_for")
    service.add_assessment(store, SALES, 1, "investments", {"buyer_investment": 4, "supplier_investment": 2})


def test_the_stored_rules_change_the_account_view(store):
    build(store)
    assert relationship_rules(store) == DEFAULT_RULES
    before = service.account_view(store, SALES, 1, as_of=AS_OF)
    assert [a["kind"] for a in before["alerts"]][:1] == ["single_threaded"] and before["engaged"] == 1
    assert before["bensaou"] == "captive_buyer" and before["stage"]["stage"] == "early"
    set_relationship_rules(store, SALES, """
        [strength]
        recency = 1
        frequency = 0
        reciprocity = 0
        depth = 0
        seniority = 0
        [single_threaded]
        engaged_days = 365
        [bensaou]
        buyer_high = 4.5
        [ford_stages]
        development_days = 400
        development_stakeholders = 2
    """)
    rules = relationship_rules(store)
    assert rules.strength.recency == 1 and rules.single_threaded.engaged_days == 365
    assert rules.wilson_stages == DEFAULT_RULES.wilson_stages  # left out: the defaults
    after = service.account_view(store, ANALYST, 1, as_of=AS_OF)
    assert after["engaged"] == 2 and "single_threaded" not in [a["kind"] for a in after["alerts"]]
    assert after["bensaou"] == "market_exchange"
    assert after["stage"]["stage"] == "development" and "400 days" in after["stage"]["rule"]
    assert after["strength_weights"]["recency"] == 1
    # Recency alone: the strongest contact, met 10 days ago, scores 100 × 0.5^(10/90).
    assert max(p["strength"]["score"] for p in after["people"]) == pytest.approx(100 * 0.5 ** (10 / 90), abs=0.01)
    assert [r["bensaou"] for r in service.accounts(store, ANALYST, as_of=AS_OF)] == ["market_exchange"]
    # Weights given for one answer replace the stored ones for it only.
    given = service.account_view(store, ANALYST, 1, as_of=AS_OF, weights=DEFAULT_RULES.strength)
    assert given["strength"] == before["strength"] and given["engaged"] == 2
    set_relationship_rules(store, SALES, "")
    assert relationship_rules(store) == DEFAULT_RULES


@pytest.mark.parametrize("text, message", [
    ("[strength\nrecency = 1", "not valid TOML"),
    ("[trust]\nx = 1", r"Unknown section\(s\) \[trust\]"),
    ("[strength]\nwarmth = 1", r"\[strength\]: unknown field\(s\) warmth"),
    ("[bensaou]\nbuyer_high = 'high'", r"\[bensaou\] buyer_high must be a number"),
    ("[champion_quiet]\ndays = 90.5", "must be a whole number"),
    ("[wilson_stages]\npurpose_days = 500", "thresholds must rise"),
    ("[strength]\nrecency = 0\nfrequency = 0\nreciprocity = 0\ndepth = 0\nseniority = 0", "not all zero"),
    ("[bensaou]\nsupplier_high = 7", "ratings from 1 to 5"),
    ("single_threaded = 2", "must be a section"),
])
def test_invalid_rules_are_refused_with_the_reason_and_nothing_is_kept(store, text, message):
    with pytest.raises(InvalidInput, match=message):
        set_relationship_rules(store, SALES, text)
    assert store.scalar("SELECT count(*) FROM settings WHERE name = 'relationship_rules'") == 0


def test_only_the_roles_that_may_change_the_rules_do(store):
    with pytest.raises(PermissionDenied):
        set_relationship_rules(store, ANALYST, "[single_threaded]\nmax_engaged = 2")
    set_relationship_rules(store, SALES, "[single_threaded]\nmax_engaged = 2")
    assert relationship_rules(store).single_threaded.max_engaged == 2
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'settings.change'") == 1


def test_the_printed_rules_read_back_as_the_same_rules():
    rules = rules_from_toml("[champion_quiet]\ngaps = 3\n[ford_stages]\nlong_term_days = 730")
    assert rules_from_toml(rules_to_toml(rules)) == rules and rules.champion_quiet.gaps == 3.0


def test_the_command_and_the_api(engine_url, tmp_path):
    from patron.app import create_app
    from patron.areas.users.service import add_user, issue_token
    from patron.cli.app import app, register

    register()
    conf = tmp_path / "rules.toml"
    conf.write_text("[bensaou]\nbuyer_high = 4\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["relationship-rules", "--set", str(conf), "--store", engine_url],
                             catch_exceptions=False)
    assert run.exit_code == 0 and "Relationship rules saved." in run.stdout and "buyer_high = 4.0" in run.stdout
    conf.write_text("[bensaou]\nbuyer_high = 9\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["relationship-rules", "--set", str(conf), "--store", engine_url])
    assert run.exit_code != 0 and "ratings from 1 to 5" in run.stdout + str(run.exception)
    with Store(engine_url) as store:
        sales = issue_token(store, add_user(store, "sam", "a long enough password", "sales"), "t")
        analyst = issue_token(store, add_user(store, "ann", "a long enough password", "analyst"), "t")
    with TestClient(create_app(engine_url)) as client:
        got = client.get("/api/v1/relationship-rules", headers={"Authorization": f"Bearer {analyst}"}).json()
        assert got["rules"]["bensaou"]["buyer_high"] == 4.0 and "[bensaou]" in got["toml"]
        r = client.put("/api/v1/relationship-rules", headers={"Authorization": f"Bearer {analyst}"}, json={"toml": ""})
        assert r.status_code == 403
        r = client.put("/api/v1/relationship-rules", headers={"Authorization": f"Bearer {sales}"},
                       json={"toml": "[champion_quiet]\nmin_contacts = 1"})
        assert r.status_code == 400 and "min_contacts at least 2" in r.json()["error"]
        r = client.put("/api/v1/relationship-rules", headers={"Authorization": f"Bearer {sales}"},
                       json={"toml": "[champion_quiet]\ndays = 120"})
        assert r.status_code == 200 and r.json()["rules"]["champion_quiet"]["days"] == 120
        assert r.json()["rules"]["bensaou"]["buyer_high"] == 3.0  # a PUT replaces every rule
    run = CliRunner().invoke(app, ["relationship-rules", "--store", engine_url], catch_exceptions=False)
    assert run.exit_code == 0 and "days = 120" in run.stdout
