"""The use cases of accounts and relationships: entering links and assessments, the account view, the
portfolio of relationships and the network.

"Now" for the measures is the latest recorded activity (an interaction or a transaction) unless an ``as_of``
is given, so a store of past exports is read as of its own end.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, replace
from typing import Any

from patron.analytics import network
from patron.analytics.relationships import (FORMULA, StageEvidence, StrengthWeights, account_strength, bensaou,
                                            contact_strength, matrix_cell, observed_trust, seniority, stage, trust,
                                            wilson_stage)
from patron.areas.accounts.relationship_rules import (DEFAULT_RULES, ChampionQuiet, RelationshipRules,
                                                      relationship_rules)
from patron.areas.parties.service import require_party
from patron.errors import InvalidInput, NotFound
from patron.service.audit import record
from patron.service.entered import SOURCE, choice, now
from patron.service.permissions import User
from patron.store import Store, picture, search_index
from patron.store.vocabulary import (ACCOUNT_TEAM_ROLES, ASSESSMENT_FORMS, ATTITUDES, BUYING_ROLES,
                                     INVESTMENT_ITEMS, LINK_TYPES, STAKEHOLDER_ITEMS, TRUST_TERMS,
                                     WILSON_CONSTRUCTS)

#: Per form: its items and the scale of their scores (attitude is a word).
FORM_ITEMS = {"stakeholder": (STAKEHOLDER_ITEMS, (1, 5)), "trust": (TRUST_TERMS, (1, 10)),
              "wilson": (WILSON_CONSTRUCTS, (1, 5)), "investments": (INVESTMENT_ITEMS, (1, 5))}
# The thresholds (engaged days, champion gone quiet, single-threaded, stages, Bensaou) and the strength
# weights are the store's relationship rules (patron.areas.accounts.relationship_rules).
PEOPLE_LINKS = ("works_for", "buying_role")
#: The links an account's value, activity and health roll up through: ``parent_of`` a subsidiary and
#: ``location_of`` a site (``party_id`` is the parent, ``other_party_id`` the child).
ROLLUP_LINKS = ("parent_of", "location_of")
#: The local operator of the ``patron`` command (whoever may open the store file may do everything).
OPERATOR = User(0, "operator", "admin")


# --- entering ---------------------------------------------------------------------------------------------

def add_link(store: Store, user: User, party_id: int, other_party_id: int, link_type: str, *,
             role: str | None = None, department: str | None = None, since: dt.date | None = None,
             until: dt.date | None = None, note: str | None = None) -> dict[str, Any]:
    """Link two parties: ``party_id`` <link_type> ``other_party_id`` (a person works for an account...)."""
    user.require("customers.write")
    choice("link type", link_type, LINK_TYPES, required=True)
    if link_type == "buying_role":
        choice("buying-centre role", role, BUYING_ROLES, required=True)
    if link_type == "account_team":
        choice("account-team role", role, ACCOUNT_TEAM_ROLES, required=True)
    if party_id == other_party_id:
        raise InvalidInput("A party cannot be linked to itself.")
    if since and until and until < since:
        raise InvalidInput(f"The link ends ({until}) before it begins ({since}).")
    with store.transaction():
        require_party(store, party_id)
        require_party(store, other_party_id)
        if link_type in ROLLUP_LINKS and party_id in _descendants(store, other_party_id):
            raise InvalidInput(f"Party {other_party_id} already rolls up into party {party_id}: making it its "
                               f"{link_type.replace('_', ' ')} would make a circle of accounts.")
        link_id = store.next_id("party_links", "link_id")
        store.raw.execute("INSERT INTO party_links (link_id, source, external_id, party_id, other_party_id, link_type, role, "
                          "department, since, until, note, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                          [link_id, SOURCE, f"link-{link_id}", party_id, other_party_id, link_type, role or None,
                           department or None, since, until, note or None])
        record(store, user, "link.create", "party_link", link_id,
               {"party_id": party_id, "other_party_id": other_party_id, "link_type": link_type, "role": role})
    return {"link_id": link_id, "party_id": party_id, "other_party_id": other_party_id, "link_type": link_type,
            "role": role, "department": department, "since": since, "until": until, "note": note,
            "source": SOURCE}


def add_contact(store: Store, user: User, org_id: int, name: str, *, job_title: str | None = None,
                department: str | None = None, buying_role: str | None = None, email: str | None = None) -> dict:
    """A new person who works for account ``org_id`` (and holds ``buying_role`` in its buying centre)."""
    user.require("customers.write")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("A contact needs a name.")
    choice("buying-centre role", buying_role, BUYING_ROLES)
    with store.transaction():
        kind = store.scalar("SELECT kind FROM parties WHERE party_id = ?", [org_id])
        if kind is None:
            raise NotFound(f"There is no party {org_id}.")
        if kind != "organisation":
            raise InvalidInput(f"Party {org_id} is a person: contacts are added to an organisation.")
        # A party merged away keeps its id (an undo brings it back): a new party never takes it.
        pid = max(store.next_id("parties", "party_id"), store.next_id("merged_parties", "party_id"))
        store.raw.execute("INSERT INTO parties (party_id, kind, category, name, email, organisation_id, job_title, "
                          "created_at) VALUES (?, 'person', 'customer', ?, ?, ?, ?, ?)",
                          [pid, name, email or None, org_id, job_title or None, now()])
        record(store, user, "party.create", "party", pid, {"organisation_id": org_id})
        search_index.refresh(store, [pid])
        picture.refresh(store, [pid])
    add_link(store, user, pid, org_id, "works_for", role=job_title, department=department)
    if buying_role:
        add_link(store, user, pid, org_id, "buying_role", role=buying_role)
    return {"party_id": pid, "name": name, "organisation_id": org_id, "buying_role": buying_role}


def stakeholder_grid_svg(people: list[dict], size: int = 360) -> str:
    """The stakeholder map: influence (up) × interest (right), 1-5, a dot per assessed person coloured by
    attitude (supporter green, neutral grey, opponent red), the four quadrants named."""
    import html

    pad, inner = 40, size - 60
    colour = {"supporter": "#2e8b57", "neutral": "#888", "opponent": "#c0392b", None: "#2e6da4"}

    def at(v):  # 1..5 -> 0..inner
        return (float(v) - 1) / 4 * inner

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
           f'role="img" aria-label="stakeholder grid" id="stakeholder-grid">',
           f'<rect x="{pad}" y="10" width="{inner}" height="{inner}" fill="none" stroke="#aaa"/>',
           f'<line x1="{pad + inner / 2}" y1="10" x2="{pad + inner / 2}" y2="{10 + inner}" stroke="#ddd"/>',
           f'<line x1="{pad}" y1="{10 + inner / 2}" x2="{pad + inner}" y2="{10 + inner / 2}" stroke="#ddd"/>']
    for text, x, y in (("keep satisfied", pad + 4, 24), ("manage closely", pad + inner / 2 + 4, 24),
                       ("monitor", pad + 4, 10 + inner - 6), ("keep informed", pad + inner / 2 + 4, 10 + inner - 6)):
        out.append(f'<text x="{x}" y="{y}" font-size="10" fill="#999">{text}</text>')
    out.append(f'<text x="{pad + inner / 2}" y="{size - 8}" font-size="11" text-anchor="middle">interest →</text>')
    out.append(f'<text x="12" y="{10 + inner / 2}" font-size="11" transform="rotate(-90 12 {10 + inner / 2})" '
               'text-anchor="middle">influence →</text>')
    for p in people:
        if p.get("influence") is None or p.get("interest") is None:
            continue
        x, y = pad + at(p["interest"]), 10 + inner - at(p["influence"])
        label = html.escape(p["name"])
        attitude = p.get("attitude")
        out.append(f'<circle class="stakeholder {attitude or "unrated"}" cx="{x:.1f}" cy="{y:.1f}" r="7" '
                   f'fill="{colour.get(attitude, "#2e6da4")}"><title>{label}: {attitude or "attitude not rated"}'
                   f'</title></circle><text x="{x + 9:.1f}" y="{y + 4:.1f}" font-size="11">{label}</text>')
    out.append("</svg>")
    return "".join(out)


def links_of(store: Store, user: User, party_id: int) -> list[dict]:
    """Every link a party has, either way, with the other party's name."""
    user.require("customers.read")
    require_party(store, party_id)
    rows = store.records(
        "SELECT l.link_id, l.party_id, l.other_party_id, l.link_type, l.role, l.department, l.since, l.until, "
        "l.note, l.source, a.name AS party_name, b.name AS other_name FROM party_links l "
        "LEFT JOIN parties a ON a.party_id = l.party_id LEFT JOIN parties b ON b.party_id = l.other_party_id "
        "WHERE l.party_id = ? OR l.other_party_id = ?", [party_id, party_id])
    return sorted(rows, key=lambda r: r["link_id"])


