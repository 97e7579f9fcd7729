"""``/campaigns``: the campaigns and playbooks, a form that builds a playbook, a playbook's trigger with its last
evaluation and next due time (and a button that evaluates the triggers now), a campaign's audience with who is
excluded and why, an admin's holdout override, its vouchers, and its launch, pause, resume and cancel;
``/lists``: the named lists, their sizes and members."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from patron.api.deps import StoreDep
from patron.areas.campaigns import offers, service, triggers
from patron.errors import InvalidInput
from patron.web.auth import check_csrf, page_user
from patron.web.templating import NavItem, back, render

router = APIRouter(include_in_schema=False)
NAV = NavItem(45, "Campaigns", "/campaigns", section="Campaigns")


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "campaigns/list.html", user, active=NAV.label, campaigns=service.list_campaigns(store),
                  playbooks=service.list_playbooks(store), channels=service.CHANNELS,
                  events=triggers.EVENT_WORDS, overrides=service.OVERRIDES)


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
                   control_percent: Annotated[str, Form()] = "10", due_days: Annotated[str, Form()] = "3",
                   voucher: Annotated[str, Form()] = "", voucher_days: Annotated[str, Form()] = "",
                   list_name: Annotated[str, Form()] = "", trigger: Annotated[str, Form()] = "manual",
                   trigger_at: Annotated[str, Form()] = "09:00", threshold: Annotated[str, Form()] = "0.5",
                   holdout: Annotated[str, Form()] = "keep", holdout_why: Annotated[str, Form()] = ""):
    """The builder: the form's fields are a playbook; saved, then a draft campaign of it is made."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    if holdout != "keep":
        user.require("holdout.override")  # before anything is saved
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
    if voucher.strip():
        action["voucher"] = voucher.strip()
        if voucher_days.strip():
            try:
                action["voucher_days"] = int(voucher_days)
            except ValueError:
                raise InvalidInput(f"Valid for (days) is a whole number, not '{voucher_days}'.") from None
    if list_name.strip():
        action["list"] = list_name.strip()
    kind, _, what = trigger.partition(":")
    when: dict = {"kind": kind}
    if kind == "schedule":
        when.update(every=what, at=trigger_at.strip() or "00:00")
    elif kind == "event":
        when["event"] = what
        if what == "p_alive_drop":
            try:
                when["threshold"] = float(threshold)
            except ValueError:
                raise InvalidInput(f"The P(alive) threshold is a number between 0 and 1, not '{threshold}'.") from None
    playbook_id = service.save_playbook(store, user, {
        "name": name, "channel": channel, "purpose": purpose, "control_share": _share(control_percent),
        "trigger": when, "audience": audience, "action": action})
    campaign_id = service.create_campaign(store, user, playbook_id)
    if holdout != "keep":
        service.override_holdout(store, user, campaign_id, holdout, holdout_why)
    return back(f"/campaigns/{campaign_id}", request, f"Playbook saved; campaign {campaign_id} is a draft: check "
                                                      "its audience, then launch it.")


@router.post("/campaigns/new")
def new_campaign(request: Request, store: StoreDep, playbook_id: Annotated[int, Form()],
                 csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    campaign_id = service.create_campaign(store, user, playbook_id)
    return back(f"/campaigns/{campaign_id}", request, f"Campaign {campaign_id} is a draft.")


@router.get("/campaigns/playbooks/{playbook_id}", response_class=HTMLResponse)
def playbook_page(request: Request, store: StoreDep, playbook_id: int):
    user = page_user(request, store)
    row, book = service.get_playbook(store, playbook_id)
    return render(request, "campaigns/playbook.html", user, active=NAV.label, p=row, book=book,
                  trigger=triggers.describe(store, book.trigger), due=triggers.next_due(store, playbook_id, row, book),
                  evaluations=triggers.evaluations(store, playbook_id), kind=(book.trigger or {}).get("kind", "manual"))


@router.post("/campaigns/run-due")
def run_due_now(request: Request, store: StoreDep, csrf: Annotated[str, Form()] = "",
                playbook_id: Annotated[int | None, Form()] = None):
    """The button: evaluate every active playbook's trigger now."""
    check_csrf(request, csrf)
    user = page_user(request, store)
    done = triggers.run_due(store, user)
    started = [e for e in done if e["campaign_id"] is not None]
    failed = [e for e in done if e["error"]]
    words = (f"Triggers evaluated: {len(done)} playbook(s), {len(started)} campaign(s) started"
             + (f", {len(failed)} could not be evaluated ({failed[0]['error']})" if failed else "") + ".")
    return back(f"/campaigns/playbooks/{playbook_id}" if playbook_id else "/campaigns", request, words)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, store: StoreDep, campaign_id: int):
    user = page_user(request, store)
    campaign = service.get_campaign(store, campaign_id)
    shown = service.preview(store, campaign_id) if campaign["status"] == "draft" else None
    members = service.member_counts(store, campaign_id)
    return render(request, "campaigns/campaign.html", user, active=NAV.label, c=campaign, preview=shown,
                  members=members, vouchers=offers.vouchers_of_campaign(store, campaign_id),
                  overrides=service.OVERRIDES)


@router.post("/campaigns/{campaign_id}/holdout")
def campaign_holdout(request: Request, store: StoreDep, campaign_id: int, mode: Annotated[str, Form()],
                     why: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""):
    check_csrf(request, csrf)
    user = page_user(request, store)
    service.override_holdout(store, user, campaign_id, None if mode == "keep" else mode, why)
    return back(f"/campaigns/{campaign_id}", request, "The global holdout is kept out of this campaign." if mode == "keep"
                else f"Holdout override recorded: {service.OVERRIDES[mode]}.")


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, store: StoreDep):
    user = page_user(request, store)
    return render(request, "campaigns/lists.html", user, active=NAV.label, lists=offers.lists(store))


@router.get("/lists/{name}", response_class=HTMLResponse)
def named_list_page(request: Request, store: StoreDep, name: str, page: int = 1):
    user = page_user(request, store)
    shown = offers.list_page(store, name, page=page)
    return render(request, "campaigns/named_list.html", user, active=NAV.label, lst=shown,
                  base=f"/lists/{quote(name, safe='')}")


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
