"""``/api/v1/runs`` and ``/api/v1/jobs``: analysis runs as background jobs, and following any job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from patron.api.deps import CurrentUser, JobsDep, SharedStore, StoreDep, allowed
from patron.api.schemas import UtcDateTime
from patron.areas.jobs import service
from patron.areas.jobs.schemas import AnalysisRequest, JobPublic
from patron.service import runs
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


class RunListed(BaseModel):
    run_id: int
    as_of: UtcDateTime
    started_at: UtcDateTime
    finished_at: UtcDateTime | None = None
    engine: str
    model: str | None = None
    parties: int | None = None
    converged: bool
    status: str = Field(description="current (what every page shows), kept (not shown: backdated, or "
                                    "replaced) or failed (not sound: never shown).")
    current: bool


@router.get("/runs", response_model=list[RunListed])
def list_runs(store: StoreDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 30) -> list[RunListed]:
    """Analysis runs, newest first, and which one is the current picture."""
    return [RunListed(**r) for r in runs.list_runs(store, limit)]


@router.post("/runs/{run_id}/promote", response_model=RunListed)
def promote_run(run_id: int, store: StoreDep, user: Annotated[User, allowed("runs.promote")]) -> RunListed:
    """Make a sound run the current picture (admins; audited)."""
    runs.promote(store, user, run_id)
    return next(RunListed(**r) for r in runs.list_runs(store, 500) if r["run_id"] == run_id)
