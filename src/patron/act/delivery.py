"""The outbox worker: claims due messages, checks the gate, sends them and records what happened.

The guarantee (docs/delivery.md): **nothing is lost, and a message is sent twice only if the worker dies
between the transport accepting it and the worker recording it** — at most one batch (``batch``) per crash.
A batch is claimed (``sending``, with ``claimed_at`` and ``claimed_by``) in a transaction before it goes, and
recorded (``sent``, with its ``contact_events``) in one transaction once the SMTP server or the webhook
receiver has accepted or refused each of its messages. A worker that dies leaves its claimed rows ``sending``; they are claimed
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from patron.act import links, rules
from patron.store import Store

BACKOFF_CAP = 3600.0
#: An idle worker looks for due messages after ``poll`` seconds, then twice as long each time it finds none, up
#: to this; a launch, a re-queue or a resumed campaign (:func:`notify`) wakes it at once.
IDLE_POLL_MAX = 10.0
#: How often a sleeping worker looks at its stop flag (seconds).
_STOP_LOOK = 0.25
#: The outbox rows due now (one parameter: now): queued, or failed and past their retry time, and not of a paused
#: or cancelled campaign.
_DUE = ("status IN ('queued', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
        "AND (campaign_id IS NULL OR campaign_id NOT IN (SELECT campaign_id FROM campaigns WHERE status IN "
        "('paused', 'cancelled')))")
#: Headers are not folded below RFC 5322's 998 characters: a folded List-Unsubscribe URL (a long token, no spaces)
#: would be sent as encoded words that mail clients do not read as a link.
MAIL_POLICY = policy.default.clone(max_line_length=998)
#: What :meth:`Worker.compose` writes as it is: printable ASCII headers, and ASCII text in lines SMTP takes.
_PLAIN_HEADER = re.compile(r"[ -~]{0,900}")
_PLAIN_BODY = re.compile(r"(?:[\t -~]{0,990}\n)*")


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
    #: Messages per second at most on one channel (``{"webhook": 5.0}``), over ``rate``.
    rates: dict[str, float] = field(default_factory=dict)
    batch: int = 500
    #: SMTP connections open at the same time, each sending its share of a batch in a thread of its own: one
    #: connection waits for the server's four replies to every message, several overlap those waits (5,000
    #: messages to aiosmtpd on 2 cores: 440/s with one connection, see docs/delivery.md for four).
    smtp_connections: int = 4
    #: Webhooks posted at the same time.
    webhook_workers: int = 4
    max_attempts: int = 6
    #: The first retry waits this long; each next one twice as long (at most an hour).
    backoff: float = 30.0
    #: A ``sending`` row claimed longer ago than this (seconds) was left by a dead worker (PostgreSQL).
    reclaim_after: float = 300.0
    webhook_timeout: float = 10.0
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}")

    @classmethod
    def load(cls, store: Store, **overrides) -> DeliveryConfig:
        """Settings rows ``smtp.host``, ``smtp.port``, ``smtp.starttls``, ``smtp.username``, ``smtp.from``, ``smtp.connections``,
        ``public_url``, ``delivery.rate``, ``delivery.rate.<channel>``, ``delivery.batch``, ``delivery.max_attempts``, ``delivery.backoff``; then ``PATRON_SMTP_HOST``,
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
            rates={name.removeprefix("delivery.rate."): float(value) for name, value in values.items()
                   if name.startswith("delivery.rate.")},
            batch=int(values.get("delivery.batch", 500)),
            smtp_connections=int(values.get("smtp.connections", 4)),
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

    def send(self, message: EmailMessage | bytes, recipient: str) -> None:
        """Send one message (an :class:`EmailMessage`, or its bytes as :meth:`Worker.compose` makes them)."""
        smtp = self.connect()
        try:
            if isinstance(message, bytes):
                smtp.sendmail(self.config.sender, [recipient], message)
            else:
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


