"""Hand-made stores for the analytics tests (a DuckDB file in ``tmp_path``), and the engines they run on."""

from __future__ import annotations

import itertools
from functools import cached_property

import ibis
import pytest

from patron.engines.lake import export_lake
from patron.store.connection import Store
from patron.store.tables import LAKE_TABLES

#: The engines the engine-agnostic tests run on.
ENGINES = ("duckdb", pytest.param("postgres", marks=pytest.mark.postgres),
           pytest.param("spark", marks=pytest.mark.spark))

_ids = itertools.count(1)


class Facts:
    """Insert rows into a fresh store with every NOT NULL column filled in."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def party(self, party_id, *, kind="person", category="customer", created_at="2023-01-01",
              referred_by=None, acquisition_channel=None, acquisition_cost=None, acquired_at=None,
              organisation_id=None):
        self.store.raw.execute(
            "INSERT INTO parties (party_id, kind, category, created_at, referred_by, "
            "acquisition_channel, acquisition_cost, acquired_at, organisation_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [party_id, kind, category, created_at, referred_by, acquisition_channel, acquisition_cost,
             acquired_at, organisation_id],
        )

    def tx(self, party_id, occurred_at, revenue, *, kind="order", cost=None, document=None):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO transactions (transaction_id, source, external_id, party_id, kind, document, "
            "occurred_at, revenue, cost) VALUES (?, 'test', ?, ?, ?, ?, ?, ?, ?)",
            [n, f"t{n}", party_id, kind, document, occurred_at, revenue, cost],
        )

    def interaction(self, party_id, occurred_at, *, channel="email", direction="outbound", subject=None):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO interactions (interaction_id, source, external_id, party_id, occurred_at, "
            "channel, direction, subject) VALUES (?, 'test', ?, ?, ?, ?, ?, ?)",
            [n, f"i{n}", party_id, occurred_at, channel, direction, subject],
        )

    def consent(self, party_id, recorded_at, purpose, granted=True):
        n = next(_ids)
        self.store.raw.execute(
            "INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, "
            "recorded_at) VALUES (?, 'test', ?, ?, 'email', ?, ?, ?)",
            [n, f"k{n}", party_id, purpose, granted, recorded_at],
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
    store itself for DuckDB; for PostgreSQL, a store on a fresh database of
    the test server, with the store's parties and facts (the tables of a
    lake) copied in; for Spark, the store exported to a lake in ``tmp_path``
    and read by the test session's Spark.
    """

    def __init__(self, name: str, tmp_path, spark=None, server=None) -> None:
        self.name, self.tmp_path, self.spark, self.server = name, tmp_path, spark, server
        self._lakes = itertools.count(1)
        self._stores: list[Store] = []

    @cached_property
    def backend(self):
        """The Ibis backend :meth:`execute` runs on (for PostgreSQL, on a database of its own)."""
        if self.name == "spark":
            return ibis.pyspark.connect(self.spark)
        if self.name == "postgres":
            return self._server_store().ibis
        return ibis.duckdb.connect()

    def __call__(self, store: Store):
        if self.name == "duckdb":
            return store
        if self.name == "postgres":
            served = self._server_store()
            with served.transaction():
                for name in LAKE_TABLES:
                    served.insert_rows(name, store.table(name).to_pyarrow())
            return served
        from patron.engines.spark import SparkLake

        lake = self.tmp_path / f"lake{next(self._lakes)}"
        export_lake(store, lake)
        return SparkLake(lake, session=self.spark)

    def execute(self, expr):
        """Run an expression over in-memory tables on this engine, as pandas."""
        return self.backend.execute(expr)

    def _server_store(self) -> Store:
        """A store on a fresh, migrated database of the test server, closed by :meth:`close`."""
        s = Store(self.server.new_database())
        self._stores.append(s)
        return s

    def close(self) -> None:
        for s in self._stores:
            s.close()


@pytest.fixture(params=ENGINES)
def engine(request, tmp_path):
    spark = request.getfixturevalue("spark") if request.param == "spark" else None
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    on = OnEngine(request.param, tmp_path, spark, server)
    yield on
    on.close()
