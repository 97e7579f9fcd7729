"""``/api/v1/playbooks`` and ``/api/v1/campaigns``: save a playbook, create a campaign, preview its audience,
launch, pause, resume or cancel it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.areas.campaigns import service
from patron.service.permissions import User

router = APIRouter(tags=["campaigns"])
Launcher = Annotated[User, allowed("campaigns.launch")]


class PlaybookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: str = Field(description="The playbook in TOML (docs/act.md).", max_length=100_000)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    playbook_id: int
    name: str | None = Field(default=None, max_length=200)
    seed: int | None = None


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["paused", "running", "cancelled"]


@router.get("/playbooks")
def playbooks(store: StoreDep, user: CurrentUser) -> list[dict[str, Any]]:
    return service.list_playbooks(store)


@router.post("/playbooks", status_code=status.HTTP_201_CREATED)
def save_playbook(body: PlaybookIn, store: StoreDep, user: Launcher) -> dict[str, int]:
    """Check and save a playbook; one of the same name is replaced."""
    return {"playbook_id": service.save_playbook(store, user, body.definition)}


@router.get("/campaigns")
def campaigns(store: StoreDep, user: CurrentUser) -> list[dict[str, Any]]:
    return service.list_campaigns(store)


@router.post("/campaigns", status_code=status.HTTP_201_CREATED)
def create_campaign(body: CampaignIn, store: StoreDep, user: Launcher) -> dict[str, Any]:
    campaign_id = service.create_campaign(store, user, body.playbook_id, name=body.name, seed=body.seed)
    return service.get_campaign(store, campaign_id)


@router.get("/campaigns/{campaign_id}")
def campaign(campaign_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return service.get_campaign(store, campaign_id)


@router.get("/campaigns/{campaign_id}/preview")
def preview(campaign_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """The audience now: each arm's size and the excluded by reason. Sends nothing."""
    return service.preview(store, campaign_id)


@router.post("/campaigns/{campaign_id}/launch")
def launch(campaign_id: int, store: StoreDep, user: Launcher) -> dict[str, Any]:
    """Assign the arms and queue the action for the treated; a second launch is refused (409)."""
    return service.launch(store, user, campaign_id)


@router.post("/campaigns/{campaign_id}/status")
def set_status(campaign_id: int, body: StatusIn, store: StoreDep, user: Launcher) -> dict[str, Any]:
    return service.set_status(store, user, campaign_id, body.status)
