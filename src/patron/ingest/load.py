"""Importing one file into the store, all or nothing.

The steps, each a SQL statement over temporary tables in the store's own
DuckDB connection, all inside one transaction:

1. **stage** the file as text (:mod:`patron.ingest.readers`); records the
   reader cannot split go to quarantine with their line;
2. **type** every mapped field (:mod:`patron.ingest.parse`) and write down,
   per record, every reason it cannot be stored;
3. **key** each record: its own id in the source system, or a hash of its
   content plus its occurrence number (identical lines in one file are
   different facts; the same line in a second import is the same fact);
4. **resolve** customer keys to parties through ``identities``, creating a
   party for each key seen for the first time;
5. **insert** records whose key the store does not hold yet, and the
   quarantined ones with their reasons, and one ``imports`` row.

A kill or an error anywhere leaves the store as it was: DuckDB discards an
uncommitted transaction when the file is next opened.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from patron.errors import ImportRejected, PatronError
from patron.ingest import parse
from patron.ingest.fields import Field, fields_of
from patron.ingest.mapping import Mapping, complete_mapping, load_mapping
from patron.ingest.parse import ident, q
from patron.ingest.readers import StagedFile, csv_lines_of_ordinals, stage
from patron.store import Store

Progress = Callable[[str, float], None]

TARGET_TABLE = {
    "transactions": ("transactions", "transaction_id"),
    "interactions": ("interactions", "interaction_id"),
    "feedback": ("feedback", "feedback_id"),
    "complaints": ("complaints", "complaint_id"),
    "consents": ("consents", "consent_id"),
}
PARTY_ATTRIBUTES = ("name", "email", "phone", "address", "postcode", "city", "country", "birth_date", "kind",
                    "category", "job_title", "acquired_at", "acquisition_channel", "acquisition_cost")


@dataclass
class ImportReport:
    """What one import did. ``rows_read == accepted + rejected + already_present``."""

    import_id: int
    kind: str
    source: str
    file_name: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    already_present: int = 0
    updated: int = 0
    new_parties: int = 0
    seconds: float = 0.0
    mapping: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)  # most common quarantine reasons


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_mapping(kind: str | None, mapping: Mapping | str | Path | None, preset: str | None) -> Mapping:
    if preset:
        from patron.ingest.presets import get_preset

        resolved = get_preset(preset)
        if kind and kind != resolved.kind:
            raise PatronError(f"The preset '{preset}' imports {resolved.kind}, not {kind}.")
        return resolved
    if isinstance(mapping, Mapping):
        return mapping
    if mapping is not None:
        return load_mapping(mapping, kind)
    if not kind:
        raise PatronError("Say what the file holds (transactions, parties, interactions, feedback, "
                          "complaints or consents), or give a mapping or a preset.")
    fields_of(kind)
    return Mapping(kind=kind, name="auto-detected")


def import_file(
    store: Store,
    path: str | Path,
    kind: str | None = None,
    *,
    mapping: Mapping | str | Path | None = None,
    preset: str | None = None,
    source: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one CSV, Parquet, JSON Lines or whitespace-separated file.

    Parameters
    ----------
    store
        An open, writable store.
    path
        The file.
    kind
        ``transactions``, ``parties``, ``interactions``, ``feedback``,
        ``complaints`` or ``consents``; may come from the mapping or preset.
    mapping
        A :class:`Mapping`, or the path of a mapping TOML file; columns it does
        not name are auto-detected.
    preset
        A built-in layout (``patron import --list-presets``).
    source
        The system that exported the file: the namespace of its customer keys.

    Returns
    -------
    ImportReport
        Counts, the import's id, notes, and the most common rejection reasons.

    Raises
    ------
    ImportRejected
        When the file as a whole cannot be imported; nothing is stored.
    """
    started = time.perf_counter()
    path = Path(path)
    report_progress = progress or (lambda step, fraction: None)
    m = resolve_mapping(kind, mapping, preset).with_source(source)
    source_name = m.source or "default"
    if store.read_only:
        raise PatronError("The store is open read-only; imports need write access.")
    if not path.exists():
        raise ImportRejected(f"{path}: no such file.")
    report_progress("checksum", 0.0)
    sha = file_sha256(path)
    con = store.raw
    with store.transaction():
        import_id = store.next_id("imports", "import_id")
        report = ImportReport(import_id, m.kind, source_name, path.name)
        earlier = store.query("SELECT import_id FROM imports WHERE file_sha256 = ? AND kind = ? AND source = ?",
                              [sha, m.kind, source_name])
        if earlier:
            report.notes.append(
                f"This file was imported before (import {', '.join(str(e[0]) for e in earlier)}); "
                "records already stored are counted as already present."
            )
        report_progress("reading", 0.05)
        staged = stage(con, path, m)
        m = complete_mapping(m, staged.columns)
        report.mapping = m.describe()
        report.ignored_columns = [c for c in staged.columns if c not in m.columns.values()
                                  and not any(c in e for e in m.expressions.values())]
        report_progress("checking values", 0.35)
        _type_records(con, staged, m, report)
        report_progress("storing", 0.65)
        if m.kind == "parties":
            _store_parties(store, m, source_name, import_id, report)
        else:
            _store_facts(store, m, source_name, import_id, report)
        report_progress("quarantine", 0.9)
        _store_quarantine(store, staged, import_id, sha, report)
        report.rows_read = staged.rows_read
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
            [import_id, m.kind, source_name, path.name, sha, staged.format, preset, report.mapping,
             report.rows_read, report.accepted, report.rejected, report.already_present, report.new_parties],
        )
        _drop_temporaries(con, ("_stage", "_lines", "_stage_rows", "_typed", "_lines_rows", "_split"))
    counted = report.accepted + report.rejected + report.already_present
    if counted != report.rows_read:  # pragma: no cover - a bug, never a user error
        raise PatronError(f"Internal error: {report.rows_read} records read but {counted} accounted for.")
    report.seconds = time.perf_counter() - started
    report_progress("done", 1.0)
    return report


