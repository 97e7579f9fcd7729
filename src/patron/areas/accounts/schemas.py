"""``/api/v1/accounts``, ``/api/v1/parties/{id}/links``, ``/assessments`` and ``/network`` bodies."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from patron.api.schemas import Day, Int, UtcDateTime
from patron.store import vocabulary


class LinkCreate(BaseModel):
    """A link from the party in the path to ``other_party_id``: "party <link_type> other party"."""

    other_party_id: Int = Field(ge=1, le=2**62)
    link_type: Literal[vocabulary.LINK_TYPES]  # type: ignore[valid-type]
    role: str | None = Field(None, max_length=200, description="a buying-centre role for buying_role, an "
                             "account-team role for account_team, else the person's role or title")
    department: str | None = Field(None, max_length=200)
    since: Day | None = None
    until: Day | None = None
    note: str | None = Field(None, max_length=2000)


class LinkPublic(LinkCreate):
    link_id: int
    party_id: int
    source: str
    link_type: str
    party_name: str | None = None
    other_name: str | None = None


class AssessmentCreate(BaseModel):
    """One filled-in form: stakeholder (influence, interest 1-5, attitude), trust (credibility, reliability,
    intimacy, self_orientation 1-10), wilson (Wilson's constructs 1-5) or investments (buyer_investment,
    supplier_investment 1-5)."""

    form: Literal[vocabulary.ASSESSMENT_FORMS]  # type: ignore[valid-type]
    answers: dict[str, float | str]
    asked_of: Literal["account_manager", "customer"] = "account_manager"
    note: str | None = Field(None, max_length=2000)


class AssessmentPublic(BaseModel):
    party_id: int
    form: str
    assessed_at: UtcDateTime
    assessed_by: str
    answers: dict[str, float | str]


class AccountRow(BaseModel):
    party_id: int
    name: str | None
    category: str
    people: int
    engaged: int
    strength: float
    stage: Literal[vocabulary.RELATIONSHIP_STAGES]  # type: ignore[valid-type]
    phase: Literal[vocabulary.LIFECYCLE_PHASES]  # type: ignore[valid-type]
    bensaou: Literal[vocabulary.BENSAOU_QUADRANTS] | None  # type: ignore[valid-type]
    proximity: str
    duration: str
    nature: str
    trust: float | None
    alerts: list[str]
    revenue: float
    #: "customer" (the account buys from the firm) or "supplier" (the firm buys from it): Bensaou's side.
    side: str
    wilson_stage: Literal[vocabulary.WILSON_STAGES]  # type: ignore[valid-type]


class AccountView(BaseModel):
    """The account view: see ``patron accounts show`` for the same in the terminal."""

    account: dict[str, Any]
    as_of: UtcDateTime
    people: list[dict[str, Any]]
    org_chart: list[dict[str, Any]]
    coverage: dict[str, list[int]]
    engaged: int
    alerts: list[dict[str, Any]]
    team: list[dict[str, Any]]
    activity_365d: dict[str, int]
    revenue: float
    strength: float
    strength_formula: str
    #: The strength weights applied (the store's relationship rules, or those given in the request).
    strength_weights: dict[str, float]
    trust: dict[str, Any] | None
    #: Reliability and self-orientation as the records show them (1-10; None: nothing to read them from),
    #: with the evidence in words.
    observed_trust: dict[str, Any]
    contact_trust_mean: float | None
    stage: dict[str, Any]
    #: Wilson's five stages (partner selection ... maintenance): the stage, its rule and the constructs that
    #: matter in it.
    wilson_stage: dict[str, Any]
    bensaou: str | None
    bensaou_side: str
    matrix: dict[str, str]
    wilson: dict[str, Any]
    #: The account with its subsidiaries and sites (parent_of, location_of): each one's revenue, activity and
    #: health, and the totals.
    rollup: dict[str, Any]


class RollupMember(BaseModel):
    """One account of a group: the head (depth 0), a subsidiary (``parent_of``, depth 1) or a site
    (``location_of``), with its own value, people, activity and health."""

    party_id: int
    name: str | None
    #: The account it rolls up into (None for the head), and through which link.
    parent: int | None
    link_type: Literal["parent_of", "location_of"] | None
    depth: int
    #: Transactions of the account and its people up to ``as_of``.
    revenue: float
    people: int
    #: Interactions of the account and its people in the 365 days to ``as_of``.
    activity_365d: int
    #: Health: the account's relationship strength (0-100) and its contacts engaged lately.
    strength: float
    engaged: int


class AccountRollup(BaseModel):
    """An account with its subsidiaries and sites, each one's figures and the group's totals (strength: the
    members' mean); see ``patron accounts rollup`` for the same in the terminal."""

    as_of: UtcDateTime
    party_id: int
    name: str | None
    members: list[RollupMember]
    revenue: float
    people: int
    activity_365d: int
    engaged: int
    strength: float
    #: The member of the weakest relationship (None: the account heads no group).
    weakest: dict[str, Any] | None


class NetworkSummary(BaseModel):
    nodes: int
    edges: int
    referrers: list[dict[str, Any]]
    communities: list[dict[str, Any]]
    bridges: list[dict[str, Any]]
    #: The parties the communities and bridges leave out: the firm itself (and its staff, when asked).
    left_out: list[int]
    assortativity: dict[str, float | None]


class RelationshipRulesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    toml: str = Field("", max_length=100_000, description="The relationship rules as TOML (sections strength, "
                      "ford_stages, wilson_stages, champion_quiet, single_threaded, bensaou); empty: the defaults.")


class RelationshipRulesPublic(BaseModel):
    """Every rule in force, per section, and the same as TOML."""

    rules: dict[str, dict[str, float]]
    toml: str