class MailerPool:
    """``smtp_connections`` :class:`Mailer` s, each used by one thread at a time: a batch's emails are dealt
    out among them and sent side by side (a thread waiting for the server's reply releases the GIL)."""

    def __init__(self, config: DeliveryConfig) -> None:
        self.mailers = [Mailer(config) for _ in range(max(1, int(config.smtp_connections)))]
        self._threads: ThreadPoolExecutor | None = None

    def send_all(self, jobs: list, send_one) -> list:
        """``send_one(mailer, job)`` for every job, the jobs dealt out in turn among the connections; the results
        in the jobs' order. ``send_one`` catches its own failures (it returns what happened)."""
        return self.start_all(jobs, send_one)()

    def start_all(self, jobs: list, send_one):
        """Start sending ``jobs`` as :meth:`send_all` does, in the pool's threads, and return at once a function
        that waits for them and returns their results (the caller claims and checks the next batch meanwhile)."""
        if not jobs:
            return list
        if self._threads is None:
            self._threads = ThreadPoolExecutor(max_workers=len(self.mailers), thread_name_prefix="patron-smtp")
        shares = [jobs[k::len(self.mailers)] for k in range(len(self.mailers))]
        futures = [self._threads.submit(lambda mailer, share: [send_one(mailer, job) for job in share], mailer, share)
                   for mailer, share in zip(self.mailers, shares) if share]

        def results() -> list:
            done: list = [None] * len(jobs)
            for k, future in enumerate(futures):
                done[k::len(self.mailers)] = future.result()
            return done
        return results

    def close(self) -> None:
        for mailer in self.mailers:
            mailer.close()
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None


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


@dataclass
class Record:
    """What happened to one batch, written in one transaction at its end (:meth:`Worker.record`)."""

    sent: list[tuple] = field(default_factory=list)       # (message_id, sent_at)
    blocked: list[tuple] = field(default_factory=list)    # (message_id, reason)
    deferred: list[tuple] = field(default_factory=list)   # (message_id, next_attempt_at, reason)
    failed: list[tuple] = field(default_factory=list)     # (message_id, status, attempts, next_attempt_at, error)
    events: list[tuple] = field(default_factory=list)     # contact_events rows, as EVENT_COLUMNS
    outcome: Outcome = field(default_factory=Outcome)

    def event(self, row: dict, kind: str, detail: str | None, at: dt.datetime, party_id=...) -> None:
        self.events.append((row["party_id"] if party_id is ... else party_id, row["message_id"], row["campaign_id"],
                            row["channel"], kind, detail, at))

    def block(self, row: dict, reason: str, at: dt.datetime) -> None:
        self.blocked.append((row["message_id"], reason))
        self.event(row, "blocked", reason, at)
        self.outcome.blocked += 1


EVENT_COLUMNS = ("party_id", "message_id", "campaign_id", "channel", "kind", "detail", "occurred_at")
#: Rows per statement when a batch is recorded (a VALUES list of this many rows at most).
RECORD_CHUNK = 500


