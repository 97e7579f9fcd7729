"""Privacy requests: a person's export holds all of their rows; after an erasure, their name, email and phone
are in no table, totals are unchanged, and a later import does not bring them back (on both stores)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from companies import demo_company
from patron.areas.privacy.service import erase, export_archive
from patron.areas.segments.service import CustomerFilter, list_customers
from patron.errors import Conflict, PermissionDenied
from patron.ingest import import_file
from patron.service.consent import ConsentRule
from patron.service.permissions import User
from patron.store.tables import TABLES
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")


@pytest.fixture(params=ENGINES)
def company(request, tmp_path):
    with demo_company(tmp_path, 400, 8, new_store_url(request, request.param, tmp_path)) as store:
        yield store, tmp_path


def _person(store):
    """A customer with a name, an email and a phone, and with purchases, interactions and consents."""
    return store.query(
        "SELECT p.party_id, p.name, p.email, p.phone FROM parties p WHERE p.email IS NOT NULL AND p.phone IS NOT "
        "NULL AND p.name IS NOT NULL AND p.kind = 'person' AND EXISTS (SELECT 1 FROM consents c WHERE c.party_id = "
        "p.party_id AND c.channel = 'email' AND c.granted) AND EXISTS (SELECT 1 FROM transactions t WHERE "
        "t.party_id = p.party_id) ORDER BY p.party_id LIMIT 1")[0]


def _text_columns(store, table):
    return [r[0] for r in store.query("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "AND data_type IN ('VARCHAR', 'character varying', 'text')", [table])]


def test_export_holds_every_row_of_the_person(company):
    store, _ = company
    party, name, email, _ = _person(store)
    archive = zipfile.ZipFile(io.BytesIO(export_archive(store, ADMIN, party)))
    data = json.loads(archive.read("personal_data.json"))
    assert data["tables"]["parties"][0]["email"] == email
    for table in TABLES:
        if table.party_column:
            expected = store.scalar(f"SELECT count(*) FROM {table.name} WHERE {table.party_column} = ?", [party])
            assert len(data["tables"][table.name]) == expected, table.name
    assert "transactions.csv" in archive.namelist() and "consents.csv" in archive.namelist()
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'privacy.export' AND entity_id = ?",
                        [party]) == 1
    with pytest.raises(PermissionDenied):
        export_archive(store, User(2, "max", "marketing"), party)


def test_erase_leaves_no_trace_keeps_totals_and_blocks_reimport(company):
    store, root = company
    party, name, email, phone = _person(store)
    keys = [k for (k,) in store.query("SELECT source_key FROM identities WHERE party_id = ?", [party])]
    revenue = store.scalar("SELECT sum(revenue) FROM transactions")
    counts = {t: store.count(t) for t in ("transactions", "interactions", "complaints", "feedback", "consents")}
    on_list = {r["party_id"] for r in list_customers(store, CustomerFilter(), limit=100_000,
                                                     consent=ConsentRule())[1]}
    assert party in on_list
    erase(store, ADMIN, party)
    # Nothing in clear in any table: every text column of every table searched.
    tables = [r[0] for r in store.query("SELECT table_name FROM information_schema.tables WHERE table_schema IN "
                                        "('main', 'public') AND table_type = 'BASE TABLE'")]
    for table in tables:
        for column in _text_columns(store, table):
            for value in (name, email, phone):
                hits = store.scalar(f'SELECT count(*) FROM {table} WHERE position(? IN "{column}") > 0', [value])
                assert hits == 0, (table, column, value)
            for key in keys:  # other customers' keys may contain it: the exact key, or as a part of a fact's key
                hits = store.scalar(f'SELECT count(*) FROM {table} WHERE "{column}" = ? OR "{column}" LIKE ? '
                                    f'OR "{column}" LIKE ?', [key, f"%-{key}-%", f"%-{key}"])
                assert hits == 0, (table, column, key)
    # Aggregates stay right: the facts are kept, anonymised.
    assert store.scalar("SELECT sum(revenue) FROM transactions") == revenue
    assert {t: store.count(t) for t in counts} == counts
    # Never on a contact list again, and an import of their record does not bring them back.
    assert party not in {r["party_id"] for r in list_customers(store, CustomerFilter(), limit=100_000,
                                                               consent=ConsentRule(without="mark"))[1]
                         if r["consent"] == "granted"}
    source = store.scalar("SELECT source FROM identities WHERE party_id = ? ORDER BY source LIMIT 1", [party])
    (root / "again.csv").write_text(f"customer_id,name,email\n{keys[0]},{name},{email}\nNEW1,New Person,new@x.org\n")
    r = import_file(store, root / "again.csv", "parties", source=source)
    assert (r.accepted, r.rejected, r.new_parties) == (1, 1, 1)
    assert "erased on request" in store.scalar("SELECT reason FROM quarantine WHERE import_id = ?", [r.import_id])
    assert store.scalar("SELECT count(*) FROM parties WHERE name = ?", [name]) == 0
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'privacy.erase'") == 1
    with pytest.raises(Conflict, match="already erased"):
        erase(store, ADMIN, party)
