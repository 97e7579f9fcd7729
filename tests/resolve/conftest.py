"""A small demo company in a real store on each engine, for identity resolution."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from patron.demo import generate_demo, import_demo
from patron.store import Store
from store_engines import ENGINES

CUSTOMERS = 1000
SEED = 5


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory):
    """The demo company's export files (and its truth)."""
    return generate_demo(tmp_path_factory.mktemp("resolve_demo") / "files", CUSTOMERS, SEED).out


@pytest.fixture(scope="session")
def demo_store_file(demo_files, tmp_path_factory):
    """A DuckDB store with the demo company imported (closed; copy it before writing)."""
    path = tmp_path_factory.mktemp("resolve_duckdb") / "demo.duckdb"
    with Store(path) as store:
        import_demo(store, demo_files)
    return path, demo_files


@pytest.fixture(scope="session")
def demo_postgres_database(demo_files, postgres_server):
    """The name of a PostgreSQL database with the demo company imported (nobody connected: copy it)."""
    url = postgres_server.new_database()
    with Store(url) as store:
        import_demo(store, demo_files)
    return url.rsplit("/", 1)[1]


def demo_store_url(request, engine: str, folder) -> str:
    """A private copy of the demo store on ``engine``: a DuckDB file in ``folder``, or a server database."""
    if engine == "postgres":
        source = request.getfixturevalue("demo_postgres_database")
        return request.getfixturevalue("postgres_server").copy_database(source)
    path, _ = request.getfixturevalue("demo_store_file")
    copy = folder / "store.duckdb"
    shutil.copy(path, copy)
    return str(copy)


@pytest.fixture(params=ENGINES)
def fresh_store(request, tmp_path):
    """A private copy of the demo store, on each engine."""
    store = Store(demo_store_url(request, request.param, tmp_path))
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
