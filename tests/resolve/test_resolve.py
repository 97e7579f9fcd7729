"""Identity resolution on the demo company: found, merged, explained, reviewed, undone."""

from __future__ import annotations

import pytest
from tests.resolve.conftest import demo_store_url, true_pairs_of
from typer.testing import CliRunner

from patron.cli.app import app, register
from patron.resolve.merge import FILLED_FIELDS
from patron.service import resolve as service
from patron.store import Store
from patron.store.tables import OWNED_TABLES
from store_engines import ENGINES

CANONICAL = ("parties", *OWNED_TABLES)
register()


def snapshot(store) -> dict:
    """Every row of the canonical tables, sorted: equal snapshots mean equal stores."""
    return {t: sorted(store.raw.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in CANONICAL}


def resolve_demo(request, engine: str, folder):
    """A private demo store on ``engine``, resolved once: what it held before, and what the run decided."""
    _, out = request.getfixturevalue("demo_store_file")
    store = Store(demo_store_url(request, engine, folder))
    truth = true_pairs_of(store, out)
    before = snapshot(store)
    facts_before = {t: store.raw.execute(f"SELECT party_id, count(*) FROM {t} GROUP BY party_id").fetchall()
                    for t in OWNED_TABLES}
    identities = sorted(store.query("SELECT source, source_key, party_id FROM identities"))
    summary = service.run_resolution(store)
    decided = {
        "identities": identities,
        "merges": sorted(store.query("SELECT surviving_party_id, merged_party_id FROM merges")),
        "pairs": sorted((a, b, d, round(p, 6)) for a, b, d, p in store.query(
            "SELECT left_party_id, right_party_id, decision, match_probability FROM match_pairs")),
        "queued": sorted(store.query("SELECT left_party_id, right_party_id FROM review_queue")),
    }
    return store, summary, truth, before, facts_before, decided


@pytest.fixture(scope="module")
def resolved_duckdb(request, tmp_path_factory):
    store, *rest = resolve_demo(request, "duckdb", tmp_path_factory.mktemp("resolved"))
    yield store, *rest
    store.close()


@pytest.fixture(scope="module")
def resolved_postgres(request, tmp_path_factory):
    store, *rest = resolve_demo(request, "postgres", tmp_path_factory.mktemp("resolved"))
    yield store, *rest
    store.close()


@pytest.fixture(scope="module", params=ENGINES)
def resolved(request):
    """The demo company resolved once per engine (the tests below share it; the undo test comes last)."""
    return request.getfixturevalue(f"resolved_{request.param}")


def test_planted_duplicates_are_found(resolved):
    store, summary, truth, *_ = resolved
    merged = {tuple(sorted(r)) for r in store.query("SELECT surviving_party_id, merged_party_id FROM merges")}
    queued = {tuple(r) for r in store.query("SELECT left_party_id, right_party_id FROM review_queue")}
    assert summary.merged == len(merged) > 0
    precision = len(merged & truth) / len(merged)
    recall = len(merged & truth) / len(truth)
    assert precision >= 0.98, merged - truth
    assert recall >= 0.95, truth - merged
    assert not merged & queued


def test_a_merge_moves_every_fact_and_keeps_the_store_sound(resolved):
    store, _, _, before, facts_before, _ = resolved
    assert store.integrity_problems() == []
    gone = [r[0] for r in store.query("SELECT merged_party_id FROM merges")]
    for table in OWNED_TABLES:
        assert store.scalar(f"SELECT count(*) FROM {table} WHERE party_id IN ({', '.join(map(str, gone))})") == 0
        assert store.count(table) == len(before[table])
        moved = dict(store.query("SELECT from_party_id, count(*) FROM merge_moves WHERE table_name = ? AND column_name = 'party_id' "
                                 "GROUP BY from_party_id", [table]))
        had = dict(facts_before[table])
        assert all(moved.get(p, 0) == had.get(p, 0) for p in gone), table
    assert store.count("parties") == len(before["parties"]) - len(gone)
    # The crosswalk keeps every source key with the party it first had.
    assert store.scalar("SELECT count(*) FROM crosswalk WHERE merge_id IS NOT NULL") >= len(gone)
    assert store.scalar("SELECT count(*) FROM crosswalk c JOIN identities i USING (source, source_key) "
                        "WHERE c.party_id <> i.party_id") == 0


def test_a_survivor_gets_the_fields_it_lacked_and_keeps_its_own(resolved):
    store, _, _, before, *_ = resolved
    columns = [d[0] for d in store.raw.execute("SELECT * FROM parties WHERE 1 = 0").description]
    was = {row[0]: dict(zip(columns, row)) for row in before["parties"]}
    now = {row[0]: dict(zip(columns, row)) for row in store.raw.execute("SELECT * FROM parties").fetchall()}
    merges = store.query("SELECT merge_id, surviving_party_id, merged_party_id FROM merges ORDER BY merge_id")
    expected = set()  # (merge, column) of every field a merge should have filled
    for survivor in {s for _, s, _ in merges}:
        mine = [(merge_id, merged) for merge_id, s, merged in merges if s == survivor]
        for group in FILLED_FIELDS:
            if any(was[survivor][c] is not None for c in group):
                assert all(now[survivor][c] == was[survivor][c] for c in group), (survivor, group)
                continue
            donors = [(merge_id, m) for merge_id, m in mine if any(was[m][c] is not None for c in group)]
            if donors:
                merge_id, donor = donors[0]  # the earliest merge that has the group
                assert all(now[survivor][c] == was[donor][c] for c in group), (survivor, group)
                expected |= {(merge_id, c) for c in group if was[donor][c] is not None}
            else:
                assert all(now[survivor][c] is None for c in group), (survivor, group)
    assert expected, "the demo's duplicates should give some survivor a field it lacked"
    recorded = set(store.query("SELECT merge_id, column_name FROM merge_moves WHERE source = 'filled'"))
    assert recorded == expected


def test_explanations_name_the_fields_that_agreed(resolved):
    store, *_ = resolved
    merge_id, survivor = store.query(
        "SELECT m.merge_id, m.surviving_party_id FROM merges m JOIN merged_parties p USING (merge_id) "
        "WHERE p.kind = 'person' ORDER BY m.merge_id LIMIT 1")[0]
    found = service.explain(store, f"M{merge_id}")
    evidence = found["merges"][0]["evidence"]
    assert found["merges"][0]["match_weight"] > 0
    assert any(e["agreed"] and e["field"] in ("e-mail", "street") for e in evidence)
    assert all({"field", "level", "agreed", "bayes_factor", "weight"} <= set(e) for e in evidence)
    total = sum(e["weight"] for e in evidence)
    assert total > 10  # the fields' evidence outweighs the low prior
    # A plain number is a party: its merges are listed.
    assert merge_id in [m["merge_id"] for m in service.explain(store, str(survivor))["merges"]]
    result = CliRunner().invoke(app, ["resolve", "explain", f"M{merge_id}", "--store", str(store.url.location)])
    assert result.exit_code == 0, result.output
    assert "e-mail" in result.output or "street" in result.output


def test_a_rerun_merges_nothing_and_queues_nothing_twice(resolved):
    store, *_ = resolved
    tables = snapshot(store)
    queue = store.count("review_queue")
    again = service.run_resolution(store)
    assert again.merged == 0 and again.sent_to_review == 0
    assert snapshot(store) == tables
    assert store.count("review_queue") == queue


def test_undo_restores_the_store_exactly(resolved):
    store, _, _, before, *_ = resolved
    merge_ids = [r[0] for r in store.query("SELECT merge_id FROM merges WHERE undone_at IS NULL "
                                           "ORDER BY merge_id DESC")]
    moves = dict(store.query("SELECT merge_id, count(*) FROM merge_moves GROUP BY merge_id"))
    # The latest through the CLI, as a user undoes one; it counts the records it moved back.
    result = CliRunner().invoke(app, ["resolve", "undo", f"M{merge_ids[0]}", "--store", str(store.url.location)])
    assert result.exit_code == 0, result.output
    assert f"({moves.get(merge_ids[0], 0):,} records moved back)" in " ".join(result.output.split())
    for merge_id in merge_ids[1:]:
        assert service.undo(store, merge_id)["rows"] == moves.get(merge_id, 0)
    assert snapshot(store) == before
    assert store.integrity_problems() == []
    with pytest.raises(Exception, match="already undone"):
        service.undo(store, merge_id)
    # Undone merges are not redone by the next run.
    assert service.run_resolution(store).merged == 0
    assert snapshot(store) == before


def test_doubtful_pairs_go_to_review_and_a_decision_sticks(fresh_store):
    store = fresh_store
    before = snapshot(store)
    # With a very demanding accept threshold, the firms (sure on name, town and web domain, but no more)
    # are doubtful: queued, not merged.
    summary = service.run_resolution(store, accept=0.999999, review=0.5)
    pending = service.pending_reviews(store)
    assert summary.sent_to_review == len(pending) >= 2
    merged = {tuple(sorted(r)) for r in store.query("SELECT surviving_party_id, merged_party_id FROM merges")}
    assert not merged & {(p.left_party_id, p.right_party_id) for p in pending}
    assert all(p.explanation and any(e["agreed"] for e in p.explanation) for p in pending)
    accepted = service.decide_review(store, pending[0].review_id, accept=True)
    service.decide_review(store, pending[1].review_id, accept=False)
    with pytest.raises(Exception, match="already rejected"):
        service.decide_review(store, pending[1].review_id, accept=False)
    assert store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [accepted["merged_party_id"]]) == 0
    # Nothing is merged or queued twice, and the rejected pair stays apart.
    again = service.run_resolution(store, accept=0.999999, review=0.5)
    assert again.merged == 0 and again.sent_to_review == 0
    assert store.scalar("SELECT status FROM review_queue WHERE review_id = ?", [pending[1].review_id]) == "rejected"
    # The CLI lists what is left.
    result = CliRunner().invoke(app, ["resolve", "review", "--store", str(store.url.location)])
    assert result.exit_code == 0 and f"review {pending[2].review_id}" in result.output
    for (merge_id,) in store.query("SELECT merge_id FROM merges WHERE undone_at IS NULL ORDER BY merge_id DESC"):
        service.undo(store, merge_id)
    assert snapshot(store) == before


