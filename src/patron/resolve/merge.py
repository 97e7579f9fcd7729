"""Merging parties into one, and undoing a merge exactly.

A merge re-points every row that belonged to the merged party (the rows of
every table the registry marks as moving with its party,
:data:`patron.store.tables.OWNED_TABLES`, in each of their party columns,
:data:`~patron.store.tables.MOVED_COLUMNS`, and the links of other parties,
:data:`~patron.store.tables.PARTY_LINKS`) to the surviving
party, fills the surviving party's empty fields from the merged one (an email,
a phone number, an address...), moves the merged party's own row to
``merged_parties`` and writes down each re-pointed row and each filled field in
``merge_moves``. Undo reverses exactly those rows and fields.
Everything is plain SQL (``UPDATE ... FROM``) so that another engine can run it.
"""

from __future__ import annotations

from patron.errors import Conflict, NotFound
from patron.store import picture, search_index
from patron.store.tables import MOVED_COLUMNS, OWNED_TABLES, PARTY_LINKS

#: Fields of the surviving party a merge fills in from the merged party when they are empty. A group is
#: filled together or not at all: an address is not pieced together from two parties.
FILLED_FIELDS = (("name",), ("email",), ("phone",), ("address", "postcode", "city"), ("country",), ("birth_date",),
                 ("job_title",), ("acquired_at",), ("acquisition_channel",), ("acquisition_cost",))
FILLED_COLUMNS = tuple(column for group in FILLED_FIELDS for column in group)


def party_columns(store) -> list[str]:
    """The columns of ``parties``, in order."""
    return [d[0] for d in store.raw.execute("SELECT * FROM parties WHERE 1 = 0").description]


def apply_merges(store, merge_ids_sql: str, params: list) -> None:
    """Carry out the merges selected by ``merge_ids_sql`` (already written to ``merges``).

    Must run inside ``store.transaction()``. ``merge_ids_sql`` selects
    ``merge_id``; each merge's merged party must still exist.
    """
    con = store.raw
    chosen = f"(SELECT merge_id, surviving_party_id, merged_party_id FROM merges WHERE merge_id IN ({merge_ids_sql}))"
    for table, key in OWNED_TABLES.items():
        for column in MOVED_COLUMNS[table]:
            con.execute(
                "INSERT INTO merge_moves (merge_id, table_name, column_name, source, row_key, row_party_id, "
                f"from_party_id) SELECT m.merge_id, '{table}', '{column}', t.source, t.{key}, NULL, t.{column} "
                f"FROM {table} t JOIN {chosen} m ON t.{column} = m.merged_party_id", params)
            con.execute(
                f"UPDATE {table} SET {column} = m.surviving_party_id FROM {chosen} m "
                f"WHERE {table}.{column} = m.merged_party_id", params)
    for column in PARTY_LINKS:
        con.execute(
            "INSERT INTO merge_moves (merge_id, table_name, column_name, source, row_key, row_party_id, from_party_id) "
            f"SELECT m.merge_id, 'parties', '{column}', NULL, NULL, p.party_id, p.{column} "
            f"FROM parties p JOIN {chosen} m ON p.{column} = m.merged_party_id", params)
        con.execute(
            f"UPDATE parties SET {column} = m.surviving_party_id FROM {chosen} m "
            f"WHERE parties.{column} = m.merged_party_id", params)
    columns = ", ".join(party_columns(store))
    prefixed = ", ".join(f"p.{c}" for c in party_columns(store))
    con.execute(
        f"INSERT INTO merged_parties (merge_id, {columns}) SELECT m.merge_id, {prefixed} "
        f"FROM parties p JOIN {chosen} m ON p.party_id = m.merged_party_id", params)
    _fill_empty_fields(con, chosen, params)
    con.execute(f"DELETE FROM parties WHERE party_id IN (SELECT merged_party_id FROM {chosen} m)", params)
    # The survivor is found by what it was filled with, the merged party no longer (an undo indexes it again).
    pairs = con.execute(f"SELECT surviving_party_id, merged_party_id FROM {chosen} m", params).fetchall()
    search_index.refresh(store, [i for pair in pairs for i in pair])
    picture.refresh(store, [i for pair in pairs for i in pair])
    con.execute(
        "UPDATE crosswalk SET party_id = i.party_id, merge_id = m.merge_id "
        f"FROM identities i, {chosen} m "
        "WHERE crosswalk.source = i.source AND crosswalk.source_key = i.source_key "
        "AND crosswalk.party_id = m.merged_party_id", params)


