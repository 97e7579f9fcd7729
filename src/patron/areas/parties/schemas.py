"""``/api/v1/parties`` bodies: a party found by a search, and the customer 360, typed all the way down.

Personal fields (email, phone, address, postcode, birth date) come masked
(``j***@example.com``, ``***``) for roles that may not see them, so they are
text, or a date when shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import UtcDateTime
from patron.areas.complaints.schemas import ComplaintPublic
from patron.areas.feedback.schemas import FeedbackAnswer
from patron.store.vocabulary import (
    LADDER_STATES,
    PARTY_CATEGORIES,
    PARTY_KINDS,
    TIME_UNITS,
    TRANSACTION_KINDS,
    TRIAGE_GROUPS,
    TRIAGE_TIERS,
)

_STRICT = ConfigDict(extra="forbid")


class _PartyFields(BaseModel):
    """Who the party is, as the user may see it (the columns of ``parties``)."""

    model_config = _STRICT
    party_id: int
    kind: Literal[PARTY_KINDS]
    category: Literal[PARTY_CATEGORIES]
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    birth_date: dt.date | str | None = Field(None, description="A date, or '***' for roles that may not see it.")
    organisation_id: int | None = None
    job_title: str | None = None
    acquired_at: UtcDateTime | None = None
    acquisition_channel: str | None = None
    acquisition_cost: float | None = None
    referred_by: int | None = None
    owner: str | None = Field(None, description="The user who looks after the relationship.")
    created_at: UtcDateTime


class Profile(_PartyFields):
    """Who the party is, with the name of the organisation it works for."""

    organisation: str | None = Field(None, description="The name of the organisation the party works for.")


class PartySummary(_PartyFields):
    """A party as a search lists it: the profile and the latest run's headline scores."""

    rung: Literal[LADDER_STATES] | None = None
    clv: float | None = None
    triage: Literal[TRIAGE_GROUPS] | None = None
    at_risk: bool | None = None


class Identity(BaseModel):
    model_config = _STRICT
    source: str = Field(description="The system that knows the party by this key.")
    source_key: str


class Totals(BaseModel):
    model_config = _STRICT
    lines: int = Field(description="Transaction lines.")
    documents: int = Field(description="Orders and invoices (a document has one or more lines); refunds are not "
                                       "counted, as in the scores' orders.")
    refunds: int = Field(0, description="Refund lines.")
    revenue: float = Field(description="Net revenue to date: orders and invoices less refunds.")
    currency: str | None = Field(None, description="The currency of the revenue (None when the party's "
                                                   "transactions are in several or none is known).")
    first_at: UtcDateTime | None = None
    last_at: UtcDateTime | None = None


class TransactionLine(BaseModel):
    model_config = _STRICT
    transaction_id: int
    kind: Literal[TRANSACTION_KINDS]
    document: str | None = None
    occurred_at: UtcDateTime
    product: str | None = None
    description: str | None = None
    quantity: float | None = None
    revenue: float
    currency: str


class TimelineEvent(BaseModel):
    model_config = _STRICT
    event_at: UtcDateTime
    type: Literal["interaction", "complaint", "feedback", "purchase"]
    id: int = Field(description="The id of the interaction, complaint, feedback or (first) transaction line.")
    title: str
    detail: str
    amount: float | None = Field(None, description="A purchase's total (net of its refund lines).")
    currency: str | None = None


