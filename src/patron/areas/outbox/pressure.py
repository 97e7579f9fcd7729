"""Contact pressure as an admin sets it on ``/outbox`` (issue 16; seed 003, adapting contact to the customer):
the frequency cap of each channel over rolling windows, the quiet hours, and the time zone of people who have
none. Kept in ``settings`` under the names the send-time gate reads (:class:`patron.act.rules.GateConfig`,
which loads them for every batch): ``caps.<channel>`` (``"2/7, 4/30"``: at most 2 messages in 7 days and 4 in
30; ``"none"``: no cap), ``quiet_hours`` (``"21:00-08:00"`` or ``"none"``) and ``time_zone`` (an IANA name;
it is also the firm's zone for schedules and the complaint desk's hours).

Every value is checked before anything is kept, and nothing is kept when one is wrong; a change is one
``settings.change`` audit row (:func:`patron.service.audit.change_settings`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from patron.act import rules
from patron.errors import InvalidInput
from patron.service import audit
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import CONSENT_CHANNELS

#: A cap's bounds: messages per window, the window's days, and how many windows a channel may have.
CAP_MESSAGES = (0, 1000)
CAP_DAYS = (1, 365)
CAP_WINDOWS = 4
#: The names of the page's and the API's fields (other than ``caps.<channel>``).
QUIET_START, QUIET_END, QUIET_OFF, TIME_ZONE = "quiet_hours.start", "quiet_hours.end", "quiet_hours.off", "time_zone"


def _require(user: User | None, action: str) -> None:
    if user is not None:  # None: the local operator at the command line
        user.require(action)


def caps_text(caps: tuple[tuple[int, int], ...]) -> str:
    """``((7, 2), (30, 4))`` -> ``"2/7, 4/30"``; no cap -> ``"none"``."""
    return ", ".join(f"{count}/{days}" for days, count in caps) or "none"


def pressure_settings(store: Store, user: User | None) -> dict:
    """The caps, quiet hours and default time zone in force, with the defaults and what overrides them.

    ``caps``: per channel ``{channel, value, default, stored}``; ``quiet_hours``: ``{start, end, off,
    default, stored}`` (start and end as ``HH:MM``); ``quiet_overrides``: channels with quiet hours of their
    own (``quiet_hours.<channel>`` rows); ``time_zone``: ``{value, default, stored}``.
    """
    _require(user, "outbox.read")
    stored = {**rules.read_settings(store, "caps."), **rules.read_settings(store, "quiet_hours"),
              **rules.read_settings(store, TIME_ZONE)}
    caps = [{"channel": channel, "value": stored.get(f"caps.{channel}", caps_text(rules.DEFAULT_CAPS.get(channel, ()))),
             "default": caps_text(rules.DEFAULT_CAPS.get(channel, ())), "stored": f"caps.{channel}" in stored}
            for channel in CONSENT_CHANNELS]
    quiet_text = stored.get("quiet_hours", rules.DEFAULT_QUIET_HOURS)
    try:
        quiet = rules.parse_quiet_hours(quiet_text, "setting quiet_hours")
    except InvalidInput:  # a row written by hand: shown as it is, for the admin to put right
        quiet = None
    return {
        "caps": caps,
        "quiet_hours": {"start": f"{quiet[0]:%H:%M}" if quiet else "", "end": f"{quiet[1]:%H:%M}" if quiet else "",
                        "off": quiet is None, "text": quiet_text, "default": rules.DEFAULT_QUIET_HOURS,
                        "stored": "quiet_hours" in stored},
        "quiet_overrides": {name.removeprefix("quiet_hours."): value for name, value in sorted(stored.items())
                            if name.startswith("quiet_hours.")},
        "time_zone": {"value": stored.get(TIME_ZONE, rules.DEFAULT_TIME_ZONE), "default": rules.DEFAULT_TIME_ZONE,
                      "stored": TIME_ZONE in stored},
    }


def _cap(channel: str, text: str) -> str | None:
    """A channel's cap as kept (``"2/7, 4/30"``, ``"none"``), or None (back to the default) for an empty text."""
    text = text.strip()
    if not text:
        return None
    where = f"Frequency cap of {channel} (caps.{channel})"
    caps = rules.parse_caps(text, where)
    low, high = CAP_MESSAGES
    first, last = CAP_DAYS
    for days, count in caps:
        if not low <= count <= high:
            raise InvalidInput(f"{where}: from {low} to {high} messages in a window, not {count}.")
        if not first <= days <= last:
            raise InvalidInput(f"{where}: a window of {first} to {last} days, not {days}.")
    if len(caps) > CAP_WINDOWS:
        raise InvalidInput(f"{where}: at most {CAP_WINDOWS} windows, not {len(caps)}.")
    if len({days for days, _ in caps}) < len(caps):
        raise InvalidInput(f"{where}: two caps over the same number of days; give each window once.")
    return caps_text(caps)


