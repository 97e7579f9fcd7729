"""The service record of a slice of customers: call-centre contacts,
complaints, surveys (NPS, CSAT, SERVQUAL) and consents.

The record is drawn *given* each customer's future: people who are about to
drop out complain about their final order, wait longer for an answer, are
left less satisfied, score the firm lower and withdraw their consent. The
strength of each link is in :class:`patron.demo.params.ChurnLink` and is
written to the truth.
"""

from __future__ import annotations

import numpy as np

from patron.demo.customers import Population
from patron.demo.orders import Orders
from patron.demo.params import SERVQUAL_GAPS, DemoParameters

DAY_W = 1.0 / 7.0
HOUR_W = DAY_W / 24.0

CONTACT_CHANNELS = ("phone", "email", "chat")
CONTACT_CHANNEL_P = (0.5, 0.3, 0.2)
PHASES = ("before", "during", "after")
PHASE_P = (0.25, 0.35, 0.40)
#: phase -> (department, subject) choices
PHASE_TOPICS = {
    "before": (("sales", "product question"), ("sales", "stock availability"), ("marketing", "voucher code")),
    "during": (("operations", "delivery status"), ("billing", "payment failed"), ("operations", "address change")),
    "after": (("service", "return request"), ("service", "warranty claim"), ("billing", "invoice copy"),
              ("service", "how-to question")),
}
OUTCOMES = ("resolved", "information given", "callback scheduled", "escalated")
OUTCOME_P = (0.45, 0.30, 0.15, 0.10)
STAFF = tuple(f"{first} {last}" for first, last in [
    ("Aylin", "K."), ("Ben", "S."), ("Carla", "M."), ("Dennis", "W."), ("Elif", "Y."), ("Finn", "H."),
    ("Greta", "L."), ("Hakan", "D."), ("Ida", "P."), ("Jonas", "R."), ("Kim", "B."), ("Lotte", "V."),
    ("Mats", "F."), ("Nele", "G."), ("Oskar", "T."), ("Pia", "N."), ("Rafael", "C."), ("Svenja", "A."),
])
#: complaint category -> causes (for fishbone analysis)
COMPLAINT_CAUSES = {
    "delivery": ("courier delay", "parcel damaged", "wrong address label"),
    "product quality": ("stale beans", "defective device", "wrong grind"),
    "order handling": ("wrong item picked", "item missing", "order cancelled by mistake"),
    "billing": ("charged twice", "voucher not applied", "refund late"),
    "staff": ("unfriendly agent", "no callback", "conflicting answers"),
    "website": ("checkout error", "stock shown wrongly", "account locked"),
}
COMPLAINT_CHANNELS = ("phone", "email", "chat", "letter")
SEVERITIES = ("low", "medium", "high", "critical")
SEVERITY_P_CHURNER = (0.10, 0.30, 0.40, 0.20)
SEVERITY_P_OTHER = (0.40, 0.40, 0.15, 0.05)
#: SERVQUAL items per dimension (the 22-item instrument: 4 + 5 + 4 + 4 + 5)
SERVQUAL_ITEMS = {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 4, "empathy": 5}
SERVQUAL_WAVES_W = (26.0, 78.0, 130.0)  # early July each year
NPS_COMMENTS = ("", "", "", "Great coffee, fast delivery", "Love the beans", "Delivery took too long",
                "Support never called back", "Prices went up", "Packaging was damaged", "Always reliable")


def _pick(rng, options, n, p=None):
    return rng.choice(len(options), size=n, p=p).astype(np.int64)


