"""Offers and lists: the voucher codes a campaign issued, redeemed once each, and the named lists it filled.

A playbook's ``action.voucher`` (what the offer is) makes the launch issue one unique code per treated member
(``vouchers``; ``{voucher}`` in the subject or message is that person's code), valid ``voucher_days`` when given.
A code is redeemed once (``POST /api/v1/vouchers/{code}/redeem``, by whoever may change customer records: the
till, the shop, the service desk); a second redemption, an expired or an unknown code is refused with the reason,
and a redemption is recorded as the person's response to the campaign (``contact_events``).

``action.list`` adds the treated members to a named list (``list_members``); a list is an audience too
(``audience.list``).
"""

from __future__ import annotations

import datetime as dt

from patron.errors import Conflict, InvalidInput, NotFound
from patron.service.audit import record
from patron.store import Store

PAGE_SIZE = 50


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _clean(code: str) -> str:
    text = (code or "").strip().upper()
    if not text or len(text) > 64:
        raise InvalidInput("A voucher code is the code printed on the offer, e.g. K7QM-4TZP-8WHD.")
    return text


def get_voucher(store: Store, code: str) -> dict:
    rows = store.records("SELECT v.voucher_id, v.code, v.campaign_id, v.party_id, v.issued_at, v.expires_at, "
                         "v.redeemed_at, v.value, c.name AS campaign FROM vouchers v "
                         "LEFT JOIN campaigns c ON c.campaign_id = v.campaign_id WHERE v.code = ?", [_clean(code)])
    if not rows:
        raise NotFound(f"There is no voucher with the code {_clean(code)}.")
    return rows[0]


def redeem(store: Store, user, code: str, at: dt.datetime | None = None) -> dict:
    """Redeem a code once: refused (409) when it was redeemed before or has expired, 404 when unknown."""
    user.require("customers.write")
    at = at or _now()
    code = _clean(code)
    with store.transaction():
        voucher = get_voucher(store, code)
        if voucher["redeemed_at"] is not None:
            raise Conflict(f"The voucher {code} was redeemed already, on {voucher['redeemed_at']:%Y-%m-%d %H:%M}.")
        if voucher["expires_at"] is not None and voucher["expires_at"] < at:
            raise Conflict(f"The voucher {code} expired on {voucher['expires_at']:%Y-%m-%d}.")
        changed = store.changed("UPDATE vouchers SET redeemed_at = ? WHERE code = ? AND redeemed_at IS NULL", [at, code])
        if changed != 1:  # pragma: no cover - the transaction holds the write lock; kept as the last word
            raise Conflict(f"The voucher {code} was redeemed already.")
        store.raw.execute(
            "INSERT INTO contact_events (party_id, message_id, campaign_id, channel, kind, detail, occurred_at, "
            "recorded_by) VALUES (?, NULL, ?, NULL, 'response', ?, ?, ?)",
            [voucher["party_id"], voucher["campaign_id"], f"voucher {code} redeemed", at,
             getattr(user, "username", None)])
        record(store, user, "voucher.redeem", "voucher", int(voucher["voucher_id"]),
               {"code": code, "campaign_id": voucher["campaign_id"], "party_id": voucher["party_id"]})
    return get_voucher(store, code)


def vouchers_of_party(store: Store, party_id: int) -> list[dict]:
    return store.records("SELECT v.code, v.value, v.issued_at, v.expires_at, v.redeemed_at, v.campaign_id, "
                         "c.name AS campaign FROM vouchers v LEFT JOIN campaigns c ON c.campaign_id = v.campaign_id "
                         "WHERE v.party_id = ? ORDER BY v.issued_at DESC, v.voucher_id DESC", [party_id])


