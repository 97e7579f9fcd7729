"""Shared fixtures, and the rule that nothing is skipped under CI."""

from __future__ import annotations

import os

import pytest

from patron.store import Store
from store_engines import ENGINES, new_store_url


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the whole test run (the JVM starts once): 2 cores, nothing downloaded."""
    pytest.importorskip("pyspark", reason="the Spark engine tests need pyspark (pip install -e '.[test]')")
    from patron.engines.spark import spark_session

    session = spark_session("local[2]", {"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2",
                                         "spark.driver.memory": "1g"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def store(tmp_path):
    """A fresh DuckDB store in a file, as a user has it."""
    s = Store(tmp_path / "patron.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole session, in a temp folder; stopped at the end.

    Without the server binaries it skips, except under CI=true where it fails with the reason.
    """
    from postgres_server import TEMPLATE, PostgresServer, ServerUnavailable

    try:
        server = PostgresServer().start()
    except ServerUnavailable as exc:
        if under_ci():
            pytest.fail(f"PostgreSQL is needed under CI and could not start: {exc}", pytrace=False)
        pytest.skip(f"no PostgreSQL server: {exc}")
    try:
        Store(server.url(TEMPLATE)).close()  # migrate once; every test database is a copy
        yield server
    finally:
        server.stop()


@pytest.fixture(params=ENGINES)
def engine_url(request, tmp_path):
    """The URL of a fresh store on each engine."""
    return new_store_url(request, request.param, tmp_path)


@pytest.fixture
def engine_store(engine_url):
    """A fresh store on each engine: a DuckDB file, and a new database on the test PostgreSQL server."""
    s = Store(engine_url)
    yield s
    s.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under CI=true a skipped test is a failure: servers, browsers and Spark must really run."""
    if not under_ci():
        return
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} test(s) were skipped; that fails the run.", red=True)
        config._patron_ci_skips = len(skipped)


def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "_patron_ci_skips", 0) and exitstatus == 0:
        session.exitstatus = 1
