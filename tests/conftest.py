"""Shared fixtures, and the rule that nothing is skipped under CI."""

from __future__ import annotations

import os

import pytest

from patron.store import Store


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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Under CI=true a skipped test is a failure: servers, browsers and Spark must really run."""
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} test(s) were skipped; that fails the run.", red=True)
        config._patron_ci_skips = len(skipped)


def pytest_sessionfinish(session, exitstatus):
    if getattr(session.config, "_patron_ci_skips", 0) and exitstatus == 0:
        session.exitstatus = 1
