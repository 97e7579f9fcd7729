"""``patron playbook`` (save, list, show, run-due) and ``patron campaign`` (create, preview, launch, pause, resume, cancel, list)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from patron.cli.common import StoreOption, console, open_store
from patron.errors import InvalidInput

playbook_app = typer.Typer(help="Playbooks: trigger -> audience -> action -> measure, written in TOML "
                                "(see docs/act.md).", no_args_is_help=True)
campaign_app = typer.Typer(help="Campaigns: a playbook sent to its audience, with a global holdout and a random "
                                "control, consent checked for everyone.", no_args_is_help=True)
commands = typer.Typer()
commands.add_typer(playbook_app, name="playbook")
commands.add_typer(campaign_app, name="campaign")
CampaignId = Annotated[int, typer.Argument(help="The campaign's id (see patron campaign list).")]


def _operator():
    from patron.areas.accounts.service import OPERATOR

    return OPERATOR


@playbook_app.command("add")
def playbook_add(file: Annotated[Path, typer.Argument(help="A playbook's TOML file.", exists=True, dir_okay=False)],
                 store: StoreOption = None) -> None:
    """Check a playbook file and save it (a playbook of the same name is replaced)."""
    from patron.areas.campaigns.service import save_playbook

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{file} is not UTF-8 text.") from None
    with open_store(store) as s:
        playbook_id = save_playbook(s, _operator(), text)
    console.print(f"Saved playbook {playbook_id} from {file.name}.")


@playbook_app.command("defaults")
def playbook_defaults(store: StoreOption = None) -> None:
    """Save the default playbooks: one per triage group and rung, carrying out the plan patron prints for each."""
    from patron.areas.campaigns.service import install_defaults

    with open_store(store) as s:
        ids = install_defaults(s, _operator())
    console.print(f"Saved {len(ids)} default playbooks: patron playbook list")


@playbook_app.command("list")
def playbook_list(store: StoreOption = None) -> None:
    """Every playbook, its channel and its audience in words."""
    from patron.areas.campaigns.service import list_playbooks

    with open_store(store, read_only=True) as s:
        rows = list_playbooks(s)
    table = Table(title=f"playbooks ({len(rows)})")
    for col in ("id", "name", "channel", "audience", "status"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["playbook_id"]), r["name"], r["channel"], r["audience"], r["status"])
    console.print(table)


@playbook_app.command("show")
def playbook_show(playbook_id: Annotated[int, typer.Argument(help="The playbook's id.")],
                  store: StoreOption = None) -> None:
    """A playbook's TOML, as stored."""
    from patron.areas.campaigns.service import get_playbook
    from patron.areas.campaigns.triggers import describe, last_evaluation, next_due

    with open_store(store, read_only=True) as s:
        row, book = get_playbook(s, playbook_id)
        last = last_evaluation(s, playbook_id)
        due = next_due(s, playbook_id, row, book)
        described = describe(s, book.trigger)
    console.print(row["definition"], markup=False, highlight=False)
    console.print(f"Trigger: {described}.", markup=False)
    if last:
        console.print(f"Last evaluated {last['evaluated_at']:%Y-%m-%d %H:%M}: "
                      f"{last['error'] or last['detail']}.", markup=False)
    if due:
        console.print(f"Next due {due:%Y-%m-%d %H:%M} UTC.", markup=False)


@playbook_app.command("run-due")
def playbook_run_due(store: StoreOption = None) -> None:
    """Evaluate every active playbook's trigger now: events since the last evaluation, schedules that are due.
    A match creates and launches a campaign (holdout, control and exclusions apply); running it again starts
    nothing new."""
    from patron.areas.campaigns.triggers import run_due

    with open_store(store) as s:
        done = run_due(s, _operator())
    if not done:
        console.print("No playbook with an event or a due schedule.")
    for e in done:
        what = e["error"] or e["detail"]
        console.print(f"{e['playbook']}: {what}.", markup=False)


@campaign_app.command("create")
def campaign_create(playbook_id: Annotated[int, typer.Argument(help="The playbook to send.")],
                    name: Annotated[str | None, typer.Option(help="The campaign's name (default: the playbook's).")] = None,
                    seed: Annotated[int | None, typer.Option(help="Seed of the random control (default: the id).")] = None,
                    store: StoreOption = None) -> None:
    """A draft campaign of a playbook, against the current analysis run."""
    from patron.areas.campaigns.service import create_campaign

    with open_store(store) as s:
        campaign_id = create_campaign(s, _operator(), playbook_id, name=name, seed=seed)
    console.print(f"Created campaign {campaign_id} (draft): patron campaign preview {campaign_id}")


def _print_arms(shown: dict) -> None:
    table = Table(title=f"campaign {shown['campaign_id']}: {shown.get('described', '')}")
    table.add_column("arm")
    table.add_column("people", justify="right")
    for arm, n in shown["arms"].items():
        table.add_row(arm, f"{n:,}")
    console.print(table)
    if shown.get("excluded"):
        why = Table(title="excluded, and why")
        why.add_column("reason")
        why.add_column("people", justify="right")
        for reason, n in shown["excluded"].items():
            why.add_row(reason, f"{n:,}")
        console.print(why)


@campaign_app.command("preview")
def campaign_preview(campaign_id: CampaignId, store: StoreOption = None) -> None:
    """Who the campaign would reach now: the audience, each arm, and who is excluded and why. Sends nothing."""
    from patron.areas.campaigns.service import preview

    with open_store(store, read_only=True) as s:
        _print_arms(preview(s, campaign_id))


@campaign_app.command("launch")
def campaign_launch(campaign_id: CampaignId, store: StoreOption = None) -> None:
    """Assign the arms and queue the action for the treated (the outbox sends it, checking consent again)."""
    from patron.areas.campaigns.service import launch

    with open_store(store) as s:
        result = launch(s, _operator(), campaign_id)
    _print_arms({"campaign_id": campaign_id, "arms": result["arms"]})
    console.print(f"Queued {result['queued']:,} for the treated.")


def _status(campaign_id: int, status: str, store) -> None:
    from patron.areas.campaigns.service import set_status

    with open_store(store) as s:
        campaign = set_status(s, _operator(), campaign_id, status)
    console.print(f"Campaign {campaign_id} is {campaign['status']}.")


@campaign_app.command("pause")
def campaign_pause(campaign_id: CampaignId, store: StoreOption = None) -> None:
    """Pause a running campaign."""
    _status(campaign_id, "paused", store)


@campaign_app.command("resume")
def campaign_resume(campaign_id: CampaignId, store: StoreOption = None) -> None:
    """Resume a paused campaign."""
    _status(campaign_id, "running", store)


@campaign_app.command("cancel")
def campaign_cancel(campaign_id: CampaignId, store: StoreOption = None) -> None:
    """Cancel a draft or paused campaign: its queued messages are never sent."""
    _status(campaign_id, "cancelled", store)


@campaign_app.command("list")
def campaign_list(store: StoreOption = None) -> None:
    """Every campaign, newest first, with its treated and control counts."""
    from patron.areas.campaigns.service import list_campaigns

    with open_store(store, read_only=True) as s:
        rows = list_campaigns(s)
    table = Table(title=f"campaigns ({len(rows)})")
    for col in ("id", "name", "channel", "status", "treated", "control", "launched"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["campaign_id"]), r["name"], r["channel"], r["status"], f"{r['treated']:,}",
                      f"{r['control']:,}", f"{r['launched_at']:%Y-%m-%d %H:%M}" if r["launched_at"] else "")
    console.print(table)
