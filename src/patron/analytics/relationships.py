"""Measures of a business relationship (issue 15; seeds 000 and 003): relationship strength from the
interaction log, the trust equation, the development stage from evidence rules, Bensaou's quadrant and
the relationship matrix. Plain functions over a party's records, so each number can be shown with its
formula and checked by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from patron.store.vocabulary import BENSAOU_QUADRANTS, TRUST_TERMS, WILSON_STAGES

#: How deep a contact through each channel is (a meeting weighs more than an email), 0-1.
DEPTH = {"face_to_face": 1.0, "event": 0.8, "phone": 0.6, "social": 0.4, "chat": 0.4, "email": 0.3,
         "letter": 0.3, "sms": 0.2, "web": 0.2, "other": 0.2}


@dataclass(frozen=True)
class StrengthWeights:
    """The weights of relationship strength's five parts (any non-negative numbers; they are normalised)."""

    recency: float = 0.30
    frequency: float = 0.25
    reciprocity: float = 0.15
    depth: float = 0.15
    seniority: float = 0.15
    half_life_days: float = 90.0  # recency halves every half-life since the last contact
    contacts_for_full_frequency: float = 24.0  # contacts in the last 365 days that count as frequent

    def __post_init__(self):
        parts = (self.recency, self.frequency, self.reciprocity, self.depth, self.seniority)
        if min(parts) < 0 or sum(parts) <= 0:
            raise ValueError("strength weights must be non-negative and not all zero")
        if self.half_life_days <= 0 or self.contacts_for_full_frequency <= 0:
            raise ValueError("the half-life and the contacts for full frequency must be positive")


FORMULA = ("strength = 100 × (w_r·R + w_f·F + w_x·X + w_d·D + w_s·S) / (w_r + w_f + w_x + w_d + w_s), where "
           "R = 0.5^(days since the last contact / half-life); F = min(1, contacts in the last 365 days / "
           "contacts for full frequency); X (reciprocity) = 2·min(inbound, outbound) / (inbound + outbound); "
           "D (depth) = mean channel depth (face to face 1, event 0.8, phone 0.6, chat 0.4, email 0.3, other 0.2); "
           "S = seniority of the contact (0.25 staff, 0.5 manager, 0.75 director or decider, 1 chief)")


def seniority(title: str | None, buying_roles: tuple[str, ...] = ()) -> float:
    """0.25-1 from a job title's words and the buying-centre roles held (a decider counts as a director)."""
    t = f" {(title or '').lower()} "
    if any(w in t for w in (" chief", " ceo", " cfo", " coo", "managing director", " owner", " president",
                            " founder", "geschäftsführer")):
        level = 1.0
    elif any(w in t for w in ("director", " vp", "vice president", " head")):
        level = 0.75
    elif any(w in t for w in ("manager", " lead", "leiter", " principal")):
        level = 0.5
    else:
        level = 0.25
    if set(buying_roles) & {"decider", "approver"}:
        level = max(level, 0.75)
    return level


def contact_strength(contacts: list[tuple[dt.datetime, str, str | None]], as_of: dt.datetime, senior: float,
                     weights: StrengthWeights = StrengthWeights()) -> dict:
    """Strength 0-100 of one contact from their interactions ``(occurred_at, channel, direction)`` up to ``as_of``."""
    seen = [c for c in contacts if c[0] <= as_of]
    if not seen:
        parts = {"recency": 0.0, "frequency": 0.0, "reciprocity": 0.0, "depth": 0.0, "seniority": senior}
        return {**parts, "score": _weighted(parts, weights), "last_contact": None, "contacts_365d": 0}
    last = max(c[0] for c in seen)
    days = (as_of - last).total_seconds() / 86400
    year = [c for c in seen if (as_of - c[0]).days < 365]
    inbound = sum(1 for c in year if c[2] == "inbound")
    outbound = sum(1 for c in year if c[2] == "outbound")
    parts = {
        "recency": 0.5 ** (days / weights.half_life_days),
        "frequency": min(1.0, len(year) / weights.contacts_for_full_frequency),
        "reciprocity": 2 * min(inbound, outbound) / (inbound + outbound) if inbound + outbound else 0.0,
        "depth": sum(DEPTH.get(c[1], 0.2) for c in year) / len(year) if year else 0.0,
        "seniority": senior,
    }
    return {**parts, "score": _weighted(parts, weights), "last_contact": last, "contacts_365d": len(year)}