def add_assessment(store: Store, user: User, party_id: int, form: str, answers: dict[str, Any], *,
                   asked_of: str = "account_manager", note: str | None = None,
                   assessed_at: dt.datetime | None = None) -> dict[str, Any]:
    """Record one filled-in form about a party (a contact or an account); earlier answers stay as history."""
    user.require("customers.write")
    choice("form", form, ASSESSMENT_FORMS, required=True)
    choice("asked of", asked_of, ("account_manager", "customer"), required=True)
    items, (low, high) = FORM_ITEMS[form]
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise InvalidInput(f"The {form} form has no item {', '.join(unknown)}; its items are: {', '.join(items)}.")
    rows = []
    for item, value in answers.items():
        if value is None or value == "":
            continue
        if item == "attitude":
            rows.append((item, None, choice("attitude", value, ATTITUDES, required=True)))
            continue
        try:
            score = float(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"{item.replace('_', ' ')} must be a number from {low} to {high}, not {value!r}.") \
                from None
        if not low <= score <= high:
            raise InvalidInput(f"{item.replace('_', ' ')} must be from {low} to {high}, not {score:g}.")
        rows.append((item, score, None))
    if not rows:
        raise InvalidInput(f"Nothing to record: give at least one of {', '.join(items)}.")
    at = assessed_at or now()
    with store.transaction():
        require_party(store, party_id)
        first = store.next_id("assessments", "assessment_id")
        for n, (item, score, answer) in enumerate(rows):
            store.raw.execute("INSERT INTO assessments (assessment_id, source, external_id, party_id, form, item, score, "
                              "answer, assessed_at, assessed_by, asked_of, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              [first + n, SOURCE, f"assessment-{first + n}", party_id, form, item, score, answer,
                               at, user.username, asked_of, note or None])
        record(store, user, "assessment.create", "party", party_id, {"form": form, "items": len(rows)})
    return {"party_id": party_id, "form": form, "assessed_at": at, "assessed_by": user.username,
            "answers": {item: answer if answer is not None else score for item, score, answer in rows}}


