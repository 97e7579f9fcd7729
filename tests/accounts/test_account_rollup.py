"""``patron accounts rollup [ACCOUNT]`` and ``GET /api/v1/accounts/{id}/rollup`` on every store, against the
demo's truth (``hierarchy``): each planted group is listed with its members at their depth, its value (what
the group was invoiced, less the invoices the import refused) and its people (the group's contacts); the
API answers every role that reads customers, and nobody without a token."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from companies import demo_company
from patron.areas.users.service import add_user, issue_token
from patron.service.permissions import MATRIX
from patron.service.resolve import run_resolution
from patron.store.vocabulary import ROLES
from store_engines import ENGINES, new_store_url

PASSWORD = "a long enough password"


@pytest.fixture(scope="module", params=ENGINES)
def demo(request, tmp_path_factory):
    """The demo's store (closed, by URL), its groups in party ids with their expected value, and a token per
    role."""
    folder = tmp_path_factory.mktemp("rollup")
    url = new_store_url(request, request.param, folder)
    store = demo_company(folder, 1500, 4, url, analysed=False)
    run_resolution(store)  # the ERP's customer and the CRM's account become one organisation
    doc = json.loads((folder / "data" / "truth.json").read_text())
    refused = {d["record_id"]: d["original"] for d in doc["defects"] if d["file"] == "erp_invoices.parquet"}
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'crm'"))
    erp_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    lost = {}  # per party, the value of its invoices the import refused (no customer key)
    for i in pq.read_table(folder / "data" / "erp_invoices.parquet").to_pylist():
        if i["invoice_id"] in refused:
            lost[erp_of[refused[i["invoice_id"]]]] = lost.get(erp_of[refused[i["invoice_id"]]], 0.0) + i["net_amount"]
    groups = []
    for g in doc["hierarchy"]["groups"]:
        ids = [party_of[g["parent_key"]], *(party_of[m["key"]] for m in g["members"])]
        groups.append({"head": ids[0], "contacts": g["contacts"],
                       "value": g["invoiced"] - sum(lost.get(p, 0.0) for p in ids),
                       "members": {(party_of[m["key"]], party_of[m["parent_key"]], m["link_type"], m["depth"])
                                   for m in g["members"]}})
    tokens = {role: issue_token(store, add_user(store, f"{role}_user", PASSWORD, role), "t") for role in ROLES}
    person = store.scalar("SELECT min(party_id) FROM parties WHERE kind = 'person'")
    store.close()
    yield url, groups, tokens, person


def _row(out: str, *cells) -> bool:
    """Whether a line of the table shows ``cells`` side by side (cells that hold no space are never wrapped)."""
    pattern = r"\s*[│|]\s*".join(re.escape(str(c)) for c in cells)
    return any(re.search(r"[│|]\s*" + pattern + r"\s*[│|]", line) for line in out.splitlines())


def test_the_command_lists_every_group_and_one_account_s_group(demo):
    from patron.cli.app import app, register

    url, groups, _, _ = demo
    register()
    run = CliRunner().invoke(app, ["accounts", "rollup", "--store", url], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "account groups as of" in run.stdout and f"({len(groups)})" in run.stdout
    for g in groups:
        assert _row(run.stdout, g["head"], 0), g
        for pid, _, _, depth in g["members"]:
            assert _row(run.stdout, pid, depth), (g, pid)
    # One group: the head's own, with the group's value and people in its last row.
    g = max(groups, key=lambda g: len(g["members"]))
    run = CliRunner().invoke(app, ["accounts", "rollup", str(g["head"]), "--store", url], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert "(1)" in run.stdout and _row(run.stdout, g["head"], 0)
    assert all(_row(run.stdout, pid, depth) for pid, _, _, depth in g["members"])
    # The group's value to the cent (a sum of floats may round either way) and its people, side by side.
    assert any(_row(run.stdout, f"{g['value'] + cents:,.2f}", f"{g['contacts']:,}") for cents in (-0.01, 0, 0.01)), \
        run.stdout
    others = {h["head"] for h in groups} - {g["head"]}
    assert not any(_row(run.stdout, h, 0) for h in others)
    run = CliRunner().invoke(app, ["accounts", "rollup", "999999999", "--store", url])
    assert run.exit_code != 0 and "There is no party 999999999" in run.output + str(run.exception)


def test_the_api_rolls_up_each_group_for_every_role_that_reads_customers(demo):
    from patron.app import create_app

    url, groups, tokens, person = demo
    with TestClient(create_app(url)) as client:
        for g in groups:
            r = client.get(f"/api/v1/accounts/{g['head']}/rollup", headers={"Authorization": f"Bearer {tokens['sales']}"})
            assert r.status_code == 200, r.text
            body = r.json()
            head, *below = body["members"]
            assert (head["party_id"], head["depth"], head["parent"]) == (g["head"], 0, None)
            assert {(m["party_id"], m["parent"], m["link_type"], m["depth"]) for m in below} == g["members"]
            assert body["revenue"] == pytest.approx(g["value"], abs=0.01)
            assert body["people"] == g["contacts"] == sum(m["people"] for m in body["members"])
            assert body["revenue"] == pytest.approx(sum(m["revenue"] for m in body["members"]), abs=0.01)
            assert body["activity_365d"] == sum(m["activity_365d"] for m in body["members"])
            assert body["engaged"] == sum(m["engaged"] for m in body["members"])
            assert body["strength"] == pytest.approx(sum(m["strength"] for m in body["members"]) / len(below + [head]),
                                                     abs=0.01)
            assert body["weakest"]["party_id"] in {m["party_id"] for m in below}
        head = groups[0]["head"]
        for role in ROLES:
            r = client.get(f"/api/v1/accounts/{head}/rollup", headers={"Authorization": f"Bearer {tokens[role]}"})
            assert r.status_code == (200 if role in MATRIX["customers.read"] else 403), (role, r.text)
        assert client.get(f"/api/v1/accounts/{head}/rollup").status_code == 401
        auth = {"Authorization": f"Bearer {tokens['analyst']}"}
        assert client.get("/api/v1/accounts/999999999/rollup", headers=auth).status_code == 404
        r = client.get(f"/api/v1/accounts/{person}/rollup", headers=auth)
        assert r.status_code == 400 and "is a person, not an account" in r.json()["error"]
