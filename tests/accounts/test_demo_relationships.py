"""The demo company's planted relationships are recovered: buying-centre roles, reporting lines, coverage."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from companies import demo_company
from patron.areas.accounts import service


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("relationships")
    store = demo_company(folder, 1500, 4, analysed=False)
    yield store, pq.read_table(folder / "data" / "truth_relationships.parquet").to_pylist()
    store.close()


def test_buying_roles_and_reporting_lines_are_recovered(demo):
    store, truth = demo
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'crm'"))
    accounts = {t["account_key"] for t in truth}
    assert len(accounts) >= 10
    seen_roles, seen_boss = {}, {}
    for key in accounts:
        view = service.account_view(store, service.OPERATOR, party_of[key])
        for p in view["people"]:
            seen_roles[p["party_id"]] = p["buying_roles"]
            seen_boss[p["party_id"]] = p["reports_to"]
        # Everyone in the org chart, under one head.
        assert len(view["org_chart"]) == 1
        assert 1 + len(view["org_chart"][0]["reports"]) == len(view["people"])
        held = {r for p in view["people"] for r in p["buying_roles"]}
        assert all(bool(view["coverage"][r]) <= (r in held) for r in view["coverage"])
        assert ("coverage" in [a["kind"] for a in view["alerts"]]) == (not {"decider", "buyer"} <= held)
    for t in truth:
        pid = party_of[t["contact_key"]]
        assert seen_roles[pid] == [t["buying_role"]], t
        assert seen_boss[pid] == (party_of[t["reports_to_key"]] if t["reports_to_key"] else None), t


def test_the_portfolio_and_network_cover_the_demo(demo):
    store, truth = demo
    rows = service.accounts(store, service.OPERATOR)
    assert len(rows) >= len({t["account_key"] for t in truth})
    n = service.network_summary(store, service.OPERATOR)
    assert n["edges"] >= len(truth) and n["communities"]
    # The demo's referral chains (webshop "referred by") are in the network.
    referred = store.scalar("SELECT count(*) FROM parties WHERE referred_by IS NOT NULL")
    assert sum(r["direct"] for r in service.network_summary(store, service.OPERATOR, top=10**6)["referrers"]) \
        == referred
