"""Signing in with a password, throttled per account and per address, every attempt recorded.

A password is checked with Argon2id, which is slow on purpose (about 50 ms
and 64 MiB a check): an 8-client flood of wrong passwords raised the customer
360's median from 18 ms to 1,024 ms (issue 12). So the throttle is checked
first, from the ``sign_in_attempts`` of the last minutes (two indexed counts,
well under a millisecond), and a refused attempt never reaches the hash.

The decision and the attempt's row are one write transaction, taken in turn
by every sign-in of the store (every process, on PostgreSQL), and the row
counts as a failure from then on: an attempt whose password is still being
checked counts for the next one. A flood of simultaneous attempts therefore
reaches the hash at most ``account_failures`` times per account and
``address_failures`` times per address, as one attempt after another does;
before, every attempt in flight while the first were hashed was let through.
When the password is right the row becomes a success. An attempt already in back-off
is refused on a read first: in the service its rows wait in the read log (written within a second,
counted by the throttle meanwhile), so a flood's refusals take no write transaction each. Known and unknown
account names take the same path and the same hash (timing tells nothing).

The rule (defaults in :class:`SignInRules`, settings ``PATRON_SIGN_IN_*``):
after ``account_failures`` failures of one account since its last success,
or ``address_failures`` failures from one address, within ``window``, every
attempt is refused, the right password included, until ``backoff`` seconds
after the latest failure; the back-off doubles with each further failure, up
to ``backoff_max``. Refused attempts count as failures, so a flood keeps
itself locked out. The store holds the count, so every process of a
PostgreSQL service shares it and a restart does not reset it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from patron.areas.users.service import authenticate
from patron.errors import TooManyAttempts
from patron.service.audit import entry, read_log, record
from patron.service.permissions import User
from patron.store import Store

CHANNELS = ("page", "api")
#: How long a sign-in attempt is kept for the throttle: longer than any window it looks back over (the audit log
#: keeps every attempt for its own time, ``PATRON_AUDIT_DAYS``).
ATTEMPTS_KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class SignInRules:
    account_failures: int = 5
    address_failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    backoff: float = 30.0
    backoff_max: float = 900.0

    @classmethod
    def from_settings(cls, settings) -> SignInRules:
        return cls(settings.sign_in_account_failures, settings.sign_in_address_failures,
                   dt.timedelta(minutes=settings.sign_in_window_minutes), float(settings.sign_in_backoff_seconds),
                   float(settings.sign_in_backoff_max_seconds))

    def wait(self, failures: int, threshold: int, latest: dt.datetime | None, now: dt.datetime) -> float:
        """Seconds still to wait after ``failures`` (the ``threshold``-th starts the back-off); 0 if none."""
        if latest is None or failures < threshold:
            return 0.0
        delay = min(self.backoff * 2 ** min(failures - threshold, 30), self.backoff_max)
        return max((latest - now).total_seconds() + delay, 0.0)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _failures(store: Store, column: str, value: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Failures of one account (since its last success) or from one address, since ``since``; and the latest."""
    after_success = ""
    params = [value, since]
    if column == "username":
        after_success = (" AND attempted_at > coalesce((SELECT max(attempted_at) FROM sign_in_attempts "
                         "WHERE username = ? AND succeeded AND attempted_at >= ?), ?)")
        params += [value, since, since - dt.timedelta(seconds=1)]
    count, latest = store.query(
        f"SELECT count(*), max(attempted_at) FROM sign_in_attempts WHERE {column} = ? AND attempted_at >= ? "
        f"AND NOT succeeded{after_success}", params)[0]
    buffer = read_log(store)
    if buffer is not None:  # refused attempts not yet written (at most a second's worth)
        waiting, newest = buffer.waiting_failures(column, value, since)
        count += waiting
        latest = max((t for t in (latest, newest) if t is not None), default=None)
    return count, latest


