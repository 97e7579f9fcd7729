"""Reading files into a staging table of text, with nothing guessed silently.

Every reader makes ``_stage``: the file's columns as text plus ``_ord``,
the record's ordinal in the file, and reports the records the parser itself
could not read (wrong number of columns, bad encoding, invalid JSON) with
their line and raw text. The Parquet, JSON Lines and whitespace readers copy
the records into a temporary table; a CSV file's ``_stage`` is a view over
DuckDB's reader, read once by the statement that types the records
(:func:`read_staged`), which then numbers them and collects the rejects. Typing
happens afterwards, in SQL (:mod:`patron.ingest.parse`), so that a bad value
becomes a quarantined row with a reason instead of a failed import.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from patron.errors import ImportRejected
from patron.ingest.mapping import Mapping

DELIMITERS = (",", ";", "\t", "|")

#: At most this many records of one file go to quarantine (``options.max_rejects`` or ``--max-rejects`` change
#: it; 0: no limit); past it the file is refused as a whole: it is most likely the wrong file or the wrong mapping.
MAX_REJECTS = 10_000
#: The text encodings a file may be read with (the names DuckDB's reader and Python both know), by alias.
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1", "iso8859-1": "latin-1", "l1": "latin-1"}
#: The first lines of a CSV file looked at for bad rows before anything else (a garbage file is refused there).
PROBE_LINES = 50_000
#: A longer line is unreadable (DuckDB's reader is told the same).
MAX_LINE = 1 << 20

# A value may be as long as a line (Python's csv module stops at 128 kB by default).
csv.field_size_limit(MAX_LINE + 2)

#: (line, raw text, reason, original bytes) of a record the reader could not split or decode.
Unreadable = tuple[int | None, str, str, bytes | None]


def encoding_of(mapping: Mapping) -> str:
    """The file's text encoding, from ``options.encoding`` (``utf-8`` unless said otherwise)."""
    return encoding_named(str(mapping.option("encoding") or "utf-8"))


def encoding_named(value: str) -> str:
    """The encoding ``value`` names (``latin1`` is ``latin-1``), or a clear refusal."""
    found = ENCODINGS.get(value.strip().lower().replace("_", "-"))
    if found is None:
        raise ImportRejected(f"Unknown text encoding {value!r}: choose utf-8 or latin-1 (also called ISO-8859-1).")
    return found


@dataclass
class StagedFile:
    path: Path
    format: str
    columns: list[str]
    rows_read: int = 0  # records the reader saw, accepted or not
    unreadable: list[Unreadable] = field(default_factory=list)
    delimiter: str | None = None
    quote: str | None = None
    header: bool = True
    #: The records are read by the typing statement (:func:`read_staged`), not copied into ``_stage`` first.
    read_later: bool = False
    max_rejects: int = MAX_REJECTS
    encoding: str = "utf-8"
    #: The view definition of ``_stage`` that has DuckDB log every record it rejects (CSV only; see
    #: :func:`read_staged`).
    logged_stage: str | None = None

    def check_rejects(self, n: int, of: int | None = None, first: tuple[int | None, str] | None = None,
                      seen: str = "records") -> None:
        """Refuse the file when ``n`` of its records cannot be stored and that is more than the cap.

        ``of`` is how many records (or lines) were looked at, ``first`` the line and reason of the first bad one.
        """
        if not self.max_rejects or n <= self.max_rejects:
            return
        counted = f"{n:,} of the {'first ' if seen == 'lines' else ''}{of:,} {seen}" if of else f"{n:,} records"
        example = ""
        if first:
            line, reason = first
            example = f" ({'line ' + format(line, ',') + ': ' if line else ''}{reason})"
        raise ImportRejected(
            f"{self.path.name}: too many bad rows: {counted} were rejected, more than the limit of "
            f"{self.max_rejects:,}{example}. Nothing was imported. Is this the right file, with the right kind, "
            "mapping and encoding? (--max-rejects, or a mapping's options.max_rejects, raises the limit.)"
        )


def detect_format(path: Path, mapping: Mapping) -> str:
    fmt = mapping.option("format")
    if fmt:
        return str(fmt)
    suffix = "".join(path.suffixes[-2:]).lower()
    if suffix.endswith((".parquet", ".pq")):
        return "parquet"
    if suffix.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "csv"


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _first_line(path: Path, encoding: str = "utf-8") -> str:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head:
        raise ImportRejected(f"{path.name}: this is not a text file (it contains binary data).")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise ImportRejected(f"{path.name}: the file is empty.")
    return text.splitlines()[0]


