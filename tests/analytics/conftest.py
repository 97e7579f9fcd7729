"""Hand-made stores for the analytics tests (a DuckDB file in ``tmp_path``), and the engines they run on."""

from __future__ import annotations

import itertools

import ibis
import pytest

from patron.store.connection import Store

#: The engines the engine-agnostic tests run on. PostgreSQL joins as "postgres" once the store can live on
#: a server: add it here (with its mark) and a branch in ``OnEngine.__call__`` that opens the store there.
ENGINES = ("duckdb", pytest.param("spark", marks=pytest.mark.spark))

_ids = itertools.count(1)


class Facts:
    """Insert rows into a fresh store with every NOT NULL column filled in."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def party(self, party_id, *, kind="person", category="customer", created_at="2023-01-01",
              referred_by=None, acquisition_channel=None, acquisition_cost=None, acquired_at=None):
        self.store.raw.execute(
            "INSERT INTO parties (party_id, kind, category, created_at, referred_by, "
            "acquisition_channel, acquisition_cost, acquired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [party_id, kind, category, created_at, referred_by, acquisition_channel, acquisition_cost,
             acquired_at],
        )

    def tx(self, party_id, occurred_at, revenue, *, kind="order", cost=None, document=None):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, document, "
            "occurred_at, revenue, cost) VALUES (?, 'test', ?, ?, ?, ?, ?, ?, ?)",
            [n, f"t{n}", party_id, kind, document, occurred_at, revenue, cost],
        )

    def interaction(self, party_id, occurred_at, *, channel="email", direction="outbound"):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, "
            "channel, direction) VALUES (?, 'test', ?, ?, ?, ?, ?)",
            [n, f"i{n}", party_id, occurred_at, channel, direction],
        )

    def feedback(self, party_id, occurred_at, instrument, score, *, scale_max=None):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, "
            "score, scale_max) VALUES (?, 'test', ?, ?, ?, ?, ?, ?)",
            [n, f"f{n}", party_id, occurred_at, instrument, score, scale_max],
        )

    def complaint(self, party_id, opened_at, *, severity="medium", status="open", resolved_at=None,
                  satisfaction_after=None):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO complaints (complaint_id, source, external_id, party_id, opened_at, resolved_at, "
            "severity, status, satisfaction_after) VALUES (?, 'test', ?, ?, ?, ?, ?, ?, ?)",
            [n, f"c{n}", party_id, opened_at, resolved_at, severity, status, satisfaction_after],
        )


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store.duckdb")
    yield s
    s.close()


@pytest.fixture
def facts(store):
    return Facts(store)


class OnEngine:
    """A hand-made store's tables on one engine, and a way to run in-memory expressions there.

    ``engine(store)`` is something the analytics accept as their tables: the
    store itself for DuckDB; for Spark, the store exported to a lake in
    ``tmp_path`` and read by the test session's Spark.
    """

    def __init__(self, name: str, tmp_path, spark=None) -> None:
        self.name, self.tmp_path, self.spark = name, tmp_path, spark
        self.backend = ibis.pyspark.connect(spark) if name == "spark" else ibis.duckdb.connect()
        self._lakes = itertools.count(1)

    def __call__(self, store: Store):
        if self.name == "duckdb":
            return store
        from patron.engines.lake import export_lake
        from patron.engines.spark import SparkLake

        lake = self.tmp_path / f"lake{next(self._lakes)}"
        export_lake(store, lake)
        return SparkLake(lake, session=self.spark)

    def execute(self, expr):
        """Run an expression over in-memory tables on this engine, as pandas."""
        return self.backend.execute(expr)


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    spark = request.getfixturevalue("spark") if request.param == "spark" else None
    return OnEngine(request.param, tmp_path, spark)
