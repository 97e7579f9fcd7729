"""Privacy requests: everything patron holds about a person, exported; a person's personal data erased.

Export (the right of access): every row of every table that belongs to the party (the store's registry,
:mod:`patron.store.tables`, says which), its change history, its audit entries and the quarantined lines
that mention it, as one JSON document and one CSV per table in a ZIP archive.

Erase (the right to be forgotten): the party's personal fields emptied, free text about it (notes,
complaint descriptions, comments) removed, its keys replaced by one-way hashes, its history and the
quarantined lines that mention it removed, in one transaction. Its facts stay, anonymised, so that
revenue, counts and models stay right. The person is put on the suppression list (by the SHA-256 of their
keys, email and phone), which stops a later import bringing them back and any list contacting them. Both
are audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from patron.errors import Conflict, NotFound
from patron.service import audit
from patron.service.permissions import User
from patron.store import Store, picture, search_index
from patron.store.tables import TABLES

#: Fields of a party that say who the person is: emptied by an erasure.
PERSONAL = ("name", "email", "phone", "address", "postcode", "city", "birth_date", "job_title")
#: Free text about a party in its facts: removed by an erasure (the facts themselves stay).
FREE_TEXT = {"interactions": ("staff", "subject", "outcome", "notes"), "complaints": ("description", "resolution"),
             "feedback": ("text",), "transactions": (), "consents": ("evidence",)}
ERASED = "erased"


def sha256(value: str) -> str:
    """The hash a suppression keeps instead of a value (normalised: trimmed, lower case)."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def _party(store: Store, party_id: int) -> dict:
    found = store.records("SELECT * FROM parties WHERE party_id = ?", [party_id])
    if not found:
        raise NotFound(f"There is no customer {party_id}.")
    return found[0]


def _mentions(store: Store, party: dict, keys: list[str]) -> tuple[str, list]:
    """SQL condition on ``raw`` (a quarantined line): it mentions the person's key, email, phone or name."""
    needles = [v for v in (party.get("email"), party.get("phone"), party.get("name"), *keys) if v and len(v) >= 3]
    if not needles:
        return "FALSE", []
    return "(" + " OR ".join("position(? IN raw) > 0" for _ in needles) + ")", needles