def stage(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping) -> StagedFile:
    fmt = detect_format(path, mapping)
    if not path.is_file():
        raise ImportRejected(f"{path}: no such file.")
    reader = {"csv": _stage_csv, "parquet": _stage_parquet, "jsonl": _stage_jsonl,
              "whitespace": _stage_whitespace}[fmt]
    cap = _max_rejects(mapping)
    staged = reader(con, path, mapping, cap)
    staged.format = fmt
    staged.max_rejects = cap
    staged.encoding = encoding_of(mapping)
    staged.check_rejects(len(staged.unreadable), staged.rows_read or None,
                         staged.unreadable[0][:3:2] if staged.unreadable else None)
    return staged


def _max_rejects(mapping: Mapping) -> int:
    value = mapping.option("max_rejects", MAX_REJECTS)
    try:
        cap = int(value)
    except (TypeError, ValueError):
        cap = -1
    if cap < 0:
        raise ImportRejected(f"options.max_rejects must be a whole number of 0 or more, not {value!r}.")
    return cap


def _rejects_limit(cap: int, ncols: int) -> str:
    """DuckDB's own cap on logged rejects: one past ours (it logs one reject per missing column)."""
    return f", rejects_limit={(cap + 1) * max(1, ncols)}" if cap else ""


def _stage_csv(con, path: Path, mapping: Mapping, cap: int) -> StagedFile:
    header = bool(mapping.option("header", not mapping.header_columns))
    encoding = encoding_of(mapping)
    first = _first_line(path, encoding)
    delimiter = mapping.option("delimiter")
    if delimiter is None:
        counts = {d: first.count(d) for d in DELIMITERS}
        delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    delimiter = {"\\t": "\t", "tab": "\t"}.get(str(delimiter), str(delimiter))
    quote = str(mapping.option("quote", '"'))
    if header:
        columns = next(csv.reader(io.StringIO(first), delimiter=delimiter, quotechar=quote or None))
        columns = [c.strip() for c in columns]
        if len(set(columns)) != len(columns):
            dupes = sorted({c for c in columns if columns.count(c) > 1})
            raise ImportRejected(f"{path.name}, line 1: the header repeats column name(s) {dupes}.")
        if any(not c for c in columns):
            raise ImportRejected(f"{path.name}, line 1: the header has an empty column name.")
    else:
        columns = list(mapping.header_columns)
    spec = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    options = (
        f"columns={spec}, header=false, skip={1 if header else 0}, delim={_sql_str(delimiter)}, "
        f"quote={_sql_str(quote)}, escape={_sql_str(quote)}, auto_detect=false, strict_mode=true, "
        f"encoding={_sql_str(encoding)}, max_line_size={MAX_LINE}, null_padding=false"
    )
    def read(extra: str) -> str:
        return f"read_csv({_sql_str(str(path))}, {options}, {extra})"

    con.execute("DROP TABLE IF EXISTS _rejects; DROP TABLE IF EXISTS _reject_scans")
    view = "CREATE OR REPLACE TEMP VIEW _stage AS SELECT NULL::BIGINT AS _ord, * FROM "
    try:
        # The records are read once, by the statement that types them (:func:`patron.ingest.checks.type_records`):
        # copying them as text first cost as much again as reading. ``_ord`` is filled in after that read.
        # DuckDB's reader skips the records it cannot split; logging them costs it about 0.1 ms each and does not
        # stop at its limit (a 200 MB file of random lines took minutes and gigabytes), so they are found, when
        # there are any, by :func:`scan_csv` in one pass that stops at the cap (:func:`read_staged`).
        con.execute(view + read("ignore_errors=true"))
        # Looking at a sample (the decimal separator, the date layout) must not log rejects a second time.
        con.execute(f"CREATE OR REPLACE TEMP VIEW _stage_sample AS SELECT * FROM {read('ignore_errors=true')}")
        con.execute("SELECT * FROM _stage_sample LIMIT 1").fetchall()
    except duckdb.Error as exc:
        raise ImportRejected(f"{path.name}: the file cannot be read as CSV ({_first_sentence(exc)}).") from exc
    logged = view + read("store_rejects=true, rejects_table='_rejects', rejects_scan='_reject_scans'"
                         + _rejects_limit(cap, len(columns)))
    staged = StagedFile(path, "csv", columns, delimiter=delimiter, quote=quote, header=header, read_later=True,
                        encoding=encoding, logged_stage=logged, max_rejects=cap)
    if cap:
        # A file that is bad from its start is refused before anything is guessed from its values (a date layout
        # read from garbage would be the wrong complaint).
        scan_csv(staged, max_lines=PROBE_LINES)
    return staged


