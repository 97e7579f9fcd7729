"""The words patron stores, each list defined once.

The migrations turn them into ``CHECK`` constraints, the importer into the
choices a column may hold, the API into its ``Literal`` types and the pages
into their form options: all read them from here. A migration is frozen once
released (``tests/store/test_migrations.py`` holds the checksum of each), so
changing a list that a released migration uses means a new migration that
changes the constraint; the checksum test says so.
"""

from __future__ import annotations

#: Categories of exchange a party can have with the firm (seed 000: supplier, buyer, lateral and
#: internal partnerships).
PARTY_CATEGORIES = (
    "customer",  # immediate customer: buys from the firm
    "ultimate_customer",  # buys from the firm's customers (e.g. a retailer's shopper)
    "prospect",
    "supplier",
    "competitor",
    "non_profit",
    "government",
    "internal_unit",
    "employee",
)
PARTY_KINDS = ("person", "organisation")
TRANSACTION_KINDS = ("order", "refund", "invoice")
INTERACTION_CHANNELS = (
    "face_to_face", "phone", "email", "chat", "web", "letter", "event", "social", "sms", "other",
)
INTERACTION_DIRECTIONS = ("inbound", "outbound")
INTERACTION_PHASES = ("before", "during", "after")  # pre-, during and post-transaction service
DEPARTMENTS = ("marketing", "sales", "service", "billing", "operations", "management", "other")
FEEDBACK_INSTRUMENTS = (
    "nps", "csat", "ces", "servqual", "suggestion", "panel", "mystery_shopper", "review",
)
SERVQUAL_DIMENSIONS = ("reliability", "responsiveness", "assurance", "empathy", "tangibles")
COMPLAINT_STATUSES = ("open", "in_progress", "resolved", "closed")
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")

#: Why a person may be contacted (the lawful bases of GDPR article 6), recorded with each consent.
LAWFUL_BASES = ("consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests")
#: Purposes a consent is given for; a marketing list or export asks for one.
CONSENT_PURPOSES = ("marketing", "newsletter", "service", "research", "profiling")
CONSENT_CHANNELS = ("email", "phone", "sms", "post", "push")
#: What the outbox sends through: the consent channels a person is contacted on, and webhooks to other systems.
OUTBOX_CHANNELS = (*CONSENT_CHANNELS, "webhook")
#: A message's life in the outbox (migration 14's CHECK): ``failed`` waits for its retry, ``dead`` is parked.
OUTBOX_STATUSES = ("queued", "sending", "sent", "blocked", "failed", "dead")
#: What happened to a contact (migration 14's CHECK); caps count ``sent``, the gate acts on the next three.
CONTACT_EVENT_KINDS = ("sent", "blocked", "bounce", "complaint", "unsubscribe", "open", "click", "response")

#: What a file given to ``patron import`` can hold (each kind's table: :data:`patron.store.tables.IMPORT_TABLES`).
IMPORT_KINDS = ("parties", "transactions", "interactions", "feedback", "complaints", "consents", "party_links")

#: Roles are departments (see :mod:`patron.service.permissions` for what each may do).
ROLES = ("marketing", "sales", "service", "billing", "analyst", "admin")
REVIEW_STATUSES = ("pending", "accepted", "rejected")
MATCH_DECISIONS = ("merge", "review", "distinct", "kept_apart")
JOB_STATUSES = ("queued", "running", "done", "failed")

#: What a value run writes per party (``scores``): the rungs of the ladder of loyalty (seeds 001 and 003,
#: lowest first), the tiers of value and of relationship quality, and the triage groups (seed 004).
RUNGS = ("suspect", "prospect", "customer", "client", "supporter", "advocate", "partner")
#: Where a party who bought but is no longer active stands (below every rung: it fell off the ladder,
#: seed 004: relationships weaken unless refreshed), and every place a party can be, lowest first.
LAPSED = "lapsed"
LADDER_STATES = (LAPSED, *RUNGS)
TRIAGE_TIERS = ("low", "mid", "high")
TRIAGE_GROUPS = ("best", "average", "worst", "unrated")
TIME_UNITS = ("day", "week", "month")

