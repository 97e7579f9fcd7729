"""Imports as the people who run them see them: a file in, a report out, the rows that could not be stored.

The import itself is :func:`patron.ingest.import_file` (all or nothing, every
record stored, already present or quarantined with its reason). This module
is what the command line, the API and the pages share around it: who may
import, an uploaded file saved and imported as a background job, the
quarantine of an import, the latest imports.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from patron import ingest
from patron.errors import InvalidInput, NotFound, PatronError, PermissionDenied
from patron.ingest.detect import detect_kind, file_columns, kind_fits, kind_warning
from patron.ingest.presets import PRESETS, describe_presets
from patron.ingest.readers import ENCODINGS, encoding_named
from patron.ingest.undo import UndoReport, undo_import
from patron.service.audit import record
from patron.service.exports import write_csv
from patron.service.jobs import Job, Jobs
from patron.service.permissions import User
from patron.store import Store
from patron.store.tables import IMPORT_TABLES
from patron.store.vocabulary import IMPORT_KINDS

__all__ = ["IMPORT_KINDS", "MAX_UPLOAD", "PRESET_NAMES", "describe_presets", "import_file", "preview", "quarantine",
           "quarantine_rows", "recent_imports", "save_upload", "saved_upload", "start_upload", "undo",
           "what_it_holds"]

#: The text encodings a file may be read with.
ENCODING_NAMES = tuple(sorted(set(ENCODINGS.values()), key=lambda e: e != "utf-8"))
#: The built-in layouts.
PRESET_NAMES = tuple(PRESETS)
#: Larger files are imported with the command line, which reads them where they are.
MAX_UPLOAD = 512 * 1024 * 1024
#: The largest request body an upload route reads (the file and the form around it): every upload route, API and
#: pages, declares it, and the server stops reading past it while the body streams in (HTTP 413).
UPLOAD_BODY_LIMIT = MAX_UPLOAD + 1024 * 1024
#: What an upload route says when no file came (none chosen, or an empty part).
NO_FILE = "Send a file to import, or the upload_id of an earlier preview."
#: What a refused upload is told.
TOO_LARGE = (f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB, the most an upload takes; import it with "
             "the patron command instead (patron import FILE), which reads it where it is.")
#: The longest file name kept, in bytes (file systems take 255).
MAX_NAME_BYTES = 200
Progress = Callable[[str, float], None]


def what_it_holds(path: str | Path, kind: str | None, mapping=None, preset: str | None = None) -> str:
    """The kind a file will be imported as: as given, from its preset or mapping, else read from its columns.

    Raises
    ------
    InvalidInput
        The columns do not say clearly what the file holds: the user must say it.
    """
    if kind or preset or mapping is not None:
        return ingest.load.resolve_mapping(kind, mapping, preset).kind
    detected = detect_kind(file_columns(path))
    if detected is None:
        fits = ", ".join(f"{f.kind} ({f.score})" for f in kind_fits(file_columns(path))[:3])
        raise InvalidInput(f"Cannot tell from its columns what {Path(path).name} holds (closest: {fits}); say "
                           f"which of {', '.join(IMPORT_KINDS)} it is.")
    return detected


def audited(user: User | None, run_by: str | None = None) -> ingest.load.Written:
    """What an import records in its own transaction: one audit row, who ran it (``user``, else ``run_by``), the
    file, its kind and source, and how many records it stored (``row_count``), refused and left as they were."""
    def written(store: Store, report: ingest.ImportReport) -> None:
        record(store, user, "import.run", "import", report.import_id,
               {"file": report.file_name, "kind": report.kind, "source": report.source, "rows_read": report.rows_read,
                "rejected": report.rejected, "already_present": report.already_present,
                "new_parties": report.new_parties, "updated": report.updated},
               row_count=report.accepted, username=run_by)
    return written


def _require_import(user: User | None, kind: str, create_parties: bool | None) -> None:
    if user is None:
        return
    user.require("imports.run")
    if kind == "parties" or create_parties:
        user.require("imports.parties")


def import_file(store: Store, path: str | Path, kind: str | None = None, *, user: User | None = None,
                mapping=None, preset: str | None = None, source: str | None = None,
                progress: Progress | None = None, create_parties: bool | None = None, dry_run: bool = False,
                sample: int = 0, encoding: str | None = None, max_rejects: int | None = None,
                run_by: str | None = None) -> ingest.ImportReport:
    """Import one file (see :func:`patron.ingest.import_file`); with ``user``, if their role may.

    Without a kind, preset or mapping the kind is read from the file's columns (:func:`what_it_holds`). The
    import records who ran it: ``user`` (pages, API), else ``run_by`` (the command line: the operating-system
    account, since the command line signs nobody in).
    """
    holds = what_it_holds(path, kind, mapping, preset)
    _require_import(user, holds, create_parties)
    if not (preset or mapping is not None):
        kind = holds
    return ingest.import_file(store, path, kind, mapping=mapping, preset=preset, source=source, progress=progress,
                              create_parties=create_parties, dry_run=dry_run, sample=sample, encoding=encoding,
                              max_rejects=max_rejects, user_id=user.user_id if user else None,
                              username=user.username if user else run_by, written=audited(user, run_by))


def undo(store: Store, user: User | None, import_id: int) -> UndoReport:
    """Undo one import (:func:`patron.ingest.undo.undo_import`): who may undo it is who may have run it."""
    if user is not None:
        user.require("imports.undo")
        kind = store.query("SELECT kind FROM imports WHERE import_id = ?", [import_id])
        created = store.scalar("SELECT count(*) FROM parties WHERE import_id = ?", [import_id])
        if kind and (kind[0][0] == "parties" or created):
            user.require("imports.parties")
    return undo_import(store, import_id, by=user.username if user else None)


def undo_preview(store: Store, user: User, import_id: int) -> dict:
    """What :func:`undo` would do to import ``import_id``, counted, for the confirmation."""
    user.require("imports.undo")
    found = store.records("SELECT import_id, kind, source, file_name, finished_at, undone_at FROM imports "
                          "WHERE import_id = ?", [import_id])
    if not found:
        raise NotFound(f"There is no import {import_id}.")
    facts = {t.name: store.scalar(f"SELECT count(*) FROM {t.name} WHERE import_id = ?", [import_id])
             for kind, t in IMPORT_TABLES.items() if kind != "parties"}
    return {**found[0], "facts": {t: n for t, n in facts.items() if n},
            "parties": store.scalar("SELECT count(*) FROM parties WHERE import_id = ?", [import_id]),
            "changes": store.scalar("SELECT count(*) FROM party_changes WHERE import_id = ? AND how = 'import'",
                                    [import_id])}


def report_dict(report: ingest.ImportReport) -> dict:
    """An import's report as a job's result (JSON-ready)."""
    return {"import_id": report.import_id, "kind": report.kind, "file_name": report.file_name,
            "rows_read": report.rows_read, "accepted": report.accepted, "rejected": report.rejected,
            "already_present": report.already_present, "new_parties": report.new_parties,
            "updated": report.updated, "notes": report.notes, "reasons": [list(r) for r in report.reasons],
            "dry_run": report.dry_run, "sample": [{**r, "values": {k: _plain(v) for k, v in r["values"].items()}}
                                                  for r in report.sample]}


def _plain(value):
    """A typed value as JSON holds it (dates and decimals as text)."""
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _safe_name(filename: str | None) -> str:
    """The uploaded file's own name, never a path: no folders, no control characters, at most 200 bytes.

    Anything else is refused clearly rather than left to fail on the disk.
    """
    if filename is not None and not isinstance(filename, str):
        raise InvalidInput("The file's name is not text.")
    text = (filename or "").replace("\\", "/")
    name = re.sub(r"[\x00-\x1f\x7f]", "_", text.rsplit("/", 1)[-1])
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput("The file's name is not valid text; rename the file and upload it again.") from exc
    if name.strip(". ") == "":
        return "upload.csv"
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = Path(name).suffix[:20] if len(Path(name).suffix.encode("utf-8")) <= 20 else ""
    stem = name[:len(name) - len(suffix)].encode("utf-8")[:MAX_NAME_BYTES - len(suffix.encode("utf-8"))]
    return stem.decode("utf-8", errors="ignore") + suffix


#: Where uploads wait between their preview and their import (one folder each, named by a random id).
UPLOADS = Path(tempfile.gettempdir()) / "patron-uploads"
#: An upload not imported within this many seconds is removed.
UPLOAD_TTL = 3600
#: A preview of a larger text file types its first lines only (the import checks every line).
PREVIEW_BYTES = 4 * 1024 * 1024
PREVIEW_LINES = 2000


def _save_upload(stream: BinaryIO, filename: str | None, max_bytes: int, owner: str = "") -> Path:
    """Copy an upload into a folder of its own; nothing is left behind if it is too large or fails."""
    UPLOADS.mkdir(exist_ok=True, mode=0o700)
    _remove_stale_uploads()
    folder = UPLOADS / secrets.token_urlsafe(16)
    folder.mkdir(mode=0o700)
    target = folder / _safe_name(filename)
    size = 0
    try:
        (folder / ".owner").write_text(owner)
        with open(target, "wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(TOO_LARGE if max_bytes == MAX_UPLOAD else
                                       f"The file is larger than {max_bytes // (1024 * 1024)} MB; import it with "
                                       "the patron command instead.")
                out.write(chunk)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise InvalidInput(f"The upload could not be kept ({exc.strerror or 'a disk error'}); try again, or rename "
                           "the file.") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return target


def discard_upload(path: Path) -> None:
    """Remove an upload and its folder (after its import, or when its preview was refused)."""
    if path.parent.parent == UPLOADS:
        shutil.rmtree(path.parent, ignore_errors=True)


def _remove_stale_uploads() -> None:
    for folder in UPLOADS.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > UPLOAD_TTL:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:  # removed by another worker meanwhile
            pass


def saved_upload(user: User, upload_id: str) -> Path:
    """The file of an earlier upload of this user (a preview), by its id."""
    folder = UPLOADS / upload_id
    if not re.fullmatch(r"[A-Za-z0-9_-]{10,40}", upload_id or "") or not folder.is_dir():
        raise NotFound("That upload is no longer here (uploads are kept for an hour); upload the file again.")
    if (folder / ".owner").read_text() != user.username:
        raise NotFound("That upload is no longer here (uploads are kept for an hour); upload the file again.")
    files = [f for f in folder.iterdir() if f.name != ".owner"]
    if not files:
        raise NotFound("That upload is no longer here; upload the file again.")
    return files[0]


def _head(path: Path) -> tuple[Path, bool]:
    """The file, or for a large text file a copy of its first lines (previews stay quick at any size)."""
    if path.stat().st_size <= PREVIEW_BYTES or path.suffix.lower() == ".parquet":
        return path, False
    head = path.parent / ".preview" / path.name
    head.parent.mkdir(exist_ok=True)
    with open(path, "rb") as src, open(head, "wb") as out:
        for n, line in enumerate(src):
            if n > PREVIEW_LINES:
                break
            out.write(line)
    return head, True


def preview(store: Store, user: User, path: Path, *, kind: str | None = None, preset: str | None = None,
            source: str | None = None, create_parties: bool | None = None, rows: int = 20,
            encoding: str | None = None) -> dict:
    """What importing ``path`` would do, stored nowhere: the detected kind, how the columns fit each kind, the
    column mapping, a warning when the columns fit another kind better, and the first ``rows`` records as
    they would be typed, with the reason each would be refused."""
    user.require("imports.run")
    columns = file_columns(path)
    fits = kind_fits(columns)
    detected = detect_kind(columns)
    chosen = (ingest.load.resolve_mapping(kind, None, preset).kind if (kind or preset) else detected)
    result = {"upload_id": path.parent.name, "file_name": path.name, "columns": columns, "detected_kind": detected,
              "kind": chosen, "fits": [{"kind": f.kind, "score": f.score, "possible": f.possible,
                                        "missing": list(f.missing_required)} for f in fits],
              "warning": kind_warning(columns, chosen) if chosen else None, "report": None, "error": None,
              "partial": False, "may_create_parties": user.may("imports.parties")}
    if chosen is None:
        result["error"] = "Patron cannot tell from the columns what this file holds: choose the kind."
        return result
    head, result["partial"] = _head(path)
    try:
        _require_import(user, chosen, create_parties)
        report = ingest.import_file(store, head, chosen if not preset else None, preset=preset or None,
                                    source=source, create_parties=create_parties, dry_run=True, sample=rows,
                                    encoding=encoding)
        result["report"] = report_dict(report)
        result["mapping"] = report.mapping
    except PermissionDenied:
        raise
    except PatronError as refusal:  # what the import would refuse (a parties file that is not one, say)
        result["error"] = str(refusal)
    return result


def start_upload(jobs: Jobs, store: Store, user: User, stream: BinaryIO | None, filename: str | None, *,
                 kind: str | None = None, preset: str | None = None, source: str | None = None,
                 create_parties: bool | None = None, upload_id: str | None = None,
                 max_bytes: int = MAX_UPLOAD, encoding: str | None = None) -> Job:
    """Import an uploaded export as a background job on a cursor of ``store``: a new upload (``stream``) or
    one saved by an earlier preview (``upload_id``). Without a kind or preset it is read from the columns."""
    user.require("imports.run")
    target = saved_upload(user, upload_id) if upload_id else save_upload(user, stream, filename, max_bytes)
    try:
        kind = None if preset else what_it_holds(target, kind)
        _require_import(user, kind or ingest.load.resolve_mapping(None, None, preset).kind, create_parties)
        if encoding:
            encoding = encoding_named(encoding)
    except BaseException:
        discard_upload(target)
        raise

    def work(progress):
        try:
            view = store.cursor()
            try:
                return report_dict(ingest.import_file(view, target, kind, preset=preset, source=source,
                                                      progress=progress, create_parties=create_parties,
                                                      encoding=encoding, user_id=user.user_id,
                                                      username=user.username, written=audited(user)))
            finally:
                view.close()
        finally:
            discard_upload(target)

    try:
        return jobs.start("import", user.username, work)
    except BaseException:
        discard_upload(target)
        raise


def save_upload(user: User, stream: BinaryIO | None, filename: str | None, max_bytes: int = MAX_UPLOAD) -> Path:
    """Keep an upload for its preview and the import that follows (:func:`saved_upload` finds it again)."""
    user.require("imports.run")
    if stream is None:
        raise InvalidInput(NO_FILE)
    return _save_upload(stream, filename, max_bytes, user.username)


#: A value quoted at the start of a reason (``'x@y.org' in column 'email' is not …``), one per failed check.
_QUOTED_VALUE = re.compile(r"(^|; )'.*?' in (column|field) ", re.DOTALL)
#: What a role without access to personal data sees of a quarantined line.
HIDDEN = "hidden: your role does not see personal data"


def masked_row(row: dict) -> dict:
    """A quarantined row as a role without ``personal_data.read`` sees it: no raw text or bytes, and the values
    the reasons quote left out (a rejected line can hold anything: names, emails, phones, addresses)."""
    reason = _QUOTED_VALUE.sub(lambda found: f"{found.group(1)}'…' in {found.group(2)} ", row["reason"] or "")
    if reason.startswith("'") and " in column '" in reason:  # an unknown or erased customer's key
        reason = "'…'" + reason[reason.index("' in column '") + 1:]
    return {**row, "raw": None, "raw_base64": None, "reason": reason, "masked": True}


def quarantine(store: Store, user: User, import_id: int, *, limit: int = 50, offset: int = 0
               ) -> tuple[int, list[dict]]:
    """Rows of one import that could not be stored, with line, raw text, original bytes and reason; a role that
    may not see personal data (:attr:`User.sees_personal_data`, as in the customer 360) gets them masked."""
    user.require("imports.rows.read")
    if not store.scalar("SELECT count(*) FROM imports WHERE import_id = ?", [import_id]):
        raise NotFound(f"There is no import {import_id}.")
    total = store.scalar("SELECT count(*) FROM quarantine WHERE import_id = ?", [import_id])
    rows = store.records("SELECT line, raw, reason, raw_base64 FROM quarantine WHERE import_id = ? ORDER BY line "
                         "LIMIT ? OFFSET ?", [import_id, int(limit), int(offset)])
    if not user.sees_personal_data:
        return total, [masked_row(r) for r in rows]
    return total, [{**r, "masked": False} for r in rows]


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
    """The latest imports, newest first, with their counts, who ran them, the encoding and whether they were
    undone."""
    return store.records(
        "SELECT import_id, kind, source, file_name, finished_at, rows_read, accepted, rejected, already_present, "
        "new_parties, undone_at, undone_by, user_id, username, encoding FROM imports ORDER BY import_id DESC "
        "LIMIT ?", [int(limit)])
