"""Signed links and signatures: the unsubscribe link in every email, and the HMAC on every webhook.

Both use a secret kept by the store (``settings`` row ``secret.links``, made on first use), or the environment's
``PATRON_LINK_SECRET`` when set, so the worker that signs and the web service that checks agree without
sharing a process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from patron.errors import InvalidInput
from patron.store import Store

SECRET_SETTING = "secret.links"


def link_secret(store: Store) -> str:
    """The secret links and webhooks are signed with (made once, kept in ``settings``)."""
    if os.environ.get("PATRON_LINK_SECRET"):
        return os.environ["PATRON_LINK_SECRET"]
    found = store.query("SELECT value FROM settings WHERE name = ?", [SECRET_SETTING])
    if found:
        return found[0][0]
    with store.transaction():
        found = store.query("SELECT value FROM settings WHERE name = ?", [SECRET_SETTING])
        if found:
            return found[0][0]
        value = secrets.token_urlsafe(32)
        store.raw.execute("INSERT INTO settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, 'patron')",
                          [SECRET_SETTING, value, dt.datetime.now(dt.UTC).replace(tzinfo=None)])
    return value


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="patron-unsubscribe")


def unsubscribe_token(secret: str, party_id: int, channel: str, purpose: str | None, message_id: int) -> str:
    """A token naming who unsubscribes from what; it never expires (an old email's link must still work)."""
    return _serializer(secret).dumps({"p": int(party_id), "c": channel, "u": purpose, "m": int(message_id)})


def read_unsubscribe_token(secret: str, token: str) -> dict:
    """``{"p": party_id, "c": channel, "u": purpose, "m": message_id}``; a bad or altered token is refused."""
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        raise InvalidInput("This unsubscribe link is not valid: it was altered or cut short. Use the link of the "
                           "message exactly as it came, or reply to the message to unsubscribe.")
    if not isinstance(data, dict) or not {"p", "c", "m"} <= set(data):
        raise InvalidInput("This unsubscribe link is not valid.")
    return data


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``hex(HMAC-SHA256(secret, "<timestamp>." + body))``, as sent in ``X-Patron-Signature: t=<ts>,v1=<hex>``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: parse the header, recompute, compare in constant time, refuse stale timestamps."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(parts.get("v1", ""),
                                                                     webhook_signature(secret, timestamp, body))
