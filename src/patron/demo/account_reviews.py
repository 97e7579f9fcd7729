"""The sales CRM's account reviews (issue 15): what the account managers rated, and the truth behind it.

Account managers keep four short forms per account (``assessments``): a stakeholder map of each contact
(influence and interest 1-5, attitude), the trust equation's terms for each contact and for the account
(1-10), Wilson's constructs for the account twice, a year apart (1-5), and the relationship-specific
investments that place the account in Bensaou's portfolio (1-5). The demo plants, per account:

- a Bensaou quadrant, drawn evenly, from which the two investments follow (4-5 high, 1-2 low);
- the weakest term of the account's trust, which its rating holds clearly below the other three;
- a champion: a supporter of influence 5 (the account's most senior contact), and its main contact (half
  of the activities logged with others are theirs instead). In accounts that are lost,
  the champion **goes quiet first**: none of their activities in the 30 weeks before the loss are kept,
  while the others' thin out as before. So the alert "champion gone quiet" can be seen coming;
- Wilson's constructs that fall from the first review to the second in accounts that are lost and rise a
  little in the others; in the open accounts of a year or more, structural bonds rated 4 or 5 at the second,
  so each open account's stage in Wilson's five follows from its tenure (``wilson_stage`` in the truth).

Everything is drawn from its own random stream, so the rest of the demo is what it was without it (but
the dropped activities of the quiet champions).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from patron.demo import b2b, relationships
from patron.demo.params import START
from patron.store.vocabulary import (
    ATTITUDES,
    BENSAOU_QUADRANTS,
    TRUST_TERMS,
    WILSON_CONSTRUCTS,
)

#: Weeks before a loss in which a quiet champion has no contact at all.
QUIET_WEEKS = 30
#: The share of an account's other activities that are its champion's instead: the champion is the account's
#: main contact, in touch every few weeks, so a silence of months is theirs to explain.
CHAMPION_SHARE = 0.5
#: The file the demo writes (read back by :func:`patron.service.demo.record_demo_reviews`).
FILE = "crm_account_reviews.parquet"
TRUTH = "truth_account_reviews.parquet"


def champions(acc: b2b.Accounts) -> np.ndarray:
    """Per account, the index of its champion: its most senior contact (the head of its org chart)."""
    boss = relationships.planted(acc)["reports_to"]
    head = np.full(acc.size, -1)
    heads = np.flatnonzero(boss < 0)
    head[acc.contact_org[heads]] = heads
    return head


def quiet_champions(acc: b2b.Accounts, rng: np.random.Generator | None = None) -> b2b.Accounts:
    """The accounts with each champion made the account's main contact (given ``rng``, CHAMPION_SHARE of the
    others' activities are theirs instead) and the lost champions' last 30 weeks of activity removed
    (a new :class:`Accounts`)."""
    champ = champions(acc)
    org = acc.contact_org[acc.activity_contact]
    contact = acc.activity_contact
    if rng is not None:
        moved = (champ[org] >= 0) & (rng.random(len(contact)) < CHAMPION_SHARE)
        contact = np.where(moved, champ[org], contact)
    lost = acc.lost_w[org]
    silent = (champ[org] == contact) & np.isfinite(lost) & (acc.activity_w > lost - QUIET_WEEKS)
    keep = ~silent
    fields = {name: getattr(acc, name) for name in acc.__dataclass_fields__}
    fields["activity_contact"] = contact
    for name in ("activity_contact", "activity_w", "activity_type", "activity_subject", "activity_duration_min"):
        fields[name] = fields[name][keep]
    return b2b.Accounts(**fields)


def _when(weeks: np.ndarray) -> pa.Array:
    seconds = np.round(START.timestamp() + np.asarray(weeks, dtype=float) * 7 * 86400).astype("int64")
    return pa.array(seconds * 1_000_000, pa.timestamp("us"))


def plant(rng: np.random.Generator, acc: b2b.Accounts, end_w: float, out: Path) -> None:
    """Write the reviews (``crm_account_reviews.parquet``) and their truth (``truth_account_reviews.parquet``)."""
    m, c = acc.size, len(acc.contact_org)
    accounts, contacts = (keys.to_pylist() for keys in relationships._keys(acc))
    champ = champions(acc)
    rows: dict[str, list] = {k: [] for k in ("key", "kind", "form", "item", "score", "answer", "weeks", "by")}

    def add(key, kind, form, item, score, answer, weeks):
        for k, v in zip(rows, (key, kind, form, item, score, answer, weeks, manager_of[key])):
            rows[k].append(v)

    manager_of = {a: b2b.ACCOUNT_MANAGERS[acc.manager[k]] for k, a in enumerate(accounts)}
    manager_of |= {cn: b2b.ACCOUNT_MANAGERS[acc.manager[acc.contact_org[i]]] for i, cn in enumerate(contacts)}

    # Stakeholder maps and contact trust, rated a few weeks after the account was opened.
    reviewed = np.minimum(acc.founded_w[acc.contact_org] + rng.uniform(2, 8, c), end_w - 0.5)
    attitude = rng.choice(len(ATTITUDES), size=c, p=[0.45, 0.35, 0.20])
    influence = rng.integers(1, 5, c)  # 1-4; the champion alone has 5
    interest = rng.integers(1, 6, c)
    is_champion = np.zeros(c, bool)
    is_champion[champ[champ >= 0]] = True
    attitude[is_champion] = 0
    influence[is_champion] = 5
    for i in range(c):
        add(contacts[i], "contact", "stakeholder", "influence", float(influence[i]), None, reviewed[i])
        add(contacts[i], "contact", "stakeholder", "interest", float(interest[i]), None, reviewed[i])
        add(contacts[i], "contact", "stakeholder", "attitude", None, ATTITUDES[attitude[i]], reviewed[i])
        for term in TRUST_TERMS:
            add(contacts[i], "contact", "trust", term, float(rng.integers(3, 9)), None, reviewed[i])

    # The account's own forms.
    quadrant = rng.integers(0, 4, m)
    weakest = rng.integers(0, len(TRUST_TERMS), m)
    first_review = np.minimum(acc.founded_w + rng.uniform(4, 12, m), end_w - 0.5)
    last_seen = np.minimum(acc.lost_w, end_w)
    second_review = np.maximum(first_review, np.minimum(first_review + 52, last_seen - 2))
    lost = np.isfinite(acc.lost_w)
    for k in range(m):
        b, s = quadrant[k] % 2 == 1, quadrant[k] >= 2  # the vocabulary's order: buyer high adds 1, supplier 2
        add(accounts[k], "account", "investments", "buyer_investment", float(rng.integers(4, 6) if b else
                                                                             rng.integers(1, 3)), None, first_review[k])
        add(accounts[k], "account", "investments", "supplier_investment", float(rng.integers(4, 6) if s else
                                                                                rng.integers(1, 3)), None,
            first_review[k])
        for t, term in enumerate(TRUST_TERMS):
            good = float(rng.integers(8, 11)) if term != "self_orientation" else float(rng.integers(1, 3))
            bad = float(rng.integers(2, 4)) if term != "self_orientation" else float(rng.integers(8, 11))
            add(accounts[k], "account", "trust", term, bad if t == weakest[k] else good, None, first_review[k])
        base = rng.integers(2, 5, len(WILSON_CONSTRUCTS)).astype(float)
        later = np.clip(base - 2 if lost[k] else base + rng.integers(0, 2, len(base)), 1, 5)
        if not lost[k] and end_w - acc.founded_w[k] >= 52:  # a year on, the bonds are formed: creating value
            later[WILSON_CONSTRUCTS.index("structural_bonds")] = max(later[WILSON_CONSTRUCTS.index(
                "structural_bonds")], 4.0)
        for when, scores in ((first_review[k], base), (second_review[k], later)):
            for item, score in zip(WILSON_CONSTRUCTS, scores):
                add(accounts[k], "account", "wilson", item, float(score), None, when)

    pq.write_table(pa.table({
        "crm_key": pa.array(rows["key"], pa.string()), "kind": pa.array(rows["kind"], pa.string()),
        "form": pa.array(rows["form"], pa.string()), "item": pa.array(rows["item"], pa.string()),
        "score": pa.array(rows["score"], pa.float64()), "answer": pa.array(rows["answer"], pa.string()),
        "assessed_at": _when(np.array(rows["weeks"])),
        "assessed_by": pa.array(rows["by"], pa.string()),
    }), Path(out) / FILE)
    pq.write_table(pa.table({
        "account_key": pa.array(accounts, pa.string()),
        "bensaou": pa.array([BENSAOU_QUADRANTS[q] for q in quadrant], pa.string()),
        "weakest_trust_term": pa.array([TRUST_TERMS[w] for w in weakest], pa.string()),
        "champion_key": pa.array([contacts[h] if h >= 0 else None for h in champ], pa.string()),
        "lost_at": _when_or_null(acc.lost_w),
        "wilson_falls": pa.array(lost, pa.bool_()),
        "wilson_stage": pa.array([None if lost[k] else wilson_stage(end_w - acc.founded_w[k]) for k in range(m)],
                                 pa.string()),
        "tenure_weeks": pa.array(end_w - acc.founded_w, pa.float64()),
    }), Path(out) / TRUTH)


def wilson_stage(weeks: float) -> str:
    """The planted Wilson stage of an account still open after ``weeks`` (its bonds formed after a year)."""
    from patron.analytics.relationships import WilsonRules

    days, rules = weeks * 7, WilsonRules()
    return ("defining_purpose" if days < rules.purpose_days else "setting_boundaries" if days < rules.boundaries_days
            else "creating_value" if days < rules.maintenance_days else "maintenance")


def _when_or_null(weeks: np.ndarray) -> pa.Array:
    finite = np.isfinite(weeks)
    stamps = _when(np.where(finite, weeks, 0))
    return pa.array([s if f else None for s, f in zip(stamps.to_pylist(), finite)], pa.timestamp("us"))
