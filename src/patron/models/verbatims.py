"""Tagging verbatims (free-text comments, complaint descriptions) with a SERVQUAL dimension, a sentiment and
the fishbone bone of their cause.

The method is deliberately plain and runs offline: TF-IDF over words (1-2 grams) and character 3-5 grams,
then one logistic regression per label (scikit-learn), trained on labelled examples that ship with patron
(:mod:`patron.models.verbatim_examples`) or on a firm's own. Each tag carries its probability, so a reader
can see how sure the tagger is; nothing is downloaded at run time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from patron.errors import InvalidInput

LABELS = ("dimension", "sentiment", "cause")
NO_CAUSE = "none"
#: Texts whose tags a tagger remembers (about 400 bytes each): past it, it forgets all but the latest call's.
KNOWN_TEXTS = 100_000


@dataclass(frozen=True)
class Tag:
    dimension: str
    dimension_p: float
    sentiment: str
    sentiment_p: float
    cause: str
    cause_p: float

    def as_dict(self) -> dict:
        return {"dimension": self.dimension, "dimension_p": self.dimension_p, "sentiment": self.sentiment,
                "sentiment_p": self.sentiment_p, "cause": self.cause, "cause_p": self.cause_p}


def _pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
                          TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True))
    return make_pipeline(features, LogisticRegression(C=20.0, max_iter=2000))


class Tagger:
    """Three classifiers over one text representation, fitted on ``examples``: (text, dimension, sentiment, cause)."""

    def __init__(self, examples: Sequence[tuple[str, str, str, str]]):
        rows = [tuple(e) for e in examples]
        if len(rows) < 10:
            raise InvalidInput(f"The verbatim tagger needs at least 10 labelled examples, not {len(rows)}.")
        for n, row in enumerate(rows, 1):
            if len(row) != 4 or not str(row[0]).strip():
                raise InvalidInput(f"Labelled example {n} needs a text, a dimension, a sentiment and a cause "
                                   f"(the cause may be empty).")
        texts = [r[0] for r in rows]
        self.models = {}
        for k, label in enumerate(LABELS, 1):
            y = [r[k] or NO_CAUSE for r in rows]
            if len(set(y)) < 2:
                raise InvalidInput(f"The labelled examples all have the same {label}; the tagger needs two or more.")
            self.models[label] = _pipeline().fit(texts, y)
        self._known: dict[str, Tag] = {}

    def tag(self, texts: Iterable[str]) -> list[Tag]:
        """The tag of each text. A text tagged before is not classified again: its tag depends only on the
        text and the fitted models, so a report over a store's verbatims classifies only those it has not
        seen (each request classified every verbatim again: 25 s under load, issue 12)."""
        texts = [t or "" for t in texts]
        known = self._known
        found = {t: known[t] for t in dict.fromkeys(texts) if t in known}
        new = [t for t in dict.fromkeys(texts) if t not in found]
        fresh = dict(zip(new, self.classify(new)))
        if len(known) + len(fresh) <= KNOWN_TEXTS:
            known.update(fresh)
        else:  # more texts than it keeps: keep this call's (a report's), when they fit
            merged = {**found, **fresh}
            self._known = merged if len(merged) <= KNOWN_TEXTS else {}
        return [found[t] if t in found else fresh[t] for t in texts]

    def classify(self, texts: Sequence[str]) -> list[Tag]:
        """The tag of each text, computed by the models (:meth:`tag` remembers them)."""
        if not texts:
            return []
        out = {}
        for label, model in self.models.items():
            p = model.predict_proba(texts)
            best = p.argmax(axis=1)
            out[label] = ([sys.intern(str(c)) for c in model.classes_[best]], p[np.arange(len(texts)), best])
        return [Tag(out["dimension"][0][i], float(out["dimension"][1][i]), out["sentiment"][0][i],
                    float(out["sentiment"][1][i]), out["cause"][0][i], float(out["cause"][1][i]))
                for i in range(len(texts))]


@lru_cache(maxsize=1)
def default_tagger() -> Tagger:
    """The tagger trained on the shipped examples (fitted once per process, well under a second)."""
    from patron.models.verbatim_examples import EXAMPLES

    return Tagger(EXAMPLES)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The unweighted mean over the true classes of each class's F1."""
    if len(truth) != len(predicted) or not truth:
        raise InvalidInput("Macro-F1 needs as many predictions as true labels, and at least one.")
    truth_a, pred_a = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    scores = []
    for c in sorted(set(truth)):
        tp = float(np.sum((truth_a == c) & (pred_a == c)))
        fp = float(np.sum((truth_a != c) & (pred_a == c)))
        fn = float(np.sum((truth_a == c) & (pred_a != c)))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))
