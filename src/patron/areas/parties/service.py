"""Finding parties and the customer 360: everything about one party, for one user.

The 360 gathers what every department recorded (seed 001: CRM shares what the
firm knows across sales, service and billing): profile and identities,
purchases, contacts, feedback, complaints and the latest scores with the
reasons behind them. Personal data is masked for roles that may not see it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from patron.errors import InvalidInput, NotFound, PatronError
from patron.service import listing
from patron.service.audit import record_read
from patron.service.consent import is_suppressed, party_consents
from patron.service.permissions import User
from patron.service.privacy import visible
from patron.service.runs import current_run
from patron.store import Store, picture, search_index
from patron.store.search_index import fold
from patron.store.vocabulary import label

PROFILE_FIELDS = ("party_id", "kind", "category", "name", "email", "phone", "address", "postcode", "city", "country",
                  "birth_date", "organisation_id", "job_title", "acquired_at", "acquisition_channel",
                  "acquisition_cost", "referred_by", "owner", "created_at")


def _current_or_none(store: Store) -> int | None:
    try:
        return current_run(store)
    except PatronError:
        return None


def require_party(store: Store, party_id: int) -> None:
    """Go on if party ``party_id`` exists; else :class:`~patron.errors.NotFound`."""
    if not store.scalar("SELECT count(*) FROM parties WHERE party_id = ?", [party_id]):
        raise NotFound(f"There is no party {party_id}.")


def _sorted(store: Store, sql: str, party_id: int, *, key, newest_first: bool = False) -> list[dict]:
    rows = store.records(sql, [party_id])
    rows.sort(key=key, reverse=newest_first)
    return rows


def folded_name(store: Store) -> str:
    """SQL of ``p.name`` folded like :func:`fold` (:func:`patron.store.search_index.folded`)."""
    return search_index.folded(store, "p.name")


def phone_key(text: str) -> str | None:
    """The digits a phone number is found by, whatever its format: the last nine of the number, leading 0s dropped.

    "+44 20 7946 0958", "0044 (20) 79460958" and "020 7946 0958" all give "079460958", which a stored number
    ends with in any of those formats (``None``: not a phone number, or fewer than six digits).
    """
    if not re.fullmatch(r"[\d\s+()./-]+", text):
        return None
    digits = re.sub(r"\D", "", text)
    national = digits.lstrip("0")
    return national[-9:] if len(national) >= 6 else None


def _keyed(store: Store, variants) -> set[int]:
    """Parties a key in a source system or an order or invoice number names exactly, for each of ``variants``.

    Each is a point lookup on an index (migration 15); several small queries, since one with ORs (or ``IN``)
    is a scan.
    """
    found: set[int] = set()
    for variant in sorted(set(variants)):
        found |= {r[0] for r in store.query("SELECT party_id FROM transactions WHERE document = ?", [variant])}
        found |= {r[0] for r in store.query("SELECT party_id FROM identities WHERE source_key = ?", [variant])}
    return found


def _exact_identifier(store: Store, user: User, text: str) -> list[int]:
    """Parties an order or invoice number, a source key or (for roles that see it) an email names exactly."""
    if " " in text:
        return []
    found = _keyed(store, {text, text.upper()})
    if "@" in text and user.sees_personal_data:
        found |= {r[0] for r in store.query("SELECT party_id FROM parties WHERE email = ?", [text])}
        found |= {r[0] for r in store.query("SELECT party_id FROM parties WHERE email = ?", [text.lower()])}
    return sorted(found)


def _as_id(text: str) -> int | None:
    """``text`` as a party id, if it is one (digits that fit a BIGINT)."""
    return int(text) if text.isdigit() and int(text) < 2 ** 63 else None


def search_parties(store: Store, user: User, q: str | None = None, *, category: str | None = None,
                   limit: int = 25, offset: int = 0) -> tuple[int, list[dict]]:
    """Parties found by ``q``, best match first, then the most valuable.

    ``q`` is matched case- and accent-insensitively against names, every word in any order ("muller anna"
    finds "Anna Müller"); against keys in source systems, ids, order and invoice numbers
    (``transactions.document``); and, for roles that may see them, emails and phone numbers in any format.
    """
    user.require("customers.read")
    text = q.strip() if q else ""
    looked_up: set[str] = set()  # the texts already looked up as keys and numbers, in vain
    if text and not category:
        exact = _exact_identifier(store, user, text)
        if exact:  # an order number, a key or an email names its customers: no scan of every name
            rows = _found_rows(store, exact)
            rows.sort(key=lambda r: (r["clv"] is None, -(r["clv"] or 0), r["party_id"]))
            return len(rows), [visible(r, user) for r in rows[offset:offset + limit]]
        if " " not in text:
            looked_up = {text, text.upper()}
    picture.ensure(store)
    if not text:
        return _every_party(store, user, category, limit, offset)
    search_index.ensure(store)
    hits, params = _hits(store, user, text, looked_up)
    if not hits:
        return 0, []
    ws = [w for w in fold(text).split() if w]
    # Best first: the exact name (or email, or id), then names starting with the first word, then the rest;
    # each decided from the index (the "fullname" tokens), so the matches are never joined with every party.
    match = search_index.prefix(store)
    rank = ["h.party_id IN (SELECT party_id FROM party_search WHERE field = 'fullname' AND token = ?)"]
    rank_params: list = [" ".join(ws)]
    if user.sees_personal_data:
        rank.append("h.party_id IN (SELECT party_id FROM party_search WHERE field = 'email' AND token = ?)")
        rank_params.append(text.lower())
    if _as_id(text) is not None:
        rank.append("h.party_id = ?")
        rank_params.append(_as_id(text))
    first = (f"WHEN h.party_id IN (SELECT party_id FROM party_search WHERE field = 'fullname' AND {match}) "
             "THEN 1 ") if ws else "WHEN TRUE THEN 1 "
    first_params = search_index.prefix_params(store, ws[0]) if ws else []
    if category:
        hits = (f"SELECT h.party_id, h.clv FROM ({hits}) h JOIN parties p ON p.party_id = h.party_id "
                "WHERE p.category = ?")
        params = [*params, category]
    # Then the most valuable: the current run's CLV, which each match carries from the index (party_search.clv,
    # the picture's own value), so even a common surname's matches are ordered without reading other tables.
    ranked = (f"SELECT h.party_id, h.clv, CASE WHEN {' OR '.join(rank)} THEN 0 {first}ELSE 2 END AS rank "
              f"FROM ({hits}) h")
    order = store.query(
        f"SELECT r.party_id, count(*) OVER () AS total FROM ({ranked}) r "
        "ORDER BY r.rank, r.clv DESC NULLS LAST, r.party_id LIMIT ? OFFSET ?",
        [*rank_params, *first_params, *params, int(limit), int(offset)])
    if not order:
        return store.scalar(f"SELECT count(*) FROM ({hits}) h", params), []
    ids = [r[0] for r in order]
    by_id = {r["party_id"]: r for r in _found_rows(store, ids)}
    return order[0][1], [visible(by_id[i], user) for i in ids if i in by_id]


def _found_rows(store: Store, ids: list[int]) -> list[dict]:
    """The profile of the parties ``ids`` with their current rung, CLV, triage and risk (from their picture).

    Two point reads on the ``party_id`` indexes, joined here: a join in SQL reads every party's picture.
    """
    marks = ", ".join("?" for _ in ids)
    rows = store.records(f"SELECT {', '.join(PROFILE_FIELDS)} FROM parties WHERE party_id IN ({marks})", ids)
    scores = {r[0]: r[1:] for r in store.query(
        f"SELECT party_id, rung, clv, triage, at_risk FROM party_picture WHERE party_id IN ({marks})", ids)}
    for r in rows:
        r["rung"], r["clv"], r["triage"], r["at_risk"] = scores.get(r["party_id"], (None, None, None, None))
    return rows


def rebuild_search_index(store: Store) -> tuple[int, float]:
    """The search index made again from every party (``patron reindex``): tokens written, seconds taken."""
    import time

    started = time.perf_counter()
    with store.transaction():
        picture.rebuild(store)
    tokens = search_index.rebuild(store)  # after the picture: its tokens carry the picture's CLV
    return tokens, time.perf_counter() - started


def _hits(store: Store, user: User, text: str, looked_up: set[str]) -> tuple[str, list]:
    """SQL selecting the ``party_id`` and current CLV of every party ``text`` finds, and its parameters (no SQL:
    nothing can be found).

    Every word is the start of a word of the name (in any order, case and accents aside: the search index,
    :mod:`patron.store.search_index`); or the text is the start of an email or of its domain, the last
    digits of a phone (roles that see them), a key in a source system, an order or invoice number, an id.
    Each branch is a range scan of the index or a point lookup; ``looked_up`` are the texts already
    looked up as keys and numbers and not found.
    """
    branches, params = [], []
    match = search_index.prefix(store)
    names = search_index.words(text)
    if names:
        both = "".join(f" AND party_id IN (SELECT party_id FROM party_search WHERE field = 'name' AND {match})"
                       for _ in names[1:])
        branches.append(f"SELECT party_id, clv FROM party_search WHERE field = 'name' AND {match}{both}")
        for w in names:
            params += search_index.prefix_params(store, w)
    if user.sees_personal_data:
        branches.append(f"SELECT party_id, clv FROM party_search WHERE field = 'email' AND {match}")
        params += search_index.prefix_params(store, text.lower())
        key = phone_key(text)
        if key:
            branches.append(f"SELECT party_id, clv FROM party_search WHERE field = 'phone' AND {match}")
            params += search_index.prefix_params(store, key[::-1])
    keyed = _keyed(store, {text, text.upper(), text.lower()} - looked_up)
    if _as_id(text) is not None:
        keyed.add(_as_id(text))
    if keyed:  # a few parties, each with its picture's CLV (a party with no name, email or phone has no tokens)
        branches.append(f"SELECT party_id, clv FROM party_picture WHERE party_id IN "
                        f"({', '.join(str(i) for i in sorted(keyed))})")
    if not branches:
        return "", []
    # A party found by several branches (or by two words of its name) once, with its CLV.
    return f"SELECT party_id, max(clv) AS clv FROM ({' UNION ALL '.join(branches)}) b GROUP BY party_id", params


def _every_party(store: Store, user: User, category: str | None, limit: int, offset: int) -> tuple[int, list[dict]]:
    """Every party (of ``category``), the most valuable first: a search with no text."""
    where, params = ("WHERE category = ?", [category]) if category else ("", [])
    ids = [r[0] for r in store.query(f"SELECT party_id FROM party_picture {where} "
                                     "ORDER BY clv DESC NULLS LAST, party_id LIMIT ? OFFSET ?",
                                     [*params, int(limit), int(offset)])]
    total = listing.total(store, f"FROM party_picture {where}", params)
    by_id = {r["party_id"]: r for r in _found_rows(store, ids)} if ids else {}
    return total, [visible(by_id[i], user) for i in ids if i in by_id]


def _explain(score: dict) -> list[str]:
    """The reasons behind a party's scores, in words."""
    reasons = []
    if score.get("rung_reason"):
        reasons.append(f"On the ladder of loyalty, {score['rung_reason']}.")
    elif score.get("rung"):
        reasons.append(f"On the '{score['rung']}' rung of the ladder of loyalty"
                       + (f" with {score['frequency']} repeat purchase(s)." if score.get("frequency") is not None
                          else "."))
    if score.get("p_alive") is not None:
        unit = score.get("time_unit") or "period"
        reasons.append(f"Probability still active {score['p_alive']:.0%}: last purchase "
                       f"{(score['t'] or 0) - (score['recency'] or 0):.0f} {unit}s ago, first "
                       f"{score['t']:.0f} {unit}s ago.")
    if score.get("clv") is not None:
        reasons.append(f"Expected value over the run's horizon: {score['clv']:,.2f} "
                       f"({score['expected_purchases']:.2f} purchases at {score['expected_spend']:,.2f} each, "
                       "discounted).")
    found = score.get("intervals")
    if found:
        level = f"{found['level']:.0%}"
        reasons.append(f"How sure: CLV {level} interval {found['clv'][0]:,.2f} – {found['clv'][1]:,.2f}, P(alive) "
                       f"{found['p_alive'][0]:.0%} – {found['p_alive'][1]:.0%} (from the models' parameter "
                       "uncertainty, not the customer's own chance variation).")
    if score.get("profit") is not None:
        reasons.append(f"Profit to date {score['profit']:,.2f} after a cost to serve of "
                       f"{score['cost_to_serve'] or 0:,.2f}; profit-based CLV {score['profit_clv']:,.2f}.")
    if score.get("health") is not None:
        trend = score.get("health_trend")
        reasons.append(f"Relationship health {score['health']:.0f}/100"
                       + (f", {trend:+.0f} over the trend window." if trend is not None else "."))
    if score.get("triage_reason"):
        reasons.append(f"Triage: {score['triage_reason']}.")
    elif score.get("triage"):
        reasons.append(f"Triage: {score['triage']} (value {score.get('value_tier') or '-'}, "
                       f"quality {score.get('quality_tier') or '-'}).")
    if score.get("rfm_segment"):
        reasons.append(f"RFM segment {score['rfm_segment']} (R{score['r_score']} F{score['f_score']} "
                       f"M{score['m_score']}).")
    if score.get("at_risk"):
        reasons.append(f"At risk: {score['reasons']}.")
    return reasons


