"""Analysis runs go one at a time per store, queued in order with their position; old runs are deleted."""

from __future__ import annotations

import re
import threading
import time

from fastapi.testclient import TestClient

from companies import bgnbd_orders
from patron.app import create_app
from patron.areas.jobs.service import get_job, start_analysis
from patron.areas.users.service import add_user, issue_token
from patron.ingest import import_file
from patron.service.analyze import AnalysisSettings, analyze
from patron.service.jobs import Jobs
from patron.service.permissions import User
from patron.service.runs import list_runs, prune_runs, runs_kept, set_runs_kept
from patron.store import Store

ADA = User(1, "ada", "admin")
PASSWORD = "a long enough password"


def _orders(store, folder, customers=120):
    orders = folder / "orders.csv"
    orders.write_text("customer_id,date,amount\n" + "".join(bgnbd_orders(customers, 4)))
    import_file(store, orders, "transactions")


def test_six_runs_started_at_once_all_finish_one_at_a_time(engine_store, tmp_path):
    """Six at once used to fail three ("connection is busy with another call"); queued, all six finish."""
    _orders(engine_store, tmp_path)
    jobs = Jobs(engine_store)
    started = [start_analysis(jobs, engine_store, ADA, AnalysisSettings()) for _ in range(6)]
    assert all(j.position for j in started[1:])  # each one said where it stood when it was started
    deadline = time.monotonic() + 60
    while jobs.get(started[0].job_id).status == "queued" and time.monotonic() < deadline:
        time.sleep(0.01)
    # While the first runs, the others wait behind it in the order they were started.
    assert [(j.status, j.position) for j in (jobs.get(s.job_id) for s in started[1:])] == \
        [("queued", p) for p in range(1, 6)]
    assert jobs.wait_all(300)
    ended = [get_job(jobs, ADA, j.job_id) for j in started]
    assert [(j.status, j.error) for j in ended] == [("done", None)] * 6
    run_ids = [j.result["run_id"] for j in ended]
    assert run_ids == sorted(run_ids) and len(set(run_ids)) == 6  # run in the order they were queued
    assert engine_store.scalar("SELECT count(DISTINCT run_id) FROM scores") == 6
    assert engine_store.scalar("SELECT count(*) FROM jobs WHERE status = 'done' AND kind = 'analysis'") == 6


