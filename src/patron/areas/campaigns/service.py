"""Campaigns: one sending of a playbook (act/playbooks.py), its members in arms, and its launch.

A **campaign** is one sending of a playbook. Its audience is evaluated in the store against the current
analysis run, and every member gets an arm, in this order (``campaign_members``):

1. ``holdout``: in the global holdout (act/holdout.py), never contacted by any campaign;
2. ``excluded``: may not be contacted (suppressed, no address, no consent for the channel and purpose),
   with the reason;
3. ``control``: the campaign's random control among those who could be contacted (its ``seed``);
4. ``treated``: everyone else, who gets the action.

Treated and control are then alike but for the action, so their difference measures it (act/measure.py).
Launching writes the members and one ``outbox`` row per treated member (or one ``tasks`` row for a task), in
one transaction, with idempotency key ``campaign:<id>:party:<party>``: launching again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from patron.act import playbooks
from patron.act.audience import Audience, audience_sql, exclusions
from patron.act.holdout import control_bucket_sql, cut, holdout_bucket_sql, holdout_share
from patron.act.playbooks import Playbook, parse_playbook, to_toml
from patron.areas.parties.lists import selection_sql
from patron.areas.views.service import view_filters
from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.audit import record
from patron.service.runs import current_run
from patron.store import Store
from patron.store.vocabulary import CONSENT_CHANNELS


def save_playbook(store: Store, user, text: str | dict | Playbook) -> int:
    """Store a playbook (TOML text, its parsed table, or a playbook; checked first); one of the same name is
    replaced by this version."""
    user.require("campaigns.launch")
    playbook = text if isinstance(text, Playbook) else parse_playbook(text)
    with store.transaction():
        found = store.query("SELECT playbook_id FROM playbooks WHERE name = ?", [playbook.name])
        if found:
            playbook_id = int(found[0][0])
            store.raw.execute("UPDATE playbooks SET definition = ?, updated_at = now()::TIMESTAMP, updated_by = ? "
                              "WHERE playbook_id = ?", [to_toml(playbook), getattr(user, "username", None), playbook_id])
        else:
            playbook_id = store.next_id("playbooks", "playbook_id")
            store.raw.execute("INSERT INTO playbooks (playbook_id, name, definition, status, created_at, created_by) "
                              "VALUES (?, ?, ?, 'active', now()::TIMESTAMP, ?)",
                              [playbook_id, playbook.name, to_toml(playbook), getattr(user, "username", None)])
        record(store, user, "playbook.save", "playbook", playbook_id, {"name": playbook.name})
    return playbook_id

#: The channels a playbook acts through (the builder form offers them).
CHANNELS = playbooks.CHANNELS

DEFAULTS = Path(__file__).parents[2] / "act" / "defaults"


def install_defaults(store: Store, user) -> list[int]:
    """Save the default playbooks (one per triage group, the at-risk best, and one per rung of the ladder),
    each carrying out the plan patron prints for its group; saving them again replaces them."""
    return [save_playbook(store, user, path.read_text(encoding="utf-8")) for path in sorted(DEFAULTS.glob("*.toml"))]


def get_playbook(store: Store, playbook_id: int) -> tuple[dict, Playbook]:
    rows = store.records("SELECT * FROM playbooks WHERE playbook_id = ?", [playbook_id])
    if not rows:
        raise NotFound(f"There is no playbook {playbook_id}.")
    return rows[0], parse_playbook(rows[0]["definition"])


def list_playbooks(store: Store) -> list[dict]:
    rows = store.records("SELECT playbook_id, name, status, definition, created_at, updated_at FROM playbooks "
                         "ORDER BY playbook_id")
    for row in rows:
        playbook = parse_playbook(row.pop("definition"))
        row.update(channel=playbook.channel, audience=playbook.audience.describe())
    return rows


def create_campaign(store: Store, user, playbook_id: int, *, name: str | None = None, seed: int | None = None) -> int:
    """A draft campaign of a playbook, against the current analysis run."""
    user.require("campaigns.launch")
    _, playbook = get_playbook(store, playbook_id)
    run_id = current_run(store)
    with store.transaction():
        campaign_id = store.next_id("campaigns", "campaign_id")
        store.raw.execute(
            "INSERT INTO campaigns (campaign_id, playbook_id, name, channel, purpose, audience, action, control_share, "
            "run_id, status, seed, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, now()::TIMESTAMP, ?)",
            [campaign_id, playbook_id, name or playbook.name, playbook.channel, playbook.purpose,
             json.dumps(playbook.audience.to_dict()), json.dumps(playbook.action), playbook.control_share, run_id,
             campaign_id if seed is None else int(seed), getattr(user, "username", None)])
        record(store, user, "campaign.create", "campaign", campaign_id, {"playbook_id": playbook_id})
    return campaign_id


def get_campaign(store: Store, campaign_id: int) -> dict:
    rows = store.records("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
    if not rows:
        raise NotFound(f"There is no campaign {campaign_id}.")
    row = rows[0]
    row["audience"], row["action"] = json.loads(row["audience"]), json.loads(row["action"])
    return row


def list_campaigns(store: Store) -> list[dict]:
    rows = store.records(
        "SELECT c.campaign_id, c.name, c.channel, c.status, c.created_at, c.launched_at, "
        "(SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.campaign_id AND m.arm = 'treated') AS treated, "
        "(SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.campaign_id AND m.arm = 'control') AS control "
        "FROM campaigns c ORDER BY c.campaign_id DESC")
    return rows


def member_counts(store: Store, campaign_id: int) -> dict:
    """A launched campaign's members per arm, the excluded per reason, and its queue per status."""
    arms = {arm: int(n) for arm, n in store.query(
        "SELECT arm, count(*) FROM campaign_members WHERE campaign_id = ? GROUP BY arm", [campaign_id])}
    excluded = {reason: int(n) for reason, n in store.query(
        "SELECT reason, count(*) FROM campaign_members WHERE campaign_id = ? AND arm = 'excluded' GROUP BY reason "
        "ORDER BY count(*) DESC", [campaign_id])}
    queue = {status: int(n) for status, n in store.query(
        "SELECT status, count(*) FROM outbox WHERE campaign_id = ? GROUP BY status", [campaign_id])}
    tasks = store.scalar("SELECT count(*) FROM tasks WHERE campaign_id = ?", [campaign_id])
    return {"arms": arms, "excluded": excluded, "queue": queue, "tasks": int(tasks)}


