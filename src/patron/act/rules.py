"""The send-time gate: may this person be sent this message, on this channel, for this purpose, now?

Checked for every message when it is about to go (not only when it was queued: consent can be withdrawn and
caps filled in between), and for a whole audience at once by :func:`blocks` (one query per rule, for a
campaign's preview). A person is blocked, with the first reason that applies, when:

1. they are on the suppression list (erased, or opted out of everything);
2. their latest consent for the channel and purpose is a withdrawal, or there is none
   (:mod:`patron.act.consent`, the ledger read);
3. they unsubscribed from the channel (for that purpose, or for all) through a link (``contact_events``);
4. they complained of a message on the channel as spam (a complaint blocks the channel);
5. their address hard-bounced (a bounce blocks the address, not the person: a new address is tried);
6. the frequency cap of the channel is reached: at most N messages in D days, for each window, counted
   from the ``sent`` contact events (seed 003: adapting contact to the customer; too much pressure drives
   a customer away).

Quiet hours do not block: a message that would arrive in the person's night (their ``parties.time_zone``, or
the default zone) is deferred to the end of the quiet hours (:func:`next_allowed`).

Webhooks go to the firm's own systems, not to a person: only the suppression list applies to them.

Settings (table ``settings``, see docs/delivery.md): ``caps.<channel>`` (``"2/7, 4/30"``: at most 2 in 7 days
and 4 in 30), ``quiet_hours`` or ``quiet_hours.<channel>`` (``"21:00-08:00"``, ``"none"``), ``time_zone``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from patron.act.consent import SUPPRESSED, ConsentRule, latest_consent_sql
from patron.errors import InvalidInput
from patron.store import Store
from patron.store.vocabulary import CONSENT_CHANNELS

#: At most N messages in D days, per channel: ``{channel: ((days, n), ...)}``.
DEFAULT_CAPS = {"email": ((7, 2), (30, 4)), "sms": ((7, 1), (30, 2)), "phone": ((7, 1), (30, 2)),
                "push": ((7, 3), (30, 8)), "post": ((30, 1),)}
DEFAULT_QUIET_HOURS = "21:00-08:00"
DEFAULT_TIME_ZONE = "UTC"
#: How many party ids one query of :func:`blocks` names (a longer list is asked in chunks).
CHUNK = 5000


def read_settings(store: Store, prefix: str = "") -> dict[str, str]:
    """The ``settings`` rows whose name starts with ``prefix``, as a dict."""
    return {r["name"]: r["value"] for r in store.records(
        "SELECT name, value FROM settings WHERE name LIKE ?", [prefix.replace("%", "") + "%"])}


def parse_caps(text: str, where: str) -> tuple[tuple[int, int], ...]:
    """``"2/7, 4/30"`` -> ``((7, 2), (30, 4))``; ``"none"`` -> no cap."""
    if text.strip().lower() in ("", "none"):
        return ()
    caps = []
    for part in text.split(","):
        try:
            count, days = (int(x) for x in part.strip().split("/"))
        except ValueError:
            raise InvalidInput(f"{where}: '{part.strip()}' is not a cap; write messages/days, e.g. '2/7, 4/30'.")
        if count < 0 or days < 1:
            raise InvalidInput(f"{where}: '{part.strip()}' needs at least 0 messages in at least 1 day.")
        caps.append((days, count))
    return tuple(sorted(caps))


def parse_quiet_hours(text: str, where: str) -> tuple[dt.time, dt.time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); ``"none"`` -> None."""
    if text.strip().lower() in ("", "none"):
        return None
    try:
        start, end = (dt.time.fromisoformat(x.strip()) for x in text.split("-"))
    except ValueError:
        raise InvalidInput(f"{where}: '{text}' is not a span of hours; write it like '21:00-08:00' or 'none'.")
    return (start, end) if start != end else None


def zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    """The IANA zone ``name``, or ``default`` when it is empty or unknown (a typo must not stop a send)."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default


@dataclass(frozen=True)
class GateConfig:
    """The caps, quiet hours and default time zone in force (from ``settings``, else the defaults)."""

    caps: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    quiet_hours: dict[str, tuple[dt.time, dt.time] | None] = field(default_factory=dict)
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))

    @classmethod
    def load(cls, store: Store) -> GateConfig:
        values = read_settings(store)
        caps = dict(DEFAULT_CAPS)
        quiet = {}
        default_quiet = parse_quiet_hours(values.get("quiet_hours", DEFAULT_QUIET_HOURS), "setting quiet_hours")
        for channel in CONSENT_CHANNELS:
            if f"caps.{channel}" in values:
                caps[channel] = parse_caps(values[f"caps.{channel}"], f"setting caps.{channel}")
            name = f"quiet_hours.{channel}"
            quiet[channel] = parse_quiet_hours(values[name], f"setting {name}") if name in values else default_quiet
        name = values.get("time_zone", DEFAULT_TIME_ZONE)
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"setting time_zone: '{name}' is not an IANA time zone (e.g. Europe/Paris).")
        return cls(caps=caps, quiet_hours=quiet, time_zone=tz)


def _day(ts: dt.datetime) -> str:
    return f"{ts:%Y-%m-%d}"


#: An audience query longer than this (a trigger's people written out) is not repeated in every aggregate.
NARROW_SQL = 20_000


def _reasons_sql(channel: str, purpose: str | None, at: dt.datetime, config: GateConfig, ids_sql: str,
                 narrow: bool = False, within: list | None = None) -> tuple[str, list]:
    """One query: ``(party_id, reason)`` for the parties of ``ids_sql`` that may not be contacted.

    ``narrow``: ``ids_sql`` is a list of ids written out (no parameters), repeated inside every consent and
    contact-event aggregate so that each reads the rows of those parties only. A delivery batch of 500 at 1M
    customers (1M consents, 200k sends) took 0.9-1.4 s when every aggregate ran over the whole table.
    ``within``: ``ids_sql`` is a query (an audience's) with these parameters, likewise repeated inside every
    aggregate as a semi-join, so that a preview's latest consent is ranked over its audience's consents only.
    """
    only, only_params = "", []
    if narrow:  # the range first: DuckDB skips the row groups outside it (a batch's ids are close together)
        ids = [int(i) for i in ids_sql.split(", ")]
        only = f" AND party_id BETWEEN {min(ids)} AND {max(ids)} AND party_id IN ({ids_sql})"
    elif within is not None and len(ids_sql) <= NARROW_SQL:
        only, only_params = f" AND party_id IN ({ids_sql})", within
    if channel == "webhook":
        return (f"SELECT p.party_id, 'on the suppression list' AS reason FROM parties p WHERE p.party_id IN "
                f"({ids_sql}) AND {SUPPRESSED.format(p='p')}"), []
    latest, params = latest_consent_sql(ConsentRule(channel, purpose), only)
    what = f"{channel}{' for ' + purpose if purpose else ''}"
    cases = [
        (SUPPRESSED.format(p="p"), "'on the suppression list'"),
        ("cn.granted IS NULL", f"'no consent to {what} on record'"),
        ("NOT cn.granted",
         f"'consent to {what} withdrawn on ' || CAST(CAST(cn.recorded_at AS DATE) AS VARCHAR)"),
        ("un.occurred_at IS NOT NULL",
         f"'unsubscribed from {channel} on ' || CAST(CAST(un.occurred_at AS DATE) AS VARCHAR)"),
        ("cp.occurred_at IS NOT NULL",
         f"'complained of {channel} as spam on ' || CAST(CAST(cp.occurred_at AS DATE) AS VARCHAR)"),
    ]
    joins = [f"LEFT JOIN ({latest}) cn ON cn.party_id = p.party_id"]
    join_params = [*params, *only_params]
    joins.append("LEFT JOIN (SELECT party_id, max(occurred_at) AS occurred_at FROM contact_events WHERE kind = "
                 f"'unsubscribe' AND channel = ? AND (detail IS NULL OR detail = ?){only} GROUP BY party_id) un "
                 "ON un.party_id = p.party_id")
    join_params += [channel, purpose or "", *only_params]
    joins.append("LEFT JOIN (SELECT party_id, max(occurred_at) AS occurred_at FROM contact_events WHERE kind = "
                 f"'complaint' AND channel = ?{only} GROUP BY party_id) cp ON cp.party_id = p.party_id")
    join_params += [channel, *only_params]
    if channel == "email":
        # A hard bounce is recorded with its address (detail 'hard <address>'): it blocks that address only.
        joins.append("LEFT JOIN (SELECT party_id, detail, max(occurred_at) AS occurred_at FROM contact_events "
                     f"WHERE kind = 'bounce' AND detail LIKE 'hard %'{only} GROUP BY party_id, detail) hb "
                     "ON hb.party_id = p.party_id AND hb.detail = 'hard ' || lower(trim(p.email))")
        join_params += only_params
        cases.append(("hb.occurred_at IS NOT NULL", ("'the address ' || lower(trim(p.email)) || ' bounced on ' || "
                                                      "CAST(CAST(hb.occurred_at AS DATE) AS VARCHAR)")))
    for i, (days, limit) in enumerate(config.caps.get(channel, ())):
        alias = f"cap{i}"
        joins.append(f"LEFT JOIN (SELECT party_id, count(*) AS sent FROM contact_events WHERE kind = 'sent' AND "
                     f"channel = ? AND occurred_at > ?{only} GROUP BY party_id) {alias} ON {alias}.party_id = p.party_id")
        join_params += [channel, at - dt.timedelta(days=days), *only_params]
        text = (f"'over the frequency cap: ' || CAST({alias}.sent AS VARCHAR) || "
                f"' {channel} messages in the last {days} days (at most {int(limit)})'" if limit
                else f"'no {channel} messages are allowed (cap 0 in {days} days)'")
        cases.append((f"coalesce({alias}.sent, 0) >= {int(limit)}", text))
    reason = "CASE " + " ".join(f"WHEN {cond} THEN {text}" for cond, text in cases) + " END"
    sql = (f"SELECT party_id, reason FROM (SELECT p.party_id, {reason} AS reason FROM parties p {' '.join(joins)} "
           f"WHERE p.party_id IN ({ids_sql})) r WHERE reason IS NOT NULL")
    return sql, join_params


def blocks(store: Store, party_ids, *, channel: str, purpose: str | None, at: dt.datetime,
           config: GateConfig | None = None) -> dict[int, str]:
    """Which of ``party_ids`` may not be contacted on ``channel`` for ``purpose`` at ``at``, and why.

    Set-based, in SQL: one query per chunk of 5,000 ids, or one in all when ``party_ids`` is a
    ``(sql, params)`` pair that selects ``party_id`` (an audience's own query). Quiet hours are not a
    block (see :func:`next_allowed`). Returns ``{party_id: reason}`` for the blocked ones only.

    Example
    -------
    >>> blocks(store, [1, 2, 3], channel="email", purpose="marketing", at=now)   # doctest: +SKIP
    {2: 'consent to email for marketing withdrawn on 2026-11-02'}
    """
    config = config or GateConfig.load(store)
    if channel != "webhook" and channel not in CONSENT_CHANNELS:
        raise InvalidInput(f"Unknown channel '{channel}'. Channels: {', '.join((*CONSENT_CHANNELS, 'webhook'))}.")
    found: dict[int, str] = {}
    if isinstance(party_ids, tuple) and len(party_ids) == 2 and isinstance(party_ids[0], str):
        audience_sql, audience_params = party_ids
        sql, params = _reasons_sql(channel, purpose, at, config, audience_sql, within=list(audience_params))
        # The audience's parameters come where its SQL is: after each join's own, and at the end.
        return {int(pid): reason for pid, reason in store.query(sql, [*params, *audience_params])}
    ids = [int(p) for p in party_ids]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        sql, params = _reasons_sql(channel, purpose, at, config, ", ".join(map(str, chunk)), narrow=True)
        found.update({int(pid): reason for pid, reason in store.query(sql, params)})
    return found


def address_bounced(store: Store, address: str) -> str | None:
    """The reason an email address may not be written to (it hard-bounced), or None."""
    when = store.scalar("SELECT max(occurred_at) FROM contact_events WHERE kind = 'bounce' AND detail = ?",
                        [f"hard {address.strip().lower()}"])
    return None if when is None else f"the address {address.strip().lower()} bounced on {_day(when)}"


def addresses_bounced(store: Store, addresses) -> dict[str, str]:
    """Of ``addresses``, those that hard-bounced, with the reason (``{address: reason}``, lower-cased): one query
    per chunk of 5,000."""
    wanted = sorted({a.strip().lower() for a in addresses if a})
    found: dict[str, str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = [f"hard {a}" for a in wanted[start:start + CHUNK]]
        for detail, when in store.query(
                f"SELECT detail, max(occurred_at) FROM contact_events WHERE kind = 'bounce' AND detail IN "
                f"({', '.join('?' * len(chunk))}) GROUP BY detail", chunk):
            address = detail.removeprefix("hard ")
            found[address] = f"the address {address} bounced on {_day(when)}"
    return found


def next_allowed(at: dt.datetime, quiet: tuple[dt.time, dt.time] | None, tz: ZoneInfo) -> dt.datetime | None:
    """When a message due at ``at`` (naive UTC) may go: None if now, else the end of the quiet hours (naive UTC).

    Quiet hours are read in the person's zone ``tz``; a span that crosses midnight (21:00-08:00) ends the
    next morning.
    """
    if quiet is None:
        return None
    start, end = quiet
    local = at.replace(tzinfo=dt.UTC).astimezone(tz)
    now = local.time().replace(tzinfo=None)
    inside = (start <= now < end) if start < end else (now >= start or now < end)
    if not inside:
        return None
    day = local.date() if now < end else local.date() + dt.timedelta(days=1)
    wake = dt.datetime.combine(day, end, tzinfo=tz)
    return wake.astimezone(dt.UTC).replace(tzinfo=None)
