"""Writing lists for other programs: CSV cells a spreadsheet will not run."""

from __future__ import annotations


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (names come from outside)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