def assessment_history(store: Store, user: User, party_id: int, form: str | None = None) -> list[dict]:
    user.require("customers.read")
    rows = store.records("SELECT form, item, score, answer, assessed_at, assessed_by, asked_of FROM assessments "
                         "WHERE party_id = ?", [party_id])
    return sorted((r for r in rows if form is None or r["form"] == form), key=lambda r: (r["assessed_at"], r["item"]))


def review_trend(store: Store, user: User, party_id: int, form: str = "wilson") -> dict[str, Any]:
    """Each filled-in ``form`` about a party as one review (its answers by item, when, by whom), oldest first,
    and per item the latest score and its change since the review before: Wilson's constructs trended."""
    choice("form", form, ASSESSMENT_FORMS, required=True)
    reviews: dict[tuple, dict] = {}
    for r in assessment_history(store, user, party_id, form):
        key = (r["assessed_at"], r["assessed_by"])
        reviews.setdefault(key, {"assessed_at": r["assessed_at"], "assessed_by": r["assessed_by"],
                                 "answers": {}})["answers"][r["item"]] = \
            r["answer"] if r["answer"] is not None else r["score"]
    ordered = [reviews[k] for k in sorted(reviews, key=lambda k: (k[0], k[1] or ""))]
    items, _ = FORM_ITEMS[form]
    rows = []
    for item in items:
        scores = [(rv["assessed_at"], rv["answers"][item]) for rv in ordered if item in rv["answers"]]
        latest = scores[-1][1] if scores else None
        before = scores[-2][1] if len(scores) > 1 else None
        change = latest - before if isinstance(latest, int | float) and isinstance(before, int | float) else None
        rows.append({"item": item, "label": item.replace("_", " "), "latest": latest, "previous": before,
                     "change": change, "history": scores})
    moved = [r["change"] for r in rows if r["change"] is not None]
    return {"form": form, "reviews": ordered, "constructs": rows,
            "direction": None if not moved else "improving" if sum(moved) > 0 else
            "declining" if sum(moved) < 0 else "unchanged"}


