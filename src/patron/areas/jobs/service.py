"""Long work started from the web service: analysis runs as background jobs, and following any job.

The jobs themselves (threads, progress, records in the store for every
worker) are :class:`patron.service.jobs.Jobs`; imports start theirs in
:mod:`patron.areas.imports.service`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from patron.analytics.covariates import check_columns
from patron.errors import NotFound
from patron.service.analyze import AnalysisSettings, analyze
from patron.service.jobs import Job, Jobs
from patron.service.permissions import User
from patron.store import Store


def start_analysis(jobs: Jobs, store: Store, user: User, settings: AnalysisSettings) -> Job:
    """Queue a value run over the store on a job of its own; follow it with :func:`get_job`.

    Runs go one at a time per store, in the order they were started (:meth:`Jobs.start`, ``one_at_a_time``):
    the job is ``queued``, with its ``position``, until those before it have ended.
    """
    user.require("runs.start")
    if settings.covariates:  # a misspelt column is answered now, not by a failed job
        check_columns(store.table("parties"), settings.covariates)

    def work(progress):
        view = store.cursor()
        try:
            result = analyze(view, settings, progress=progress, user=user)
        finally:
            view.close()
        return {"run_id": result.run_id, "customers": result.customers, "parties": result.parties,
                "seconds": round(result.seconds, 2), "notes": result.notes,
                "models": {k: result.diagnostics[k]["params"] for k in ("transaction_model", "spend_model")},
                "coefficients": result.diagnostics["transaction_model"].get("coefficients", [])}

    return jobs.start("analysis", user.username, work, one_at_a_time=True)


def get_job(jobs: Jobs, user: User, job_id: str) -> Job:
    """A job, for the user who started it or an admin (to anyone else it does not exist); its error without paths."""
    user.require("jobs.read")
    job = jobs.get(job_id)
    if job is None or (job.username != user.username and user.role != "admin"):
        raise NotFound(f"There is no job {job_id}.")
    return replace(job, error=without_paths(job.error)) if job.error else job


#: An absolute path (POSIX or Windows) in a message: the server's layout is nobody's business.
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[^\s'\"/\\:]+[/\\])+([^\s'\"/\\]*)")


def without_paths(message: str | None) -> str | None:
    """``message`` with every absolute path cut down to its last part (a file's name)."""
    return None if message is None else _PATH.sub(lambda m: m.group(1) or "…", message)
