"""The demo's account hierarchies (``patron.demo.hierarchy``) are recovered on every store: each group's head
rolls up its subsidiaries and their sites at the planted depth, and its value is what the whole group was
invoiced (less the invoices the import refused), its people are the group's contacts, its activity and health
the sum of its members'."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from companies import demo_company
from patron.areas.accounts import service
from patron.service.resolve import run_resolution
from store_engines import ENGINES, new_store_url


@pytest.fixture(scope="module", params=ENGINES)
def demo(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hierarchy")
    store = demo_company(folder, 1500, 4, new_store_url(request, request.param, folder), analysed=False)
    run_resolution(store)  # the ERP's customer and the CRM's account become one organisation
    doc = json.loads((folder / "data" / "truth.json").read_text())
    refused = {d["record_id"] for d in doc["defects"] if d["file"] == "erp_invoices.parquet"}
    invoices = pq.read_table(folder / "data" / "erp_invoices.parquet").to_pylist()
    party_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'crm'"))
    erp_of = dict(store.query("SELECT source_key, party_id FROM identities WHERE source = 'webshop'"))
    lost = {}  # per party, the value of its invoices the import refused (no customer key)
    for i in invoices:
        if i["invoice_id"] in refused:
            original = next(d["original"] for d in doc["defects"] if d["record_id"] == i["invoice_id"])
            lost[erp_of[original]] = lost.get(erp_of[original], 0.0) + i["net_amount"]
    yield store, doc["hierarchy"], party_of, lost
    store.close()


def test_every_planted_group_rolls_up_its_members_at_their_depth(demo):
    store, truth, party_of, _ = demo
    groups = truth["groups"]
    assert len(groups) >= 2 and any(m["depth"] == 2 for g in groups for m in g["members"])
    for g in groups:
        roll = service.rollup(store, service.OPERATOR, party_of[g["parent_key"]])
        got = {(c["party_id"], c["parent"], c["link_type"], c["depth"]) for c in roll["children"]}
        assert got == {(party_of[m["key"]], party_of[m["parent_key"]], m["link_type"], m["depth"])
                       for m in g["members"]}, g
        # A member rolls up into its own parent only: a subsidiary with a site rolls the site up.
        for m in g["members"]:
            below = service.rollup(store, service.OPERATOR, party_of[m["key"]])["children"]
            assert {c["party_id"] for c in below} == {party_of[s["key"]] for s in g["members"]
                                                      if s["parent_key"] == m["key"]}


def test_value_people_activity_and_health_are_counted_over_the_group(demo):
    store, truth, party_of, lost = demo
    for g in truth["groups"]:
        head = party_of[g["parent_key"]]
        view = service.account_view(store, service.OPERATOR, head)
        roll = view["rollup"]
        ids = [head, *(party_of[m["key"]] for m in g["members"])]
        assert roll["revenue"] == pytest.approx(g["invoiced"] - sum(lost.get(p, 0.0) for p in ids), abs=0.01), g
        assert roll["revenue"] > view["revenue"]  # the group is worth more than its head alone
        members = [service.account_view(store, service.OPERATOR, p, as_of=view["as_of"]) for p in ids]
        assert sum(len(v["people"]) for v in members) == g["contacts"]
        assert len(view["people"]) + sum(c["people"] for c in roll["children"]) == g["contacts"]
        assert roll["activity_365d"] == sum(sum(v["activity_365d"].values()) for v in members)
        assert roll["engaged"] == sum(v["engaged"] for v in members)
        assert roll["strength"] == pytest.approx(sum(v["strength"] for v in members) / len(members), abs=0.01)


def test_accounts_outside_the_groups_roll_up_nothing(demo):
    store, truth, party_of, _ = demo
    grouped = {k for g in truth["groups"] for k in (g["parent_key"], *(m["key"] for m in g["members"]))}
    alone = [k for k in party_of if k.startswith("ACC-") and k not in grouped]
    assert alone
    for key in alone:
        assert service.rollup(store, service.OPERATOR, party_of[key])["children"] == []


def test_the_rollup_written_for_every_engine_equals_the_account_view(demo):
    """The Ibis roll-up (what Spark computes over a lake) on the store's own database gives the account
    view's figures for every head of a group, subsidiaries with sites included."""
    from patron.analytics.account_rollup import account_rollup
    from patron.engines.store import StoreEngine

    store, truth, party_of, _ = demo
    at = service.account_view(store, service.OPERATOR, party_of[truth["groups"][0]["parent_key"]])["as_of"]
    rows = {r["party_id"]: r for r in account_rollup(StoreEngine(store), at).to_pyarrow().to_pylist()}
    heads = {party_of[g["parent_key"]] for g in truth["groups"]} | {
        party_of[m["parent_key"]] for g in truth["groups"] for m in g["members"]}
    assert set(rows) == heads
    for pid, r in rows.items():
        roll = service.rollup(store, service.OPERATOR, pid, as_of=at)
        people = len(service.account_view(store, service.OPERATOR, pid, as_of=at)["people"])
        assert (r["members"], r["people"], r["activity_365d"], r["engaged"]) == (
            1 + len(roll["children"]), people + sum(c["people"] for c in roll["children"]), roll["activity_365d"],
            roll["engaged"]), pid
        assert r["revenue"] == pytest.approx(roll["revenue"], abs=0.005)
