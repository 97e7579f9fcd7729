"""Labelled verbatims the demo company plants: NPS comments and complaint descriptions, each with the SERVQUAL
dimension, sentiment and cause bone it is about, written to ``truth_verbatims.csv``.

The phrasing here is the demo's own, independent of the examples patron's tagger learns from
(:mod:`patron.models.verbatim_examples`), so the truth is held out from the tagger. A comment's sentiment
follows the customer's score (9-10 positive, 0-6 negative, 7-8 either); its dimension is drawn with the
planted SERVQUAL gaps' order of size for the negative ones. A complaint's description follows its recorded
cause. The draws use their own random stream, so planting verbatims leaves every other export unchanged.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from patron.demo import service

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
#: (dimension, sentiment) -> what customers say (the demo's phrasing)
COMMENT_CORES: dict[tuple[str, str], tuple[str, ...]] = {
    ("tangibles", "positive"): ("the tins look gorgeous on my shelf", "your web shop is a pleasure to browse",
                                "the beans are glossy and smell wonderful", "stylish packaging"),
    ("tangibles", "negative"): ("the bag came ripped", "the roast tasted old", "the site looks dated and messy",
                                "the kettle stopped working within a week"),
    ("reliability", "positive"): ("orders always arrive as promised", "not a single mistake in two years",
                                  "the monthly box comes like clockwork", "everything is always correct"),
    ("reliability", "negative"): ("wrong coffee in my box again", "an item was missing from the parcel",
                                  "the delivery date was not kept", "they charged my card twice"),
    ("responsiveness", "positive"): ("the chat helped me in no time", "my email was answered within the hour",
                                     "the return was handled the same afternoon", "very quick to respond"),
    ("responsiveness", "negative"): ("I waited ages for a reply", "nobody called me back",
                                     "the refund took weeks", "hours on hold before anyone answered"),
    ("assurance", "positive"): ("the team knows coffee inside out", "I feel safe paying on your site",
                                "really competent advice", "courteous and professional staff"),
    ("assurance", "negative"): ("every agent says something else", "support did not know their own products",
                                "I do not trust the invoices any more", "nobody could explain the fee"),
    ("empathy", "positive"): ("they remembered what I like", "they really listen to me",
                              "a handwritten thank-you card in the box", "kind and patient people"),
    ("empathy", "negative"): ("the person on the phone was rude", "they do not care about regulars like me",
                              "I was treated like a ticket number", "not even an apology"),
}
OPENERS = ("", "Honestly, ", "Well, ", "To be fair ", "Sadly ", "As always ")
CLOSERS = ("", ".", "!", ", thanks.", " - keep it up.", ", please fix this.")
#: the recorded complaint cause -> (dimension, bone) and the descriptions customers give
CAUSE_TRUTH: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "courier delay": ("reliability", "partners", ("the parcel turned up four days late",
                                                 "the courier missed the promised date")),
    "parcel damaged": ("tangibles", "partners", ("the box arrived crushed", "the parcel was soaked and torn")),
    "wrong address label": ("reliability", "partners", ("the label had a wrong street on it",
                                                       "my parcel was sent to another town")),
    "stale beans": ("tangibles", "product", ("the beans were old and tasteless", "the coffee smelled musty")),
    "defective device": ("tangibles", "product", ("the grinder stopped working", "the machine leaks water")),
    "wrong grind": ("tangibles", "product", ("the grind is far too fine for my press",
                                            "beans ground although I ordered whole")),
    "wrong item picked": ("reliability", "process", ("I received a different blend than ordered",
                                                    "wrong product in the box")),
    "item missing": ("reliability", "process", ("one bag was missing from the order",
                                               "the filters I paid for were not in the box")),
    "order cancelled by mistake": ("reliability", "process", ("my order was cancelled and I never asked",
                                                             "the shop cancelled my subscription by error")),
    "charged twice": ("reliability", "process", ("I was charged twice for one order",
                                                "two payments taken for the same parcel")),
    "voucher not applied": ("reliability", "process", ("the voucher was not deducted",
                                                      "my promo code did not work at checkout")),
    "refund late": ("responsiveness", "process", ("still no refund after three weeks",
                                                 "the money for my return has not come back")),
    "unfriendly agent": ("empathy", "people", ("the agent was rude and impatient",
                                              "the lady on the phone was unfriendly")),
    "no callback": ("responsiveness", "people", ("they promised a call back and never rang",
                                                "nobody got back to me")),
    "conflicting answers": ("assurance", "people", ("two agents told me opposite things",
                                                   "support kept contradicting itself")),
    "checkout error": ("tangibles", "systems", ("the checkout page threw an error",
                                               "the payment page crashed")),
    "stock shown wrongly": ("reliability", "systems", ("the site showed it in stock but it was sold out",
                                                      "availability on the website was wrong")),
    "account locked": ("responsiveness", "systems", ("my account was locked for days",
                                                    "I could not log in and nobody unlocked it")),
}
#: relative chance a negative comment is about each dimension (larger planted gaps draw more)
NEGATIVE_DIM_P = np.array([0.10, 0.35, 0.30, 0.10, 0.15])
POSITIVE_DIM_P = np.array([0.25, 0.20, 0.15, 0.20, 0.20])
COMMENT_SHARE = 0.6
HEADER = ("source", "id", "text", "dimension", "sentiment", "cause")


def _comment_pool() -> tuple[list[str], list[tuple[str, str]], dict[tuple[str, str], np.ndarray]]:
    texts, labels, index = [""], [("", "")], {}
    for key, cores in COMMENT_CORES.items():
        start = len(texts)
        for core in cores:
            for opener in OPENERS:
                for closer in CLOSERS:
                    phrase = opener + core + closer
                    texts.append(phrase[0].upper() + phrase[1:])
                    labels.append(key)
        index[key] = np.arange(start, len(texts))
    return texts, labels, index


POOL, POOL_LABELS, POOL_INDEX = _comment_pool()


def plant_comments(rng: np.random.Generator, nps: dict) -> None:
    """Give NPS answers comments (``nps['comment']`` indexes :data:`POOL`, exported as the comment)."""
    n = len(nps["score"])
    score = nps["score"]
    positive = np.where(score >= 9, True, np.where(score <= 6, False, rng.random(n) < 0.5))
    dim = np.where(positive, rng.choice(5, n, p=POSITIVE_DIM_P), rng.choice(5, n, p=NEGATIVE_DIM_P))
    comment = np.zeros(n, dtype=np.int64)
    for d, name in enumerate(DIMENSIONS):
        for s, sentiment in ((True, "positive"), (False, "negative")):
            m = (dim == d) & (positive == s)
            choices = POOL_INDEX[(name, sentiment)]
            comment[m] = choices[rng.integers(0, len(choices), int(m.sum()))]
    comment[rng.random(n) >= COMMENT_SHARE] = 0
    nps["comment"] = comment
    nps["comment_pool"] = POOL


def plant_descriptions(rng: np.random.Generator, complaints: dict) -> None:
    """Give complaints a customer's description of their cause (``complaints['description']``, a list)."""
    causes = [c for cat in service.COMPLAINT_CAUSES for c in service.COMPLAINT_CAUSES[cat]]
    recorded = complaints["category"] * 3 + complaints["cause"]
    pick = rng.integers(0, 2, len(recorded))
    complaints["description"] = [CAUSE_TRUTH[causes[c]][2][p] for c, p in zip(recorded.tolist(), pick.tolist())]


