"""``/runs``: the analysis runs and which is the current picture; starting a run and watching its progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import JobsDep, SharedStore, StoreDep
from patron.areas.jobs import service
from patron.service import runs
from patron.service.analyze import AnalysisSettings
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(85, "Runs", "/runs", section="Analysis")


@router.get("/runs", response_class=HTMLResponse)
def run_list(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "jobs/runs.html", user, active=NAV.label, runs=runs.list_runs(store, 30),
                  kept=runs.runs_kept(store))


@router.post("/runs")
def start_run(request: Request, store: StoreDep, shared: SharedStore, jobs: JobsDep,
              csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    job = service.start_analysis(jobs, shared, user, AnalysisSettings())
    return back(f"/runs/jobs/{job.job_id}?follow=1", request, "Analysis started." if (job.position or 1) == 1 else
                f"Analysis queued, position {job.position}: analyses run one at a time.")


@router.get("/runs/jobs/{job_id}", response_class=HTMLResponse)
def run_progress(request: Request, store: StoreDep, jobs: JobsDep, job_id: str, follow: bool = False):
    """The run's progress. The pages run no script, so only a reload shows news: the page reloads itself every two
    seconds while the job runs only when the user asked to follow it (``follow``; starting a run does), and says so
    with a link to stop (WCAG 2.2.1: a timed reload the user can turn off); otherwise it stands still."""
    user = page_user(request, store)
    return render(request, "jobs/progress.html", user, active=NAV.label, job=service.get_job(jobs, user, job_id),
                  follow=follow)
