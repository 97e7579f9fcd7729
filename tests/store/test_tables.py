"""The table registry (``patron.store.tables``) against the store it describes, and merges through every table."""

from __future__ import annotations

import datetime as dt

from patron.service import resolve
from patron.store import Store
from patron.store.tables import BY_NAME, MOVE, OWNED_TABLES, TABLES

#: A valid value for the required text columns that a CHECK constraint limits.
CHECKED = {"kind": "order", "channel": "email", "instrument": "nps", "form": "trust", "link_type": "works_for"}


def columns(store: Store) -> dict[str, dict[str, tuple[str, bool, bool]]]:
    """Per table of the store: column -> (type, nullable, has a default)."""
    rows = store.query(
        "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema()")
    out: dict[str, dict] = {}
    for table, column, kind, nullable, default in rows:
        out.setdefault(table, {})[column] = (kind.upper(), nullable == "YES", default is not None)
    out.pop("schema_migrations", None)
    return out


def test_every_table_of_the_store_is_registered_and_every_entry_exists(store):
    assert set(columns(store)) == set(BY_NAME)


def test_every_table_that_names_a_party_says_what_a_merge_does_to_it(store):
    for name, cols in columns(store).items():
        entry = BY_NAME[name]
        if "party_id" in cols and name != "parties":
            assert entry.party_column == "party_id" and entry.on_merge, name
        for column in (entry.party_column, entry.row_key, entry.id_column, *entry.key, *entry.party_links):
            assert column is None or column in cols, (name, column)


def _value(column: str, kind: str, n: int):
    if column in CHECKED:
        return CHECKED[column]
    if "INT" in kind:
        return n
    if "TIMESTAMP" in kind or "DATE" in kind:
        return dt.datetime(2024, 1, 1) + dt.timedelta(days=n)
    if "BOOL" in kind:
        return True
    if "DOUBLE" in kind or "DECIMAL" in kind or "NUMERIC" in kind or "PRECISION" in kind:
        return 1.5
    return f"row-{n}"


def _own_a_row_of_every_table(store: Store, party_id: int) -> dict[str, str]:
    """One row of every table that moves with its party, for ``party_id``; returns table -> the row's key."""
    keys = {}
    with store.transaction():
        for n, (name, cols) in enumerate(columns(store).items(), start=1):
            if name not in OWNED_TABLES:
                continue
            entry = BY_NAME[name]
            values = {c: _value(c, kind, 1000 + n) for c, (kind, nullable, default) in cols.items()
                      if not nullable and not default}
            values |= {entry.party_column: party_id, "source": "registry-test", entry.row_key: f"{name}-{party_id}"}
            values |= dict.fromkeys(entry.party_links, party_id)  # a link's other party moves too
            if entry.id_column:
                values[entry.id_column] = store.next_id(name, entry.id_column)
            store.raw.execute(f"INSERT INTO {name} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                              list(values.values()))
            keys[name] = values[entry.row_key]
    return keys


def _owner(store: Store, table: str, key: str) -> tuple[int, ...]:
    """The parties a row names (its party column, then its links to other parties)."""
    entry = BY_NAME[table]
    return store.query(f"SELECT {', '.join((entry.party_column, *entry.party_links))} FROM {table} "
                       f"WHERE source = 'registry-test' AND {entry.row_key} = ?", [key])[0]


def test_a_merge_moves_every_party_owned_row_and_its_undo_moves_it_back(engine_store):
    store = engine_store
    with store.transaction():
        for party in (1, 2):
            store.raw.execute("INSERT INTO parties (party_id, created_at) VALUES (?, now()::TIMESTAMP)", [party])
        store.raw.execute(
            "INSERT INTO review_queue (review_id, run_id, left_party_id, right_party_id, match_weight, "
            "match_probability, explanation, created_at) VALUES (1, 0, 1, 2, 5.0, 0.9, '[]', now()::TIMESTAMP)")
    keys = _own_a_row_of_every_table(store, 2)
    assert set(keys) == {t.name for t in TABLES if t.on_merge == MOVE}
    merge = resolve.decide_review(store, 1, accept=True, by="registry test")
    width = {t: 1 + len(BY_NAME[t].party_links) for t in keys}
    assert {t: _owner(store, t, k) for t, k in keys.items()} == {t: (1,) * width[t] for t in keys}
    assert store.integrity_problems() == []
    resolve.undo(store, merge["merge_id"], by="registry test")
    assert {t: _owner(store, t, k) for t, k in keys.items()} == {t: (2,) * width[t] for t in keys}
    assert store.integrity_problems() == []
