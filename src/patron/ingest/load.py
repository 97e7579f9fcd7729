"""Importing one file into the store, all or nothing.

:func:`import_file` checks what it is given (the mapping, the file, that the
store is writable), takes the file's checksum and runs the import's steps
(:mod:`patron.ingest.steps`): the file is read and checked first, without
the store's write lock, then written in one transaction of a DuckDB store; a
server store (PostgreSQL) is imported into through a DuckDB staging copy of
what the checks need, then written in one server transaction
(:mod:`patron.ingest.server`). A kill or an error anywhere leaves the store
as it was: DuckDB discards an uncommitted transaction when the file is next
opened, PostgreSQL when the connection ends.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from patron.errors import ImportRejected, PatronError
from patron.ingest.fields import fields_of
from patron.ingest.mapping import Mapping, load_mapping
from patron.ingest.report import ImportReport
from patron.ingest.server import import_through_staging
from patron.ingest.steps import CheckedFile, Progress, check_file, drop_temporaries, write_checked
from patron.store import Store

#: What the caller does inside an import's write transaction once the file is stored (``import_file(written=)``).
Written = Callable[[Store, ImportReport], None]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


class _Preview(Exception):
    """Raised inside a preview's transaction so that it rolls back, carrying the report out."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _written(store: Store, checked: CheckedFile, sha: str, preset: str | None, progress: Progress, *,
             dry_run: bool, user_id: int | None, username: str | None, written: Written | None) -> ImportReport:
    """Write a checked file in one transaction; with ``dry_run``, counted in a transaction then rolled back."""
    try:
        with store.transaction():
            report = write_checked(store, checked, sha, preset, progress, user_id, username)
            if dry_run:
                raise _Preview(report)
            if written is not None:
                written(store, report)
        return report
    except _Preview as preview:
        return preview.report
    finally:
        drop_temporaries(store.raw)


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
    create_parties: bool | None = None,
    dry_run: bool = False,
    sample: int = 0,
    encoding: str | None = None,
    max_rejects: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
    written: Written | None = None,
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
    create_parties
        Whether a customer key the store does not know creates a customer. Default: yes for parties,
        orders and invoices; no for interactions, feedback, complaints and consents, whose records with an
        unknown key are quarantined (a call logged against a wrong number is not a new customer).
    dry_run
        Do everything but store: the report says what the import would do; nothing is written.
    sample
        Keep the first ``sample`` records as typed, with their reasons, in the report (a preview).
    encoding
        The text encoding of the file (``utf-8``, the default, or ``latin-1``); the mapping's
        ``options.encoding`` otherwise.
    max_rejects
        Refuse the whole file when more of its records than this cannot be stored (default 10,000; 0: no
        limit); the mapping's ``options.max_rejects`` otherwise.
    user_id, username
        Who runs the import, recorded with it.
    written
        Called as ``written(store, report)`` inside the import's write transaction, once the file is stored
        (never for a ``dry_run``): what the caller records with the import (its audit row) commits with it
        or not at all.

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
    if create_parties is not None:
        m = replace(m, options={**m.options, "create_parties": bool(create_parties)})
    if encoding:
        m = replace(m, options={**m.options, "encoding": encoding})
    if max_rejects is not None:
        m = replace(m, options={**m.options, "max_rejects": max_rejects})
    source_name = m.source or "default"
    if store.read_only:
        raise PatronError("The store is open read-only; imports need write access.")
    if not path.exists():
        raise ImportRejected(f"{path}: no such file.")
    report_progress("checksum", 0.0)
    sha = file_sha256(path)
    if store.backend_name != "duckdb":
        report = import_through_staging(store, path, m, source_name, sha, preset, report_progress, dry_run=dry_run,
                                        sample=sample, user_id=user_id, username=username,
                                        written=written)
    else:
        # Read and checked first, in this connection's temporary tables, without the write lock; then written.
        checked = check_file(store.raw, path, m, source_name, report_progress, sample)
        report = _written(store, checked, sha, preset, report_progress, dry_run=dry_run, user_id=user_id,
                          username=username, written=written)
    report.dry_run = dry_run
    counted = report.accepted + report.rejected + report.already_present
    if counted != report.rows_read:  # pragma: no cover - a bug, never a user error
        raise PatronError(f"Internal error: {report.rows_read} records read but {counted} accounted for.")
    report.seconds = time.perf_counter() - started
    report_progress("done", 1.0)
    return report
