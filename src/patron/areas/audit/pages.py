"""``/audit``: the audit log page, for admins: filters, paging, CSV; "who saw this person" from a customer page."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from patron.api.deps import StoreDep
from patron.areas.audit import service
from patron.service.exports import attachment
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(90, "Audit log", "/audit", action="audit.read", section="Admin")
PAGE = 100
FILTERS = ("username", "action", "entity", "entity_id", "since", "until")


def _filters(request: Request) -> dict:
    params = request.query_params
    chosen = {name: (params.get(name) or "").strip()[:200] for name in FILTERS}
    chosen["entity_id"] = int(chosen["entity_id"]) if chosen["entity_id"].isdigit() else None
    return chosen


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, store: StoreDep, page: int = 1):
    user = page_user(request, store)
    chosen = _filters(request)
    page = max(page, 1)
    total, entries = service.audit_log(store, user, limit=PAGE, offset=(page - 1) * PAGE, with_total=True,
                                       **chosen)
    query = {k: v for k, v in chosen.items() if v not in (None, "")}

    def link(number: int) -> str:
        return "/audit?" + urlencode({**query, "page": number})

    return render(request, "audit/log.html", user, active=NAV.label, entries=entries, total=total, page=page,
                  chosen=chosen, actions=service.ACTION_CHOICES,
                  previous_url=link(page - 1) if page > 1 else None,
                  next_url=link(page + 1) if page * PAGE < total else None,
                  export_url="/audit/export.csv?" + urlencode(query))


@router.get("/audit/export.csv")
def audit_export(request: Request, store: StoreDep):
    user = page_user(request, store)
    chunks = service.export_csv(store, user, **_filters(request))
    return StreamingResponse(chunks, media_type="text/csv", headers={"Content-Disposition": attachment("audit.csv")})
