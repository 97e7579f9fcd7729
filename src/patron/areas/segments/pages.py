"""``/segments``: the segments of the latest run, their members, and their export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.segments import service
from patron.errors import PatronError
from patron.service.exports import attachment
from patron.service.overview import current_currency
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(30, "Segments", "/segments", section="Customers")


@router.get("/segments", response_class=HTMLResponse)
def segments_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    try:
        found = service.segments(store)
    except PatronError:  # no analysis run yet: the page says so
        found = []
    return render(request, "segments/segments.html", user, active=NAV.label, segments=found)


@router.get("/segments/{kind}/{name}.csv")
def segment_csv(request: Request, store: StoreDep, kind: str, name: str):
    user = page_user(request, store)
    service.members(store, user, kind, name, limit=1)
    return StreamingResponse(service.export_csv(store, user, kind, name), media_type="text/csv", headers={
        "Content-Disposition": attachment(f"patron-{kind}-{name}.csv")})


@router.get("/segments/{kind}/{name}", response_class=HTMLResponse)
def segment_page(request: Request, store: StoreDep, kind: str, name: str):
    user = page_user(request, store)
    total, rows = service.members(store, user, kind, name, limit=100)
    return render(request, "segments/segment.html", user, active=NAV.label, kind=kind, name=name, total=total,
                  rows=rows, currency=current_currency(store))