def _drop_temporaries(con, names: tuple[str, ...]) -> None:
    for name in names:
        kinds = con.execute(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? AND temporary "
            "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? AND temporary", [name, name]
        ).fetchall()
        for (kind,) in kinds:
            con.execute(f"DROP {kind} IF EXISTS {name}")


# -- typing ------------------------------------------------------------------

def _raw_expr(m: Mapping, f: Field) -> str | None:
    if f.name in m.expressions:
        return f"({m.expressions[f.name]})"
    if f.name in m.columns:
        return parse.cleaned(ident(m.columns[f.name]))
    if f.name in m.values:
        return q(m.values[f.name])
    return None


def _type_records(con, staged: StagedFile, m: Mapping, report: ImportReport) -> None:
    fields = fields_of(m.kind)
    missing = [f for f in fields.values() if f.required and _raw_expr(m, f) is None]
    if m.kind == "transactions" and _raw_expr(m, fields["revenue"]) is None and (
        _raw_expr(m, fields["quantity"]) is None or _raw_expr(m, fields["unit_price"]) is None
    ):
        missing.append(fields["revenue"])
    if missing:
        wanted = "; ".join(f"{f.name} (looked for: {', '.join((f.name, *f.aliases[:6]))})" for f in missing)
        raise ImportRejected(
            f"{staged.path.name}: no column for {wanted}. The file's columns are: "
            f"{', '.join(repr(c) for c in staged.columns)}. Name them in a mapping file ([columns] section)."
        )
    raw = {name: _raw_expr(m, f) for name, f in fields.items() if _raw_expr(m, f) is not None}
    select = ", ".join(f"{expr} AS {ident('r_' + name)}" for name, expr in raw.items())
    extra_raw = ", _raw" if "_raw" in _stage_columns(con) else ""
    fill = [n for n in m.fill_by_document if n in raw and "document" in raw]
    # Only a layout that fills blanks from other lines needs the cleaned values stored.
    clean_kind = "TABLE" if fill else "VIEW"
    con.execute(f"CREATE OR REPLACE TEMP {clean_kind} _clean AS SELECT _ord{extra_raw}, {select} FROM _stage")
    for name in fill:
        con.execute(
            f"UPDATE _clean c SET r_{name} = d.v FROM (SELECT r_document, max(r_{name}) AS v FROM _clean "
            f"WHERE r_{name} IS NOT NULL GROUP BY r_document) d "
            f"WHERE c.r_{name} IS NULL AND c.r_document = d.r_document"
        )
    numeric = [f"r_{n}" for n in raw if fields[n].type in ("money", "number") and n not in m.values]
    decimal = str(m.option("decimal") or parse.detect_decimal(con, "_clean", numeric, ""))
    timezone = str(m.option("timezone", "UTC"))
    _check_timezone(con, timezone)
    typed, reasons = [], []
    for name in raw:
        f = fields[name]
        r = f"r_{name}"
        layout = None
        if f.type in ("timestamp", "date"):
            layout = m.option("date_format") or parse.detect_layout(
                con, "_clean", r, m.columns.get(name, name), staged.path.name)
        expr = parse.typed_sql(r, f, decimal=decimal, layout=layout, timezone=timezone)
        typed.append(f"{expr} AS v_{name}")
        where = f"column {_column_of(m, name)!r}" if _column_of(m, name) else f"field {name}"
        place = where.replace("'", "''")
        quoted_value = "'''' || left(" + r + ", 80) || ''''"
        reasons.append((f"{r} IS NOT NULL AND v_{name} IS NULL",
                        f"{quoted_value} || ' in {place} {parse.problem_text(f)}'"))
        if f.type == "timestamp":
            reasons.append((f"v_{name} < TIMESTAMP '1900-01-01' OR v_{name} > now()::TIMESTAMP + INTERVAL 366 DAY",
                            f"'date ' || v_{name}::VARCHAR || ' in {place} is implausible'"))
        if f.required:
            reasons.append((f"{r} IS NULL", f"'missing {name} ({place})'"))
    for name, f in fields.items():
        if name not in raw:
            typed.append(f"NULL::{_sql_type(f)} AS v_{name}")
    reasons += _kind_rules(m.kind)
    # One materialised table: cleaned text, typed values, the reasons, and the record's key.
    # Only what later steps read is kept: the typed values, reasons and keys, not the text.
    keep = ", ".join([f"v_{name}" for name in fields] + ["_reason"])
    key_columns = "_ext" if "external_id" in raw else "_hash, _occ"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _ord{extra_raw}, {keep}, {key_columns} "
        f"FROM (SELECT *, {_reason_sql(reasons)} AS _reason, {_key_sql(m, list(raw))} "
        f"FROM (SELECT *, {', '.join(typed)} FROM _clean))"
    )
    con.execute(f"DROP {clean_kind} _clean")
    if "external_id" in raw:
        _reject_repeated_ids(con)
    else:
        _number_repeated_content(con)
    report.notes.append(f"decimal separator {decimal!r}; times without an offset read as {timezone}")


