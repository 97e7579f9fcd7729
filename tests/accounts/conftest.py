import pytest


@pytest.fixture
def store(engine_store):
    """These tests run on every engine (see ``engine_store`` in tests/conftest.py)."""
    return engine_store