def read_staged(con, staged: StagedFile, sql: str, table: str) -> None:
    """Run ``sql``, the statement that reads ``_stage`` into ``table``, then number the records and find rejects.

    Only a CSV file is read here (``staged.read_later``); the other readers
    copied their records into ``_stage`` already. ``table`` gets the
    records in the file's order, with an ``_ord`` column to fill.

    The reader skips the records it cannot split or decode. When the file
    has more lines than records were read, :func:`scan_csv` walks it once
    with Python's csv module (the same dialect) to find them, with line,
    text and bytes, and stops as soon as there are more than the cap. Should
    its count of good records differ from the reader's (a quoting subtlety
    the two read differently), DuckDB reads the file again logging its
    rejects, which is bounded since there are few.
    """
    try:
        con.execute(sql)
    except (duckdb.InvalidInputException, duckdb.IOException) as exc:
        if not staged.read_later:
            raise
        raise ImportRejected(f"{staged.path.name}: the file cannot be read as CSV ({_first_sentence(exc)}).") from exc
    if not staged.read_later:
        return
    good = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    if good != _lines_after_header(staged):
        scanned = scan_csv(staged)
        if scanned.good == good:
            staged.unreadable = scanned.unreadable
        else:
            _logged_rejects(con, staged, sql, table)
    typed_bad = 0
    if "_reason" in {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}:
        typed_bad = con.execute(f"SELECT count(*) FROM {table} WHERE _reason IS NOT NULL").fetchall()[0][0]
    bad = len(staged.unreadable) + typed_bad
    if staged.max_rejects and bad > staged.max_rejects:
        staged.check_rejects(bad, good + len(staged.unreadable), _first_bad(con, staged, table))
    # The table keeps the reader's order in its rowid, numbered from a large offset inside a transaction.
    con.execute(f"UPDATE {table} SET _ord = rowid - (SELECT min(rowid) FROM {table})")
    staged.rows_read = good + len(staged.unreadable)


def _first_bad(con, staged: StagedFile, table: str) -> tuple[int | None, str] | None:
    """Line and reason of the first record that will not be stored (for the message that refuses the file)."""
    first = staged.unreadable[0][:3:2] if staged.unreadable else None
    found = con.execute(f"SELECT rowid - (SELECT min(rowid) FROM {table}), _reason FROM {table} "
                        "WHERE _reason IS NOT NULL ORDER BY rowid LIMIT 1").fetchall()
    if found:
        located = csv_lines_of_ordinals(staged, [found[0][0]])
        line = located.get(found[0][0], (None, ""))[0]
        if first is None or (line is not None and first[0] is not None and line < first[0]):
            first = (line, found[0][1])
    return first


def _logged_rejects(con, staged: StagedFile, sql: str, table: str) -> None:
    """Read the file again with DuckDB logging its rejects, and take those (see :func:`read_staged`)."""
    con.execute(staged.logged_stage)
    con.execute(sql)
    rejects = con.execute(
        # DuckDB logs one reject per missing column; one record is one row here.
        "SELECT DISTINCT ON (line) line_byte_position, csv_line, error_type, error_message, "
        "column_name FROM _rejects ORDER BY line, line_byte_position, column_idx"
    ).fetchall()
    staged.check_rejects(len(rejects))
    positions = [r[0] for r in rejects]
    lines = lines_at_byte_positions(staged.path, positions)
    raw_bytes = bytes_at(staged.path, positions)
    staged.unreadable = [(line, raw, _reject_reason(etype, message, column, len(staged.columns)), exact)
                         for (_, raw, etype, message, column), line, exact in zip(rejects, lines, raw_bytes,
                                                                                   strict=True)]


def _lines_after_header(staged: StagedFile) -> int:
    """Physical lines of the file after its header (a last line without a newline counts)."""
    newlines, last = 0, b""
    with open(staged.path, "rb") as fh:
        while block := fh.read(1 << 22):
            newlines += block.count(b"\n")
            last = block[-1:]
    lines = newlines + (1 if last and last != b"\n" else 0)
    return lines - (1 if staged.header else 0)


