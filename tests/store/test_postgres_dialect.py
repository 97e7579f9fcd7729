"""DuckDB SQL translated for PostgreSQL: every rule the docs state is refused in code, parameters keep their values."""

from __future__ import annotations

import re

import pytest

from patron.store import Store
from patron.store.backends.postgres_dialect import RULES, NotPortable, translate

REFUSED = {
    "GROUP BY ALL": "SELECT kind, count(*) FROM parties GROUP BY ALL",
    "SEMI JOIN": "SELECT * FROM parties p SEMI JOIN identities i ON p.party_id = i.party_id",
    "SELECT * EXCLUDE": "SELECT * EXCLUDE (email) FROM parties",
    "?::TYPE": "SELECT ?::BIGINT",
    "json_extract_string": "SELECT json_extract_string(settings, '$.model') FROM runs",
    "CREATE OR REPLACE TABLE": "CREATE OR REPLACE TEMP TABLE _keys AS SELECT 1 AS key",
}


def test_every_rule_has_a_case_here():
    assert set(REFUSED) == set(RULES)


@pytest.mark.parametrize("construct", sorted(REFUSED))
def test_a_construct_without_a_postgres_form_is_refused_with_the_portable_way(construct):
    with pytest.raises(NotPortable, match=re.escape(RULES[construct])):
        translate(REFUSED[construct])


def test_a_temporary_table_is_known_from_the_statement_not_from_its_words():
    assert translate("CREATE TEMP TABLE _k AS SELECT 1 AS k").makes_temp
    assert not translate("SELECT 'TEMP' AS label, temperature FROM readings").makes_temp


def test_parameters_are_numbered_where_they_stand_and_a_percent_is_plain():
    sql = translate("SELECT * FROM a ANTI JOIN b ON a.x = b.x AND b.y = ? WHERE a.z = ? AND a.w LIKE '%?%'").sql
    assert "b.y = $1" in sql and "a.z = $2" in sql and "'%?%'" in sql


@pytest.mark.postgres
def test_a_moved_clause_keeps_its_parameter_on_a_server(postgres_server):
    with Store(postgres_server.new_database()) as store:
        with store.transaction():
            for party, name in ((1, "50% off"), (2, "Ada"), (3, "Bo")):
                store.raw.execute("INSERT INTO parties (party_id, name, created_at) VALUES (?, ?, now()::TIMESTAMP)",
                                  [party, name])
            store.raw.execute("INSERT INTO identities VALUES ('shop', 'k2', 2, NULL), ('crm', 'k3', 3, NULL)")
        # ANTI JOIN becomes NOT EXISTS in the WHERE: 'shop' must still go with the join, 1 with the filter.
        rows = store.query("SELECT p.party_id FROM parties p ANTI JOIN identities i ON i.party_id = p.party_id "
                           "AND i.source = ? WHERE p.party_id > ? ORDER BY 1", ["shop", 1])
        assert rows == [(3,)]
        assert store.query("SELECT party_id FROM parties WHERE name LIKE '%\\%%' ESCAPE '\\' AND party_id = ?", [1]) \
            == [(1,)]
