"""The matching model on FEBRL 1 (1,000 records, 500 true pairs) reaches F1 >= 0.95."""

from __future__ import annotations

import pytest

from patron.errors import PatronError
from patron.resolve.febrl import febrl_records, load_febrl, true_pairs
from patron.resolve.model import score_pairs
from patron.resolve.quality import cluster_pairs, match_quality
from patron.service.resolve import ACCEPT_THRESHOLD


def test_febrl1_f1():
    try:
        data = load_febrl("febrl1")
    except PatronError as exc:
        pytest.skip(str(exc))
    records = febrl_records(data)
    linkage = score_pairs(records)
    quality = match_quality(cluster_pairs(linkage.clusters(ACCEPT_THRESHOLD)),
                            true_pairs(records["unique_id"], data["entity"]))
    assert quality.true_pairs == 500
    assert quality.precision >= 0.98 and quality.f1 >= 0.95, quality
