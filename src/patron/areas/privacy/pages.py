"""``/customers/{id}/privacy``: an admin hands a person their data, or erases it, from the customer page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from patron.api.deps import StoreDep
from patron.areas.parties.service import party_360
from patron.areas.privacy import service
from patron.web.auth import check_csrf, page_user
from patron.web.templating import back, render

router = APIRouter(include_in_schema=False)


@router.get("/customers/{party_id}/privacy", response_class=HTMLResponse)
def privacy_page(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    user.require("privacy.requests")
    return render(request, "privacy/privacy.html", user, active="Customers", view=party_360(store, user, party_id))


@router.get("/customers/{party_id}/privacy/export")
def export(request: Request, store: StoreDep, party_id: int):
    user = page_user(request, store)
    return Response(service.export_archive(store, user, party_id), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="privacy-export-{party_id}.zip"'})


@router.post("/customers/{party_id}/privacy/erase")
def erase(request: Request, store: StoreDep, party_id: int, csrf: Annotated[str, Form()] = "",
          confirm: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    if confirm.strip() != str(party_id):
        return back(f"/customers/{party_id}/privacy", request,
                    f"Type the customer's number ({party_id}) to confirm the erasure.", error=True)
    service.erase(store, user, party_id)
    return back(f"/customers/{party_id}", request, f"Customer {party_id}'s personal data was erased; they are on "
                "the suppression list.")
