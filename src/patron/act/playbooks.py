"""Playbooks: trigger -> audience -> action -> measure, declared in TOML (the pages' form writes the same fields)::

    name = "Win back at-risk best customers"
    channel = "email"            # email | sms | phone | post | push | webhook | task
    purpose = "marketing"        # the consent purpose the contact needs
    control_share = 0.1          # the campaign's random control (0-0.5)
    [trigger]                    # kept with the playbook; "manual" unless given
    kind = "manual"
    [audience]                   # see act/audience.py: triage, rung, segment, at_risk, min_clv, ...
    triage = "best"
    at_risk = true
    [action]
    subject = "We miss you, {first_name}"
    body = "..."                 # {name}, {first_name} are filled in per person
    url = "https://..."          # webhook only: where the signed POST goes
    due_days = 3                 # task only: due this many days after launch
    voucher = "10% off your next order"   # an offer: each treated member gets a unique code, {voucher}
    voucher_days = 30            # the code's validity (days after launch); none: no expiry
    list = "Win-back 2026"       # add the treated members to this list (channel "list": only that)

"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from patron.act.audience import Audience
from patron.act.holdout import check_control_share
from patron.errors import InvalidInput
from patron.store.vocabulary import CONSENT_CHANNELS, CONSENT_PURPOSES

#: Channels a playbook can act through: a consent channel, a webhook (a system, not a person: only the
#: suppression list applies), a task for the account owner or a list (nobody is contacted by patron).
CHANNELS = (*CONSENT_CHANNELS, "webhook", "task", "list")
PLAYBOOK_FIELDS = ("name", "description", "channel", "purpose", "control_share", "trigger", "audience", "action")
ACTION_FIELDS = ("subject", "body", "url", "due_days", "voucher", "voucher_days", "list")
#: What can start a playbook: by hand, on a schedule, or on an event patron sees between runs or in the data.
TRIGGER_KINDS = ("manual", "schedule", "event")
SCHEDULES = ("day", "week", "month", "quarter")
TRIGGER_EVENTS = ("p_alive_drop", "ladder_move", "complaint_resolved", "sla_breached", "detractor",
                  "first_purchase_anniversary", "import_finished")
#: The fields of ``[trigger]``: ``at`` (HH:MM) and ``on`` (a weekday, or a day of the month 1-28) place a
#: schedule, in ``time_zone`` (an IANA zone; the firm's ``time_zone`` setting when left out, UTC by default); ``threshold`` (P(alive), p_alive_drop), ``direction`` (up, down or any: ladder_move) and
#: ``max_score`` (the highest NPS answer that counts as a detractor's) tune an event.
TRIGGER_FIELDS = ("kind", "every", "at", "on", "time_zone", "event", "threshold", "direction", "max_score")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DIRECTIONS = ("up", "down", "any")


@dataclass(frozen=True)
class Playbook:
    name: str
    channel: str
    audience: Audience
    action: dict
    purpose: str | None = "marketing"
    control_share: float = 0.1
    description: str = ""
    trigger: dict | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "channel": self.channel,
                "purpose": self.purpose, "control_share": self.control_share, "trigger": self.trigger or {"kind": "manual"},
                "audience": self.audience.to_dict(), "action": self.action}


def parse_playbook(text: str | dict) -> Playbook:
    """A playbook from TOML text (or its parsed table); :class:`InvalidInput` naming the field otherwise."""
    if isinstance(text, dict):
        data = text
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"The playbook is not valid TOML: {exc}.") from None
    unknown = sorted(set(data) - set(PLAYBOOK_FIELDS))
    if unknown:
        raise InvalidInput(f"playbook: unknown field(s) {', '.join(unknown)}. Fields: {', '.join(PLAYBOOK_FIELDS)}.")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("playbook.name: every playbook needs a name.")
    channel = data.get("channel", "email")
    if channel not in CHANNELS:
        raise InvalidInput(f"playbook.channel: unknown channel '{channel}'. Channels: {', '.join(CHANNELS)}.")
    purpose = data.get("purpose", "marketing")
    if channel in CONSENT_CHANNELS and purpose not in CONSENT_PURPOSES:
        raise InvalidInput(f"playbook.purpose: unknown purpose '{purpose}'. Purposes: {', '.join(CONSENT_PURPOSES)}.")
    action = data.get("action", {})
    if not isinstance(action, dict):
        raise InvalidInput("playbook.action: expected a table ([action]).")
    unknown = sorted(set(action) - set(ACTION_FIELDS))
    if unknown:
        raise InvalidInput(f"playbook.action: unknown field(s) {', '.join(unknown)}. Fields: {', '.join(ACTION_FIELDS)}.")
    for key in ("subject", "body", "url", "voucher", "list"):
        if key in action and not isinstance(action[key], str):
            raise InvalidInput(f"playbook.action.{key}: expected text.")
    if channel == "list" and not str(action.get("list", "")).strip():
        raise InvalidInput("playbook.action.list: the list channel needs the name of the list (list = \"...\").")
    if "list" in action and not action["list"].strip():
        raise InvalidInput("playbook.action.list: a list needs a name.")
    if "voucher" in action and not action["voucher"].strip():
        raise InvalidInput("playbook.action.voucher: say what the offer is (voucher = \"10% off your next order\").")
    if "voucher_days" in action:
        days = action["voucher_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise InvalidInput(f"playbook.action.voucher_days: expected whole days 1-3650, not {days!r}.")
        if "voucher" not in action:
            raise InvalidInput("playbook.action.voucher_days: give the offer too (voucher = \"...\").")
    if channel not in ("webhook", "list") and not action.get("subject"):
        raise InvalidInput("playbook.action.subject: a message or task needs a subject (its title).")
    if channel == "webhook" and not str(action.get("url", "")).startswith(("http://", "https://")):
        raise InvalidInput("playbook.action.url: a webhook needs the http(s) address it posts to.")
    due = action.get("due_days", 3)
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 365:
        raise InvalidInput(f"playbook.action.due_days: expected whole days 0-365, not {due!r}.")
    trigger = data.get("trigger")
    if trigger is not None and not isinstance(trigger, dict):
        raise InvalidInput("playbook.trigger: expected a table ([trigger]).")
    if trigger:
        check_trigger(trigger)
    return Playbook(name=name.strip(), channel=channel, audience=Audience.from_dict(data.get("audience")),
                    action=dict(action), purpose=purpose if channel in CONSENT_CHANNELS else None,
                    control_share=check_control_share(data.get("control_share", 0.1)),
                    description=str(data.get("description", "")), trigger=trigger)


def check_trigger(trigger: dict) -> None:
    """:class:`InvalidInput` naming the field when ``[trigger]`` is not one patron can evaluate."""
    unknown = sorted(set(trigger) - set(TRIGGER_FIELDS))
    if unknown:
        raise InvalidInput(f"playbook.trigger: unknown field(s) {', '.join(unknown)}. Fields: {', '.join(TRIGGER_FIELDS)}.")
    kind = trigger.get("kind", "manual")
    if kind not in TRIGGER_KINDS:
        raise InvalidInput(f"playbook.trigger.kind: '{kind}' is not one of {', '.join(TRIGGER_KINDS)}.")
    if kind == "schedule":
        if trigger.get("every") not in SCHEDULES:
            raise InvalidInput(f"playbook.trigger.every: a schedule runs every {', '.join(SCHEDULES)}, "
                               f"not {trigger.get('every')!r}.")
        at = trigger.get("at", "00:00")
        try:
            dt.time.fromisoformat(at if isinstance(at, str) else "")
        except ValueError:
            raise InvalidInput(f"playbook.trigger.at: the time of day is written HH:MM, not {at!r}.") from None
        if trigger.get("time_zone") is not None:
            try:
                ZoneInfo(str(trigger["time_zone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise InvalidInput(f"playbook.trigger.time_zone: '{trigger['time_zone']}' is not an IANA time zone "
                                   "(e.g. Europe/Paris).") from None
        on = trigger.get("on")
        if on is not None:
            if trigger["every"] == "week" and (not isinstance(on, str) or on.lower() not in WEEKDAYS):
                raise InvalidInput(f"playbook.trigger.on: a weekly schedule runs on one of {', '.join(WEEKDAYS)}, "
                                   f"not {on!r}.")
            if trigger["every"] in ("month", "quarter") and (isinstance(on, bool) or not isinstance(on, int)
                                                              or not 1 <= on <= 28):
                raise InvalidInput(f"playbook.trigger.on: a monthly schedule runs on a day 1-28, not {on!r}.")
            if trigger["every"] == "day":
                raise InvalidInput("playbook.trigger.on: a daily schedule runs every day; leave 'on' out.")
    if kind == "event":
        if trigger.get("event") not in TRIGGER_EVENTS:
            raise InvalidInput(f"playbook.trigger.event: '{trigger.get('event')}' is not one of "
                               f"{', '.join(TRIGGER_EVENTS)}.")
        threshold = trigger.get("threshold", 0.5)
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
            raise InvalidInput(f"playbook.trigger.threshold: a P(alive) between 0 and 1, not {threshold!r}.")
        if trigger.get("direction", "any") not in DIRECTIONS:
            raise InvalidInput(f"playbook.trigger.direction: one of {', '.join(DIRECTIONS)}, "
                               f"not {trigger.get('direction')!r}.")
        score = trigger.get("max_score", 6)
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 10:
            raise InvalidInput(f"playbook.trigger.max_score: an NPS answer 0-10, not {score!r}.")


def to_toml(playbook: Playbook) -> str:
    """The playbook as TOML (what ``playbooks.definition`` keeps)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v))  # a JSON string is a TOML basic string
    data = playbook.to_dict()
    lines = [f"{k} = {value(data[k])}" for k in ("name", "description", "channel", "purpose", "control_share")
             if data[k] is not None]
    for table in ("trigger", "audience", "action"):
        lines.append(f"\n[{table}]")
        lines += [f"{k} = {value(v)}" for k, v in data[table].items()]
    return "\n".join(lines) + "\n"