def test_empty_store_and_single_customer_get_a_message(engine_url):
    with Store(engine_url) as store:
        summary = service.run_resolution(store)
        assert summary.records == 0 and "nothing to compare" in summary.message
        store.raw.execute("INSERT INTO parties (party_id, name, created_at) VALUES (1, 'Ada Lovelace', now())")
        summary = service.run_resolution(store)
        assert summary.records == 1 and "nothing to compare" in summary.message
    result = CliRunner().invoke(app, ["resolve", "--store", engine_url])
    assert result.exit_code == 0 and "nothing to compare" in result.output
    result = CliRunner().invoke(app, ["resolve", "undo", "99", "--store", engine_url])
    assert result.exit_code != 0 and "no merge 99" in str(result.exception)


def test_reimporting_after_a_merge_changes_nothing(fresh_store, demo_store_file):
    from patron.demo import import_demo

    _, out = demo_store_file
    assert service.run_resolution(fresh_store).merged > 0
    tables = snapshot(fresh_store)
    reports = import_demo(fresh_store, out)
    # The duplicate's row in the webshop file now names the surviving party: it must not overwrite it.
    assert sum(r.accepted for r in reports) == 0 and sum(r.new_parties for r in reports) == 0
    assert snapshot(fresh_store) == tables


@pytest.mark.postgres
def test_duckdb_and_postgres_stores_resolve_alike(resolved_duckdb, resolved_postgres):
    """The same company on either engine: the same parties, the same pairs scored alike, the same merges."""
    duck, pg = resolved_duckdb, resolved_postgres
    assert duck[5]["identities"] == pg[5]["identities"]  # the same source keys had the same party ids
    assert duck[5]["merges"] and duck[5]["merges"] == pg[5]["merges"]
    assert duck[5]["pairs"] == pg[5]["pairs"]
    assert duck[5]["queued"] == pg[5]["queued"]
    assert (duck[1].merged, duck[1].sent_to_review, duck[1].fields) == (pg[1].merged, pg[1].sent_to_review,
                                                                         pg[1].fields)