class VerbatimTruth:
    """Collects each chunk's labelled verbatims and writes ``truth_verbatims.csv``."""

    def __init__(self, out: Path):
        self.path = Path(out) / "truth_verbatims.csv"
        self.file = self.path.open("w", newline="", encoding="utf-8")
        self.writer = csv.writer(self.file)
        self.writer.writerow(HEADER)

    def add(self, nps: dict, complaints: dict, orders) -> None:
        causes = [c for cat in service.COMPLAINT_CAUSES for c in service.COMPLAINT_CAUSES[cat]]
        for order, k in zip(orders.order_no[nps["order"]].tolist(), nps["comment"].tolist()):
            if k:
                dim, sentiment = POOL_LABELS[k]
                self.writer.writerow(("nps", f"NPS-{order:08d}", POOL[k], dim, sentiment, ""))
        recorded = (complaints["category"] * 3 + complaints["cause"]).tolist()
        for order, c, description in zip(orders.order_no[complaints["order"]].tolist(), recorded,
                                         complaints["description"]):
            dim, bone, _ = CAUSE_TRUTH[causes[c]]
            self.writer.writerow(("complaint", f"TCK-{order:08d}", description, dim, "negative", bone))

    def close(self) -> None:
        self.file.close()


#: Benchmarks the demo plants, per dimension: the competitor's score minus our latent perception
#: (5.9 + the planted SERVQUAL gap) in the first wave, and how much it moves a year. The industry norm is
#: published on a 1-10 scale (patron maps it onto 1-7).
LATENT_EXPECTATION = 5.9
BENCHMARKS: dict[str, dict] = {
    "Bean Bros": {"kind": "competitor", "scale_max": 7.0, "trend": 0.0,
                  "offset": {"tangibles": -0.4, "reliability": 0.9, "responsiveness": 0.6, "assurance": 0.0,
                             "empathy": -0.6}},
    "Roastery Direct": {"kind": "competitor", "scale_max": 7.0, "trend": 0.3,
                        "offset": {"tangibles": 0.2, "reliability": -0.2, "responsiveness": 0.5, "assurance": -0.5,
                                   "empathy": 0.1}},
    "Coffee retail norm": {"kind": "industry", "scale_max": 10.0, "trend": 0.0,
                           "offset": {"tangibles": 0.0, "reliability": 0.6, "responsiveness": 0.2,
                                      "assurance": 0.1, "empathy": 0.0}},
}
#: Management's estimate of what customers expect, minus their latent expectation (gap 1): managers
#: underrate how much speed and dependability matter.
MANAGEMENT_GAP1 = {"tangibles": 0.3, "reliability": -0.9, "responsiveness": -1.2, "assurance": 0.0, "empathy": -0.3}
WAVE_PERIODS = ("2023-07-01", "2024-07-01", "2025-07-01")  # service.SERVQUAL_WAVES_W from START
REFERENCES_FILE = "quality_references.csv"


