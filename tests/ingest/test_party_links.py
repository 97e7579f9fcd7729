"""Importing links between parties: a CRM's contact roles, on every store."""

from __future__ import annotations

import datetime as dt

from patron.ingest import import_file
from patron.service import resolve

CONTACT_ROLES = """Id,ContactId,AccountId,Role,StartDate,EndDate
R1,C1,A1,Decision Maker,2023-01-15,
R2,C2,A1,Economic Buyer,2023-02-01,
R3,C3,A1,Other,2022-06-01,2024-03-31
R4,C4,A2,Technical Buyer,,
R5,C5,A2,Executive Sponsor,2024-05-01,2024-01-01
R6,C6,,Influencer,,
R1,C1,A1,Decision Maker,2023-01-15,
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def links(store):
    return store.query(
        "SELECT pi.source_key, oi.source_key, l.link_type, l.role, l.since, l.until FROM party_links l "
        "JOIN identities pi ON pi.party_id = l.party_id JOIN identities oi ON oi.party_id = l.other_party_id "
        "ORDER BY l.external_id")


def test_salesforce_contact_roles_become_buying_centre_roles(store, tmp_path):
    r = import_file(store, write(tmp_path, "roles.csv", CONTACT_ROLES), preset="salesforce-contact-roles")
    assert (r.rows_read, r.accepted, r.rejected) == (7, 4, 3)
    assert r.new_parties == 4 + 2  # four contacts and two accounts
    assert links(store) == [
        ("C1", "A1", "buying_role", "decider", dt.date(2023, 1, 15), None),
        ("C2", "A1", "buying_role", "buyer", dt.date(2023, 2, 1), None),
        ("C3", "A1", "works_for", "Other", dt.date(2022, 6, 1), dt.date(2024, 3, 31)),
        ("C4", "A2", "buying_role", "gatekeeper", None, None),
    ]
    # The accounts are organisations, the contacts persons.
    kinds = dict(store.query("SELECT i.source_key, p.kind FROM parties p JOIN identities i USING (party_id)"))
    assert kinds["A1"] == kinds["A2"] == "organisation" and kinds["C1"] == "person"
    reasons = sorted(r[0] for r in store.query("SELECT reason FROM quarantine"))
    assert reasons == ["missing other_key (column 'AccountId')",
                       "record id 'R1' appears more than once in this file",
                       "the link ends (until) before it begins (since)"]
    again = import_file(store, write(tmp_path, "roles.csv", CONTACT_ROLES), preset="salesforce-contact-roles")
    assert (again.accepted, again.already_present) == (0, 4)
    assert store.count("party_links") == 4
    assert store.integrity_problems() == []


def test_a_generic_links_file_is_checked(store, tmp_path):
    text = ("contact_id,account_id,link_type,role,department\n"
            "P1,P2,reports_to,,sales\n"
            "P1,ORG,buying_role,chief,\n"
            "P3,P3,referred,,\n"
            "P4,ORG,household,,\n")
    r = import_file(store, write(tmp_path, "links.csv", text), kind="party_links", source="crm")
    assert (r.accepted, r.rejected) == (2, 2)
    reasons = sorted(r[0] for r in store.query("SELECT reason FROM quarantine"))
    assert reasons[0].startswith("a buying-centre role must be one of initiator")
    assert reasons[1] == "a party cannot be linked to itself"
    kinds = dict(store.query("SELECT i.source_key, p.kind FROM parties p JOIN identities i USING (party_id)"))
    assert kinds["P2"] == "person"  # a manager is a person


def test_links_follow_both_of_their_parties_through_a_merge_and_its_undo(store, tmp_path):
    import_file(store, write(tmp_path, "roles.csv", CONTACT_ROLES), preset="salesforce-contact-roles")
    ids = dict(store.query("SELECT source_key, party_id FROM identities"))
    before = sorted(store.query("SELECT external_id, party_id, other_party_id FROM party_links"))
    # A1 (the account C1, C2 and C3 belong to) merged into A2; C2 merged into C1.
    with store.transaction():
        for n, (left, right) in enumerate(((ids["A2"], ids["A1"]), (ids["C1"], ids["C2"])), start=1):
            store.raw.execute(
                "INSERT INTO review_queue (review_id, run_id, left_party_id, right_party_id, match_weight, "
                "match_probability, explanation, created_at) VALUES (?, 0, ?, ?, 5.0, 0.9, '[]', now()::TIMESTAMP)",
                [n, left, right])
    first = resolve.decide_review(store, 1, accept=True, by="test")
    second = resolve.decide_review(store, 2, accept=True, by="test")
    merged = sorted(store.query("SELECT external_id, party_id, other_party_id FROM party_links"))
    assert merged == [("R1", ids["C1"], ids["A2"]), ("R2", ids["C1"], ids["A2"]), ("R3", ids["C3"], ids["A2"]),
                      ("R4", ids["C4"], ids["A2"])]
    assert store.integrity_problems() == []
    resolve.undo(store, second["merge_id"], by="test")
    resolve.undo(store, first["merge_id"], by="test")
    assert sorted(store.query("SELECT external_id, party_id, other_party_id FROM party_links")) == before
    assert store.integrity_problems() == []
