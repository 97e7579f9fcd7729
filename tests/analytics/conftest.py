"""Hand-made stores for the analytics tests: a DuckDB file in ``tmp_path``."""

from __future__ import annotations

import itertools

import pytest

from patron.store.connection import Store

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