def _saved_view(store: Store, name: str) -> tuple[str, list]:
    """The people of the saved customer view ``name`` (a shared one first), as SQL of their party ids."""
    found = store.query("SELECT view_id FROM saved_views WHERE area = 'customers' AND lower(name) = lower(?) "
                        "ORDER BY shared DESC, view_id", [name])
    if not found:
        raise NotFound(f"audience.saved_view: there is no saved view of the customer list named '{name}'.")
    filters, _ = view_filters(store, int(found[0][0]))
    return selection_sql(store, filters)


def _arms_sql(store: Store, campaign: dict, at: dt.datetime) -> tuple[str, list]:
    """SQL of ``(party_id, arm, reason)`` for each member of the campaign's audience."""
    audience = Audience.from_dict(campaign["audience"])
    members, params = audience_sql(store, audience, int(campaign["run_id"]),
                                   _saved_view(store, audience.saved_view) if audience.saved_view else None)
    channel = campaign["channel"]
    consent_channel = channel if channel in CONSENT_CHANNELS else None
    checked, params = exclusions(store, (members, params), consent_channel, campaign["purpose"], at)
    holdout_cut, control_cut = cut(holdout_share(store)), cut(float(campaign["control_share"]))
    arm = (f"CASE WHEN {holdout_bucket_sql('x.party_id')} < {holdout_cut} THEN 'holdout' "
           "WHEN x.reason IS NOT NULL THEN 'excluded' "
           f"WHEN {control_bucket_sql(int(campaign['seed']), 'x.party_id')} < {control_cut} THEN 'control' "
           "ELSE 'treated' END")
    reason = f"CASE WHEN {holdout_bucket_sql('x.party_id')} < {holdout_cut} THEN 'global holdout' ELSE x.reason END"
    return f"SELECT x.party_id, {arm} AS arm, {reason} AS reason FROM ({checked}) x", params


def preview(store: Store, campaign_id: int, at: dt.datetime | None = None) -> dict:
    """Who the campaign would reach now: its audience's size, the count in each arm and the excluded by reason."""
    campaign = get_campaign(store, campaign_id)
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sql, params = _arms_sql(store, campaign, at)
    rows = store.query(f"SELECT arm, reason, count(*) FROM ({sql}) a GROUP BY arm, reason", params)
    arms = {"treated": 0, "control": 0, "holdout": 0, "excluded": 0}
    excluded: dict[str, int] = {}
    for arm, reason, n in rows:
        arms[arm] += int(n)
        if arm == "excluded":
            excluded[reason] = excluded.get(reason, 0) + int(n)
    return {"campaign_id": campaign_id, "audience": sum(arms.values()), "arms": arms,
            "excluded": dict(sorted(excluded.items(), key=lambda kv: -kv[1])),
            "described": Audience.from_dict(campaign["audience"]).describe(), "status": campaign["status"]}


def _text() -> str:
    """SQL filling ``{name}`` and ``{first_name}`` of a template (a parameter) from the party's name."""
    return ("replace(replace(?, '{name}', coalesce(p.name, '')), '{first_name}', "
            "coalesce(split_part(p.name, ' ', 1), ''))")