def _latest(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """form -> item -> the latest answer."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in sorted(rows, key=lambda r: r["assessed_at"]):
        out[r["form"]][r["item"]] = r["answer"] if r["answer"] is not None else r["score"]
    return out


# --- the account view -------------------------------------------------------------------------------------

def _as_of(store: Store, as_of: dt.datetime | None) -> dt.datetime:
    if as_of is not None:
        if as_of.tzinfo is not None:  # the store keeps naive UTC
            as_of = as_of.astimezone(dt.UTC).replace(tzinfo=None)
        if not 1900 <= as_of.year <= 9000:
            raise InvalidInput(f"as of {as_of:%Y-%m-%d} is not a plausible date.")
        return as_of
    latest = store.scalar("SELECT max(t) FROM (SELECT max(occurred_at) AS t FROM interactions "
                          "UNION ALL SELECT max(occurred_at) AS t FROM transactions) x")
    return latest or now()


def _in_list(ids) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _descendants(store: Store, org_id: int, at: dt.date | None = None) -> dict[int, dict]:
    """Every party below ``org_id`` through :data:`ROLLUP_LINKS` current on ``at`` (all when None), each
    ``{parent, link_type, depth}``, breadth first. A circle in the records (imported links can make one)
    is not followed twice: the party seen again is skipped."""
    links = defaultdict(list)
    for parent, child, kind, until in store.query(
            "SELECT party_id, other_party_id, link_type, until FROM party_links WHERE link_type IN "
            f"({', '.join(repr(k) for k in ROLLUP_LINKS)})"):
        if at is None or until is None or until >= at:
            links[parent].append((child, kind))
    found: dict[int, dict] = {}
    frontier = [org_id]
    depth = 0
    while frontier:
        depth += 1
        nxt = []
        for parent in frontier:
            for child, kind in sorted(links[parent]):
                if child == org_id or child in found:
                    continue
                found[child] = {"parent": parent, "link_type": kind, "depth": depth}
                nxt.append(child)
        frontier = nxt
    return found


def _rules(store: Store, rules: RelationshipRules | None, weights: StrengthWeights | None) -> RelationshipRules:
    """The rules given, else the store's; ``weights`` replace their strength weights."""
    rules = rules or relationship_rules(store)
    return rules if weights is None else replace(rules, strength=weights)


def rollup(store: Store, user: User, org_id: int, *, as_of: dt.datetime | None = None,
           weights: StrengthWeights | None = None, rules: RelationshipRules | None = None,
           own: dict | None = None) -> dict[str, Any]:
    """The account with its subsidiaries and sites (``parent_of``, ``location_of``, at any depth): each one's
    revenue, activity in the last 365 days (its own and its people's) and health (strength, engaged contacts),
    and the totals over the account and all of them (strength: their mean). ``account`` is the account's own
    row (depth 0); ``own`` is its own figures when the caller has them."""
    user.require("customers.read")
    rules = _rules(store, rules, weights)
    at = _as_of(store, as_of)
    below = _descendants(store, org_id, at.date())
    names = dict(store.query(f"SELECT party_id, name FROM parties WHERE party_id IN ({_in_list([org_id, *below])})"))
    rows = [] if own is None else [{"party_id": org_id, **own}]
    for pid in [*([] if own else [org_id]), *below]:
        kept = _account_records(store, pid, at)
        people, people_ids, _ = _people_at(kept, pid, at, rules)
        ids = people_ids | {pid}
        activity = sum(1 for i in ids for c in kept["contacts"][i] if (at - c[0]).days < 365)
        revenue = store.scalar(f"SELECT coalesce(sum(revenue), 0) FROM transactions WHERE party_id IN "
                               f"({_in_list(ids)}) AND occurred_at <= ?", [at])
        rows.append({"party_id": pid, "name": names.get(pid), **below.get(pid, {"parent": None,
                                                                               "link_type": None, "depth": 0}),
                     "revenue": float(revenue or 0), "activity_365d": activity,
                     "strength": account_strength([p["strength"]["score"] for p in people]),
                     "engaged": sum(1 for p in people if p["engaged"]), "people": len(people)})
    children = rows[1:]
    weakest = min(children, key=lambda r: r["strength"]) if children else None
    return {"account": {"name": names.get(org_id), "parent": None, "link_type": None, "depth": 0, **rows[0]},
            "children": children, "revenue": sum(r["revenue"] for r in rows),
            "people": sum(r["people"] for r in rows),
            "activity_365d": sum(r["activity_365d"] for r in rows), "engaged": sum(r["engaged"] for r in rows),
            "strength": round(sum(r["strength"] for r in rows) / len(rows), 2),
            "weakest": None if weakest is None else {"party_id": weakest["party_id"], "name": weakest["name"],
                                                     "strength": weakest["strength"]}}


def group_heads(store: Store, at: dt.date) -> list[int]:
    """The accounts that head a group on ``at``: above another through :data:`ROLLUP_LINKS` and below none
    (the members of a circle with no head are in none)."""
    current = (f"link_type IN ({', '.join(repr(k) for k in ROLLUP_LINKS)}) AND (until IS NULL OR until >= ?)")
    return [r[0] for r in store.query(
        f"SELECT DISTINCT party_id FROM party_links WHERE {current} AND party_id NOT IN "
        f"(SELECT other_party_id FROM party_links WHERE {current}) ORDER BY party_id", [at, at])]


def group_rollups(store: Store, user: User, org_id: int | None = None, *,
                  as_of: dt.datetime | None = None) -> dict[str, Any]:
    """The roll-up of account ``org_id`` (itself, its subsidiaries and their sites, as :func:`rollup`), or of
    every group when ``org_id`` is None (each head above others and below none, by party id).

    Returns ``{"as_of", "groups": [{"party_id", "name", "members": [row, ...], "revenue", "people",
    "activity_365d", "engaged", "strength", "weakest"}]}``; a member row is the head (depth 0) or one below it,
    with its ``parent``, ``link_type``, ``depth``, ``revenue``, ``people``, ``activity_365d`` (its own and its
    people's contacts in the 365 days to ``as_of``) and its health: ``strength`` (0-100) and ``engaged``
    contacts. One account view's worth of queries per member: a listing of every group reads them all.
    """
    user.require("customers.read")
    at = _as_of(store, as_of)
    if org_id is None:
        heads = group_heads(store, at.date())
    else:
        _organisation(store, org_id)
        heads = [org_id]
    groups = []
    for head in heads:
        r = rollup(store, user, head, as_of=at)
        groups.append({"party_id": head, "name": r["account"]["name"], "members": [r["account"], *r["children"]],
                       **{k: r[k] for k in ("revenue", "people", "activity_365d", "engaged", "strength", "weakest")}})
    return {"as_of": at, "groups": groups}


def gone_quiet(contacts: list[tuple], at: dt.datetime,
               rule: ChampionQuiet = DEFAULT_RULES.champion_quiet) -> dict | None:
    """Whether someone with these contacts ``(occurred_at, ...)`` has gone quiet on ``at``: silent for more
    than ``rule.days`` and more than ``rule.gaps`` times their usual gap (the mean gap between their contacts in
    the ``rule.rhythm_days`` up to their last one, at least ``rule.min_contacts`` of them). ``{silent_days,
    usual_gap_days, contacts}`` or None."""
    days, gaps, rhythm_days, min_contacts = rule.days, rule.gaps, rule.rhythm_days, rule.min_contacts
    seen = sorted(c[0] for c in contacts if c[0] <= at)
    if not seen:
        return None
    last = seen[-1]
    window = [t for t in seen if (last - t).days < rhythm_days]
    if len(window) < min_contacts:
        return None
    usual = max((last - window[0]).total_seconds() / 86400 / (len(window) - 1), 1.0)
    silent = (at - last).days
    if silent > days and silent > gaps * usual:
        return {"silent_days": silent, "usual_gap_days": usual, "contacts": len(window)}
    return None


def _account_records(store: Store, org_id: int, end: dt.datetime) -> dict[str, Any]:
    """What an account's people are read from, up to ``end``, in one pass: its links either way, the
    people and team members, their reporting lines (with their end dates), their interactions and
    the forms filled in about them. :func:`_people_at` reads the picture on any day up to ``end`` from it."""
    links = store.records("SELECT * FROM party_links WHERE other_party_id = ? OR party_id = ?", [org_id, org_id])
    employed = {r[0] for r in store.query("SELECT party_id FROM parties WHERE organisation_id = ?", [org_id])}
    linked = {l["party_id"] for l in links if l["other_party_id"] == org_id}
    everyone = employed | linked
    parties = {r["party_id"]: r for r in store.records(
        f"SELECT party_id, name, job_title, category FROM parties WHERE party_id IN ({_in_list(everyone)})")}
    reports = store.records(
        f"SELECT party_id, other_party_id, until FROM party_links WHERE link_type = 'reports_to' AND "
        f"party_id IN ({_in_list(everyone)})")
    contacts = defaultdict(list)
    for pid, occurred, channel, direction in store.query(
            f"SELECT party_id, occurred_at, channel, direction FROM interactions WHERE party_id IN "
            f"({_in_list(everyone | {org_id})}) AND occurred_at <= ? ORDER BY occurred_at", [end]):
        contacts[pid].append((occurred, channel, direction))
    assessed = defaultdict(list)
    for r in store.records(f"SELECT * FROM assessments WHERE party_id IN ({_in_list(everyone | {org_id})})"):
        assessed[r["party_id"]].append(r)
    return {"links": links, "employed": employed, "parties": parties, "reports": reports, "contacts": contacts,
            "assessed": assessed}


def _people_at(kept: dict[str, Any], org_id: int, at: dt.datetime,
               rules: RelationshipRules) -> tuple[list[dict], set[int], list[dict]]:
    """The account's people on ``at`` (links current then, contacts up to then), its people's ids and its
    current account-team links, from :func:`_account_records`."""
    day = at.date()
    current = [l for l in kept["links"] if l["until"] is None or l["until"] >= day]
    people_ids = {l["party_id"] for l in current if l["other_party_id"] == org_id and l["link_type"] in PEOPLE_LINKS}
    people_ids |= kept["employed"]
    team_links = [l for l in current if l["other_party_id"] == org_id and l["link_type"] == "account_team"]
    reports = {r["party_id"]: r["other_party_id"] for r in kept["reports"]
               if r["party_id"] in people_ids and (r["until"] is None or r["until"] >= day)}
    people = []
    for pid in sorted(people_ids):
        p = kept["parties"].get(pid, {"name": None, "job_title": None})
        mine = [l for l in current if l["party_id"] == pid and l["other_party_id"] == org_id]
        roles = tuple(sorted({l["role"] for l in mine if l["link_type"] == "buying_role"},
                             key=BUYING_ROLES.index))
        work = next((l for l in mine if l["link_type"] == "works_for"), None)
        title = (work or {}).get("role") or p.get("job_title")
        strength = contact_strength(kept["contacts"][pid], at, seniority(title, roles), rules.strength)
        latest = _latest(kept["assessed"][pid])
        stake = latest.get("stakeholder", {})
        person_trust = trust(latest.get("trust", {}))
        people.append({"party_id": pid, "name": p.get("name") or f"party {pid}", "title": title,
                       "department": (work or {}).get("department"), "buying_roles": list(roles),
                       "reports_to": reports.get(pid), "strength": strength, "trust": person_trust,
                       "influence": stake.get("influence"), "interest": stake.get("interest"),
                       "attitude": stake.get("attitude"),
                       "engaged": strength["last_contact"] is not None
                       and (at - strength["last_contact"]).days <= rules.single_threaded.engaged_days})
    return people, people_ids, team_links


def _organisation(store: Store, org_id: int) -> dict[str, Any]:
    """The account's party row; :class:`NotFound` if there is none, :class:`InvalidInput` for a person."""
    org = store.records("SELECT party_id, name, kind, category, city, country FROM parties WHERE party_id = ?",
                        [org_id])
    if not org:
        raise NotFound(f"There is no party {org_id}.")
    if org[0]["kind"] != "organisation":
        raise InvalidInput(f"Party {org_id} ({org[0]['name'] or 'no name'}) is a person, not an account.")
    return org[0]


def account_view(store: Store, user: User, org_id: int, *, as_of: dt.datetime | None = None,
                 weights: StrengthWeights | None = None, rules: RelationshipRules | None = None) -> dict[str, Any]:
    """Everything the account page shows about organisation ``org_id``, by ``rules`` (default: the store's
    relationship rules; ``weights`` replace their strength weights)."""
    user.require("customers.read")
    rules = _rules(store, rules, weights)
    org = _organisation(store, org_id)
    at = _as_of(store, as_of)
    kept = _account_records(store, org_id, at)
    people, people_ids, team_links = _people_at(kept, org_id, at, rules)
    parties, contacts, assessed = kept["parties"], kept["contacts"], kept["assessed"]
    by_id = {p["party_id"]: p for p in people}
    engaged = [p for p in people if p["engaged"]]
    coverage = {role: [p["party_id"] for p in people if role in p["buying_roles"] and p["engaged"]]
                for role in BUYING_ROLES}
    held = {role for p in people for role in p["buying_roles"]}
    alerts = []
    if not people:  # nobody recorded yet (a supplier kept as an account only): not a thread too few
        alerts.append({"kind": "no_contacts",
                       "text": "No contacts recorded: add the people you deal with at this account to see its "
                               "buying centre, strength and alerts."})
    elif len(engaged) <= rules.single_threaded.max_engaged:
        who = f" (only {engaged[0]['name']})" if len(engaged) == 1 else ""
        alerts.append({"kind": "single_threaded",
                       "text": f"Single-threaded account: {len(engaged)} engaged contact{who} in the last "
                               f"{rules.single_threaded.engaged_days} days. Reach more of the buying centre."})
    for p in people:
        champion = p["attitude"] == "supporter" and (p["influence"] or 0) >= rules.champion_quiet.champion_influence
        quiet = champion and gone_quiet(contacts[p["party_id"]], at, rules.champion_quiet)
        if quiet:
            alerts.append({"kind": "champion_quiet", "party_id": p["party_id"],
                           "text": f"Champion gone quiet: {p['name']} (a supporter of influence "
                                   f"{p['influence']:g}) has had no contact for {quiet['silent_days']} days, "
                                   f"{quiet['silent_days'] / quiet['usual_gap_days']:.1f} times their usual "
                                   f"{quiet['usual_gap_days']:.0f} days between contacts."})
    missing = [r for r in ("decider", "buyer") if r not in held]
    if people and missing:
        alerts.append({"kind": "coverage", "text": f"No known {' or '.join(missing)} in the buying centre."})
    org_latest = _latest(assessed[org_id])
    evidence = _stage_evidence(store, org_id, people_ids, at, len(engaged), len(people), org_latest)
    invest = org_latest.get("investments", {})
    customer_side = org["category"] != "supplier"
    # For a customer the firm supplies, the account is the buyer; for a supplier, the firm is the buyer.
    quadrant = bensaou(invest.get("buyer_investment"), invest.get("supplier_investment"),
                       rules.bensaou.buyer_high, rules.bensaou.supplier_high)
    acct_strength = account_strength([p["strength"]["score"] for p in people])
    trusts = [p["trust"]["trust"] for p in people if p["trust"]]
    account_trust = trust(org_latest.get("trust", {}))
    activity = defaultdict(int)
    for pid in people_ids | {org_id}:
        for occurred, channel, _ in contacts[pid]:
            if (at - occurred).days < 365:
                activity[channel] += 1
    observed = _observed_trust(store, people_ids | {org_id}, at)
    revenue, n_currencies, currency = store.query(
        f"SELECT coalesce(sum(revenue), 0), count(DISTINCT currency), min(currency) FROM transactions "
        f"WHERE party_id IN ({_in_list(people_ids | {org_id})}) AND occurred_at <= ?", [at])[0]
    return {
        "account": org, "as_of": at, "people": people, "org_chart": _org_chart(people, by_id),
        "coverage": coverage, "engaged": len(engaged), "alerts": alerts,
        "team": [{"party_id": l["party_id"], "name": (parties.get(l["party_id"]) or {}).get("name"),
                  "role": l["role"], "since": l["since"]} for l in team_links],
        "activity_365d": dict(activity), "revenue": float(revenue or 0), "strength": acct_strength,
        "currency": currency if n_currencies == 1 else None,
        "strength_formula": FORMULA + "; an account's strength is the mean of its three strongest contacts",
        "strength_weights": asdict(rules.strength),
        "trust": account_trust, "observed_trust": observed, "contact_trust_mean": round(sum(trusts) / len(trusts), 3) if trusts else None,
        "stage": stage(evidence, rules.ford_stages),
        "wilson_stage": wilson_stage(evidence, org_latest.get("wilson", {}), rules.wilson_stages),
        "bensaou": quadrant, "bensaou_side": "customer" if customer_side else "supplier",
        "matrix": matrix_cell(acct_strength, evidence.tenure_days), "wilson": org_latest.get("wilson", {}),
        "rollup": rollup(store, user, org_id, as_of=at, rules=rules, own={
            "revenue": float(revenue or 0), "activity_365d": sum(activity.values()), "strength": acct_strength,
            "engaged": len(engaged), "people": len(people)}),
    }


#: The window the observed trust terms are read over.
OBSERVED_DAYS = 365


def _observed_trust(store: Store, ids: set[int], at: dt.datetime) -> dict:
    """:func:`observed_trust` over the account's people and itself, for the year before ``at``."""
    from patron.areas.complaints.desk import service_levels

    since = at - dt.timedelta(days=OBSERVED_DAYS)
    complaints = store.records(
        "SELECT opened_at, first_response_at, resolved_at, category, severity, waiting_since, paused_hours "
        f"FROM complaints WHERE party_id IN ({_in_list(ids)}) AND resolved_at IS NOT NULL AND resolved_at > ? "
        "AND resolved_at <= ?", [since, at])
    levels = service_levels(store)  # the desk's clock: the store's service levels, waits left out
    states = [levels.desk_clocks(c, at)["resolution"].state for c in complaints]
    contacts = store.query(f"SELECT direction, department FROM interactions WHERE party_id IN ({_in_list(ids)}) "
                           "AND occurred_at > ? AND occurred_at <= ?", [since, at])
    return observed_trust(states, contacts)


def strength_history(store: Store, user: User, org_id: int, *, months: int = 12,
                     as_of: dt.datetime | None = None, weights: StrengthWeights | None = None,
                     rules: RelationshipRules | None = None) -> list[dict]:
    """The account's strength (and its engaged contacts) at the end of each of the last ``months`` months,
    oldest first, each computed as the account view computes it on that day (contacts then, links then)."""
    if not 1 <= months <= 60:
        raise InvalidInput(f"A strength history covers 1 to 60 months, not {months}.")
    user.require("customers.read")
    require_party(store, org_id)
    rules = _rules(store, rules, weights)
    end = _as_of(store, as_of)
    kept = _account_records(store, org_id, end)  # one read; each month is computed from it
    out = []
    for k in range(months - 1, -1, -1):
        at = end - dt.timedelta(days=round(k * 365.25 / 12))
        people, _, _ = _people_at(kept, org_id, at, rules)
        out.append({"at": at, "strength": account_strength([p["strength"]["score"] for p in people]),
                    "engaged": sum(1 for p in people if p["engaged"])})
    return out


def strength_sparkline_svg(history: list[dict], width: int = 360, height: int = 80) -> str:
    """The strength history as a small line chart (0-100), with a text alternative."""
    if not history:
        return ""
    pad = 6
    n = len(history)
    pts = [(pad + (width - 2 * pad) * (i / max(n - 1, 1)), height - pad - (height - 2 * pad) * h["strength"] / 100)
           for i, h in enumerate(history)]
    first, last = history[0], history[-1]
    label = (f"Relationship strength from {first['strength']:.0f} on {first['at']:%Y-%m-%d} "
             f"to {last['strength']:.0f} on {last['at']:%Y-%m-%d}")
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#2e6da4"><title>{h["at"]:%Y-%m} '
                   f'{h["strength"]:.1f}</title></circle>' for (x, y), h in zip(pts, history))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{label}"><line x1="{pad}" y1="{height - pad}" '
            f'x2="{width - pad}" y2="{height - pad}" stroke="#ccd"/><polyline points="{line}" fill="none" '
            f'stroke="#2e6da4" stroke-width="2"/>{dots}</svg>')


