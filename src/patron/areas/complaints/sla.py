"""Service levels as configuration: policies per category and severity, measured in business hours.

A :class:`Calendar` says when the service team works (opening hours, working days, holidays, in the firm's
time zone: stored times are UTC and are read as the firm's local time before hours are counted); a
:class:`Policy` gives the first-response and resolution targets (business hours) for the complaints it
matches (a category, a severity, or both; the most specific matching policy wins), the share of a target
at which a warning is raised, and the role a breach is escalated to. Clocks stop while the complaint waits
for the customer (pauses). Everything is read from TOML (:func:`service_levels_from_toml`; a store keeps
its own in the ``settings`` row ``service_levels``, :func:`patron.areas.complaints.desk.service_levels`), e.g.::

    [calendar]
    opens = 8
    closes = 18
    workdays = "Mon Tue Wed Thu Fri"
    holidays = ["2025-12-25", "2025-12-26"]
    time_zone = "Europe/Amsterdam"   # else the settings row time_zone, else UTC

    [[policy]]
    severity = "critical"
    first_response_hours = 2
    resolution_hours = 16
    escalate_to = "admin"

    [[policy]]
    triage = "protect"         # the customers the value run says to protect: faster, whatever the category
    first_response_hours = 1
    next_response_hours = 4    # from a customer's reply to our next answer
    resolution_hours = 8

Three clocks run on a complaint (:meth:`ServiceLevels.desk_clocks`): the first response (from opening to our
first answer), the resolution (from opening to resolution) and, once we have answered, the next response:
each message the customer sends after an answer of ours starts a new response clock, which stops at our next
answer (or the resolution). The messages are the complaint's thread: the customer's inbound and our outbound
service interactions between the first response and the resolution.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from patron.errors import InvalidInput
from patron.store.vocabulary import COMPLAINT_SEVERITIES, ROLES

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLA_STATES = ("met", "on track", "warning", "breached")


@dataclass(frozen=True)
class Calendar:
    """Working hours ``opens``..``closes`` (hours of the day in ``time_zone``) on ``workdays``, except
    ``holidays``. Times given to it and returned by it are naive UTC, as the store keeps them."""

    opens: float = 8.0
    closes: float = 18.0
    workdays: tuple[str, ...] = DAYS[:5]
    holidays: tuple[dt.date, ...] = ()
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= 24:
            raise InvalidInput("Opening hours need 0 <= opens < closes <= 24.")
        if not self.workdays or set(self.workdays) - set(DAYS):
            raise InvalidInput(f"Working days are some of {' '.join(DAYS)}.")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"Unknown time zone '{self.time_zone}' for the service calendar; use an IANA "
                               "name such as Europe/London.") from None

    def _local(self, t: dt.datetime) -> dt.datetime:
        if self.time_zone == "UTC":
            return t
        return t.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(self.time_zone)).replace(tzinfo=None)

    def _utc(self, t: dt.datetime) -> dt.datetime:
        if self.time_zone == "UTC":
            return t
        return t.replace(tzinfo=ZoneInfo(self.time_zone)).astimezone(dt.UTC).replace(tzinfo=None)

    @property
    def weekmask(self) -> str:
        return "".join("1" if d in self.workdays else "0" for d in DAYS)

    def is_workday(self, day: dt.date) -> bool:
        return DAYS[day.weekday()] in self.workdays and day not in self.holidays

    def _open_close(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=self.opens)
        return start, dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=self.closes)

    def _within_day(self, day: dt.date, a: dt.datetime, b: dt.datetime) -> float:
        if not self.is_workday(day):
            return 0.0
        o, c = self._open_close(day)
        return max((min(b, c) - max(a, o)).total_seconds(), 0.0) / 3600

    def hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business hours from ``start`` to ``end`` (0 when end is not after start)."""
        if end <= start:
            return 0.0
        start, end = self._local(start), self._local(end)
        d0, d1 = start.date(), end.date()
        if d0 == d1:
            return self._within_day(d0, start, end)
        first = self._within_day(d0, start, dt.datetime.combine(d0 + dt.timedelta(days=1), dt.time()))
        last = self._within_day(d1, dt.datetime.combine(d1, dt.time()), end)
        whole = int(np.busday_count(d0 + dt.timedelta(days=1), d1, weekmask=self.weekmask,
                                    holidays=list(self.holidays))) if d1 > d0 + dt.timedelta(days=1) else 0
        return first + last + whole * (self.closes - self.opens)

    def add_hours(self, start: dt.datetime, hours: float, *, latest: bool = False) -> dt.datetime:
        """The moment ``hours`` business hours after ``start``: the first such moment, or with ``latest`` the
        last one (a count that ends at closing time lasts until the next opening: a clock is past its target
        only after that)."""
        left = float(hours)
        at = self._local(start)
        day = at.date()
        while True:
            if self.is_workday(day):
                o, c = self._open_close(day)
                begin = max(at, o)
                if begin < c:
                    room = (c - begin).total_seconds() / 3600
                    if left < room - 1e-9 if latest else left <= room:
                        return self._utc(begin + dt.timedelta(hours=max(left, 0.0)))
                    left -= room
            day += dt.timedelta(days=1)
            at = dt.datetime.combine(day, dt.time())