@dataclass
class Scanned:
    """What :func:`scan_csv` found: the records it could not split or decode, and how many it could."""

    unreadable: list[Unreadable]
    good: int


def _physical_records(staged: StagedFile) -> Iterator[tuple[int, bytes, list[str] | None, str | None]]:
    """Every record of a CSV file after its header: (first line, its bytes, its values, why it is unreadable).

    One pass, in the dialect of DuckDB's reader: a record is unreadable when
    it has the wrong number of values, bytes that are not text in the file's
    encoding, or a line longer than the reader takes. Python's csv module
    pulls one physical line at a time, so each record's own bytes are known.
    """
    ncols = len(staged.columns)
    decoder = codecs.getdecoder(staged.encoding)
    pending: list[bytes] = []
    state = {"line": 0, "bad": None}

    def lines(fh):
        for raw in fh:
            state["line"] += 1
            pending.append(raw)
            try:
                text = decoder(raw)[0]
            except UnicodeDecodeError:
                state["bad"] = state["bad"] or ("bytes that are not valid text in this file's encoding "
                                                "(choose the encoding: utf-8 or latin-1)")
                text = raw.decode(staged.encoding, errors="replace")
            if len(raw) > MAX_LINE:
                state["bad"] = state["bad"] or "line longer than 1 MB"
            yield text

    with open(staged.path, "rb") as fh:
        source = lines(fh)
        if staged.header:
            next(source, None)
            pending.clear()
            state["bad"] = None
        reader = csv.reader(source, delimiter=staged.delimiter, quotechar=staged.quote or None, doublequote=True,
                            strict=False)
        while True:
            start = state["line"] + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record, state["bad"] = None, state["bad"] or f"the line cannot be split into values ({exc})"
            raw, why = b"".join(pending), state["bad"]
            pending.clear()
            state["bad"] = None
            if record == [] and why is None:
                continue  # a blank line is not a record
            if why is None and record is not None and len(record) != ncols:
                many = "too many" if len(record) > ncols else "too few"
                why = f"{many} values: expected {ncols} columns ({len(record)} found)"
            yield start, raw, record, why


def scan_csv(staged: StagedFile, max_lines: int | None = None) -> Scanned:
    """The records of a CSV file the reader cannot split or decode, in one pass; past the cap the file is refused
    at once, with how many of the lines read so far were bad and the first of them. With ``max_lines``, only the
    records that start in the first ``max_lines`` lines are looked at."""
    unreadable: list[Unreadable] = []
    good = 0
    for line, raw, _record, why in _physical_records(staged):
        if max_lines is not None and line > max_lines:
            break
        if why is None:
            good += 1
            continue
        exact = raw.rstrip(b"\r\n")
        unreadable.append((line, exact.decode(staged.encoding, errors="replace"), why, exact))
        if staged.max_rejects and len(unreadable) > staged.max_rejects:
            staged.check_rejects(len(unreadable), line, unreadable[0][:3:2],
                                 seen="lines")
    return Scanned(unreadable, good)


def bytes_at(path: Path, positions: list[int]) -> list[bytes]:
    """The bytes of the line that starts at each byte offset (its newline left off)."""
    out = []
    with open(path, "rb") as fh:
        for position in positions:
            fh.seek(position)
            out.append(fh.readline(MAX_LINE + 2).rstrip(b"\r\n"))
    return out


def _reject_reason(etype: str, message: str, column: str | None, ncols: int) -> str:
    if etype == "MISSING COLUMNS":
        return f"too few values: expected {ncols} columns ({message.split('Found:')[-1].strip()} found)"
    if etype == "TOO MANY COLUMNS":
        return f"too many values: expected {ncols} columns ({message.split('Found:')[-1].strip()} found)"
    if etype == "INVALID ENCODING" or "unicode" in message.lower():
        return "bytes that are not valid text in this file's encoding (set options.encoding in the mapping)"
    if etype == "LINE SIZE OVER MAXIMUM":
        return "line longer than 1 MB"
    if etype == "UNQUOTED VALUE":
        return f"a quote character inside an unquoted value{f' in column {column!r}' if column else ''}"
    return f"{etype.lower()}: {message}"


