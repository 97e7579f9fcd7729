"""DuckDB as an engine over a lake of Parquet folders, in this process."""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir

from patron.engines.lake import LakeLayout, canonical_schemas
from patron.engines.local import InProcessEngine


class DuckDBLake(InProcessEngine):
    """A lake (:mod:`patron.engines.lake`) read by an in-process DuckDB.

    Parameters
    ----------
    path
        The lake folder.
    columns
        Column mapping per table (see :class:`~patron.engines.lake.LakeLayout`).
    """

    def __init__(self, path: str | Path, *, columns: dict[str, dict[str, str]] | None = None) -> None:
        self.layout = LakeLayout.open(path, columns)
        self.ibis = ibis.duckdb.connect()
        self._tables: dict[str, ir.Table] = {}

    def table(self, name: str) -> ir.Table:
        if name not in self._tables or name == "scores":  # scores grow with every run: read afresh
            if self.layout.has(name):
                files = str(self.layout.folder(name) / "**" / "*.parquet")
                t = self.ibis.read_parquet(files, table_name=f"lake_{name}", hive_partitioning=name == "scores")
            else:
                t = ibis.memtable(canonical_schemas()[name].to_pyarrow().empty_table())
            renames = self.layout.renames(name)
            self._tables[name] = t.rename(renames) if renames else t
        return self._tables[name]

    def write_scores(self, rows: ir.Table, run_id: int) -> Path:
        """The run's scores as ``scores/run_id=N/part-0.parquet`` (run_id is the folder)."""
        folder = self.layout.root / "scores" / f"run_id={run_id}"
        folder.mkdir(parents=True, exist_ok=True)
        self.ibis.to_parquet(rows.drop("run_id"), folder / "part-0.parquet")
        return folder
