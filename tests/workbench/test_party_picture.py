"""The read model (``party_picture`` and ``consent_latest``) follows every writer, on both backends: imports and
their undo, forms and bulk actions, the activity composer, consent changes, merges and their undo, erasure, and a
run made current (a backdated, failed or kept run changes nothing); after each, it equals the picture made whole.
The CLV the search tokens carry (``party_search.clv``, migration 24) is the picture's, after each of them too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from patron.areas.interactions.service import log_interaction
from patron.areas.parties import lists
from patron.areas.parties.service import search_parties
from patron.areas.privacy.service import erase
from patron.areas.users.service import add_user
from patron.ingest import import_file
from patron.ingest.undo import undo_import
from patron.service import resolve
from patron.service.permissions import User
from patron.service.runs import promote, settle_run
from patron.store import picture

SUE = User(1, "sue", "admin")
EMAIL = [{"field": "consent", "op": "granted", "value": "email"}]


def _rows(store, table="party_picture"):
    return sorted(store.records(f"SELECT * FROM {table}"), key=lambda r: tuple(str(v) for v in r.values()))


def _equals_rebuilt(store) -> None:
    """The picture as the writers left it is the picture made whole from the tables it summarises, and every
    search token carries its party's CLV from it."""
    kept = _rows(store), _rows(store, "consent_latest")
    assert _tokens_off(store) == []
    with store.transaction():
        picture.rebuild(store)
    assert kept == (_rows(store), _rows(store, "consent_latest"))


def _tokens_off(store):
    """Search tokens whose CLV is not their party's picture's (or of a party without one)."""
    return store.query("SELECT s.token, s.party_id, s.clv, p.clv FROM party_search s "
                       "LEFT JOIN party_picture p ON p.party_id = s.party_id "
                       "WHERE p.party_id IS NULL OR s.clv IS DISTINCT FROM p.clv")


def _by_value(store, party_ids):
    """``party_ids`` the most valuable first by their pictures' CLV (none last), then by id: a search's order
    among equally good matches."""
    clv = {i: _row(store, i)["clv"] for i in party_ids}
    return sorted(party_ids, key=lambda i: (clv[i] is None, -(clv[i] or 0), i))


def _row(store, party_id):
    found = store.records("SELECT * FROM party_picture WHERE party_id = ?", [party_id])
    return found[0] if found else None


def _party(store, key):
    return store.scalar("SELECT party_id FROM identities WHERE source = 'crm' AND source_key = ?", [key])


def _listed(store, filters=None):
    return {r["party_id"] for r in lists.customer_list(store, SUE, filters, limit=500)["items"]}


def _save_run(store, run_id, as_of, clv_by_party, diagnostics=None):
    """A value run's row and scores (one CLV a party), settled as an analysis settles it."""
    with store.transaction():
        store.raw.execute("INSERT INTO runs (run_id, kind, started_at, as_of, engine, settings) "
                          "VALUES (?, 'value', now()::TIMESTAMP, ?, 'duckdb', '{}')", [run_id, as_of])
        for party, clv in clv_by_party.items():
            store.raw.execute("INSERT INTO scores (run_id, party_id, clv, rung, triage, last_purchase_at) "
                              "VALUES (?, ?, ?, 'customer', 'best', ?)", [run_id, party, clv, as_of])
        return settle_run(store, run_id, as_of, diagnostics or {})[0]


