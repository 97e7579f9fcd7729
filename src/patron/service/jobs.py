"""Long work (analysis runs, imports) as background jobs with progress, for the web service."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Job:
    job_id: str
    kind: str
    username: str
    status: str = "queued"  # queued | running | done | failed
    step: str = ""
    progress: float = 0.0
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    finished_at: dt.datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        return asdict(self)


class Jobs:
    """The jobs of one service process. Each runs on its own thread."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, username: str, work: Callable[[Callable[[str, float], None]], dict]) -> Job:
        job = Job(uuid.uuid4().hex[:12], kind, username)
        with self._lock:
            self._jobs[job.job_id] = job

        def progress(step: str, fraction: float) -> None:
            job.step, job.progress = step, round(float(fraction), 3)

        def run() -> None:
            job.status = "running"
            try:
                job.result = work(progress)
                job.status, job.progress = "done", 1.0
            except Exception as exc:  # the job reports it; the service stays up
                job.status, job.error = "failed", str(exc) or type(exc).__name__
            finally:
                job.finished_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)

        threading.Thread(target=run, name=f"patron-{kind}-{job.job_id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def wait(self, job_id: str, timeout: float = 60.0) -> Job | None:
        """Block until the job ends (tests, scripts)."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(job_id)
            if job is None or job.status in ("done", "failed"):
                return job
            time.sleep(0.05)
        return self.get(job_id)

    def wait_all(self, timeout: float = 60.0) -> bool:
        """Block until no job is running (a service shutting down); ``False`` if some still run after ``timeout``."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(j.status in ("queued", "running") for j in list(self._jobs.values())):
                return True
            time.sleep(0.05)
        return False
