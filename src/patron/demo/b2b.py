"""Business accounts: offices, cafés and hotels that buy coffee on invoice.

Each organisation has a few stakeholders (persons with job titles), monthly
invoices from the ERP while the account is active, and sales activities
(meetings, calls, emails) logged in the sales CRM. Some accounts are lost
before the end; their activity thins out in the months before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patron.demo.params import DemoParameters

INDUSTRIES = ("office", "cafe", "hotel", "restaurant", "co-working", "university", "hospital", "retail")
LEGAL_FORMS = ("GmbH", "AG", "BV", "KG", "Ltd", "SARL", "e.K.")
ORG_WORDS = ("Nordlicht", "Alpen", "Stadtmitte", "Rhein", "Hafen", "Sonnen", "Kanal", "Linden", "Berg",
             "Markt", "Kontor", "Atelier", "Campus", "Werk", "Galerie", "Bruecke", "Eck", "Park")
ORG_SUFFIX = ("Kaffee", "Hotel", "Buero", "Consult", "Studios", "Logistik", "Klinik", "Akademie", "Bistro",
              "Handel", "Technik", "Partner")
JOB_TITLES = ("Managing Director", "Purchasing Manager", "Office Manager", "Head of Facilities",
              "Finance Director", "Operations Manager", "Barista Lead", "Assistant")
ACCOUNT_MANAGERS = ("Miriam Roth", "Jan de Wit", "Tobias Ernst", "Sofia Marin", "Lars Holm")
ACTIVITY_TYPES = ("face_to_face", "phone", "email")
ACTIVITY_SUBJECTS = ("Introductory meeting", "Tasting session", "Quarterly review", "Contract renewal",
                     "Price negotiation", "Machine service visit", "Follow-up call", "Order query")


@dataclass
class Accounts:
    founded_w: np.ndarray  # weeks after START when the account was opened
    lost_w: np.ndarray  # weeks after START when lost (inf if still active)
    name_word: np.ndarray
    name_suffix: np.ndarray
    legal_form: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    city: np.ndarray
    manager: np.ndarray
    monthly_cents: np.ndarray  # typical invoice amount
    # stakeholders
    contact_org: np.ndarray
    contact_first: np.ndarray
    contact_last: np.ndarray
    contact_title: np.ndarray
    # invoices (ERP)
    invoice_org: np.ndarray
    invoice_w: np.ndarray
    invoice_cents: np.ndarray
    # sales activities (CRM)
    activity_contact: np.ndarray
    activity_w: np.ndarray
    activity_type: np.ndarray
    activity_subject: np.ndarray
    activity_duration_min: np.ndarray

    @property
    def size(self) -> int:
        return len(self.founded_w)


def n_accounts(customers: int, params: DemoParameters) -> int:
    return max(5, round(customers * params.b2b_accounts_per_customer))


def simulate_accounts(rng: np.random.Generator, m: int, params: DemoParameters, n_first: int, n_last: int,
                      n_cities: int) -> Accounts:
    end_w = params.observation_weeks
    founded = rng.uniform(0, end_w - 8, m)
    lost = np.where(rng.random(m) < 0.2, founded + rng.uniform(12, end_w, m), np.inf)
    lost = np.where(lost < end_w, lost, np.inf)
    employees = np.round(rng.lognormal(3.2, 1.0, m)).astype(np.int64) + 2
    monthly = np.round(rng.lognormal(np.log(employees * 900.0), 0.3)).astype(np.int64)

    k = 1 + rng.poisson(2.2, m)
    contact_org = np.repeat(np.arange(m), k)
    c = len(contact_org)

    last_w = np.minimum(lost, end_w)
    months = np.floor((last_w - founded) / (52.0 / 12)).astype(np.int64) + 1
    invoice_org = np.repeat(np.arange(m), months)
    starts = np.concatenate([[0], np.cumsum(months)[:-1]])
    month_no = np.arange(len(invoice_org)) - np.repeat(starts, months)
    invoice_w = founded[invoice_org] + month_no * (52.0 / 12) + rng.uniform(0, 0.3, len(invoice_org))
    keep = (invoice_w < last_w[invoice_org]) & (rng.random(len(invoice_org)) < 0.92)
    invoice_org, invoice_w = invoice_org[keep], invoice_w[keep]
    invoice_cents = np.round(monthly[invoice_org] * rng.lognormal(-0.02, 0.2, len(invoice_org))).astype(np.int64)

    # Activities: about one a month per account, fading in the 6 months before a loss.
    n_act = rng.poisson(np.maximum(last_w - founded, 0) / 4.3 * 1.0)
    act_org = np.repeat(np.arange(m), n_act)
    act_w = founded[act_org] + rng.random(len(act_org)) * (last_w[act_org] - founded[act_org])
    fading = np.isfinite(lost[act_org]) & (act_w > lost[act_org] - 26)
    keep = ~fading | (rng.random(len(act_org)) < 0.3)
    act_org, act_w = act_org[keep], act_w[keep]
    first_contact = np.concatenate([[0], np.cumsum(k)[:-1]])
    activity_contact = first_contact[act_org] + np.floor(rng.random(len(act_org)) * k[act_org]).astype(np.int64)
    a = len(act_org)
    activity_type = rng.choice(3, size=a, p=[0.35, 0.45, 0.20])
    duration = np.where(activity_type == 0, rng.choice([30, 45, 60, 90], a),
                        np.where(activity_type == 1, rng.choice([5, 10, 15, 20, 30], a), 0))

    return Accounts(
        founded_w=founded, lost_w=lost, name_word=rng.integers(0, len(ORG_WORDS), m),
        name_suffix=rng.integers(0, len(ORG_SUFFIX), m), legal_form=rng.integers(0, len(LEGAL_FORMS), m),
        industry=rng.integers(0, len(INDUSTRIES), m), employees=employees, city=rng.integers(0, n_cities, m),
        manager=rng.integers(0, len(ACCOUNT_MANAGERS), m), monthly_cents=monthly,
        contact_org=contact_org, contact_first=rng.integers(0, n_first, c), contact_last=rng.integers(0, n_last, c),
        contact_title=np.where(np.arange(c) == first_contact[contact_org], 1,
                               rng.integers(0, len(JOB_TITLES), c)),
        invoice_org=invoice_org, invoice_w=invoice_w, invoice_cents=invoice_cents,
        activity_contact=activity_contact, activity_w=act_w, activity_type=activity_type,
        activity_subject=rng.integers(0, len(ACTIVITY_SUBJECTS), a), activity_duration_min=duration,
    )
