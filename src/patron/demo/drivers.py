"""What drives satisfaction and NPS in the demo company: a yearly relationship survey with planted driver weights.

Each SERVQUAL wave, a share of the active customers (:data:`SAMPLE_SHARE`, on its own random stream, so every
other draw of the demo stays as it was) answers a perceptions-only questionnaire: the 22 items on the 7-point
scale (no expectations, so the SERVQUAL gaps are not touched) and, on the same day, the two overall questions:
how likely they are to recommend us (NPS, 0-10) and how satisfied they are overall (CSAT, 1-5).

The overall answers are drawn from the customer's perceived dimensions with weights that differ by value tier
(:data:`WEIGHTS`): a customer whose true spend per week (``lam * gg_p / nu``) is at or above the median of
everyone's is ``high``, the others ``other``. Valuable customers care most about reliability and assurance;
the others about responsiveness. Each perception is the latent one (5.9 + the dimension's planted gap) plus the
customer's general mood, their own view of the dimension and an item's noise, so the dimensions vary apart
from one another and their weights can be told apart.

The truth (weights, tiers, the order of importance per tier and pooled over the tiers by their number of
questionnaires, the number of questionnaires per tier) goes into
``truth.json`` under ``drivers``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from patron.demo import text
from patron.demo.customers import Population
from patron.demo.params import SERVQUAL_GAPS, DemoParameters

#: Share of the active customers who answer the relationship survey each wave.
SAMPLE_SHARE = 0.12
TIERS = ("high", "other")
#: Per value tier: how much one point of perception on a dimension moves the latent overall judgement.
WEIGHTS: dict[str, dict[str, float]] = {
    "high": {"reliability": 1.4, "assurance": 0.7, "empathy": 0.3, "responsiveness": 0.2, "tangibles": 0.0},
    "other": {"responsiveness": 1.0, "reliability": 0.7, "tangibles": 0.3, "empathy": 0.1, "assurance": 0.0},
}
NPS_BASE, NPS_NOISE = 7.6, 0.8  # NPS = base + judgement + noise, rounded and clipped to 0-10
CSAT_BASE, CSAT_SLOPE, CSAT_NOISE = 3.8, 0.5, 0.45  # CSAT = base + slope * judgement + noise, on 1-5
MOOD_SD, VIEW_SD, ITEM_SD = 0.35, 0.7, 0.5


def true_value_tier(pop: Population, params: DemoParameters) -> np.ndarray:
    """0 (high) or 1 (other) per person: true spend per week at or above everyone's median."""
    spend = pop.lam * params.gg_p / pop.nu
    return np.where(spend >= np.median(spend), 0, 1)


def simulate(rng: np.random.Generator, pop: Population, lo: int, hi: int, params: DemoParameters,
             waves_w, items: dict[str, int], tier: np.ndarray) -> dict:
    """The relationship survey of customers ``lo..hi``: one questionnaire per sampled person and wave."""
    dims = tuple(items)
    item_dim = np.repeat(np.arange(len(dims)), list(items.values()))
    item_no = np.concatenate([np.arange(1, k + 1) for k in items.values()])
    people, waves = [], []
    for w, wave_w in enumerate(waves_w):
        active = (pop.acquired_w[lo:hi] < wave_w) & (pop.dropout_w[lo:hi] > wave_w)
        who = lo + np.flatnonzero(active & (rng.random(hi - lo) < SAMPLE_SHARE))
        people.append(who)
        waves.append(np.full(len(who), w))
    person, wave = np.concatenate(people), np.concatenate(waves)
    n, k = len(person), len(dims)
    week = np.asarray(waves_w, float)[wave] + rng.uniform(0, 21, n) / 7.0
    latent = 5.9 + np.array([SERVQUAL_GAPS[d] for d in dims])
    view = latent[None, :] + rng.normal(0, MOOD_SD, (n, 1)) + rng.normal(0, VIEW_SD, (n, k))  # per person, dimension
    perception = np.clip(np.round(view[:, item_dim] + rng.normal(0, ITEM_SD, (n, len(item_dim)))), 1, 7)
    dim_mean = np.stack([perception[:, item_dim == j].mean(axis=1) for j in range(k)], axis=1)
    weights = np.array([[WEIGHTS[t][d] for d in dims] for t in TIERS])[tier[person]]
    judgement = ((dim_mean - latent[None, :]) * weights).sum(axis=1)
    nps = np.clip(np.round(NPS_BASE + judgement + rng.normal(0, NPS_NOISE, n)), 0, 10) + 0.0
    csat = np.clip(np.round(CSAT_BASE + CSAT_SLOPE * judgement + rng.normal(0, CSAT_NOISE, n)), 1, 5) + 0.0
    return {"person": person, "wave": wave, "week": week, "dims": dims, "item_dim": item_dim, "item_no": item_no,
            "perception": perception, "nps": nps, "csat": csat, "tier": tier[person]}


