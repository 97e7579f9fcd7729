"""``/api/v1/quality``: NPS, CSAT and CES with their intervals, SERVQUAL gaps, survival by complaint experience,
lost customers, and the charter's adherence."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response

from patron.api.deps import CurrentUser, StoreDep
from patron.api.schemas import Day
from patron.areas.complaints import desk
from patron.areas.quality import causes as cause_analysis
from patron.areas.quality import cohorts, references, service, survival, verbatims

router = APIRouter(prefix="/quality", tags=["quality"])
Breakdown = Literal["rung", "triage", "value_tier", "segment", "channel", "department", "touchpoint"]


@router.get("/feedback/{instrument}")
def feedback(instrument: Literal["nps", "csat", "ces"], store: StoreDep, user: CurrentUser,
             by: Breakdown | None = None, period: Literal["week", "month"] | None = None,
             since: Day | None = None, until: Day | None = None) -> dict[str, Any]:
    """NPS (0-10 questions only), CSAT or CES (per declared scale): overall, by group and by period, with SE and CI."""
    return service.plain(service.feedback_report(store, user, instrument, by=by, period=period, since=since,
                                                 until=until))


@router.get("/servqual")
def servqual(store: StoreDep, user: CurrentUser, by: Breakdown | None = None, since: Day | None = None,
             until: Day | None = None) -> dict[str, Any]:
    """SERVQUAL gaps (P − E) per item, dimension and overall with bootstrap 95% intervals, weighted SERVQUAL,
    and with ``by`` the gaps per group weighted by customer value."""
    return service.plain(service.servqual_report(store, user, by=by, since=since, until=until))


@router.get("/survival")
def customer_survival(store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Kaplan–Meier curves by complaint experience, log-rank tests and a Cox model (lifelines)."""
    return service.plain(survival.survival_report(store, user))


@router.get("/lost")
def lost(store: StoreDep, user: CurrentUser, limit: int = 50) -> dict[str, Any]:
    """Lost customers by the documented rule, the value they took, their last complaints and causes."""
    return service.plain(survival.lost_customers(store, user, limit=min(max(limit, 1), 1000)))


@router.get("/charter")
def charter(store: StoreDep, user: CurrentUser, since: Day | None = None,
            until: Day | None = None) -> dict[str, Any]:
    """The customer charter, clause by clause: complaints judged, promises kept, share against target."""
    return service.plain(desk.charter_report(store, user, since=since, until=until))


@router.get("/causes")
def causes(store: StoreDep, user: CurrentUser, category: str | None = None) -> dict[str, Any]:
    """The Pareto of complaint causes by count and by value at stake, each cause on its fishbone bone."""
    return service.plain(cause_analysis.cause_pareto(store, user, category=category))


@router.get("/fishbone/{category}", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}, "description": "The fishbone diagram as SVG."}})
def fishbone(category: str, store: StoreDep, user: CurrentUser) -> Response:
    """The fishbone diagram of one complaint category, as SVG."""
    return Response(cause_analysis.fishbone_svg(store, user, category), media_type="image/svg+xml")


@router.get("/drivers")
def drivers(store: StoreDep, user: CurrentUser, target: Literal["nps", "csat"] = "nps",
            level: Literal["dimension", "item"] = "dimension",
            by: Literal["value_tier", "triage", "rung", "segment", "channel", "department", "touchpoint"] | None = None,
            method: Literal["relative_weights", "shapley"] = "relative_weights") -> dict[str, Any]:
    """Which SERVQUAL dimensions (or items) drive NPS or CSAT: Johnson's relative weights with bootstrap
    intervals, each driver's performance (mean perception) and its quadrant of the importance × performance grid;
    with ``by``, the same per group (e.g. per value tier). ``method=shapley``: the Shapley decomposition of R²
    instead (dimensions only: it visits every subset of the drivers)."""
    return service.plain(service.drivers_report(store, user, target=target, level=level, by=by, method=method))


@router.get("/verbatims")
def verbatim_tags(store: StoreDep, user: CurrentUser, source: Literal["feedback", "complaints"] | None = None,
                  since: Day | None = None, until: Day | None = None,
                  limit: int = 100) -> dict[str, Any]:
    """Comments and complaint descriptions tagged with a SERVQUAL dimension, sentiment and cause bone (with each
    tag's probability), counted by dimension × sentiment and by bone; ``rows`` holds the latest ``limit``."""
    r = verbatims.verbatim_report(store, user, source=source, since=since, until=until, sample=0)
    r["rows"] = r["rows"][-min(max(limit, 1), 10_000):][::-1]
    return service.plain({k: v for k, v in r.items() if k != "sample"})


@router.get("/benchmarks")
def benchmarks(store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Our mean perception per SERVQUAL dimension and year against each competitor's and the industry norm's."""
    return service.plain(references.benchmark_report(store, user))


@router.get("/internal-gaps")
def internal(store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """Gap 1: management's estimate of what customers expect minus what they say they expect, per dimension."""
    return service.plain(references.internal_gaps(store, user))


@router.get("/tolerance")
def tolerance(store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """The zone of tolerance per dimension: adequate, desired and perceived service, MSA and MSS with SE."""
    return service.plain(references.zone_of_tolerance(store, user))


@router.get("/cohorts")
def cohort_table(store: StoreDep, user: CurrentUser, max_months: int = 24) -> dict[str, Any]:
    """Cohort retention: per acquisition month, its customers and the share buying in each month since."""
    return service.plain(cohorts.cohort_retention(store, user, max_months=min(max(max_months, 1), 120)))


@router.get("/cohorts.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}, "description": "The cohort heatmap as SVG."}})
def cohort_heatmap(store: StoreDep, user: CurrentUser) -> Response:
    """The cohort retention heatmap, as SVG."""
    return Response(cohorts.heatmap_svg(cohorts.cohort_retention(store, user)), media_type="image/svg+xml")


@router.get("/instruments/{instrument}")
def listening_instrument(instrument: Literal["panel", "mystery_shopper", "suggestion", "field_visit", "review"],
                         store: StoreDep,
                         user: CurrentUser, since: Day | None = None,
                         until: Day | None = None) -> dict[str, Any]:
    """A panel, mystery-shopper, suggestion, field-visit or review report (a field visit's: the answers recorded
    with channel field_visit, and the visits): by month, scores with SE, perception per dimension
    for us and each benchmark, the latest texts."""
    return service.plain(service.instrument_report(store, user, instrument, since=since, until=until))
