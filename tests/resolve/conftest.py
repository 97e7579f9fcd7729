"""A small demo company in a real DuckDB store, for identity resolution."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from patron.demo import generate_demo, import_demo
from patron.store import Store

CUSTOMERS = 1000
SEED = 5


@pytest.fixture(scope="session")
def demo_store_file(tmp_path_factory):
    """A store with the demo company imported (closed; copy it before writing)."""
    out = tmp_path_factory.mktemp("resolve_demo")
    demo = generate_demo(out / "files", CUSTOMERS, SEED)
    path = out / "demo.duckdb"
    with Store(path) as store:
        import_demo(store, demo.out)
    return path, demo.out


@pytest.fixture
def fresh_store(demo_store_file, tmp_path):
    """A private copy of the demo store."""
    path, _ = demo_store_file
    copy = tmp_path / "store.duckdb"
    shutil.copy(path, copy)
    store = Store(copy)
    yield store
    store.close()


def true_pairs_of(store, out) -> set[tuple[int, int]]:
    """Pairs of party ids that the demo's truth says are one customer or one firm."""
    ids = store.raw.execute("SELECT source, source_key AS key, party_id FROM identities").df()
    truth = pd.read_parquet(out / "truth_identities.parquet").merge(ids, on=["source", "key"])
    truth["entity_key"] = truth["entity"] + ":" + truth["entity_id"].astype(str)
    pairs = truth.merge(truth, on="entity_key")
    pairs = pairs[pairs["party_id_x"] < pairs["party_id_y"]]
    return set(zip(pairs["party_id_x"].astype(int), pairs["party_id_y"].astype(int)))
