"""Precision, recall and F1 of a resolution against known true matches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class MatchQuality:
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def cluster_pairs(clusters: dict[str, str]) -> set[tuple[str, str]]:
    """Every pair of ids (smaller first, as text) put in the same cluster."""
    members = defaultdict(list)
    for record, cluster in clusters.items():
        members[cluster].append(str(record))
    pairs = set()
    for ids in members.values():
        ids.sort()
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                pairs.add((a, b))
    return pairs


def match_quality(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> MatchQuality:
    """Compare found pairs with true pairs (both as (smaller id, larger id) text tuples)."""
    found, truth = _canonical(found), _canonical(truth)
    return MatchQuality(true_pairs=len(truth), found_pairs=len(found), correct_pairs=len(found & truth))


def _canonical(pairs) -> set[tuple[str, str]]:
    return {tuple(sorted((str(a), str(b)))) for a, b in pairs}