@dataclass(frozen=True)
class Policy:
    """Targets for the complaints a policy matches (``None`` matches any category or severity)."""

    first_response_hours: float
    resolution_hours: float
    category: str | None = None
    severity: str | None = None
    warn_at: float = 0.8  # share of a target used that raises a warning
    escalate_to: str = "admin"
    triage: str | None = None  # the customer's triage group in the latest value run (e.g. "protect")
    next_response_hours: float | None = None  # from a customer's reply to our next answer

    def __post_init__(self) -> None:
        if self.first_response_hours <= 0 or self.resolution_hours <= 0 or (
                self.next_response_hours is not None and self.next_response_hours <= 0):
            raise InvalidInput("Service-level targets are positive numbers of business hours.")
        if self.severity is not None and self.severity not in COMPLAINT_SEVERITIES:
            raise InvalidInput(f"Unknown severity '{self.severity}' in a policy; the severities are "
                               f"{', '.join(COMPLAINT_SEVERITIES)}.")
        if self.escalate_to not in ROLES:
            raise InvalidInput(f"A breach is escalated to a role ({', '.join(ROLES)}), not '{self.escalate_to}'.")
        if not 0 < self.warn_at < 1:
            raise InvalidInput("warn_at is a share of the target between 0 and 1.")

    def matches(self, category: str | None, severity: str, triage: str | None = None) -> bool:
        return self.category in (None, category) and self.severity in (None, severity) and self.triage in (
            None, triage)

    @property
    def specificity(self) -> int:
        """A triage group's policy beats a category's, which beats a severity's."""
        return (self.triage is not None) * 4 + (self.category is not None) * 2 + (self.severity is not None)


@dataclass(frozen=True)
class Clock:
    """One target's clock: business hours used (pauses left out), the target, the due time and the state.

    A clock still running knows when its state will change, as long as nothing changes the complaint or its
    thread: :meth:`warns_from` and :meth:`breached_after` (both None once it has stopped: its state is then
    settled). The desk keeps them (:mod:`patron.areas.complaints.stored_clocks`) so that its filters and the
    charter read states in SQL at any data end."""

    used_hours: float
    target_hours: float
    due: dt.datetime
    state: str
    escalate_to: str | None
    #: While running: (calendar, start, business hours to the warning, to the target), pauses counted in.
    running: tuple | None = field(default=None, compare=False, repr=False)

    def warns_from(self) -> dt.datetime | None:
        """The first moment its state is at least "warning" (None once the clock has stopped)."""
        if self.running is None:
            return None
        calendar, start, warn, _ = self.running
        return calendar.add_hours(start, warn)

    def breached_after(self) -> dt.datetime | None:
        """The last moment it is not yet breached (None once the clock has stopped)."""
        if self.running is None:
            return None
        calendar, start, _, target = self.running
        return calendar.add_hours(start, target, latest=True)

    def as_dict(self) -> dict:
        return {"used_hours": self.used_hours, "target_hours": self.target_hours, "due": self.due,
                "state": self.state, "escalate_to": self.escalate_to}


