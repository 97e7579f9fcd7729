"""One analysed demo company for the quality suites (3,000 customers: its SERVQUAL waves, complaints, NPS)."""

from __future__ import annotations

import json

import pytest

from companies import demo_company


@pytest.fixture(scope="session")
def company_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("quality")


@pytest.fixture(scope="session")
def company(company_folder):
    folder = company_folder
    store = demo_company(folder, 3000, 5)
    truth = json.loads((folder / "data" / "truth.json").read_text())
    yield store, truth
    store.close()