def _org_chart(people: list[dict], by_id: dict[int, dict]) -> list[dict]:
    """The people as a forest by reports-to: each node ``{person, reports: [...]}``, roots first."""
    children = defaultdict(list)
    for p in people:
        boss = p["reports_to"]
        children[boss if boss in by_id else None].append(p)

    def grow(p, seen):
        if p["party_id"] in seen:
            return {"person": p, "reports": []}
        return {"person": p, "reports": [grow(c, seen | {p["party_id"]}) for c in children[p["party_id"]]]}

    return [grow(p, frozenset()) for p in children[None]]


def _stage_evidence(store, org_id, people_ids, at, engaged, known, latest) -> StageEvidence:
    ids = _in_list(people_ids | {org_id})
    first, products = store.query(
        f"SELECT min(occurred_at), count(DISTINCT product) FROM transactions WHERE party_id IN ({ids}) "
        "AND occurred_at <= ?", [at])[0]
    last, prior = store.query(
        "SELECT coalesce(sum(CASE WHEN occurred_at > ? THEN revenue END), 0), "
        "coalesce(sum(CASE WHEN occurred_at <= ? THEN revenue END), 0) "
        f"FROM transactions WHERE party_id IN ({ids}) AND occurred_at <= ? AND occurred_at > ?",
        [at - dt.timedelta(days=180), at - dt.timedelta(days=180), at, at - dt.timedelta(days=360)])[0]
    wilson = latest.get("wilson", {})
    return StageEvidence(None if first is None else (at - first).days, int(products or 0), engaged, known,
                         float(last), float(prior), wilson.get("adaptation"), wilson.get("structural_bonds"))