def test_the_picture_follows_imports_edits_activity_consent_merges_and_erasure(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email,phone,country\n"
                      "C1,Anna Müller,anna@example.com,+44 20 7946 0958,GB\n"
                      "C2,Jorge Núñez,jorge@example.org,,ES\n"
                      "C3,Li Wei,,,CN\n")
    import_file(store, people, "parties", source="crm")
    anna, jorge, li = _party(store, "C1"), _party(store, "C2"), _party(store, "C3")
    assert {r["party_id"]: r["name"] for r in _rows(store)} == {anna: "Anna Müller", jorge: "Jorge Núñez",
                                                                 li: "Li Wei"}
    assert _row(store, anna)["run_id"] is None and _row(store, anna)["consent_email"] is None
    _equals_rebuilt(store)
    # Consent: the latest row per channel counts, whatever its purpose; a later file withdraws it.
    consents = tmp_path / "consents.csv"
    consents.write_text("customer_id,channel,purpose,granted,recorded_at\n"
                        "C1,email,newsletter,true,2024-01-01\n"
                        "C1,email,offers,true,2024-02-01\n"
                        "C2,sms,offers,true,2024-01-01\n")
    import_file(store, consents, "consents", source="crm")
    assert _row(store, anna)["consent_email"] is True and _row(store, jorge)["consent_sms"] is True
    assert _listed(store, EMAIL) == {anna}
    withdrawn = tmp_path / "withdrawn.csv"
    withdrawn.write_text("customer_id,channel,purpose,granted,recorded_at\nC1,email,newsletter,false,2024-03-01\n")
    later = import_file(store, withdrawn, "consents", source="crm")
    assert _row(store, anna)["consent_email"] is False and _listed(store, EMAIL) == set()
    assert _listed(store, [{"field": "consent", "op": "granted", "value": "email/offers"}]) == {anna}
    assert _listed(store, [{"field": "consent", "op": "not_granted", "value": "email"}]) == {anna, jorge, li}
    _equals_rebuilt(store)
    undo_import(store, later.import_id, by="test")  # the withdrawal undone: the grant is the latest again
    assert _row(store, anna)["consent_email"] is True and _listed(store, EMAIL) == {anna}
    _equals_rebuilt(store)
    # Activity: an imported call and one logged on the customer page; the last activity is the newest.
    calls = tmp_path / "calls.csv"
    calls.write_text("customer_id,occurred_at,channel\nC2,2024-04-01 10:00:00,phone\n")
    import_file(store, calls, "interactions", source="crm")
    assert _row(store, jorge)["last_activity"] == dt.datetime(2024, 4, 1, 10)
    log_interaction(store, SUE, jorge, channel="email", occurred_at=dt.datetime(2024, 5, 2, 9))
    assert _row(store, jorge)["last_interaction_at"] == dt.datetime(2024, 5, 2, 9)
    _equals_rebuilt(store)
    # A form's edit and a bulk owner: the list finds the new values.
    lists.update_party(store, SUE, li, {"name": "Wei Zhang", "city": "Beijing"})
    assert (_row(store, li)["name"], _row(store, li)["city"]) == ("Wei Zhang", "Beijing")
    add_user(store, "sue", "a long enough password", "admin")
    lists.assign_owner(store, SUE, "sue", party_ids=[anna, li])
    assert _listed(store, [{"field": "owner", "op": "eq", "value": "sue"}]) == {anna, li}
    _equals_rebuilt(store)
    # A merge moves the merged party's activity and consent to the survivor; its undo gives them back.
    with store.transaction():
        store.raw.execute(
            "INSERT INTO review_queue (review_id, run_id, left_party_id, right_party_id, match_weight, "
            "match_probability, explanation, created_at) VALUES (1, 0, ?, ?, 5.0, 0.9, '[]', now()::TIMESTAMP)",
            [li, jorge])
    merge = resolve.decide_review(store, 1, accept=True, by="test")
    assert _row(store, jorge) is None
    assert (_row(store, li)["consent_sms"], _row(store, li)["last_interaction_at"]) == (True,
                                                                                        dt.datetime(2024, 5, 2, 9))
    _equals_rebuilt(store)
    resolve.undo(store, merge["merge_id"], by="test")
    assert _row(store, jorge)["consent_sms"] is True and _row(store, li)["consent_sms"] is None
    _equals_rebuilt(store)
    # Erasure: the person is suppressed, their name gone from the picture too.
    erase(store, SUE, anna)
    assert _row(store, anna)["suppressed"] is True and _row(store, anna)["name"] != "Anna Müller"
    assert _listed(store, [{"field": "consent", "op": "granted", "value": "email/offers"}]) == set()
    _equals_rebuilt(store)
    # Undoing an import removes the parties it created from the picture.
    more = tmp_path / "more.csv"
    more.write_text("customer_id,name\nC4,Zoë Ødegaard\n")
    fourth = import_file(store, more, "parties", source="crm")
    assert _row(store, _party(store, "C4"))["name"] == "Zoë Ødegaard"
    undo_import(store, fourth.import_id, by="test")
    assert store.count("party_picture") == store.count("parties") == 3
    _equals_rebuilt(store)


