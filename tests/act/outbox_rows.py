"""Rows for the delivery tests: people with consent, queued outbox messages (as the campaign producer writes them)."""

from __future__ import annotations

import datetime as dt

NOW = dt.datetime(2026, 12, 2, 12, 0)


def add_person(store, party_id: int, email: str, *, consent: bool | None = True, time_zone: str | None = None,
               purpose: str = "marketing") -> None:
    """A person with an email address and (unless None) a consent row for email and ``purpose``."""
    with store.transaction():
        store.raw.execute("INSERT INTO parties (party_id, name, email, time_zone, created_at) VALUES (?, ?, ?, ?, ?)",
                          [party_id, f"Person {party_id}", email, time_zone, NOW - dt.timedelta(days=400)])
        if consent is not None:
            store.raw.execute(
                "INSERT INTO consents (consent_id, source, external_id, party_id, channel, purpose, granted, "
                "recorded_at) VALUES (?, 'test', ?, ?, 'email', ?, ?, ?)",
                [store.next_id("consents", "consent_id"), f"c{party_id}", party_id, purpose, consent,
                 NOW - dt.timedelta(days=100)])


def queue(store, party_id: int | None, *, key: str, channel: str = "email", purpose: str | None = "marketing",
          subject: str = "Hello", body: str = "A message", recipient: str | None = None,
          payload: str | None = None) -> int:
    """One queued outbox row, as the campaign producer writes it."""
    with store.transaction():
        message_id = store.next_id("outbox", "message_id")
        store.raw.execute(
            "INSERT INTO outbox (message_id, idempotency_key, party_id, channel, purpose, recipient, subject, body, "
            "payload, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            [message_id, key, party_id, channel, purpose, recipient, subject, body, payload, NOW])
    return message_id


def no_quiet_hours(store) -> None:
    with store.transaction():
        store.raw.execute("INSERT INTO settings (name, value, updated_at) VALUES ('quiet_hours', 'none', ?)", [NOW])