def _first_sentence(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0]
    return text[:300]


def lines_at_byte_positions(path: Path, positions: list[int]) -> list[int]:
    """1-based line numbers of the given byte offsets, in one pass over the file.

    Each byte is looked at once: the newlines are counted from one wanted
    offset to the next (in order), never again from the start of a chunk.
    """
    if not positions:
        return []
    order = sorted(range(len(positions)), key=positions.__getitem__)
    result = [0] * len(positions)
    newlines, offset, i = 0, 0, 0
    with open(path, "rb") as fh:
        while i < len(order):
            chunk = fh.read(1 << 22)
            if not chunk:
                break
            at = 0  # newlines of this chunk before ``at`` are in ``newlines`` already
            while i < len(order) and positions[order[i]] < offset + len(chunk):
                to = max(at, positions[order[i]] - offset)
                newlines += chunk.count(b"\n", at, to)
                at = to
                result[order[i]] = newlines + 1
                i += 1
            newlines += chunk.count(b"\n", at)
            offset += len(chunk)
    for j in order[i:]:
        result[j] = newlines + 1
    return result


def csv_lines_of_ordinals(staged: StagedFile, ordinals: list[int]) -> dict[int, tuple[int, str, bytes]]:
    """Physical line, raw text and original bytes of accepted CSV records, by their ordinal.

    DuckDB does not report where an accepted record was in the file; this
    walks the file once (:func:`_physical_records`, the reader's dialect),
    skipping records the reader rejected, and stops at the largest ordinal
    asked for. It runs only for records that failed a check, so a clean file
    never pays for it.
    """
    wanted = set(ordinals)
    if not wanted:
        return {}
    last = max(wanted)
    out: dict[int, tuple[int, str, bytes]] = {}
    ordinal = -1
    for line, raw, record, why in _physical_records(staged):
        if why is not None:
            continue
        ordinal += 1
        if ordinal in wanted:
            out[ordinal] = (line, staged.delimiter.join(record), raw.rstrip(b"\r\n"))
            if ordinal >= last:
                break
    return out


def _number_rows(con, table: str, view: str, first: str = "*") -> None:
    """A view of ``table`` with ``_ord``: the record's position in the file, from 0.

    A table keeps the reader's order in its ``rowid``; inside a transaction
    DuckDB numbers new rows from a large offset, hence the rebase. A view,
    not a copy: copying every record once more would cost as much as reading.
    """
    low = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {table}").fetchall()[0][0]
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT rowid - {low} AS _ord, {first} FROM {table}")


def _stage_parquet(con, path: Path, mapping: Mapping, cap: int = 0) -> StagedFile:
    try:
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_str(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise ImportRejected(f"{path.name}: the file cannot be read as Parquet ({_first_sentence(exc)}).") from exc
    columns = [c[0] for c in cols]
    select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT file_row_number AS _ord, {select} "
        f"FROM read_parquet({_sql_str(str(path))}, file_row_number=true)"
    )
    n = con.execute("SELECT count(*) FROM _stage").fetchall()[0][0]
    return StagedFile(path, "parquet", columns, rows_read=n)


def _read_lines(con, path: Path, table: str, encoding: str = "utf-8") -> None:
    """Every physical line of a text file, with its ordinal, as one text column."""
    _first_line(path, encoding)
    con.execute("DROP TABLE IF EXISTS _rejects; DROP TABLE IF EXISTS _reject_scans")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table}_rows AS SELECT line AS _raw FROM read_csv("
            f"{_sql_str(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, delim='\\0', quote='', "
            f"escape='', auto_detect=false, store_rejects=true, rejects_table='_rejects', "
            f"rejects_scan='_reject_scans', max_line_size={MAX_LINE}, encoding={_sql_str(encoding)})"
        )
    except duckdb.Error as exc:
        raise ImportRejected(f"{path.name}: the file cannot be read as text ({_first_sentence(exc)}).") from exc
    _number_rows(con, f"{table}_rows", table, "_raw")


def _line_rejects(con, path: Path) -> list[Unreadable]:
    rejects = con.execute(
        "SELECT DISTINCT ON (line) line_byte_position, csv_line, error_type, error_message, "
        "column_name FROM _rejects ORDER BY line, line_byte_position"
    ).fetchall()
    positions = [r[0] for r in rejects]
    lines = lines_at_byte_positions(path, positions)
    return [(line, raw, _reject_reason(et, msg, col, 1), exact)
            for (_, raw, et, msg, col), line, exact in zip(rejects, lines, bytes_at(path, positions), strict=True)]


