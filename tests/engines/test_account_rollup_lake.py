"""The account roll-up over a lake (``patron.analytics.account_rollup``): the hierarchy's links go to the lake
with the other tables, and DuckDB and Spark over it give the account view's roll-up of the demo's groups."""

from __future__ import annotations

import shutil

import pytest

from patron.analytics.account_rollup import account_rollup
from patron.areas.accounts import service
from patron.engines import open_lake
from patron.engines.lake import export_lake
from patron.service.resolve import run_resolution
from patron.store import Store


@pytest.fixture(scope="module")
def resolved(company, tmp_path_factory):
    """The engines' demo company with its ERP customers and CRM accounts resolved into one, and its lake."""
    root = tmp_path_factory.mktemp("rollup")
    shutil.copy(company[0], root / "patron.duckdb")
    with Store(root / "patron.duckdb") as store:
        run_resolution(store)
        export_lake(store, root / "lake", ("parties", "transactions", "interactions", "party_links"))
        at = service._as_of(store, None)
        expected = {}
        for pid in {r[0] for r in store.query("SELECT party_id FROM party_links WHERE link_type IN "
                                              "('parent_of', 'location_of')")}:
            roll = service.rollup(store, service.OPERATOR, pid, as_of=at)
            people = len(service.account_view(store, service.OPERATOR, pid, as_of=at)["people"])
            expected[pid] = {"members": 1 + len(roll["children"]), "revenue": roll["revenue"],
                             "people": people + sum(c["people"] for c in roll["children"]),
                             "activity_365d": roll["activity_365d"], "engaged": roll["engaged"]}
    assert expected and any(e["revenue"] > 0 and e["people"] > 0 for e in expected.values())
    return root / "lake", at, expected


def _check(rows, expected):
    got = {r.pop("party_id"): r for r in rows}
    assert set(got) == set(expected)
    for pid, e in expected.items():
        assert got[pid].pop("revenue") == pytest.approx(e["revenue"], abs=0.005), pid
        assert got[pid] == {k: v for k, v in e.items() if k != "revenue"}, pid


def test_duckdb_over_the_lake_rolls_up_as_the_account_view(resolved):
    lake, at, expected = resolved
    _check(account_rollup(open_lake(lake), at).to_pyarrow().to_pylist(), expected)


@pytest.mark.spark
def test_spark_over_the_lake_rolls_up_as_the_account_view(resolved, spark):
    lake, at, expected = resolved
    _check(account_rollup(open_lake(lake, "spark", session=spark), at).to_pyarrow().to_pylist(), expected)