def personal_data(store: Store, user: User | None, party_id: int) -> dict[str, list[dict]]:
    """Everything patron holds about one party, table by table."""
    if user is not None:
        user.require("privacy.requests")
    party = _party(store, party_id)
    out: dict[str, list[dict]] = {"parties": [party]}
    for table in TABLES:
        if table.party_column and table.name != "parties":
            out[table.name] = store.records(f"SELECT * FROM {table.name} WHERE {table.party_column} = ?",
                                            [party_id])
    keys = [r["source_key"] for r in out.get("identities", [])]
    condition, params = _mentions(store, party, keys)
    out["quarantine"] = store.records(f"SELECT * FROM quarantine WHERE {condition}", params)
    out["audit_log"] = store.records("SELECT * FROM audit_log WHERE entity = 'party' AND entity_id = ? "
                                     "ORDER BY happened_at", [party_id])
    return out


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def export_archive(store: Store, user: User | None, party_id: int) -> bytes:
    """The ZIP a person is given: ``personal_data.json`` and one CSV per table that holds something of theirs."""
    data = personal_data(store, user, party_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        plain = {t: [{k: _plain(v) for k, v in r.items()} for r in rows] for t, rows in data.items()}
        archive.writestr("personal_data.json", json.dumps(
            {"party_id": party_id, "exported_at": dt.datetime.now(dt.UTC).isoformat(), "tables": plain}, indent=2))
        for table, rows in plain.items():
            if rows:
                text = io.StringIO()
                writer = csv.DictWriter(text, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
                archive.writestr(f"{table}.csv", text.getvalue())
    with store.transaction():
        audit.record(store, user, "privacy.export", "party", party_id,
                     {"rows": sum(len(rows) for rows in data.values())})
    return buffer.getvalue()


@dataclass
class Erasure:
    party_id: int
    facts_anonymised: dict[str, int] = field(default_factory=dict)
    quarantine_removed: int = 0
    keys_hashed: int = 0


def erase(store: Store, user: User | None, party_id: int) -> Erasure:
    """Erase a person's personal data (see the module's docstring); nothing of it is left in clear."""
    if user is not None:
        user.require("privacy.requests")
    with store.transaction():
        party = _party(store, party_id)
        if store.scalar("SELECT count(*) FROM suppressions WHERE party_id = ? AND reason = ?", [party_id, ERASED]):
            raise Conflict(f"Customer {party_id} was already erased.")
        done = Erasure(party_id)
        identities = store.query("SELECT source, source_key FROM identities WHERE party_id = ?", [party_id])
        condition, params = _mentions(store, party, [k for _, k in identities])
        done.quarantine_removed = store.changed(f"DELETE FROM quarantine WHERE {condition}", params)
        email, phone = party.get("email"), party.get("phone")
        for n, (source, key) in enumerate(identities or [(None, None)]):
            store.changed(
                "INSERT INTO suppressions (party_id, source, key_sha256, email_sha256, phone_sha256, reason, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                [party_id, source, sha256(key) if key else None, sha256(email) if email and n == 0 else None,
                 sha256(_digits(phone)) if phone and n == 0 else None, ERASED,
                 getattr(user, "username", None)])
        # Keys become placeholders: the facts stay joined to the party, the person is no longer named by them
        # (the suppression list keeps only their hashes, to refuse them at the next import).
        for n, (source, key) in enumerate(identities):
            placeholder = f"erased:{party_id}:{n}"
            done.keys_hashed += store.changed("UPDATE identities SET source_key = ? WHERE source = ? AND source_key = ?",
                                              [placeholder, source, key])
            store.changed("UPDATE crosswalk SET source_key = ? WHERE source = ? AND source_key = ?",
                          [placeholder, source, key])
        sets = ", ".join(f"{f} = NULL" for f in PERSONAL)
        store.changed(f"UPDATE parties SET {sets} WHERE party_id = ?", [party_id])
        store.changed(f"UPDATE merged_parties SET {sets} WHERE party_id IN "
                      "(SELECT party_id FROM crosswalk WHERE party_id = ? OR original_party_id = ?) "
                      "OR party_id = ?", [party_id, party_id, party_id])
        for table, columns in FREE_TEXT.items():
            if columns:
                n = store.changed(f"UPDATE {table} SET {', '.join(f'{c} = NULL' for c in columns)} "
                                  "WHERE party_id = ?", [party_id])
            else:
                n = store.scalar(f"SELECT count(*) FROM {table} WHERE party_id = ?", [party_id])
            if n:
                done.facts_anonymised[table] = n
        # A fact's key in its source system often embeds the customer's (SUB-100001-0): a one-way hash keeps
        # it unique, so re-importing the file finds nothing new, and names no one.
        for table in FREE_TEXT:
            for (external_id,) in store.query(f"SELECT external_id FROM {table} WHERE party_id = ?", [party_id]):
                store.changed(f"UPDATE {table} SET external_id = ? WHERE party_id = ? AND external_id = ?",
                              [f"erased:{sha256(external_id)[:32]}", party_id, external_id])
        store.changed("DELETE FROM party_changes WHERE party_id = ?", [party_id])
        # Nothing of the person left in the search index: theirs, and that of the parties merged into them.
        erased = [party_id, *(r[0] for r in store.query(
            "SELECT original_party_id FROM crosswalk WHERE party_id = ?", [party_id]))]
        search_index.refresh(store, erased)
        picture.refresh(store, erased)
        store.changed("UPDATE review_queue SET explanation = 'erased on request' "
                      "WHERE left_party_id = ? OR right_party_id = ?", [party_id, party_id])
        store.changed("UPDATE audit_log SET detail = NULL WHERE entity = 'party' AND entity_id = ?", [party_id])
        audit.record(store, user, "privacy.erase", "party", party_id,
                     {"facts_anonymised": done.facts_anonymised, "quarantine_removed": done.quarantine_removed})
    return done


def _digits(phone: str) -> str:
    """A phone number as its digits, so that +49 30 1234 and 0049-30-1234 hash alike (without the 00/+ prefix)."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[2:] if digits.startswith("00") else digits