def _column_of(m: Mapping, name: str) -> str | None:
    """The file column a field is read from, for messages (a preset rule names it in quotes)."""
    if name in m.columns:
        return m.columns[name]
    found = re.search(r'"([^"]+)"', m.expressions.get(name, ""))
    return found.group(1) if found else None


def _check_timezone(con, timezone: str) -> None:
    if timezone.upper() == "UTC":
        return
    if not con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [timezone]).fetchall()[0][0]:
        raise PatronError(f"Unknown time zone '{timezone}' in the mapping; use a name such as 'Europe/London'.")


def _stage_columns(con) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE _stage").fetchall()]


def _sql_type(f: Field) -> str:
    return {"money": "DECIMAL(18, 4)", "number": "DOUBLE", "timestamp": "TIMESTAMP", "date": "DATE",
            "boolean": "BOOLEAN"}.get(f.type, "VARCHAR")


def _reason_sql(reasons: list[tuple[str, str]]) -> str:
    """NULL for a record that passes every check, else every failed check's message.

    Messages are built only for failing records: building them for every
    record cost more than the checks themselves.
    """
    failed = " OR ".join(f"coalesce({cond}, FALSE)" for cond, _ in reasons)
    messages = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for cond, msg in reasons)
    return f"CASE WHEN {failed} THEN concat_ws('; ', {messages}) END"


