"""The outbox's use cases: what is queued, sent and blocked; the dead letters; bounces, complaints, unsubscribes."""

from __future__ import annotations

from patron.act import delivery, links
from patron.errors import InvalidInput, NotFound
from patron.service import audit
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import OUTBOX_STATUSES

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
    return messages_by_id(store, message_id)


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