# --- the portfolio and the network ------------------------------------------------------------------------

def accounts(store: Store, user: User, *, as_of: dt.datetime | None = None,
             weights: StrengthWeights | None = None, rules: RelationshipRules | None = None) -> list[dict]:
    """Every organisation with people or links: its stage, quadrant, strength, matrix cell and alerts."""
    user.require("customers.read")
    ids = [r[0] for r in store.query(
        "SELECT DISTINCT p.party_id FROM parties p WHERE p.kind = 'organisation' AND p.category <> 'internal_unit' "
        "AND (p.party_id IN "
        "(SELECT other_party_id FROM party_links) OR p.party_id IN (SELECT party_id FROM party_links) OR "
        "p.party_id IN (SELECT organisation_id FROM parties WHERE organisation_id IS NOT NULL))")]
    at = _as_of(store, as_of)
    rules = _rules(store, rules, weights)  # read once for every account
    out = []
    for org_id in sorted(ids):
        v = account_view(store, user, org_id, as_of=at, rules=rules)
        out.append({"party_id": org_id, "name": v["account"]["name"], "category": v["account"]["category"],
                    "people": len(v["people"]), "engaged": v["engaged"], "strength": v["strength"],
                    "stage": v["stage"]["stage"], "phase": v["stage"]["phase"], "bensaou": v["bensaou"],
                    "proximity": v["matrix"]["proximity"], "duration": v["matrix"]["duration"],
                    "nature": v["matrix"]["nature"], "trust": (v["trust"] or {}).get("trust"),
                    "alerts": [a["kind"] for a in v["alerts"]], "revenue": v["revenue"],
                    "side": v["bensaou_side"], "wilson_stage": v["wilson_stage"]["stage"]})
    return out


