"""Background jobs recorded in the store: what one worker process runs, another can report."""

from __future__ import annotations

import threading

from patron.demo import generate_demo
from patron.ingest import import_file
from patron.service.jobs import Jobs


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