def write_references(out: Path) -> dict:
    """Write the benchmark and management tables (``quality_references.csv``); returns their truth."""
    from patron.demo.params import SERVQUAL_GAPS

    rows = []
    for name, b in BENCHMARKS.items():
        for w, period in enumerate(WAVE_PERIODS):
            for dim in DIMENSIONS:
                s7 = min(max(LATENT_EXPECTATION + SERVQUAL_GAPS[dim] + b["offset"][dim] + b["trend"] * w, 1.0), 7.0)
                score = 1 + (s7 - 1) * (b["scale_max"] - 1) / 6
                rows.append((b["kind"], name, period, dim, "", f"{score:.2f}", f"{b['scale_max']:g}"))
    for dim in DIMENSIONS:
        rows.append(("management", "management team", WAVE_PERIODS[-1], dim, "",
                     f"{LATENT_EXPECTATION + MANAGEMENT_GAP1[dim]:.2f}", "7"))
    with (Path(out) / REFERENCES_FILE).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("kind", "name", "period", "dimension", "item", "score", "scale_max"))
        writer.writerows(rows)
    truth = {"benchmarks": BENCHMARKS, "management_gap1": MANAGEMENT_GAP1, "latent_expectation": LATENT_EXPECTATION,
             "notes": "benchmark offset = competitor score minus our latent perception (5.9 + planted gap) in "
                      "the 2023 wave, moving by trend a year; gap 1 = management's estimate minus the latent "
                      "expectation; verbatims are in truth_verbatims.csv"}
    (Path(out) / "truth_quality.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def import_references(store, out: Path) -> None:
    """Import the planted reference table, when the demo folder has one."""
    path = Path(out) / REFERENCES_FILE
    if path.is_file():
        from patron.ingest.references import parse_references, store_references

        rows = parse_references(path.read_text(encoding="utf-8"), where=path.name)
        with store.transaction():
            store_references(store, rows, "demo")