def _timeline(transactions, interactions, complaints, feedback) -> list[dict]:
    """Every contact and purchase of a party, newest first (built from rows already read)."""
    events = [{"event_at": i["occurred_at"], "type": "interaction", "id": i["interaction_id"],
               "title": label(i["channel"]) + (f" · {i['department']}" if i["department"] else ""),
               "detail": (i["subject"] or "") + (f" — {i['outcome']}" if i["outcome"] else "")} for i in interactions]
    events += [{"event_at": c["opened_at"], "type": "complaint", "id": c["complaint_id"],
                "title": f"complaint: {c['category'] or 'general'}", "detail": f"{label(c['status'])} · {c['severity']}"}
               for c in complaints]
    events += [{"event_at": f["occurred_at"], "type": "feedback", "id": f["feedback_id"],
                "title": label(f["instrument"]) + (f" · {label(f['item'])}" if f["item"] else ""),
                "detail": f"score {f['score']:g}" if f["score"] is not None else ""} for f in feedback]
    documents: dict[tuple, dict] = {}
    for t in transactions:  # one event per order or invoice, at its first line
        key = (t["kind"], t["document"] or t["transaction_id"])
        doc = documents.setdefault(key, {"event_at": t["occurred_at"], "type": "purchase", "id": t["transaction_id"],
                                         "title": f"{t['kind']} {t['document'] or ''}".strip(), "total": Decimal(0),
                                         "currency": t["currency"]})
        doc["event_at"] = min(doc["event_at"], t["occurred_at"])
        doc["total"] += t["revenue"]
    # The amount and its currency apart, for the page to write them in the reader's locale ("€1,120.96").
    events += [{**{k: v for k, v in d.items() if k not in ("total", "currency")},
                "detail": f"{d['total']:.2f}" + (f" {d['currency']}" if d["currency"] != "XXX" else ""),
                "amount": d["total"], "currency": d["currency"] if d["currency"] != "XXX" else None}
               for d in documents.values()]
    events.sort(key=lambda e: e["event_at"], reverse=True)
    return events


