"""``/api/v1/playbooks`` and ``/api/v1/campaigns``: save a playbook, evaluate the triggers that are due, create a
campaign, preview its audience, override the holdout (admins), launch, pause, resume or cancel it;
``/api/v1/vouchers`` (redeem a code once) and ``/api/v1/lists`` (named lists and their members)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from patron.api.deps import CurrentUser, StoreDep, allowed
from patron.api.schemas import Int
from patron.areas.campaigns import offers, service, triggers
from patron.service.permissions import User

router = APIRouter(tags=["campaigns"])
Launcher = Annotated[User, allowed("campaigns.launch")]
Admin = Annotated[User, allowed("holdout.override")]
Writer = Annotated[User, allowed("customers.write")]


class PlaybookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    definition: str = Field(description="The playbook in TOML (docs/act.md).", max_length=100_000)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    playbook_id: Int = Field()
    name: str | None = Field(default=None, max_length=200)
    seed: Int | None = Field(None)


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


class HoldoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["include", "exclude", "keep"] = Field(
        description="include: the global holdout is contacted like anyone in this campaign; exclude: it is left "
                    "out of the campaign and its measurement; keep: the default (never contacted, compared).")
    why: str = Field(default="", max_length=500, description="Why, for the audit log.")


class ListAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party_ids: list[int] = Field(min_length=1, max_length=100_000)


@router.post("/playbooks/run-due")
def run_due(store: StoreDep, user: Launcher) -> list[dict[str, Any]]:
    """Evaluate every active playbook's trigger now (events since the last evaluation, schedules that are due);
    a match creates and launches a campaign. Running it again starts nothing new."""
    return triggers.run_due(store, user)


@router.get("/playbooks/{playbook_id:int}")  # digits only: GET /playbooks/run-due is a 405, not a bad id
def playbook(playbook_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    """A playbook, its trigger in words, its last evaluations and when it is next due."""
    row, book = service.get_playbook(store, playbook_id)
    return {**row, "trigger": book.trigger or {"kind": "manual"}, "trigger_described": triggers.describe(
        store, book.trigger), "next_due": triggers.next_due(store, playbook_id, row, book),
        "evaluations": triggers.evaluations(store, playbook_id)}


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


@router.post("/campaigns/{campaign_id}/holdout")
def holdout(campaign_id: int, body: HoldoutIn, store: StoreDep, user: Admin) -> dict[str, Any]:
    """An admin's override of the global holdout for one draft campaign (audited)."""
    return service.override_holdout(store, user, campaign_id, None if body.mode == "keep" else body.mode, body.why)


@router.get("/campaigns/{campaign_id}/vouchers")
def campaign_vouchers(campaign_id: int, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    service.get_campaign(store, campaign_id)
    return offers.vouchers_of_campaign(store, campaign_id)


@router.post("/vouchers/{code}/redeem")
def redeem(code: str, store: StoreDep, user: Writer) -> dict[str, Any]:
    """Redeem a voucher code once; a second time, an expired or an unknown code is refused with the reason."""
    return offers.redeem(store, user, code)


@router.get("/vouchers/{code}")
def voucher(code: str, store: StoreDep, user: CurrentUser) -> dict[str, Any]:
    return offers.get_voucher(store, code)


@router.get("/lists")
def lists(store: StoreDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The named lists and their sizes."""
    return offers.lists(store)


@router.get("/lists/{name}")
def list_members(name: str, store: StoreDep, user: CurrentUser, page: int = 1, page_size: int = 50) -> dict[str, Any]:
    return offers.list_page(store, name, page=page, page_size=page_size)


@router.post("/lists/{name}/members")
def add_to_list(name: str, body: ListAddIn, store: StoreDep, user: Launcher) -> dict[str, int]:
    return {"added": offers.add_to_list(store, user, name, body.party_ids)}


@router.post("/campaigns/{campaign_id}/launch")
def launch(campaign_id: int, store: StoreDep, user: Launcher) -> dict[str, Any]:
    """Assign the arms and queue the action for the treated; a second launch is refused (409)."""
    return service.launch(store, user, campaign_id)


@router.post("/campaigns/{campaign_id}/status")
def set_status(campaign_id: int, body: StatusIn, store: StoreDep, user: Launcher) -> dict[str, Any]:
    return service.set_status(store, user, campaign_id, body.status)
