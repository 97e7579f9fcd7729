"""``patron reindex``: parties written with SQL of one's own are found once the search index is made again."""

from __future__ import annotations

from typer.testing import CliRunner

from patron.areas.parties.service import search_parties
from patron.cli.app import app, register
from patron.service.permissions import User
from patron.store import Store

register()
runner = CliRunner()


def test_reindex_makes_the_search_index_again(tmp_path):
    path = tmp_path / "patron.duckdb"
    with Store(path) as store, store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, kind, category, name, phone, created_at) "
                          "VALUES (1, 'person', 'customer', 'Søren Ødegaard', '+47 22 12 34 56', now()::TIMESTAMP)")
    sam = User(1, "sam", "sales")
    with Store(path) as store:
        assert search_parties(store, sam, "ødegaard")[0] == 0  # written behind patron's back: not indexed
        assert store.count("party_picture") == 0  # nor pictured
    result = runner.invoke(app, ["reindex", "--store", str(path)], catch_exceptions=False)
    assert result.exit_code == 0 and "Search index rebuilt: 4 tokens" in result.output, result.output
    with Store(path) as store:
        assert [r["party_id"] for r in search_parties(store, sam, "ødegaard SØREN")[1]] == [1]
        assert [r["party_id"] for r in search_parties(store, sam, "0047 22 12 34 56")[1]] == [1]
        assert store.query("SELECT party_id, name FROM party_picture") == [(1, "Søren Ødegaard")]
