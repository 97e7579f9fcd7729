"""A job is seen by the user who started it and by admins; its error names no server path."""

from __future__ import annotations

import pytest

from patron.areas.jobs.service import get_job
from patron.errors import NotFound
from patron.service.jobs import Jobs
from patron.service.permissions import User


def test_jobs_are_their_owners_and_errors_have_no_paths(engine_store):
    jobs = Jobs(engine_store)
    ann, bob, ada = User(1, "ann", "analyst"), User(2, "bob", "analyst"), User(3, "ada", "admin")

    def work(progress):
        raise OSError("IO Error: No files found that match the pattern "
                      "\"/var/lib/patron/uploads/tmp-3f2a/orders 2024.csv\" (see /etc/patron/)")

    job = jobs.start("analysis", ann.username, work)
    jobs.wait_all()
    seen = get_job(jobs, ann, job.job_id)
    assert seen.status == "failed"
    assert "/var/lib" not in seen.error and "/etc" not in seen.error and "uploads" not in seen.error
    assert "No files found" in seen.error
    assert get_job(jobs, ada, job.job_id).status == "failed"
    with pytest.raises(NotFound, match=f"no job {job.job_id}"):
        get_job(jobs, bob, job.job_id)