def launch(store: Store, user, campaign_id: int, at: dt.datetime | None = None) -> dict:
    """Assign the arms and queue the action for the treated members, all at once; launching again adds nothing."""
    user.require("campaigns.launch")
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction():
        campaign = get_campaign(store, campaign_id)
        if campaign["status"] != "draft":
            raise Conflict(f"Campaign {campaign_id} is {campaign['status']}: only a draft campaign can be launched "
                           "(a paused one is resumed).")
        sql, params = _arms_sql(store, campaign, at)
        store.raw.execute(
            "INSERT INTO campaign_members (campaign_id, party_id, arm, reason, assigned_at) "
            f"SELECT ?, a.party_id, a.arm, a.reason, ? FROM ({sql}) a "
            "WHERE NOT EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = ? AND m.party_id = a.party_id)",
            [campaign_id, at, *params, campaign_id])
        action, channel = campaign["action"], campaign["channel"]
        treated = ("FROM campaign_members m JOIN parties p ON p.party_id = m.party_id "
                   "WHERE m.campaign_id = ? AND m.arm = 'treated'")
        if channel == "task":
            first = store.next_id("tasks", "task_id") - 1
            due = at + dt.timedelta(days=int(action.get("due_days", 3)))
            store.raw.execute(
                "INSERT INTO tasks (task_id, party_id, title, body, owner, due_at, status, source, campaign_id, "
                f"created_at, created_by) SELECT ? + row_number() OVER (ORDER BY m.party_id), m.party_id, "
                f"{_text()}, {_text()}, p.owner, ?, 'open', 'campaign', ?, ?, ? {treated} "
                "AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.campaign_id = ? AND t.party_id = m.party_id)",
                [first, action.get("subject", ""), action.get("body", ""), due, campaign_id, at,
                 getattr(user, "username", None), campaign_id, campaign_id])
            queued = store.scalar("SELECT count(*) FROM tasks WHERE campaign_id = ?", [campaign_id])
        else:
            first = store.next_id("outbox", "message_id") - 1
            # A webhook's recipient is its address (the worker posts the payload there), a person's their own.
            recipient = {"email": "p.email", "sms": "p.phone", "phone": "p.phone", "post": "p.address",
                         "webhook": "CAST(? AS VARCHAR)"}.get(channel, "NULL")
            payload = ("'{\"event\": \"campaign\", \"campaign_id\": ' || CAST(m.campaign_id AS VARCHAR) || "
                       "', \"party_id\": ' || CAST(m.party_id AS VARCHAR) || ', \"url\": ' || ? || '}'")
            store.raw.execute(
                "INSERT INTO outbox (message_id, idempotency_key, campaign_id, party_id, channel, purpose, recipient, "
                "subject, body, payload, status, created_at) "
                "SELECT ? + row_number() OVER (ORDER BY m.party_id), "
                "'campaign:' || CAST(m.campaign_id AS VARCHAR) || ':party:' || CAST(m.party_id AS VARCHAR), "
                f"m.campaign_id, m.party_id, ?, ?, {recipient}, {_text()}, {_text()}, {payload}, 'queued', ? "
                f"{treated} AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = "
                "'campaign:' || CAST(m.campaign_id AS VARCHAR) || ':party:' || CAST(m.party_id AS VARCHAR))",
                [first, channel, campaign["purpose"], *([action.get("url")] if channel == "webhook" else []),
                 action.get("subject", ""), action.get("body", ""), json.dumps(action.get("url")), at, campaign_id])
            queued = store.scalar("SELECT count(*) FROM outbox WHERE campaign_id = ?", [campaign_id])
        store.raw.execute("UPDATE campaigns SET status = 'running', launched_at = ?, launched_by = ? "
                          "WHERE campaign_id = ?", [at, getattr(user, "username", None), campaign_id])
        counts = dict(store.query("SELECT arm, count(*) FROM campaign_members WHERE campaign_id = ? GROUP BY arm",
                                  [campaign_id]))
        record(store, user, "campaign.launch", "campaign", campaign_id, {"arms": counts, "queued": queued})
    return {"campaign_id": campaign_id, "arms": {k: int(v) for k, v in counts.items()}, "queued": int(queued)}


def set_status(store: Store, user, campaign_id: int, status: str) -> dict:
    """Pause a running campaign (its queued messages wait), resume a paused one, or cancel a draft or paused one."""
    user.require("campaigns.launch")
    moves = {"paused": ("running",), "running": ("paused",), "cancelled": ("draft", "paused")}
    if status not in moves:
        raise InvalidInput(f"A campaign can be paused, resumed (running) or cancelled, not set to '{status}'.")
    with store.transaction():
        campaign = get_campaign(store, campaign_id)
        if campaign["status"] not in moves[status]:
            raise Conflict(f"Campaign {campaign_id} is {campaign['status']}: it cannot become {status}.")
        store.raw.execute("UPDATE campaigns SET status = ? WHERE campaign_id = ?", [status, campaign_id])
        if status == "cancelled":
            store.raw.execute("UPDATE outbox SET status = 'blocked', reason = 'campaign cancelled' "
                              "WHERE campaign_id = ? AND status = 'queued'", [campaign_id])
        record(store, user, f"campaign.{status}", "campaign", campaign_id)
    return get_campaign(store, campaign_id)
