"""``/quality`` (service quality: SERVQUAL gaps, NPS trend), ``/lost`` (lost customers and survival) and
``/charter`` (the charter's adherence)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.complaints import desk
from patron.areas.quality import cohorts, references, service, survival, verbatims
from patron.errors import InvalidInput
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(45, "Service quality", "/quality")


@router.get("/quality", response_class=HTMLResponse)
def quality_page(request: Request, store: StoreDep, by: str | None = None):
    user = page_user(request, store)
    try:
        servqual = service.servqual_report(store, user, by=by or None, n_boot=300)
    except InvalidInput as exc:
        servqual = {"error": str(exc)}
    nps = service.feedback_report(store, user, "nps", period="month")
    csat = service.feedback_report(store, user, "csat")
    tags = verbatims.verbatim_report(store, user, sample=15)
    return render(request, "quality/quality.html", user, active=NAV.label, servqual=servqual, nps=nps, csat=csat,
                  by=by, verbatims=tags, bench=references.benchmark_report(store, user),
                  gap1=references.internal_gaps(store, user), zone=references.zone_of_tolerance(store, user))


@router.get("/lost", response_class=HTMLResponse)
def lost_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "quality/lost.html", user, active=NAV.label,
                  lost=service.plain(survival.lost_customers(store, user, limit=50)),
                  surv=service.plain(survival.survival_report(store, user)),
                  heatmap=cohorts.heatmap_svg(cohorts.cohort_retention(store, user)))


@router.get("/charter", response_class=HTMLResponse)
def charter_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "quality/charter.html", user, active=NAV.label, report=desk.charter_report(store, user))
