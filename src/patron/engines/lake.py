"""A lake: the store's tables as folders of Parquet files, for engines beyond one machine.

Layout (one folder per table, any number of Parquet files in each)::

    lake/
      parties/        part-0.parquet …
      transactions/   …
      interactions/   feedback/   complaints/   identities/   consents/
      scores/run_id=1/part-….parquet     written by patron analyze --lake
      runs/run_id=1/run.parquet

:func:`export_lake` writes it from a store (``patron lake export DIR``).
Tables a firm already has can be used as they are, provided they carry the
columns below under these names, or under others given as a column mapping
(:class:`LakeLayout`). A missing optional table (interactions, feedback,
complaints) is read as an empty table of the canonical schema.

=================  =====================================================================
table              columns the analysis reads (types as in the store)
=================  =====================================================================
``transactions``   ``party_id`` (int64), ``occurred_at`` (timestamp, UTC), ``revenue``
                   (decimal or double; refunds negative); optional ``currency`` (else one
                   currency is assumed), ``kind`` (``order``/``refund``/``invoice``),
                   ``document``, ``cost``
``parties``        ``party_id``, ``kind`` (``person``/``organisation``), ``category``
                   (``customer``, ``prospect``, …), ``created_at``, ``acquired_at``,
                   ``referred_by``; optional ``acquisition_channel``, ``acquisition_cost``
``interactions``   ``party_id``, ``occurred_at``
``feedback``       ``party_id``, ``occurred_at``, ``instrument`` (``nps``/``csat``/…),
                   ``score``, ``scale_max``
``complaints``     ``party_id``, ``opened_at``, ``resolved_at``, ``status``, ``severity``,
                   ``satisfaction_after``
=================  =====================================================================
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from patron.errors import NotFound, PatronError
from patron.store.tables import LAKE_TABLES

#: Tables an analysis cannot do without.
REQUIRED_TABLES = ("parties", "transactions")
MAPPING_FILE = "patron-lake.json"


def export_lake(store, path: str | Path, tables: tuple[str, ...] = LAKE_TABLES) -> dict[str, int]:
    """Write ``tables`` of a store as Parquet folders under ``path``; returns the rows per table.

    An existing folder of the same table is replaced; other folders (scores of
    earlier runs) are left alone. DuckDB writes the files, streaming.
    """
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name in tables:
        if name not in LAKE_TABLES:
            raise PatronError(f"'{name}' is not a lake table; choose from {', '.join(LAKE_TABLES)}.")
        folder = root / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        target = str(folder / "part-0.parquet").replace("'", "''")
        store.raw.execute(f"COPY (SELECT * FROM {name}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        rows[name] = store.count(name)
    return rows


@dataclass(frozen=True)
class LakeLayout:
    """Where a lake's tables are and what their columns are called.

    Parameters
    ----------
    root
        The lake folder.
    columns
        Per table, canonical column name → the column's name in the files,
        e.g. ``{"transactions": {"party_id": "customer_id", "occurred_at": "order_ts"}}``.
        Read from ``patron-lake.json`` in the lake folder when not given.
    """

    root: Path
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path, columns: dict[str, dict[str, str]] | None = None) -> LakeLayout:
        root = Path(path)
        if not root.is_dir():
            raise NotFound(f"There is no lake at '{root}' (make one with: patron lake export {root}).")
        if columns is None and (root / MAPPING_FILE).is_file():
            columns = json.loads((root / MAPPING_FILE).read_text()).get("columns", {})
        layout = cls(root, columns or {})
        missing = [t for t in REQUIRED_TABLES if not layout.has(t)]
        if missing:
            raise PatronError(f"The lake '{root}' has no {' or '.join(missing)} folder of Parquet files.")
        return layout

    def folder(self, table: str) -> Path:
        return self.root / table

    def has(self, table: str) -> bool:
        folder = self.folder(table)
        return folder.is_dir() and any(folder.rglob("*.parquet"))

    def renames(self, table: str) -> dict[str, str]:
        """Ibis ``rename`` argument: canonical name → name in the files."""
        return dict(self.columns.get(table, {}))

    def next_run_id(self) -> int:
        runs = [int(p.name.split("=", 1)[1]) for sub in ("scores", "runs") if (self.root / sub).is_dir()
                for p in (self.root / sub).glob("run_id=*") if p.name.split("=", 1)[1].isdigit()]
        return max(runs, default=0) + 1


def canonical_schemas() -> dict:
    """The Ibis schema of every lake table, as the store defines it (for empty stand-ins)."""
    from patron.store import Store

    with Store(":memory:") as store:
        return {name: store.table(name).schema() for name in LAKE_TABLES}


def write_run(layout: LakeLayout, run_id: int, as_of, engine: str, settings: dict, diagnostics: dict,
              parties: int) -> Path:
    """The run's record as ``runs/run_id=N/run.parquet`` (the store's ``runs`` columns)."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = layout.root / "runs" / f"run_id={run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    record = pa.table({
        "kind": ["value"], "finished_at": [now], "as_of": [as_of], "engine": [engine],
        "settings": [json.dumps(settings, default=str)], "diagnostics": [json.dumps(diagnostics, default=str)],
        "parties": pa.array([parties], pa.int64()),
    })
    pq.write_table(record, folder / "run.parquet")
    return folder


def load_lake_scores(store, folder: Path, run_id: int) -> None:
    """Insert the scores of one lake run (a Parquet folder) into the store's ``scores``, on any store engine.

    A DuckDB store reads the files itself; for a server they are read here, in Arrow batches of a
    million rows, and sent by ``COPY`` (``Store.insert_rows``), so a large run never sits in memory whole.
    """
    files = str(Path(folder) / "*.parquet").replace("'", "''")
    if store.backend_name == "duckdb":
        store.raw.execute(
            f"INSERT INTO scores BY NAME SELECT ?::BIGINT AS run_id, * "
            f"FROM read_parquet('{files}', hive_partitioning = false)", [run_id],
        )
        return
    import duckdb

    columns = [c for c in store.table("scores").columns]
    local = duckdb.connect()
    try:
        # A relation streams its batches (a DB-API result would copy them all first); run_id is an int.
        reader = local.sql(
            f"SELECT {', '.join(f'{int(run_id)}::BIGINT AS run_id' if c == 'run_id' else c for c in columns)} "
            f"FROM read_parquet('{files}', hive_partitioning = false)"
        ).to_arrow_reader(1_000_000)
        for batch in reader:
            store.insert_rows("scores", pa.Table.from_batches([batch]))
    finally:
        local.close()
