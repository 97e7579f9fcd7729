"""``/campaigns``: the campaigns and playbooks, a form that builds a playbook, a campaign's audience with who is
excluded and why, and its launch, pause, resume and cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.campaigns import service
from patron.errors import InvalidInput
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(45, "Campaigns", "/campaigns")


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "campaigns/list.html", user, active=NAV.label, campaigns=service.list_campaigns(store),
                  playbooks=service.list_playbooks(store), channels=service.CHANNELS)


def _share(value: str) -> float:
    try:
        return float(value) / 100
    except ValueError:
        raise InvalidInput(f"The control group is a percentage, not '{value}'.") from None


@router.post("/campaigns/playbooks")
def build_playbook(request: Request, store: StoreDep, name: Annotated[str, Form()], channel: Annotated[str, Form()],
                   subject: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
                   purpose: Annotated[str, Form()] = "marketing", body: Annotated[str, Form()] = "",
                   triage: Annotated[list[str] | None, Form()] = None, rung: Annotated[list[str] | None, Form()] = None,
                   at_risk: Annotated[str, Form()] = "", min_clv: Annotated[str, Form()] = "",
                   control_percent: Annotated[str, Form()] = "10", due_days: Annotated[str, Form()] = "3"):
    """The builder: the form's fields are a playbook; saved, then a draft campaign of it is made."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    audience: dict = {}
    if triage:
        audience["triage"] = triage
    if rung:
        audience["rung"] = rung
    if at_risk in ("yes", "no"):
        audience["at_risk"] = at_risk == "yes"
    if min_clv.strip():
        try:
            audience["min_clv"] = float(min_clv)
        except ValueError:
            raise InvalidInput(f"CLV at least is a number, not '{min_clv}'.") from None
    action: dict = {"subject": subject, "body": body}
    if channel == "task":
        try:
            action["due_days"] = int(due_days)
        except ValueError:
            raise InvalidInput(f"Due in (days) is a whole number, not '{due_days}'.") from None
    playbook_id = service.save_playbook(store, user, {
        "name": name, "channel": channel, "purpose": purpose, "control_share": _share(control_percent),
        "audience": audience, "action": action})
    campaign_id = service.create_campaign(store, user, playbook_id)
    return back(f"/campaigns/{campaign_id}", request, f"Playbook saved; campaign {campaign_id} is a draft: check "
                                                      "its audience, then launch it.")


@router.post("/campaigns/new")
def new_campaign(request: Request, store: StoreDep, playbook_id: Annotated[int, Form()],
                 csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    campaign_id = service.create_campaign(store, user, playbook_id)
    return back(f"/campaigns/{campaign_id}", request, f"Campaign {campaign_id} is a draft.")


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, store: StoreDep, campaign_id: int):
    user = page_user(request, store)
    campaign = service.get_campaign(store, campaign_id)
    shown = service.preview(store, campaign_id) if campaign["status"] == "draft" else None
    members = service.member_counts(store, campaign_id)
    return render(request, "campaigns/campaign.html", user, active=NAV.label, c=campaign, preview=shown,
                  members=members)


@router.post("/campaigns/{campaign_id}/launch")
def launch_campaign(request: Request, store: StoreDep, campaign_id: int, csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    result = service.launch(store, user, campaign_id)
    return back(f"/campaigns/{campaign_id}", request, f"Launched: {result['queued']:,} queued for the treated; "
                                                      f"{result['arms'].get('control', 0):,} kept as control.")


@router.post("/campaigns/{campaign_id}/status")
def campaign_status(request: Request, store: StoreDep, campaign_id: int, status: Annotated[str, Form()],
                    csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    c = service.set_status(store, user, campaign_id, status)
    return back(f"/campaigns/{campaign_id}", request, f"Campaign {campaign_id} is {c['status']}.")
