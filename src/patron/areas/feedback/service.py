"""Answers customers give: NPS, CSAT, CES, a suggestion, a review, recorded against a party."""

from __future__ import annotations

import datetime as dt

from patron.areas.parties.service import require_party
from patron.errors import InvalidInput
from patron.service.audit import record
from patron.service.entered import SOURCE, choice, now
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import DEPARTMENTS, FEEDBACK_INSTRUMENTS, INTERACTION_PHASES, SERVQUAL_DIMENSIONS

#: Instruments whose score means nothing without its declared scale (1..scale_max).
SCALED = ("csat", "ces")


def record_feedback(store: Store, user: User, party_id: int, *, instrument: str, score: float | None = None,
                    scale_max: float | None = None, item: str | None = None, text: str | None = None,
                    dimension: str | None = None, expectation: float | None = None,
                    perception: float | None = None, adequate: float | None = None, desired: float | None = None,
                    channel: str | None = None, department: str | None = None,
                    touchpoint: str | None = None, occurred_at: dt.datetime | None = None) -> dict:
    """Store one answer; an NPS answer is a score from 0 to 10, a CSAT or CES score needs its declared scale,
    any score is at most its scale's maximum; a SERVQUAL answer gives its dimension, expectation and perception
    (and, where measured, the adequate and desired levels of its zone of tolerance). ``channel`` says where it
    was heard (``field_visit``: on a visit to the customer), ``department`` and ``touchpoint`` (before, during
    or after the sale) what it is about."""
    user.require("customers.write")
    choice("instrument", instrument, FEEDBACK_INSTRUMENTS, required=True)
    choice("dimension", dimension, SERVQUAL_DIMENSIONS)
    choice("department", department, DEPARTMENTS)
    choice("touchpoint", touchpoint, INTERACTION_PHASES)
    channel = (channel or "").strip() or None
    if instrument == "nps" and (score is None or not 0 <= score <= 10):
        raise InvalidInput("An NPS answer is a score from 0 to 10.")
    if instrument == "nps" and scale_max not in (None, 10):
        raise InvalidInput("An NPS answer is on the 0-10 scale (scale_max 10).")
    if instrument in SCALED and score is not None and scale_max is None:
        raise InvalidInput(f"A {instrument.upper()} score needs its scale: give scale_max (e.g. 5 for a 1-5 scale).")
    if instrument in SCALED and score is not None and score < 1:
        raise InvalidInput(f"A {instrument.upper()} score is on a scale from 1 to scale_max.")
    if score is not None and scale_max is not None and score > scale_max:
        raise InvalidInput("The score is above the scale maximum.")
    if instrument == "servqual":
        if dimension is None or expectation is None or perception is None:
            raise InvalidInput("A SERVQUAL answer needs its dimension, expectation and perception.")
        top = scale_max or 7.0
        if not (1 <= expectation <= top and 1 <= perception <= top):
            raise InvalidInput(f"SERVQUAL expectation and perception are scores from 1 to {top:g}.")
        if any(v is not None and not 1 <= v <= top for v in (adequate, desired)):
            raise InvalidInput(f"The adequate and desired levels are scores from 1 to {top:g}.")
        if adequate is not None and desired is not None and adequate > desired:
            raise InvalidInput("The adequate level of service cannot be above the desired level.")
        scale_max = top
    elif any(v is not None for v in (expectation, perception, adequate, desired)):
        raise InvalidInput("Expectation, perception and the adequate and desired levels belong to SERVQUAL answers "
                           "(instrument servqual).")
    values = {"instrument": instrument, "item": item, "dimension": dimension, "score": score, "scale_max": scale_max,
              "expectation": expectation, "perception": perception, "text": text, "adequate": adequate,
              "desired": desired, "channel": channel, "department": department, "touchpoint": touchpoint}
    with store.transaction():
        require_party(store, party_id)
        return _insert(store, user, party_id, values, occurred_at or now())


def _insert(store: Store, user: User, party_id: int, v: dict, at: dt.datetime) -> dict:
    """One checked answer (``v``: its columns) written and audited, inside the caller's transaction."""
    feedback_id = store.next_id("feedback", "feedback_id")
    columns = ("instrument", "item", "dimension", "score", "scale_max", "expectation", "perception", "text",
               "adequate", "desired", "channel", "department", "touchpoint")
    store.raw.execute(
        f"INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, {', '.join(columns)}) "
        f"VALUES (?, ?, ?, ?, ?, {', '.join('?' for _ in columns)})",
        [feedback_id, SOURCE, str(feedback_id), party_id, at, *(v[k] for k in columns)])
    record(store, user, "feedback.create", "feedback", feedback_id, {"party_id": party_id,
                                                                    "instrument": v["instrument"]})
    return {"feedback_id": feedback_id, "party_id": party_id, "occurred_at": at, **{k: v[k] for k in columns}}


#: Where a field visit's answers were heard (``feedback.channel``): the listening instrument's report reads it.
FIELD_VISIT = "field_visit"


def record_field_visit(store: Store, user: User, party_id: int, *, satisfaction: float | None = None,
                       suggestion: str | None = None, visited_at: dt.datetime | None = None,
                       touchpoint: str | None = None) -> list[dict]:
    """What a customer said on a visit (seed 001: field visits as a way of tracking satisfaction): a satisfaction
    score (CSAT, 1-5) and or a suggestion, both recorded with channel ``field_visit`` at the visit's time, in one
    transaction. A visit is not in the future and gives at least one of the two."""
    user.require("customers.write")
    suggestion = (suggestion or "").strip() or None
    if satisfaction is None and suggestion is None:
        raise InvalidInput("A field visit records a satisfaction score (1 to 5), a suggestion, or both.")
    if satisfaction is not None and (not 1 <= satisfaction <= 5 or satisfaction != int(satisfaction)):
        raise InvalidInput("Satisfaction on a visit is a whole score from 1 to 5.")
    if suggestion is not None and len(suggestion) > 2000:
        raise InvalidInput("A suggestion is at most 2,000 characters.")
    choice("touchpoint", touchpoint, INTERACTION_PHASES)
    at = visited_at or now()
    if at > now():
        raise InvalidInput("A field visit cannot be recorded for a time still to come.")
    base = dict.fromkeys(("item", "dimension", "score", "scale_max", "expectation", "perception", "text", "adequate",
                          "desired", "department"))
    base |= {"channel": FIELD_VISIT, "touchpoint": touchpoint}
    answers = []
    if satisfaction is not None:
        answers.append(base | {"instrument": "csat", "item": "Satisfaction on a field visit",
                               "score": float(satisfaction), "scale_max": 5.0})
    if suggestion is not None:
        answers.append(base | {"instrument": "suggestion", "item": "Suggestion on a field visit", "text": suggestion})
    with store.transaction():
        require_party(store, party_id)
        return [_insert(store, user, party_id, a, at) for a in answers]
