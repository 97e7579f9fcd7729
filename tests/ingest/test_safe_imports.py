"""Imports that cannot hurt: the kind read from the columns, a preview that stores nothing, activity that
does not invent customers, and an undo that puts everything back (on both stores)."""

from __future__ import annotations

import pytest

from patron.errors import Conflict, ImportRejected
from patron.ingest import import_file
from patron.ingest.detect import detect_kind, file_columns, kind_warning
from patron.ingest.undo import undo_import

PARTIES = ("customer_id,name,email,city,acquisition_channel\n"
           "C1,Ana Silva,ana@example.com,Lisbon,web\n"
           "C2,Bo Berg,bo@example.com,Malmo,store\n")
CALLS = ("customer_id,date,channel,direction,department,notes\n"
         "C1,2024-02-01 10:00,phone,inbound,service,asked about delivery\n"
         "C2,2024-02-02 11:00,email,outbound,sales,sent a quote\n"
         "999999999,2024-02-03 12:00,phone,inbound,service,wrong number\n")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def tables(store):
    """Every table a party's data lives in, in full, for before/after comparisons."""
    out = {}
    for name in ("parties", "identities", "transactions", "interactions", "feedback", "complaints", "consents"):
        out[name] = sorted(map(repr, store.query(f"SELECT * EXCLUDE (import_id) FROM {name}"
                                                  if store.backend_name == "duckdb" else f"SELECT * FROM {name}")))
    return out


def test_the_kind_is_read_from_the_columns(tmp_path):
    assert detect_kind(file_columns(write(tmp_path, "calls.csv", CALLS))) == "interactions"
    assert detect_kind(file_columns(write(tmp_path, "people.csv", PARTIES))) == "parties"
    orders = write(tmp_path, "orders.csv", "customer_id,order_date,amount,order_id\nC1,2024-01-01,5,o1\n")
    assert detect_kind(file_columns(orders)) == "transactions"
    # Too little to go on: the user says what the file holds.
    assert detect_kind(["customer_id", "x"]) is None
    assert "look like interactions" in kind_warning(file_columns(write(tmp_path, "c.csv", CALLS)), "parties")
    assert kind_warning(file_columns(write(tmp_path, "c.csv", CALLS)), "interactions") is None


def test_an_activity_file_imported_as_parties_is_refused_and_changes_nothing(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    before = tables(store)
    with pytest.raises(ImportRejected, match="look like interactions"):
        import_file(store, write(tmp_path, "calls.csv", CALLS), "parties", source="crm")
    assert tables(store) == before
    assert store.scalar("SELECT acquisition_channel FROM parties WHERE name = 'Ana Silva'") == "web"


def test_unknown_customer_keys_are_quarantined_not_invented(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    r = import_file(store, write(tmp_path, "calls.csv", CALLS), "interactions", source="crm")
    assert (r.accepted, r.rejected, r.new_parties) == (2, 1, 0)
    assert store.count("parties") == 2
    reason = store.scalar("SELECT reason FROM quarantine")
    assert "'999999999'" in reason and "not a known customer of crm" in reason
    # Asked for, the import does create the customer.
    again = write(tmp_path, "calls2.csv", CALLS.replace("wrong number", "new caller"))
    r = import_file(store, again, "interactions", source="crm", create_parties=True)
    assert r.new_parties == 1 and store.count("parties") == 3


def test_orders_still_create_customers(store, tmp_path):
    r = import_file(store, write(tmp_path, "o.csv", "customer_id,date,amount\nN1,2024-01-01,5\n"), "transactions",
                    source="shop")
    assert (r.accepted, r.new_parties) == (1, 1)


def test_a_dry_run_stores_nothing_and_shows_typed_rows(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    before, imports = tables(store), store.count("imports")
    r = import_file(store, write(tmp_path, "calls.csv", CALLS), "interactions", source="crm", dry_run=True,
                    sample=10)
    assert r.dry_run and (r.accepted, r.rejected) == (2, 1)
    assert tables(store) == before and store.count("imports") == imports and store.count("quarantine") == 0
    assert [s["record"] for s in r.sample] == [1, 2, 3]
    assert r.sample[0]["values"]["channel"] == "phone" and r.sample[0]["reason"] is None
    assert "not a known customer" in r.sample[2]["reason"]
    # The real import afterwards does what the preview said.
    real = import_file(store, write(tmp_path, "calls.csv", CALLS), "interactions", source="crm")
    assert (real.accepted, real.rejected) == (2, 1)


def test_undo_puts_changed_fields_back_exactly_and_keeps_a_history(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    before = tables(store)
    update = ("customer_id,name,email,city,acquisition_channel\n"
              "C1,Ana Silva,ana.silva@example.org,Porto,referral\n"
              "C3,Cy Dahl,cy@example.com,Oslo,web\n")
    r = import_file(store, write(tmp_path, "update.csv", update), "parties", source="crm")
    assert (r.updated, r.new_parties) == (1, 1)
    history = store.query("SELECT field, old_value, new_value, how FROM party_changes ORDER BY field")
    assert history == [("acquisition_channel", "web", "referral", "import"), ("city", "Lisbon", "Porto", "import"),
                       ("email", "ana@example.com", "ana.silva@example.org", "import")]
    undone = undo_import(store, r.import_id, by="alice")
    assert (undone.fields_restored, undone.parties_removed, undone.kept) == (3, 1, [])
    assert tables(store) == before
    assert store.scalar("SELECT undone_by FROM imports WHERE import_id = ?", [r.import_id]) == "alice"
    assert store.scalar("SELECT count(*) FROM party_changes WHERE how = 'undo'") == 3
    with pytest.raises(Conflict, match="already undone"):
        undo_import(store, r.import_id)


def test_undo_leaves_a_field_changed_again_since_and_says_which(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    first = import_file(store, write(tmp_path, "u1.csv", "customer_id,city\nC1,Porto\nC2,Bergen\n"), "parties",
                        source="crm")
    import_file(store, write(tmp_path, "u2.csv", "customer_id,city\nC1,Faro\n"), "parties", source="crm")
    undone = undo_import(store, first.import_id)
    assert undone.fields_restored == 1  # C2 back to Malmo
    assert [(f, v) for _, f, v in undone.kept] == [("city", "Faro")]
    assert dict(store.query("SELECT name, city FROM parties")) == {"Ana Silva": "Faro", "Bo Berg": "Malmo"}


def test_undo_of_an_activity_import_removes_its_facts_and_customers(store, tmp_path):
    import_file(store, write(tmp_path, "people.csv", PARTIES), "parties", source="crm")
    before = tables(store)
    r = import_file(store, write(tmp_path, "calls.csv", CALLS), "interactions", source="crm", create_parties=True)
    assert store.count("interactions") == 3 and store.count("parties") == 3
    undone = undo_import(store, r.import_id)
    assert undone.facts_removed == {"interactions": 3} and undone.parties_removed == 1
    assert tables(store) == before
    assert store.integrity_problems() == []


def test_undo_refuses_to_orphan_facts_of_other_imports(store, tmp_path):
    orders = import_file(store, write(tmp_path, "o.csv", "customer_id,date,amount\nN1,2024-01-01,5\n"),
                         "transactions", source="shop")
    import_file(store, write(tmp_path, "c.csv", "customer_id,date,channel\nN1,2024-01-05,phone\n"), "interactions",
                source="shop")
    with pytest.raises(Conflict, match="undo those imports first"):
        undo_import(store, orders.import_id)
    assert store.count("transactions") == 1 and store.count("parties") == 1
