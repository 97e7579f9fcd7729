"""The customer list (filters, sort, keyset paging, totals), saved views, bulk actions, tasks and search, on a
demo company's DuckDB store, each checked against the store's rows read directly."""

from __future__ import annotations

import csv
import io

import pytest

from companies import demo_company
from patron.areas.parties import lists
from patron.areas.parties.service import fold, phone_key, search_parties
from patron.areas.tasks import service as tasks
from patron.areas.users.service import add_user
from patron.areas.views import service as views
from patron.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from patron.service.consent import ConsentRule
from patron.service.permissions import User

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("lists")
    with demo_company(root, 300, 5) as store:
        add_user(store, "sam", PASSWORD, "sales", "Sam Sales")
        add_user(store, "ann", PASSWORD, "analyst", "Ann Analyst")
        yield store, User(1, "sam", "sales"), User(2, "ann", "analyst")


def test_filters_match_the_rows(world):
    store, sam, _ = world
    filters = [{"field": "clv", "op": "gte", "value": 50}, {"field": "rung", "op": "in", "value": ["customer",
                                                                                                    "client"]}]
    page = lists.customer_list(store, sam, filters, sort="-clv", limit=5)
    run = store.scalar("SELECT run_id FROM runs WHERE status = 'current'")
    expected = store.scalar("SELECT count(*) FROM scores WHERE run_id = ? AND clv >= 50 AND rung IN "
                            "('customer', 'client')", [run])
    assert expected > 5 and page["total"] == expected and len(page["items"]) == 5  # a full page of more
    clvs = [r["clv"] for r in page["items"]]
    assert clvs == sorted(clvs, reverse=True) and all(c >= 50 for c in clvs)


