"""The demo company's other listening instruments (seed 001, tracking satisfaction): a customer panel, mystery
shoppers and field visits, with their truth in ``truth.json`` under ``listening``.

All drawn from their own random stream, so every other draw of the demo stays as it was.

- **Panel**: :data:`PANEL_SIZE` loyal current customers (three or more orders, the last in the final 26 weeks),
  who thereby work with the firm and are partners on the ladder (``truth_partners.parquet`` names them), asked each quarter of the last two years how satisfied they are
  overall (CSAT 1-5). Their satisfaction climbs: the latent mean is ``PANEL_START + PANEL_TREND * quarter``,
  each answer that plus a normal noise (:data:`PANEL_SD`), rounded and kept in 1-5.
- **Mystery shoppers**: :data:`SHOPPERS` customers recruited as shoppers test our web shop, phone line and chat,
  and the same at two competitors (the benchmarks of :mod:`patron.demo.quality_plants`), each quarter of the
  last two years, and score the five SERVQUAL dimensions on 1-7. A firm's mean on a dimension is our latent
  perception (5.9 + the planted gap) plus the competitor's planted offset (0 for us); each score adds a normal
  noise (:data:`SHOPPER_SD`), rounded and kept in 1-7. A competitor with a benchmark trend improves by it each
  year since 2023, for the shoppers as in the benchmark table. The truth gives the latent mean and the mean
  expected after rounding and clipping, averaged over the visits.
- **Field visits**: the account team visits the :data:`VISITED_SHARE` of active customers who spend most (true
  spend per week), once in each half of the final year; on each visit the customer gives a CSAT score (1-5,
  latent mean :data:`VISIT_CSAT`) and, with probability :data:`VISIT_SUGGESTION`, a suggestion. Both answers
  are recorded with channel ``field_visit``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import stats

from patron.demo import exports, partners, text
from patron.demo.customers import Population
from patron.demo.params import SERVQUAL_GAPS, DemoParameters
from patron.demo.quality_plants import BENCHMARKS, LATENT_EXPECTATION
from patron.demo.systems import ExportFile

PANEL_SIZE, PANEL_START, PANEL_TREND, PANEL_SD = 80, 3.2, 0.12, 0.6
SHOPPERS, SHOPPER_SD = 12, 0.7
SHOPPED = ("us", "Bean Bros", "Roastery Direct")
SHOPPED_CHANNELS = ("web", "phone", "chat")
VISITED_SHARE, VISIT_CSAT, VISIT_SUGGESTION = 0.04, 4.3, 0.3
QUARTERS = 8
SUGGESTIONS = ("Offer a refill subscription for the office", "A tasting day at the roastery would be welcome",
               "Deliver on a fixed weekday", "Send the invoice with the order")

LISTENING_FILE = ExportFile("listening_instruments.jsonl", "listening", "feedback", "jsonl", mapping='''\
# The panel's quarterly answers, the mystery shoppers' visits (ours and competitors') and the field visits.
kind = "feedback"
source = "listening"

[columns]
external_id = "answer_id"
customer_key = "customer_ref"
occurred_at = "answered_at"
instrument = "instrument"
item = "question"
dimension = "dimension"
score = "score"
scale_max = "scale"
perception = "perceived"
benchmark = "competitor"
channel = "via"
text = "comment"

[options]
key_source = "webshop"
''')


def expected_score(mean: float, sd: float, low: int, high: int) -> float:
    """The mean of ``clip(round(N(mean, sd)), low, high)``: what a rounded answer on the scale averages."""
    cuts = np.arange(low, high) + 0.5
    p = np.diff(np.concatenate([[0.0], stats.norm.cdf(cuts, mean, sd), [1.0]]))
    return float(np.dot(p, np.arange(low, high + 1)))


def _answers(rng, mean, sd, low, high) -> np.ndarray:
    return np.clip(np.round(mean + rng.normal(0, sd, np.shape(mean))), low, high)


def plant(rng: np.random.Generator, pop: Population, params: DemoParameters, out) -> tuple[pa.Table, dict]:
    """The listening instruments' answers (the ``listening_instruments.jsonl`` table) and their truth; the panel's
    members are added to ``truth_partners.parquet`` in ``out``."""
    end_w = pop.end_w
    active = np.flatnonzero((pop.duplicate_no < 0) & (pop.acquired_w < end_w - QUARTERS * 13)
                            & (pop.dropout_w > end_w))
    rows: dict[str, list] = {k: [] for k in ("answer_id", "person", "week", "instrument", "question", "dimension",
                                             "score", "scale", "perceived", "competitor", "via", "comment")}

    def add(answer_id, person, week, instrument, question, *, dimension=None, score=np.nan, scale=np.nan,
            perceived=np.nan, competitor=None, via=None, comment=None):
        for k, v in (("answer_id", answer_id), ("person", person), ("week", week), ("instrument", instrument),
                     ("question", question), ("dimension", dimension), ("score", score), ("scale", scale),
                     ("perceived", perceived), ("competitor", competitor), ("via", via), ("comment", comment)):
            rows[k].append(v)

    # The panel is recruited from loyal current customers (three or more orders, the last in the final 26 weeks),
    # as the partner programme is: answering a panel is working with the firm, so the ladder counts its members as
    # partners, and ``panel_members`` lets the truth name them.
    last_w = pop.acquired_w + pop.t_x
    loyal = active[(1 + pop.x[active] >= 3) & (end_w - last_w[active] < 26)]
    panel = np.sort(rng.permutation(loyal)[:PANEL_SIZE])
    shoppers = rng.permutation(np.setdiff1d(active, panel))[:SHOPPERS]
    partners.add_panel(out, pop, panel, QUARTERS)
    quarter_w = end_w - 13.0 * (QUARTERS - np.arange(QUARTERS)) + 1.0
    for q in range(QUARTERS):
        scores = _answers(rng, np.full(len(panel), PANEL_START + PANEL_TREND * q), PANEL_SD, 1, 5)
        for person, score in zip(panel, scores, strict=True):
            add(f"PNL-{q + 1}-{pop.customer_no[person]}", person, quarter_w[q] + rng.uniform(0, 2), "panel",
                "Overall, how satisfied are you with us this quarter?", score=score, scale=5.0)
    dims = tuple(SERVQUAL_GAPS)
    means = {who: {d: LATENT_EXPECTATION + SERVQUAL_GAPS[d] + (0.0 if who == "us" else BENCHMARKS[who]["offset"][d])
                   for d in dims} for who in SHOPPED}
    # a competitor improving by its benchmark trend a year (from the 2023 wave) does so for the shoppers too
    trend = {who: 0.0 if who == "us" else BENCHMARKS[who]["trend"] for who in SHOPPED}
    moved: dict[str, list[float]] = {who: [] for who in SHOPPED}  # each visit's trend shift, for the truth
    n = 0
    for q in range(QUARTERS if len(shoppers) else 0):  # a demo too small to recruit shoppers has none
        for who in SHOPPED:
            for channel in SHOPPED_CHANNELS:
                n += 1
                person = shoppers[n % len(shoppers)]
                week = quarter_w[q] + rng.uniform(0, 10)
                shift = trend[who] * np.floor(week * 7 / 365.25)  # years since the 2023 wave
                moved[who].append(shift)
                for d in dims:
                    add(f"MYS-{n:04d}-{d[:3].upper()}", person, week, "mystery_shopper",
                        f"Mystery shopper: {d} ({channel})", dimension=d,
                        perceived=float(_answers(rng, means[who][d] + shift, SHOPPER_SD, 1, 7)), scale=7.0,
                        competitor=None if who == "us" else who, via=channel)
    spend = pop.lam * params.gg_p / pop.nu
    visited = active[spend[active] >= np.quantile(spend[active], 1 - VISITED_SHARE)] if len(active) else active
    visits = 0
    for half in range(2):
        for person in visited:
            visits += 1
            week = end_w - 52 + 26 * half + rng.uniform(1, 24)
            add(f"FV-{visits:05d}-SAT", person, week, "csat", "How satisfied are you with our service?",
                score=float(_answers(rng, VISIT_CSAT, 0.6, 1, 5)), scale=5.0, via="field_visit")
            if rng.random() < VISIT_SUGGESTION:
                add(f"FV-{visits:05d}-SUG", person, week, "suggestion", "Anything we could do better?",
                    comment=SUGGESTIONS[rng.integers(len(SUGGESTIONS))], via="field_visit")
    person = np.asarray(rows.pop("person"), np.int64)
    week = np.asarray(rows.pop("week"), float)
    table = pa.table({"answer_id": pa.array(rows["answer_id"], pa.string()),
                      "customer_ref": text.ints(pop.customer_no[person]),
                      "answered_at": exports._iso_z(week),
                      **{k: pa.array(rows[k], pa.string()) for k in ("instrument", "question", "dimension")},
                      **{k: exports._numbers(rows[k]) for k in ("score", "scale", "perceived")},
                      **{k: pa.array(rows[k], pa.string()) for k in ("competitor", "via", "comment")}})
    suggestions = sum(1 for i in rows["instrument"] if i == "suggestion")
    truth = {
        "panel": {"size": len(panel), "quarters": QUARTERS,
                  "members": [int(c) for c in pop.customer_no[panel]], "start": PANEL_START, "trend_per_quarter": PANEL_TREND,
                  "noise_sd": PANEL_SD, "scale_max": 5,
                  "expected_by_quarter": [round(expected_score(PANEL_START + PANEL_TREND * q, PANEL_SD, 1, 5), 4)
                                          for q in range(QUARTERS)]},
        "mystery_shopper": {"shoppers": len(shoppers), "visits_per_firm": QUARTERS * len(SHOPPED_CHANNELS),
                            "channels": list(SHOPPED_CHANNELS), "noise_sd": SHOPPER_SD,
                            "trend_per_year": trend,
                            "latent": {w: {d: round(v + float(np.mean(moved[w] or [0.0])), 4) for d, v in m.items()}
                                       for w, m in means.items()},
                            "expected": {w: {d: round(float(np.mean([expected_score(v + x, SHOPPER_SD, 1, 7)
                                                                      for x in moved[w] or [0.0]])), 4)
                                             for d, v in m.items()} for w, m in means.items()}},
        "field_visit": {"visits": visits, "customers": len(visited), "csat_answers": visits,
                        "suggestions": suggestions, "csat_latent": VISIT_CSAT,
                        "csat_expected": round(expected_score(VISIT_CSAT, 0.6, 1, 5), 4)},
        "notes": ("Own random stream. Panel: the same loyal customers (partners on the ladder) each quarter of the last two years, CSAT on 1-5 "
                  "with latent mean start + trend * quarter. Mystery shoppers: customers recruited as shoppers "
                  "score the five dimensions on 1-7 for us and two competitors (benchmark = the competitor); "
                  "expected = the mean after rounding and clipping. Field visits: the top spenders, twice in the "
                  "final year, CSAT and sometimes a suggestion, channel field_visit."),
    }
    return table, truth