def _graph(store: Store):
    links = store.query("SELECT party_id, other_party_id, link_type FROM party_links")
    referrals = store.query("SELECT referred_by, party_id FROM parties WHERE referred_by IS NOT NULL")
    referrals += [(a, b) for a, b, t in links if t == "referred"]
    attrs = {pid: {"category": cat, "country": country, "city": city, "kind": kind,
                   "age_band": None if born is None else f"{born.year // 10 * 10}s"}
             for pid, cat, country, city, kind, born in store.query(
                 "SELECT party_id, category, country, city, kind, birth_date FROM parties WHERE party_id IN "
                 "(SELECT party_id FROM party_links UNION SELECT other_party_id FROM party_links "
                 "UNION SELECT party_id FROM parties WHERE referred_by IS NOT NULL "
                 "UNION SELECT referred_by FROM parties WHERE referred_by IS NOT NULL)")}
    rung = dict(store.query("SELECT party_id, rung FROM scores WHERE run_id = (SELECT max(run_id) FROM scores)"))
    for pid, a in attrs.items():
        a["rung"] = rung.get(pid)
    g = network.link_graph([*links, *((a, b, "referred") for a, b in referrals)], attrs)
    return g, referrals


#: What homophily is measured by: the attribute assortativity of each over the network's ties (age band: the
#: decade of birth).
HOMOPHILY_ATTRIBUTES = ("category", "country", "city", "age_band", "rung")


