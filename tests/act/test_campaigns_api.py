"""Campaigns through the API and the command, on a demo company: a marketer saves a playbook, previews and
launches a campaign; an analyst may look but not launch; a bad playbook and a second launch get clear errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from companies import demo_company
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.cli.app import app, register

PASSWORD = "a long enough password"
PLAYBOOK = """
name = "Thank the best"
channel = "email"
purpose = "newsletter"
[audience]
triage = "best"
[action]
subject = "Thank you, {first_name}"
body = "Dear {name}"
"""


def test_campaigns_through_the_api_and_the_command(tmp_path):
    path = tmp_path / "patron.duckdb"
    with demo_company(tmp_path, 400, 8, str(path)) as store:
        marketer = {"Authorization": f"Bearer {issue_token(store, add_user(store, 'mia', PASSWORD, 'marketing'), 't')}"}
        analyst = {"Authorization": f"Bearer {issue_token(store, add_user(store, 'ann', PASSWORD, 'analyst'), 't')}"}
    with TestClient(create_app(str(path))) as client:
        assert client.post("/api/v1/playbooks", headers=analyst, json={"definition": PLAYBOOK}).status_code == 403
        bad = client.post("/api/v1/playbooks", headers=marketer, json={"definition": PLAYBOOK.replace("best", "gold")})
        assert bad.status_code == 400 and "audience.triage: unknown value 'gold'" in bad.json()["error"]
        playbook_id = client.post("/api/v1/playbooks", headers=marketer, json={"definition": PLAYBOOK}).json()["playbook_id"]
        assert [p["name"] for p in client.get("/api/v1/playbooks", headers=analyst).json()] == ["Thank the best"]
        campaign = client.post("/api/v1/campaigns", headers=marketer, json={"playbook_id": playbook_id}).json()
        cid = campaign["campaign_id"]
        assert campaign["status"] == "draft" and campaign["audience"] == {"triage": ["best"]}
        shown = client.get(f"/api/v1/campaigns/{cid}/preview", headers=analyst).json()
        assert shown["audience"] == sum(shown["arms"].values()) > 0 and sum(shown["excluded"].values()) \
            == shown["arms"]["excluded"]
        assert client.post(f"/api/v1/campaigns/{cid}/launch", headers=analyst).status_code == 403
        launched = client.post(f"/api/v1/campaigns/{cid}/launch", headers=marketer).json()
        assert launched["queued"] == launched["arms"]["treated"] == shown["arms"]["treated"]
        again = client.post(f"/api/v1/campaigns/{cid}/launch", headers=marketer)
        assert again.status_code == 409 and "only a draft" in again.json()["error"]
        assert client.post(f"/api/v1/campaigns/{cid}/status", headers=marketer,
                           json={"status": "paused"}).json()["status"] == "paused"
        assert client.get("/api/v1/campaigns/999", headers=analyst).status_code == 404

    register()
    runner = CliRunner()
    book = tmp_path / "win-back.toml"
    book.write_text(PLAYBOOK.replace("Thank the best", "Win back").replace('"best"', '"worst"'), encoding="utf-8")
    out = runner.invoke(app, ["playbook", "add", str(book), "--store", str(path)])
    assert out.exit_code == 0, out.output
    assert "Win back" in runner.invoke(app, ["playbook", "list", "--store", str(path)]).output
    created = runner.invoke(app, ["campaign", "create", "2", "--store", str(path)])
    assert created.exit_code == 0 and "Created campaign 2" in created.output, created.output
    preview = runner.invoke(app, ["campaign", "preview", "2", "--store", str(path)])
    assert preview.exit_code == 0 and "treated" in preview.output and "excluded, and why" in preview.output
    launched = runner.invoke(app, ["campaign", "launch", "2", "--store", str(path)])
    assert launched.exit_code == 0 and "Queued" in launched.output, launched.output
    listed = runner.invoke(app, ["campaign", "list", "--store", str(path)]).output
    assert "Win back" in listed and "running" in listed and "paused" in listed
