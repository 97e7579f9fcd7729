"""Typing and checking staged records, and keying them.

Every mapped field is turned from text into its type in SQL
(:mod:`patron.ingest.parse`); every check that fails on a record adds its
reason; a record with a reason goes to quarantine. Each record also gets its
key in the source system (its own id, or a content hash and occurrence).
"""

from __future__ import annotations

import re

from patron.errors import ImportRejected, PatronError
from patron.ingest import parse
from patron.ingest.fields import Field, fields_of
from patron.ingest.mapping import Mapping
from patron.ingest.parse import ident, q
from patron.ingest.readers import StagedFile, read_staged
from patron.ingest.report import ImportReport
from patron.store import vocabulary as words
from patron.store.vocabulary import sql_list


def _raw_expr(m: Mapping, f: Field) -> str | None:
    if f.name in m.expressions:
        return f"({m.expressions[f.name]})"
    if f.name in m.columns:
        return parse.cleaned(ident(m.columns[f.name]))
    if f.name in m.values:
        return q(m.values[f.name])
    return None


def type_records(con, staged: StagedFile, m: Mapping, report: ImportReport) -> None:
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
    clean_sql = f"CREATE OR REPLACE TEMP {clean_kind} _clean AS SELECT _ord{extra_raw}, {select} FROM _stage"
    if fill:
        read_staged(con, staged, clean_sql, "_clean")
    else:
        con.execute(clean_sql)
    # Detection looks at a sample: of the file itself when it is read only once, by the typing below.
    sample = "_clean"
    if staged.read_later and not fill:
        sample = "_clean_sample"
        con.execute(f"CREATE OR REPLACE TEMP VIEW _clean_sample AS SELECT {select} FROM _stage_sample")
    for name in fill:
        con.execute(
            f"UPDATE _clean c SET r_{name} = d.v FROM (SELECT r_document, max(r_{name}) AS v FROM _clean "
            f"WHERE r_{name} IS NOT NULL GROUP BY r_document) d "
            f"WHERE c.r_{name} IS NULL AND c.r_document = d.r_document"
        )
    numeric = [f"r_{n}" for n in raw if fields[n].type in ("money", "number") and n not in m.values]
    decimal = str(m.option("decimal") or parse.detect_decimal(con, sample, numeric, ""))
    timezone = str(m.option("timezone", "UTC"))
    _check_timezone(con, timezone)
    typed, reasons, plain = [], [], []
    for name in raw:
        f = fields[name]
        r = f"r_{name}"
        layout = None
        if f.type in ("timestamp", "date"):
            layout = m.option("date_format") or parse.detect_layout(
                con, sample, r, m.columns.get(name, name), staged.path.name)
        cast = parse.plain_cast(r, f, decimal)
        if cast:
            plain.append(f"{cast} AS c_{name}")
        expr = parse.typed_sql(r, f, decimal=decimal, layout=layout, timezone=timezone,
                               plain=f"c_{name}" if cast else None)
        typed.append(f"{expr} AS v_{name}")
        where = f"column {_column_of(m, name)!r}" if _column_of(m, name) else f"field {name}"
        place = where.replace("'", "''")
        quoted_value = "'''' || left(" + r + ", 80) || ''''"
        if f.type != "text":  # text is stored as it is: it cannot fail to be typed
            reasons.append((f"{r} IS NOT NULL AND v_{name} IS NULL",
                            f"{quoted_value} || ' in {place} {parse.problem_text(f)}'"))
        if f.type == "timestamp":
            reasons.append((f"v_{name} < TIMESTAMP '1900-01-01' OR v_{name} > now()::TIMESTAMP + INTERVAL 366 DAY",
                            f"'date ' || v_{name}::VARCHAR || ' in {place} is implausible'"))
        if f.required:
            reasons.append((f"{r} IS NULL", f"'missing {name} ({place})'"))
    reasons += _kind_rules(m.kind)
    # Fields the file does not have stay out of the table (constant NULLs: see :func:`records_sql`), and
    # so does the text: later steps read the typed values, reasons and keys only.
    keep = ", ".join([f"v_{name}" for name in raw] + ["_reason", "_ext"])
    referenced = " ".join(cond + msg for cond, msg in reasons)
    absent = ", ".join(f"NULL::{_sql_type(f)} AS v_{name}" for name, f in fields.items()
                       if name not in raw and f"v_{name}" in referenced)
    # Plain casts of numbers are computed once, one level below the typing that tests and then uses them.
    clean = f"(SELECT *, {', '.join(plain)} FROM _clean)" if plain else "_clean"
    typed_sql = (
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT _ord{extra_raw}, {keep} "
        f"FROM (SELECT *, {_reason_sql(reasons)} AS _reason, {key_sql(m, list(raw))} "
        f"FROM (SELECT *, {', '.join(typed + ([absent] if absent else []))} FROM {clean}))"
    )
    if fill:
        con.execute(typed_sql)
    else:
        read_staged(con, staged, typed_sql, "_typed")
    con.execute(f"DROP {clean_kind} _clean")
    if sample != "_clean":
        con.execute(f"DROP VIEW {sample}")
    if "external_id" in raw:
        reject_repeated_ids(con)
    else:
        number_repeated_content(con)
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
    # A condition that is NULL (a comparison with a missing value) has not failed: CASE takes only TRUE.
    failed = " OR ".join(f"({cond})" for cond, _ in reasons)
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
    if kind == "party_links":
        roles = sql_list(words.BUYING_ROLES)
        return [("coalesce(v_link_type, 'works_for') = 'buying_role' AND (v_role IS NULL OR lower(v_role) NOT IN "
                 f"{roles})", f"'a buying-centre role must be one of {', '.join(words.BUYING_ROLES)}'"),
                ("v_until < v_since", "'the link ends (until) before it begins (since)'"),
                ("v_customer_key = v_other_key", "'a party cannot be linked to itself'")]
    return []