@dataclass(frozen=True)
class ServiceLevels:
    policies: tuple[Policy, ...]
    calendar: Calendar = field(default_factory=Calendar)

    def policy_for(self, category: str | None, severity: str, triage: str | None = None) -> Policy:
        found = [p for p in self.policies if p.matches(category, severity, triage)]
        if not found:
            raise InvalidInput(f"No service-level policy covers a {severity} complaint about {category}; "
                               "add one (a policy without category and severity covers every complaint).")
        return max(found, key=lambda p: p.specificity)

    def paused_hours(self, pauses, until: dt.datetime) -> float:
        return sum(self.calendar.hours_between(a, min(b or until, until)) for a, b in pauses)

    def clock(self, target: float, policy: Policy, opened: dt.datetime, done: dt.datetime | None,
              now: dt.datetime, pauses=()) -> Clock:
        """The clock of one target: stopped at ``done`` when there is one, else running at ``now``."""
        until = done or now
        paused = self.paused_hours(pauses, until)
        used = max(self.calendar.hours_between(opened, until) - paused, 0.0)
        due = self.calendar.add_hours(opened, target + paused)
        if done is not None:
            state = "met" if used <= target else "breached"
        elif used > target:
            state = "breached"
        elif used >= policy.warn_at * target:
            state = "warning"
        else:
            state = "on track"
        running = None if done is not None else (self.calendar, opened, policy.warn_at * target + paused,
                                                 target + paused)
        return Clock(used, target, due, state, policy.escalate_to if state == "breached" else None, running)

    def next_response_clocks(self, policy: Policy, c: dict, now: dt.datetime) -> list[Clock]:
        """One clock per customer message that follows an answer of ours: it runs from that message to our
        next answer (or the resolution, or ``now``). ``c["messages"]`` is the thread after the first response,
        as (time, "inbound" or "outbound") pairs in time order; a wait for the customer that began after a
        message stops that message's clock."""
        if policy.next_response_hours is None or c.get("first_response_at") is None:
            return []
        cycles, start = [], None
        for at, direction in sorted(c.get("messages") or (), key=lambda m: m[0]):
            if direction == "inbound" and start is None:
                start = at
            elif direction == "outbound" and start is not None:
                cycles.append((start, at))
                start = None
        if start is not None:
            cycles.append((start, c.get("resolved_at")))
        waiting = c.get("waiting_since")
        return [self.clock(policy.next_response_hours, policy, a, b, now,
                           [(waiting, None)] if waiting is not None and waiting >= a and b is None else ())
                for a, b in cycles]

    def desk_clocks(self, c: dict, at: dt.datetime) -> dict:
        """The clocks the desk, the charter and the ``sla_breached`` trigger read, at ``at``: first response and
        resolution (stopped by the business hours the complaint waited for the customer: ``paused_hours`` of
        earlier waits and the current one from ``waiting_since``) and the next-response clocks of its thread
        (``next_responses``, a list; ``next_response``: the latest one, or None)."""
        policy = self.policy_for(c.get("category"), c["severity"], c.get("triage"))
        end = min(c.get("resolved_at") or at, at)
        paused = (c.get("paused_hours") or 0.0) + (
            self.calendar.hours_between(c["waiting_since"], end) if c.get("waiting_since") else 0.0)
        out: dict = {}
        for kind, target, done in (("first_response", policy.first_response_hours, c.get("first_response_at")),
                                   ("resolution", policy.resolution_hours, c.get("resolved_at"))):
            used = max(self.calendar.hours_between(c["opened_at"], done or at) - paused, 0.0)
            if done is not None:
                state = "met" if used <= target else "breached"
            else:
                state = "breached" if used > target else "warning" if used >= policy.warn_at * target else "on track"
            running = None if done is not None else (self.calendar, c["opened_at"],
                                                     policy.warn_at * target + paused, target + paused)
            out[kind] = Clock(used, target, self.calendar.add_hours(c["opened_at"], target + paused), state,
                              policy.escalate_to if state == "breached" else None, running)
        out["next_responses"] = self.next_response_clocks(policy, c, at)
        out["next_response"] = out["next_responses"][-1] if out["next_responses"] else None
        return out

    def complaint_clocks(self, c: dict, now: dt.datetime, pauses=()) -> dict[str, Clock]:
        """First-response and resolution clocks of a complaint (a dict with opened_at, first_response_at,
        resolved_at, category, severity and optionally triage), pauses as (start, end or None) pairs.

        With a policy's ``next_response_hours`` and a ``customer_replied_at`` in the complaint (the customer's
        latest message after our first answer), a ``next_response`` clock runs from it to ``replied_at``
        (our answer to it), or to ``now``."""
        p = self.policy_for(c.get("category"), c["severity"], c.get("triage"))
        clocks = {"first_response": self.clock(p.first_response_hours, p, c["opened_at"], c.get("first_response_at"),
                                               now, pauses),
                  "resolution": self.clock(p.resolution_hours, p, c["opened_at"], c.get("resolved_at"), now, pauses)}
        if p.next_response_hours is not None and c.get("customer_replied_at") is not None:
            replied = c.get("replied_at")
            clocks["next_response"] = self.clock(
                p.next_response_hours, p, c["customer_replied_at"],
                replied if replied is not None and replied >= c["customer_replied_at"] else None, now, pauses)
        elif c.get("messages"):
            found = self.next_response_clocks(p, c, now)
            if found:
                clocks["next_response"] = found[-1]
        return clocks


