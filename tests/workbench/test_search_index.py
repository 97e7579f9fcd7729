"""The search index (``party_search``) follows every write to a party's name, email and phone, on both backends:
imports and their undo, forms, merges and their undo, erasure; ``patron reindex`` makes the same rows again."""

from __future__ import annotations

from patron.areas.parties import lists
from patron.areas.parties.service import search_parties
from patron.areas.privacy.service import erase
from patron.ingest import import_file
from patron.ingest.undo import undo_import
from patron.service import resolve
from patron.service.permissions import User
from patron.store import search_index

SUE = User(1, "sue", "admin")


def _found(store, q):
    return [r["party_id"] for r in search_parties(store, SUE, q)[1]]


def _index(store):
    return sorted(store.query("SELECT token, party_id, field, clv FROM party_search"), key=str)


def _party(store, key):
    return store.scalar("SELECT party_id FROM identities WHERE source = 'crm' AND source_key = ?", [key])


def test_the_index_follows_imports_edits_merges_and_erasure(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email,phone,country\n"
                      "C1,Anna Müller,anna@example.com,+44 20 7946 0958,GB\n"
                      "C2,Jorge Núñez,jorge@example.org,0034 91 123 45 67,ES\n"
                      "C3,Li Wei,,,CN\n")
    first = import_file(store, people, "parties", source="crm")
    anna, jorge, li = _party(store, "C1"), _party(store, "C2"), _party(store, "C3")
    for q, who in (("mül", anna), ("NUNEZ jor", jorge), ("020 7946 0958", anna), ("+34 911 234 567", jorge),
                   ("jorge@EXAMPLE.org", jorge), ("example.org", jorge), ("wei li", li)):
        assert _found(store, q) == [who], q
    assert _found(store, "ller") == [] and _found(store, "anna jorge") == []  # words start names' words
    # A later file that changes a name: found by the new one only; its undo puts the old one back.
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("customer_id,name\nC3,Wei Zhang\n")
    second = import_file(store, renamed, "parties", source="crm")
    assert _found(store, "zhang") == [li] and _found(store, "li wei") == []
    undo_import(store, second.import_id, by="test")
    assert _found(store, "li wei") == [li] and _found(store, "zhang") == []
    # A form's edit.
    lists.update_party(store, SUE, jorge, {"phone": "+1 555 0100 200", "email": "jn@example.net"})
    assert _found(store, "555 0100 200") == [jorge] and _found(store, "0034 91 123 45 67") == []
    assert _found(store, "jn@example.net") == [jorge] and _found(store, "jorge@example.org") == []
    # A merge: the merged party is no longer found, the survivor is found by what it was filled with.
    with store.transaction():
        store.raw.execute(
            "INSERT INTO review_queue (review_id, run_id, left_party_id, right_party_id, match_weight, "
            "match_probability, explanation, created_at) VALUES (1, 0, ?, ?, 5.0, 0.9, '[]', now()::TIMESTAMP)",
            [li, jorge])
    merge = resolve.decide_review(store, 1, accept=True, by="test")
    assert _found(store, "nunez") == [] and _found(store, "jn@example.net") == [li]
    assert _index(store) == _rebuilt(store)
    resolve.undo(store, merge["merge_id"], by="test")
    assert _found(store, "nunez") == [jorge] and _found(store, "jn@example.net") == [jorge]
    assert _index(store) == _rebuilt(store)
    # Erasure leaves nothing of the person in the index; undoing the first import removes its parties.
    erase(store, SUE, anna)
    assert store.scalar("SELECT count(*) FROM party_search WHERE party_id = ?", [anna]) == 0
    assert _found(store, "muller") == [] and _found(store, "020 7946 0958") == []
    undo_import(store, first.import_id, by="test")
    assert store.scalar("SELECT count(*) FROM party_search") == store.scalar(
        "SELECT count(*) FROM party_search WHERE party_id IN (SELECT party_id FROM parties)")


def _rebuilt(store):
    """The index as ``patron reindex`` makes it (and then made so in the store)."""
    search_index.rebuild(store)
    return _index(store)


def test_a_store_older_than_the_index_builds_it_at_its_first_search(engine_store):
    store = engine_store
    with store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, kind, category, name, created_at) "
                          "VALUES (7, 'person', 'customer', 'Zoë Ødegaard', now()::TIMESTAMP)")
        store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) "
                          "VALUES ('search_index', 'to build', now()::TIMESTAMP, 'patron')")
    assert search_index.stale(store)
    assert _found(store, "zoe") == [7]
    assert not search_index.stale(store)
    assert ("zoe", 7, "name", None) in _index(store)