def throttle_wait(store: Store, username: str, address: str | None, rules: SignInRules,
                  now: dt.datetime | None = None) -> float:
    """Seconds before ``username`` may try again from ``address``; 0 when they may try now."""
    now = now or _utcnow()
    since = now - rules.window
    waits = [_wait(rules, _failures(store, "username", username, since), rules.account_failures, now)]
    if address:
        waits.append(_wait(rules, _failures(store, "address", address, since), rules.address_failures, now))
    return max(waits)


def _wait(rules: SignInRules, found: tuple[int, dt.datetime | None], threshold: int, now: dt.datetime) -> float:
    return rules.wait(found[0], threshold, found[1], now)


def sign_in(store: Store, username: str, password: str, address: str | None, channel: str,
            rules: SignInRules = SignInRules(), *, now: dt.datetime | None = None) -> User | None:
    """The user if the password is right, ``None`` if not; :class:`TooManyAttempts` during a back-off.

    Every attempt is recorded in ``sign_in_attempts`` and the audit log (``sign_in`` /
    ``sign_in.failed`` / ``sign_in.refused``), refused ones included, with the address it came from.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown sign-in channel '{channel}'")
    name = username.strip().lower()[:200]
    now = now or _utcnow()
    # A flood is mostly attempts already in back-off: refused on a read, their rows left to the read log,
    # with no write transaction each (which held the store's write lock for most of a flood: stop 23).
    wait = throttle_wait(store, name, address, rules, now)
    if wait > 0 and _refused(store, now, name, address, channel):
        raise _too_many(wait)
    with store.transaction(keeps_stable=True):  # a flood of attempts must not empty the token cache
        store.lock("sign_in_attempts")  # one decision at a time: each sees the attempts decided before it
        wait = throttle_wait(store, name, address, rules, now)
        store.raw.execute("INSERT INTO sign_in_attempts (attempted_at, username, address, succeeded, channel) "
                          "VALUES (?, ?, ?, FALSE, ?)", [now, name, address, channel])
        if wait > 0:
            _audit(store, None, "sign_in.refused", name, address, channel)
    if wait > 0:
        raise _too_many(wait)
    user = authenticate(store, name, password)  # the attempt already counts as a failure while this runs
    with store.transaction(keeps_stable=True):
        if user is not None:
            store.raw.execute("UPDATE sign_in_attempts SET succeeded = TRUE WHERE attempted_at = ? AND username = ? "
                              "AND address IS NOT DISTINCT FROM CAST(? AS VARCHAR) AND channel = ? AND NOT succeeded",
                              [now, name, address, channel])
        _audit(store, user, "sign_in" if user is not None else "sign_in.failed", name, address, channel)
    return user


def _too_many(wait: float) -> TooManyAttempts:
    seconds = math.ceil(wait)
    when = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    return TooManyAttempts(f"Too many failed sign-ins for this account or from this address: sign-in is "
                           f"paused, even with the right password. Try again in {when}.", seconds)


def trim_attempts(store: Store, rules: SignInRules = SignInRules(), now: dt.datetime | None = None) -> int:
    """Delete the sign-in attempts no throttle reads again: older than a day (or the window, if longer).
    Returns how many went. The service does it every hour (:mod:`patron.service.log_retention`)."""
    cutoff = (now or _utcnow()) - max(ATTEMPTS_KEPT, rules.window)
    with store.transaction(keeps_stable=True):
        return store.changed("DELETE FROM sign_in_attempts WHERE attempted_at < ?", [cutoff])


def _refused(store: Store, at: dt.datetime, name: str, address: str | None, channel: str) -> bool:
    """Hand a refused attempt's rows to the service's read log (written within a second, and counted by the
    throttle meanwhile); False when none runs (the command line, a script), to record it in a transaction."""
    buffer = read_log(store)
    if buffer is None:
        return False
    buffer.add(entry(None, "sign_in.refused", "user", None, {"username": name, "channel": channel},
                     address=address), (at, name, address, False, channel))
    return True


def _audit(store: Store, user: User | None, action: str, name: str, address: str | None, channel: str) -> None:
    record(store, user, action, "user", user.user_id if user else None, {"username": name, "channel": channel},
           address=address)
