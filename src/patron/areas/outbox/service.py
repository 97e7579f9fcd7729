"""The outbox's use cases: what is queued, sent and blocked; the dead letters; bounces, complaints, unsubscribes."""

from __future__ import annotations

import json
import logging
import threading

from patron.act import delivery, links
from patron.errors import InvalidInput, NotFound
from patron.service import audit
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import OUTBOX_STATUSES

log = logging.getLogger("patron.delivery")
COLUMNS = ("message_id, idempotency_key, campaign_id, party_id, channel, purpose, recipient, subject, status, reason, "
           "attempts, next_attempt_at, last_error, created_at, sent_at")


def _require(user: User | None, action: str) -> None:
    if user is not None:  # None: the local operator at the command line
        user.require(action)


def status_counts(store: Store, user: User | None) -> dict[str, int]:
    _require(user, "outbox.read")
    found = dict(store.query("SELECT status, count(*) FROM outbox GROUP BY status"))
    return {status: int(found.get(status, 0)) for status in OUTBOX_STATUSES}


def messages(store: Store, user: User | None, *, status: str | None = None, limit: int = 100) -> list[dict]:
    """The newest messages, optionally of one status (``blocked`` ones with their reason)."""
    _require(user, "outbox.read")
    if status is not None and status not in OUTBOX_STATUSES:
        raise InvalidInput(f"Unknown status '{status}'. Statuses: {', '.join(OUTBOX_STATUSES)}.")
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return store.records(f"SELECT {COLUMNS} FROM outbox {where} ORDER BY message_id DESC LIMIT {int(limit)}", params)


def requeue(store: Store, user: User | None, message_id: int) -> dict:
    """Send a dead (or failed) message again, from its first attempt; audited."""
    _require(user, "outbox.manage")
    with store.transaction():
        found = store.records("SELECT status FROM outbox WHERE message_id = ?", [message_id])
        if not found:
            raise NotFound(f"There is no message {message_id} in the outbox.")
        if found[0]["status"] not in ("dead", "failed"):
            raise InvalidInput(f"Message {message_id} is {found[0]['status']}: only dead or failed messages can be "
                               "re-queued.")
        store.raw.execute("UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = NULL, "
                          "claimed_at = NULL, claimed_by = NULL WHERE message_id = ?", [message_id])
        audit.record(store, user, "outbox.requeue", "message", message_id, {"was": found[0]["status"]})
    delivery.notify(store)
    return messages_by_id(store, message_id)


#: The settings an admin sets on /outbox: (name, what it is, default, smallest, largest, a whole number).
DELIVERY_SETTINGS = (
    ("smtp.connections", "SMTP connections sending side by side", 4, 1, 32, True),
    ("delivery.batch", "Messages claimed and checked at a time", 500, 1, 5000, True),
    ("triggers.keep_days", "Days a trigger evaluation that started nothing is kept", 30, 0, 3650, False),
)


def delivery_settings(store: Store, user: User | None) -> list[dict]:
    """The delivery settings with their current values (``settings`` rows, else the defaults)."""
    _require(user, "outbox.read")
    found = {r["name"]: r["value"] for r in store.records(
        "SELECT name, value FROM settings WHERE name IN (?, ?, ?)", [name for name, *_ in DELIVERY_SETTINGS])}
    return [{"name": name, "label": label, "value": found.get(name, str(default)), "default": default,
             "low": low, "high": high, "whole": whole} for name, label, default, low, high, whole in DELIVERY_SETTINGS]


def set_delivery_settings(store: Store, user: User | None, values: dict[str, str]) -> list[dict]:
    """Keep the delivery settings given (an admin's; audited), each checked first; an empty value goes back to
    the default. Nothing is kept when one is wrong. A running worker reads them when it next starts."""
    _require(user, "outbox.manage")
    known = {name: (label, low, high, whole) for name, label, _, low, high, whole in DELIVERY_SETTINGS}
    changes: dict[str, str | None] = {}
    for name, text in values.items():
        if name not in known:
            raise InvalidInput(f"There is no delivery setting '{name}'. Settings: {', '.join(known)}.")
        label, low, high, whole = known[name]
        text = (text or "").strip()
        if not text:
            changes[name] = None
            continue
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            raise InvalidInput(f"{label} ({name}): a {'whole ' if whole else ''}number from {low} to {high}, "
                               f"not '{text}'.") from None
        if not low <= number <= high:
            raise InvalidInput(f"{label} ({name}): from {low} to {high}, not {text}.")
        changes[name] = str(number)
    audit.change_settings(store, user, changes, {"changes": changes})
    return delivery_settings(store, user)


def messages_by_id(store: Store, message_id: int) -> dict:
    found = store.records(f"SELECT {COLUMNS} FROM outbox WHERE message_id = ?", [message_id])
    if not found:
        raise NotFound(f"There is no message {message_id} in the outbox.")
    return found[0]


