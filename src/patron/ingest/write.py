"""Writing checked records: parties and identities, facts, and the quarantine."""

from __future__ import annotations

import base64

from patron.ingest.checks import records_sql, typed_columns
from patron.ingest.fields import fields_of
from patron.ingest.mapping import Mapping
from patron.ingest.parse import q
from patron.ingest.readers import StagedFile, csv_lines_of_ordinals, insert_rows
from patron.ingest.report import ImportReport
from patron.store import Store, picture, search_index
from patron.store.tables import IMPORT_TABLES

PARTY_ATTRIBUTES = ("name", "email", "phone", "address", "postcode", "city", "country", "birth_date", "kind",
                    "category", "job_title", "acquired_at", "acquisition_channel", "acquisition_cost")


DERIVED = {
    "transactions": {
        "revenue": "CAST(CASE WHEN coalesce(v_kind, '') = 'refund' AND _amount > 0 THEN -_amount ELSE _amount END "
                   "AS DECIMAL(18, 4))",
        "kind": "coalesce(v_kind, CASE WHEN _amount < 0 THEN 'refund' ELSE 'order' END)",
        "currency": "upper(coalesce(v_currency, 'XXX'))",
    },
    "party_links": {
        "link_type": "coalesce(v_link_type, 'works_for')",
        "role": "CASE WHEN coalesce(v_link_type, 'works_for') = 'buying_role' THEN lower(v_role) ELSE v_role END",
    },
    "complaints": {
        "severity": "coalesce(v_severity, 'medium')",
        "status": "coalesce(v_status, CASE WHEN v_resolved_at IS NOT NULL THEN 'resolved' ELSE 'open' END)",
    },
}


#: SQL condition: identity ``{i}`` still belongs to the party it was first given (no merge moved it).
_NOT_MERGED_AWAY = ("NOT EXISTS (SELECT 1 FROM crosswalk c WHERE c.source = {i}.source "
                    "AND c.source_key = {i}.source_key AND c.original_party_id <> {i}.party_id)")


def _new_parties_for_keys(store: Store, key_source: str, import_id: int, keys_sql: str,
                          kind_sql: str = "'person'", category_sql: str = "'customer'") -> int:
    """Create a party and an identity for every key in ``keys_sql`` not yet known in ``key_source``.

    ``keys_sql`` selects ``key`` (and optionally the columns named in
    ``kind_sql`` / ``category_sql``) from temporary tables.
    """
    con = store.raw
    # A party merged away keeps its id (an undo brings it back): new parties never take it.
    base = max(store.next_id("parties", "party_id"), store.next_id("merged_parties", "party_id")) - 1
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _new_keys AS SELECT k.*, "
        f"{base} + row_number() OVER (ORDER BY k.key) AS party_id FROM ({keys_sql}) k "
        "ANTI JOIN (SELECT source_key FROM identities WHERE source = ?) i ON k.key = i.source_key",
        [key_source],
    )
    n = con.execute("SELECT count(*) FROM _new_keys").fetchall()[0][0]
    if n:
        con.execute(
            "INSERT INTO parties (party_id, kind, category, created_at, import_id) "
            f"SELECT party_id, {kind_sql}, {category_sql}, now()::TIMESTAMP, ? FROM _new_keys k",
            [import_id],
        )
        con.execute("INSERT INTO identities (source, source_key, party_id, import_id) "
                    "SELECT ?, key, party_id, ? FROM _new_keys", [key_source, import_id])
    con.execute("DROP TABLE _new_keys")
    return n


def _refuse_unknown_keys(con, m: Mapping, key_source: str) -> None:
    """Refuse the records whose customer key ``key_source`` does not know (they go to quarantine)."""
    column = m.columns.get("customer_key", "customer_key")
    reason = (f" in column '{column}' is not a known customer of {key_source}: import the customers "
              "first, or let this import create customers (create parties)")
    con.execute("UPDATE _typed SET _reason = chr(39) || v_customer_key || chr(39) || ? WHERE _reason IS NULL "
                "AND v_customer_key NOT IN (SELECT source_key FROM identities WHERE source = ?)", [reason, key_source])


