"""Built-in layouts of well-known exports.

Each preset is a :class:`~patron.ingest.mapping.Mapping` with, where the
layout needs it, small SQL rules over the staged text columns (trusted code:
user mappings cannot carry SQL).
"""

from __future__ import annotations

from patron.errors import PatronError
from patron.ingest.mapping import Mapping

#: Salesforce's contact roles as buying-centre roles (seed 003), NULL for a role that is none of them.
_SF_ROLES = {"decision maker": "decider", "economic decision maker": "decider", "economic buyer": "buyer",
             "business user": "user", "evaluator": "influencer", "influencer": "influencer",
             "technical buyer": "gatekeeper", "executive sponsor": "approver"}
_SF_ROLE = ("CASE lower(trim(\"Role\")) " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _SF_ROLES.items())
            + " END")

PRESETS: dict[str, tuple[Mapping, str]] = {
    "online-retail": (
        Mapping(
            kind="transactions",
            source="online-retail",
            name="online-retail",
            columns={
                "document": "InvoiceNo", "product": "StockCode", "description": "Description",
                "quantity": "Quantity", "occurred_at": "InvoiceDate", "unit_price": "UnitPrice",
                "country": "Country",
            },
            values={"currency": "GBP"},
            expressions={
                # Some copies write the id as a float ("17850.0").
                "customer_key": "regexp_replace(nullif(trim(\"CustomerID\"), ''), '\\.0+$', '')",
                # Cancellations are invoices whose number starts with C.
                "kind": "CASE WHEN upper(trim(\"InvoiceNo\")) LIKE 'C%' THEN 'refund' ELSE 'order' END",
            },
            # The UCI file writes month-first dates ("12/1/2010 8:26"); some copies use ISO.
            options={"date_format": ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "iso"], "decimal": ".",
                     "timezone": "Europe/London"},
        ),
        "UCI 'Online Retail' (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, "
        "CustomerID, Country); invoices starting with C are cancellations; lines without a CustomerID "
        "cannot be attributed and are quarantined.",
    ),
    "shopify-orders": (
        Mapping(
            kind="transactions",
            source="shopify",
            name="shopify-orders",
            columns={
                "document": "Name", "customer_key": "Email", "occurred_at": "Created at",
                "quantity": "Lineitem quantity", "unit_price": "Lineitem price",
                "description": "Lineitem name", "product": "Lineitem sku", "currency": "Currency",
                "country": "Billing Country",
            },
            fill_by_document=("customer_key", "occurred_at", "currency", "country"),
            expressions={"channel": "'online'"},
            options={"decimal": ".", "date_format": ["%Y-%m-%d %H:%M:%S %z", "iso"]},
        ),
        "Shopify orders export (one row per line item: Name, Email, Created at, Lineitem quantity, "
        "Lineitem price, Lineitem name, Lineitem sku, Currency, Billing Country); order-level fields "
        "left blank on later lines of an order are taken from its first line; the customer key is the email.",
    ),
    "cdnow": (
        Mapping(
            kind="transactions",
            source="cdnow",
            name="cdnow",
            header_columns=("customer_id", "date", "quantity", "amount"),
            columns={"customer_key": "customer_id", "occurred_at": "date", "quantity": "quantity",
                     "revenue": "amount"},
            values={"currency": "USD"},
            options={"format": "whitespace", "header": False, "date_format": "%Y%m%d", "decimal": "."},
        ),
        "CDNOW text layout: customer id, date YYYYMMDD, number of CDs, dollar amount, separated by "
        "spaces; no header.",
    ),
    "salesforce-contact-roles": (
        Mapping(
            kind="party_links",
            source="salesforce",
            name="salesforce-contact-roles",
            columns={"external_id": "Id", "customer_key": "ContactId", "other_key": "AccountId",
                     "since": "StartDate", "until": "EndDate"},
            expressions={
                "link_type": f"CASE WHEN {_SF_ROLE} IS NOT NULL THEN 'buying_role' ELSE 'works_for' END",
                "role": f"coalesce({_SF_ROLE}, nullif(trim(\"Role\"), ''))",
            },
            options={"date_format": ["iso", "%m/%d/%Y"]},
        ),
        "Salesforce contact roles (AccountContactRole or AccountContactRelation export: Id, ContactId, "
        "AccountId, Role, StartDate, EndDate); Salesforce's roles become buying-centre roles (Decision Maker "
        "and Economic Decision Maker: decider, Economic Buyer: buyer, Business User: user, Evaluator and "
        "Influencer: influencer, Technical Buyer: gatekeeper, Executive Sponsor: approver); any other role "
        "(Other, or none) is kept as the contact's role in the account (works for).",
    ),
    "survey-long": (
        Mapping(
            kind="feedback",
            source="surveys",
            name="survey-long",
            columns={"customer_key": "customer", "occurred_at": "submitted_at", "instrument": "survey",
                     "item": "question", "dimension": "dimension", "score": "answer", "scale_max": "scale",
                     "expectation": "expected", "perception": "perceived", "adequate": "adequate",
                     "desired": "desired", "channel": "channel", "department": "department",
                     "touchpoint": "touchpoint", "text": "comment"},
            # one row per answered item: the response and the item together name the answer
            expressions={"external_id": "trim(\"response_id\") || ':' || coalesce(nullif(trim(\"question\"), ''), "
                                        "trim(\"survey\"))"},
            options={"date_format": ["iso", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]},
        ),
        "Survey answers in the long layout, one row per answered item (response_id, customer, submitted_at, "
        "survey: nps, csat, ces or servqual, question, dimension, answer, scale, expected, perceived, "
        "adequate, desired, channel, department, touchpoint, comment). A tool's wide export (one row per "
        "response, one column per item) becomes this layout with `patron survey-wide`.",
    ),
}


def get_preset(name: str) -> Mapping:
    try:
        mapping, _ = PRESETS[name]
    except KeyError:
        raise PatronError(f"Unknown preset '{name}'. Presets: {', '.join(PRESETS)}.") from None
    # Options set to None mean "detect": drop them.
    options = {k: v for k, v in mapping.options.items() if v is not None}
    from dataclasses import replace

    return replace(mapping, options=options)


def describe_presets() -> list[tuple[str, str, str]]:
    return [(name, m.kind, text) for name, (m, text) in PRESETS.items()]