def simulate_complaints(rng: np.random.Generator, orders: Orders, params: DemoParameters, end_w: float) -> dict:
    """Complaints about orders; churners' final orders draw many more, and worse ones."""
    link = params.churn
    prob = np.where(orders.is_final, link.complaint_prob_final_order, link.complaint_prob_other_order)
    opened = orders.week + rng.uniform(1, 14, len(prob)) * DAY_W
    pick = np.flatnonzero((rng.random(len(prob)) < prob) & (opened < end_w))
    n = len(pick)
    churner = orders.is_final[pick]
    opened = opened[pick]
    severity = np.where(churner, _pick(rng, SEVERITIES, n, SEVERITY_P_CHURNER), _pick(rng, SEVERITIES, n, SEVERITY_P_OTHER))
    category = _pick(rng, tuple(COMPLAINT_CAUSES), n)
    cause = rng.integers(0, 3, n)
    response_h = rng.exponential(np.where(churner, link.first_response_hours_churner, link.first_response_hours_other))
    first_response = opened + np.maximum(response_h, 0.1) * HOUR_W
    resolution_d = rng.exponential(np.where(churner, link.resolution_days_churner, link.resolution_days_other))
    resolved_at = first_response + resolution_d * DAY_W
    unresolved = (rng.random(n) < np.where(churner, link.unresolved_share_churner, link.unresolved_share_other)) | (
        resolved_at >= end_w)
    first_response = np.where(first_response < end_w, first_response, np.nan)
    resolved_at = np.where(unresolved, np.nan, resolved_at)
    satisfaction = np.clip(np.round(rng.normal(
        np.where(churner, link.satisfaction_after_churner, link.satisfaction_after_other), 0.8)), 1, 5)
    satisfaction = np.where(unresolved, np.nan, satisfaction)
    status = np.where(unresolved, np.where(np.isnan(first_response), 0, 1), np.where(rng.random(n) < 0.5, 2, 3))
    return {"order": pick, "opened_w": opened, "first_response_w": first_response, "resolved_w": resolved_at,
            "channel": _pick(rng, COMPLAINT_CHANNELS, n, (0.4, 0.35, 0.2, 0.05)), "category": category,
            "cause": cause, "severity": severity, "status": status, "satisfaction_after": satisfaction,
            "churner": churner}


def simulate_contacts(rng: np.random.Generator, orders: Orders, params: DemoParameters, end_w: float) -> dict:
    """Call-centre contacts before, during and after orders (extra after-sale calls before dropout)."""
    n_orders = len(orders.week)
    prob = np.where(orders.is_final, params.contact_share + 0.5, params.contact_share)
    pick = np.flatnonzero(rng.random(n_orders) < prob)
    n = len(pick)
    phase = np.where(orders.is_final[pick], 2, _pick(rng, PHASES, n, PHASE_P))
    offset_days = np.select([phase == 0, phase == 1], [-rng.uniform(0, 7, n), rng.uniform(0, 4, n)],
                            rng.uniform(4, 40, n))
    week = np.maximum(orders.week[pick] + offset_days * DAY_W, 0.01)  # the firm opened at week 0
    keep = week < end_w
    pick, phase, week = pick[keep], phase[keep], week[keep]
    n = len(pick)
    topic = np.floor(rng.random(n) * np.array([len(PHASE_TOPICS[p]) for p in PHASES])[phase]).astype(np.int64)
    channel = _pick(rng, CONTACT_CHANNELS, n, CONTACT_CHANNEL_P)
    mean_s = np.array([360.0, 240.0, 600.0])[channel]
    duration = np.round(rng.lognormal(np.log(mean_s) - 0.32, 0.8)).astype(np.int64)
    return {"order": pick, "week": week, "phase": phase, "topic": topic, "channel": channel,
            "inbound": rng.random(n) < 0.85, "staff": _pick(rng, STAFF, n),
            "outcome": _pick(rng, OUTCOMES, n, OUTCOME_P), "duration_s": duration}


def simulate_nps(rng: np.random.Generator, orders: Orders, params: DemoParameters, end_w: float) -> dict:
    """NPS answers a few days after some orders; a churner's final order scores low."""
    n_orders = len(orders.week)
    link = params.churn
    answered = rng.random(n_orders) < params.nps_invite_share * params.nps_response_share
    week = orders.week + rng.uniform(2, 10, n_orders) * DAY_W
    pick = np.flatnonzero(answered & (week < end_w))
    mean = np.where(orders.is_final[pick], link.nps_mean_final_order, link.nps_mean_other)
    score = np.clip(np.round(rng.normal(mean, 1.7)), 0, 10) + 0.0  # + 0.0 turns -0.0 into 0.0
    return {"order": pick, "week": week[pick], "score": score,
            "comment": _pick(rng, NPS_COMMENTS, len(pick))}


