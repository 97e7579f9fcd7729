"""``/audit``: the audit log page, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.audit import service
from patron.web.auth import page_user
from patron.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(90, "Audit log", "/audit", action="audit.read")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "audit/log.html", user, active=NAV.label, entries=service.audit_log(store, user, limit=200))