def _weighted(parts: dict, w: StrengthWeights) -> float:
    names = ("recency", "frequency", "reciprocity", "depth", "seniority")
    total = sum(getattr(w, n) for n in names)
    return round(100 * sum(getattr(w, n) * parts[n] for n in names) / total, 2)


def account_strength(contact_scores: list[float]) -> float:
    """An account's strength: the mean of its three strongest contacts (a single thread caps it at a third)."""
    top = sorted(contact_scores, reverse=True)[:3]
    return round(sum(top) / 3, 2) if top else 0.0


TRUST_LABELS = {"credibility": "credibility", "reliability": "reliability", "intimacy": "intimacy",
                "self_orientation": "self-orientation"}


def trust(terms: dict[str, float | None]) -> dict | None:
    """The trust equation, (credibility + reliability + intimacy) / self-orientation, each term rated 1-10.

    The weakest term is the one furthest from its best: the lowest of the three on top, or self-orientation
    when it is higher than each of them is low (10 - term for the three, self-orientation - 1 for it).
    """
    if any(terms.get(t) is None for t in TRUST_TERMS):
        return None
    c, r, i, s = (float(terms[t]) for t in TRUST_TERMS)
    for name, value in zip(TRUST_TERMS, (c, r, i, s)):
        if not 1 <= value <= 10:
            raise ValueError(f"{TRUST_LABELS[name]} must be rated from 1 to 10, not {value:g}")
    gaps = {"credibility": 10 - c, "reliability": 10 - r, "intimacy": 10 - i, "self_orientation": s - 1}
    weakest = max(gaps, key=lambda t: (gaps[t], -TRUST_TERMS.index(t)))
    value = (c + r + i) / s
    return {"credibility": c, "reliability": r, "intimacy": i, "self_orientation": s, "trust": round(value, 3),
            "max": 30.0, "weakest": weakest,
            "summary": f"trust is held back by {TRUST_LABELS[weakest]}" if gaps[weakest] > 0 else "trust is at its best"}


def observed_trust(complaint_clocks: list[str], contacts: list[tuple[str | None, str | None]]) -> dict:
    """The trust terms the records can show without asking anyone (each on the equation's 1-10 scale).

    - **reliability** from promises kept: the share of resolved complaints whose resolution met its service
      level (``complaint_clocks``: each resolved complaint's state, ``met`` or ``breached``);
    - **self-orientation** from how the firm contacts the relationship (``contacts``: ``(direction,
      department)`` of each interaction in the window): half the share of contacts the firm started
      (contact pressure), half the share of those that came from sales (pitches rather than service).

    A term is None when there is nothing to read it from (no resolved complaint; no contact).
    """
    out: dict = {"reliability": None, "self_orientation": None, "evidence": []}
    if complaint_clocks:
        met = sum(1 for s in complaint_clocks if s == "met")
        out["reliability"] = round(1 + 9 * met / len(complaint_clocks), 2)
        out["evidence"].append(f"reliability: {met} of {len(complaint_clocks)} complaints resolved within "
                               "their service level")
    if contacts:
        ours = [d for d, _ in contacts if d == "outbound"]
        pitches = [dep for d, dep in contacts if d == "outbound" and dep == "sales"]
        pressure = len(ours) / len(contacts)
        selling = len(pitches) / len(ours) if ours else 0.0
        out["self_orientation"] = round(1 + 9 * (pressure + selling) / 2, 2)
        out["evidence"].append(f"self-orientation: {pressure:.0%} of {len(contacts)} contacts started by us, "
                               f"{selling:.0%} of those from sales")
    return out


@dataclass(frozen=True)
class StageEvidence:
    """What the development stage is read from (seed 000; Ford's stages)."""

    tenure_days: int | None  # since the first order; None: never ordered
    products: int  # distinct products bought
    engaged_stakeholders: int  # contacts with an interaction in the last 90 days
    contacts_known: int
    revenue_last_180d: float
    revenue_prior_180d: float
    adaptations: float | None = None  # Wilson's "adaptation" answer (1-5), if assessed
    structural_bonds: float | None = None