def responses(survey: dict, pop: Population, table) -> pa.Table:
    """The survey's answers in the survey tool's stream (``table`` is the exports' feedback table builder)."""
    person, n_items = survey["person"], len(survey["item_dim"])
    r = np.repeat(np.arange(len(person)), n_items)
    item = np.tile(np.arange(n_items), len(person))
    dim = survey["item_dim"][item]
    code = text.join(text.take([d[:3].upper() for d in survey["dims"]], dim), text.ints(survey["item_no"][item]))
    keys = text.ints(pop.customer_no[person])
    prefix = text.join("RS-", text.ints(survey["wave"] + 2023), "-", keys, "-")
    nan = np.full(len(r), np.nan)
    flat = survey["perception"].reshape(-1)
    t_items = table(text.join(pc.take(prefix, pa.array(r)), code), pc.take(keys, pa.array(r)), survey["week"][r],
                    text.repeat("servqual", len(r)), code, text.take(survey["dims"], dim), flat,
                    np.full(len(r), 7.0), nan, flat, pa.nulls(len(r), pa.string()))
    m = len(person)
    nan = np.full(m, np.nan)
    overall = []
    for suffix, survey_kind, question, score, scale in (
            ("NPS", "nps", "How likely are you to recommend us to a friend?", survey["nps"], 10.0),
            ("SAT", "csat", "Overall, how satisfied are you with us?", survey["csat"], 5.0)):
        overall.append(table(text.join(prefix, suffix), keys, survey["week"], text.repeat(survey_kind, m),
                             text.repeat(question, m), pa.nulls(m, pa.string()), score, np.full(m, scale), nan, nan,
                             pa.nulls(m, pa.string())))
    return pa.concat_tables([t_items, *overall])


class DriverTruth:
    """Counts the questionnaires per tier over the chunks; :meth:`facts` is the ``drivers`` entry of the truth."""

    def __init__(self) -> None:
        self.counts = np.zeros(len(TIERS), np.int64)

    def add(self, survey: dict) -> None:
        self.counts += np.bincount(survey["tier"], minlength=len(TIERS))

    def facts(self) -> dict:
        order = {t: sorted(w, key=lambda d: -w[d]) for t, w in WEIGHTS.items()}
        share = self.counts / max(self.counts.sum(), 1)
        pooled = {d: round(float(sum(s * WEIGHTS[t][d] for s, t in zip(share, TIERS))), 4) for d in WEIGHTS["high"]}
        order["all"] = sorted(pooled, key=lambda d: -pooled[d])
        return {"weights": WEIGHTS, "pooled_weights": pooled, "order": order, "tiers": list(TIERS),
                "questionnaires": {t: int(c) for t, c in zip(TIERS, self.counts)},
                "sample_share": SAMPLE_SHARE, "nps": {"base": NPS_BASE, "noise_sd": NPS_NOISE},
                "csat": {"base": CSAT_BASE, "slope": CSAT_SLOPE, "noise_sd": CSAT_NOISE},
                "external_id_prefix": "RS-",
                "notes": ("A perceptions-only relationship survey each SERVQUAL wave (external ids RS-<year>-"
                          "<customer>-...): 22 items on 1-7 and, on the same day, NPS and overall CSAT drawn from "
                          "the perceived dimensions (item means minus the latent 5.9 + gap) times the weights of "
                          "the customer's tier: high when true spend per week (lam * gg_p / nu) is at or above "
                          "the median of all customers, else other.")}
