"""Signed links and signatures: the unsubscribe link in every email, and the HMAC on every webhook.

Both use a secret kept by the store (``settings`` row ``secret.links``, made on first use), or the environment's
``PATRON_LINK_SECRET`` when set, so the worker that signs and the web service that checks agree without
sharing a process.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
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


#: The compact token's mark: ``u1.<payload>.<mac>``. Tokens made before it (itsdangerous, ``<payload>.<sig>``,
#: a base64 JSON payload that never starts with ``u1.``) are still read, so an old email's link keeps working.
COMPACT = "u1."
_ALTERED = ("This unsubscribe link is not valid: it was altered or cut short. Use the link of the message exactly "
            "as it came, or reply to the message to unsubscribe.")


@functools.lru_cache(maxsize=8)
def _compact_key(secret: str):
    """An HMAC-SHA256 keyed once per secret (each token copies it: a few microseconds instead of a key setup)."""
    return hmac.new(hashlib.sha256(b"patron-unsubscribe-v1:" + secret.encode()).digest(), digestmod=hashlib.sha256)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mac(secret: str, payload: str) -> str:
    mac = _compact_key(secret).copy()
    mac.update(payload.encode("ascii"))
    return _b64(mac.digest()[:16])  # 128 bits: forging one still takes 2^128 guesses


def unsubscribe_token(secret: str, party_id: int, channel: str, purpose: str | None, message_id: int) -> str:
    """A token naming who unsubscribes from what; it never expires (an old email's link must still work).

    ``u1.<base64url of "party|message|channel|purpose">.<base64url of a 128-bit HMAC-SHA256>``: about 4 µs to
    make, against about 35 µs for the JSON token of itsdangerous that links carried before (still honoured).
    """
    payload = _b64(f"{int(party_id)}|{int(message_id)}|{channel}|{purpose or ''}".encode())
    return f"{COMPACT}{payload}.{_mac(secret, payload)}"


def _read_compact(secret: str, token: str) -> dict:
    payload, _, mac = token[len(COMPACT):].partition(".")
    if not payload or not hmac.compare_digest(mac.encode(), _mac(secret, payload).encode()):
        raise InvalidInput(_ALTERED)
    try:
        party, message, channel, purpose = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) \
            .decode().split("|", 3)
        return {"p": int(party), "m": int(message), "c": channel, "u": purpose or None}
    except ValueError:
        raise InvalidInput("This unsubscribe link is not valid.") from None


def read_unsubscribe_token(secret: str, token: str) -> dict:
    """``{"p": party_id, "c": channel, "u": purpose, "m": message_id}``; a bad or altered token is refused.
    Reads the compact tokens and the older itsdangerous ones alike."""
    if token.startswith(COMPACT):
        return _read_compact(secret, token)
    try:
        data = _serializer(secret).loads(token)
    except BadSignature:
        raise InvalidInput(_ALTERED)
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
