"""``/api/v1/runs`` and ``/api/v1/jobs``: analysis runs as background jobs, and following any job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from patron.api.deps import CurrentUser, JobsDep, SharedStore, allowed
from patron.areas.jobs import service
from patron.areas.jobs.schemas import AnalysisRequest, JobPublic
from patron.service.analyze import AnalysisSettings
from patron.service.permissions import User

router = APIRouter(tags=["jobs"])


@router.post("/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def start_run(body: AnalysisRequest, jobs: JobsDep, store: SharedStore,
              user: Annotated[User, allowed("runs.start")]) -> JobPublic:
    """Start an analysis run; follow it at /api/v1/jobs/{job_id}."""
    job = service.start_analysis(jobs, store, user, AnalysisSettings(**body.model_dump()))
    return JobPublic(**job.public())


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(job_id: str, jobs: JobsDep, user: CurrentUser) -> JobPublic:
    return JobPublic(**service.get_job(jobs, user, job_id).public())