def _intervals(score: dict, settings: str | None, diagnostics: str | None) -> dict | None:
    """The party's intervals on CLV and P(alive): those stored with its scores (delta method), or for a run saved
    before they were stored, drawn from the run's saved parameters and covariances."""
    if score.get("clv_low") is not None and score.get("p_alive_low") is not None:
        from patron.models.scoring import SCORES_INTERVAL_LEVEL
        from patron.models.uncertainty import DELTA_METHOD

        return {"level": SCORES_INTERVAL_LEVEL, "method": DELTA_METHOD,
                "clv": (score["clv_low"], score["clv_high"]), "p_alive": (score["p_alive_low"], score["p_alive_high"])}
    if not diagnostics or score.get("frequency") is None or score.get("t") is None:
        return None
    from patron.models.scoring import customer_intervals

    try:
        return customer_intervals(json.loads(diagnostics), json.loads(settings) if settings else {},
                                  score["frequency"], score["recency"], score["t"], score.get("monetary_value") or 0.0)
    except (PatronError, ValueError, KeyError):  # a run saved before intervals existed, or a singular fit
        return None


def party_360(store: Store, user: User, party_id: int, *, events: int = 200) -> dict:
    """Profile, identities, transactions, timeline, feedback, complaints and scores of one party."""
    user.require("customers.read")
    rows = store.records(f"SELECT {', '.join(PROFILE_FIELDS)} FROM parties WHERE party_id = ?", [party_id])
    if not rows:
        raise NotFound(f"There is no party {party_id}.")
    profile = visible(rows[0], user)
    # Who saw this person, and when (docs/security.md): written within a second by the service's read log.
    record_read(store, user, "party.read", "party", party_id, {"personal_data": user.sees_personal_data})
    if profile.get("organisation_id"):
        profile["organisation"] = store.scalar("SELECT name FROM parties WHERE party_id = ?",
                                               [profile["organisation_id"]])
    # Each query is a plain filter on party_id, sorted here: one party has few rows, and an ORDER BY
    # (or LIMIT) in the query keeps DuckDB from answering it from the party_id index (3-8x slower).
    identities = _sorted(store, "SELECT source, source_key FROM identities WHERE party_id = ?", party_id,
                         key=lambda r: (r["source"], r["source_key"]))
    transactions = _sorted(
        store, "SELECT transaction_id, kind, document, occurred_at, product, description, quantity, revenue, currency "
        "FROM transactions WHERE party_id = ?", party_id, key=lambda r: (r["occurred_at"], r["transaction_id"]),
        newest_first=True)
    # Revenue net of refunds and orders counted as the value run counts them (a refund is not an order).
    refunds = [t for t in transactions if t["kind"] == "refund" or t["revenue"] < 0]
    purchases = [t for t in transactions if not (t["kind"] == "refund" or t["revenue"] < 0)]
    currencies = sorted({t["currency"] for t in transactions if t["currency"] and t["currency"] != "XXX"})
    totals = {"lines": len(transactions), "documents": len({t["document"] or t["transaction_id"] for t in purchases}),
              "refunds": len(refunds),
              "revenue": sum((t["revenue"] for t in purchases), Decimal(0)) - sum((abs(t["revenue"]) for t in refunds),
                                                                                   Decimal(0)),
              "currency": currencies[0] if len(currencies) == 1 else None,
              "first_at": transactions[-1]["occurred_at"] if transactions else None,
              "last_at": transactions[0]["occurred_at"] if transactions else None}
    feedback = _sorted(
        store, "SELECT feedback_id, occurred_at, instrument, item, dimension, score, scale_max, expectation, "
        "perception, text FROM feedback WHERE party_id = ?", party_id,
        key=lambda r: (r["occurred_at"], r["feedback_id"]), newest_first=True)
    complaints = _sorted(
        store, "SELECT complaint_id, party_id, opened_at, first_response_at, resolved_at, channel, category, cause, severity, "
        "status, description, resolution, satisfaction_after FROM complaints WHERE party_id = ?", party_id,
        key=lambda r: (r["opened_at"], r["complaint_id"]), newest_first=True)
    interactions = _sorted(
        store, "SELECT interaction_id, occurred_at, channel, department, subject, outcome FROM interactions "
        "WHERE party_id = ?", party_id, key=lambda r: (r["occurred_at"], r["interaction_id"]),
        newest_first=True)[:int(events)]
    timeline = _timeline(transactions, interactions, complaints, feedback)[:events]
    # The party's score rows (one per run) by a plain filter that DuckDB answers from the party_id
    # index, the latest picked here, then its run: a join with runs, or ORDER BY ... LIMIT 1, turned
    # this into a scan and made it the slowest query of the page.
    score_rows = store.records("SELECT * FROM scores WHERE party_id = ?", [party_id])
    current = store.stable(("current run",), lambda: _current_or_none(store))
    score = next((row for row in score_rows if row["run_id"] == current), None)
    if score is not None:
        run_id = score["run_id"]
        as_of, settings, diagnostics = store.stable(("run", run_id), lambda: store.query(
            "SELECT as_of, settings, diagnostics FROM runs WHERE run_id = ?", [run_id])[0])
        score["as_of"] = as_of
        score["time_unit"] = json.loads(settings).get("time_unit") if settings else None
        score["intervals"] = _intervals(score, settings, diagnostics)
    return {
        "profile": profile,
        "identities": identities,
        "totals": totals,
        "transactions": transactions[:100],
        "timeline": timeline,
        "feedback": feedback,
        "complaints": complaints,
        "scores": score,
        "reasons": _explain(score) if score else [],
        "personal_data_visible": user.sees_personal_data,
        "consents": party_consents(store, party_id),
        "suppressed": is_suppressed(store, party_id),
        "changes": _changes(store, user, party_id),
    }