def test_only_the_current_run_is_pictured(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name\nC1,Anna Müller\nC2,Jorge Núñez\n")
    import_file(store, people, "parties", source="crm")
    anna, jorge = _party(store, "C1"), _party(store, "C2")
    assert _save_run(store, 1, dt.datetime(2024, 6, 30), {anna: 100.0, jorge: 50.0}) == "current"
    assert (_row(store, anna)["run_id"], _row(store, anna)["clv"], _row(store, jorge)["clv"]) == (1, 100.0, 50.0)
    assert [r["party_id"] for r in search_parties(store, SUE, None)[1]] == [anna, jorge]  # CLV orders them
    # A backdated run is kept for comparison; a run that did not converge fails: the picture stays run 1's.
    assert _save_run(store, 2, dt.datetime(2023, 1, 20), {anna: 1.0, jorge: 900.0}) == "kept"
    failed = {"transaction_model": {"name": "bgnbd", "convergence": {"success": False, "message": "no"}}}
    assert _save_run(store, 3, dt.datetime(2024, 12, 31), {anna: 2.0, jorge: 800.0}, failed) == "failed"
    assert (_row(store, anna)["run_id"], _row(store, anna)["clv"]) == (1, 100.0)
    _equals_rebuilt(store)
    # A newer sound run becomes the picture; promoting the backdated one shows it instead.
    assert _save_run(store, 4, dt.datetime(2024, 12, 31), {anna: 20.0, jorge: 700.0}) == "current"
    assert (_row(store, jorge)["run_id"], _row(store, jorge)["clv"]) == (4, 700.0)
    assert [r["party_id"] for r in lists.customer_list(store, SUE, sort="-clv")["items"]] == [jorge, anna]
    promote(store, None, 2)
    assert (_row(store, jorge)["run_id"], _row(store, jorge)["clv"]) == (2, 900.0)
    _equals_rebuilt(store)


def test_a_store_older_than_the_picture_builds_it_when_opened(engine_url):
    from patron.store import Store

    with Store(engine_url) as store:
        with store.transaction():
            store.raw.execute("INSERT INTO parties (party_id, kind, category, name, created_at) "
                              "VALUES (7, 'person', 'customer', 'Zoë Ødegaard', now()::TIMESTAMP)")
            store.raw.execute("DELETE FROM party_picture")
            store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) "
                              "VALUES ('party_picture', 'to build', now()::TIMESTAMP, 'patron')")
        assert picture.stale(store)
        assert _listed(store) == {7}  # the first list builds it
        assert not picture.stale(store) and _row(store, 7)["name"] == "Zoë Ødegaard"


def test_a_name_search_orders_its_matches_by_the_clv_its_tokens_carry(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email\n" + "".join(
        f"C{i},{given} Müller,{given.lower()}@example.com\n" for i, given in enumerate(
            ("Anna", "Jorge", "Li", "Zoë", "Ben", "Ida"), start=1)) + "C7,Ana Nunes,ana@example.org\n")
    import_file(store, people, "parties", source="crm")
    ids = {key: _party(store, key) for key in ("C1", "C2", "C3", "C4", "C5", "C6", "C7")}
    mullers = [ids[f"C{i}"] for i in range(1, 7)]

    def found(q):
        return [r["party_id"] for r in search_parties(store, SUE, q, limit=50)[1]]

    # No run yet: every CLV is none, the matches in id order.
    assert found("muller") == sorted(mullers) and _tokens_off(store) == []
    # A run made current: the matches the most valuable first; a party it did not score last.
    clv = dict(zip(mullers[:5], (10.0, 300.0, 20.0, 300.0, 5.5)))
    assert _save_run(store, 1, dt.datetime(2024, 6, 30), clv) == "current"
    assert found("muller")[:2] == sorted([mullers[1], mullers[3]])  # equal CLVs: in id order
    assert found("muller")[2:] == [mullers[2], mullers[0], mullers[4], mullers[5]]
    assert found("muller") == _by_value(store, mullers)
    assert found("MÜLL") == found("muller") and found("an") == _by_value(store, [ids["C1"], ids["C7"]])
    assert [r["party_id"] for r in search_parties(store, SUE, "muller", limit=2, offset=1)[1]] == found("muller")[1:3]
    _equals_rebuilt(store)
    # An import adds a Müller the run never scored: last; a newer run reorders them all.
    more = tmp_path / "more.csv"
    more.write_text("customer_id,name\nC8,Eva Müller\n")
    import_file(store, more, "parties", source="crm")
    eva = _party(store, "C8")
    assert found("muller") == _by_value(store, [*mullers, eva]) and found("muller")[-2:] == sorted([mullers[5], eva])
    _equals_rebuilt(store)
    assert _save_run(store, 2, dt.datetime(2024, 12, 31), {eva: 900.0, mullers[0]: 400.0, mullers[1]: 1.0}) == "current"
    assert found("muller")[:3] == [eva, mullers[0], mullers[1]] and found("muller") == _by_value(store, [*mullers, eva])
    _equals_rebuilt(store)
    # A merge: the merged party is found no more, the survivor keeps its own CLV; the undo gives both back.
    with store.transaction():
        store.raw.execute(
            "INSERT INTO review_queue (review_id, run_id, left_party_id, right_party_id, match_weight, "
            "match_probability, explanation, created_at) VALUES (1, 0, ?, ?, 5.0, 0.9, '[]', now()::TIMESTAMP)",
            [mullers[1], eva])
    merge = resolve.decide_review(store, 1, accept=True, by="test")
    survivor = mullers[1] if _row(store, eva) is None else eva
    assert len(found("muller")) == 6 and found("muller") == _by_value(store, found("muller"))
    assert survivor in found("muller")
    _equals_rebuilt(store)
    resolve.undo(store, merge["merge_id"], by="test")
    assert found("muller") == _by_value(store, [*mullers, eva])
    _equals_rebuilt(store)


