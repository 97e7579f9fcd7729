"""Writing export files chunk by chunk, and spoiling a few rows on purpose.

A :class:`Sink` appends Arrow tables to one CSV, JSON Lines or Parquet file,
so that ten million customers never have to be in memory at once.
:func:`spoil` replaces values in a handful of rows with the defects real
exports have and returns a record of each, for the truth.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

#: Defects are placed among the first rows of a file so that the importer's
#: error report finds them quickly, whatever the file's size.
DEFECT_WINDOW = 20_000


@dataclass(frozen=True)
class Defect:
    """One way of spoiling a value: ``defect`` names it, ``value`` is what is written."""

    defect: str  # unparseable_date | missing_customer_key | text_in_amount | unknown_choice
    column: str
    value: str | None


@dataclass
class Sink:
    """Append tables to one export file."""

    path: Path
    fmt: str  # csv | jsonl | parquet
    delimiter: str = ","
    rows: int = 0
    _writer: object = None
    _con: object = None
    defects: list[dict] = field(default_factory=list)

    def write(self, table: pa.Table) -> None:
        if self.fmt == "csv":
            if self._writer is None:
                options = pacsv.WriteOptions(delimiter=self.delimiter, include_header=True)
                self._writer = pacsv.CSVWriter(str(self.path), table.schema, write_options=options)
            self._writer.write_table(table)
        elif self.fmt == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self.path), table.schema)
            self._writer.write_table(table)
        elif self.fmt == "jsonl":
            self._write_jsonl(table)
        else:  # pragma: no cover
            raise ValueError(self.fmt)
        self.rows += table.num_rows

    def _write_jsonl(self, table: pa.Table) -> None:
        import duckdb

        if self._con is None:
            self._con = duckdb.connect()
            self.path.write_bytes(b"")
        part = self.path.with_suffix(self.path.suffix + ".part")
        self._con.register("_chunk", table)
        target = str(part).replace("'", "''")
        self._con.execute(f"COPY (SELECT * FROM _chunk) TO '{target}' (FORMAT JSON)")
        self._con.unregister("_chunk")
        with open(self.path, "ab") as out, open(part, "rb") as src:
            while block := src.read(1 << 22):
                out.write(block)
        os.remove(part)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._con is not None:
            self._con.close()
        if self.rows == 0 and not self.path.exists():
            self.path.write_bytes(b"")

    def line_of_row(self, row: int) -> int:
        """The number the importer gives a row: the physical line in text files, 1-based."""
        return row + 2 if self.fmt == "csv" else row + 1


def spoil(table: pa.Table, sink: Sink, rng: np.random.Generator, defects: list[Defect], per_defect: int,
          id_column: str, key_column: str) -> pa.Table:
    """Spoil ``per_defect`` distinct rows per defect among the first rows of ``table`` (the file's first chunk).

    Each spoiled row is recorded on ``sink.defects`` with its row, line, id and
    customer key before the change, so tests can find it in the quarantine.
    """
    window = min(table.num_rows, DEFECT_WINDOW)
    per_defect = min(per_defect, window // (3 * max(len(defects), 1)))
    if per_defect <= 0 or not defects:
        return table
    rows = rng.choice(window, size=per_defect * len(defects), replace=False)
    for d, defect in enumerate(defects):
        picked = np.sort(rows[d * per_defect:(d + 1) * per_defect])
        index = pa.array(picked, pa.int64())
        before = pc.take(table.column(defect.column), index).to_pylist()
        ids = pc.take(table.column(id_column), index).to_pylist()
        keys = pc.take(table.column(key_column), index).to_pylist()
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[picked] = True
        col = table.column(defect.column).combine_chunks()
        replacement = pa.array([defect.value] * len(picked), col.type)
        new = pc.replace_with_mask(col, pa.array(mask), replacement)
        table = table.set_column(table.schema.get_field_index(defect.column), defect.column, new)
        for row, was, ext, key in zip(picked.tolist(), before, ids, keys):
            sink.defects.append({
                "file": sink.path.name, "row": row, "line": sink.line_of_row(row), "defect": defect.defect,
                "column": defect.column, "value": defect.value, "original": None if was is None else str(was),
                "record_id": None if ext is None else str(ext), "customer_key": None if key is None else str(key),
            })
    return table
