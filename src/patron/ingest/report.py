"""What one import did: the counts, notes and reasons an interface shows."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    #: Nothing was stored: the counts are what the import would do (a preview, ``--dry-run``).
    dry_run: bool = False
    #: The first records as typed, with the reason each was refused (previews only).
    sample: list[dict] = field(default_factory=list)