@dataclass(frozen=True)
class FordRules:
    """The thresholds of :func:`stage` (seed 000: Ford's stages of a business relationship), configurable."""

    final_after_days: int = 365  # declining activity counts as the final stage after this much buying
    decline_share: float = 0.5  # final: the last 180 days' revenue under this share of the 180 before
    long_term_days: int = 3 * 365  # institutionalised from this tenure...
    long_term_stakeholders: int = 3  # ...with this many engaged stakeholders...
    long_term_products: int = 5  # ...and this many products bought...
    long_term_bonds: float = 4.0  # ...or adaptations or structural bonds rated this high (1-5)
    development_days: int = 365  # growing from this tenure...
    development_products: int = 3  # ...with this many products...
    development_stakeholders: int = 2  # ...or this many engaged stakeholders

    def __post_init__(self):
        if not 0 < self.development_days <= self.long_term_days:
            raise ValueError("the development stage must start before the long-term one (days, both positive)")
        if not 0 < self.decline_share < 1:
            raise ValueError("decline_share is a share of the revenue before, between 0 and 1")
        if min(self.final_after_days, self.long_term_stakeholders, self.long_term_products,
               self.development_products, self.development_stakeholders) < 0 or not 1 <= self.long_term_bonds <= 5:
            raise ValueError("the counts must not be negative and long_term_bonds is a rating from 1 to 5")


def stage(e: StageEvidence, rules: FordRules = FordRules()) -> dict:
    """The stage (pre_relationship, early, development, long_term, final) and the lifecycle phase, with the
    rules that decided it, in the order they are tried (thresholds: :class:`FordRules`)."""
    r = rules
    evidence = [f"tenure: {'no order yet' if e.tenure_days is None else f'{e.tenure_days} days'}",
                f"products bought: {e.products}", f"engaged stakeholders (90 days): {e.engaged_stakeholders}",
                f"revenue last 180 days {e.revenue_last_180d:,.0f} vs the 180 before {e.revenue_prior_180d:,.0f}"]
    if e.tenure_days is None:
        rule, name = "no order yet: the parties are still evaluating each other", "pre_relationship"
    elif e.tenure_days >= r.final_after_days and e.revenue_prior_180d > 0 and \
            e.revenue_last_180d < r.decline_share * e.revenue_prior_180d:
        rule, name = (f"revenue fell below {r.decline_share:.0%} of the 180 days before: declining activity",
                      "final")
    elif e.tenure_days >= r.final_after_days and e.revenue_prior_180d == 0 and e.revenue_last_180d == 0:
        rule, name = "no revenue in the last 360 days after a year or more of buying: the relationship has run down", \
            "final"
    elif e.tenure_days >= r.long_term_days and e.engaged_stakeholders >= r.long_term_stakeholders and (
            e.products >= r.long_term_products or (e.structural_bonds or 0) >= r.long_term_bonds
            or (e.adaptations or 0) >= r.long_term_bonds):
        rule, name = (f"{r.long_term_days} days or more, {r.long_term_stakeholders} or more engaged stakeholders "
                      f"and broad buying ({r.long_term_products}+ products) or adaptations/structural bonds rated "
                      f"{r.long_term_bonds:g}+: institutionalised"), "long_term"
    elif e.tenure_days >= r.development_days and (e.products >= r.development_products
                                                  or e.engaged_stakeholders >= r.development_stakeholders):
        rule, name = (f"{r.development_days} days or more, and {r.development_products}+ products or "
                      f"{r.development_stakeholders}+ engaged stakeholders: growing"), "development"
    else:
        rule, name = "ordering for less than a year, or narrowly: still early", "early"
    phase = {"pre_relationship": "initiation", "early": "initiation", "development": "development",
             "long_term": "maintenance", "final": "maintenance"}[name]
    return {"stage": name, "phase": phase, "rule": rule, "evidence": evidence, "inputs": asdict(e)}


#: Per stage, Wilson's constructs that matter most in it (shown beside the stage, with their latest scores).
STAGE_CONSTRUCTS = {
    "partner_selection": ("trust", "performance_satisfaction", "comparison_level"),
    "defining_purpose": ("mutual_goals", "interdependence", "cooperation"),
    "setting_boundaries": ("adaptation", "non_retrievable_investments", "shared_technology", "social_bonds"),
    "creating_value": ("cooperation", "performance_satisfaction", "structural_bonds"),
    "maintenance": ("commitment", "trust", "structural_bonds", "social_bonds"),
}


