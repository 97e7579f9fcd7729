"""The current picture: a backdated run is kept but not shown, an unsound one is never current, an admin
promotes; every page and list reads the current run (on both stores)."""

from __future__ import annotations

import json

import pytest

from companies import demo_company
from patron.areas.overview.service import overview_numbers
from patron.areas.parties.service import party_360
from patron.errors import Conflict, InvalidInput, PermissionDenied
from patron.service.analyze import AnalysisSettings, analyze
from patron.service.permissions import User
from patron.service.runs import current_run, list_runs, promote, run_problems, settle_run
from store_engines import ENGINES, new_store_url

ADMIN = User(1, "root", "admin")
ANALYST = User(2, "ann", "analyst")


@pytest.fixture(scope="module", params=ENGINES)
def company(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    with demo_company(root, 600, 3, new_store_url(request, request.param, root)) as store:
        yield store


def test_a_backdated_run_is_kept_and_not_shown_until_promoted(company):
    store = company
    first = current_run(store)
    party = store.scalar("SELECT party_id FROM scores WHERE run_id = ? ORDER BY clv DESC LIMIT 1", [first])
    newest_as_of = store.scalar("SELECT as_of FROM runs WHERE run_id = ?", [first])
    old = analyze(store, AnalysisSettings(as_of="2024-06-01"))
    assert old.status == "kept" and "older than the current picture" in old.notes[-1]
    assert current_run(store) == first
    assert overview_numbers(store)["run_id"] == first
    assert party_360(store, ADMIN, party)["scores"]["run_id"] == first
    with pytest.raises(PermissionDenied):
        promote(store, ANALYST, old.run_id)
    promote(store, ADMIN, old.run_id)
    assert current_run(store) == old.run_id
    assert party_360(store, ADMIN, party)["scores"]["as_of"].date().isoformat() == "2024-06-01"
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = 'runs.promote'") == 1
    # A new run over the newest data becomes current again.
    again = analyze(store)
    assert again.status == "current" and current_run(store) == again.run_id
    assert store.scalar("SELECT as_of FROM runs WHERE run_id = ?", [again.run_id]) == newest_as_of
    assert [r["run_id"] for r in list_runs(store) if r["current"]] == [again.run_id]


def test_an_unsound_run_is_failed_never_current(company):
    store = company
    before = current_run(store)
    run_id = before  # an existing run's scores, judged with a fit that did not converge
    diagnostics = json.loads(store.scalar("SELECT diagnostics FROM runs WHERE run_id = ?", [run_id]))
    assert run_problems(store, run_id, diagnostics) == []
    diagnostics["transaction_model"]["convergence"]["success"] = False
    diagnostics["transaction_model"]["params"]["a"] = 7.4e6
    problems = run_problems(store, run_id, diagnostics)
    assert len(problems) == 1 and "did not converge" in problems[0] and "a=7.4e+06" in problems[0]
    # NaN values, as a runaway fit gives.
    new_id = store.scalar("SELECT max(run_id) + 1 FROM runs")
    with store.transaction():
        store.changed("INSERT INTO runs (run_id, kind, started_at, as_of, engine, settings, diagnostics) "
                      "SELECT ?, kind, started_at, as_of + INTERVAL 1 DAY, engine, settings, diagnostics FROM runs "
                      "WHERE run_id = ?", [new_id, run_id])
        store.raw.execute("CREATE TEMP TABLE _copy AS SELECT * FROM scores WHERE run_id = ?", [run_id])
        store.changed("UPDATE _copy SET run_id = ?, clv = CAST('NaN' AS DOUBLE)", [new_id])
        store.changed("INSERT INTO scores SELECT * FROM _copy")
        store.raw.execute("DROP TABLE _copy")
        status, notes = settle_run(store, new_id, store.scalar("SELECT as_of FROM runs WHERE run_id = ?",
                                                                [new_id]), diagnostics | {
            "transaction_model": {**diagnostics["transaction_model"], "convergence": {"success": True}}})
    assert status == "failed" and "no finite CLV" in notes[0]
    assert current_run(store) == before
    with pytest.raises(Conflict, match="cannot be shown"):
        promote(store, ADMIN, new_id)


def test_settings_are_checked_like_the_api():
    for bad, words in ((dict(horizon_months=0), "horizon"), (dict(margin=1.5), "margin"),
                       (dict(monthly_discount_rate=-1), "discount"), (dict(as_of="2025-02-30"), "not a date"),
                       (dict(model="magic"), "Unknown model"), (dict(monthly_discount_rate=float("nan")), "discount")):
        with pytest.raises(InvalidInput, match=words):
            AnalysisSettings(**bad)