def _event_rows(events: list[tuple]):
    """``contact_events`` rows as Arrow, appended in bulk (a VALUES list of 500 rows with 3,500 parameters took
    DuckDB 90 ms to plan; Arrow takes a few)."""
    import pyarrow as pa

    columns = list(zip(*events))
    types = (pa.int64(), pa.int64(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.timestamp("us"))
    arrays = [pa.array(values, type=kind) for values, kind in zip(columns, types)]
    arrays.append(pa.array(["delivery"] * len(events), type=pa.string()))
    return pa.table(arrays, names=[*EVENT_COLUMNS, "recorded_by"])


@dataclass
class _Batch:
    """One claimed batch on its way: its record, its webhooks and its composed emails, then their results."""

    record: Record
    hooks: list[dict]
    mails: list[tuple]    # (row, message, Message-ID)
    posting: list[tuple] = field(default_factory=list)   # (row, future of the POST)
    results: object = None   # waits for the emails' (failure, at), as MailerPool.start_all returns it


def _chunks(rows: list, size: int = RECORD_CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Worker:
    """Claims due rows of ``outbox`` in batches and delivers them (``run`` or ``run_once``).

    A batch is claimed in one transaction, checked against the gate with one set-based query per channel
    and purpose, sent (emails dealt out over a pool of reused SMTP connections, webhooks a few at a time on a
    small pool),
    and recorded in one transaction: the statuses of ``outbox`` and the ``contact_events``. A batch holds
    at most one message per person and channel, so a second message to the same person is checked in a
    later batch, against the first one's ``sent`` event (the frequency caps).
    """

    def __init__(self, store: Store, config: DeliveryConfig) -> None:
        self.store = store
        self.config = config
        self.mailers = MailerPool(config)
        self._pace_lock = threading.Lock()
        self.secret = links.link_secret(store)
        self._next_slot: dict[str, float] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._claims = 0

    # -- claiming --------------------------------------------------------------------------------------------
    def reclaim(self, now: dt.datetime, everything: bool = False) -> int:
        """Put back ``sending`` rows of dead workers (all of them on a DuckDB file: one process writes it)."""
        cutoff = now if everything else now - dt.timedelta(seconds=self.config.reclaim_after)
        with self.store.transaction():
            return self.store.changed(
                "UPDATE outbox SET status = 'queued', claimed_at = NULL, claimed_by = NULL WHERE status = 'sending' "
                "AND claimed_at <= ?", [cutoff])

    def due(self, now: dt.datetime) -> bool:
        """Whether any message is due now: one read, no transaction.

        An idle worker asks this every tick instead of claiming: a claim is a write transaction, which takes
        DuckDB's write lock and ends every :meth:`Store.stable` answer of the process (an API token's user,
        the current run), even when it claims nothing.
        """
        return bool(self.store.query(f"SELECT 1 FROM outbox WHERE {_DUE} LIMIT 1", [now]))

    def claim(self, now: dt.datetime) -> list[dict]:
        """Claim up to ``batch`` due messages, the first of each person and channel, in one transaction
        (none, and no transaction, when nothing is due: :meth:`due`).

        Only the first ``4 × batch`` due messages (by ``message_id``, a top-N, not a window over the whole
        queue) are looked at; a person's first due message is always among them when a later one is. A person
        and channel with a message still ``sending`` (the batch in hand, or another worker's) waits.
        """
        if not self.due(now):
            return []
        batch = int(self.config.batch)
        self._claims += 1
        claim = f"{self.config.worker}/{self._claims}"  # this claim's own mark: the batch before may still be sending
        with self.store.transaction():
            self.store.changed(
                "UPDATE outbox SET status = 'sending', claimed_at = ?, claimed_by = ? WHERE message_id IN ("
                "SELECT message_id FROM (SELECT message_id, party_id, channel, row_number() OVER (PARTITION BY "
                "CASE WHEN channel = 'webhook' OR party_id IS NULL THEN -message_id ELSE party_id END, channel "
                "ORDER BY message_id) AS nth FROM (SELECT message_id, party_id, channel FROM outbox "
                f"WHERE {_DUE} ORDER BY message_id LIMIT {4 * batch}) due) first "
                "WHERE nth = 1 AND (channel = 'webhook' OR party_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox s "
                "WHERE s.status = 'sending' AND s.party_id = first.party_id AND s.channel = first.channel)) "
                f"ORDER BY message_id LIMIT {batch}) "
                "AND status IN ('queued', 'failed')", [now, claim, now])
            return self.store.records(
                "SELECT o.message_id, o.idempotency_key, o.campaign_id, o.party_id, o.channel, o.purpose, o.subject, "
                "o.body, o.payload, o.attempts, coalesce(o.recipient, p.email) AS recipient, p.time_zone "
                "FROM outbox o LEFT JOIN parties p ON p.party_id = o.party_id WHERE o.status = 'sending' "
                "AND o.claimed_by = ? ORDER BY o.message_id", [claim])

    # -- recording -------------------------------------------------------------------------------------------
    def _update_each(self, assignments: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """``UPDATE outbox SET assignments`` from a VALUES list of ``(message_id, *columns)``."""
        width = 1 + len(columns)
        for chunk in _chunks(rows):
            values = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
            self.store.raw.execute(
                f"UPDATE outbox SET {assignments} FROM (VALUES {values}) AS v(id, {', '.join(columns)}) "
                "WHERE outbox.message_id = v.id", [x for row in chunk for x in row])

    def record(self, record: Record) -> None:
        """Everything one batch did, in one transaction: the outbox rows and their contact events."""
        with self.store.transaction():
            if record.sent:
                self._update_each("status = 'sent', sent_at = CAST(v.t AS TIMESTAMP), attempts = outbox.attempts + 1, "
                                  "reason = NULL, last_error = NULL, claimed_at = NULL, claimed_by = NULL",
                                  ("t",), record.sent)
            if record.blocked:
                self._update_each("status = 'blocked', reason = CAST(v.why AS VARCHAR), claimed_at = NULL, "
                                  "claimed_by = NULL", ("why",), record.blocked)
            if record.deferred:
                self._update_each("status = 'queued', next_attempt_at = CAST(v.t AS TIMESTAMP), "
                                  "reason = CAST(v.why AS VARCHAR), claimed_at = NULL, claimed_by = NULL",
                                  ("t", "why"), record.deferred)
            if record.failed:
                self._update_each("status = CAST(v.st AS VARCHAR), attempts = CAST(v.n AS INTEGER), "
                                  "next_attempt_at = CAST(v.t AS TIMESTAMP), last_error = CAST(v.err AS VARCHAR), "
                                  "claimed_at = NULL, claimed_by = NULL", ("st", "n", "t", "err"), record.failed)
            if record.events:
                self.store.insert_rows("contact_events", _event_rows(record.events))

    def _fail(self, record: Record, row: dict, error: str, at: dt.datetime) -> None:
        """A failed attempt: retried after a backoff that doubles, or parked as ``dead`` after the last one."""
        attempts = int(row["attempts"]) + 1
        if attempts >= self.config.max_attempts:
            status, retry = "dead", None
            record.outcome.dead += 1
        else:
            status = "failed"
            retry = at + dt.timedelta(seconds=min(BACKOFF_CAP, self.config.backoff * 2 ** (attempts - 1)))
            record.outcome.retried += 1
        record.failed.append((row["message_id"], status, attempts, retry, error[:1000]))

    # -- sending ---------------------------------------------------------------------------------------------
    def _pace(self, channel: str) -> None:
        """At most ``rate`` messages a second on each channel (``delivery.rate.<channel>``, else ``rate``)."""
        rate = self.config.rates.get(channel, self.config.rate)
        if rate > 0:
            with self._pace_lock:  # the SMTP threads take their slots one after the other
                now = time.monotonic()
                slot = self._next_slot.get(channel, now)
                self._next_slot[channel] = max(now, slot) + 1.0 / rate
            if slot > now:
                time.sleep(slot - now)

    def email(self, row: dict, url: str) -> EmailMessage:
        """The message for ``row`` built by the ``email`` package (which encodes and folds what needs it)."""
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

    def compose(self, row: dict) -> tuple[EmailMessage | bytes, str]:
        """The message for ``row`` and its Message-ID.

        A plain-ASCII message (most are) is written directly as its bytes, which costs a tenth of what the
        ``email`` package takes to build and flatten one; anything else (an accent in the subject or the text,
        a line longer than SMTP allows) goes through the ``email`` package (:meth:`email`), which encodes it.
        """
        token = links.unsubscribe_token(self.secret, row["party_id"] or 0, row["channel"], row["purpose"],
                                        row["message_id"])
        url = f"{self.config.public_url}/unsubscribe/{token}"
        message_id = message_id_header(row["idempotency_key"])
        headers = (("From", self.config.sender), ("To", row["recipient"]), ("Subject", row["subject"] or ""),
                   ("Date", formatdate(usegmt=True)), ("Message-ID", message_id),
                   ("X-Patron-Idempotency-Key", row["idempotency_key"]), ("List-Unsubscribe", f"<{url}>"),
                   ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        body = f"{row['body'] or ''}\n\n--\nTo stop receiving these emails: {url}\n".replace("\r\n", "\n")
        plain = all(_PLAIN_HEADER.fullmatch(value) for _, value in headers) and _PLAIN_BODY.fullmatch(body)
        if not plain:
            return self.email(row, url), message_id
        text = "".join(f"{name}: {value}\r\n" for name, value in headers)
        text += ('MIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\n'
                 "Content-Transfer-Encoding: 7bit\r\n\r\n") + body.replace("\n", "\r\n")
        return text.encode("ascii"), message_id

    def _post(self, row: dict) -> dt.datetime:
        post_webhook(row["recipient"] or "", (row["payload"] or "{}").encode(), row["idempotency_key"], self.secret,
                     self.config.webhook_timeout)
        return utcnow()

    def _gate(self, rows: list[dict], now: dt.datetime, record: Record) -> list[dict]:
        """The rows that may go now; the others blocked (with why) or deferred (quiet hours) in ``record``."""
        gate = rules.GateConfig.load(self.store)
        by_rule: dict[tuple, list[int]] = defaultdict(list)
        for row in rows:
            if row["party_id"] is not None:
                by_rule[(row["channel"], row["purpose"])].append(row["party_id"])
        blocked = {rule: rules.blocks(self.store, ids, channel=rule[0], purpose=rule[1], at=now, config=gate)
                   for rule, ids in by_rule.items()}
        bounced = rules.addresses_bounced(self.store, [r["recipient"] for r in rows
                                                       if r["channel"] == "email" and r["recipient"]])
        going = []
        for row in rows:
            reason = blocked.get((row["channel"], row["purpose"]), {}).get(row["party_id"])
            if reason is None and row["channel"] == "email":
                reason = ("no email address" if not row["recipient"]
                          else bounced.get(row["recipient"].strip().lower()))
            if reason is None and row["channel"] not in ("email", "webhook"):
                reason = f"patron cannot deliver on {row['channel']} yet (email and webhooks only)"
            if reason:
                record.block(row, reason, now)
                continue
            if row["channel"] != "webhook" and row["party_id"] is not None:
                tz = rules.zone(row["time_zone"], gate.time_zone)
                quiet = gate.quiet_hours.get(row["channel"])
                until = rules.next_allowed(now, quiet, tz)
                if until is not None:
                    record.deferred.append((row["message_id"], until,
                                            f"deferred: quiet hours {quiet[0]:%H:%M}-{quiet[1]:%H:%M} in {tz.key}"))
                    record.outcome.deferred += 1
                    continue
            going.append(row)
        return going

    def deliver(self, rows: list[dict], now: dt.datetime) -> Outcome:
        """Check, send and record one claimed batch; what happened to it."""
        return self._finish(self._start(self._prepare(rows, now)))

    def _prepare(self, rows: list[dict], now: dt.datetime) -> _Batch:
        """The gate and the composing of one claimed batch: what may go, as messages ready to send."""
        record = Record()
        going = self._gate(rows, now, record)
        return _Batch(record, [row for row in going if row["channel"] == "webhook"],
                      [(row, *self.compose(row)) for row in going if row["channel"] == "email"])

    def _start(self, batch: _Batch) -> _Batch:
        """Start sending a prepared batch in the pools' threads (returns at once)."""
        if batch.hooks:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=max(1, self.config.webhook_workers),
                                                thread_name_prefix="patron-webhook")
            for row in batch.hooks:
                self._pace("webhook")
                batch.posting.append((row, self._pool.submit(self._post, row)))
        batch.results = self.mailers.start_all(batch.mails, self._send_one)
        return batch

    def _wait(self, batch: _Batch) -> _Batch:
        """Wait until every message of a started batch was accepted or refused, and note what happened."""
        record = batch.record
        for (row, _, message_id), (failure, at) in zip(batch.mails, batch.results()):
            if isinstance(failure, PermanentFailure):
                address = row["recipient"].strip().lower()
                for party_id in self._parties_with(address) or [None]:
                    record.event(row, "bounce", f"hard {address}", at, party_id=party_id)
                record.block(row, f"the address {row['recipient']} was refused: {failure}", at)
            elif isinstance(failure, TransientFailure):
                self._fail(record, row, str(failure), at)
            else:
                record.sent.append((row["message_id"], at))
                record.event(row, "sent", message_id, at)
                record.outcome.sent += 1
        for row, future in batch.posting:
            try:
                at = future.result()
            except TransientFailure as exc:
                self._fail(record, row, str(exc), utcnow())
                continue
            record.sent.append((row["message_id"], at))
            record.event(row, "sent", row["idempotency_key"], at)
            record.outcome.sent += 1
        return batch

    def _finish(self, batch: _Batch) -> Outcome:
        self._wait(batch)
        self.record(batch.record)
        return batch.record.outcome

    def _pipeline(self, more, on_batch=None) -> Outcome:
        """Deliver batch after batch while ``more()`` says so, two batches in hand at a time.

        While batch N is being sent (in the SMTP threads), this thread claims, checks and composes batch N+1;
        when N's last message is answered, N+1 starts to go and N is recorded. So the store's work overlaps the
        SMTP server's, and a crash can leave two batches sent but not recorded (docs/delivery.md). A claim
        never takes a person and channel with a message still ``sending``: N+1 is checked against N's caps
        only after N is recorded, when that person is claimed again.
        """
        total, sending = Outcome(), None
        while True:
            rows = self.claim(utcnow()) if more() else []
            if not rows and sending is None:
                return total
            ready = self._prepare(rows, utcnow()) if rows else None
            done = self._wait(sending) if sending is not None else None
            sending = self._start(ready) if ready is not None else None
            if done is not None:
                self.record(done.record)
                total.add(done.record.outcome)
                if on_batch:
                    on_batch(done.record.outcome)

    def _send_one(self, mailer: Mailer, mail: tuple) -> tuple[Exception | None, dt.datetime]:
        """Send one composed mail on ``mailer`` (in one of the pool's threads): its failure or None, and when."""
        row, message, _ = mail
        self._pace("email")
        try:
            mailer.send(message, row["recipient"])
        except (PermanentFailure, TransientFailure) as exc:
            return exc, utcnow()
        return None, utcnow()

    def _parties_with(self, address: str) -> list[int]:
        return [r[0] for r in self.store.query("SELECT party_id FROM parties WHERE lower(trim(email)) = ?", [address])]

    def run_once(self, limit: int | None = None) -> Outcome:
        """Deliver everything due now (or, with ``limit``, whole batches until that many messages were handled),
        batch after batch; return what happened."""
        if limit is None:
            return self._pipeline(lambda: True)
        handled = [0]

        def note(outcome: Outcome) -> None:
            handled[0] += outcome.sent + outcome.blocked + outcome.deferred + outcome.retried + outcome.dead
        return self._pipeline(lambda: handled[0] < limit, note)

    def run(self, stop: threading.Event, poll: float = 1.0, on_batch=None,
            poll_max: float = IDLE_POLL_MAX) -> Outcome:
        """Deliver until ``stop`` is set. When idle, look for due messages after ``poll`` seconds, then twice as
        long each time none is found, up to ``poll_max``; back to ``poll`` when work appears or :func:`notify`
        says messages were queued (which also wakes it at once).

        ``stop`` is looked at between batches: the batches in hand are sent and recorded first, so stopping
        loses nothing and leaves nothing ``sending``.
        """
        total, wait = Outcome(), poll
        with _listening(self.store) as woken:
            while not stop.is_set():
                woken.clear()  # a notice from here on wakes the sleep below
                outcome = self._pipeline(lambda: not stop.is_set(), on_batch)
                total.add(outcome)
                busy = outcome.sent or outcome.blocked or outcome.deferred or outcome.retried or outcome.dead
                if busy or _sleep(stop, woken, wait):  # work found, or a notice came: look again soon
                    wait = poll
                else:
                    wait = min(wait * 2, max(poll_max, poll))
        return total

    def close(self) -> None:
        self.mailers.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


#: The wake-up events of the workers running in this process, by store location (:func:`notify`).
_WORKERS: dict[str, set[threading.Event]] = defaultdict(set)
_WORKERS_LOCK = threading.Lock()


@contextmanager
def _listening(store: Store):
    """An event :func:`notify` sets while the block runs (a worker's :meth:`Worker.run`)."""
    woken = threading.Event()
    with _WORKERS_LOCK:
        _WORKERS[store.url.location].add(woken)
    try:
        yield woken
    finally:
        with _WORKERS_LOCK:
            _WORKERS[store.url.location].discard(woken)


def _sleep(stop: threading.Event, woken: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds``, until ``stop`` or ``woken`` is set; whether ``woken`` ended it."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if woken.wait(min(left, _STOP_LOOK)):
            return True
    return False


def notify(store: Store) -> None:
    """Messages were queued on ``store`` (a launch, a re-queue, a resumed campaign): the idle workers of this
    process look for them now rather than at the end of their back-off. Call it once the transaction committed."""
    with _WORKERS_LOCK:
        events = list(_WORKERS.get(store.url.location, ()))
    for woken in events:
        woken.set()


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