#: Links between parties (``party_links``, seeds 000 and 003): ``party_id`` is linked to ``other_party_id``
#: as named, e.g. a person ``works_for`` an organisation, a person ``reports_to`` another, a person holds a
#: ``buying_role`` in an organisation's buying centre, a party ``referred`` another, an organisation is the
#: ``parent_of`` a subsidiary or the ``location_of``... a site, a firm's employee is on an ``account_team``.
LINK_TYPES = (
    "works_for", "reports_to", "buying_role", "referred", "household", "parent_of", "location_of",
    "supplier_of", "distributor_for", "partner_of", "competitor_of", "account_team",
)
#: Roles in a buying centre (seed 003), in the order a purchase meets them.
BUYING_ROLES = ("initiator", "user", "influencer", "gatekeeper", "decider", "buyer", "approver")
#: Roles on the firm's side of an account (seed 004: key-account teams).
ACCOUNT_TEAM_ROLES = ("owner", "member", "executive_sponsor", "technical", "service")
#: A stakeholder's attitude to the firm (stakeholder mapping, seed 003).
ATTITUDES = ("supporter", "neutral", "opponent")
#: Forms an account manager fills in (``assessments``): the stakeholder map (influence, interest,
#: attitude), the trust equation's four terms, Wilson's constructs of a relationship, and the
#: relationship-specific investments of Bensaou's portfolio.
ASSESSMENT_FORMS = ("stakeholder", "trust", "wilson", "investments")
TRUST_TERMS = ("credibility", "reliability", "intimacy", "self_orientation")
WILSON_CONSTRUCTS = (
    "commitment", "trust", "cooperation", "mutual_goals", "interdependence", "performance_satisfaction",
    "comparison_level", "adaptation", "non_retrievable_investments", "shared_technology", "summative_constructs",
    "structural_bonds", "social_bonds",
)
INVESTMENT_ITEMS = ("buyer_investment", "supplier_investment")
STAKEHOLDER_ITEMS = ("influence", "interest", "attitude")
#: The five stages of a B2B relationship's development (seed 000), and the sales lifecycle (seed 003).
RELATIONSHIP_STAGES = ("pre_relationship", "early", "development", "long_term", "final")
LIFECYCLE_PHASES = ("initiation", "development", "maintenance")
#: Wilson's five stages of relationship development in B2B markets (seed 000), in order.
WILSON_STAGES = ("partner_selection", "defining_purpose", "setting_boundaries", "creating_value", "maintenance")
#: Bensaou's portfolio of relationships, from buyer- and supplier-specific investments (low, low first).
BENSAOU_QUADRANTS = ("market_exchange", "captive_buyer", "captive_supplier", "strategic_partnership")


def sql_list(values: tuple[str, ...]) -> str:
    """``('a', 'b')``: a vocabulary as the list of a SQL ``IN`` (a ``CHECK`` constraint)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


#: The words people read for the codes above where turning ``_`` into a space is not enough; every other code
#: reads as itself with spaces (``in_progress`` → "in progress"). Pages and CSV files show these, never the code.
LABELS = {
    "face_to_face": "face to face",
    "cant_lose_them": "can't lose them",
    "potential_loyalist": "potential loyalist",
    "needs_attention": "needs attention",
    "about_to_sleep": "about to sleep",
    "at_risk": "at risk",
    "nps": "NPS", "csat": "CSAT", "ces": "CES", "servqual": "SERVQUAL", "sms": "SMS",
    "non_profit": "non-profit",
    "self_orientation": "self-orientation",
    "pre_relationship": "pre-relationship",
    "long_term": "long-term",
    "mystery_shopper": "mystery shopper",
    "unrated": "not rated",
    "XXX": "",  # ISO 4217's "no currency": the importer's placeholder, never shown
}


def label(code) -> str:
    """The word people read for a stored code (``cant_lose_them`` → "can't lose them"); None reads as ""."""
    if code is None:
        return ""
    text = str(code)
    if text in LABELS:
        return LABELS[text]
    return text.replace("_", " ")
