"""Audiences: who a playbook or a campaign is for, evaluated in the store as SQL (never a loop over customers).

An audience is a filter over one analysis run's scores joined with the parties: triage groups (seed 004: a
different plan for best, average and worst), rungs of the ladder of loyalty, RFM segments, the valuable
customers at risk, thresholds on value (CLV) and probability alive, and a saved view of the customer list
(``saved_views``, ``docs/list-views.md``; its people are selected by the list's own filters). All conditions hold together (AND); a list of values is any of
them (OR).

Who may not be contacted is excluded with a reason, by :func:`exclusions`: on the suppression list, no
address for the channel, consent for the channel and purpose withdrawn or never given (the latest consent
row at the moment of sending counts, as in ``service/consent.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from patron.errors import InvalidInput
from patron.store import Store
from patron.store.vocabulary import CONSENT_CHANNELS, CONSENT_PURPOSES, LADDER_STATES, TRIAGE_GROUPS

#: Why a person is excluded, in the order they are checked (the first that applies is the reason given).
REASONS = ("suppressed", "no address", "consent withdrawn", "no consent")
#: The party column that holds the address of each channel.
ADDRESS = {"email": "p.email", "sms": "p.phone", "phone": "p.phone", "post": "p.address"}


def _as_tuple(value, name: str, allowed: Sequence[str] | None = None) -> tuple:
    if value is None:
        return ()
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
    for v in values:
        if not isinstance(v, str) or not v:
            raise InvalidInput(f"audience.{name}: expected a name or a list of names, not {v!r}.")
        if allowed is not None and v not in allowed:
            raise InvalidInput(f"audience.{name}: unknown value '{v}'. Choose from: {', '.join(allowed)}.")
    return values


def _number(value, name: str, low: float | None = None, high: float | None = None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"audience.{name}: expected a number, not {value!r}.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(f"audience.{name}: {value} is outside {low}..{high}.")
    return float(value)


@dataclass(frozen=True)
class Audience:
    """Who to reach: every condition holds (AND); a tuple of values is any of them (OR)."""

    triage: tuple[str, ...] = ()
    rung: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    at_risk: bool | None = None
    min_clv: float | None = None
    max_clv: float | None = None
    min_p_alive: float | None = None
    max_p_alive: float | None = None
    saved_view: str | None = None
    #: A named list (``list_members``: the "add to a list" action, or a list made by hand).
    list: str | None = None
    #: Party ids to keep to (a trigger's people, a one-off list); ``None``: no such limit.
    party_ids: tuple[int, ...] | None = field(default=None, compare=False)

    @classmethod
    def from_dict(cls, data: dict | None) -> Audience:
        """From a playbook's ``[audience]`` table or the JSON a campaign keeps; errors name the field."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInput(f"audience: unknown field(s) {', '.join(unknown)}. Fields: {', '.join(sorted(known))}.")
        at_risk = data.get("at_risk")
        if at_risk is not None and not isinstance(at_risk, bool):
            raise InvalidInput(f"audience.at_risk: expected true or false, not {at_risk!r}.")
        view = data.get("saved_view")
        if view is not None and (not isinstance(view, str) or not view.strip()):
            raise InvalidInput("audience.saved_view: expected the name of a saved view.")
        named = data.get("list")
        if named is not None and (not isinstance(named, str) or not named.strip()):
            raise InvalidInput("audience.list: expected the name of a list.")
        ids = data.get("party_ids")
        if ids is not None and (not isinstance(ids, (list, tuple))
                                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)):
            raise InvalidInput("audience.party_ids: expected a list of party ids (whole numbers).")
        made = cls(triage=_as_tuple(data.get("triage"), "triage", TRIAGE_GROUPS),
                   rung=_as_tuple(data.get("rung"), "rung", LADDER_STATES),
                   segment=_as_tuple(data.get("segment"), "segment"),
                   at_risk=at_risk,
                   min_clv=_number(data.get("min_clv"), "min_clv"),
                   max_clv=_number(data.get("max_clv"), "max_clv"),
                   min_p_alive=_number(data.get("min_p_alive"), "min_p_alive", 0, 1),
                   max_p_alive=_number(data.get("max_p_alive"), "max_p_alive", 0, 1),
                   saved_view=view.strip() if view else None,
                   list=named.strip() if named else None,
                   party_ids=tuple(ids) if ids is not None else None)
        for low, high in (("min_clv", "max_clv"), ("min_p_alive", "max_p_alive")):
            if getattr(made, low) is not None and getattr(made, high) is not None \
                    and getattr(made, low) > getattr(made, high):
                raise InvalidInput(f"audience: {low} ({getattr(made, low)}) is above {high} ({getattr(made, high)}).")
        return made

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in (None, ()):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> str:
        """In words, for the pages: "best, at risk, CLV at least 500"."""
        parts = []
        for name, words in (("triage", "triage"), ("rung", "rung"), ("segment", "segment")):
            if getattr(self, name):
                parts.append(f"{words} {' or '.join(getattr(self, name))}")
        if self.at_risk is not None:
            parts.append("at risk" if self.at_risk else "not at risk")
        for name, words in (("min_clv", "CLV at least"), ("max_clv", "CLV at most"),
                            ("min_p_alive", "P(alive) at least"), ("max_p_alive", "P(alive) below")):
            if getattr(self, name) is not None:
                parts.append(f"{words} {getattr(self, name):g}")
        if self.saved_view:
            parts.append(f"in the saved view '{self.saved_view}'")
        if self.list:
            parts.append(f"on the list '{self.list}'")
        if self.party_ids is not None:
            parts.append(f"{len(self.party_ids)} people named")
        return ", ".join(parts) or "every scored customer"


