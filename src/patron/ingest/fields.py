"""What each kind of import can carry: canonical fields, their types, and
the column names that auto-detection recognises for them.

A mapping (a TOML file or a preset) names, for each canonical field, the
column of the file that holds it. Fields not in a file stay empty; a
required field that cannot be found is an error naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass

from patron.errors import InvalidInput
from patron.store import vocabulary as words
from patron.store.tables import IMPORT_TABLES


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # text | timestamp | date | money | number | boolean | choice
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    help: str = ""


def _f(name, type_="text", required=False, aliases=(), choices=(), help=""):
    return Field(name, type_, required, tuple(aliases), tuple(choices), help)


CUSTOMER_KEY = _f(
    "customer_key", required=True,
    aliases=("customer_id", "customerid", "customer", "client_id", "clientid", "cust_id", "party_id",
             "account_id", "contact_id", "customer_number", "customer_no", "member_id", "user_id", "customer_ref"),
    help="the customer's key in the source system",
)
EXTERNAL_ID = _f(
    "external_id", aliases=("id", "line_id", "row_id", "record_id", "ticket_id", "response_id", "event_id"),
    help="the record's own key in the source system; without it a content hash is used",
)

_FIELDS: dict[str, tuple[Field, ...]] = {
    "parties": (
        CUSTOMER_KEY,
        _f("name", aliases=("full_name", "customer_name", "contact_name", "company", "company_name")),
        _f("email", aliases=("e_mail", "email_address", "mail")),
        _f("phone", aliases=("telephone", "phone_number", "mobile", "tel")),
        _f("address", aliases=("street", "address_line", "address1", "street_address")),
        _f("postcode", aliases=("zip", "zip_code", "postal_code", "post_code")),
        _f("city", aliases=("town",)),
        _f("country", aliases=("country_code", "nation")),
        _f("birth_date", "date", aliases=("date_of_birth", "dob", "birthday")),
        _f("kind", "choice", choices=words.PARTY_KINDS, aliases=("party_type", "type")),
        _f("category", "choice", aliases=("relationship", "party_category", "segment_type"),
           choices=words.PARTY_CATEGORIES),
        _f("organisation_key", aliases=("organisation_id", "organization_id", "company_id", "org_id",
                                        "employer_id")),
        _f("job_title", aliases=("title", "role", "position")),
        _f("acquired_at", "timestamp", aliases=("signup_date", "created", "created_at", "registered",
                                                "first_seen", "customer_since", "acquisition_date")),
        _f("acquisition_channel", aliases=("channel", "source_channel", "utm_source", "acquired_via")),
        _f("acquisition_cost", "money", aliases=("cac", "cost_of_acquisition")),
        _f("referred_by_key", aliases=("referred_by", "referrer_id", "referrer")),
    ),
    "transactions": (
        CUSTOMER_KEY,
        _f("occurred_at", "timestamp", required=True,
           aliases=("date", "order_date", "invoice_date", "invoicedate", "created_at", "timestamp",
                    "transaction_date", "purchase_date", "datetime")),
        EXTERNAL_ID,
        _f("document", aliases=("invoice", "invoice_no", "invoiceno", "order_id", "order_number",
                                "order_no", "name", "receipt")),
        _f("kind", "choice", choices=words.TRANSACTION_KINDS, aliases=("type", "transaction_type")),
        _f("product", aliases=("sku", "stock_code", "stockcode", "product_id", "item_id", "lineitem_sku")),
        _f("description", aliases=("product_name", "item_name", "lineitem_name")),
        _f("quantity", "number", aliases=("qty", "units", "lineitem_quantity")),
        _f("unit_price", "money", aliases=("unitprice", "price", "lineitem_price")),
        _f("revenue", "money", aliases=("amount", "total", "sales", "value", "net_amount", "line_total",
                                        "subtotal")),
        _f("cost", "money", aliases=("cogs", "cost_of_goods")),
        _f("currency", aliases=("currency_code", "ccy")),
        _f("channel", aliases=("sales_channel", "store")),
        _f("country", aliases=("billing_country", "ship_country")),
    ),
    "interactions": (
        CUSTOMER_KEY,
        _f("occurred_at", "timestamp", required=True,
           aliases=("date", "timestamp", "started_at", "call_date", "contact_date", "created_at")),
        EXTERNAL_ID,
        _f("channel", "choice", required=True, choices=words.INTERACTION_CHANNELS,
           aliases=("medium", "contact_channel", "contact_type")),
        _f("direction", "choice", choices=words.INTERACTION_DIRECTIONS, aliases=("inbound_outbound",)),
        _f("department", "choice", choices=words.DEPARTMENTS, aliases=("team", "dept", "queue")),
        _f("phase", "choice", choices=words.INTERACTION_PHASES, aliases=("sale_phase", "stage")),
        _f("staff", aliases=("agent", "employee", "owner", "rep", "user")),
        _f("subject", aliases=("topic", "reason", "title")),
        _f("outcome", aliases=("result", "disposition", "resolution")),
        _f("duration_s", "number", aliases=("duration", "duration_seconds", "talk_time")),
        _f("notes", aliases=("note", "comment", "comments", "body")),
        _f("complaint_ref", aliases=("complaint", "complaint_id", "complaint_key", "complaint_number", "case_id",
                                     "case_number", "case_ref", "parent_ticket"),
           help="the complaint the message belongs to: the complaint's own key in the same source system "
                "(its external id), or patron's complaint number"),
    ),
    "feedback": (
        CUSTOMER_KEY,
        _f("occurred_at", "timestamp", required=True,
           aliases=("date", "submitted_at", "response_date", "timestamp", "created_at")),
        EXTERNAL_ID,
        _f("instrument", "choice", required=True, choices=words.FEEDBACK_INSTRUMENTS,
           aliases=("survey", "survey_type", "question_type", "type")),
        _f("item", aliases=("question", "question_id", "statement")),
        _f("dimension", "choice", choices=words.SERVQUAL_DIMENSIONS, aliases=("servqual_dimension",)),
        _f("score", "number", aliases=("rating", "answer", "value")),
        _f("scale_max", "number", aliases=("max_score", "scale")),
        _f("expectation", "number", aliases=("expected",)),
        _f("perception", "number", aliases=("perceived",)),
        _f("benchmark", aliases=("competitor", "compared_with")),
        _f("text", aliases=("comment", "comments", "verbatim", "free_text")),
        _f("adequate", "number", aliases=("adequate_service", "minimum", "minimum_acceptable")),
        _f("desired", "number", aliases=("desired_service", "ideal")),
        _f("channel", aliases=("medium", "via")),
        _f("department", aliases=("team", "unit")),
        _f("touchpoint", "choice", choices=words.INTERACTION_PHASES, aliases=("sale_phase", "journey_stage")),
    ),
    "complaints": (
        CUSTOMER_KEY,
        _f("opened_at", "timestamp", required=True,
           aliases=("opened", "created_at", "date", "reported_at", "received_at")),
        EXTERNAL_ID,
        _f("first_response_at", "timestamp", aliases=("first_response", "responded_at", "acknowledged_at")),
        _f("resolved_at", "timestamp", aliases=("resolved", "closed_at", "solved_at")),
        _f("channel", aliases=("medium", "via")),
        _f("category", aliases=("topic", "type", "complaint_type")),
        _f("cause", aliases=("root_cause", "reason")),
        _f("severity", "choice", choices=words.COMPLAINT_SEVERITIES, aliases=("priority",)),
        _f("status", "choice", choices=words.COMPLAINT_STATUSES, aliases=("state",)),
        _f("description", aliases=("text", "details", "summary")),
        _f("resolution", aliases=("outcome", "remedy")),
        _f("satisfaction_after", "number", aliases=("satisfaction", "csat_after", "post_resolution_score")),
    ),
    "consents": (
        CUSTOMER_KEY,
        _f("channel", required=True, aliases=("medium", "contact_channel")),
        _f("purpose", required=True, aliases=("topic", "consent_type", "list")),
        _f("granted", "boolean", required=True, aliases=("opt_in", "optin", "consent", "subscribed", "status")),
        _f("recorded_at", "timestamp", required=True, aliases=("date", "timestamp", "updated_at", "created_at")),
        _f("lawful_basis", "choice", choices=words.LAWFUL_BASES, aliases=("legal_basis", "basis")),
        _f("evidence", aliases=("consent_source", "captured_via", "proof", "form")),
        EXTERNAL_ID,
    ),
    # A link between two parties of the same system: "customer_key <link_type> other_key" (a contact works
    # for an account, holds a buying-centre role in it, reports to another contact...).
    "party_links": (
        _f("customer_key", required=True,
           aliases=("contact_id", "contactid", "person_id", "party_id", "customer_id", "from_id", "member_id"),
           help="the key of the party the link starts from (the contact, the subsidiary, the referrer...)"),
        _f("other_key", required=True,
           aliases=("account_id", "accountid", "account_key", "account", "organisation_key", "organization_id", "company_id", "org_id",
                    "related_id", "other_id", "to_id", "manager_id", "target_id"),
           help="the key of the party linked to (the account, the manager...)"),
        _f("link_type", "choice", choices=words.LINK_TYPES, aliases=("relation", "relationship", "link")),
        _f("role", aliases=("contact_role", "buying_role", "job_role", "title", "position")),
        _f("department", aliases=("dept", "division", "function")),
        _f("since", "date", aliases=("start_date", "from", "valid_from", "started")),
        _f("until", "date", aliases=("end_date", "to", "valid_to", "ended")),
        _f("note", aliases=("notes", "comment", "description")),
        EXTERNAL_ID,
    ),
}


#: The fields of each import kind, in the order of the store's registry (:data:`~patron.store.tables.IMPORT_TABLES`).
if set(_FIELDS) != set(IMPORT_TABLES):  # pragma: no cover - caught by the first import of a wrong edit
    raise RuntimeError(f"import fields for {sorted(_FIELDS)} but the store imports {sorted(IMPORT_TABLES)}")
KINDS: dict[str, tuple[Field, ...]] = {kind: _FIELDS[kind] for kind in IMPORT_TABLES}


def fields_of(kind: str) -> dict[str, Field]:
    if kind not in KINDS:
        raise InvalidInput(f"Unknown import kind '{kind}'. Choose one of: {', '.join(KINDS)}.")
    return {f.name: f for f in KINDS[kind]}
