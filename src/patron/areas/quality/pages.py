"""``/quality`` (service quality: SERVQUAL gaps, NPS trend, drivers, benchmarks), ``/lost`` (lost customers and survival) and
``/charter`` (the charter's adherence), ``/listening`` (panels, mystery shoppers, suggestions, field visits,
reviews: each its own report)."""

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
NAV = NavItem(45, "Service quality", "/quality", section="Service")


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
    try:
        drivers = service.drivers_report(store, user, target="nps", n_boot=200)
        drivers["tiers"] = service.drivers_report(store, user, target="nps", by="value_tier", n_boot=200)
    except InvalidInput as exc:
        drivers = {"error": str(exc)}
    return render(request, "quality/quality.html", user, active=NAV.label, servqual=servqual, nps=nps, csat=csat,
                  by=by, verbatims=tags, drivers=drivers, bench=references.benchmark_report(store, user),
                  gap1=references.internal_gaps(store, user), zone=references.zone_of_tolerance(store, user))


#: The listening instruments in the order the page shows them, with their headings.
LISTENING = {"panel": "Customer panels", "mystery_shopper": "Mystery shoppers", "suggestion": "Suggestion scheme",
             "field_visit": "Field visits", "review": "Reviews"}


@router.get("/listening", response_class=HTMLResponse)
def listening_page(request: Request, store: StoreDep):
    """Each listening instrument's own report: panels, mystery shoppers, suggestions, field visits, reviews."""
    user = page_user(request, store)
    reports = [(name, title, service.plain(service.instrument_report(store, user, name)))
               for name, title in LISTENING.items()]
    return render(request, "quality/listening.html", user, active=NAV.label, reports=reports)


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