def service_levels_from_toml(text: str, time_zone: str = "UTC") -> ServiceLevels:
    """Service levels from their TOML configuration; errors name the policy and the field. The calendar's
    ``time_zone`` defaults to ``time_zone`` (the firm's, from its settings)."""
    try:
        conf = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"The service-level configuration is not valid TOML: {exc}") from None
    cal = conf.get("calendar", {})
    try:
        holidays = tuple(dt.date.fromisoformat(str(d)) for d in cal.get("holidays", ()))
    except ValueError as exc:
        raise InvalidInput(f"A holiday in [calendar] is not a date (YYYY-MM-DD): {exc}") from None
    workdays = cal.get("workdays", " ".join(DAYS[:5]))
    unknown = set(cal) - {"opens", "closes", "workdays", "holidays", "time_zone"}
    if unknown:
        raise InvalidInput(f"[calendar]: unknown field(s) {', '.join(sorted(unknown))}.")
    calendar = Calendar(float(cal.get("opens", 8)), float(cal.get("closes", 18)),
                        tuple(workdays.split() if isinstance(workdays, str) else workdays), holidays,
                        str(cal.get("time_zone") or time_zone))
    policies = []
    for n, p in enumerate(conf.get("policy", ()), start=1):
        unknown = set(p) - {"category", "severity", "first_response_hours", "resolution_hours", "warn_at",
                            "escalate_to", "triage", "next_response_hours"}
        if unknown:
            raise InvalidInput(f"Policy {n}: unknown field(s) {', '.join(sorted(unknown))}.")
        if "first_response_hours" not in p or "resolution_hours" not in p:
            raise InvalidInput(f"Policy {n} needs first_response_hours and resolution_hours.")
        try:
            policies.append(Policy(**p))
        except InvalidInput as exc:
            raise InvalidInput(f"Policy {n}: {exc}") from None
    if not policies:
        raise InvalidInput("The service-level configuration has no [[policy]].")
    return ServiceLevels(tuple(policies), calendar)


#: The default service levels per severity (first response, next response, resolution), in business hours on a
#: Mon-Fri 8-18 UTC calendar; a store's ``service_levels`` setting replaces them.
DEFAULT_SERVICE_LEVELS = ServiceLevels(tuple(
    Policy(respond, resolve, severity=sev, escalate_to="admin" if sev in ("critical", "high") else "service",
           next_response_hours=nxt)
    for sev, (respond, nxt, resolve) in {"critical": (2, 2, 10), "high": (8, 8, 30), "medium": (16, 16, 60),
                                         "low": (24, 24, 120)}.items()))
