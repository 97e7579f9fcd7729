"""Long work (analysis runs, imports) as background jobs with progress, for the web service."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from typing import Any

log = logging.getLogger("patron.jobs")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class Job:
    job_id: str
    kind: str
    username: str
    status: str = "queued"  # queued | running | done | failed
    step: str = ""
    progress: float = 0.0
    started_at: dt.datetime = field(default_factory=_utc_now)
    finished_at: dt.datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    #: While queued behind others of its kind: 1 is next. None once it runs (or for a job that never waits).
    position: int | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


class Jobs:
    """The background jobs of a service: each runs on a thread of this process, and is recorded in the
    store's ``jobs`` table so that every worker process of ``patron serve --workers N`` can report it.

    Progress is kept in memory and written to the table at most every :attr:`SAVE_EVERY` seconds, and
    when the job ends. Without a store (``Jobs()``), jobs live in this process only.

    A process that dies (killed, restarted) cannot record that its jobs ended. So while this process
    has jobs running, it writes a sign of life for them every :attr:`HEARTBEAT_EVERY` seconds, and a job
    recorded as running with no sign of life for :attr:`LOST_AFTER` seconds is reported as failed. On a
    DuckDB file, which one process at a time can write, the jobs recorded as running when the service
    starts belong to a process that has gone, and are closed as failed at once.

    A job started ``one_at_a_time`` (analysis runs) waits, ``queued``, until no other job of its kind runs on
    the store: in this process in the order they were started, and across the processes of a PostgreSQL
    store through :meth:`patron.store.Store.hold`. Several runs at once fought over one connection ("connection
    is busy with another call": 3 of 6 failed) and over the machine's two cores; one after another they all
    finish. While it waits, :meth:`get` gives its ``position`` in the queue.
    """

    SAVE_EVERY = 1.0
    HEARTBEAT_EVERY = 10.0
    LOST_AFTER = 60.0

    def __init__(self, store=None) -> None:
        self._store = store
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._heart: threading.Thread | None = None
        self._turn = threading.Condition(self._lock)
        self._lines: dict[str, list[str]] = {}  # per kind run one at a time: the ids queued or running, in order
        if store is not None and store.backend_name == "duckdb" and not store.read_only:
            self._close_interrupted()

    def _close_interrupted(self) -> None:
        with self._store.transaction():
            self._store.raw.execute(
                "UPDATE jobs SET status = 'failed', finished_at = ?, error = ? WHERE status IN ('queued', 'running')",
                [_utc_now(), "The service stopped before this job finished. Start it again."])

    def _beat(self) -> None:
        """Every :attr:`HEARTBEAT_EVERY` seconds, a sign of life for this process's unfinished jobs."""
        while True:
            time.sleep(self.HEARTBEAT_EVERY)
            with self._lock:
                alive = [j.job_id for j in self._jobs.values() if j.status in ("queued", "running")]
            if alive:
                marks = ", ".join("?" for _ in alive)
                self._record(f"UPDATE jobs SET heartbeat_at = ? WHERE job_id IN ({marks})", [_utc_now(), *alive],
                             f"that jobs {alive} are alive")

    def _save(self, job: Job, *, new: bool = False) -> None:
        if new:
            self._record("INSERT INTO jobs (job_id, kind, username, status, started_at, heartbeat_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         [job.job_id, job.kind, job.username, job.status, job.started_at, _utc_now()],
                         f"the state of job {job.job_id}")
        else:
            self._record("UPDATE jobs SET status = ?, step = ?, progress = ?, finished_at = ?, result = ?, error = ?, "
                         "heartbeat_at = ? WHERE job_id = ?",
                         [job.status, job.step, job.progress, job.finished_at,
                          None if job.result is None else json.dumps(job.result, default=str), job.error,
                          _utc_now(), job.job_id],
                         f"the state of job {job.job_id}")

    def _record(self, sql: str, params: list, what: str) -> None:
        """One write to ``jobs`` through a connection of its own; a failure is logged, never raised."""
        if self._store is None:
            return
        view = self._store.cursor()
        try:
            with view.transaction():
                view.raw.execute(sql, params)
        except Exception:  # the job goes on; only other workers' view of it is late
            log.warning("could not record %s", what, exc_info=True)
        finally:
            view.close()

    def start(self, kind: str, username: str, work: Callable[[Callable[[str, float], None]], dict], *,
              one_at_a_time: bool = False) -> Job:
        """Run ``work(progress)`` on a thread of its own; with ``one_at_a_time``, after every job of ``kind``
        started before it (on this store) has ended. Returns the job as it is now (queued)."""
        job = Job(uuid.uuid4().hex[:12], kind, username)
        with self._lock:
            self._jobs[job.job_id] = job
            if one_at_a_time:
                self._lines.setdefault(kind, []).append(job.job_id)
            if self._store is not None and self._heart is None:
                self._heart = threading.Thread(target=self._beat, name="patron-jobs-heartbeat", daemon=True)
                self._heart.start()
        self._save(job, new=True)
        saved = [time.monotonic()]

        def progress(step: str, fraction: float) -> None:
            job.step, job.progress = step, round(float(fraction), 3)
            if time.monotonic() - saved[0] >= self.SAVE_EVERY:
                self._save(job)
                saved[0] = time.monotonic()

        def run() -> None:
            try:
                with self._turn_of(job) if one_at_a_time else nullcontext():
                    self._save(replace(job, status="running"))  # recorded first, then shown, as the end
                    job.status = "running"
                    with self._store.parallel() if self._store is not None else nullcontext():
                        ended = {"result": work(progress), "status": "done", "progress": 1.0}
            except Exception as exc:  # the job reports it; the service stays up
                ended = {"status": "failed", "error": str(exc) or type(exc).__name__}
            ended["finished_at"] = _utc_now()
            # Recorded first, then shown here: whoever sees the job ended here finds it ended in the store too
            # (another worker, or a test reading it there as soon as wait() returns).
            self._save(replace(job, **ended))
            for name, value in ended.items():
                setattr(job, name, value)

        threading.Thread(target=run, name=f"patron-{kind}-{job.job_id}", daemon=True).start()
        return replace(job, position=self._position(job)) if one_at_a_time else job

    @contextmanager
    def _turn_of(self, job: Job) -> Iterator[None]:
        """Wait until ``job`` is first of its kind here, then until none of its kind runs on the store; hold it."""
        try:
            with self._turn:
                self._turn.wait_for(lambda: self._lines[job.kind][0] == job.job_id)
            if self._store is None:
                yield
            else:
                with self._store.hold(job.kind):
                    yield
        finally:
            with self._turn:
                self._lines[job.kind].remove(job.job_id)
                self._turn.notify_all()

    def _position(self, job: Job) -> int | None:
        """A queued job's place in the queue of its kind (1: next), counting every live process's jobs."""
        if job.status != "queued":
            return None
        if self._store is None:
            with self._lock:
                line = [self._jobs[i] for i in self._lines.get(job.kind, ())]
            return 1 + sum(1 for j in line if j.status == "queued" and
                           (j.started_at, j.job_id) < (job.started_at, job.job_id))
        view = self._store.cursor()
        try:
            ahead = view.scalar(
                "SELECT count(*) FROM jobs WHERE kind = ? AND status = 'queued' AND heartbeat_at >= ? "
                "AND (started_at < ? OR (started_at = ? AND job_id < ?))",
                [job.kind, _utc_now() - dt.timedelta(seconds=self.LOST_AFTER), job.started_at, job.started_at,
                 job.job_id])
        finally:
            view.close()
        return 1 + int(ahead)

    def get(self, job_id: str) -> Job | None:
        """The job: this process's own as it is now, another worker's as last recorded."""
        found = self._jobs.get(job_id)
        if found is not None or self._store is None:
            if found is None or found.status != "queued":
                return found
            return replace(found, position=self._position(found))
        view = self._store.cursor()
        try:
            rows = view.query("SELECT job_id, kind, username, status, step, progress, started_at, finished_at, "
                              "result, error, heartbeat_at FROM jobs WHERE job_id = ?", [job_id])
        finally:
            view.close()
        if not rows:
            return None
        *head, result, error, heartbeat_at = rows[0]
        job = Job(*head, result=None if result is None else json.loads(result), error=error)
        last_seen = heartbeat_at or job.started_at
        if job.status in ("queued", "running") and (_utc_now() - last_seen).total_seconds() > self.LOST_AFTER:
            job.status = "failed"
            job.error = (f"The service process running this job stopped before it finished (no sign of it since "
                         f"{last_seen:%Y-%m-%d %H:%M:%S} UTC). Start it again.")
        return replace(job, position=self._position(job)) if job.status == "queued" else job

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job ends (tests, scripts)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def wait_all(self, timeout: float = 60.0) -> bool:
        """Block until no job is running (a service shutting down); ``False`` if some still run after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(j.status in ("queued", "running") for j in list(self._jobs.values())):
                return True
            time.sleep(0.05)
        return False