def _changes(store: Store, user: User, party_id: int, limit: int = 50) -> list[dict]:
    """The party's field changes, newest first; values of personal fields masked for roles that may not see them."""
    # A plain filter on party_id, sorted here (an ORDER BY ... LIMIT keeps DuckDB from the party_id index).
    rows = store.records("SELECT field, old_value, new_value, changed_at, changed_by, import_id, how "
                         "FROM party_changes WHERE party_id = ?", [party_id])
    rows.sort(key=lambda r: r["changed_at"], reverse=True)
    rows = rows[:limit]
    for row in rows:
        masked = visible({row["field"]: row["old_value"]}, user), visible({row["field"]: row["new_value"]}, user)
        row["old_value"], row["new_value"] = masked[0][row["field"]], masked[1][row["field"]]
    return rows


TIMELINE_TYPES = ("interaction", "complaint", "feedback", "purchase")


def filter_timeline(events: list[dict], *, type: str | None = None, channel: str | None = None,
                    since: str | None = None, until: str | None = None) -> list[dict]:
    """The customer page's timeline filtered by kind of event, channel (an interaction's) and date range."""
    import datetime as dt

    if type and type not in TIMELINE_TYPES:
        raise InvalidInput(f"The timeline shows {', '.join(TIMELINE_TYPES)}, not '{type}'.")
    bounds = []
    for name, text in (("from", since), ("to", until)):
        try:
            bounds.append(dt.datetime.fromisoformat(text) if text else None)
        except ValueError:
            raise InvalidInput(f"The timeline's '{name}' date is YYYY-MM-DD, not '{text}'.") from None
    low, high = bounds
    if high is not None and len(until) <= 10:
        high += dt.timedelta(days=1)  # "to 2024-05-31" includes that day
    return [e for e in events if (not type or e["type"] == type)
            and (not channel or (e["type"] == "interaction" and e["title"].split(" · ")[0] == channel))
            and (low is None or e["event_at"] >= low) and (high is None or e["event_at"] < high)]
