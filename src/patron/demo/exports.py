"""Rows of each export file, as Arrow tables in each system's own style.

Builders take simulated arrays for a slice of customers (or the B2B
accounts) and return one table per file; formatting (decimal commas, local
times, offsets) is done here with Arrow kernels.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from patron.demo import b2b, service, text
from patron.demo.catalogue import Catalogue
from patron.demo.customers import CHANNEL_NAMES, Population
from patron.demo.orders import Lines, Orders
from patron.demo.params import START

START_S = int(START.timestamp())
BERLIN = "Europe/Berlin"
SHOP_DATE = "%d/%m/%Y"
SHOP_TIME = "%d/%m/%Y %H:%M"
CRM_TIME = "%m/%d/%Y %H:%M"


def _ts(weeks) -> pa.Array:
    return text.timestamps(weeks, START_S)


def _nullable(values: pa.Array, valid: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(valid), values, pa.scalar(None, values.type))


def _iso_z(weeks) -> pa.Array:
    return text.format_local(_ts(weeks), "%Y-%m-%dT%H:%M:%SZ")


def _iso_berlin(weeks: np.ndarray) -> pa.Array:
    """ISO with offset; NaN weeks become empty values."""
    valid = ~np.isnan(weeks)
    return _nullable(text.iso_with_offset(_ts(np.where(valid, weeks, 0.0)), BERLIN), valid)


def person_details(rng: np.random.Generator, lo: int, hi: int, follow=None) -> dict:
    """Name, contact details and address of persons ``lo..hi`` (drawn per slice, deterministic).
    ``follow(city, birth_days)`` may move the drawn city and birth days (the referral homophily)."""
    n = hi - lo
    first = rng.integers(0, len(text.FIRST_NAMES), n)
    last = rng.integers(0, len(text.LAST_NAMES), n)
    city = rng.choice(len(text.CITIES), size=n, p=text.CITY_WEIGHTS / text.CITY_WEIGHTS.sum())
    first_a, last_a = text.take(text.FIRST_NAMES, first), text.take(text.LAST_NAMES, last)
    domain = rng.integers(0, len(text.EMAIL_DOMAINS), n)
    local = text.join(pc.utf8_lower(first_a), ".", pc.replace_substring(pc.utf8_lower(last_a), " ", ""),
                      text.ints(np.arange(lo, hi)))
    country = [c[2] for c in text.CITIES]
    birth_days = rng.integers(-10957, 12784, n)  # born 1940-2004 (days from 1970-01-01)
    if follow is not None:
        city, birth_days = follow(city, birth_days)
    dial = text.take([text.COUNTRY_DIAL[c] for c in country], city)
    return {
        "name": text.join(first_a, last_a, sep=" "),
        "email_local": local,
        "domain": domain,
        "phone": text.join(dial, text.ints(rng.integers(150, 180, n)), text.ints(rng.integers(1000000, 9999999, n)),
                           sep=" "),
        "street": text.join(text.take(text.STREETS, rng.integers(0, len(text.STREETS), n)),
                            text.ints(rng.integers(1, 180, n)), sep=" "),
        "postcode": text.join(text.take([c[1] for c in text.CITIES], city), text.ints(rng.integers(0, 999, n), 3)),
        "city": text.take([c[0] for c in text.CITIES], city),
        "country": text.take(country, city),
        "birth": text.format_local(pa.array(birth_days * 86400, pa.timestamp("s", tz="UTC")), SHOP_DATE),
    }


def webshop_customers(rng: np.random.Generator, pop: Population, lo: int, hi: int, people: dict,
                      city_typos: int = 0, typos: list | None = None) -> pa.Table:
    """First registrations of persons ``lo..hi``, then their second registrations (with typos).

    ``city_typos`` first registrations get a mistyped city, each recorded on ``typos``.
    """
    n = hi - lo
    email = text.join(people["email_local"], "@", text.take(text.EMAIL_DOMAINS, people["domain"]))
    ref = pop.referred_by[lo:hi]
    referrer_no = pop.customer_no[np.maximum(ref, 0)]
    city = people["city"]
    if city_typos:
        # A few customers typed their city wrongly; the truth lists them.
        picked = np.sort(rng.choice(n, size=min(city_typos, n), replace=False))
        wrong = text.typo(pc.take(city, pa.array(picked)), rng)
        mask = np.zeros(n, dtype=bool)
        mask[picked] = True
        typos.extend({"file": "webshop_customers.csv", "column": "City", "customer_no": str(k), "original": o,
                      "written": w} for k, o, w in zip(pop.customer_no[lo:hi][picked].tolist(),
                                                       pc.take(city, pa.array(picked)).to_pylist(), wrong.to_pylist()))
        city = pc.replace_with_mask(city, pa.array(mask), wrong)
    first = {
        "Customer No": text.ints(pop.customer_no[lo:hi]),
        "Customer Type": text.repeat("person", n),
        "Name": people["name"],
        "E-mail": email,
        "Phone": people["phone"],
        "Street": people["street"],
        "Postcode": people["postcode"],
        "City": city,
        "Country": people["country"],
        "Date of Birth": people["birth"],
        "Registered": text.format_local(_ts(pop.acquired_w[lo:hi]), SHOP_TIME, BERLIN),
        "Channel": text.take(CHANNEL_NAMES, pop.channel[lo:hi]),
        "Acquisition Cost": text.money(pop.acquisition_cost_cents[lo:hi], ","),
        "Referred By": _nullable(text.ints(referrer_no), ref >= 0),
    }
    dup = np.flatnonzero(pop.duplicate_no[lo:hi] >= 0)
    typo_kind = pop.duplicate_typo[lo:hi][dup]
    idx = pa.array(dup, pa.int64())
    name = pc.take(people["name"], idx)
    name = pc.if_else(pa.array(typo_kind % 2 == 1), text.typo(name, rng), name)
    domain = np.asarray(people["domain"])[dup]
    typo_domain = text.take(text.EMAIL_DOMAIN_TYPOS, domain)
    email_dup = text.join(pc.take(people["email_local"], idx), "@",
                          pc.if_else(pa.array(typo_kind >= 2), typo_domain, text.take(text.EMAIL_DOMAINS, domain)))
    m = len(dup)
    second = {
        "Customer No": text.ints(pop.duplicate_no[lo:hi][dup]),
        "Customer Type": text.repeat("person", m),
        "Name": name,
        "E-mail": email_dup,
        "Phone": pa.nulls(m, pa.string()),
        "Street": pc.take(people["street"], idx),
        "Postcode": pc.take(people["postcode"], idx),
        "City": pc.take(people["city"], idx),
        "Country": pc.take(people["country"], idx),
        "Date of Birth": pa.nulls(m, pa.string()),
        "Registered": text.format_local(_ts(pop.duplicate_w[lo:hi][dup]), SHOP_TIME, BERLIN),
        "Channel": pa.nulls(m, pa.string()),
        "Acquisition Cost": pa.nulls(m, pa.string()),
        "Referred By": pa.nulls(m, pa.string()),
    }
    return pa.concat_tables([pa.table(first), pa.table(second)])


def webshop_order_lines(rng, orders: Orders, lines: Lines, catalogue: Catalogue, people: dict, lo: int) -> pa.Table:
    n = len(lines.order)
    o = lines.order
    shop = rng.random(len(orders.week)) < 0.25
    return pa.table({
        "Line ID": text.ints(lines.line_id, 10),
        "Order No": text.join("W", text.ints(orders.order_no[o], 8)),
        "Order Date": text.format_local(_ts(lines.week), SHOP_TIME, BERLIN),
        "Customer No": text.ints(orders.customer_no[o]),
        "Type": text.take(("order", "refund"), lines.kind),
        "SKU": text.take(catalogue.sku, lines.product),
        "Article": text.take(catalogue.name, lines.product),
        "Qty": text.ints(lines.quantity),
        "Unit Price": text.money(lines.unit_price_cents, ","),
        "Net Amount": text.money(lines.revenue_cents, ","),
        "Cost": text.money(lines.cost_cents, ","),
        "Currency": text.repeat("EUR", n),
        "Shop": text.take(("web", "app"), shop[o].astype(np.int64)),
        "Ship Country": pc.take(people["country"], pa.array(orders.person[o] - lo, pa.int64())),
    })


def callcentre_contacts(contacts: dict, orders: Orders) -> pa.Table:
    o = contacts["order"]
    phase = contacts["phase"]
    topics = [service.PHASE_TOPICS[p] for p in service.PHASES]
    flat = [t for ts in topics for t in ts]
    offset = np.cumsum([0] + [len(t) for t in topics])[:-1]
    topic = offset[phase] + contacts["topic"]
    return pa.table({
        "contact_id": text.join("CC-", text.ints(orders.order_no[o], 8)),
        "customer_number": text.ints(orders.customer_no[o]),
        "started_at": _iso_berlin(contacts["week"]),
        "channel": text.take(service.CONTACT_CHANNELS, contacts["channel"]),
        "direction": text.take(("outbound", "inbound"), contacts["inbound"].astype(np.int64)),
        "queue": text.take([d for d, _ in flat], topic),
        "sale_phase": text.take(service.PHASES, phase),
        "agent": text.take(service.STAFF, contacts["staff"]),
        "reason": text.take([s for _, s in flat], topic),
        "disposition": text.take(service.OUTCOMES, contacts["outcome"]),
        "handle_time_s": text.ints(contacts["duration_s"]),
    })


def callcentre_complaints(complaints: dict, orders: Orders) -> pa.Table:
    o = complaints["order"]
    cats = tuple(service.COMPLAINT_CAUSES)
    causes = [c for cat in cats for c in service.COMPLAINT_CAUSES[cat]]
    sat = complaints["satisfaction_after"]
    ok = ~np.isnan(sat)
    return pa.table({
        "ticket_id": text.join("TCK-", text.ints(orders.order_no[o], 8)),
        "customer_number": text.ints(orders.customer_no[o]),
        "opened_at": _iso_berlin(complaints["opened_w"]),
        "first_response_at": _iso_berlin(complaints["first_response_w"]),
        "resolved_at": _iso_berlin(complaints["resolved_w"]),
        "channel": text.take(service.COMPLAINT_CHANNELS, complaints["channel"]),
        "category": text.take(cats, complaints["category"]),
        "root_cause": text.take(causes, complaints["category"] * 3 + complaints["cause"]),
        "priority": text.take(service.SEVERITIES, complaints["severity"]),
        "state": text.take(("open", "in_progress", "resolved", "closed"), complaints["status"]),
        "summary": text.join("Order W", text.ints(orders.order_no[o], 8), ": ",
                             text.take(causes, complaints["category"] * 3 + complaints["cause"]))
        if "description" not in complaints else pa.array(complaints["description"], pa.string()),
        "csat_after_resolution": _nullable(text.ints(np.where(ok, sat, 0).astype(np.int64)), ok),
    })


def _numbers(values) -> pa.Array:
    """Floats with NaN as null (JSON has no NaN)."""
    return pa.array(np.asarray(values, dtype=float), pa.float64(), from_pandas=True)


def feedback_table(ids, keys, weeks, survey, question, dimension, answer, scale, expected, perceived,
                    comment) -> pa.Table:
    return pa.table({
        "response_id": ids, "customer_ref": keys, "submitted_at": _iso_z(weeks), "survey": survey,
        "question": question, "dimension": dimension, "answer": _numbers(answer), "scale": _numbers(scale),
        "expected": _numbers(expected), "perceived": _numbers(perceived), "comment": comment,
    })


def survey_responses(nps: dict, csat: dict, servqual: dict, contacts: dict, orders: Orders,
                     pop: Population) -> pa.Table:
    """NPS, CSAT and SERVQUAL answers in one stream, one line per answered item."""
    nan = np.full(len(nps["order"]), np.nan)
    comment = text.take(nps.get("comment_pool", service.NPS_COMMENTS), nps["comment"])
    t_nps = feedback_table(
        text.join("NPS-", text.ints(orders.order_no[nps["order"]], 8)),
        text.ints(orders.customer_no[nps["order"]]), nps["week"], text.repeat("nps", len(nan)),
        text.repeat("How likely are you to recommend us to a friend?", len(nan)),
        pa.nulls(len(nan), pa.string()), nps["score"], np.full(len(nan), 10.0), nan, nan,
        pc.if_else(pc.equal(comment, ""), pa.scalar(None, pa.string()), comment))
    co = contacts["order"][csat["contact"]]
    nan = np.full(len(co), np.nan)
    t_csat = feedback_table(
        text.join("CSAT-", text.ints(orders.order_no[co], 8)), text.ints(orders.customer_no[co]), csat["week"],
        text.repeat("csat", len(nan)), text.repeat("How satisfied were you with our help?", len(nan)),
        pa.nulls(len(nan), pa.string()), csat["score"], np.full(len(nan), 5.0), nan, nan,
        pa.nulls(len(nan), pa.string()))
    r, item = servqual["response"], servqual["item"]
    person = servqual["person"][r]
    dim = servqual["item_dim"][item]
    code = text.join(text.take([d[:3].upper() for d in servqual["dims"]], dim), text.ints(servqual["item_no"][item]))
    nan = np.full(len(r), np.nan)
    t_sq = feedback_table(
        text.join("SQ-", text.ints(servqual["wave"][r] + 2023), "-", text.ints(pop.customer_no[person]), "-", code),
        text.ints(pop.customer_no[person]), servqual["week"][r], text.repeat("servqual", len(r)), code,
        text.take(servqual["dims"], dim), nan, np.full(len(r), 7.0), servqual["expectation"],
        servqual["perception"], pa.nulls(len(r), pa.string()))
    return pa.concat_tables([t_nps, t_csat, t_sq])


def survey_consents(consents: dict, pop: Population) -> pa.Table:
    person = consents["person"]
    return pa.table({
        "event_id": text.join("SUB-", text.ints(pop.customer_no[person]), "-", text.ints(consents["record"])),
        "customer_ref": text.ints(pop.customer_no[person]),
        "medium": text.take(("email", "sms"), consents["channel"]),
        "list": text.take(("newsletter", "offers"), consents["channel"]),
        "opt_in": pa.array(consents["granted"]),
        "updated_at": _iso_z(consents["week"]),
    })


# -- business accounts -------------------------------------------------------------

def account_names(acc: b2b.Accounts) -> pa.Array:
    return text.join(text.take(b2b.ORG_WORDS, acc.name_word), text.take(b2b.ORG_SUFFIX, acc.name_suffix),
                     text.take(b2b.LEGAL_FORMS, acc.legal_form), sep=" ")


def erp_account_keys(acc: b2b.Accounts) -> pa.Array:
    return text.join("B", text.ints(np.arange(1, acc.size + 1), 5))


def crm_account_keys(acc: b2b.Accounts) -> pa.Array:
    return text.join("ACC-", text.ints(np.arange(1, acc.size + 1), 6))


def crm_contact_keys(acc: b2b.Accounts) -> pa.Array:
    return text.join("CON-", text.ints(np.arange(1, len(acc.contact_org) + 1), 7))


def webshop_business_customers(acc: b2b.Accounts) -> pa.Table:
    """Business accounts as the ERP knows them: one row each, at the end of the customers file."""
    m = acc.size
    city = acc.city
    nulls = pa.nulls(m, pa.string())
    return pa.table({
        "Customer No": erp_account_keys(acc),
        "Customer Type": text.repeat("organisation", m),
        "Name": account_names(acc),
        "E-mail": text.join("accounts@", pc.utf8_lower(text.take(b2b.ORG_WORDS, acc.name_word)),
                            text.ints(np.arange(1, m + 1)), ".example"),
        "Phone": nulls,
        "Street": nulls,
        "Postcode": nulls,
        "City": text.take([c[0] for c in text.CITIES], city),
        "Country": text.take([c[2] for c in text.CITIES], city),
        "Date of Birth": nulls,
        "Registered": text.format_local(_ts(acc.founded_w), SHOP_TIME, BERLIN),
        "Channel": text.repeat("field_sales", m),
        "Acquisition Cost": nulls,
        "Referred By": nulls,
    })


def erp_invoices(acc: b2b.Accounts) -> pa.Table:
    n = len(acc.invoice_org)
    seq = np.arange(1, n + 1)
    return pa.table({
        "invoice_id": text.join("INV-", text.ints(seq, 8)),
        "invoice_no": text.join("RE", text.ints(seq, 8)),
        "customer_no": pc.take(erp_account_keys(acc), pa.array(acc.invoice_org, pa.int64())),
        "invoice_date": _ts(acc.invoice_w),
        "net_amount": pa.array(acc.invoice_cents / 100.0),
        "cost_of_goods": pa.array(np.round(acc.invoice_cents * 0.55) / 100.0),
        "currency": text.repeat("EUR", n),
        "description": text.repeat("Monthly coffee and service", n),
    })


def crm_accounts(acc: b2b.Accounts) -> pa.Table:
    m = acc.size
    return pa.table({
        "Account ID": crm_account_keys(acc),
        "Account Name": account_names(acc),
        "Type": text.repeat("organisation", m),
        "Industry": text.take(b2b.INDUSTRIES, acc.industry),
        "Employees": text.ints(acc.employees),
        "Billing City": text.take([c[0] for c in text.CITIES], acc.city),
        "Billing Country": text.take([c[2] for c in text.CITIES], acc.city),
        "Phone": text.join("+49 30 ", text.ints(5000000 + np.arange(m))),
        "Account Owner": text.take(b2b.ACCOUNT_MANAGERS, acc.manager),
        "Created Date": text.format_local(_ts(acc.founded_w), CRM_TIME),
    })


def crm_contacts(acc: b2b.Accounts) -> pa.Table:
    c = len(acc.contact_org)
    first = text.take(text.FIRST_NAMES, acc.contact_first)
    last = text.take(text.LAST_NAMES, acc.contact_last)
    org = pa.array(acc.contact_org, pa.int64())
    return pa.table({
        "Contact ID": crm_contact_keys(acc),
        "Account ID": pc.take(crm_account_keys(acc), org),
        "First Name": first,
        "Last Name": last,
        "Full Name": text.join(first, last, sep=" "),
        "Title": text.take(b2b.JOB_TITLES, acc.contact_title),
        "Email": text.join(pc.utf8_lower(first), ".", pc.replace_substring(pc.utf8_lower(last), " ", ""), "@",
                           pc.utf8_lower(pc.take(text.take(b2b.ORG_WORDS, acc.name_word), org)),
                           text.ints(acc.contact_org + 1), ".example"),
        "Phone": text.join("+49 30 ", text.ints(7000000 + np.arange(c))),
        "Created Date": text.format_local(_ts(acc.founded_w[acc.contact_org]), CRM_TIME),
    })


def crm_activities(acc: b2b.Accounts) -> pa.Table:
    a = len(acc.activity_w)
    org = acc.contact_org[acc.activity_contact]
    stage = np.where(acc.activity_w < acc.founded_w[org] + 4, 0, np.where(acc.activity_subject == 5, 2, 1))
    return pa.table({
        "Activity ID": text.join("ACT-", text.ints(np.arange(1, a + 1), 8)),
        "Activity Date": text.format_local(_ts(acc.activity_w), CRM_TIME),
        "Type": text.take(b2b.ACTIVITY_TYPES, acc.activity_type),
        "Subject": text.take(b2b.ACTIVITY_SUBJECTS, acc.activity_subject),
        "Contact ID": pc.take(crm_contact_keys(acc), pa.array(acc.activity_contact, pa.int64())),
        "Account ID": pc.take(crm_account_keys(acc), pa.array(org, pa.int64())),
        "Assigned To": pc.take(text.take(b2b.ACCOUNT_MANAGERS, acc.manager), pa.array(org, pa.int64())),
        "Duration (sec)": text.ints(acc.activity_duration_min * 60),
        "Direction": text.repeat("outbound", a),
        "Stage": text.take(("before", "during", "after"), stage),
    })
