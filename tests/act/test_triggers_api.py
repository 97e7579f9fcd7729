"""Triggers, vouchers, lists and the holdout override through the API, the pages and the command, on a demo
company: a marketer evaluates the triggers (twice: once started), redeems a code once, sees the list; only an
admin overrides the holdout (403 for the marketer, in the API and the pages), and the page shows it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register
from patron.store import Store

PASSWORD = "a long enough password"
PLAYBOOK = """
name = "Every morning, the best"
channel = "email"
purpose = "newsletter"
[trigger]
kind = "schedule"
every = "day"
at = "00:00"
[audience]
triage = "best"
[action]
subject = "Your code, {first_name}"
body = "Use {voucher}."
voucher = "A free coffee"
list = "Morning best"
"""


def _sign_in(client: TestClient, username: str) -> str:
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/campaigns").text).group(1)


def test_triggers_vouchers_lists_and_the_override_through_the_api_pages_and_command(tmp_path):
    path = tmp_path / "patron.duckdb"
    with demo_company(tmp_path, 300, 6, str(path)) as store:
        tokens = {role: {"Authorization": f"Bearer {issue_token(store, add_user(store, name, PASSWORD, role), 't')}"}
                  for name, role in (("mia", "marketing"), ("ann", "analyst"), ("root", "admin"))}
    marketer, analyst, admin = tokens["marketing"], tokens["analyst"], tokens["admin"]
    with TestClient(create_app(str(path))) as client:
        playbook_id = client.post("/api/v1/playbooks", headers=marketer, json={"definition": PLAYBOOK}).json()["playbook_id"]
        assert client.post("/api/v1/playbooks/run-due", headers=analyst).status_code == 403
        shown = client.get(f"/api/v1/playbooks/{playbook_id}", headers=analyst).json()
        assert shown["trigger_described"] == "every day at 00:00 UTC" and shown["next_due"] and not shown["evaluations"]

        # A draft of the same playbook: the marketer may not override its holdout, the admin may (audited).
        draft = client.post("/api/v1/campaigns", headers=marketer, json={"playbook_id": playbook_id}).json()
        refused = client.post(f"/api/v1/campaigns/{draft['campaign_id']}/holdout", headers=marketer,
                              json={"mode": "include", "why": "everyone"})
        assert refused.status_code == 403 and "The marketing role" in refused.json()["error"]
        done = client.post(f"/api/v1/campaigns/{draft['campaign_id']}/holdout", headers=admin,
                           json={"mode": "include", "why": "a recall"}).json()
        assert done["holdout_override"]["mode"] == "include" and done["holdout_override"]["by"] == "root"
        assert client.get(f"/api/v1/campaigns/{draft['campaign_id']}/preview", headers=analyst).json()["arms"][
            "holdout"] == 0
        audit = client.get("/api/v1/audit", headers=admin).json()
        assert any(r["action"] == "campaign.holdout_override" and r["username"] == "root" for r in audit)
        launched = client.post(f"/api/v1/campaigns/{draft['campaign_id']}/launch", headers=marketer).json()
        assert launched["vouchers"] == launched["arms"]["treated"] > 0

        code = client.get(f"/api/v1/campaigns/{draft['campaign_id']}/vouchers", headers=analyst).json()
        assert code["issued"] == launched["vouchers"] and code["redeemed"] == 0
    # The playbook was saved yesterday, so this morning's run is due; one of the codes, as the mail carried it.
    with Store(path) as store:
        store.raw.execute("UPDATE playbooks SET created_at = created_at - INTERVAL 1 DAY")
        first, body = store.query("SELECT v.code, o.body FROM vouchers v JOIN outbox o ON o.party_id = v.party_id "
                                  "AND o.campaign_id = v.campaign_id WHERE v.campaign_id = ? ORDER BY v.code LIMIT 1",
                                  [draft["campaign_id"]])[0]
        assert body == f"Use {first}."
    with TestClient(create_app(str(path))) as client:
        assert client.post(f"/api/v1/vouchers/{first}/redeem", headers=analyst).status_code == 403
        ok = client.post(f"/api/v1/vouchers/{first}/redeem", headers=marketer)
        assert ok.status_code == 200 and ok.json()["redeemed_at"]
        twice = client.post(f"/api/v1/vouchers/{first}/redeem", headers=marketer)
        assert twice.status_code == 409 and "redeemed already" in twice.json()["error"]
        assert client.post("/api/v1/vouchers/NOPE-NOPE-NOPE/redeem", headers=marketer).status_code == 404
        listed = client.get("/api/v1/lists", headers=analyst).json()
        assert listed == [{"list_name": "Morning best", "members": launched["arms"]["treated"],
                           "last_added": listed[0]["last_added"]}]
        page = client.get("/api/v1/lists/Morning best", headers=analyst, params={"page_size": 5}).json()
        assert page["total"] == launched["arms"]["treated"] and len(page["members"]) == min(5, page["total"])

        # The trigger: the schedule fires once; the second call starts nothing.
        fired = client.post("/api/v1/playbooks/run-due", headers=marketer).json()
        assert [e["playbook_id"] for e in fired] == [playbook_id] and fired[0]["campaign_id"] is not None
        assert client.post("/api/v1/playbooks/run-due", headers=marketer).json() == []
        campaigns = client.get("/api/v1/campaigns", headers=analyst).json()
        assert len(campaigns) == 2

        # The pages: the playbook's last evaluation and next due time, the button, the campaign's override.
        csrf = _sign_in(client, "mia")
        book = client.get(f"/campaigns/playbooks/{playbook_id}").text
        assert "Last evaluated" in book and f"campaign {fired[0]['campaign_id']}" in book and 'id="next-due"' in book
        assert 'id="run-due"' in book
        again = client.post("/campaigns/run-due", data={"csrf": csrf, "playbook_id": playbook_id})
        assert again.status_code in (200, 303)
        assert len(client.get("/api/v1/campaigns", headers=analyst).json()) == 2
        cpage = client.get(f"/campaigns/{draft['campaign_id']}").text
        assert "Holdout override" in cpage and "a recall" in cpage and 'id="vouchers-redeemed">1<' in cpage
        second = client.post("/api/v1/campaigns", headers=marketer, json={"playbook_id": playbook_id}).json()
        assert 'id="holdout"' not in client.get(f"/campaigns/{second['campaign_id']}").text  # not for a marketer
        assert client.post(f"/campaigns/{second['campaign_id']}/holdout",
                           data={"csrf": csrf, "mode": "include"}).status_code == 403
        lists = client.get("/lists").text
        assert "Morning best" in lists
        members = client.get("/lists/Morning best").text
        assert "Page 1 of" in members
        pid = client.get(f"/api/v1/vouchers/{first}", headers=analyst).json()["party_id"]
        assert first in client.get(f"/customers/{pid}").text

        csrf = _sign_in(client, "root")
        assert 'id="holdout"' in client.get(f"/campaigns/{second['campaign_id']}").text
        saved = client.post(f"/campaigns/{second['campaign_id']}/holdout",
                            data={"csrf": csrf, "mode": "exclude", "why": "measured on the control"})
        assert saved.status_code in (200, 303)
        assert "Holdout override" in client.get(f"/campaigns/{second['campaign_id']}").text

    register()
    runner = CliRunner()
    out = runner.invoke(app, ["playbook", "run-due", "--store", str(path)])
    assert out.exit_code == 0 and "No playbook with an event or a due schedule" in out.output, out.output
    shown = runner.invoke(app, ["playbook", "show", str(playbook_id), "--store", str(path)])
    assert shown.exit_code == 0 and "Trigger: every day at 00:00 UTC." in shown.output and "Next due" in shown.output
    assert "--no-triggers" in runner.invoke(app, ["serve", "--help"]).output



def test_the_service_evaluates_the_triggers_in_the_background(tmp_path):
    import datetime as dt
    import time

    from patron.api.settings import Settings
    from patron.areas.accounts.service import OPERATOR
    from patron.areas.campaigns.service import save_playbook

    path = tmp_path / "patron.duckdb"
    with demo_company(tmp_path, 200, 7, str(path)) as store:
        book = save_playbook(store, OPERATOR, PLAYBOOK.replace("Every morning, the best", "After a complaint").replace(
            'kind = "schedule"\nevery = "day"\nat = "00:00"', 'kind = "event"\nevent = "complaint_resolved"'))
        pid = int(store.scalar("SELECT min(party_id) FROM scores WHERE triage = 'best'"))  # in the audience
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        store.raw.execute("INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, "
                          "resolved_at, status) VALUES (999999, 'desk', 'bg', ?, ?, ?, 'resolved')",
                          [pid, now - dt.timedelta(days=1), now + dt.timedelta(seconds=1)])
    time.sleep(1.5)  # the complaint's resolution is now in the past
    with TestClient(create_app(settings=Settings(store=str(path), triggers=True))) as client:
        peek = client.app.state.store.cursor()  # the service's own store: one process holds the DuckDB file
        found = []
        for _ in range(100):
            found = peek.query("SELECT campaign_id FROM trigger_evaluations WHERE playbook_id = ?", [book])
            if found:
                break
            time.sleep(0.1)
        peek.close()
    assert found and found[0][0] is not None  # the scheduler's first call, at start, launched a campaign
    with Store(path) as store:
        assert {int(p) for (p,) in store.query("SELECT party_id FROM campaign_members WHERE campaign_id = ?",
                                               [found[0][0]])} == {pid}
        assert store.scalar("SELECT username FROM audit_log WHERE action = 'playbook.trigger'") == "trigger scheduler"