def key_sql(m: Mapping, fields: list[str]) -> str:
    """SQL for the record's key in its source system, ``_ext``.

    A mapped ``external_id`` is used as it is. Without one, the key is the
    MD5 (128-bit) hash of the record's content, in 32 hex digits, a colon and
    its occurrence number, so identical lines stay distinct facts within a
    file while the same file imported twice adds nothing. Every record is
    written as occurrence 1 here; :func:`number_repeated_content` renumbers
    the few that repeat.
    """
    if "external_id" in fields:
        return "r_external_id AS _ext"
    content = "concat_ws(chr(31), " + ", ".join(f"coalesce(r_{f}, '')" for f in fields) + ")"
    return f"md5({content}) || ':1' AS _ext"


def number_repeated_content(con) -> None:
    """Occurrence numbers for records whose content repeats within the file.

    Repeats are found by grouping a 64-bit hash of the key rather than the
    key text (a few times cheaper over millions of records; a collision only
    brings a non-repeated key into the window, which numbers it 1 again), and
    numbered on a narrow projection of just those records. The window needs
    no order: identical records are interchangeable.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _repeats AS SELECT _ord, row_number() OVER (PARTITION BY _ext) AS n "
        "FROM _typed WHERE hash(_ext) IN (SELECT hash(_ext) FROM _typed GROUP BY 1 HAVING count(*) > 1)"
    )
    con.execute("UPDATE _typed t SET _ext = left(t._ext, 32) || ':' || r.n FROM _repeats r "
                "WHERE t._ord = r._ord AND r.n > 1")
    con.execute("DROP TABLE _repeats")


def reject_repeated_ids(con) -> None:
    """A record id seen twice in one file: the first is kept, later ones are rejected."""
    con.execute(
        "UPDATE _typed t SET _reason = 'record id ''' || t._ext || ''' appears more than once in this file' "
        "FROM (SELECT _ord, count(*) OVER (PARTITION BY _ext ORDER BY _ord ROWS UNBOUNDED PRECEDING) AS n "
        "FROM _typed WHERE _ext IN (SELECT _ext FROM _typed GROUP BY _ext HAVING count(*) > 1)) d "
        "WHERE t._ord = d._ord AND d.n > 1 AND t._reason IS NULL"
    )


def records_sql(con, kind: str) -> str:
    """``_typed`` with a column for every field of ``kind``: those the file lacks as typed NULLs."""
    present = set(typed_columns(con))
    absent = "".join(f", NULL::{_sql_type(f)} AS v_{name}" for name, f in fields_of(kind).items()
                     if f"v_{name}" not in present)
    return f"(SELECT *{absent} FROM _typed)"


def typed_columns(con) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE _typed").fetchall()]

