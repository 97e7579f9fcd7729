"""``/api/v1/privacy``: a person's data exported (a ZIP) or erased, for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from patron.api.deps import StoreDep, allowed
from patron.areas.privacy import service
from patron.service.permissions import User

router = APIRouter(prefix="/privacy", tags=["privacy"])


class ErasureResult(BaseModel):
    party_id: int
    facts_anonymised: dict[str, int]
    quarantine_removed: int
    keys_hashed: int


@router.get("/{party_id}/export", response_class=Response,
            responses={200: {"content": {"application/zip": {}}, "description": "personal_data.json and a CSV "
                                                                                  "per table."}})
def export_personal_data(party_id: int, store: StoreDep,
                         user: Annotated[User, allowed("privacy.requests")]) -> Response:
    """Everything patron holds about one person, as a ZIP archive (audited)."""
    return Response(service.export_archive(store, user, party_id), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="privacy-export-{party_id}.zip"'})


@router.post("/{party_id}/erase", response_model=ErasureResult)
def erase_personal_data(party_id: int, store: StoreDep,
                        user: Annotated[User, allowed("privacy.requests")]) -> ErasureResult:
    """Erase one person's personal data for good; their facts stay, anonymised; they are suppressed (audited)."""
    done = service.erase(store, user, party_id)
    return ErasureResult(party_id=done.party_id, facts_anonymised=done.facts_anonymised,
                         quarantine_removed=done.quarantine_removed, keys_hashed=done.keys_hashed)
