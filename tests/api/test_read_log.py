"""Every 360 read is still accounted for when its audit row waits in the service's read log (service/audit.py):
the row reaches the store after a flush, on reading the log, and on a normal shutdown; a full buffer does not
wait for the interval; while the store refuses writes the buffer stays under its cap, and what it drops is counted,
logged and written down once the store writes again. And the service's DuckDB queries get one thread, a background
job every core."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from fastapi.testclient import TestClient
from signin_helpers import PASSWORD, add_customer

from patron.api.settings import Settings
from patron.app import create_app
from patron.areas.users.service import add_user, issue_token
from patron.service.audit import ReadLog, record_read
from patron.service.jobs import Jobs
from patron.service.permissions import User
from patron.store import Store

READS = "SELECT count(*) FROM audit_log WHERE action = 'party.read'"


def test_a_360_read_is_written_after_a_flush_and_on_shutdown(engine_url):
    with Store(engine_url) as store:
        token = issue_token(store, add_user(store, "sam", PASSWORD, "admin"), "t")
        add_customer(store, 1)
    # An interval no test waits for: the rows reach the store only by a flush or the shutdown.
    app = create_app(engine_url, Settings(store=engine_url, audit_flush_seconds=60))
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/parties/1", headers=headers).status_code == 200
        view = app.state.store.cursor()
        try:
            assert view.scalar(READS) == 0, "the read's row waits in the read log"
            log = client.get("/api/v1/audit", headers=headers, params={"action": "party.read"}).json()
            assert [(e["username"], e["entity_id"]) for e in log] == [("sam", 1)], "reading the log flushes it"
            assert view.scalar(READS) == 1
            assert client.get("/api/v1/parties/1", headers=headers).status_code == 200
            assert view.scalar(READS) == 1
        finally:
            view.close()
    with Store(engine_url) as store:
        assert store.scalar(READS) == 2, "the shutdown wrote the read still waiting"


def test_a_full_read_log_is_written_without_waiting_for_its_interval(tmp_path):
    with Store(tmp_path / "r.duckdb") as store:
        add_customer(store, 1)
        read_log = ReadLog(store, interval_s=3600, most=3).start()
        written = threading.Event()
        wrote = read_log.flush

        def flush_and_tell(cursor):
            count = wrote(cursor)
            if count:
                written.set()
            return count

        read_log.flush = flush_and_tell
        try:
            user = User(1, "sam", "admin", "Sam", "127.0.0.1")
            for _ in range(3):
                record_read(store, user, "party.read", "party", 1)
            assert written.wait(10), "three rows (its most) are written at once, not after an hour"
            rows = store.query("SELECT username, address, entity_id FROM audit_log WHERE action = 'party.read'")
            assert rows == [("sam", "127.0.0.1", 1)] * 3
        finally:
            read_log.stop()
        record_read(store, user, "party.read", "party", 1)  # no read log running (the command line): at once
        assert store.scalar(READS) == 4


def test_requests_get_one_duckdb_thread_and_a_job_every_core(tmp_path):
    with Store(tmp_path / "t.duckdb") as store:
        threads = "SELECT current_setting('threads')"
        full = store.scalar(threads)
        store.limit_threads(1)
        view = store.cursor()
        try:
            assert view.scalar(threads) == 1
            seen = {}
            jobs = Jobs(store)
            job = jobs.start("check", "sam", lambda progress: seen.setdefault("threads", view.scalar(threads)))
            jobs.wait_all()
            assert jobs.get(job.job_id).status == "done"
            assert seen["threads"] == full
            assert view.scalar(threads) == 1, "back to one when the job ended"
        finally:
            view.close()


class RefusingWrites:
    """A store whose write transactions fail while ``state["refusing"]`` (a full disk), its cursors too."""

    def __init__(self, store: Store, state: dict) -> None:
        self._store, self.state = store, state

    def __getattr__(self, name):
        return getattr(self._store, name)

    def cursor(self) -> RefusingWrites:
        return RefusingWrites(self._store.cursor(), self.state)

    @contextmanager
    def transaction(self, **options):
        if self.state["refusing"]:
            self.state["refused"] += 1
            raise OSError(28, "No space left on device")
        with self._store.transaction(**options):
            yield


def test_a_store_that_refuses_writes_fills_the_read_log_to_its_cap_then_the_drops_are_written_down(tmp_path,
                                                                                                    caplog):
    with Store(tmp_path / "full.duckdb") as store:
        add_customer(store, 1)
        state = {"refusing": True, "refused": 0}
        refusing = RefusingWrites(store, state)
        read_log = ReadLog(refusing, interval_s=3600, most=5, keep=20).start()
        user = User(1, "sam", "admin", "Sam", "127.0.0.1")
        try:
            with caplog.at_level(logging.ERROR, logger="patron.service.audit"):
                for _ in range(50):
                    record_read(store, user, "party.read", "party", 1)
                    try:
                        read_log.flush(refusing)  # as the thread would each round: refused
                    except OSError:
                        pass
            assert state["refused"] >= 50
            with read_log._writing:  # no round of its thread is under way: every row waits in the buffer
                assert read_log.waiting == 20 and read_log.dropped == 30, "at most 20 rows wait, the rest counted"
            assert store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE '%read%'") == 0
            errors = [r for r in caplog.records if r.levelno == logging.ERROR and "dropped" in r.getMessage()]
            assert len(errors) == 1, "the first drop of a run logs an error, not every drop"
            assert "No space left on device" in errors[0].getMessage()

            state["refusing"] = False  # the disk has room again
            read_log.flush(refusing)
            assert store.scalar(READS) == 20
        finally:
            read_log.stop()
        assert store.scalar(READS) == 20
        (count, username, detail), = store.query(
            "SELECT row_count, username, detail FROM audit_log WHERE action = 'audit.read_log.dropped'")
        assert count == 30 and username == "system" and '"kept_at_most": 20' in detail
        assert read_log.dropped == 0 and read_log.waiting == 0