def _stage_jsonl(con, path: Path, mapping: Mapping, cap: int = 0) -> StagedFile:
    encoding = encoding_of(mapping)
    _read_lines(con, path, "_lines", encoding)
    unreadable = _line_rejects(con, path)
    bad = con.execute(
        "SELECT _ord, _raw FROM _lines WHERE _raw IS NOT NULL AND trim(_raw) <> '' "
        "AND (NOT json_valid(_raw) OR json_type(_raw) <> 'OBJECT') ORDER BY _ord"
    ).fetchall()
    # _ord counts physical lines, except lines the reader itself rejected.
    unreadable += [(ordinal + 1, raw, "not a JSON object", raw.encode(encoding, errors="replace"))
                   for ordinal, raw in bad]
    keys = [r[0] for r in con.execute(
        "SELECT DISTINCT unnest(json_keys(_raw)) AS k FROM (SELECT _raw FROM _lines "
        "WHERE json_valid(_raw) AND json_type(_raw) = 'OBJECT' LIMIT 100000) ORDER BY k"
    ).fetchall()]
    if not keys and not bad:
        raise ImportRejected(f"{path.name}: the file holds no JSON records.")
    select = ", ".join(
        f"CASE WHEN json_type(_raw, {_sql_str('$.' + _json_path_key(k))}) IN ('OBJECT', 'ARRAY') "
        f"THEN json_extract(_raw, {_sql_str('$.' + _json_path_key(k))})::VARCHAR "
        f"ELSE json_extract_string(_raw, {_sql_str('$.' + _json_path_key(k))}) END AS {_ident(k)}"
        for k in keys
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT _ord, _raw{', ' + select if select else ''} FROM _lines "
        "WHERE _raw IS NOT NULL AND trim(_raw) <> '' AND json_valid(_raw) AND json_type(_raw) = 'OBJECT'"
    )
    n = con.execute("SELECT count(*) FROM _stage").fetchall()[0][0]
    return StagedFile(path, "jsonl", keys, rows_read=n + len(unreadable), unreadable=unreadable)


def _json_path_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_whitespace(con, path: Path, mapping: Mapping, cap: int = 0) -> StagedFile:
    """Columns separated by runs of spaces or tabs (the CDNOW layout)."""
    encoding = encoding_of(mapping)
    _read_lines(con, path, "_lines", encoding)
    unreadable = _line_rejects(con, path)
    header = bool(mapping.option("header", not mapping.header_columns))
    if header:
        first = _first_line(path, encoding)
        columns = first.split()
    else:
        columns = list(mapping.header_columns)
    n = len(columns)
    skip = 1 if header else 0
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _split AS SELECT _ord, _raw, "
        "regexp_split_to_array(trim(_raw), '\\s+') AS _parts FROM _lines "
        f"WHERE _ord >= {skip} AND _raw IS NOT NULL AND trim(_raw) <> ''"
    )
    wrong = con.execute(f"SELECT _ord, _raw, len(_parts) FROM _split WHERE len(_parts) <> {n}").fetchall()
    unreadable += [(o + 1, raw, f"expected {n} values separated by spaces, found {k}",
                    raw.encode(encoding, errors="replace")) for o, raw, k in wrong]
    select = ", ".join(f"_parts[{i + 1}] AS {_ident(c)}" for i, c in enumerate(columns))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT _ord, _raw, {select} FROM _split "
                f"WHERE len(_parts) = {n}")
    rows = con.execute("SELECT count(*) FROM _stage").fetchall()[0][0]
    return StagedFile(path, "whitespace", columns, rows_read=rows + len(unreadable), unreadable=unreadable)


def insert_rows(con, table: str, names: list[str], rows: list[tuple]) -> None:
    """Insert Python rows into a table in one statement (``executemany`` costs about 1 ms a row)."""
    if not rows:
        return
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    rows_table = pa.table({n: pa.array(list(c)) for n, c in zip(names, columns, strict=True)})
    # Registered by name: a replacement scan of a Python variable is not found through every connection.
    con.register("_inserted_rows", rows_table)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(_ident(n) for n in names)}) SELECT * FROM _inserted_rows")
    finally:
        con.unregister("_inserted_rows")
