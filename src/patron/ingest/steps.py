"""The steps of one import, in a DuckDB connection (the store's own, or a server's staging copy).

Each step is a SQL statement over temporary tables of that connection.
Steps 1 and 2 read only the file and run outside any write transaction
(:func:`check_file`): a file however large or bad never holds the store's
write lock while it is read or refused. Steps 3 to 5 run in the write
transaction (:func:`write_checked`):

1. **stage** the file as text (:mod:`patron.ingest.readers`); records the
   reader cannot split go to quarantine with their line (a CSV file is read
   by step 2 itself, once);
2. **type** every mapped field and write down, per record, every reason it
   cannot be stored (:mod:`patron.ingest.checks`, :mod:`patron.ingest.parse`);
3. **key** each record: its own id in the source system, or a hash of its
   content plus its occurrence number (identical lines in one file are
   different facts; the same line in a second import is the same fact);
4. **resolve** customer keys to parties through ``identities``, creating a
   party for each key seen for the first time (:mod:`patron.ingest.write`);
5. **insert** records whose key the store does not hold yet, and the
   quarantined ones with their reasons, and one ``imports`` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from patron.errors import ImportRejected
from patron.ingest.checks import type_records
from patron.ingest.detect import kind_warning
from patron.ingest.mapping import Mapping, complete_mapping
from patron.ingest.readers import StagedFile, stage
from patron.ingest.report import ImportReport
from patron.ingest.write import store_facts, store_parties, store_quarantine
from patron.store import Store, picture
from patron.store.tables import IMPORT_TABLES

Progress = Callable[[str, float], None]


def _check_kind(m: Mapping, staged, report: ImportReport) -> None:
    """Refuse a file whose columns fit another kind better than parties (a parties import changes customers'
    details); for another kind, say so in the report. Only where the columns were recognised by their names:
    a mapping that names them says what they are."""
    if m.name != "auto-detected":
        return
    warning = kind_warning(staged.columns, m.kind)
    if warning and m.kind == "parties":
        raise ImportRejected(f"{staged.path.name}: {warning} Nothing was imported.")
    if warning:
        report.notes.append(warning)


def _typed_sample(con, m: Mapping, rows: int) -> list[dict]:
    """The first ``rows`` records as typed: record number, field values and the reason if refused."""
    result = con.execute("SELECT * FROM _typed ORDER BY _ord LIMIT ?", [rows])
    names = [d[0] for d in result.description]
    out = []
    for values in result.fetchall():
        row = dict(zip(names, values))
        out.append({"record": row["_ord"] + 1, "reason": row.get("_reason"),
                    "values": {n[2:]: v for n, v in row.items() if n.startswith("v_")}})
    return out


@dataclass
class CheckedFile:
    """A file read and checked, waiting in the connection's temporary tables (``_typed``) to be written."""

    staged: StagedFile
    mapping: Mapping
    report: ImportReport
    started_at: datetime
    sample: int = 0


def check_file(con, path: Path, m: Mapping, source_name: str, report_progress: Progress,
               sample: int = 0) -> CheckedFile:
    """Stage and check one file in a DuckDB connection, outside any write transaction (steps 1 and 2).

    Only the file is read here, into the connection's own temporary tables: a
    large or bad file never holds the store's write lock while it is read,
    typed or refused (past the cap of bad rows it is refused here).
    """
    started_at = datetime.now(UTC).replace(tzinfo=None)
    report = ImportReport(0, m.kind, source_name, path.name)
    report_progress("reading", 0.05)
    try:
        staged = stage(con, path, m)
        m = complete_mapping(m, staged.columns)
        report.mapping = m.describe()
        report.ignored_columns = [c for c in staged.columns if c not in m.columns.values()
                                  and not any(c in e for e in m.expressions.values())]
        _check_kind(m, staged, report)
        report_progress("checking values", 0.35)
        type_records(con, staged, m, report)
    except BaseException:
        drop_temporaries(con)
        raise
    return CheckedFile(staged, m, report, started_at, sample)


def write_checked(store: Store, checked: CheckedFile, sha: str, preset: str | None, report_progress: Progress,
                  user_id: int | None = None, username: str | None = None) -> ImportReport:
    """Key and store a checked file (steps 3 to 5), inside the caller's write transaction on ``store``, whose
    connection holds the checked records (the store itself, or a server's staging copy)."""
    con = store.raw
    staged, m, report = checked.staged, checked.mapping, checked.report
    import_id = store.next_id("imports", "import_id")
    report.import_id = import_id
    earlier = store.query("SELECT import_id FROM imports WHERE file_sha256 = ? AND kind = ? AND source = ?",
                          [sha, m.kind, report.source])
    if earlier:
        report.notes.append(
            f"This file was imported before (import {', '.join(str(e[0]) for e in earlier)}); "
            "records already stored are counted as already present."
        )
    report_progress("storing", 0.65)
    if m.kind == "parties":
        store_parties(store, m, report.source, import_id, report)
    else:
        store_facts(store, m, report.source, import_id, report)
        picture.refresh(store, picture.imported(import_id, IMPORT_TABLES[m.kind].name))
    if checked.sample:
        report.sample = _typed_sample(con, m, checked.sample)
    report_progress("quarantine", 0.9)
    store_quarantine(store, staged, import_id, sha, report)
    report.rows_read = staged.rows_read
    con.execute(
        "INSERT INTO imports (import_id, kind, source, file_name, file_sha256, file_format, preset, mapping, "
        "started_at, finished_at, rows_read, accepted, rejected, already_present, new_parties, user_id, username, "
        "encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)",
        [import_id, m.kind, report.source, staged.path.name, sha, staged.format, preset, report.mapping,
         checked.started_at, report.rows_read, report.accepted, report.rejected, report.already_present,
         report.new_parties, user_id, username, None if staged.format == "parquet" else staged.encoding],
    )
    report_progress("saving", 0.95)  # the caller's commit: on DuckDB, mostly the per-party indexes
    drop_temporaries(con)
    return report


def drop_temporaries(con) -> None:
    """Remove what reading and checking a file left in the connection."""
    _drop_temporaries(con, ("_stage", "_stage_sample", "_lines", "_stage_rows", "_typed", "_lines_rows", "_split",
                            "_clean", "_clean_sample", "_rejects", "_reject_scans"))


def _drop_temporaries(con, names: tuple[str, ...]) -> None:
    for name in names:
        kinds = con.execute(
            "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = ? AND temporary "
            "UNION ALL SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = ? AND temporary", [name, name]
        ).fetchall()
        for (kind,) in kinds:
            con.execute(f"DROP {kind} IF EXISTS {name}")