def _clock(text: str, label: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"Quiet hours: the {label} is a time of day like 21:00, not '{text}'.") from None


def _quiet_hours(start: str, end: str, off: bool) -> str | None:
    """The quiet hours as kept (``"21:00-08:00"``, ``"none"``), or None (the default) when neither is given."""
    if off:
        return "none"
    start, end = start.strip(), end.strip()
    if not start and not end:
        return None
    if not start or not end:
        raise InvalidInput("Quiet hours: give both a start and an end (e.g. 21:00 and 08:00), or tick "
                           "'no quiet hours'.")
    begins, ends = _clock(start, "start"), _clock(end, "end")
    if begins == ends:
        raise InvalidInput(f"Quiet hours: the start and the end are both {start}; tick 'no quiet hours' to send "
                           "at any hour.")
    return f"{begins:%H:%M}-{ends:%H:%M}"


def _time_zone(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text not in zoneinfo.available_timezones():
        raise InvalidInput(f"Time zone (time_zone): '{text}' is not a time zone name; write it like "
                           "Europe/Paris or America/New_York.")
    zoneinfo.ZoneInfo(text)
    return text


def set_pressure_settings(store: Store, user: User | None, values: dict[str, str]) -> dict:
    """Keep the pressure settings given in ``values`` (an admin's; audited), each checked first; a field left
    empty (or equal to its default) goes back to the default, a field not given is left as it is (``quiet_hours.off``
left out: the quiet hours are on). Nothing is kept when one is wrong.

    Names: ``caps.<channel>`` (``"2/7, 4/30"``, ``"none"``), ``quiet_hours.start`` and ``quiet_hours.end``
    (``HH:MM``, given together), ``quiet_hours.off`` (any text but empty: no quiet hours), ``time_zone``.
    The gate reads them at its next batch.

    Example
    -------
    >>> set_pressure_settings(store, admin, {"caps.email": "1/7", "time_zone": "Europe/Paris"})  # doctest: +SKIP
    """
    _require(user, "outbox.manage")
    known = {f"caps.{c}" for c in CONSENT_CHANNELS} | {QUIET_START, QUIET_END, QUIET_OFF, TIME_ZONE}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InvalidInput(f"There is no pressure setting '{unknown[0]}'. Settings: {', '.join(sorted(known))}.")
    changes: dict[str, str | None] = {}
    for channel in CONSENT_CHANNELS:
        if f"caps.{channel}" in values:
            changes[f"caps.{channel}"] = _cap(channel, str(values[f"caps.{channel}"] or ""))
    if {QUIET_START, QUIET_END, QUIET_OFF} & set(values):
        changes["quiet_hours"] = _quiet_hours(str(values.get(QUIET_START) or ""), str(values.get(QUIET_END) or ""),
                                              bool(str(values.get(QUIET_OFF) or "").strip()))
    if TIME_ZONE in values:
        changes[TIME_ZONE] = _time_zone(str(values[TIME_ZONE] or ""))
    # A value equal to its default keeps no row: the page sends every field, and an untouched one stays default.
    defaults = {**{f"caps.{c}": caps_text(rules.DEFAULT_CAPS.get(c, ())) for c in CONSENT_CHANNELS},
                "quiet_hours": rules.DEFAULT_QUIET_HOURS, TIME_ZONE: rules.DEFAULT_TIME_ZONE}
    changes = {name: None if value == defaults[name] else value for name, value in changes.items()}
    current = rules.read_settings(store, "caps.") | rules.read_settings(store, "quiet_hours") | \
        rules.read_settings(store, TIME_ZONE)
    changes = {name: value for name, value in changes.items() if current.get(name) != value}
    audit.change_settings(store, user, changes, {"changes": changes})
    return pressure_settings(store, user)
