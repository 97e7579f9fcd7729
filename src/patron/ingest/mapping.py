"""Column mappings: which column of a file holds which canonical field.

A mapping comes from a small TOML file, a preset, or auto-detection of
common column names. Example TOML::

    kind = "transactions"
    source = "webshop"            # the system that exported the file

    [columns]                     # canonical field = column in the file
    customer_key = "Customer No"
    occurred_at = "Order Date"
    revenue = "Net Amount"

    [values]                      # constants for fields the file lacks
    currency = "EUR"

    [options]
    date_format = "%d/%m/%Y %H:%M"   # default: detected; a list is tried in order
    timezone = "Europe/Berlin"       # zone of times without an offset; default UTC
    decimal = ","                    # default: detected
    delimiter = ";"                  # default: detected from the header line
    key_source = "webshop"           # customer_key is a key of another system
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from patron.errors import PatronError
from patron.ingest.fields import fields_of

FORMATS = ("csv", "parquet", "jsonl", "whitespace")
OPTION_NAMES = {
    "key_source", "format", "date_format", "timezone", "decimal", "thousands", "delimiter", "header",
    "quote", "encoding", "create_parties", "max_rejects",
}


@dataclass(frozen=True)
class Mapping:
    """How one file maps onto one import kind.

    ``expressions`` holds SQL snippets over the staged columns and is only
    for built-in presets (trusted code); user mappings name columns and
    constants only.
    """

    kind: str
    source: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)
    fill_by_document: tuple[str, ...] = ()  # fields copied from another line of the same document
    header_columns: tuple[str, ...] = ()  # column names for files without a header
    name: str = "custom"

    def option(self, key: str, default=None):
        return self.options.get(key, default)

    def with_source(self, source: str | None) -> Mapping:
        return replace(self, source=source) if source else self

    def describe(self) -> str:
        parts = [f"{f}<-{c!r}" for f, c in self.columns.items()]
        parts += [f"{f}={v!r}" for f, v in self.values.items()]
        parts += [f"{f}=<{self.name} rule>" for f in self.expressions]
        return ", ".join(parts)


def load_mapping(path: str | Path, kind: str | None = None) -> Mapping:
    """Read a mapping TOML file, checking every name in it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PatronError(f"Mapping file '{path}' does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise PatronError(f"Mapping file '{path}' is not valid TOML: {exc}") from None
    kind = kind or data.get("kind")
    if not kind:
        raise PatronError(f"Mapping file '{path}' does not say which kind of data it maps (kind = ...).")
    if data.get("kind") and kind != data["kind"]:
        raise PatronError(f"Mapping file '{path}' is for {data['kind']}, not {kind}.")
    known = fields_of(kind)
    unknown_keys = set(data) - {"kind", "source", "columns", "values", "options"}
    if unknown_keys:
        raise PatronError(f"Mapping file '{path}': unknown section(s) {sorted(unknown_keys)}.")
    columns = {str(k): str(v) for k, v in data.get("columns", {}).items()}
    values = {str(k): str(v) for k, v in data.get("values", {}).items()}
    for section, names in (("columns", columns), ("values", values)):
        for name in names:
            if name not in known:
                raise PatronError(
                    f"Mapping file '{path}', [{section}]: '{name}' is not a field of {kind}. "
                    f"Fields: {', '.join(known)}."
                )
    options = dict(data.get("options", {}))
    bad = set(options) - OPTION_NAMES
    if bad:
        raise PatronError(f"Mapping file '{path}', [options]: unknown option(s) {sorted(bad)}. "
                          f"Options: {', '.join(sorted(OPTION_NAMES))}.")
    if "format" in options and options["format"] not in FORMATS:
        raise PatronError(f"Mapping file '{path}': format must be one of {', '.join(FORMATS)}.")
    return Mapping(kind=kind, source=data.get("source"), columns=columns, values=values,
                   options=options, name=path.name)


def normalise_header(name: str) -> str:
    """'Invoice Date' -> 'invoice_date', 'CustomerID' -> 'customerid'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def complete_mapping(mapping: Mapping, file_columns: list[str]) -> Mapping:
    """Fill in fields the mapping leaves open from the file's column names.

    Every column the mapping names must exist in the file (the error names
    the file's columns); every field it leaves open is looked up by its own
    name and its aliases.
    """
    by_norm = {}
    for col in file_columns:
        by_norm.setdefault(normalise_header(col), col)
    missing = [c for c in mapping.columns.values() if c not in file_columns]
    if missing:
        raise PatronError(
            f"The mapping names column(s) {', '.join(repr(m) for m in missing)} that the file does not have. "
            f"The file's columns are: {', '.join(repr(c) for c in file_columns)}."
        )
    columns = dict(mapping.columns)
    taken = set(columns.values())
    for f in fields_of(mapping.kind).values():
        if f.name in columns or f.name in mapping.values or f.name in mapping.expressions:
            continue
        for candidate in (f.name, *f.aliases):
            col = by_norm.get(candidate)
            if col is not None and col not in taken:
                columns[f.name] = col
                taken.add(col)
                break
    return replace(mapping, columns=columns)