def test_a_store_older_than_the_search_clv_gets_it_once_when_opened(engine_url, tmp_path):
    from patron.store import Store

    people = tmp_path / "people.csv"
    people.write_text("customer_id,name\nC1,Anna Müller\nC2,Jorge Müller\n")
    with Store(engine_url) as store:
        import_file(store, people, "parties", source="crm")
        anna, jorge = _party(store, "C1"), _party(store, "C2")
        _save_run(store, 1, dt.datetime(2024, 6, 30), {anna: 10.0, jorge: 20.0})
        with store.transaction():  # as a store migrated by patron before migration 24 is (DuckDB alters no
            for index in ("party_search_token", "party_search_party"):  # column of an indexed table)
                store.raw.execute(f"DROP INDEX {index}")
            store.raw.execute("ALTER TABLE party_search DROP COLUMN clv")
            store.raw.execute("CREATE INDEX party_search_token ON party_search (token)")
            store.raw.execute("CREATE INDEX party_search_party ON party_search (party_id)")
            store.raw.execute("DROP TABLE complaint_clocks")  # migration 25's, made again too
            store.raw.execute("DELETE FROM schema_migrations WHERE version >= 24")
    with Store(engine_url) as store:
        assert store.scalar("SELECT count(*) FROM schema_migrations WHERE version = 24") == 1  # made again
        assert _tokens_off(store) == [] and store.scalar("SELECT count(*) FROM party_search WHERE clv = 20.0") > 0
        assert [r["party_id"] for r in search_parties(store, SUE, "muller")[1]] == [jorge, anna]


def test_a_list_total_is_kept_until_a_write_changes_it(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,city\nC1,Anna Müller,Porto\nC2,Jorge Núñez,Porto\nC3,Li Wei,Lyon\n")
    import_file(store, people, "parties", source="crm")
    porto = [{"field": "city", "op": "eq", "value": "Porto"}]

    def totals():
        page = lists.customer_list(store, SUE, porto, sort="name", limit=1)
        later = lists.customer_list(store, SUE, porto, sort="name", cursor=page["next_cursor"], limit=1)
        return page["total"], later["total"], lists.customer_list(store, SUE)["total"]

    assert totals() == (2, 2, 3) and totals() == (2, 2, 3)  # every page, and the list opened again
    lists.update_party(store, SUE, _party(store, "C3"), {"city": "Porto"})
    assert totals() == (3, 3, 3)
    more = tmp_path / "more.csv"
    more.write_text("customer_id,name,city\nC4,Zoë Ødegaard,Porto\n")
    fourth = import_file(store, more, "parties", source="crm")
    assert totals() == (4, 4, 4)
    undo_import(store, fourth.import_id, by="test")
    assert totals() == (3, 3, 3)
    with pytest.raises(RuntimeError), store.transaction():  # a change rolled back leaves the total as it was
        store.raw.execute("UPDATE parties SET city = 'Lyon' WHERE party_id = ?", [_party(store, "C1")])
        picture.refresh(store, [_party(store, "C1")])
        assert lists.customer_list(store, SUE, porto)["total"] == 2
        raise RuntimeError("undo")
    assert totals() == (3, 3, 3)
    lists.update_party(store, SUE, _party(store, "C1"), {"city": "Lyon"})
    assert totals() == (2, 2, 3)