def _kind_rules(kind: str) -> list[tuple[str, str]]:
    """Checks across fields, as (failing condition, message) pairs."""
    if kind == "transactions":
        return [("coalesce(v_revenue, v_quantity * v_unit_price) IS NULL",
                 "'no amount: the record has neither a revenue nor a quantity and a unit price'")]
    if kind == "complaints":
        return [("v_first_response_at < v_opened_at", "'first response is before the complaint was opened'"),
                ("v_resolved_at < v_opened_at", "'resolved before the complaint was opened'")]
    if kind == "feedback":
        return [
            ("v_instrument = 'nps' AND (v_score < 0 OR v_score > 10)", "'an NPS score must be between 0 and 10'"),
            ("v_instrument = 'servqual' AND v_score IS NULL AND (v_expectation IS NULL OR v_perception IS NULL)",
             "'a SERVQUAL answer needs a score, or an expectation and a perception'"),
            ("v_score IS NOT NULL AND v_scale_max IS NOT NULL AND v_score > v_scale_max",
             "'score is above the scale maximum'"),
        ]
    return []


# -- keys, identities and inserts ----------------------------------------------

#: Columns whose value is derived rather than copied from ``v_<column>``.
DERIVED = {
    "transactions": {
        "revenue": "CAST(CASE WHEN coalesce(v_kind, '') = 'refund' AND _amount > 0 THEN -_amount ELSE _amount END "
                   "AS DECIMAL(18, 4))",
        "kind": "coalesce(v_kind, CASE WHEN _amount < 0 THEN 'refund' ELSE 'order' END)",
        "currency": "upper(coalesce(v_currency, 'XXX'))",
    },
    "complaints": {
        "severity": "coalesce(v_severity, 'medium')",
        "status": "coalesce(v_status, CASE WHEN v_resolved_at IS NOT NULL THEN 'resolved' ELSE 'open' END)",
    },
}


def _key_sql(m: Mapping, fields: list[str]) -> str:
    """SQL for the record's key in its source system.

    A mapped ``external_id`` is used as it is (``_ext``). Without one, the
    key is the MD5 (128-bit) hash of the record's content (``_hash``) plus its
    occurrence number (``_occ``), so identical lines stay distinct facts
    within a file while the same file imported twice adds nothing. The
    window needs no order: identical records are interchangeable.
    """
    if "external_id" in fields:
        return "r_external_id AS _ext"
    content = "concat_ws(chr(31), " + ", ".join(f"coalesce(r_{f}, '')" for f in fields) + ")"
    return f"md5({content}) AS _hash, 1 AS _occ"


