"""Campaigns: one sending of a playbook (act/playbooks.py), its members in arms, and its launch.

A **campaign** is one sending of a playbook. Its audience is evaluated in the store against the current
analysis run, and every member gets an arm, in this order (``campaign_members``):

1. ``holdout``: in the global holdout (act/holdout.py), never contacted by any campaign;
2. ``excluded``: may not be contacted, with the reason: what the send-time gate (``act/rules.py``) would block
   now (suppression, consent, unsubscribes, spam complaints, hard bounces, frequency caps) or no address;
3. ``control``: the campaign's random control among those who could be contacted (its ``seed``);
4. ``treated``: everyone else, who gets the action.

Treated and control are then alike but for the action, so their difference measures it (act/measure.py).
Launching writes the members and one ``outbox`` row per treated member (or one ``tasks`` row for a task), in
one transaction, with idempotency key ``campaign:<id>:party:<party>``: launching again adds nothing. An offer
(``action.voucher``) issues each treated member a unique code, and ``action.list`` adds them to a named list,
in the same transaction. An admin may override the global holdout for one campaign (:func:`override_holdout`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import Counter
from pathlib import Path

import pyarrow as pa

from patron.act import playbooks
from patron.act.audience import Audience, audience_sql
from patron.act.delivery import notify
from patron.act.holdout import control_bucket_sql, cut, holdout_bucket_sql, holdout_share
from patron.act.playbooks import Playbook, parse_playbook, to_toml
from patron.act.rules import DEFAULT_TIME_ZONE, blocks, read_settings
from patron.act.triggers import describe_trigger
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
    firm_zone = read_settings(store).get("time_zone") or DEFAULT_TIME_ZONE
    for row in rows:
        playbook = parse_playbook(row.pop("definition"))
        trigger = playbook.trigger or {"kind": "manual"}
        row.update(channel=playbook.channel, audience=playbook.audience.describe(),
                   trigger=describe_trigger(trigger, firm_zone))
    return rows


def create_campaign(store: Store, user, playbook_id: int, *, name: str | None = None, seed: int | None = None) -> int:
    """A draft campaign of a playbook, against the current analysis run."""
    user.require("campaigns.launch")
    _, playbook = get_playbook(store, playbook_id)
    run_id = current_run(store)
    with store.transaction():
        return _create(store, user, playbook_id, playbook, run_id, name=name, seed=seed)


def _create(store: Store, user, playbook_id: int | None, playbook: Playbook, run_id: int, *, name: str | None = None,
            seed: int | None = None, audience: Audience | None = None, detail: dict | None = None) -> int:
    """Insert a draft campaign (inside the caller's transaction); ``audience`` replaces the playbook's."""
    campaign_id = store.next_id("campaigns", "campaign_id")
    store.raw.execute(
        "INSERT INTO campaigns (campaign_id, playbook_id, name, channel, purpose, audience, action, control_share, "
        "run_id, status, seed, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, now()::TIMESTAMP, ?)",
        [campaign_id, playbook_id, name or playbook.name, playbook.channel, playbook.purpose,
         json.dumps((audience or playbook.audience).to_dict()), json.dumps(playbook.action), playbook.control_share,
         run_id, campaign_id if seed is None else int(seed), getattr(user, "username", None)])
    record(store, user, "campaign.create", "campaign", campaign_id, {"playbook_id": playbook_id, **(detail or {})})
    return campaign_id


def get_campaign(store: Store, campaign_id: int) -> dict:
    rows = store.records("SELECT * FROM campaigns WHERE campaign_id = ?", [campaign_id])
    if not rows:
        raise NotFound(f"There is no campaign {campaign_id}.")
    row = rows[0]
    row["audience"], row["action"] = json.loads(row["audience"]), json.loads(row["action"])
    if row["holdout_override"] is not None:
        row["holdout_override"] = {"mode": row["holdout_override"], "by": row["holdout_override_by"],
                                   "at": row["holdout_override_at"].isoformat(timespec="seconds")
                                   if row["holdout_override_at"] else None, "why": row["holdout_override_why"] or ""}
    else:  # overridden before migration 21, which kept it in the action
        row["holdout_override"] = row["action"].get(LEGACY_OVERRIDE_KEY)
    for name in ("holdout_override_by", "holdout_override_at", "holdout_override_why"):
        del row[name]
    return row


def list_campaigns(store: Store) -> list[dict]:
    rows = store.records(
        "SELECT c.campaign_id, c.name, c.channel, c.status, c.created_at, c.launched_at, c.holdout_override, "
        "(SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.campaign_id AND m.arm = 'treated') AS treated, "
        "(SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.campaign_id AND m.arm = 'control') AS control "
        "FROM campaigns c ORDER BY c.campaign_id DESC")
    return rows


def member_counts(store: Store, campaign_id: int) -> dict:
    """A launched campaign's members per arm, the excluded per reason, and its queue per status."""
    arms = {arm: int(n) for arm, n in store.query(
        "SELECT arm, count(*) FROM campaign_members WHERE campaign_id = ? GROUP BY arm", [campaign_id])}
    excluded: dict[str, int] = {}
    for reason, n in store.query("SELECT reason, count(*) FROM campaign_members WHERE campaign_id = ? "
                                 "AND arm = 'excluded' GROUP BY reason", [campaign_id]):
        excluded[reason_label(reason)] = excluded.get(reason_label(reason), 0) + int(n)
    queue = {status: int(n) for status, n in store.query(
        "SELECT status, count(*) FROM outbox WHERE campaign_id = ? GROUP BY status", [campaign_id])}
    tasks = store.scalar("SELECT count(*) FROM tasks WHERE campaign_id = ?", [campaign_id])
    vouchers = store.query("SELECT count(*), count(redeemed_at) FROM vouchers WHERE campaign_id = ?", [campaign_id])[0]
    listed = store.scalar("SELECT count(*) FROM list_members WHERE campaign_id = ?", [campaign_id])
    return {"arms": arms, "excluded": dict(sorted(excluded.items(), key=lambda kv: -kv[1])), "queue": queue,
            "tasks": int(tasks), "vouchers": {"issued": int(vouchers[0]), "redeemed": int(vouchers[1])},
            "listed": int(listed)}


def _saved_view(store: Store, name: str) -> tuple[str, list]:
    """The people of the saved customer view ``name`` (a shared one first), as SQL of their party ids."""
    found = store.query("SELECT view_id FROM saved_views WHERE area = 'customers' AND lower(name) = lower(?) "
                        "ORDER BY shared DESC, view_id", [name])
    if not found:
        raise NotFound(f"audience.saved_view: there is no saved view of the customer list named '{name}'.")
    filters, _ = view_filters(store, int(found[0][0]))
    return selection_sql(store, filters)


# --- the arms ---------------------------------------------------------------------------------------------

#: Where a campaign overridden before migration 21 kept an admin's holdout override (its ``action`` JSON:
#: ``{"mode", "by", "at", "why"}``); since then, the ``campaigns.holdout_override*`` columns.
LEGACY_OVERRIDE_KEY = "holdout_override"
#: What an admin may do with the global holdout in one campaign.
OVERRIDES = {"include": "the global holdout is included: its members are contacted like anyone else "
                        "(treated, or in the campaign's random control)",
             "exclude": "the global holdout is left out of this campaign and its measurement: its members are "
                        "not contacted and not kept as a comparison group"}
_ADDRESS = {"email": "email", "sms": "phone", "phone": "phone", "post": "address"}
_NO_ADDRESS = {"email": "no email address", "phone": "no phone number", "address": "no postal address"}

_LABELS = (
    (re.compile(r"^consent to (.+) withdrawn on .*$"), r"consent withdrawn (\1)"),
    (re.compile(r"^no consent to (.+) on record$"), r"no consent (\1) on record"),
    (re.compile(r"^unsubscribed from (\w+) on .*$"), r"unsubscribed from \1"),
    (re.compile(r"^complained of (\w+) as spam on .*$"), r"complained of \1 as spam"),
    (re.compile(r"^the address .* bounced on .*$"), "the email address hard-bounced"),
    (re.compile(r"^over the frequency cap: \d+ (\w+) messages in the last (\d+) days \(at most (\d+)\)$"),
     r"over the frequency cap (at most \3 \1 messages in \2 days)"),
)


def reason_label(reason: str | None) -> str:
    """A member's reason as the preview groups it: the send-time gate's words without the person's dates and
    counts ("consent withdrawn (email for marketing)", "over the frequency cap (at most 2 email messages in
    7 days)")."""
    text = reason or "no reason recorded"
    for pattern, label in _LABELS:
        if pattern.match(text):
            return pattern.sub(label, text)
    return text


def assign(store: Store, campaign: dict, at: dt.datetime) -> pa.Table:
    """Each member of the campaign's audience with their arm and, for the excluded, the reason.

    Exclusions are the send-time gate's (``act/rules.py`` :func:`blocks`: suppression, consent for the channel
    and purpose, unsubscribes, spam complaints, hard-bounced addresses, frequency caps) plus a missing address
    for the channel, so the preview's "excluded and why" is what sending would block now. Quiet hours only
    defer a message and are not an exclusion. Preview and launch both call this, so a launch assigns what its
    preview showed (at the same moment).
    """
    audience = Audience.from_dict(campaign["audience"])
    members, params = audience_sql(store, audience, int(campaign["run_id"]),
                                   _saved_view(store, audience.saved_view) if audience.saved_view else None)
    channel = campaign["channel"]
    column = _ADDRESS.get(channel)
    no_address = f"(p.{column} IS NULL OR trim(p.{column}) = '')" if column else "FALSE"
    rows = store.query(
        f"SELECT m.party_id, {holdout_bucket_sql('m.party_id')} < {cut(holdout_share(store))} AS holdout, "
        f"{control_bucket_sql(int(campaign['seed']), 'm.party_id')} < {cut(float(campaign['control_share']))} "
        f"AS control, {no_address} AS no_address "
        f"FROM (SELECT DISTINCT party_id FROM ({members}) a) m JOIN parties p ON p.party_id = m.party_id "
        "ORDER BY m.party_id", params)
    # A task or a list contacts nobody: like a webhook, only the suppression list applies.
    gate_channel = channel if channel in CONSENT_CHANNELS else "webhook"
    blocked = blocks(store, (members, params), channel=gate_channel, purpose=campaign["purpose"], at=at)
    mode = (campaign.get("holdout_override") or {}).get("mode")
    ids, arms, reasons = [], [], []
    for pid, in_holdout, in_control, missing in rows:
        pid = int(pid)
        if in_holdout and mode == "exclude":
            continue
        if in_holdout and mode != "include":
            arm, reason = "holdout", "global holdout"
        elif pid in blocked:
            arm, reason = "excluded", blocked[pid]
        elif missing:
            arm, reason = "excluded", _NO_ADDRESS[column]
        else:
            arm, reason = ("control" if in_control else "treated"), None
        ids.append(pid)
        arms.append(arm)
        reasons.append(reason)
    return pa.table({"party_id": pa.array(ids, pa.int64()), "arm": pa.array(arms, pa.string()),
                     "reason": pa.array(reasons, pa.string())})


def preview(store: Store, campaign_id: int, at: dt.datetime | None = None) -> dict:
    """Who the campaign would reach now: its audience's size, the count in each arm and the excluded by reason."""
    campaign = get_campaign(store, campaign_id)
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    table = assign(store, campaign, at)
    arms = {"treated": 0, "control": 0, "holdout": 0, "excluded": 0}
    excluded: dict[str, int] = {}
    # Counted by exact reason first: a few hundred distinct texts (their dates) for 100k people to label.
    for (arm, reason), n in Counter(zip(table.column("arm").to_pylist(), table.column("reason").to_pylist(),
                                        strict=True)).items():
        arms[arm] += n
        if arm == "excluded":
            excluded[reason_label(reason)] = excluded.get(reason_label(reason), 0) + n
    return {"campaign_id": campaign_id, "audience": sum(arms.values()), "arms": arms,
            "excluded": dict(sorted(excluded.items(), key=lambda kv: -kv[1])),
            "described": Audience.from_dict(campaign["audience"]).describe(), "status": campaign["status"],
            "holdout_override": campaign["holdout_override"]}


def preview_member(store: Store, campaign_id: int, party_id: int, at: dt.datetime | None = None) -> dict | None:
    """One person's arm and reason in the campaign's preview (None: not in its audience)."""
    table = assign(store, get_campaign(store, campaign_id), at or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    for pid, arm, reason in zip(*(table.column(c).to_pylist() for c in ("party_id", "arm", "reason")), strict=True):
        if pid == party_id:
            return {"party_id": pid, "arm": arm, "reason": reason}
    return None


def override_holdout(store: Store, user, campaign_id: int, mode: str | None, why: str = "") -> dict:
    """An admin includes the global holdout in one draft campaign (``include``), leaves it out of the campaign and
    its measurement (``exclude``), or goes back to keeping it (None); recorded in the audit log."""
    user.require("holdout.override")
    if mode is not None and mode not in OVERRIDES:
        raise InvalidInput(f"A holdout override is one of {', '.join(OVERRIDES)} (or none), not '{mode}'.")
    with store.transaction():
        campaign = get_campaign(store, campaign_id)
        if campaign["status"] != "draft":
            raise Conflict(f"Campaign {campaign_id} is {campaign['status']}: the holdout can be overridden only "
                           "before launch.")
        before = campaign["holdout_override"]
        action = dict(campaign["action"])
        action.pop(LEGACY_OVERRIDE_KEY, None)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None).replace(microsecond=0)
        store.raw.execute(
            "UPDATE campaigns SET action = ?, holdout_override = ?, holdout_override_by = ?, holdout_override_at = ?, "
            "holdout_override_why = ? WHERE campaign_id = ?",
            [json.dumps(action), mode, None if mode is None else getattr(user, "username", None),
             None if mode is None else now, None if mode is None else why.strip()[:500], campaign_id])
        record(store, user, "campaign.holdout_override", "campaign", campaign_id,
               {"mode": mode or "keep", "before": (before or {}).get("mode", "keep"), "why": why.strip()[:500]})
    return get_campaign(store, campaign_id)


def _text(column: str = "?") -> str:
    """SQL filling ``{name}``, ``{first_name}`` and ``{voucher}`` of a template (a parameter) per person (``v``: the
    member's voucher, joined by the caller)."""
    return (f"replace(replace(replace({column}, '{{name}}', coalesce(p.name, '')), '{{first_name}}', "
            "coalesce(split_part(p.name, ' ', 1), '')), '{voucher}', coalesce(v.code, ''))")


#: Voucher codes: 12 characters of an alphabet without look-alikes (0/O, 1/I/L), about 59 bits each.
VOUCHER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_voucher_code() -> str:
    raw = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _issue_vouchers(store: Store, campaign_id: int, action: dict, at: dt.datetime) -> int:
    """One unique code per treated member who has none from this campaign yet (inside the launch)."""
    ids = [int(pid) for (pid,) in store.query(
        "SELECT m.party_id FROM campaign_members m WHERE m.campaign_id = ? AND m.arm = 'treated' AND NOT EXISTS "
        "(SELECT 1 FROM vouchers v WHERE v.campaign_id = m.campaign_id AND v.party_id = m.party_id) "
        "ORDER BY m.party_id", [campaign_id])]
    if not ids:
        return 0
    codes: set[str] = set()
    while len(codes) < len(ids):
        codes.add(new_voucher_code())
    first = store.next_id("vouchers", "voucher_id")
    expires = at + dt.timedelta(days=int(action["voucher_days"])) if action.get("voucher_days") else None
    store.insert_rows("vouchers", pa.table({
        "voucher_id": pa.array(range(first, first + len(ids)), pa.int64()),
        "code": pa.array(sorted(codes), pa.string()),
        "campaign_id": pa.array([campaign_id] * len(ids), pa.int64()),
        "party_id": pa.array(ids, pa.int64()),
        "issued_at": pa.array([at] * len(ids), pa.timestamp("us")),
        "expires_at": pa.array([expires] * len(ids), pa.timestamp("us")),
        "value": pa.array([action["voucher"]] * len(ids), pa.string())}))
    return len(ids)


def launch(store: Store, user, campaign_id: int, at: dt.datetime | None = None) -> dict:
    """Assign the arms and queue the action for the treated members, all at once; launching again adds nothing."""
    user.require("campaigns.launch")
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with store.transaction():
        launched = _launch(store, user, campaign_id, at)
    notify(store)  # the outbox worker of this process sends them now, not at the end of its idle back-off
    return launched


def _launch(store: Store, user, campaign_id: int, at: dt.datetime) -> dict:
    """The launch, inside the caller's transaction."""
    campaign = get_campaign(store, campaign_id)
    if campaign["status"] != "draft":
        raise Conflict(f"Campaign {campaign_id} is {campaign['status']}: only a draft campaign can be launched "
                       "(a paused one is resumed).")
    assigned = assign(store, campaign, at)
    if store.scalar("SELECT count(*) FROM campaign_members WHERE campaign_id = ?", [campaign_id]):
        raise Conflict(f"Campaign {campaign_id} has members already; it was launched before.")
    store.insert_rows("campaign_members", assigned.append_column(
        "campaign_id", pa.array([campaign_id] * assigned.num_rows, pa.int64())).append_column(
        "assigned_at", pa.array([at] * assigned.num_rows, pa.timestamp("us"))))
    action, channel = campaign["action"], campaign["channel"]
    issued = _issue_vouchers(store, campaign_id, action, at) if action.get("voucher") else 0
    listed = 0
    if action.get("list"):
        store.raw.execute(
            "INSERT INTO list_members (list_name, party_id, added_at, added_by, campaign_id) "
            "SELECT ?, m.party_id, ?, ?, m.campaign_id FROM campaign_members m WHERE m.campaign_id = ? "
            "AND m.arm = 'treated' AND NOT EXISTS (SELECT 1 FROM list_members l WHERE l.list_name = ? "
            "AND l.party_id = m.party_id)",
            [action["list"], at, getattr(user, "username", None), campaign_id, action["list"]])
        listed = int(store.scalar("SELECT count(*) FROM list_members WHERE campaign_id = ?", [campaign_id]))
    treated = ("FROM campaign_members m JOIN parties p ON p.party_id = m.party_id "
               "LEFT JOIN vouchers v ON v.campaign_id = m.campaign_id AND v.party_id = m.party_id "
               "WHERE m.campaign_id = ? AND m.arm = 'treated'")
    if channel == "list":
        queued = listed
    elif channel == "task":
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
                   "', \"party_id\": ' || CAST(m.party_id AS VARCHAR) || ', \"url\": ' || ? || "
                   "CASE WHEN v.code IS NULL THEN '' ELSE ', \"voucher\": \"' || v.code || '\"' END || '}'")
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
    detail = {"arms": counts, "queued": queued, "vouchers": issued, "listed": listed}
    if campaign["holdout_override"]:
        detail["holdout_override"] = campaign["holdout_override"]["mode"]
    record(store, user, "campaign.launch", "campaign", campaign_id, detail)
    return {"campaign_id": campaign_id, "arms": {k: int(v) for k, v in counts.items()}, "queued": int(queued),
            "vouchers": issued, "listed": int(listed)}


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
    if status == "running":  # resumed: its queued messages are due again
        notify(store)
    return get_campaign(store, campaign_id)
