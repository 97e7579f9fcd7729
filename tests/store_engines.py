"""The engines the engine-agnostic suites (store, ingest, api) run on, and fresh stores on each."""

from __future__ import annotations

import pytest

ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


def new_store_url(request, engine: str, folder) -> str:
    """A fresh, migrated store on ``engine``: a DuckDB file in ``folder``, or a new server database."""
    if engine == "postgres":
        return request.getfixturevalue("postgres_server").new_database()
    return str(folder / "patron.duckdb")
