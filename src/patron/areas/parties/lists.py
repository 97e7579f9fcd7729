"""The customer list: every party, filtered, sorted and paged on the server, with the current run's scores.

Filters, sorts and cursors are :mod:`patron.service.listing`'s (``docs/list-views.md``). The same filters
select the whole set for a bulk action (assign an owner, add a task each, export the contact list), so what
a user sees on the page is exactly what the action touches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from patron.errors import InvalidInput, NotFound, PatronError
from patron.service import listing
from patron.service.audit import counted, record
from patron.service.consent import SUPPRESSED, ConsentRule, consent_columns, latest_consent_sql
from patron.service.entered import now
from patron.service.exports import csv_chunks
from patron.service.listing import Condition, Field
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.service.runs import current_run
from patron.store import Store, search_index
from patron.store.vocabulary import CONSENT_CHANNELS, LADDER_STATES, PARTY_CATEGORIES, PARTY_KINDS, TRIAGE_GROUPS

#: The last contact or purchase: the run's last purchase or the newest interaction, whichever is later.
_LAST_ACTIVITY = "greatest(s.last_purchase_at, ia.last_at)"
JOINS = {"activity": "LEFT JOIN (SELECT party_id, max(occurred_at) AS last_at FROM interactions GROUP BY party_id) "
                     "ia ON ia.party_id = p.party_id"}

FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("party_id", "Customer number", "p.party_id", "number"),
    Field("name", "Name", "p.name", "text"),
    Field("kind", "Kind", "p.kind", "choice", PARTY_KINDS),
    Field("category", "Category", "p.category", "choice", PARTY_CATEGORIES),
    Field("city", "City", "p.city", "text"),
    Field("country", "Country", "p.country", "text"),
    Field("acquisition_channel", "Acquisition channel", "p.acquisition_channel", "text"),
    Field("owner", "Owner", "p.owner", "text"),
    Field("rung", "Rung", "s.rung", "choice", LADDER_STATES),
    Field("rung_level", "Rung level", "s.rung_level", "number"),
    Field("triage", "Triage group", "s.triage", "choice", TRIAGE_GROUPS),
    Field("segment", "RFM segment", "s.rfm_segment", "text"),
    Field("clv", "CLV", "s.clv", "number"),
    Field("p_alive", "P(still active)", "s.p_alive", "number"),
    Field("revenue", "Revenue", "s.revenue", "number"),
    Field("health", "Health", "s.health", "number"),
    Field("last_activity", "Last activity", _LAST_ACTIVITY, "date", needs="activity"),
    Field("consent", "Consent", "NULL", "consent", CONSENT_CHANNELS, sortable=False),
)}
DEFAULT_SORT = "-clv"
COLUMNS = ("party_id", "name", "email", "phone", "kind", "category", "city", "country", "owner", "rung", "triage",
           "segment", "clv", "p_alive", "revenue", "last_activity")
MAX_BULK = 100_000


def _consent_sql(value: str) -> tuple[str, list]:
    """"granted" for ``channel`` or ``channel/purpose``: the latest such consent is a grant, and not suppressed."""
    channel, _, purpose = value.partition("/")
    latest, params = latest_consent_sql(ConsentRule(channel, purpose or None))
    return (f"(p.party_id IN (SELECT party_id FROM ({latest}) lc WHERE lc.granted) "
            f"AND NOT {SUPPRESSED.format(p='p')})"), params


def _run(store: Store) -> int | None:
    try:
        return current_run(store)
    except PatronError:
        return None


def _base(store: Store, conditions: Sequence[Condition], extra_needs: set[str] = frozenset()) -> tuple[str, list]:
    """``FROM ... WHERE ...`` of the list and its parameters."""
    w = listing.where(conditions, FIELDS, _consent_sql)
    joins = " ".join(JOINS[n] for n in sorted(w.needs | set(extra_needs)))
    return (f"FROM parties p LEFT JOIN scores s ON s.party_id = p.party_id AND s.run_id = ? {joins} {w.sql()}",
            [_run(store), *w.params])


def customer_list(store: Store, user: User, filters=None, *, sort: str | None = None, cursor: str | None = None,
                  limit: int = 50) -> dict:
    """One page of the customer list: ``{"total", "items", "next_cursor", "sort", "filters"}``."""
    user.require("customers.read")
    if not 1 <= int(limit) <= 500:
        raise InvalidInput("A page holds 1 to 500 customers.")
    conditions = listing.parse_filters(filters, FIELDS)
    order = listing.parse_sort(sort, FIELDS, DEFAULT_SORT)
    f = FIELDS[order.field]
    needs = {f.needs} if f.needs else set()
    base, params = _base(store, conditions, needs)
    after, after_params = listing.after_cursor(cursor, order, f, "p.party_id")
    page_where = (" AND " if " WHERE " in base else " WHERE ") + after if after else ""
    count_base, count_params = _base(store, conditions)
    total = store.scalar(f"SELECT count(*) {count_base}", count_params)
    # The page in two steps: the ids of its rows in order, reading only the sort and filter columns of every
    # match; then the page's own rows. Carrying every shown column through the join and the sort of all
    # matches cost most of the time at 1M customers.
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
    """The shown columns of the parties ``ids``, in that order; the last activity is the later of the run's last
    purchase and the newest interaction (the aggregate over every interaction is ~1 s at 1M customers)."""
    if not ids:
        return []
    columns = ", ".join(("s.last_purchase_at AS last_activity" if c == "last_activity" else
                         f"{FIELDS[c].sql} AS {c}") if c in FIELDS else f"p.{c}" for c in COLUMNS)
    rows = store.records(f"SELECT {columns} FROM parties p LEFT JOIN scores s ON s.party_id = p.party_id "
                         f"AND s.run_id = ? WHERE p.party_id IN ({', '.join('?' for _ in ids)})", [_run(store), *ids])
    by_id = {r["party_id"]: r for r in rows}
    rows = [by_id[i] for i in ids if i in by_id]
    _complete_last_activity(store, rows)
    return rows


def _complete_last_activity(store: Store, rows: list[dict]) -> None:
    ids = [r["party_id"] for r in rows]
    latest = dict(store.query(f"SELECT party_id, max(occurred_at) FROM interactions WHERE party_id IN "
                              f"({', '.join('?' for _ in ids)}) GROUP BY party_id", ids))
    for r in rows:
        found = [v for v in (r["last_activity"], latest.get(r["party_id"])) if v is not None]
        r["last_activity"] = max(found) if found else None


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
    conditions = listing.parse_filters(filters, FIELDS)
    join, column, consent_params = consent_columns(consent)
    base, params = _base(store, conditions)
    base = base.replace("WHERE", f"{join} WHERE", 1) if " WHERE " in base else f"{base} {join}"
    extra = f"{' AND ' if ' WHERE ' in base else ' WHERE '}{column} = 'granted'" if consent.without == "exclude" \
        else ""
    ids_clause = ""
    ids = []
    if party_ids:
        ids = selected_parties(store, None, party_ids)
        ids_clause = f"{' AND ' if (' WHERE ' in base or extra) else ' WHERE '}p.party_id IN " \
                     f"({', '.join('?' for _ in ids)})"
    columns = ", ".join(f"{FIELDS[c].sql} AS {c}" if c in FIELDS else f"p.{c}" for c in EXPORT_COLUMNS[:-1])
    # The join's parameters come first: it sits before the WHERE.
    sql = f"SELECT {columns}, {column} AS consent {base}{extra}{ids_clause} ORDER BY p.party_id"
    all_params = _order_params(params, consent_params) + ids

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


def _order_params(base_params: list, consent_params: list) -> list:
    """The run id (the scores join), then the consent join's parameters, then the filters' (SQL order)."""
    return [base_params[0], *consent_params, *base_params[1:]]


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
    return {"party_id": party_id, "changed": sorted(changed)}
