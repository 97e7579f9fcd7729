"""Background jobs recorded in the store: what one worker process runs, another can report."""

from __future__ import annotations

import datetime as dt
import threading
import time

from patron.demo import generate_demo
from patron.ingest import import_file
from patron.service.jobs import Jobs
from patron.store import Store


def test_another_worker_sees_a_job_progress_and_its_result(engine_store):
    running, other = Jobs(engine_store), Jobs(engine_store)  # two worker processes over one store
    running.SAVE_EVERY = 0.0
    halfway, go_on = threading.Event(), threading.Event()

    def work(progress):
        progress("counting", 0.5)
        halfway.set()
        assert go_on.wait(10)
        return {"counted": 3, "when": "today"}

    job = running.start("analysis", "ann", work)
    assert halfway.wait(10)
    seen = other.get(job.job_id)
    assert (seen.kind, seen.username, seen.status, seen.step, seen.progress) == ("analysis", "ann", "running",
                                                                                 "counting", 0.5)
    go_on.set()
    assert running.wait(job.job_id).status == "done"
    seen = other.wait(job.job_id)
    assert (seen.status, seen.progress, seen.result, seen.error) == ("done", 1.0, {"counted": 3, "when": "today"},
                                                                     None)
    assert seen.finished_at is not None and seen.started_at <= seen.finished_at
    assert other.get("no-such-job") is None


def test_a_failed_job_is_recorded_with_its_message(engine_store):
    running, other = Jobs(engine_store), Jobs(engine_store)

    def work(progress):
        raise ValueError("the file has no header")

    job = running.start("import", "bob", work)
    assert running.wait(job.job_id).status == "failed"
    seen = other.get(job.job_id)
    assert (seen.status, seen.error, seen.result) == ("failed", "the file has no header", None)


def test_progress_is_recorded_while_an_import_holds_its_transaction(engine_store, tmp_path):
    """The job's own writes and its progress rows go through different connections of the store."""
    generate_demo(tmp_path / "data", 300, 2)
    orders = tmp_path / "data" / "webshop_order_lines.csv"
    running, other = Jobs(engine_store), Jobs(engine_store)
    running.SAVE_EVERY = 0.0
    steps: list[str] = []

    def work(progress):
        view = engine_store.cursor()
        try:
            def tell(step, fraction):
                steps.append(step)
                progress(step, fraction)
            report = import_file(view, orders, mapping=orders.with_suffix(".toml"), progress=tell)
        finally:
            view.close()
        return {"accepted": report.accepted}

    job = running.start("import", "ann", work)
    done = running.wait(job.job_id, timeout=120)
    assert done.status == "done", done.error
    assert steps and done.result["accepted"] > 0
    assert other.get(job.job_id).result == done.result


def _record_running_job(store, job_id: str, seen: dt.datetime | None) -> None:
    with store.transaction():
        store.raw.execute("INSERT INTO jobs (job_id, kind, username, status, started_at, heartbeat_at) "
                          "VALUES (?, 'analysis', 'ann', 'running', ?, ?)",
                          [job_id, seen or dt.datetime(2026, 1, 1), seen])


def test_a_job_whose_process_stopped_beating_is_reported_as_failed(engine_store):
    jobs = Jobs(engine_store)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    _record_running_job(engine_store, "gone", now - dt.timedelta(seconds=Jobs.LOST_AFTER + 5))
    _record_running_job(engine_store, "alive", now)
    gone = jobs.get("gone")
    assert gone.status == "failed" and "stopped before it finished" in gone.error
    assert jobs.get("alive").status == "running"


def test_a_running_job_beats_until_it_ends(engine_store):
    running = Jobs(engine_store)
    running.HEARTBEAT_EVERY = 0.05
    go_on = threading.Event()
    job = running.start("analysis", "ann", lambda progress: {"ok": go_on.wait(30)})

    def beat() -> dt.datetime:
        return engine_store.scalar("SELECT heartbeat_at FROM jobs WHERE job_id = ?", [job.job_id])

    deadline = time.monotonic() + 5  # well before the job ends by itself, which would also write
    while engine_store.scalar("SELECT status FROM jobs WHERE job_id = ?", [job.job_id]) != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first = beat()  # the job's last own write: it reports no progress, so only the heartbeat writes after it
    while beat() == first and time.monotonic() < deadline:
        time.sleep(0.02)
    assert beat() > first
    go_on.set()
    assert running.wait(job.job_id).status == "done"


def test_on_a_duckdb_file_jobs_left_running_by_a_stopped_service_are_closed_at_start(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        _record_running_job(store, "interrupted", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    with Store(tmp_path / "s.duckdb") as store:
        job = Jobs(store).get("interrupted")
        assert job.status == "failed" and "service stopped" in job.error
        assert store.scalar("SELECT status FROM jobs WHERE job_id = 'interrupted'") == "failed"


def test_a_job_seen_ended_here_is_ended_in_the_store(engine_store, monkeypatch):
    """wait() returns once the end is recorded, however slow the store is (once flaky under load)."""
    jobs, other = Jobs(engine_store), Jobs(engine_store)
    record = Jobs._record

    def slow_record(self, sql, params, what):
        time.sleep(0.3)  # a store under load
        record(self, sql, params, what)

    monkeypatch.setattr(Jobs, "_record", slow_record)
    job = jobs.start("analysis", "ann", lambda progress: {"run_id": 7})
    done = jobs.wait(job.job_id, timeout=30)
    assert done.status == "done"
    seen = other.get(job.job_id)
    assert (seen.status, seen.result) == ("done", {"run_id": 7})
