"""The customer list: every party, filtered, sorted and paged on the server, with the current run's scores.

Filters, sorts and cursors are :mod:`patron.service.listing`'s (``docs/list-views.md``). The same filters
select the whole set for a bulk action (assign an owner, add a task each, export the contact list), so what
a user sees on the page is exactly what the action touches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from patron.errors import InvalidInput, NotFound
from patron.service import listing
from patron.service.audit import counted, record
from patron.service.consent import ConsentRule, picture_consent_column, picture_consent_sql
from patron.service.entered import now
from patron.service.exports import csv_chunks
from patron.service.listing import Condition, Field
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.store import Store, picture, search_index
from patron.store.vocabulary import CONSENT_CHANNELS, LADDER_STATES, PARTY_CATEGORIES, PARTY_KINDS, TRIAGE_GROUPS

#: Every field is a column of the party's current picture (``party_picture``, :mod:`patron.store.picture`): the
#: current run's scores, the last activity (the later of the run's last purchase and the newest interaction) and
#: the latest consent per channel are kept there, so a page reads one table instead of joining them.
FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("party_id", "Customer number", "p.party_id", "number"),
    Field("name", "Name", "p.name", "text"),
    Field("kind", "Kind", "p.kind", "choice", PARTY_KINDS),
    Field("category", "Category", "p.category", "choice", PARTY_CATEGORIES),
    Field("city", "City", "p.city", "text"),
    Field("country", "Country", "p.country", "text"),
    Field("acquisition_channel", "Acquisition channel", "p.acquisition_channel", "text"),
    Field("owner", "Owner", "p.owner", "text"),
    Field("rung", "Rung", "p.rung", "choice", LADDER_STATES),
    Field("rung_level", "Rung level", "p.rung_level", "number"),
    Field("triage", "Triage group", "p.triage", "choice", TRIAGE_GROUPS),
    Field("segment", "RFM segment", "p.rfm_segment", "text"),
    Field("clv", "CLV", "p.clv", "number"),
    Field("p_alive", "P(still active)", "p.p_alive", "number"),
    Field("revenue", "Revenue", "p.revenue", "number"),
    Field("health", "Health", "p.health", "number"),
    Field("last_activity", "Last activity", "p.last_activity", "date"),
    Field("consent", "Consent", "NULL", "consent", CONSENT_CHANNELS, sortable=False),
)}
DEFAULT_SORT = "-clv"
COLUMNS = ("party_id", "name", "email", "phone", "kind", "category", "city", "country", "owner", "rung", "triage",
           "segment", "clv", "p_alive", "revenue", "last_activity")
MAX_BULK = 100_000


def _consent_sql(value: str) -> tuple[str, list]:
    """"granted" for ``channel`` or ``channel/purpose``: the latest such consent is a grant, and not suppressed."""
    channel, _, purpose = value.partition("/")
    sql, params = picture_consent_sql(ConsentRule(channel, purpose or None))
    return f"({sql} AND NOT p.suppressed)", params


def _base(store: Store, conditions: Sequence[Condition]) -> tuple[str, list]:
    """``FROM ... WHERE ...`` of the list and its parameters."""
    w = listing.where(conditions, FIELDS, _consent_sql)
    return f"FROM party_picture p {w.sql()}", list(w.params)


def customer_list(store: Store, user: User, filters=None, *, sort: str | None = None, cursor: str | None = None,
                  limit: int = 50) -> dict:
    """One page of the customer list: ``{"total", "items", "next_cursor", "sort", "filters"}``."""
    user.require("customers.read")
    picture.ensure(store)
    if not 1 <= int(limit) <= 500:
        raise InvalidInput("A page holds 1 to 500 customers.")
    conditions = listing.parse_filters(filters, FIELDS)
    order = listing.parse_sort(sort, FIELDS, DEFAULT_SORT)
    f = FIELDS[order.field]
    base, params = _base(store, conditions)
    after, after_params = listing.after_cursor(cursor, order, f, "p.party_id")
    page_where = (" AND " if " WHERE " in base else " WHERE ") + after if after else ""
    total = listing.total(store, base, params)
    # The page in two steps: the ids of its rows in order, reading only the sort and filter columns of every
    # match; then the page's own rows (carrying every shown column through the sort of all matches costs more).
    sort_sql = FIELDS[order.field].sql
    found = store.records(f"SELECT p.party_id AS party_id, {sort_sql} AS {order.field} {base}{page_where} "
                          f"ORDER BY {listing.order_by(order, f, 'p.party_id')} LIMIT {int(limit) + 1}",
                          [*params, *after_params])
    more = len(found) > limit
    found = found[:limit]
    rows = _page_rows(store, [r["party_id"] for r in found])
    return {"total": total, "items": [visible(r, user) for r in rows], "sort": str(order),
            "next_cursor": listing.encode_cursor(order, found[-1], "party_id") if more and found else None,
            "filters": [c.as_dict() for c in conditions]}


def _page_rows(store: Store, ids: list[int]) -> list[dict]:
    """The shown columns of the parties ``ids``, in that order, from their current picture."""
    if not ids:
        return []
    columns = ", ".join(f"{FIELDS[c].sql} AS {c}" if c in FIELDS else f"p.{c}" for c in COLUMNS)
    rows = store.records(f"SELECT {columns} FROM party_picture p WHERE p.party_id IN ({', '.join('?' for _ in ids)})",
                         ids)
    by_id = {r["party_id"]: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def selection_sql(store: Store, filters=None) -> tuple[str, list]:
    """SQL (and parameters) of the party ids a list's ``filters`` select: a saved view as a playbook's audience."""
    base, params = _base(store, listing.parse_filters(filters, FIELDS))
    return f"SELECT p.party_id {base}", params


def selected_parties(store: Store, filters=None, party_ids: Sequence[int] | None = None) -> list[int]:
    """The parties a bulk action touches: those ticked (``party_ids``), else every one the filters select."""
    if party_ids:
        ids = sorted({int(i) for i in party_ids})
        found = {r[0] for r in store.query(
            f"SELECT party_id FROM parties WHERE party_id IN ({', '.join('?' for _ in ids)})", ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"There is no party {', '.join(map(str, missing[:10]))}.")
        return ids
    base, params = _base(store, listing.parse_filters(filters, FIELDS))
    ids = [r[0] for r in store.query(f"SELECT p.party_id {base} ORDER BY p.party_id LIMIT {MAX_BULK + 1}", params)]
    if len(ids) > MAX_BULK:
        raise InvalidInput(f"A bulk action touches at most {MAX_BULK:,} customers: narrow the filters.")
    return ids


def known_user(store: Store, username: str) -> str:
    name = (username or "").strip()
    if not store.scalar("SELECT count(*) FROM users WHERE username = ? AND NOT disabled", [name]):
        raise NotFound(f"There is no active user '{name}' to own customers.")
    return name


def assign_owner(store: Store, user: User, owner: str | None, *, filters=None, party_ids=None,
                 how: str = "form") -> dict:
    """Make ``owner`` (a user name; ``None`` or "" to clear) the owner of the selected parties.

    Each party whose owner changes gets a row in ``party_changes`` (old, new, when, who, how).
    """
    user.require("customers.write")
    owner = known_user(store, owner) if owner else None
    with store.transaction():
        ids = selected_parties(store, filters, party_ids)
        if not ids:
            return {"selected": 0, "changed": 0}
        at = now()
        changed = 0
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            marks = ", ".join("?" for _ in chunk)
            differs = f"party_id IN ({marks}) AND coalesce(owner, '') <> coalesce(?, '')"
            store.raw.execute(
                "INSERT INTO party_changes (party_id, field, old_value, new_value, changed_at, changed_by, how) "
                f"SELECT party_id, 'owner', owner, CAST(? AS VARCHAR), CAST(? AS TIMESTAMP), CAST(? AS VARCHAR), "
                f"CAST(? AS VARCHAR) FROM parties WHERE {differs}",
                [owner, at, user.username, how, *chunk, owner])
            changed += store.changed(f"UPDATE parties SET owner = ? WHERE {differs}", [owner, *chunk, owner])
            picture.refresh(store, chunk)
        record(store, user, "parties.assign_owner", "party", None,
               {"owner": owner, "selected": len(ids), "changed": changed})
    return {"selected": len(ids), "changed": changed}


EMAIL = ConsentRule("email")
EXPORT_COLUMNS = ("party_id", "name", "email", "phone", "kind", "category", "city", "country", "owner", "rung",
                  "triage", "segment", "clv", "p_alive", "revenue", "consent")


def export_contacts(store: Store, user: User, filters=None, *, party_ids=None,
                    consent: ConsentRule = EMAIL, batch: int = 5000) -> Iterator[str]:
    """The list as a contact list, CSV: only people with current consent for ``consent``'s channel (and purpose),
    or everyone with a ``consent`` column when it marks; personal data masked for roles that may not see it."""
    user.require("segments.export")
    picture.ensure(store)
    conditions = listing.parse_filters(filters, FIELDS)
    column, consent_params = picture_consent_column(consent)
    base, params = _base(store, conditions)
    extra = f"{' AND ' if ' WHERE ' in base else ' WHERE '}{column} = 'granted'" if consent.without == "exclude" \
        else ""
    ids_clause = ""
    ids = []
    if party_ids:
        ids = selected_parties(store, None, party_ids)
        ids_clause = f"{' AND ' if (' WHERE ' in base or extra) else ' WHERE '}p.party_id IN " \
                     f"({', '.join('?' for _ in ids)})"
    columns = ", ".join(f"{FIELDS[c].sql} AS {c}" if c in FIELDS else f"p.{c}" for c in EXPORT_COLUMNS[:-1])
    sql = f"SELECT {columns}, {column} AS consent {base}{extra}{ids_clause} ORDER BY p.party_id"
    all_params = consent_params + params + ids  # the column's parameters come first: it is in the SELECT

    def batches():
        offset = 0
        while True:
            rows = store.records(f"{sql} LIMIT {int(batch)} OFFSET {int(offset)}", all_params)
            yield [visible(r, user) for r in rows]
            if len(rows) < batch:
                return
            offset += batch

    detail = {"filters": filters, "consent": consent.channel, "selected": len(ids) if party_ids else None}
    return csv_chunks(EXPORT_COLUMNS, counted(store, user, "customers.export", batches(), detail=detail))


#: The party fields a form or the API may change, and whether each is personal data.
EDITABLE = {"owner": False, "name": True, "email": True, "phone": True, "address": True, "postcode": True,
            "city": False, "country": False, "job_title": False}


def update_party(store: Store, user: User, party_id: int, changes: dict, *, how: str = "form") -> dict:
    """Change a party's fields; each changed one goes to ``party_changes`` (old, new, when, who, how)."""
    user.require("customers.write")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"These fields cannot be changed here: {', '.join(sorted(unknown))}. "
                           f"Fields: {', '.join(EDITABLE)}.")
    if any(EDITABLE[f] for f in changes):
        user.require("personal_data.read")  # who sees contact details masked does not overwrite them
    values = {f: (str(v).strip() or None) if v is not None else None for f, v in changes.items()}
    if values.get("owner"):
        values["owner"] = known_user(store, values["owner"])
    if "email" in values and values["email"] and "@" not in values["email"]:
        raise InvalidInput(f"'{values['email']}' is not an email address.")
    with store.transaction():
        rows = store.records(f"SELECT {', '.join(EDITABLE)} FROM parties WHERE party_id = ?", [party_id])
        if not rows:
            raise NotFound(f"There is no party {party_id}.")
        changed = {f: v for f, v in values.items() if rows[0][f] != v}
        at = now()
        for f, v in changed.items():
            store.raw.execute("INSERT INTO party_changes (party_id, field, old_value, new_value, changed_at, "
                              "changed_by, import_id, how) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                              [party_id, f, rows[0][f], v, at, user.username, how])
        if changed:
            store.raw.execute(f"UPDATE parties SET {', '.join(f + ' = ?' for f in changed)} WHERE party_id = ?",
                              [*changed.values(), party_id])
            record(store, user, "party.update", "party", party_id, {"fields": sorted(changed), "how": how})
            search_index.refresh(store, [party_id])
            picture.refresh(store, [party_id])
    return {"party_id": party_id, "changed": sorted(changed)}