def _refuse_suppressed(con, m: Mapping, key_source: str) -> None:
    """Refuse records that would bring back a person erased on request (their key or, for parties, their email
    matches the suppression list's hashes) unless the key is still a known customer's."""
    column = m.columns.get("customer_key", "customer_key")
    reason = (f" in column '{column}' belongs to a person erased on request (the suppression list): "
              "they are not imported again")
    known = "v_customer_key NOT IN (SELECT source_key FROM identities WHERE source = ?)"
    con.execute("UPDATE _typed SET _reason = chr(39) || v_customer_key || chr(39) || ? WHERE _reason IS NULL "
                f"AND {known} AND sha256(lower(trim(v_customer_key))) IN "
                "(SELECT key_sha256 FROM suppressions WHERE source = ?)", [reason, key_source, key_source])
    if m.kind == "parties":
        con.execute("UPDATE _typed SET _reason = 'the email in this record belongs to a person erased on request "
                    "(the suppression list): not imported again' WHERE _reason IS NULL AND v_email IS NOT NULL "
                    f"AND {known} AND sha256(lower(trim(v_email))) IN "
                    "(SELECT email_sha256 FROM suppressions WHERE email_sha256 IS NOT NULL)", [key_source])


def _link_complaints(con, m: Mapping, source: str, key_source: str) -> None:
    """A message's complaint (``_complaint_id``) from its ``complaint_ref``: the key of a complaint imported from
    the same source (its external id), else patron's complaint number (``123`` or ``#123``). A reference to no
    complaint, or to another customer's, refuses the record with its reason (quarantine); a message without
    one belongs to a complaint by the customer's complaints open when it was sent (migration 23's rule)."""
    con.execute("ALTER TABLE _typed ADD COLUMN _complaint_id BIGINT")
    if "v_complaint_ref" not in typed_columns(con):
        return
    column = m.columns.get("complaint_ref", "complaint_ref").replace("'", "''")
    ref = "t.v_complaint_ref IS NOT NULL AND t._reason IS NULL"
    con.execute(f"UPDATE _typed t SET _complaint_id = c.complaint_id FROM complaints c WHERE {ref} "
                "AND c.source = ? AND c.external_id = trim(t.v_complaint_ref)", [source])
    con.execute(f"UPDATE _typed t SET _complaint_id = c.complaint_id FROM complaints c WHERE {ref} "
                "AND t._complaint_id IS NULL "
                "AND c.complaint_id = TRY_CAST(ltrim(trim(t.v_complaint_ref), '#') AS BIGINT)")
    con.execute(
        "UPDATE _typed t SET _reason = chr(39) || t.v_complaint_ref || chr(39) || ? "
        f"WHERE {ref} AND t._complaint_id IS NULL",
        [f" in column '{column}' is neither the key of a complaint of {source} nor a patron complaint number: "
         "import the complaints first, or correct the reference"])
    con.execute(
        "UPDATE _typed t SET _reason = chr(39) || t.v_complaint_ref || chr(39) || ? || CAST(c.party_id AS VARCHAR) "
        "|| '), not of this record''s customer ' || chr(39) || t.v_customer_key || chr(39) FROM complaints c "
        f"WHERE {ref} AND c.complaint_id = t._complaint_id AND c.party_id IS DISTINCT FROM (SELECT i.party_id "
        "FROM identities i WHERE i.source = ? AND i.source_key = t.v_customer_key)",
        [f" in column '{column}' is a complaint of another customer (#", key_source])


