"""The outbox worker: claims due messages, checks the gate, sends them and records what happened.

The guarantee (docs/delivery.md): **nothing is lost, and a message is sent twice only if the worker dies
between the transport accepting it and the worker recording it** — the few milliseconds of one commit, for
one message at a time. A message is claimed (``sending``, with ``claimed_at`` and ``claimed_by``) in a
transaction before it goes, and marked ``sent`` in its own transaction as soon as the SMTP server or the
webhook receiver has accepted it. A worker that dies leaves its claimed rows ``sending``; they are claimed
again (on a DuckDB file, which one process writes, when the next worker starts; on PostgreSQL once their claim
is older than ``reclaim_after``) and sent again with the same ``Message-ID`` (the idempotency key) or
``X-Patron-Idempotency-Key``, so that a receiver can drop the copy. That is at-least-once at the transport,
exactly once counted by Message-ID; SMTP has no way to ask a server whether it already took a message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import smtplib
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from patron.act import links, rules
from patron.store import Store

BACKOFF_CAP = 3600.0
#: Headers are not folded below RFC 5322's 998 characters: a folded List-Unsubscribe URL (a long token, no spaces)
#: would be sent as encoded words that mail clients do not read as a link.
MAIL_POLICY = policy.default.clone(max_line_length=998)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class DeliveryConfig:
    """How the worker sends: the SMTP server, the pace, the retries. Defaults from ``settings`` and ``PATRON_*``."""

    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    sender: str = "patron@localhost"
    #: Where the unsubscribe links point (the web service's public address).
    public_url: str = "http://127.0.0.1:8000"
    #: Messages per second at most (0: as fast as the transport takes them).
    rate: float = 0.0
    batch: int = 50
    max_attempts: int = 6
    #: The first retry waits this long; each next one twice as long (at most an hour).
    backoff: float = 30.0
    #: A ``sending`` row claimed longer ago than this (seconds) was left by a dead worker (PostgreSQL).
    reclaim_after: float = 300.0
    webhook_timeout: float = 10.0
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}")

    @classmethod
    def load(cls, store: Store, **overrides) -> DeliveryConfig:
        """Settings rows ``smtp.host``, ``smtp.port``, ``smtp.starttls``, ``smtp.username``, ``smtp.from``,
        ``public_url``, ``delivery.rate``, ``delivery.max_attempts``, ``delivery.backoff``; then ``PATRON_SMTP_HOST``,
        ``PATRON_SMTP_PORT``, ``PATRON_SMTP_USERNAME``, ``PATRON_SMTP_PASSWORD`` (the password only from there);
        then ``overrides`` (the CLI's options) that are not None."""
        values = rules.read_settings(store)
        env = os.environ
        config = cls(
            smtp_host=env.get("PATRON_SMTP_HOST") or values.get("smtp.host", "localhost"),
            smtp_port=int(env.get("PATRON_SMTP_PORT") or values.get("smtp.port", 25)),
            smtp_starttls=values.get("smtp.starttls", "false").lower() in ("1", "true", "yes"),
            smtp_username=env.get("PATRON_SMTP_USERNAME") or values.get("smtp.username"),
            smtp_password=env.get("PATRON_SMTP_PASSWORD"),
            sender=values.get("smtp.from", "patron@localhost"),
            public_url=values.get("public_url", "http://127.0.0.1:8000").rstrip("/"),
            rate=float(values.get("delivery.rate", 0)),
            max_attempts=int(values.get("delivery.max_attempts", 6)),
            backoff=float(values.get("delivery.backoff", 30)),
        )
        for name, value in overrides.items():
            if value is not None:
                setattr(config, name, value)
        return config


class TransientFailure(Exception):
    """The transport could not take the message now: try again later."""


class PermanentFailure(Exception):
    """The transport refused the address for good (an SMTP 5xx on the recipient): a hard bounce."""


def message_id_header(key: str) -> str:
    """The ``Message-ID`` made of the idempotency key (hashed when it holds characters a header may not)."""
    safe = key if re.fullmatch(r"[A-Za-z0-9._=+-]{1,200}", key) else hashlib.sha256(key.encode()).hexdigest()
    return f"<{safe}@patron>"


class Mailer:
    """One SMTP connection, reused for every message until it fails (a new one per message costs 3-4 ms)."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def connect(self) -> smtplib.SMTP:
        if self.smtp is None:
            c = self.config
            try:
                smtp = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=30)
                if c.smtp_starttls:
                    smtp.starttls()
                if c.smtp_username:
                    smtp.login(c.smtp_username, c.smtp_password or "")
            except (OSError, smtplib.SMTPException) as exc:
                raise TransientFailure(f"cannot reach the SMTP server {c.smtp_host}:{c.smtp_port}: {exc}")
            self.smtp = smtp
        return self.smtp

    def send(self, message: EmailMessage, recipient: str) -> None:
        smtp = self.connect()
        try:
            smtp.send_message(message, self.config.sender, [recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if 500 <= code < 600:
                raise PermanentFailure(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}")
            raise TransientFailure(f"{code} {text!r}")
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TransientFailure(f"SMTP: {exc}")

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def post_webhook(url: str, body: bytes, key: str, secret: str, timeout: float) -> None:
    """POST ``body`` signed with HMAC-SHA256 (``X-Patron-Signature: t=<unix time>,v1=<hex>``)."""
    timestamp = int(time.time())
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Patron-Idempotency-Key": key,
        "X-Patron-Signature": f"t={timestamp},v1={links.webhook_signature(secret, timestamp, body)}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise TransientFailure(f"the receiver answered {exc.code} {exc.reason}")
    except (OSError, ValueError) as exc:
        raise TransientFailure(f"cannot reach {url}: {exc}")


@dataclass
class Outcome:
    sent: int = 0
    blocked: int = 0
    deferred: int = 0
    retried: int = 0
    dead: int = 0

    def add(self, other: Outcome) -> None:
        for name in ("sent", "blocked", "deferred", "retried", "dead"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


class Worker:
    """Claims due rows of ``outbox`` in small batches and delivers them (``run`` or ``run_once``)."""

    def __init__(self, store: Store, config: DeliveryConfig) -> None:
        self.store = store
        self.config = config
        self.mailer = Mailer(config)
        self.secret = links.link_secret(store)
        self._next_slot = time.monotonic()

    # -- claiming --------------------------------------------------------------------------------------------
    def reclaim(self, now: dt.datetime, everything: bool = False) -> int:
        """Put back ``sending`` rows of dead workers (all of them on a DuckDB file: one process writes it)."""
        cutoff = now if everything else now - dt.timedelta(seconds=self.config.reclaim_after)
        with self.store.transaction():
            return self.store.changed(
                "UPDATE outbox SET status = 'queued', claimed_at = NULL, claimed_by = NULL WHERE status = 'sending' "
                "AND claimed_at <= ?", [cutoff])

    def claim(self, now: dt.datetime) -> list[dict]:
        with self.store.transaction():
            self.store.changed(
                "UPDATE outbox SET status = 'sending', claimed_at = ?, claimed_by = ? WHERE message_id IN ("
                "SELECT message_id FROM outbox WHERE status IN ('queued', 'failed') AND (next_attempt_at IS NULL OR "
                "next_attempt_at <= ?) AND (campaign_id IS NULL OR campaign_id NOT IN (SELECT campaign_id FROM "
                "campaigns WHERE status IN ('paused', 'cancelled'))) "  # a paused campaign's messages wait
                f"ORDER BY message_id LIMIT {int(self.config.batch)}) "
                "AND status IN ('queued', 'failed')", [now, self.config.worker, now])
        return self.store.records(
            "SELECT o.message_id, o.idempotency_key, o.campaign_id, o.party_id, o.channel, o.purpose, o.subject, "
            "o.body, o.payload, o.attempts, coalesce(o.recipient, p.email) AS recipient, p.time_zone "
            "FROM outbox o LEFT JOIN parties p ON p.party_id = o.party_id WHERE o.status = 'sending' "
            "AND o.claimed_by = ? ORDER BY o.message_id", [self.config.worker])

    # -- recording -------------------------------------------------------------------------------------------
    def _event(self, row: dict, kind: str, detail: str | None, at: dt.datetime) -> None:
        self.store.raw.execute(
            "INSERT INTO contact_events (party_id, message_id, campaign_id, channel, kind, detail, occurred_at, "
            "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'delivery')",
            [row["party_id"], row["message_id"], row["campaign_id"], row["channel"], kind, detail, at])

    def mark_sent(self, row: dict, at: dt.datetime, detail: str) -> None:
        with self.store.transaction():
            self.store.raw.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, reason = NULL, "
                "last_error = NULL WHERE message_id = ?", [at, row["message_id"]])
            self._event(row, "sent", detail, at)

    def mark_blocked(self, row: dict, reason: str, at: dt.datetime) -> None:
        with self.store.transaction():
            self.store.raw.execute("UPDATE outbox SET status = 'blocked', reason = ? WHERE message_id = ?",
                                   [reason, row["message_id"]])
            self._event(row, "blocked", reason, at)

    def defer(self, row: dict, until: dt.datetime, reason: str) -> None:
        with self.store.transaction():
            self.store.raw.execute(
                "UPDATE outbox SET status = 'queued', next_attempt_at = ?, reason = ?, claimed_at = NULL, "
                "claimed_by = NULL WHERE message_id = ?", [until, reason, row["message_id"]])

    def fail(self, row: dict, error: str, at: dt.datetime) -> str:
        """A failed attempt: retried after a backoff that doubles, or parked as ``dead`` after the last one."""
        attempts = int(row["attempts"]) + 1
        if attempts >= self.config.max_attempts:
            status, retry = "dead", None
        else:
            status = "failed"
            retry = at + dt.timedelta(seconds=min(BACKOFF_CAP, self.config.backoff * 2 ** (attempts - 1)))
        with self.store.transaction():
            self.store.raw.execute(
                "UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, claimed_at = NULL, "
                "claimed_by = NULL WHERE message_id = ?", [status, attempts, retry, error[:1000], row["message_id"]])
        return status

    # -- sending ---------------------------------------------------------------------------------------------
    def _pace(self) -> None:
        if self.config.rate > 0:
            now = time.monotonic()
            if self._next_slot > now:
                time.sleep(self._next_slot - now)
            self._next_slot = max(now, self._next_slot) + 1.0 / self.config.rate

    def email(self, row: dict) -> EmailMessage:
        token = links.unsubscribe_token(self.secret, row["party_id"] or 0, row["channel"], row["purpose"],
                                        row["message_id"])
        url = f"{self.config.public_url}/unsubscribe/{token}"
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.config.sender
        message["To"] = row["recipient"]
        message["Subject"] = row["subject"] or ""
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id_header(row["idempotency_key"])
        message["X-Patron-Idempotency-Key"] = row["idempotency_key"]
        message["List-Unsubscribe"] = f"<{url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(f"{row['body'] or ''}\n\n--\nTo stop receiving these emails: {url}\n")
        return message

    def deliver(self, rows: list[dict], now: dt.datetime) -> Outcome:
        outcome = Outcome()
        gate = rules.GateConfig.load(self.store)
        by_rule: dict[tuple, list[int]] = defaultdict(list)
        for row in rows:
            if row["party_id"] is not None:
                by_rule[(row["channel"], row["purpose"])].append(row["party_id"])
        blocked = {rule: rules.blocks(self.store, ids, channel=rule[0], purpose=rule[1], at=now, config=gate)
                   for rule, ids in by_rule.items()}
        # Messages sent in this batch count against the caps of the next ones to the same person.
        sent_now: dict[tuple, int] = defaultdict(int)
        for row in rows:
            at = utcnow()
            reason = blocked.get((row["channel"], row["purpose"]), {}).get(row["party_id"])
            if reason is None and sent_now[(row["party_id"], row["channel"])]:
                again = rules.blocks(self.store, [row["party_id"]], channel=row["channel"], purpose=row["purpose"],
                                     at=at, config=gate)
                reason = again.get(row["party_id"])
            if reason is None and row["channel"] == "email":
                reason = ("no email address" if not row["recipient"]
                          else rules.address_bounced(self.store, row["recipient"]))
            if reason:
                self.mark_blocked(row, reason, at)
                outcome.blocked += 1
                continue
            if row["channel"] != "webhook" and row["party_id"] is not None:
                tz = rules.zone(row["time_zone"], gate.time_zone)
                quiet = gate.quiet_hours.get(row["channel"])
                until = rules.next_allowed(at, quiet, tz)
                if until is not None:
                    self.defer(row, until, f"deferred: quiet hours {quiet[0]:%H:%M}-{quiet[1]:%H:%M} in {tz.key}")
                    outcome.deferred += 1
                    continue
            self._pace()
            try:
                if row["channel"] == "email":
                    message = self.email(row)
                    self.mailer.send(message, row["recipient"])
                    detail = message["Message-ID"]
                elif row["channel"] == "webhook":
                    post_webhook(row["recipient"] or "", (row["payload"] or "{}").encode(), row["idempotency_key"],
                                 self.secret, self.config.webhook_timeout)
                    detail = row["idempotency_key"]
                else:
                    self.mark_blocked(row, f"patron cannot deliver on {row['channel']} yet (email and webhooks "
                                      "only)", at)
                    outcome.blocked += 1
                    continue
            except PermanentFailure as exc:
                record_bounce(self.store, row["recipient"], hard=True, at=at, note=str(exc))
                self.mark_blocked(row, f"the address {row['recipient']} was refused: {exc}", at)
                outcome.blocked += 1
                continue
            except TransientFailure as exc:
                if self.fail(row, str(exc), at) == "dead":
                    outcome.dead += 1
                else:
                    outcome.retried += 1
                continue
            self.mark_sent(row, utcnow(), detail)
            sent_now[(row["party_id"], row["channel"])] += 1
            outcome.sent += 1
        return outcome

    def run_once(self) -> Outcome:
        """Deliver everything due now, batch after batch; return what happened."""
        total = Outcome()
        while rows := self.claim(utcnow()):
            total.add(self.deliver(rows, utcnow()))
        return total

    def run(self, stop: threading.Event, poll: float = 1.0, on_batch=None) -> Outcome:
        """Deliver until ``stop`` is set, looking for due messages every ``poll`` seconds when idle."""
        total = Outcome()
        while not stop.is_set():
            rows = self.claim(utcnow())
            if not rows:
                stop.wait(poll)
                continue
            outcome = self.deliver(rows, utcnow())
            total.add(outcome)
            if on_batch:
                on_batch(outcome)
        return total

    def close(self) -> None:
        self.mailer.close()


def start(store: Store, config: DeliveryConfig) -> Worker:
    """A worker over ``store``, after putting back the rows a dead worker left ``sending``."""
    worker = Worker(store, config)
    worker.reclaim(utcnow(), everything=store.backend_name == "duckdb")
    return worker


def record_bounce(store: Store, address: str, *, hard: bool = True, at: dt.datetime | None = None,
                  note: str | None = None, recorded_by: str = "delivery") -> int:
    """A bounce of ``address``: one ``bounce`` event per party with that email (detail ``hard <address>``)."""
    address = address.strip().lower()
    at = at or utcnow()
    parties = [r[0] for r in store.query("SELECT party_id FROM parties WHERE lower(trim(email)) = ?", [address])]
    with store.transaction():
        for party_id in parties or [None]:
            store.raw.execute(
                "INSERT INTO contact_events (party_id, channel, kind, detail, occurred_at, recorded_by) "
                "VALUES (?, 'email', 'bounce', ?, ?, ?)",
                [party_id, f"{'hard' if hard else 'soft'} {address}", at, recorded_by])
    return len(parties)


def webhook_payload(event: dict) -> str:
    """The JSON body of a webhook (kept in ``outbox.payload``)."""
    return json.dumps(event, default=str, sort_keys=True)


