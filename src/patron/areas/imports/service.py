"""Imports as the people who run them see them: a file in, a report out, the rows that could not be stored.

The import itself is :func:`patron.ingest.import_file` (all or nothing, every
record stored, already present or quarantined with its reason). This module
is what the command line, the API and the pages share around it: who may
import, an uploaded file saved and imported as a background job, the
quarantine of an import, the latest imports.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from patron import ingest
from patron.errors import InvalidInput, NotFound
from patron.ingest.presets import PRESETS, describe_presets
from patron.service.exports import write_csv
from patron.service.jobs import Job, Jobs
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import IMPORT_KINDS

__all__ = ["IMPORT_KINDS", "MAX_UPLOAD", "PRESET_NAMES", "describe_presets", "import_file", "quarantine",
           "quarantine_rows", "recent_imports", "start_upload"]

#: The built-in layouts.
PRESET_NAMES = tuple(PRESETS)
#: Larger files are imported with the command line, which reads them where they are.
MAX_UPLOAD = 512 * 1024 * 1024
Progress = Callable[[str, float], None]


def import_file(store: Store, path: str | Path, kind: str | None = None, *, user: User | None = None,
                mapping=None, preset: str | None = None, source: str | None = None,
                progress: Progress | None = None) -> ingest.ImportReport:
    """Import one file (see :func:`patron.ingest.import_file`); with ``user``, if their role may."""
    if user is not None:
        user.require("imports.run")
    return ingest.import_file(store, path, kind, mapping=mapping, preset=preset, source=source, progress=progress)


def report_dict(report: ingest.ImportReport) -> dict:
    """An import's report as a job's result (JSON-ready)."""
    return {"import_id": report.import_id, "file_name": report.file_name, "rows_read": report.rows_read,
            "accepted": report.accepted, "rejected": report.rejected, "already_present": report.already_present,
            "new_parties": report.new_parties, "notes": report.notes, "reasons": [list(r) for r in report.reasons]}


def _safe_name(filename: str | None) -> str:
    """The uploaded file's own name, never a path: no folders, no control characters, at most 200 characters."""
    name = re.sub(r"[\x00-\x1f/\\]", "_", Path(filename or "").name)
    if name.strip(". ") == "":
        return "upload.csv"
    suffix = Path(name).suffix[:20]
    return name if len(name) <= 200 else name[:200 - len(suffix)] + suffix


def _save_upload(stream: BinaryIO, filename: str | None, max_bytes: int) -> Path:
    """Copy an upload into a folder of its own; nothing is left behind if it is too large or fails."""
    folder = Path(tempfile.mkdtemp(prefix="patron-upload-"))
    target = folder / _safe_name(filename)
    size = 0
    try:
        with open(target, "wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(f"The file is larger than {max_bytes // (1024 * 1024)} MB; import it with "
                                       "the patron command instead.")
                out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return target


def start_upload(jobs: Jobs, store: Store, user: User, stream: BinaryIO, filename: str | None, *,
                 kind: str | None = None, preset: str | None = None, source: str | None = None,
                 max_bytes: int = MAX_UPLOAD) -> Job:
    """Save an uploaded export and import it as a background job on a cursor of ``store``."""
    user.require("imports.run")
    target = _save_upload(stream, filename, max_bytes)

    def work(progress):
        view = store.cursor()
        try:
            return report_dict(ingest.import_file(view, target, kind, preset=preset, source=source,
                                                  progress=progress))
        finally:
            view.close()
            shutil.rmtree(target.parent, ignore_errors=True)

    return jobs.start("import", user.username, work)


def quarantine(store: Store, user: User, import_id: int, *, limit: int = 50, offset: int = 0
               ) -> tuple[int, list[dict]]:
    """Rows of one import that could not be stored, with line, raw text and reason."""
    user.require("imports.rows.read")
    if not store.scalar("SELECT count(*) FROM imports WHERE import_id = ?", [import_id]):
        raise NotFound(f"There is no import {import_id}.")
    total = store.scalar("SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id])
    rows = store.records("SELECT line, raw, reason FROM quarantine WHERE import_id = ? ORDER BY line "
                         "LIMIT ? OFFSET ?", [import_id, int(limit), int(offset)])
    return total, rows


def quarantine_rows(store: Store, import_id: int | None = None, *, limit: int = 50,
                    export: str | Path | None = None) -> tuple[int, list[dict]]:
    """Quarantined rows of every import (or one), for the command line; with ``export``, all of them to a CSV."""
    where = "WHERE import_id = ?" if import_id else ""
    params = [import_id] if import_id else []
    total = store.scalar(f"SELECT count(*) FROM quarantine {where}", params)
    if export is not None:
        write_csv(store, f"SELECT * FROM quarantine {where} ORDER BY import_id, line", params, export)
        return total, []
    rows = store.records(f"SELECT import_id, file_name, line, raw, reason FROM quarantine {where} "
                         f"ORDER BY import_id, line LIMIT {int(limit)}", params)
    return total, rows


def recent_imports(store: Store, limit: int = 50) -> list[dict]:
    """The latest imports, newest first, with their counts."""
    return store.records(
        "SELECT import_id, kind, source, file_name, finished_at, rows_read, accepted, rejected, already_present "
        "FROM imports ORDER BY import_id DESC LIMIT ?", [int(limit)])
