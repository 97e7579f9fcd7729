"""Importing into a server store (PostgreSQL) through a DuckDB staging copy.

The importer stages, types and checks files in DuckDB SQL. For a server
store it does exactly that in an in-memory DuckDB store that holds only what
the checks read from the server:

- the identities of the file's source (and of its ``key_source``);
- for a parties file, the crosswalk rows of those identities (which ones a merge moved);
- the keys ``(source, external_id)`` of the facts of that source already stored;
- for a parties file, the parties those identities point at;
- earlier imports of the same file and their quarantined rows.

The file is read and checked in that staging copy first, before any of
this is read and without any server lock; a file refused for its bad rows
never touched the server. Then the new parties and identities, the accepted records, the party
updates, the quarantine rows and the ``imports`` row are copied (``COPY``) to
the server in one server transaction. That transaction is open from the first
read of the server to the commit and holds the advisory locks of the id spaces it uses
(imports, parties, the fact table), so two imports take turns, the staging
copy cannot go stale, and a failed or killed import leaves the server as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from patron.ingest.mapping import Mapping
from patron.ingest.report import ImportReport
from patron.ingest.steps import Progress, check_file, write_checked
from patron.store import Store, picture, search_index
from patron.store.tables import IMPORT_TABLES, table


def import_through_staging(server: Store, path: Path, m: Mapping, source: str, sha: str, preset: str | None,
                           progress: Progress, *, dry_run: bool = False, sample: int = 0,
                           user_id: int | None = None, username: str | None = None,
                           written: Callable[[Store, ImportReport], None] | None = None) -> ImportReport:
    """Import into a server through a DuckDB staging copy; with ``dry_run``, the copy is never pushed."""
    key_source = str(m.option("key_source", source))
    fact_table = None if m.kind == "parties" else IMPORT_TABLES[m.kind].name
    with tempfile.TemporaryDirectory(prefix="patron-import-") as tmp, Store(":memory:") as staging:
        folder = Path(tmp)
        # The staging copy spills to its own folder rather than growing without bound in memory.
        staging.raw.execute(f"SET temp_directory = '{folder / 'spill'}'")
        checked = check_file(staging.raw, path, m, source, progress, sample)
        with server.transaction():
            # Locks first, in a fixed order (imports, parties, facts): ids cannot be taken by anyone else until
            # commit.
            spaces = ["imports", "parties", *([fact_table] if fact_table else [])]
            floors = {t: server.next_id(t, table(t).id_column) for t in spaces}
            # A party merged away keeps its id (an undo brings it back): the staging copy must not hand it out.
            floors["merged_parties"] = server.scalar("SELECT coalesce(max(party_id), 0) + 1 FROM merged_parties")
            progress("reading what the store knows", 0.5)
            staging.id_floors = floors
            _pull(server, staging, m.kind, source, key_source, sha, fact_table)
            with staging.transaction():
                report = write_checked(staging, checked, sha, preset, progress, user_id, username)
            if not dry_run:
                progress("copying to the server", 0.92)
                _push(staging, server, folder, report.import_id, m.kind, fact_table)
                if written is not None:
                    written(server, report)
    return report


def _pull(server: Store, staging: Store, kind: str, source: str, key_source: str, sha: str,
          fact_table: str | None) -> None:
    sources = sorted({source, key_source})
    marks = ", ".join("?" for _ in sources)
    _copy_to_staging(server, staging, "identities",
                     f"SELECT * FROM identities WHERE source IN ({marks})", sources)
    _copy_to_staging(server, staging, "suppressions", "SELECT * FROM suppressions", [])
    if kind == "interactions":
        _pull_complaints(server, staging, source)
    if kind == "parties":
        # Which of those keys a merge (patron resolve) moved to another party: they no longer speak for it.
        _copy_to_staging(server, staging, "crosswalk", f"SELECT * FROM crosswalk WHERE source IN ({marks})",
                         sources)
        _copy_to_staging(server, staging, "parties",
                         "SELECT * FROM parties WHERE party_id IN (SELECT party_id FROM identities WHERE source = ?)",
                         [source])
        staging.raw.execute("CREATE TEMP TABLE _parties_before AS SELECT * FROM parties")
    if fact_table:
        # Only the keys: the staging table may hold rows that are nothing but a key.
        columns = _columns(staging, fact_table)
        # DuckDB alters no indexed table
        for (index,) in staging.raw.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = ?",
                                            [fact_table]).fetchall():
            staging.raw.execute(f"DROP INDEX IF EXISTS {index}")
        for col in columns:
            if col not in ("source", "external_id"):
                staging.raw.execute(f'ALTER TABLE {fact_table} ALTER COLUMN "{col}" DROP NOT NULL')
        _copy_to_staging(server, staging, fact_table,
                         f"SELECT source, external_id FROM {fact_table} WHERE source = ?", [source],
                         columns=["source", "external_id"])
    _copy_to_staging(server, staging, "imports", "SELECT * FROM imports WHERE file_sha256 = ?", [sha])
    _copy_to_staging(server, staging, "quarantine",
                     "SELECT * FROM quarantine WHERE import_id IN "
                     "(SELECT import_id FROM imports WHERE file_sha256 = ?)", [sha])


def _pull_complaints(server: Store, staging: Store, source: str) -> None:
    """The complaints a messages file names (``complaint_ref``: a key of ``source`` or a patron number), for
    :func:`patron.ingest.write._link_complaints` to check in the staging copy."""
    if "v_complaint_ref" not in [r[0] for r in staging.raw.execute("DESCRIBE _typed").fetchall()]:
        return
    refs = sorted({r[0].strip() for r in staging.query(
        "SELECT DISTINCT v_complaint_ref FROM _typed WHERE v_complaint_ref IS NOT NULL")})
    numbers = sorted({int(r.lstrip("#")) for r in refs if r.lstrip("#").isdigit() and len(r.lstrip("#")) < 19})
    ids: set[int] = set()
    for n in range(0, len(refs), 1000):
        chunk = refs[n:n + 1000]
        ids |= {r[0] for r in server.query("SELECT complaint_id FROM complaints WHERE source = ? AND external_id IN "
                                           f"({', '.join('?' for _ in chunk)})", [source, *chunk])}
    for n in range(0, len(numbers), 1000):
        chunk = numbers[n:n + 1000]
        ids |= {r[0] for r in server.query(
            f"SELECT complaint_id FROM complaints WHERE complaint_id IN ({', '.join('?' for _ in chunk)})", chunk)}
    found = sorted(ids)
    for n in range(0, len(found), 1000):
        chunk = found[n:n + 1000]
        _copy_to_staging(server, staging, "complaints", "SELECT * FROM complaints WHERE complaint_id IN "
                         f"({', '.join('?' for _ in chunk)})", chunk)


def _push(staging: Store, server: Store, folder: Path, import_id: int, kind: str, fact_table: str | None) -> None:
    this = f"import_id = {int(import_id)}"
    _copy_to_server(staging, server, folder, "parties", f"SELECT * FROM parties WHERE {this}")
    if kind == "parties":
        # Known parties whose attributes or links the file changed.
        changed = (f"SELECT * FROM parties WHERE import_id IS DISTINCT FROM {int(import_id)} "
                   "EXCEPT SELECT * FROM _parties_before")
        if staging.scalar(f"SELECT count(*) FROM ({changed}) c"):
            columns = _columns(staging, "parties")
            server.raw.execute("CREATE TEMP TABLE _changed_parties (LIKE parties) ON COMMIT DROP")
            _copy_to_server(staging, server, folder, "parties", changed, target="_changed_parties")
            sets = ", ".join(f'"{c}" = c."{c}"' for c in columns if c != "party_id")
            server.raw.execute(f"UPDATE parties p SET {sets} FROM _changed_parties c WHERE p.party_id = c.party_id")
            search_index.refresh(server, "SELECT party_id FROM _changed_parties")
            picture.refresh(server, "SELECT party_id FROM _changed_parties")
        search_index.refresh(server, f"SELECT party_id FROM parties WHERE {this}")
    _copy_to_server(staging, server, folder, "party_changes", f"SELECT * FROM party_changes WHERE {this}")
    _copy_to_server(staging, server, folder, "identities", f"SELECT * FROM identities WHERE {this}")
    if fact_table:
        _copy_to_server(staging, server, folder, fact_table, f"SELECT * FROM {fact_table} WHERE {this}")
    picture.refresh(server, picture.imported(import_id, fact_table))
    _copy_to_server(staging, server, folder, "quarantine", f"SELECT * FROM quarantine WHERE {this}")
    _copy_to_server(staging, server, folder, "imports", f"SELECT * FROM imports WHERE {this}")
    # Fresh statistics for the planner: until autovacuum gets to it, a just-filled table looks empty to it,
    # and the analysis' joins are planned as nested loops.
    server.raw.execute(f"ANALYZE parties, identities{', ' + fact_table if fact_table else ''}")


def _columns(store: Store, table: str) -> list[str]:
    return [r[0] for r in store.raw.execute(f"DESCRIBE {table}").fetchall()]


def _copy_to_staging(server: Store, staging: Store, table: str, sql: str, params: list,
                     columns: list[str] | None = None) -> None:
    """Rows from the server into a staging table, in batches of Arrow columns.

    Not through CSV: stored text can hold anything a file held (lone carriage
    returns, quotes, ``\\.``), and DuckDB's CSV reader is stricter than
    PostgreSQL's writer.
    """
    import pyarrow as pa

    result = server.raw.execute(sql, params)
    names = [d[0] for d in result.description]
    columns = columns or names
    target = ", ".join(f'"{c}"' for c in columns)
    while batch := result.fetchmany(50_000):
        rows = pa.table({n: pa.array([r[i] for r in batch]) for i, n in enumerate(names)})
        staging.raw.register("_pulled", rows)
        staging.raw.execute(f"INSERT INTO {table} ({target}) SELECT * FROM _pulled")
        staging.raw.unregister("_pulled")


def _copy_to_server(staging: Store, server: Store, folder: Path, table: str, sql: str,
                    target: str | None = None) -> None:
    csv = folder / f"push_{table}.csv"
    # PostgreSQL text cannot hold NUL: it becomes U+FFFD (DuckDB text can, from a file with NUL bytes).
    described = staging.raw.execute(f"DESCRIBE {table}").fetchall()
    select = ", ".join(f"replace(\"{c}\", chr(0), chr(65533))" if t == "VARCHAR" else f'"{c}"'
                       for c, t, *_ in described)
    staging.raw.execute(f"COPY (SELECT {select} FROM ({sql}) rows) TO '{csv}' (FORMAT CSV, HEADER false)")
    if csv.stat().st_size:
        server.backend.copy_in(target or table, _columns(staging, table), csv)
    csv.unlink()