def record_event(store: Store, user: User | None, *, kind: str, email: str | None = None,
                 party_id: int | None = None, channel: str = "email", hard: bool = True,
                 note: str | None = None) -> int:
    """A bounce (of an address), a complaint or an unsubscribe (of a person on a channel); how many parties it hit."""
    _require(user, "contact_events.write")
    who = getattr(user, "username", None) or "operator"
    if kind == "bounce":
        if not email or "@" not in email:
            raise InvalidInput("A bounce needs the email address that bounced.")
        return delivery.record_bounce(store, email, hard=hard, note=note, recorded_by=who)
    if kind not in ("complaint", "unsubscribe"):
        raise InvalidInput(f"Patron records bounces, complaints and unsubscribes, not '{kind}'.")
    if party_id is None:
        if not email:
            raise InvalidInput(f"A {kind} needs the person: their email or their party id.")
        ids = [r[0] for r in store.query("SELECT party_id FROM parties WHERE lower(trim(email)) = ?",
                                         [email.strip().lower()])]
        if not ids:
            raise NotFound(f"Nobody has the email address {email}.")
    else:
        ids = [party_id]
    now = delivery.utcnow()
    with store.transaction():
        for pid in ids:
            store.raw.execute("INSERT INTO contact_events (party_id, channel, kind, detail, occurred_at, recorded_by) "
                              "VALUES (?, ?, ?, ?, ?, ?)", [pid, channel, kind, note, now, who])
    return len(ids)


def unsubscribe(store: Store, token: str) -> dict:
    """Honour an unsubscribe link at once (no sign-in: the signature is the proof); what was unsubscribed."""
    data = links.read_unsubscribe_token(links.link_secret(store), token)
    now = delivery.utcnow()
    with store.transaction():
        store.raw.execute(
            "INSERT INTO contact_events (party_id, message_id, channel, kind, detail, occurred_at, recorded_by) "
            "VALUES (?, ?, ?, 'unsubscribe', ?, ?, 'unsubscribe link')",
            [data["p"], data["m"], data["c"], data.get("u"), now])
    return {"channel": data["c"], "purpose": data.get("u"), "at": now}


def bounces_from_file(store: Store, user: User | None, path, *, hard: bool = True) -> tuple[int, int]:
    """Bounced addresses, one a line (or the first column of a CSV): how many addresses, how many parties."""
    addresses, parties = 0, 0
    with open(path, encoding="utf-8") as lines:
        found = [line.split(",")[0].strip().strip('"') for line in lines]
    for address in found:
        if "@" in address:
            addresses += 1
            parties += record_event(store, user, kind="bounce", email=address, hard=hard)
    return addresses, parties


def send(store: Store, user: User | None, *, loop: bool = False, stop=None, on_batch=None,
         **options) -> delivery.Outcome:
    """Deliver the due messages (once, or until ``stop`` is set); ``options`` override the delivery settings."""
    _require(user, "outbox.manage")
    worker = delivery.start(store, delivery.DeliveryConfig.load(store, **options))
    try:
        return worker.run(stop, on_batch=on_batch) if loop else worker.run_once()
    finally:
        worker.close()


class BackgroundDelivery:
    """The outbox worker of ``patron serve``: a thread that delivers due messages while the service runs.

    It works on a cursor of the service's store (a DuckDB file has one writing process: the service's). It
    looks at its stop flag between batches, so :meth:`stop` lets the batch in hand be sent and recorded: a
    stop (SIGTERM to the service) loses no message and leaves none ``sending``. An error of the store is
    logged and the worker tries again after ``pause`` seconds; failures of the SMTP server or a webhook
    receiver are the messages' own (retried with backoff, then dead).
    """

    def __init__(self, store: Store, options: dict, *, poll: float = 1.0, pause: float = 5.0) -> None:
        self.options = {k: v for k, v in options.items() if v is not None}
        self.poll, self.pause = poll, pause
        self.total = delivery.Outcome()
        self._stop = threading.Event()
        self._store = store.cursor()
        self._thread = threading.Thread(target=self._run, name="patron-delivery", daemon=True)

    def start(self) -> BackgroundDelivery:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worker = delivery.start(self._store, delivery.DeliveryConfig.load(self._store, **self.options))
                try:
                    worker.run(self._stop, poll=self.poll, on_batch=self.total.add)
                finally:
                    worker.close()
            except Exception:  # the thread outlives a failed batch: log it, wait, go on
                log.exception("delivery stopped on an error; trying again in %s s", self.pause)
                self._stop.wait(self.pause)

    def stop(self, timeout: float | None = 120.0) -> None:
        """Finish the batch in hand, record it, and stop."""
        self._stop.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._store.close()


def deliver_in_background(store: Store, options: dict | str | None) -> BackgroundDelivery | None:
    """Start the service's outbox worker with ``options`` (a dict, or its JSON as ``PATRON_DELIVERY`` holds
    it: ``{"smtp_host": ..., "smtp_port": ...}``, the names of :class:`~patron.act.delivery.DeliveryConfig`);
    None or ``"off"``: no worker."""
    if options in (None, "", "off"):
        return None
    if isinstance(options, str):
        try:
            options = json.loads(options)
        except ValueError as exc:
            raise InvalidInput(f"PATRON_DELIVERY is not JSON ({exc}); write it like "
                               '{"smtp_host": "localhost", "smtp_port": 25}, or "off".')
    unknown = set(options) - set(delivery.DeliveryConfig.__dataclass_fields__)
    if unknown:
        raise InvalidInput(f"PATRON_DELIVERY: unknown setting(s) {', '.join(sorted(unknown))}.")
    return BackgroundDelivery(store, options).start()