def audience_sql(store: Store, audience: Audience, run_id: int,
                 within: tuple[str, list] | None = None) -> tuple[str, list]:
    """SQL of the audience's party ids (``party_id``, one row each) in run ``run_id``; ``within`` (SQL and its
    parameters, one ``party_id`` column) keeps to a saved view's people, which the service layer selects."""
    where, params = ["s.run_id = ?"], [run_id]
    for name, column in (("triage", "s.triage"), ("rung", "s.rung"), ("segment", "s.rfm_segment")):
        values = getattr(audience, name)
        if values:
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if audience.at_risk is not None:
        where.append("s.at_risk" if audience.at_risk else "NOT coalesce(s.at_risk, FALSE)")
    for name, condition in (("min_clv", "s.clv >= ?"), ("max_clv", "s.clv <= ?"),
                            ("min_p_alive", "s.p_alive >= ?"), ("max_p_alive", "s.p_alive < ?")):
        if getattr(audience, name) is not None:
            where.append(condition)
            params.append(getattr(audience, name))
    if audience.saved_view:
        if within is None:
            raise InvalidInput(f"audience.saved_view: the view '{audience.saved_view}' was not looked up.")
        where.append(f"s.party_id IN ({within[0]})")
        params.extend(within[1])
    if audience.list:
        where.append("s.party_id IN (SELECT lm.party_id FROM list_members lm WHERE lm.list_name = ?)")
        params.append(audience.list)
    if audience.party_ids is not None:
        # Whole numbers (checked by from_dict), written into the SQL: a trigger's people can be more than the
        # 65,535 parameters PostgreSQL takes.
        ids = sorted({int(i) for i in audience.party_ids})
        where.append(f"s.party_id IN ({', '.join(map(str, ids))})" if ids else "FALSE")
    return (f"SELECT s.party_id FROM scores s JOIN parties p ON p.party_id = s.party_id "
            f"WHERE {' AND '.join(where)}"), params


def exclusions(store: Store, party_ids: tuple[str, list] | Sequence[int], channel: str | None,
               purpose: str | None, at: dt.datetime) -> tuple[str, list]:
    """SQL of ``(party_id, reason)`` for each of ``party_ids``: ``reason`` is NULL if they may be contacted.

    ``party_ids`` is a query (SQL and parameters, one ``party_id`` column) or a list of ids. The reason is the
    first of :data:`REASONS` that applies: on the suppression list; no address for ``channel``; their latest
    consent for ``channel`` (and ``purpose``, if given) recorded at or before ``at`` withdraws it; none was ever
    given. Without a channel (adding to a list, which contacts nobody) only the suppression list counts.

    The send-time gate (frequency caps, quiet hours, bounces) is checked again when each message is sent; this
    is what a preview and a launch know beforehand.
    """
    if isinstance(party_ids, tuple) and len(party_ids) == 2 and isinstance(party_ids[0], str):
        ids_sql, params = party_ids[0], list(party_ids[1])
    else:
        ids = [int(i) for i in party_ids]
        ids_sql = (f"SELECT party_id FROM parties WHERE party_id IN ({', '.join('?' * len(ids))})" if ids
                   else "SELECT party_id FROM parties WHERE FALSE")
        params = ids
    reasons = ["WHEN EXISTS (SELECT 1 FROM suppressions sx WHERE sx.party_id = a.party_id) THEN 'suppressed'"]
    join = ""
    if channel is not None:
        if channel not in CONSENT_CHANNELS:
            raise InvalidInput(f"Unknown channel '{channel}'. Channels: {', '.join(CONSENT_CHANNELS)}.")
        if purpose is not None and purpose not in CONSENT_PURPOSES:
            raise InvalidInput(f"Unknown purpose '{purpose}'. Purposes: {', '.join(CONSENT_PURPOSES)}.")
        if channel in ADDRESS:
            reasons.append(f"WHEN {ADDRESS[channel]} IS NULL OR trim({ADDRESS[channel]}) = '' THEN 'no address'")
        scope, scope_params = ["channel = ?", "recorded_at <= ?"], [channel, at]
        if purpose:
            scope.append("purpose = ?")
            scope_params.append(purpose)
        join = ("LEFT JOIN (SELECT party_id, granted FROM (SELECT party_id, granted, row_number() OVER "
                "(PARTITION BY party_id ORDER BY recorded_at DESC, consent_id DESC) AS latest FROM consents "
                f"WHERE {' AND '.join(scope)}) c WHERE latest = 1) cn ON cn.party_id = a.party_id")
        params = params + scope_params
        reasons += ["WHEN cn.granted IS NULL THEN 'no consent'", "WHEN NOT cn.granted THEN 'consent withdrawn'"]
    # The audience's parameters come first: its SQL is written before the consent subquery below.
    sql = (f"SELECT a.party_id, CASE {' '.join(reasons)} ELSE NULL END AS reason "
           f"FROM (SELECT DISTINCT party_id FROM ({ids_sql}) ids) a "
           f"JOIN parties p ON p.party_id = a.party_id {join}")
    return sql, params