class ScoreFields(BaseModel):
    """A party's row of one analysis run's scores (the columns of ``scores`` but the run and party ids)."""

    model_config = _STRICT
    frequency: int | None = Field(None, description="Repeat purchases.")
    recency: float | None = None
    t: float | None = Field(None, description="Age: periods since the first purchase.")
    monetary_value: float | None = None
    first_purchase_at: UtcDateTime | None = None
    last_purchase_at: UtcDateTime | None = None
    orders: int | None = None
    revenue: float | None = None
    margin: float | None = None
    p_alive: float | None = Field(None, description="Probability the customer is still active.")
    expected_purchases: float | None = None
    expected_spend: float | None = None
    clv: float | None = None
    next_purchase_in: float | None = None
    r_score: int | None = None
    f_score: int | None = None
    m_score: int | None = None
    rfm_segment: str | None = None
    rung: Literal[LADDER_STATES] | None = Field(None, description="Rung of the ladder of loyalty, or lapsed.")
    rung_level: int | None = Field(None, description="0 = lapsed, 1 = suspect ... 7 = partner.")
    health: float | None = None
    health_trend: float | None = None
    triage: Literal[TRIAGE_GROUPS] | None = None
    value_tier: Literal[TRIAGE_TIERS] | None = None
    quality_tier: Literal[TRIAGE_TIERS] | None = None
    at_risk: bool | None = None
    reasons: str | None = None
    rung_reason: str | None = Field(None, description="Why the party stands on its rung (\"advocate because ...\").")
    triage_reason: str | None = Field(None, description="Why the party is in its triage group.")
    cost_to_serve: float | None = Field(None, description="Contacts, complaints, refunds and deliveries, costed.")
    profit: float | None = Field(None, description="Margin to date less cost to serve and acquisition cost.")
    profit_clv: float | None = Field(None, description="CLV less the discounted cost of serving the expected orders.")
    p_alive_low: float | None = Field(None, description="Low end of P(alive)'s 95% interval (delta method).")
    p_alive_high: float | None = Field(None, description="High end of P(alive)'s 95% interval (delta method).")
    clv_low: float | None = Field(None, description="Low end of the CLV's 95% interval (delta method).")
    clv_high: float | None = Field(None, description="High end of the CLV's 95% interval (delta method).")


class ValueIntervals(BaseModel):
    """How sure a party's CLV and P(alive) are: the models' parameter uncertainty (see docs/models.md)."""

    model_config = _STRICT
    level: float = Field(description="Confidence level, e.g. 0.95.")
    method: str
    clv: tuple[float, float] = Field(description="Low and high end of the CLV's interval.")
    p_alive: tuple[float, float] = Field(description="Low and high end of P(alive)'s interval.")


class Scores(ScoreFields):
    """The party's row of the latest analysis run that scored it."""

    run_id: int
    party_id: int
    as_of: UtcDateTime = Field(description="The date the run looked from.")
    time_unit: Literal[TIME_UNITS] | None = Field(None, description="The period recency and T are counted in.")
    intervals: ValueIntervals | None = Field(None, description="Intervals on CLV and P(alive); none for one-time "
                                             "runs saved before intervals existed.")


class ConsentStatus(BaseModel):
    model_config = _STRICT
    channel: str
    purpose: str
    granted: bool
    recorded_at: UtcDateTime
    lawful_basis: str | None = None
    evidence: str | None = None
    source: str
    changes: int = Field(description="How many opt-ins and opt-outs the ledger holds for this channel and purpose.")


class FieldChange(BaseModel):
    model_config = _STRICT
    field: str
    old_value: str | None = None
    new_value: str | None = None
    changed_at: UtcDateTime
    changed_by: str | None = None
    import_id: int | None = None
    how: str = Field(description="import, undo, form, api or merge.")


class Party360(BaseModel):
    """Everything about one party."""

    model_config = _STRICT
    profile: Profile
    identities: list[Identity]
    totals: Totals
    transactions: list[TransactionLine] = Field(description="The latest 100 transaction lines, newest first.")
    timeline: list[TimelineEvent]
    feedback: list[FeedbackAnswer]
    complaints: list[ComplaintPublic]
    scores: Scores | None
    reasons: list[str] = Field(description="The reasons behind the scores, in words.")
    personal_data_visible: bool
    consents: list[ConsentStatus] = Field(description="The latest consent per channel and purpose.")
    suppressed: bool = Field(description="On the suppression list: never contacted, never re-imported.")
    changes: list[FieldChange] = Field(description="Changes of the party's fields, newest first (at most 50).")
