"""Finding parties and the customer 360: everything about one party, for one user."""

from __future__ import annotations

from typing import Any

from patron.errors import PatronError
from patron.service.users import User
from patron.store import Store

PERSONAL_FIELDS = ("email", "phone", "address", "postcode", "birth_date")
PROFILE_FIELDS = ("party_id", "kind", "category", "name", "email", "phone", "address", "postcode", "city", "country",
                  "birth_date", "organisation_id", "job_title", "acquired_at", "acquisition_channel",
                  "acquisition_cost", "referred_by", "created_at")


def mask(field: str, value: Any) -> Any:
    """Personal data as a role without access sees it: enough to recognise, not to contact."""
    if value is None:
        return None
    text = str(value)
    if field == "email" and "@" in text:
        local, domain = text.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if field == "phone":
        return "***" + text[-2:]
    return "***"


def _dicts(cur) -> list[dict]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _profile(row: dict, user: User) -> dict:
    if not user.sees_personal_data:
        row = {k: (mask(k, v) if k in PERSONAL_FIELDS else v) for k, v in row.items()}
    return row


def search_parties(store: Store, user: User, q: str | None = None, *, category: str | None = None,
                   limit: int = 25, offset: int = 0) -> tuple[int, list[dict]]:
    """Parties whose name, key in a source system, id or (for roles that may) email matches ``q``."""
    where, params = [], []
    if q:
        text = f"%{q.strip().lower()}%"
        clauses = ["lower(p.name) LIKE ?", "p.party_id IN (SELECT party_id FROM identities WHERE lower(source_key) LIKE ?)"]
        params += [text, text]
        if user.sees_personal_data:
            clauses.append("lower(p.email) LIKE ?")
            params.append(text)
        if q.strip().isdigit():
            clauses.append("p.party_id = ?")
            params.append(int(q.strip()))
        where.append("(" + " OR ".join(clauses) + ")")
    if category:
        where.append("p.category = ?")
        params.append(category)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = store.scalar(f"SELECT count(*) FROM parties p {clause}", params)
    latest = store.scalar("SELECT max(run_id) FROM runs WHERE kind = 'value'")
    cur = store.raw.execute(
        f"SELECT {', '.join('p.' + f for f in PROFILE_FIELDS)}, s.rung, s.clv, s.triage, s.at_risk "
        f"FROM parties p LEFT JOIN scores s ON s.party_id = p.party_id AND s.run_id = ? {clause} "
        f"ORDER BY s.clv DESC NULLS LAST, p.party_id LIMIT ? OFFSET ?",
        [latest, *params, int(limit), int(offset)],
    )
    return total, [_profile(r, user) for r in _dicts(cur)]


def _explain(score: dict) -> list[str]:
    """The reasons behind a party's scores, in words."""
    reasons = []
    if score.get("rung"):
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
    if score.get("health") is not None:
        trend = score.get("health_trend")
        reasons.append(f"Relationship health {score['health']:.0f}/100"
                       + (f", {trend:+.0f} over the trend window." if trend is not None else "."))
    if score.get("triage"):
        reasons.append(f"Triage: {score['triage']} (value {score.get('value_tier') or '-'}, "
                       f"quality {score.get('quality_tier') or '-'}).")
    if score.get("rfm_segment"):
        reasons.append(f"RFM segment {score['rfm_segment']} (R{score['r_score']} F{score['f_score']} "
                       f"M{score['m_score']}).")
    if score.get("at_risk"):
        reasons.append(f"At risk: {score['reasons']}.")
    return reasons


def party_360(store: Store, user: User, party_id: int, *, events: int = 200) -> dict:
    """Profile, identities, transactions, timeline, feedback, complaints and scores of one party."""
    rows = _dicts(store.raw.execute(f"SELECT {', '.join(PROFILE_FIELDS)} FROM parties WHERE party_id = ?",
                                    [party_id]))
    if not rows:
        raise PatronError(f"There is no party {party_id}.")
    profile = _profile(rows[0], user)
    if profile.get("organisation_id"):
        profile["organisation"] = store.scalar("SELECT name FROM parties WHERE party_id = ?",
                                               [profile["organisation_id"]])
    identities = _dicts(store.raw.execute(
        "SELECT source, source_key FROM identities WHERE party_id = ? ORDER BY source, source_key", [party_id]))
    totals = _dicts(store.raw.execute(
        "SELECT count(*) AS lines, count(DISTINCT document) AS documents, coalesce(sum(revenue), 0) AS revenue, "
        "min(occurred_at) AS first_at, max(occurred_at) AS last_at FROM transactions WHERE party_id = ?",
        [party_id]))[0]
    transactions = _dicts(store.raw.execute(
        "SELECT transaction_id, kind, document, occurred_at, product, description, quantity, revenue, currency "
        "FROM transactions WHERE party_id = ? ORDER BY occurred_at DESC, transaction_id DESC LIMIT 100", [party_id]))
    feedback = _dicts(store.raw.execute(
        "SELECT feedback_id, occurred_at, instrument, item, dimension, score, scale_max, expectation, perception, "
        "text FROM feedback WHERE party_id = ? ORDER BY occurred_at DESC", [party_id]))
    complaints = _dicts(store.raw.execute(
        "SELECT complaint_id, opened_at, first_response_at, resolved_at, channel, category, cause, severity, status, "
        "description, resolution, satisfaction_after FROM complaints WHERE party_id = ? ORDER BY opened_at DESC",
        [party_id]))
    timeline = _dicts(store.raw.execute(
        "SELECT * FROM ("
        " SELECT occurred_at AS event_at, 'interaction' AS type, interaction_id AS id, channel || coalesce(' · ' || "
        "  department, '') AS title, coalesce(subject, '') || coalesce(' — ' || outcome, '') AS detail "
        "  FROM interactions WHERE party_id = ?"
        " UNION ALL SELECT opened_at, 'complaint', complaint_id, 'complaint: ' || coalesce(category, 'general'), "
        "  status || ' · ' || severity FROM complaints WHERE party_id = ?"
        " UNION ALL SELECT occurred_at, 'feedback', feedback_id, instrument || coalesce(' · ' || item, ''), "
        "  coalesce('score ' || score::VARCHAR, '') FROM feedback WHERE party_id = ?"
        " UNION ALL SELECT min(occurred_at), 'purchase', min(transaction_id), kind || ' ' || coalesce(document, ''), "
        "  round(sum(revenue), 2)::VARCHAR || ' ' || min(currency) FROM transactions WHERE party_id = ? "
        "  GROUP BY kind, document"
        ") ORDER BY event_at DESC LIMIT ?", [party_id] * 4 + [int(events)]))
    score_rows = _dicts(store.raw.execute(
        "SELECT s.*, r.as_of, json_extract_string(r.settings, '$.time_unit') AS time_unit "
        "FROM scores s JOIN runs r USING (run_id) WHERE s.party_id = ? "
        "ORDER BY s.run_id DESC LIMIT 1", [party_id]))
    score = score_rows[0] if score_rows else None
    return {
        "profile": profile,
        "identities": identities,
        "totals": totals,
        "transactions": transactions,
        "timeline": timeline,
        "feedback": feedback,
        "complaints": complaints,
        "scores": score,
        "reasons": _explain(score) if score else [],
        "personal_data_visible": user.sees_personal_data,
    }