def store_facts(store: Store, m: Mapping, source: str, import_id: int, report: ImportReport) -> None:
    con = store.raw
    table, id_col = IMPORT_TABLES[m.kind].name, IMPORT_TABLES[m.kind].id_column
    key_source = str(m.option("key_source", source))
    amount = ", coalesce(v_revenue, v_quantity * v_unit_price) AS _amount" if m.kind == "transactions" else ""
    if not m.option("create_parties", m.kind in ("transactions", "party_links")):
        _refuse_unknown_keys(con, m, key_source)
    else:
        _refuse_suppressed(con, m, key_source)
    if m.kind == "interactions":
        _link_complaints(con, m, source, key_source)
    valid = con.execute("SELECT count(*) FROM _typed WHERE _reason IS NULL").fetchall()[0][0]
    # Every key of a record already stored has its identity already, so new parties come from valid keys.
    report.new_parties = _new_parties_for_keys(
        store, key_source, import_id, "SELECT DISTINCT v_customer_key AS key FROM _typed WHERE _reason IS NULL")
    other_join = ""
    if m.kind == "party_links":
        # The other party is a key of the same system; an unknown one becomes a bare party (an account, for the
        # links most exports hold: a contact's role in it).
        report.new_parties += _new_parties_for_keys(
            store, key_source, import_id,
            "SELECT v_other_key AS key, bool_and(coalesce(v_link_type, 'works_for') IN "
            "('reports_to', 'referred', 'household')) AS person FROM _typed WHERE _reason IS NULL GROUP BY 1",
            kind_sql="CASE WHEN k.person THEN 'person' ELSE 'organisation' END")
        other_join = ("JOIN (SELECT source_key, party_id FROM identities WHERE source = ?) o "
                      "ON n.v_other_key = o.source_key ")
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    available = {f"v_{name}" for name in fields_of(m.kind)}
    derived = DERIVED.get(m.kind, {})
    base = store.next_id(table, id_col) - 1
    select = []
    for col in columns:
        if col == id_col:
            # Ids follow the file's order; rejected records leave gaps, which is harmless.
            select.append(f"{base} + 1 + n._ord")
        elif col == "source":
            select.append(q(source))
        elif col == "external_id":
            select.append("n._ext")
        elif col == "party_id":
            select.append("i.party_id")
        elif col == "other_party_id":
            select.append("o.party_id")
        elif col == "import_id":
            select.append(str(import_id))
        elif col == "complaint_id" and m.kind == "interactions":
            select.append("n._complaint_id")
        elif col in derived:
            select.append(derived[col])
        elif f"v_{col}" in available:
            select.append(f"n.v_{col}")
        else:
            select.append("NULL")
    inserted = con.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM ("
        f"SELECT v.*{amount} FROM {records_sql(con, m.kind)} v WHERE v._reason IS NULL) n "
        f"ANTI JOIN (SELECT external_id FROM {table} WHERE source = ?) t ON n._ext = t.external_id "
        "JOIN (SELECT source_key, party_id FROM identities WHERE source = ?) i ON n.v_customer_key = i.source_key "
        f"{other_join}"
        # In party order: DuckDB adds the rows to the party_id index at commit, one at a time, and sorted keys
        # take it about half the time (3M rows: a 1.1-1.9 s commit instead of 2.7-3.1 s, for 0.5-0.9 s more
        # in the parallel insert);
        # one party's records also end up side by side, which is what a customer 360 reads.
        "ORDER BY i.party_id",
        [source, key_source, *([key_source] if other_join else [])],
    ).fetchall()[0][0]
    report.accepted = inserted
    report.already_present = valid - inserted


def _record_changes(con, import_id: int, changed: str, party_sql: str, fields: list[tuple[str, str]]) -> None:
    """Keep in ``party_changes`` every field a file changes of a known party: the old and the new value, so
    that the customer page shows the history and an undo restores the old values."""
    selects = " UNION ALL ".join(
        f"SELECT {party_sql} AS party_id, '{field}' AS field, p.{field}::VARCHAR AS old_value, "
        f"{value}::VARCHAR AS new_value FROM {changed} c JOIN parties p ON p.party_id = {party_sql} "
        f"WHERE {value} IS NOT NULL AND {value} IS DISTINCT FROM p.{field}"
        for field, value in fields)
    con.execute("INSERT INTO party_changes (party_id, field, old_value, new_value, changed_at, changed_by, import_id, "
                "how) "
                f"SELECT party_id, field, old_value, new_value, now()::TIMESTAMP, NULL, "
                f"?, 'import' FROM ({selects}) x", [import_id])


