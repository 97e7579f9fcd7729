"""One demo company per test session: generating 2,000 customers takes well under a second."""

from __future__ import annotations

import json

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from patron.demo import generate_demo

CUSTOMERS = 2000
SEED = 11


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return generate_demo(out, CUSTOMERS, SEED)


@pytest.fixture(scope="session")
def truth(demo):
    return json.loads((demo.out / "truth.json").read_text())


@pytest.fixture(scope="session")
def truth_customers(demo):
    return pq.read_table(demo.out / "truth_customers.parquet").to_pandas()


@pytest.fixture(scope="session")
def identities(demo):
    return pq.read_table(demo.out / "truth_identities.parquet").to_pandas()


def read_text_csv(path, delimiter=","):
    """A CSV export with every column as text, as the importer stages it."""
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip()
    names = [c.strip('"') for c in header.split(delimiter)]
    convert = pacsv.ConvertOptions(column_types={n: "string" for n in names}, strings_can_be_null=True)
    return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter),
                          convert_options=convert).to_pandas()