@dataclass(frozen=True)
class WilsonRules:
    """The thresholds of :func:`wilson_stage` (days since the first order), configurable."""

    purpose_days: int = 120  # the first months of ordering: agreeing what the relationship is for
    boundaries_days: int = 365  # the first year: settling who does what, adapting, investing
    maintenance_days: int = 2 * 365  # from two years: keeping a mature relationship
    engaged_for_value: int = 2  # creating value needs at least this many engaged stakeholders...
    bonds_for_value: float = 4.0  # ...or structural bonds or adaptation rated this high (1-5)

    def __post_init__(self):
        if not 0 < self.purpose_days < self.boundaries_days < self.maintenance_days:
            raise ValueError("Wilson's stage thresholds must rise: defining purpose < setting boundaries < "
                             "maintenance (days)")


def wilson_stage(e: StageEvidence, wilson: dict | None = None, rules: WilsonRules = WilsonRules()) -> dict:
    """The account's stage in Wilson's five (partner selection, defining purpose, setting boundaries,
    creating value, maintenance) from the records: tenure since the first order, engaged stakeholders and
    the bonds rated in the account review; with the rule that decided it and the constructs that matter then."""
    wilson = wilson or {}
    t = e.tenure_days
    bonds = max(e.structural_bonds or 0, e.adaptations or 0)
    if t is None:
        rule, name = "no order yet: the firm and the account are still choosing each other", "partner_selection"
    elif t < rules.purpose_days:
        rule, name = (f"ordering for {t} days (under {rules.purpose_days}): agreeing what the relationship is for",
                      "defining_purpose")
    elif t < rules.boundaries_days:
        name = "setting_boundaries"
        rule = (f"ordering for {t} days (under {rules.boundaries_days}): settling the relationship's "
                "boundaries, who does what")
    elif e.engaged_stakeholders < rules.engaged_for_value and bonds < rules.bonds_for_value:
        name = "setting_boundaries"
        rule = (f"ordering for {t} days, but {e.engaged_stakeholders} engaged stakeholder(s) and no bonds rated "
                f"{rules.bonds_for_value:g}+: the boundaries are still being set")
    elif t < rules.maintenance_days:
        name = "creating_value"
        rule = (f"ordering for {t} days with {e.engaged_stakeholders} engaged stakeholders"
                f"{f' and bonds rated {bonds:g}' if bonds else ''}: creating value together")
    else:
        name = "maintenance"
        rule = (f"ordering for {t} days ({rules.maintenance_days}+) with the relationship engaged: "
                "maintaining it")
    constructs = [{"item": c, "label": c.replace("_", " "), "latest": wilson.get(c)} for c in STAGE_CONSTRUCTS[name]]
    return {"stage": name, "rule": rule, "constructs": constructs, "step": WILSON_STAGES.index(name) + 1}


def bensaou(buyer_investment: float | None, supplier_investment: float | None, high: float = 3.0,
            supplier_high: float | None = None) -> str | None:
    """Bensaou's quadrant from the buyer's and the supplier's relationship-specific investments (rated 1-5;
    ``high`` and above is high for the buyer, ``supplier_high`` (default ``high``) for the supplier): low/low
    market exchange, high buyer only captive buyer, high supplier only captive supplier, both strategic
    partnership."""
    if buyer_investment is None or supplier_investment is None:
        return None
    b = buyer_investment >= high
    s = supplier_investment >= (high if supplier_high is None else supplier_high)
    return BENSAOU_QUADRANTS[(1 if b else 0) + (2 if s else 0)]


def matrix_cell(strength: float, tenure_days: int | None) -> dict:
    """The relationship matrix (proximity × duration) and the nature of the relationship (seed 000)."""
    proximity = "close" if strength >= 50 else "distant"
    duration = "long_term" if (tenure_days or 0) >= 2 * 365 else "short_term"
    nature = ("intimate" if strength >= 75 else "face_to_face" if strength >= 50 else
              "distant" if strength > 0 else "no_contact")
    return {"proximity": proximity, "duration": duration, "nature": nature}