def store_parties(store: Store, m: Mapping, source: str, import_id: int, report: ImportReport) -> None:
    """Insert new parties, update the attributes of known ones, link organisations and referrers."""
    con = store.raw
    # One record per key: the first wins, later ones are rejected with a reason.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _typed AS SELECT * REPLACE ("
        "CASE WHEN _reason IS NULL AND _dup > 1 THEN 'customer key ''' || v_customer_key || "
        "''' appears more than once in this file; the first record was used' ELSE _reason END AS _reason) "
        "FROM (SELECT *, count(*) OVER (PARTITION BY v_customer_key ORDER BY _ord "
        f"ROWS UNBOUNDED PRECEDING) AS _dup FROM {records_sql(con, m.kind)})"
    )
    _refuse_suppressed(con, m, source)
    con.execute("CREATE OR REPLACE TEMP TABLE _valid AS SELECT * FROM _typed WHERE _reason IS NULL")
    valid = con.execute("SELECT count(*) FROM _valid").fetchall()[0][0]
    known = con.execute(
        "SELECT count(*) FROM _valid v JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key",
        [source],
    ).fetchall()[0][0]
    # Attributes of known parties: a non-empty new value replaces the stored one.
    # A key merged into another party (patron resolve) no longer speaks for it: the surviving party keeps
    # its own record's details, or a re-import would overwrite them with the duplicate's.
    differs = " OR ".join(f"(v.v_{a} IS NOT NULL AND v.v_{a} IS DISTINCT FROM p.{a})" for a in PARTY_ATTRIBUTES)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _changed AS SELECT i.party_id, v.* FROM _valid v "
        "JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key "
        f"JOIN parties p ON p.party_id = i.party_id WHERE ({differs}) AND {_NOT_MERGED_AWAY.format(i='i')}",
        [source],
    )
    report.updated = con.execute("SELECT count(*) FROM _changed").fetchall()[0][0]
    if report.updated:
        _record_changes(con, import_id, "_changed", "c.party_id",
                        [(a, f"c.v_{a}") for a in PARTY_ATTRIBUTES])
        sets = ", ".join(f"{a} = coalesce(c.v_{a}, p.{a})" for a in PARTY_ATTRIBUTES)
        con.execute(f"UPDATE parties p SET {sets} FROM _changed c WHERE p.party_id = c.party_id")
    report.accepted = valid - known + report.updated
    report.already_present = known - report.updated
    report.new_parties = _new_parties_for_keys(
        store, source, import_id,
        "SELECT v_customer_key AS key, v_kind, v_category FROM _valid",
        kind_sql="coalesce(k.v_kind, 'person')", category_sql="coalesce(k.v_category, 'customer')",
    )
    # Newly created parties get their attributes (they were created bare above).
    sets = ", ".join(f"{a} = coalesce(v.v_{a}, p.{a})" for a in PARTY_ATTRIBUTES if a not in ("kind", "category"))
    con.execute(
        f"UPDATE parties p SET {sets} FROM _valid v "
        "JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key "
        "WHERE p.party_id = i.party_id AND p.import_id = ?",
        [source, import_id],
    )
    # Organisations and referrers are keys of the same system; unknown ones become bare parties.
    report.new_parties += _new_parties_for_keys(
        store, source, import_id,
        "SELECT DISTINCT v_organisation_key AS key FROM _valid WHERE v_organisation_key IS NOT NULL",
        kind_sql="'organisation'")
    report.new_parties += _new_parties_for_keys(
        store, source, import_id,
        "SELECT DISTINCT v_referred_by_key AS key FROM _valid WHERE v_referred_by_key IS NOT NULL")
    for key_col, party_col in (("v_organisation_key", "organisation_id"), ("v_referred_by_key", "referred_by")):
        # A link of a known party that the file changes is a change of its record, kept like the others.
        con.execute(
            "INSERT INTO party_changes (party_id, field, old_value, new_value, changed_at, changed_by, import_id, how) "
            "SELECT p.party_id, ?, p.{col}::VARCHAR, link.party_id::VARCHAR, "
            "now()::TIMESTAMP, NULL, ?, 'import' FROM _valid v "
            "JOIN identities me ON me.source = ? AND me.source_key = v.v_customer_key "
            f"JOIN identities link ON link.source = ? AND link.source_key = v.{key_col} "
            "JOIN parties p ON p.party_id = me.party_id "
            "WHERE p.import_id IS DISTINCT FROM ? AND p.{col} IS DISTINCT FROM link.party_id "
            f"AND {_NOT_MERGED_AWAY.format(i='me')}".replace("{col}", party_col),
            [party_col, import_id, source, source, import_id],
        )
        con.execute(
            f"UPDATE parties p SET {party_col} = link.party_id FROM _valid v "
            "JOIN identities me ON me.source = ? AND me.source_key = v.v_customer_key "
            f"JOIN identities link ON link.source = ? AND link.source_key = v.{key_col} "
            f"WHERE p.party_id = me.party_id AND {_NOT_MERGED_AWAY.format(i='me')}",
            [source, source],
        )
    # The search index follows the names, emails and phones just written (new parties and changed ones).
    search_index.refresh(store, f"SELECT party_id FROM _changed UNION ALL SELECT party_id FROM parties "
                                f"WHERE import_id = {int(import_id)}")
    picture.refresh(store, f"SELECT party_id FROM _changed UNION ALL SELECT party_id FROM parties "
                           f"WHERE import_id = {int(import_id)}")
    con.execute("DROP TABLE _valid; DROP TABLE _changed")


