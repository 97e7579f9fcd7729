"""The permission matrix as documented (docs/roles.md), and walked: every role tries every action through the
API and the pages, and is refused exactly where the matrix says (one DuckDB store; the checks are the
service's, the same on every backend)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.ingest import import_file
from patron.service.permissions import ACTIONS, MATRIX, matrix_markdown
from patron.store import Store
from patron.store.vocabulary import ROLES

PASSWORD = "a long enough password"
DOCS = Path(__file__).parents[2] / "docs" / "roles.md"
#: Actions no API route or page offers yet: the command line (which is not a patron user) does them.
NOT_ON_THE_WEB: set[str] = set()


def test_docs_roles_is_the_matrix():
    text = DOCS.read_text()
    table = text.split("do not edit by hand -->\n")[1].split("<!-- end of matrix -->")[0]
    assert table == matrix_markdown(), "docs/roles.md is out of date: paste matrix_markdown() into it"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("roles")
    path = root / "patron.duckdb"
    with Store(path) as store:
        (root / "people.csv").write_text("customer_id,name,email\nC1,Ana Silva,ana@example.com\n")
        import_file(store, root / "people.csv", "parties", source="crm")
        tokens = {role: issue_token(store, add_user(store, f"{role}_user", PASSWORD, role), "roles")
                  for role in ROLES}
        party = store.scalar("SELECT party_id FROM parties")
    with TestClient(create_app(str(path))) as client:
        yield client, tokens, party


def _requests(party: int) -> dict[str, tuple]:
    """One request per action: (method, url, keyword arguments, is the answer "allowed"?)."""
    people = "customer_id,name,email\nC1,Ana Silva,ana@example.com\n"
    return {
        "customers.read": ("get", "/api/v1/parties", {}, lambda r: r.status_code == 200),
        "personal_data.read": ("get", f"/api/v1/parties/{party}", {},
                               lambda r: r.json()["profile"]["email"] == "ana@example.com"),
        "customers.write": ("post", f"/api/v1/parties/{party}/interactions",
                            {"json": {"channel": "phone", "direction": "inbound", "department": "service"}},
                            lambda r: r.status_code == 201),
        "segments.export": ("get", "/api/v1/segments/rung/customer/export", {}, lambda r: r.status_code != 403),
        "runs.start": ("post", "/api/v1/runs", {"json": {"model": "magic"}}, lambda r: r.status_code != 403),
        "imports.run": ("get", "/api/v1/imports", {}, lambda r: r.status_code == 200),
        "imports.rows.read": ("get", "/api/v1/imports/1/quarantine", {}, lambda r: r.status_code == 200),
        "imports.parties": ("post", "/api/v1/imports/preview", {"params": {"kind": "parties", "source": "crm"},
                                                                 "files": {"file": ("p.csv", people)}},
                            lambda r: r.status_code == 200),
        "imports.undo": ("post", "/api/v1/imports/999/undo", {}, lambda r: r.status_code == 404),
        "jobs.read": ("get", "/api/v1/jobs/nope", {}, lambda r: r.status_code == 404),
        "audit.read": ("get", "/api/v1/audit", {}, lambda r: r.status_code == 200),
        "users.manage": ("get", "/api/v1/users/nobody/tokens", {}, lambda r: r.status_code == 404),
        "runs.promote": ("post", "/api/v1/runs/999/promote", {}, lambda r: r.status_code == 404),
        "privacy.requests": ("get", "/api/v1/privacy/999/export", {}, lambda r: r.status_code == 404),
        "campaigns.launch": ("post", "/api/v1/campaigns/999/launch", {}, lambda r: r.status_code == 404),
        "holdout.override": ("post", "/api/v1/campaigns/999/holdout", {"json": {"mode": "include"}},
                             lambda r: r.status_code == 404),
        "campaigns.results": ("get", "/api/v1/campaigns/999/results", {}, lambda r: r.status_code == 404),
        "outbox.read": ("get", "/api/v1/outbox", {}, lambda r: r.status_code == 200),
        "outbox.manage": ("post", "/api/v1/outbox/999/requeue", {}, lambda r: r.status_code == 404),
        "contact_events.write": ("post", "/api/v1/contact-events", {"json": {"kind": "bounce", "email": "nobody@example.org"}},
                                 lambda r: r.status_code != 403),
        "relationship_rules.manage": ("put", "/api/v1/relationship-rules", {"json": {"toml": ""}},
                                      lambda r: r.status_code == 200),
        "service_levels.manage": ("put", "/api/v1/service-levels", {"json": {"toml": ""}},
                                  lambda r: r.status_code == 200),
    }


def test_every_action_is_walked():
    assert set(_requests(1)) | NOT_ON_THE_WEB == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_through_the_api(world, role):
    client, tokens, party = world
    for action, (method, url, kwargs, allowed) in _requests(party).items():
        if action == "imports.parties" and "imports.run" not in {a for a in MATRIX if role in MATRIX[a]}:
            continue  # refused earlier, for imports.run (walked above)
        r = client.request(method, url, headers={"Authorization": f"Bearer {tokens[role]}"}, **kwargs)
        expected = role in MATRIX[action]
        assert allowed(r) == expected, (role, action, r.status_code, r.text[:200])
        if not expected and action != "personal_data.read":
            assert r.status_code == 403 and f"The {role} role" in r.json()["error"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_in_the_pages(world, role):
    client, _, party = world
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"username": f"{role}_user", "password": PASSWORD, "csrf": csrf})
    imports = client.get("/imports")
    assert ('action="/imports/preview"' in imports.text) == (role in MATRIX["imports.run"])
    assert (client.get("/audit").status_code == 200) == (role in MATRIX["audit.read"])
    assert (client.get("/users").status_code == 200) == (role in MATRIX["users.manage"])
    assert (client.get("/campaigns/999/results").status_code == 404) == (role in MATRIX["campaigns.results"])
    page = client.get(f"/customers/{party}").text
    assert ("ana@example.com" in page) == (role in MATRIX["personal_data.read"])
    may_privacy = role in MATRIX["privacy.requests"]
    assert ("Privacy request…" in page) == may_privacy
    assert (client.get(f"/customers/{party}/privacy").status_code == 200) == may_privacy
    export = client.get(f"/customers/{party}/privacy/export")
    assert (export.status_code == 200 and export.headers["content-type"] == "application/zip") == may_privacy
    client.cookies.clear()
