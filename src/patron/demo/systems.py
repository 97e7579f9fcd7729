"""The four systems of the demo company, their export files and mappings.

Each system writes in its own style, as real ones do:

==========  ==========================================  ==========================================
system      files                                        style
==========  ==========================================  ==========================================
webshop     customers, order lines (CSV), ERP invoices  ``;``, decimal comma, ``dd/mm/yyyy``, Berlin
            (Parquet)                                    local time; invoices typed Parquet
callcentre  contacts, complaints (CSV)                   ISO 8601 with the Berlin UTC offset
surveys     responses, consents (JSON Lines)             ISO 8601 in UTC (``Z``)
crm         accounts, contacts, activities (CSV)         US dates ``mm/dd/yyyy HH:MM`` in UTC
==========  ==========================================  ==========================================

The call centre and the survey tool log the webshop's customer number, so
their mappings say ``key_source = "webshop"``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportFile:
    name: str
    system: str
    kind: str
    fmt: str
    mapping: str  # TOML text, written beside the file as <stem>.toml
    delimiter: str = ","

    @property
    def mapping_name(self) -> str:
        return self.name.rsplit(".", 1)[0] + ".toml"


WEBSHOP_CUSTOMERS = ExportFile("webshop_customers.csv", "webshop", "parties", "csv", delimiter=";", mapping='''\
# Customer master of the webshop/ERP: one row per registration.
kind = "parties"
source = "webshop"

[columns]
customer_key = "Customer No"
kind = "Customer Type"
name = "Name"
email = "E-mail"
phone = "Phone"
address = "Street"
postcode = "Postcode"
city = "City"
country = "Country"
birth_date = "Date of Birth"
acquired_at = "Registered"
acquisition_channel = "Channel"
acquisition_cost = "Acquisition Cost"
referred_by_key = "Referred By"

[values]
category = "customer"

[options]
delimiter = ";"
decimal = ","
date_format = ["%d/%m/%Y %H:%M", "%d/%m/%Y"]   # registration time; date of birth
timezone = "Europe/Berlin"
''')

WEBSHOP_ORDER_LINES = ExportFile("webshop_order_lines.csv", "webshop", "transactions", "csv", delimiter=";",
                                 mapping='''\
# Order lines of the webshop, refunds as negative lines.
kind = "transactions"
source = "webshop"

[columns]
external_id = "Line ID"
document = "Order No"
occurred_at = "Order Date"
customer_key = "Customer No"
kind = "Type"
product = "SKU"
description = "Article"
quantity = "Qty"
unit_price = "Unit Price"
revenue = "Net Amount"
cost = "Cost"
currency = "Currency"
channel = "Shop"
country = "Ship Country"

[options]
delimiter = ";"
decimal = ","
date_format = "%d/%m/%Y %H:%M"
timezone = "Europe/Berlin"
''')

ERP_INVOICES = ExportFile("erp_invoices.parquet", "webshop", "transactions", "parquet", mapping='''\
# Monthly invoices to business accounts, from the ERP's finance module.
kind = "transactions"
source = "erp"

[columns]
external_id = "invoice_id"
document = "invoice_no"
customer_key = "customer_no"
occurred_at = "invoice_date"
revenue = "net_amount"
cost = "cost_of_goods"
currency = "currency"
description = "description"

[values]
kind = "invoice"
channel = "account"

[options]
key_source = "webshop"
''')

CALLCENTRE_CONTACTS = ExportFile("callcentre_contacts.csv", "callcentre", "interactions", "csv", mapping='''\
# Contacts handled by the call centre (phone, email, chat).
kind = "interactions"
source = "callcentre"

[columns]
external_id = "contact_id"
customer_key = "customer_number"
occurred_at = "started_at"
channel = "channel"
direction = "direction"
department = "queue"
phase = "sale_phase"
staff = "agent"
subject = "reason"
outcome = "disposition"
duration_s = "handle_time_s"

[options]
key_source = "webshop"
''')

CALLCENTRE_COMPLAINTS = ExportFile("callcentre_complaints.csv", "callcentre", "complaints", "csv", mapping='''\
# Complaint tickets of the call centre.
kind = "complaints"
source = "callcentre"

[columns]
external_id = "ticket_id"
customer_key = "customer_number"
opened_at = "opened_at"
first_response_at = "first_response_at"
resolved_at = "resolved_at"
channel = "channel"
category = "category"
cause = "root_cause"
severity = "priority"
status = "state"
description = "summary"
satisfaction_after = "csat_after_resolution"

[options]
key_source = "webshop"
''')

SURVEY_RESPONSES = ExportFile("survey_responses.jsonl", "surveys", "feedback", "jsonl", mapping='''\
# Answers from the survey tool: NPS after orders, CSAT after contacts, yearly SERVQUAL.
kind = "feedback"
source = "surveys"

[columns]
external_id = "response_id"
customer_key = "customer_ref"
occurred_at = "submitted_at"
instrument = "survey"
item = "question"
dimension = "dimension"
score = "answer"
scale_max = "scale"
expectation = "expected"
perception = "perceived"
text = "comment"

[options]
key_source = "webshop"
''')

SURVEY_CONSENTS = ExportFile("survey_consents.jsonl", "surveys", "consents", "jsonl", mapping='''\
# Subscription events of the email and survey tool.
kind = "consents"
source = "surveys"

[columns]
external_id = "event_id"
customer_key = "customer_ref"
channel = "medium"
purpose = "list"
granted = "opt_in"
recorded_at = "updated_at"

[options]
key_source = "webshop"
''')

CRM_ACCOUNTS = ExportFile("crm_accounts.csv", "crm", "parties", "csv", mapping='''\
# Business accounts in the sales CRM.
kind = "parties"
source = "crm"

[columns]
customer_key = "Account ID"
name = "Account Name"
kind = "Type"
phone = "Phone"
city = "Billing City"
country = "Billing Country"
acquired_at = "Created Date"

[values]
category = "customer"
acquisition_channel = "field_sales"

[options]
date_format = "%m/%d/%Y %H:%M"
''')

CRM_CONTACTS = ExportFile("crm_contacts.csv", "crm", "parties", "csv", mapping='''\
# Stakeholders of the business accounts, linked to their organisation.
kind = "parties"
source = "crm"

[columns]
customer_key = "Contact ID"
organisation_key = "Account ID"
name = "Full Name"
job_title = "Title"
email = "Email"
phone = "Phone"
acquired_at = "Created Date"

[values]
kind = "person"
category = "customer"

[options]
date_format = "%m/%d/%Y %H:%M"
''')

CRM_ACTIVITIES = ExportFile("crm_activities.csv", "crm", "interactions", "csv", mapping='''\
# Meetings, calls and emails of the account managers.
kind = "interactions"
source = "crm"

[columns]
external_id = "Activity ID"
customer_key = "Contact ID"
occurred_at = "Activity Date"
channel = "Type"
direction = "Direction"
phase = "Stage"
staff = "Assigned To"
subject = "Subject"
duration_s = "Duration (sec)"

[values]
department = "sales"

[options]
date_format = "%m/%d/%Y %H:%M"
''')

CRM_PARTNERS = ExportFile("crm_partners.csv", "crm", "parties", "csv", mapping='''\
# The firm, its suppliers, distributors and alliance partners, kept as accounts in the sales CRM (patron.demo.suppliers).
kind = "parties"
source = "crm"

[columns]
customer_key = "Account ID"
name = "Account Name"
kind = "Type"
category = "Category"
city = "Billing City"
country = "Billing Country"
''')

CRM_RELATIONSHIPS = ExportFile("crm_relationships.csv", "crm", "party_links", "csv", mapping='''\
# Contact roles and reporting lines of the business accounts in the sales CRM (patron.demo.relationships).
kind = "party_links"
source = "crm"

[columns]
external_id = "Relationship ID"
customer_key = "Contact ID"
other_key = "Related ID"
link_type = "Relation"
role = "Role"
''')

#: In import order: parties before the facts that refer to them.
EXPORTS: tuple[ExportFile, ...] = (
    WEBSHOP_CUSTOMERS, CRM_ACCOUNTS, CRM_CONTACTS, WEBSHOP_ORDER_LINES, ERP_INVOICES, CALLCENTRE_CONTACTS,
    CALLCENTRE_COMPLAINTS, SURVEY_RESPONSES, SURVEY_CONSENTS, CRM_ACTIVITIES, CRM_PARTNERS, CRM_RELATIONSHIPS,
)