def store_quarantine(store: Store, staged: StagedFile, import_id: int, sha: str, report: ImportReport) -> None:
    """Store rejected records with line, raw text, original bytes (base64) and reason.

    Records already quarantined by an earlier import of the same file are
    not stored again, so importing a file twice leaves the quarantine as it was.
    """
    con = store.raw
    con.execute("CREATE OR REPLACE TEMP TABLE _q AS SELECT * FROM quarantine LIMIT 0")
    names = ["import_id", "file_name", "line", "raw", "reason", "raw_base64"]
    rows = [(import_id, staged.path.name, line, raw, reason, _base64(exact))
            for line, raw, reason, exact in staged.unreadable]
    insert_rows(con, "_q", names, rows)
    bad = con.execute("SELECT count(*) FROM _typed WHERE _reason IS NOT NULL").fetchall()[0][0]
    # Records refused while storing (unknown or erased customers) count against the same cap.
    staged.check_rejects(len(rows) + bad, staged.rows_read)
    if bad:
        if staged.format == "csv":
            ordinals = [r[0] for r in con.execute("SELECT _ord FROM _typed WHERE _reason IS NOT NULL").fetchall()]
            located = csv_lines_of_ordinals(staged, ordinals)
            con.execute("CREATE OR REPLACE TEMP TABLE _where (_ord BIGINT, line BIGINT, raw VARCHAR, "
                        "raw_base64 VARCHAR)")
            insert_rows(con, "_where", ["_ord", "line", "raw", "raw_base64"],
                        [(o, line, raw, _base64(exact)) for o, (line, raw, exact) in located.items()])
            con.execute(
                "INSERT INTO _q (import_id, file_name, line, raw, reason, raw_base64) "
                "SELECT ?, ?, w.line, w.raw, t._reason, w.raw_base64 FROM _typed t "
                "LEFT JOIN _where w USING (_ord) WHERE t._reason IS NOT NULL",
                [import_id, staged.path.name],
            )
            con.execute("DROP TABLE _where")
        else:
            columns = set(typed_columns(con))
            raw = "_raw" if "_raw" in columns else "to_json(s)::VARCHAR"
            source = "_typed t" if raw == "_raw" else "_typed t JOIN _stage s USING (_ord)"
            # The text decoded without loss: its bytes in the file's encoding are the original ones.
            encoded = "NULL" if staged.format == "parquet" else f"to_base64(encode({raw}))"
            if staged.format != "parquet" and staged.encoding != "utf-8":
                encoded = "NULL"  # filled in below, in the file's encoding
            con.execute(
                f"INSERT INTO _q (import_id, file_name, line, raw, reason, raw_base64) "
                f"SELECT ?, ?, t._ord + 1, {raw}, t._reason, {encoded} "
                f"FROM {source} WHERE t._reason IS NOT NULL",
                [import_id, staged.path.name],
            )
            if encoded == "NULL" and staged.format != "parquet":
                _encode_in_python(con, staged.encoding)
    report.reasons = [
        (reason, n) for reason, n in con.execute(
            "SELECT regexp_replace(reason, '^''.*?'' in ', '… in '), count(*) AS n FROM _q "
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5").fetchall()
    ]
    con.execute(
        "INSERT INTO quarantine (import_id, file_name, line, \"column\", raw, reason, raw_base64) "
        "SELECT q.import_id, q.file_name, q.line, q.\"column\", q.raw, q.reason, q.raw_base64 FROM _q q "
        "ANTI JOIN (SELECT line, reason FROM quarantine "
        "WHERE import_id IN (SELECT import_id FROM imports WHERE file_sha256 = ?)) o "
        "ON q.line IS NOT DISTINCT FROM o.line AND q.reason = o.reason",
        [sha],
    )
    con.execute("DROP TABLE _q")
    report.rejected = len(rows) + bad


def _base64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def _encode_in_python(con, encoding: str) -> None:
    """``raw_base64`` of quarantined lines decoded from an encoding SQL cannot write back (Latin-1)."""
    rows = con.execute("SELECT rowid, raw FROM _q WHERE raw_base64 IS NULL AND raw IS NOT NULL").fetchall()
    if not rows:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE _q64 (r BIGINT, b VARCHAR)")
    insert_rows(con, "_q64", ["r", "b"], [(r, _base64(raw.encode(encoding, errors="replace"))) for r, raw in rows])
    con.execute("UPDATE _q SET raw_base64 = _q64.b FROM _q64 WHERE _q.rowid = _q64.r")
    con.execute("DROP TABLE _q64")