def test_cursor_pages_walk_the_whole_list_once(world):
    store, sam, _ = world
    seen, cursor = [], None
    while True:
        page = lists.customer_list(store, sam, None, sort="p_alive", cursor=cursor, limit=37)
        seen += [r["party_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == store.scalar("SELECT count(*) FROM parties") == page["total"]
    with pytest.raises(InvalidInput, match="another sort order"):
        lists.customer_list(store, sam, None, sort="-clv", cursor=lists.customer_list(
            store, sam, None, sort="p_alive", limit=5)["next_cursor"])


def test_bad_filters_say_what_and_where(world):
    store, sam, _ = world
    with pytest.raises(InvalidInput, match="Filter 1: there is no field 'colour'"):
        lists.customer_list(store, sam, [{"field": "colour", "op": "eq", "value": 1}])
    with pytest.raises(InvalidInput, match="Filter 2 .* takes a number"):
        lists.customer_list(store, sam, [{"field": "clv", "op": "gte", "value": 1},
                                         {"field": "clv", "op": "lte", "value": "lots"}])
    with pytest.raises(InvalidInput, match="not valid JSON"):
        lists.customer_list(store, sam, "[{")


def test_consent_filter_is_the_ledger(world):
    store, sam, _ = world
    page = lists.customer_list(store, sam, [{"field": "consent", "op": "granted", "value": "email"}], limit=500)
    latest = {}
    for party, granted, at, cid in store.query("SELECT party_id, granted, recorded_at, consent_id FROM consents "
                                               "WHERE channel = 'email'"):
        if party not in latest or (at, cid) > latest[party][0]:
            latest[party] = ((at, cid), granted)
    suppressed = {r[0] for r in store.query("SELECT party_id FROM suppressions")}
    expected = {p for p, (_, g) in latest.items() if g and p not in suppressed}
    assert expected and page["total"] == len(expected)
    exported = list(csv.DictReader(io.StringIO("".join(lists.export_contacts(store, sam, [
        {"field": "consent", "op": "not_granted", "value": "email"}], consent=ConsentRule("email"))))))
    assert exported == []  # nobody without consent reaches a contact list


def test_bulk_assign_an_owner_is_in_the_change_history(world):
    store, sam, ann = world
    filters = [{"field": "triage", "op": "eq", "value": "best"}]
    with pytest.raises(PermissionDenied):
        lists.assign_owner(store, ann, "sam", filters=filters)
    with pytest.raises(NotFound, match="no active user 'nobody'"):
        lists.assign_owner(store, sam, "nobody", filters=filters)
    result = lists.assign_owner(store, sam, "sam", filters=filters)
    best = store.scalar("SELECT count(*) FROM parties p JOIN scores s USING (party_id) JOIN runs r USING (run_id) "
                        "WHERE r.status = 'current' AND s.triage = 'best'")
    assert result == {"selected": best, "changed": best} and best > 0
    assert store.scalar("SELECT count(*) FROM parties WHERE owner = 'sam'") == best
    assert store.scalar("SELECT count(*) FROM party_changes WHERE field = 'owner' AND new_value = 'sam' "
                        "AND changed_by = 'sam' AND how = 'form'") == best
    assert lists.assign_owner(store, sam, "sam", filters=filters)["changed"] == 0  # nothing changes twice
    page = lists.customer_list(store, sam, [{"field": "owner", "op": "eq", "value": "sam"}])
    assert page["total"] == best


def test_saved_views(world):
    store, sam, ann = world
    view = views.save_view(store, ann, "Big spenders", [{"field": "clv", "op": "gte", "value": 100}], sort="-clv")
    assert views.list_views(store, ann)[0]["filters"] == [{"field": "clv", "op": "gte", "value": 100.0}]
    assert views.list_views(store, sam) == []  # personal
    with pytest.raises(NotFound):
        views.get_view(store, sam, view["view_id"])
    with pytest.raises(Conflict):
        views.save_view(store, ann, "big spenders")
    with pytest.raises(PermissionDenied):  # an analyst reads; sharing is for roles that change records
        views.save_view(store, ann, "Shared", shared=True)
    shared = views.save_view(store, sam, "Mine to share", [{"field": "rung", "op": "eq", "value": "client"}],
                             shared=True)
    assert [v["name"] for v in views.list_views(store, ann)] == ["Big spenders", "Mine to share"]
    with pytest.raises(PermissionDenied):
        views.update_view(store, ann, shared["view_id"], name="taken over")
    renamed = views.update_view(store, ann, view["view_id"], name="Top spenders")
    assert renamed["name"] == "Top spenders" and renamed["sort"] == "-clv"
    assert views.view_filters(store, shared["view_id"]) == (
        [{"field": "rung", "op": "eq", "value": "client"}], "-clv")
    views.delete_view(store, ann, view["view_id"])
    assert [v["name"] for v in views.list_views(store, ann)] == ["Mine to share"]
    with pytest.raises(InvalidInput, match="no field"):
        views.save_view(store, sam, "bad", [{"field": "x", "op": "eq", "value": 1}])


def test_tasks_overdue_first_and_bulk(world):
    import datetime as dt

    store, sam, ann = world
    party = store.scalar("SELECT min(party_id) FROM parties")
    later = tasks.add_task(store, sam, party, "Send the autumn catalogue", due_at=dt.datetime(2100, 1, 1))
    late = tasks.add_task(store, sam, party, "Call back about the refund", due_at=dt.datetime(2020, 1, 1))
    mine = tasks.list_tasks(store, sam, owner="sam")
    assert [t["task_id"] for t in mine[:2]] == [late["task_id"], later["task_id"]] and mine[0]["overdue"]
    with pytest.raises(PermissionDenied):
        tasks.add_task(store, ann, party, "Analysts do not add tasks")
    with pytest.raises(InvalidInput, match="title"):
        tasks.add_task(store, sam, party, "  ")
    done = tasks.finish_task(store, sam, late["task_id"])
    assert done["status"] == "done" and done["done_by"] == "sam"
    with pytest.raises(Conflict):
        tasks.finish_task(store, sam, late["task_id"], "cancelled")
    before = store.scalar("SELECT count(*) FROM tasks")
    made = tasks.add_tasks(store, sam, "Thank them", filters=[{"field": "rung", "op": "eq", "value": "advocate"}])
    advocates = lists.customer_list(store, sam, [{"field": "rung", "op": "eq", "value": "advocate"}])["total"]
    assert made["created"] == advocates > 0
    assert store.scalar("SELECT count(*) FROM tasks") == before + advocates
    assert store.scalar("SELECT count(DISTINCT task_id) FROM tasks") == before + advocates
    assert tasks.create_task(store, party_id=party, title="From a playbook", source="playbook", campaign_id=7) > 0


def test_search_folds_accents_phones_and_documents(world):
    store, sam, ann = world
    assert fold("Müller Ñúñez") == "muller nunez"
    assert phone_key("+44 20 7946 0958") == phone_key("020 7946 0958") == phone_key("0044 (20) 79460958")
    assert phone_key("Anna") is None
    party = store.scalar("SELECT min(party_id) FROM parties WHERE kind = 'person'")
    lists.update_party(store, sam, party, {"name": "Anna Müller", "phone": "+44 20 7946 0958"})  # the index follows
    for q in ("muller", "MÜLLER anna", "anna muller", "020 7946 0958", "+44 (0)20 7946-0958"):
        _total, rows = search_parties(store, sam, q)
        assert party in [r["party_id"] for r in rows], q
    assert search_parties(store, sam, "anna muller")[1][0]["party_id"] == party  # the exact name first
    assert party not in [r["party_id"] for r in search_parties(store, ann, "020 7946 0958")[1]]  # no phones
    doc, owner = store.query("SELECT document, party_id FROM transactions WHERE document IS NOT NULL LIMIT 1")[0]
    assert owner in [r["party_id"] for r in search_parties(store, ann, doc)[1]]


def test_last_activity_is_the_later_of_purchase_and_contact(world):
    store, sam, _ = world
    page = lists.customer_list(store, sam, None, sort="-clv", limit=40)
    run = store.scalar("SELECT run_id FROM runs WHERE status = 'current'")
    for r in page["items"]:
        found = [v for v in (store.scalar("SELECT last_purchase_at FROM scores WHERE run_id = ? AND party_id = ?",
                                          [run, r["party_id"]]),
                             store.scalar("SELECT max(occurred_at) FROM interactions WHERE party_id = ?",
                                          [r["party_id"]])) if v is not None]
        assert r["last_activity"] == (max(found) if found else None)
    since = lists.customer_list(store, sam, [{"field": "last_activity", "op": "gte", "value": "2024-01-01"}],
                                sort="-last_activity", limit=5)
    assert since["items"] and all(str(r["last_activity"]) >= "2024-01-01" for r in since["items"])