def vouchers_of_campaign(store: Store, campaign_id: int, limit: int = 20) -> dict:
    """How many codes a campaign issued and redeemed, and the latest redemptions."""
    issued, redeemed = store.query("SELECT count(*), count(redeemed_at) FROM vouchers WHERE campaign_id = ?",
                                   [campaign_id])[0]
    latest = store.records(
        "SELECT v.code, v.party_id, coalesce(p.name, '#' || CAST(v.party_id AS VARCHAR)) AS customer, v.redeemed_at "
        "FROM vouchers v LEFT JOIN parties p ON p.party_id = v.party_id WHERE v.campaign_id = ? "
        f"AND v.redeemed_at IS NOT NULL ORDER BY v.redeemed_at DESC LIMIT {int(limit)}", [campaign_id])
    value = store.scalar("SELECT min(value) FROM vouchers WHERE campaign_id = ?", [campaign_id])
    return {"issued": int(issued), "redeemed": int(redeemed), "value": value, "latest": latest}


# --- lists ------------------------------------------------------------------------------------------------

def lists(store: Store) -> list[dict]:
    """Every named list with its size and when someone was last added."""
    return store.records("SELECT list_name, count(*) AS members, max(added_at) AS last_added FROM list_members "
                         "GROUP BY list_name ORDER BY list_name")


def list_page(store: Store, name: str, *, page: int = 1, page_size: int = PAGE_SIZE) -> dict:
    """One list's members, newest first, a page at a time."""
    if page < 1 or not 1 <= page_size <= 500:
        raise InvalidInput("page is 1 or more, and page_size 1-500.")
    total = int(store.scalar("SELECT count(*) FROM list_members WHERE list_name = ?", [name]))
    if not total:
        raise NotFound(f"There is no list named '{name}'.")
    members = store.records(
        "SELECT l.party_id, coalesce(p.name, '#' || CAST(l.party_id AS VARCHAR)) AS customer, l.added_at, l.added_by, "
        "l.campaign_id FROM list_members l LEFT JOIN parties p ON p.party_id = l.party_id WHERE l.list_name = ? "
        f"ORDER BY l.added_at DESC, l.party_id LIMIT {int(page_size)} OFFSET {int((page - 1) * page_size)}", [name])
    return {"name": name, "members": members, "total": total, "page": page, "page_size": page_size,
            "pages": (total + page_size - 1) // page_size}


def lists_of_party(store: Store, party_id: int) -> list[dict]:
    return store.records("SELECT list_name, added_at, campaign_id FROM list_members WHERE party_id = ? "
                         "ORDER BY added_at DESC", [party_id])


def add_to_list(store: Store, user, name: str, party_ids: list[int]) -> int:
    """Add people to a list by hand (those on it already stay as they are); how many were added."""
    user.require("campaigns.launch")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InvalidInput("A list needs a name (at most 200 characters).")
    ids = sorted({int(i) for i in party_ids})
    if not ids:
        raise InvalidInput("Name at least one person (party id) to add to the list.")
    with store.transaction():
        known = {int(p) for (p,) in store.query(
            f"SELECT party_id FROM parties WHERE party_id IN ({', '.join(map(str, ids))})")}
        missing = [i for i in ids if i not in known]
        if missing:
            raise NotFound(f"There is no customer {', '.join(map(str, missing[:10]))}.")
        before = int(store.scalar("SELECT count(*) FROM list_members WHERE list_name = ?", [name]))
        store.raw.execute(
            "INSERT INTO list_members (list_name, party_id, added_at, added_by, campaign_id) "
            f"SELECT ?, p.party_id, ?, ?, NULL FROM parties p WHERE p.party_id IN ({', '.join(map(str, ids))}) "
            "AND NOT EXISTS (SELECT 1 FROM list_members l WHERE l.list_name = ? AND l.party_id = p.party_id)",
            [name, _now(), getattr(user, "username", None), name])
        added = int(store.scalar("SELECT count(*) FROM list_members WHERE list_name = ?", [name])) - before
        record(store, user, "list.add", "list", None, {"list": name, "added": added})
    return added
