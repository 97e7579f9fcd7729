"""Consent honoured: a contact list leaves out whoever's latest consent for the channel is not a grant, the
customer page shows the ledger, and a suppressed person is never on a list (on both stores)."""

from __future__ import annotations

import csv
import io

import pytest

from companies import demo_company
from patron.areas.parties.service import party_360
from patron.areas.segments.service import CustomerFilter, export_csv, export_customers, list_customers
from patron.errors import InvalidInput
from patron.service.consent import ConsentRule
from patron.service.permissions import User
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")


@pytest.fixture(scope="module", params=ENGINES)
def company(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("consent")
    with demo_company(root, 800, 6, new_store_url(request, request.param, root)) as store:
        yield store


def latest_email(store) -> dict[int, bool]:
    """Each party's latest email consent, computed here in Python from the raw ledger."""
    latest: dict[int, tuple] = {}
    for party, granted, at, cid in store.query("SELECT party_id, granted, recorded_at, consent_id FROM consents "
                                               "WHERE channel = 'email'"):
        if party not in latest or (at, cid) > latest[party][:2]:
            latest[party] = (at, cid, granted)
    return {p: v[2] for p, v in latest.items()}


def test_a_segment_export_leaves_out_withdrawn_and_missing_consent(company):
    store = company
    truth = latest_email(store)
    withdrawn = {p for p, g in truth.items() if not g}
    assert withdrawn, "the demo company plants withdrawn consents"
    text = "".join(export_csv(store, ADMIN, "triage", "best"))
    exported = [r for r in csv.DictReader(io.StringIO(text))]
    members = {r["party_id"] for r in list_customers(store, CustomerFilter(triage="best"), limit=100_000)[1]}
    ids = {int(r["Customer number"]) for r in exported}
    assert ids and ids <= {int(m) for m in members}
    assert all(truth.get(i) is True for i in ids)  # every one of them granted email, latest
    assert {int(m) for m in members if truth.get(int(m)) is True} == ids  # and no one who did is missing
    assert {r["Consent"] for r in exported} == {"granted"}
    # Marked instead of excluded: everyone, with their status.
    marked = list(csv.DictReader(io.StringIO("".join(export_csv(store, ADMIN, "triage", "best",
                                                                consent=ConsentRule(without="mark"))))))
    assert len(marked) == len(members)
    statuses = {int(r["Customer number"]): r["Consent"] for r in marked}
    assert all(statuses[p] == "withdrawn" for p in withdrawn if p in statuses)
    assert all(statuses[p] == "none" for p in statuses if p not in truth)


def test_a_purpose_counts_only_its_own_consents(company, tmp_path):
    store = company
    sms = export_customers(store, CustomerFilter(), tmp_path / "sms.csv", ConsentRule("sms", "offers"))
    granted = store.scalar("SELECT count(DISTINCT c.party_id) FROM consents c JOIN scores s ON s.party_id = c.party_id "
                           "AND s.run_id = (SELECT max(run_id) FROM runs) WHERE channel = 'sms' AND purpose = 'offers' "
                           "AND granted")
    assert sms == granted > 0
    analysis = export_customers(store, CustomerFilter(), tmp_path / "all.csv", None)
    header = (tmp_path / "all.csv").read_text().splitlines()[0].split(",")
    assert analysis == store.scalar("SELECT count(*) FROM scores WHERE run_id = (SELECT max(run_id) FROM runs)")
    assert "Email" not in header and "Name" not in header
    with pytest.raises(InvalidInput, match="Unknown channel"):
        ConsentRule("pigeon")


def test_the_customer_page_shows_the_ledger(company):
    store = company
    party = store.scalar("SELECT party_id FROM consents GROUP BY party_id HAVING count(*) > 1 ORDER BY 1 LIMIT 1")
    view = party_360(store, ADMIN, party)
    assert view["consents"] and view["suppressed"] is False
    rows = {(c["channel"], c["purpose"]): c for c in view["consents"]}
    for (channel, purpose), c in rows.items():
        latest = store.query("SELECT granted FROM consents WHERE party_id = ? AND channel = ? AND purpose = ? "
                             "ORDER BY recorded_at DESC, consent_id DESC LIMIT 1", [party, channel, purpose])[0][0]
        assert c["granted"] == latest
