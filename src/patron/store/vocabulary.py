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

#: What a file given to ``patron import`` can hold (each kind's table: :data:`patron.store.tables.IMPORT_TABLES`).
IMPORT_KINDS = ("parties", "transactions", "interactions", "feedback", "complaints", "consents")

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


def sql_list(values: tuple[str, ...]) -> str:
    """``('a', 'b')``: a vocabulary as the list of a SQL ``IN`` (a ``CHECK`` constraint)."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"