def simulate_csat(rng: np.random.Generator, contacts: dict, orders: Orders, end_w: float) -> dict:
    """CSAT (1-5) after some call-centre contacts; lower for customers about to leave."""
    n = len(contacts["week"])
    week = contacts["week"] + rng.uniform(0.1, 2, n) * DAY_W
    pick = np.flatnonzero((rng.random(n) < 0.3 * 0.4) & (week < end_w))
    final = orders.is_final[contacts["order"][pick]]
    score = np.clip(np.round(rng.normal(np.where(final, 2.4, 4.1), 0.9)), 1, 5)
    return {"contact": pick, "week": week[pick], "score": score}


def simulate_servqual(rng: np.random.Generator, pop: Population, lo: int, hi: int, params: DemoParameters) -> dict:
    """Yearly SERVQUAL waves: expectation and perception on 22 items for a sample of active customers."""
    link = params.churn
    dims = tuple(SERVQUAL_ITEMS)
    item_dim = np.repeat(np.arange(len(dims)), list(SERVQUAL_ITEMS.values()))
    item_no = np.concatenate([np.arange(1, k + 1) for k in SERVQUAL_ITEMS.values()])
    gaps = np.array([SERVQUAL_GAPS[d] for d in dims])
    people, waves = [], []
    for w, wave_w in enumerate(SERVQUAL_WAVES_W):  # three waves, not a loop over customers
        active = (pop.acquired_w[lo:hi] < wave_w) & (pop.dropout_w[lo:hi] > wave_w)
        sampled = rng.random(hi - lo) < params.servqual_sample_share * params.servqual_response_share
        who = lo + np.flatnonzero(active & sampled)
        people.append(who)
        waves.append(np.full(len(who), w))
    person = np.concatenate(people)
    wave = np.concatenate(waves)
    n_items = len(item_dim)
    week = np.array(SERVQUAL_WAVES_W)[wave] + rng.uniform(0, 21, len(person)) * DAY_W
    leaving = pop.dropout_w[person] < week + 26.0
    shift = rng.normal(0.0, 0.5, len(person)) + np.where(leaving, link.servqual_perception_shift_churner, 0.0)
    r_person = np.repeat(np.arange(len(person)), n_items)
    r_item = np.tile(np.arange(n_items), len(person))
    expectation = np.clip(np.round(rng.normal(5.9, 0.8, len(r_person))), 1, 7)
    perception = np.clip(np.round(expectation + gaps[item_dim[r_item]] + shift[r_person]
                                  + rng.normal(0.0, 0.8, len(r_person))), 1, 7)
    return {"response": r_person, "person": person, "wave": wave, "week": week, "leaving": leaving,
            "item": r_item, "item_dim": item_dim, "item_no": item_no, "dims": dims,
            "expectation": expectation, "perception": perception}


def simulate_consents(rng: np.random.Generator, pop: Population, lo: int, hi: int, params: DemoParameters) -> dict:
    """Consent records: email newsletter at registration (yes or no), SMS offers when granted,
    and withdrawals, far more often from customers who leave."""
    link = params.churn
    n = hi - lo
    person = np.arange(lo, hi)
    email_yes = rng.random(n) < 0.6
    sms_yes = rng.random(n) < 0.15
    churned = pop.churned[lo:hi]
    withdraw_w = np.where(churned, pop.dropout_w[lo:hi] + rng.uniform(0, 8, n),
                          pop.acquired_w[lo:hi] + rng.random(n) * (pop.end_w - pop.acquired_w[lo:hi]))
    withdraw = email_yes & (rng.random(n) < np.where(churned, link.consent_withdrawal_prob_churner,
                                                     link.consent_withdrawal_prob_other)) & (withdraw_w < pop.end_w)
    sms = np.flatnonzero(sms_yes)
    wd = np.flatnonzero(withdraw)
    return {
        "person": np.concatenate([person, person[sms], person[wd]]),
        "record": np.concatenate([np.zeros(n, np.int64), np.ones(len(sms), np.int64), np.full(len(wd), 2)]),
        "channel": np.concatenate([np.zeros(n, np.int64), np.ones(len(sms), np.int64), np.zeros(len(wd), np.int64)]),
        "granted": np.concatenate([email_yes, np.ones(len(sms), bool), np.zeros(len(wd), bool)]),
        "week": np.concatenate([pop.acquired_w[lo:hi], pop.acquired_w[lo:hi][sms], withdraw_w[wd]]),
    }