def _fill_empty_fields(con, chosen: str, params: list) -> None:
    """Give each surviving party the fields it lacks, from its earliest merge that has them.

    First every fill is written down (``merge_moves`` rows with source ``'filled'``), while the
    parties are as they were; then the fields are copied from ``merged_parties``.
    """
    for group in FILLED_FIELDS:
        empty = " AND ".join(f"s.{c} IS NULL" for c in group)
        given = " OR ".join(f"d.{c} IS NOT NULL" for c in group)
        first = (
            "SELECT merge_id, surviving_party_id, merged_party_id FROM (SELECT m.merge_id, m.surviving_party_id, "
            "m.merged_party_id, row_number() OVER (PARTITION BY m.surviving_party_id ORDER BY m.merge_id) AS n "
            f"FROM {chosen} m JOIN parties s ON s.party_id = m.surviving_party_id "
            f"JOIN parties d ON d.party_id = m.merged_party_id WHERE {empty} AND ({given})) ranked WHERE n = 1")
        for column in group:
            con.execute(
                "INSERT INTO merge_moves (merge_id, table_name, column_name, source, row_key, row_party_id, "
                f"from_party_id) SELECT f.merge_id, 'parties', '{column}', 'filled', NULL, f.surviving_party_id, "
                f"f.merged_party_id FROM ({first}) f JOIN parties d ON d.party_id = f.merged_party_id "
                f"WHERE d.{column} IS NOT NULL", params)
    for column in FILLED_COLUMNS:
        con.execute(
            f"UPDATE parties SET {column} = mp.{column} FROM merge_moves mv, merged_parties mp "
            f"WHERE mv.merge_id IN (SELECT merge_id FROM {chosen} x) AND mv.source = 'filled' "
            f"AND mv.column_name = '{column}' AND parties.party_id = mv.row_party_id "
            "AND mp.merge_id = mv.merge_id", params)


def refresh_crosswalk(store) -> int:
    """Add every identity the crosswalk does not know yet (new imports); returns how many."""
    con = store.raw
    before = store.count("crosswalk")
    con.execute(
        "INSERT INTO crosswalk (source, source_key, original_party_id, party_id, merge_id) "
        "SELECT i.source, i.source_key, i.party_id, i.party_id, NULL FROM identities i "
        "WHERE NOT EXISTS (SELECT 1 FROM crosswalk c WHERE c.source = i.source AND c.source_key = i.source_key)")
    return store.count("crosswalk") - before


def undo_merge(store, merge_id: int, by: str) -> dict:
    """Put back every row merge ``merge_id`` moved, in one transaction.

    Returns
    -------
    dict
        ``surviving_party_id``, ``merged_party_id`` and ``rows`` (rows put back).
    """
    row = store.query(
        "SELECT surviving_party_id, merged_party_id, undone_at FROM merges WHERE merge_id = ?", [merge_id])
    if not row:
        raise NotFound(f"There is no merge {merge_id}. 'patron resolve explain PARTY' lists a party's merges.")
    survivor, merged, undone_at = row[0]
    if undone_at is not None:
        raise Conflict(f"Merge {merge_id} was already undone on {undone_at:%Y-%m-%d %H:%M}.")
    later = store.query(
        "SELECT merge_id, surviving_party_id FROM merges WHERE merged_party_id = ? AND undone_at IS NULL "
        "AND merge_id > ?", [survivor, merge_id])
    if later:
        raise Conflict(
            f"Party {survivor} has since been merged into party {later[0][1]} (merge {later[0][0]}): "
            f"undo merge {later[0][0]} first.")
    if store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [merged]):
        raise Conflict(f"Party {merged} exists again, so merge {merge_id} cannot be undone.")
    con = store.raw
    with store.transaction():
        columns = ", ".join(party_columns(store))
        con.execute(f"INSERT INTO parties ({columns}) SELECT {columns} FROM merged_parties WHERE merge_id = ?",
                    [merge_id])
        moved = 0
        for table, key in OWNED_TABLES.items():
            for column in MOVED_COLUMNS[table]:
                moved += store.changed(
                    f"UPDATE {table} SET {column} = mv.from_party_id FROM merge_moves mv "
                    f"WHERE mv.merge_id = ? AND mv.table_name = '{table}' AND mv.column_name = '{column}' "
                    f"AND {table}.source = mv.source AND {table}.{key} = mv.row_key", [merge_id])
        for column in PARTY_LINKS:
            moved += store.changed(
                f"UPDATE parties SET {column} = mv.from_party_id FROM merge_moves mv "
                f"WHERE mv.merge_id = ? AND mv.table_name = 'parties' AND mv.column_name = '{column}' "
                "AND mv.source IS NULL AND parties.party_id = mv.row_party_id", [merge_id])
        # Filled fields are emptied again, unless they have been changed since the merge.
        for column in FILLED_COLUMNS:
            moved += store.changed(
                f"UPDATE parties SET {column} = NULL FROM merge_moves mv, merged_parties mp "
                f"WHERE mv.merge_id = ? AND mv.source = 'filled' AND mv.column_name = '{column}' "
                f"AND parties.party_id = mv.row_party_id AND mp.merge_id = mv.merge_id "
                f"AND parties.{column} IS NOT DISTINCT FROM mp.{column}", [merge_id])
        con.execute("DELETE FROM merged_parties WHERE merge_id = ?", [merge_id])
        search_index.refresh(store, [survivor, merged])
        picture.refresh(store, [survivor, merged])
        con.execute(
            "UPDATE crosswalk SET party_id = i.party_id, merge_id = NULL FROM identities i "
            "WHERE crosswalk.merge_id = ? AND crosswalk.source = i.source AND crosswalk.source_key = i.source_key",
            [merge_id])
        con.execute("UPDATE merges SET undone_at = now()::TIMESTAMP, undone_by = ? WHERE merge_id = ?", [by, merge_id])
    return {"surviving_party_id": survivor, "merged_party_id": merged, "rows": moved}