def test_queued_jobs_wait_their_turn_across_workers_and_say_their_position(engine_store):
    """Two worker processes over one store (two Jobs): never two analyses at once, positions 1, 2, 3 ..."""
    first, second = Jobs(engine_store), Jobs(engine_store)
    release, running, most = threading.Event(), [0], [0]
    order: list[str] = []
    guard = threading.Lock()

    def work(name):
        def run(progress):
            with guard:
                running[0] += 1
                most[0] = max(most[0], running[0])
                order.append(name)
            try:
                if name == "blocker":
                    assert release.wait(30)
                else:
                    time.sleep(0.05)
            finally:
                with guard:
                    running[0] -= 1
            return {"name": name}
        return run

    blocker = first.start("analysis", "ada", work("blocker"), one_at_a_time=True)
    deadline = time.monotonic() + 10
    while first.get(blocker.job_id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.get(blocker.job_id).status == "running" and first.get(blocker.job_id).position is None
    waiting = []
    for i in range(5):
        jobs = (first, second)[i % 2]
        waiting.append((jobs, jobs.start("analysis", "ada", work(f"run{i}"), one_at_a_time=True)))
        time.sleep(0.01)  # distinct start times: the queue's order
    assert [job.position for _, job in waiting] == [1, 2, 3, 4, 5]
    time.sleep(0.3)  # nobody overtakes the run in progress
    assert [jobs.get(job.job_id).status for jobs, job in waiting] == ["queued"] * 5
    assert [first.get(job.job_id).position for _, job in waiting] == [1, 2, 3, 4, 5]  # another worker's too
    release.set()
    assert first.wait_all(30) and second.wait_all(30)
    assert most[0] == 1 and order[0] == "blocker" and sorted(order[1:]) == [f"run{i}" for i in range(5)]
    # In one process they keep their order; across processes only "one at a time" is promised.
    assert [n for n in order if n in ("run0", "run2", "run4")] == ["run0", "run2", "run4"]
    assert [n for n in order if n in ("run1", "run3")] == ["run1", "run3"]
    assert all(jobs.get(job.job_id).status == "done" for jobs, job in waiting)
    # A job that is not one at a time never waits for them.
    quick = first.start("analysis", "ada", lambda progress: {"ok": True})
    assert first.wait(quick.job_id).status == "done"


def test_the_api_and_the_page_say_queued_and_the_position(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as store:
        _orders(store, tmp_path)
        token = issue_token(store, add_user(store, "ada", PASSWORD, "admin"), "t")
    with TestClient(create_app(str(path))) as client:
        jobs = client.app.state.jobs
        release = threading.Event()
        jobs.start("analysis", "ada", lambda progress: {"waited": release.wait(60)}, one_at_a_time=True)
        headers = {"Authorization": f"Bearer {token}"}
        r = client.post("/api/v1/runs", json={}, headers=headers)
        assert r.status_code == 202 and (r.json()["status"], r.json()["position"]) == ("queued", 1)
        r2 = client.post("/api/v1/runs", json={}, headers=headers).json()
        assert (r2["status"], r2["position"]) == ("queued", 2)
        again = client.get(f"/api/v1/jobs/{r2['job_id']}", headers=headers).json()
        assert (again["status"], again["position"]) == ("queued", 2)

        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf": csrf})
        page = client.get(f"/runs/jobs/{r2['job_id']}").text
        assert "Queued, position 2" in page and "1 will run before this one" in page
        assert 'http-equiv="refresh"' not in page  # it stands still unless the user follows it
        assert 'http-equiv="refresh"' in client.get(f"/runs/jobs/{r2['job_id']}?follow=1").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/runs").text).group(1)
        started = client.post("/runs", data={"csrf": csrf}, follow_redirects=False)
        assert started.status_code == 303
        assert "Queued, position 3" in client.get(started.headers["location"]).text
        release.set()
        assert jobs.wait_all(300)
        done = client.get(f"/api/v1/jobs/{r2['job_id']}", headers=headers).json()
        assert (done["status"], done["position"]) == ("done", None)


def _past_runs(store, count):
    """``count`` saved value runs (1..count) with two score rows each, as many past analyses leave."""
    with store.transaction():
        for run_id in range(1, count + 1):
            store.raw.execute(
                "INSERT INTO runs (run_id, kind, started_at, finished_at, as_of, engine, settings, diagnostics, "
                "parties, status) VALUES (?, 'value', now()::TIMESTAMP, now()::TIMESTAMP, '2024-06-01', 'duckdb', "
                "'{}', '{}', 2, 'kept')", [run_id])
            for party in (1, 2):
                store.raw.execute("INSERT INTO scores (run_id, party_id, clv) VALUES (?, ?, 1.0)", [run_id, party])


def test_old_runs_are_deleted_but_never_the_current_one_nor_a_campaigns(engine_store, tmp_path):
    _orders(engine_store, tmp_path)
    assert runs_kept(engine_store) == 10
    _past_runs(engine_store, 12)
    with engine_store.transaction():
        engine_store.raw.execute("UPDATE runs SET status = 'current' WHERE run_id = 2")  # promoted long ago
        engine_store.raw.execute(  # a campaign built on run 4: its audience and results read that run's scores
            "INSERT INTO campaigns (campaign_id, name, channel, audience, action, run_id, created_at) "
            "VALUES (1, 'winback', 'email', '{}', '{}', 4, now()::TIMESTAMP)")
    with engine_store.transaction():
        assert prune_runs(engine_store) == [1]  # the newest 10 are 3..12; 2 is current
        assert prune_runs(engine_store, 3) == [9, 8, 7, 6, 5, 3]
    assert {r[0] for r in engine_store.query("SELECT run_id FROM runs")} == {2, 4, 10, 11, 12}
    assert {r[0] for r in engine_store.query("SELECT DISTINCT run_id FROM scores")} == {2, 4, 10, 11, 12}

    set_runs_kept(engine_store, ADA, 2)  # from the settings table, on every run saved: the CLI's, the API's
    assert runs_kept(engine_store) == 2
    result = analyze(engine_store, AnalysisSettings(as_of="2024-09-01"))
    assert result.run_id == 13 and "old run(s) deleted" in " ".join(result.notes)
    kept = {r["run_id"] for r in list_runs(engine_store, 100)}
    current = engine_store.scalar("SELECT run_id FROM runs WHERE status = 'current'")
    assert current == 13 and kept == {4, 12, 13}  # run 2, no longer the current picture, goes too
    assert {r[0] for r in engine_store.query("SELECT DISTINCT run_id FROM scores")} == kept
    assert engine_store.scalar("SELECT count(*) FROM audit_log WHERE action = 'runs.prune'") == 3
    assert engine_store.scalar("SELECT count(*) FROM audit_log WHERE action = 'settings.change'") == 1


def test_a_bad_number_of_runs_to_keep_is_refused_in_words(engine_store):
    import pytest

    from patron.errors import InvalidInput, PermissionDenied

    for bad in ("ten", "0", "-3", "1001", "2.5"):
        with pytest.raises(InvalidInput, match="runs.keep"):
            set_runs_kept(engine_store, ADA, bad)
    with pytest.raises(PermissionDenied):
        set_runs_kept(engine_store, User(2, "ann", "analyst"), 5)
    assert runs_kept(engine_store) == 10