#: Left out of the rankings (communities, bridging contacts): the firm itself (``internal_unit``), linked to
#: every supplier, distributor and partner, bridges them all by construction and says nothing about who
#: connects whom; with ``without_staff`` its employees (account teams) go as a group too.
FIRM_CATEGORIES = ("internal_unit",)
STAFF_CATEGORIES = ("employee",)


def network_summary(store: Store, user: User, *, top: int = 10, without_staff: bool = False) -> dict[str, Any]:
    """The firm's network: size, referral reach and value, communities, bridging contacts, homophily.

    Communities and bridges are read from the network without the firm's own party (and without its staff when
    ``without_staff``): see :data:`FIRM_CATEGORIES`. Size, referrals and homophily count every tie."""
    user.require("customers.read")
    g, referrals = _graph(store)
    left_out = FIRM_CATEGORIES + (STAFF_CATEGORIES if without_staff else ())
    ranked = g.subgraph([n for n, c in g.nodes(data="category") if c not in left_out])
    value = {pid: float(v) for pid, v in store.query(
        "SELECT party_id, sum(revenue) FROM transactions GROUP BY party_id")}
    crv = network.referral_value(referrals, value)
    names = dict(store.query(f"SELECT party_id, name FROM parties WHERE party_id IN ({_in_list(g.nodes)})"))
    found = network.communities(ranked)
    central = network.centrality(ranked)  # igraph above network.LARGE_GRAPH_NODES
    bridges = sorted(((n, c["betweenness"]) for n, c in central.items() if c["betweenness"] > 0),
                     key=lambda x: -x[1])[:top]
    return {
        "nodes": g.number_of_nodes(), "edges": g.number_of_edges(),
        "referrers": [{"party_id": p, "name": names.get(p), **v} for p, v in
                      sorted(crv.items(), key=lambda kv: -kv[1]["referral_value"])[:top]],
        "communities": [{"size": len(c), "members": sorted(c)[:12]} for c in found[:top]],
        "community_of": {n: i for i, c in enumerate(found) for n in c},
        "bridges": [{"party_id": n, "name": names.get(n), "betweenness": b} for n, b in bridges],
        "left_out": sorted(n for n, c in g.nodes(data="category") if c in left_out),
        "assortativity": {a: network.assortativity(g, a) for a in HOMOPHILY_ATTRIBUTES},
    }


#: The most neighbours an ego-network picture draws (the rest are counted under it).
EGO_LIMIT = 40


def ego_network(store: Store, user: User, party_id: int) -> dict[str, Any]:
    """A party's direct ties (links either way, who referred them and whom they referred) as an SVG picture,
    read from the party's own rows only (indexed lookups), so it costs the same in a store of any size."""
    user.require("customers.read")
    require_party(store, party_id)
    ties = store.query("SELECT party_id, other_party_id, link_type FROM party_links "
                       "WHERE party_id = ? OR other_party_id = ?", [party_id, party_id])
    ties += [(party_id, pid, "referred") for (pid,) in store.query(
        "SELECT party_id FROM parties WHERE referred_by = ?", [party_id])]
    ties += [(pid, party_id, "referred") for (pid,) in store.query(
        "SELECT referred_by FROM parties WHERE party_id = ? AND referred_by IS NOT NULL", [party_id])]
    neighbours = sorted({b if a == party_id else a for a, b, _ in ties} - {party_id})
    shown = set(neighbours[:EGO_LIMIT]) | {party_id}
    g = network.link_graph([t for t in ties if t[0] in shown and t[1] in shown], {})
    names = dict(store.query(f"SELECT party_id, name FROM parties WHERE party_id IN ({_in_list(shown)})"))
    svg = network.ego_svg(g, party_id, {k: names.get(k) or f"party {k}" for k in shown})
    return {"svg": svg, "ties": len(ties), "neighbours": len(neighbours),
            "not_drawn": max(0, len(neighbours) - EGO_LIMIT)}


def ego_network_svg(store: Store, user: User, party_id: int) -> str:
    """The picture of :func:`ego_network`."""
    return ego_network(store, user, party_id)["svg"]