def _number_repeated_content(con) -> None:
    """Occurrence numbers for records whose content repeats within the file.

    Done on a narrow projection of just the repeated hashes: a window over
    the whole wide record would cost more than the rest of the import.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _repeats AS SELECT _ord, row_number() OVER (PARTITION BY _hash) AS n "
        "FROM _typed WHERE _hash IN (SELECT _hash FROM _typed GROUP BY _hash HAVING count(*) > 1)"
    )
    if con.execute("SELECT count(*) FROM _repeats").fetchall()[0][0]:
        con.execute("UPDATE _typed t SET _occ = r.n FROM _repeats r WHERE t._ord = r._ord")
    con.execute("DROP TABLE _repeats")


def _ext_sql(alias: str) -> str:
    """The stored form of a content key: 32 hex digits and the occurrence number."""
    return f"{alias}._hash || ':' || {alias}._occ"


def _reject_repeated_ids(con) -> None:
    """A record id seen twice in one file: the first is kept, later ones are rejected."""
    con.execute(
        "UPDATE _typed t SET _reason = 'record id ''' || t._ext || ''' appears more than once in this file' "
        "FROM (SELECT _ord, count(*) OVER (PARTITION BY _ext ORDER BY _ord ROWS UNBOUNDED PRECEDING) AS n "
        "FROM _typed WHERE _ext IN (SELECT _ext FROM _typed GROUP BY _ext HAVING count(*) > 1)) d "
        "WHERE t._ord = d._ord AND d.n > 1 AND t._reason IS NULL"
    )


def _typed_columns(con) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE _typed").fetchall()]


def _new_parties_for_keys(store: Store, key_source: str, import_id: int, keys_sql: str,
                          kind_sql: str = "'person'", category_sql: str = "'customer'") -> int:
    """Create a party and an identity for every key in ``keys_sql`` not yet known in ``key_source``.

    ``keys_sql`` selects ``key`` (and optionally the columns named in
    ``kind_sql`` / ``category_sql``) from temporary tables.
    """
    con = store.raw
    base = store.next_id("parties", "party_id") - 1
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
        con.execute("INSERT INTO identities SELECT ?, key, party_id, ? FROM _new_keys", [key_source, import_id])
    con.execute("DROP TABLE _new_keys")
    return n


def _store_facts(store: Store, m: Mapping, source: str, import_id: int, report: ImportReport) -> None:
    con = store.raw
    table, id_col = TARGET_TABLE[m.kind]
    key_source = str(m.option("key_source", source))
    ext = "" if "_ext" in _typed_columns(con) else f", {_ext_sql('v')} AS _ext"
    amount = ", coalesce(v_revenue, v_quantity * v_unit_price) AS _amount" if m.kind == "transactions" else ""
    valid = con.execute("SELECT count(*) FROM _typed WHERE _reason IS NULL").fetchall()[0][0]
    # Every key of a record already stored has its identity already, so new parties come from valid keys.
    report.new_parties = _new_parties_for_keys(
        store, key_source, import_id, "SELECT DISTINCT v_customer_key AS key FROM _typed WHERE _reason IS NULL")
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    available = set(_typed_columns(con))
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
        elif col == "import_id":
            select.append(str(import_id))
        elif col in derived:
            select.append(derived[col])
        elif f"v_{col}" in available:
            select.append(f"n.v_{col}")
        else:
            select.append("NULL")
    inserted = con.execute(
        f"INSERT INTO {table} SELECT {', '.join(select)} FROM ("
        f"SELECT v.*{ext}{amount} FROM _typed v WHERE v._reason IS NULL) n "
        f"ANTI JOIN (SELECT external_id FROM {table} WHERE source = ?) t ON n._ext = t.external_id "
        "JOIN (SELECT source_key, party_id FROM identities WHERE source = ?) i ON n.v_customer_key = i.source_key",
        [source, key_source],
    ).fetchall()[0][0]
    report.accepted = inserted
    report.already_present = valid - inserted


def _store_parties(store: Store, m: Mapping, source: str, import_id: int, report: ImportReport) -> None:
    """Insert new parties, update the attributes of known ones, link organisations and referrers."""
    con = store.raw
    # One record per key: the first wins, later ones are rejected with a reason.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _typed AS SELECT * REPLACE ("
        "CASE WHEN _reason IS NULL AND _dup > 1 THEN 'customer key ''' || v_customer_key || "
        "''' appears more than once in this file; the first record was used' ELSE _reason END AS _reason) "
        "FROM (SELECT *, count(*) OVER (PARTITION BY v_customer_key ORDER BY _ord "
        "ROWS UNBOUNDED PRECEDING) AS _dup FROM _typed)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _valid AS SELECT * FROM _typed WHERE _reason IS NULL")
    valid = con.execute("SELECT count(*) FROM _valid").fetchall()[0][0]
    known = con.execute(
        "SELECT count(*) FROM _valid v JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key",
        [source],
    ).fetchall()[0][0]
    # Attributes of known parties: a non-empty new value replaces the stored one.
    differs = " OR ".join(f"(v.v_{a} IS NOT NULL AND v.v_{a} IS DISTINCT FROM p.{a})" for a in PARTY_ATTRIBUTES)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _changed AS SELECT i.party_id, v.* FROM _valid v "
        "JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key "
        f"JOIN parties p ON p.party_id = i.party_id WHERE {differs}",
        [source],
    )
    report.updated = con.execute("SELECT count(*) FROM _changed").fetchall()[0][0]
    if report.updated:
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
        f"UPDATE parties p SET {sets} FROM _valid v JOIN identities i ON i.source = ? AND i.source_key = v.v_customer_key "
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
        con.execute(
            f"UPDATE parties p SET {party_col} = link.party_id FROM _valid v "
            "JOIN identities me ON me.source = ? AND me.source_key = v.v_customer_key "
            f"JOIN identities link ON link.source = ? AND link.source_key = v.{key_col} "
            "WHERE p.party_id = me.party_id",
            [source, source],
        )
    con.execute("DROP TABLE _valid; DROP TABLE _changed")


def _store_quarantine(store: Store, staged: StagedFile, import_id: int, sha: str, report: ImportReport) -> None:
    """Store rejected records with line, raw text and reason.

    Records already quarantined by an earlier import of the same file are
    not stored again, so importing a file twice leaves the quarantine as it was.
    """
    con = store.raw
    con.execute("CREATE OR REPLACE TEMP TABLE _q AS SELECT * FROM quarantine LIMIT 0")
    rows = [(import_id, staged.path.name, line, None, raw, reason) for line, raw, reason in staged.unreadable]
    if rows:
        con.executemany("INSERT INTO _q VALUES (?, ?, ?, ?, ?, ?)", rows)
    bad = con.execute("SELECT count(*) FROM _typed WHERE _reason IS NOT NULL").fetchall()[0][0]
    if bad:
        if staged.format == "csv":
            ordinals = [r[0] for r in con.execute("SELECT _ord FROM _typed WHERE _reason IS NOT NULL").fetchall()]
            located = csv_lines_of_ordinals(staged, ordinals)
            con.execute("CREATE OR REPLACE TEMP TABLE _where (_ord BIGINT, line BIGINT, raw VARCHAR)")
            if located:
                con.executemany("INSERT INTO _where VALUES (?, ?, ?)",
                                [(o, line, raw) for o, (line, raw) in located.items()])
            con.execute(
                "INSERT INTO _q SELECT ?, ?, w.line, NULL, w.raw, t._reason FROM _typed t "
                "LEFT JOIN _where w USING (_ord) WHERE t._reason IS NOT NULL",
                [import_id, staged.path.name],
            )
            con.execute("DROP TABLE _where")
        else:
            columns = set(_typed_columns(con))
            raw = "_raw" if "_raw" in columns else "to_json(s)::VARCHAR"
            source = "_typed t" if raw == "_raw" else "_typed t JOIN _stage s USING (_ord)"
            con.execute(
                f"INSERT INTO _q SELECT ?, ?, t._ord + 1, NULL, {raw}, t._reason "
                f"FROM {source} WHERE t._reason IS NOT NULL",
                [import_id, staged.path.name],
            )
    report.reasons = [
        (reason, n) for reason, n in con.execute(
            "SELECT regexp_replace(reason, '^''.*?'' in ', '… in '), count(*) AS n FROM _q "
            "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5").fetchall()
    ]
    con.execute(
        "INSERT INTO quarantine SELECT q.* FROM _q q ANTI JOIN (SELECT line, reason FROM quarantine "
        "WHERE import_id IN (SELECT import_id FROM imports WHERE file_sha256 = ?)) o "
        "ON q.line IS NOT DISTINCT FROM o.line AND q.reason = o.reason",
        [sha],
    )
    con.execute("DROP TABLE _q")
    report.rejected = len(rows) + bad
