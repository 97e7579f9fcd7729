"""Answers customers give: NPS, CSAT, CES, a suggestion, a review, recorded against a party."""

from __future__ import annotations

from patron.areas.parties.service import require_party
from patron.errors import InvalidInput
from patron.service.audit import record
from patron.service.entered import SOURCE, choice, now
from patron.service.permissions import User
from patron.store import Store
from patron.store.vocabulary import FEEDBACK_INSTRUMENTS


def record_feedback(store: Store, user: User, party_id: int, *, instrument: str, score: float | None = None,
                    scale_max: float | None = None, item: str | None = None, text: str | None = None) -> dict:
    """Store one answer; an NPS answer is a score from 0 to 10, any score at most its scale's maximum."""
    user.require("customers.write")
    choice("instrument", instrument, FEEDBACK_INSTRUMENTS, required=True)
    if instrument == "nps" and (score is None or not 0 <= score <= 10):
        raise InvalidInput("An NPS answer is a score from 0 to 10.")
    if score is not None and scale_max is not None and score > scale_max:
        raise InvalidInput("The score is above the scale maximum.")
    with store.transaction():
        require_party(store, party_id)
        feedback_id = store.next_id("feedback", "feedback_id")
        at = now()
        store.raw.execute(
            "INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, item, score, "
            "scale_max, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [feedback_id, SOURCE, str(feedback_id), party_id, at, instrument, item, score, scale_max, text],
        )
        record(store, user, "feedback.create", "feedback", feedback_id, {"party_id": party_id,
                                                                        "instrument": instrument})
    return {"feedback_id": feedback_id, "party_id": party_id, "occurred_at": at, "instrument": instrument,
            "item": item, "score": score, "scale_max": scale_max, "text": text}
