"""The list, its bulk actions, saved views, tasks and search on both backends (DuckDB and the PostgreSQL server
the fixtures start): the SQL is written once."""

from __future__ import annotations

from patron.areas.parties import lists
from patron.areas.parties.service import search_parties
from patron.areas.tasks import service as tasks
from patron.areas.users.service import add_user
from patron.areas.views import service as views
from patron.ingest import import_file
from patron.service.permissions import User


def test_workbench_on_each_backend(engine_store, tmp_path):
    store = engine_store
    people = tmp_path / "people.csv"
    people.write_text("customer_id,name,email,phone,country\nC1,Anna Müller,anna@example.com,+44 20 7946 0958,GB\n"
                      "C2,Jorge Núñez,jorge@example.com,0034 91 123 45 67,ES\nC3,Li Wei,li@example.com,,CN\n")
    import_file(store, people, "parties", source="crm")
    add_user(store, "sue", "a long enough password", "sales")
    sue = User(1, "sue", "sales")
    assert lists.assign_owner(store, sue, "sue", filters=[{"field": "country", "op": "in", "value": ["GB", "ES"]}]) \
        == {"selected": 2, "changed": 2}
    page = lists.customer_list(store, sue, [{"field": "owner", "op": "eq", "value": "sue"}], sort="name", limit=1)
    assert page["total"] == 2 and page["items"][0]["name"] == "Anna Müller"
    rest = lists.customer_list(store, sue, [{"field": "owner", "op": "eq", "value": "sue"}], sort="name",
                               cursor=page["next_cursor"], limit=1)
    assert rest["items"][0]["name"] == "Jorge Núñez" and rest["next_cursor"] is None
    assert store.scalar("SELECT count(*) FROM party_changes WHERE field = 'owner' AND how = 'form'") == 2
    assert tasks.add_tasks(store, sue, "Call", filters=[{"field": "owner", "op": "eq", "value": "sue"}],
                           due_at=None)["created"] == 2
    assert len(tasks.list_tasks(store, sue, owner="sue")) == 2
    view = views.save_view(store, sue, "Mine", [{"field": "owner", "op": "eq", "value": "sue"}], shared=True)
    assert views.view_filters(store, view["view_id"])[0] == [{"field": "owner", "op": "eq", "value": "sue"}]
    for q, name in (("muller", "Anna Müller"), ("nunez jorge", "Jorge Núñez"), ("020 7946 0958", "Anna Müller"),
                    ("+34 911 234 567", "Jorge Núñez"), ("ANNA@example.com", "Anna Müller"), ("c2", "Jorge Núñez")):
        total, rows = search_parties(store, sue, q)
        assert total >= 1 and rows[0]["name"] == name, q
    lists.update_party(store, sue, rows[0]["party_id"], {"phone": "+1 555 0100 200"}, how="api")
    assert store.scalar("SELECT count(*) FROM party_changes WHERE field = 'phone' AND how = 'api'") == 1
