"""NPS, CSAT and CES against hand-computed examples, through the service and the API's rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from patron.areas.feedback.service import record_feedback
from patron.areas.quality.service import feedback_report, servqual_report
from patron.errors import InvalidInput
from patron.models.quality import nps, scale_score, servqual_gaps
from patron.service.permissions import User

CLERK = User(1, "sam", "service")


def _party(store, party_id):
    store.raw.execute("INSERT INTO parties (party_id, kind, category, created_at) VALUES (?, 'person', 'customer', "
                      "'2024-01-01')", [party_id])


def _answer(store, n, party_id, at, instrument, score, scale_max=None):
    store.raw.execute("INSERT INTO feedback (feedback_id, source, external_id, party_id, occurred_at, instrument, "
                      "score, scale_max) VALUES (?, 't', ?, ?, ?, ?, ?, ?)",
                      [n, f"f{n}", party_id, at, instrument, score, scale_max])


def test_nps_by_hand():
    # 10 answers: promoters 9, 10, 10, 9 (4); passives 7, 8 (2); detractors 0, 5, 6, 3 (4)
    r = nps([9, 10, 10, 9, 7, 8, 0, 5, 6, 3])
    assert (r["promoters"], r["passives"], r["detractors"]) == (0.4, 0.2, 0.4)
    assert r["nps"].value == 0.0
    # var of +1/0/-1 with p = 0.4, 0.4: 0.8 - 0 = 0.8; se = 100 * sqrt(0.8 / 10)
    assert r["nps"].se == pytest.approx(100 * math.sqrt(0.08))
    assert r["nps"].low == pytest.approx(-1.959964 * 100 * math.sqrt(0.08), rel=1e-6)
    r = nps([10, 10, 10, 9, 8, 2])  # pP = 4/6, pD = 1/6: NPS 50, var = 5/6 - 1/4 = 7/12
    assert r["nps"].value == pytest.approx(50.0)
    assert r["nps"].se == pytest.approx(100 * math.sqrt(7 / 12 / 6))
    with pytest.raises(InvalidInput):
        nps([11])


def test_csat_on_its_declared_scale():
    r = scale_score([5, 4, 3, 5, 1], 5)
    assert r["mean"].value == pytest.approx(3.6)
    assert r["mean"].se == pytest.approx(np.std([5, 4, 3, 5, 1], ddof=1) / math.sqrt(5))
    assert r["top_two_box"].value == pytest.approx(0.6)  # 4s and 5s
    assert r["top_two_box"].se == pytest.approx(math.sqrt(0.6 * 0.4 / 5))
    with pytest.raises(InvalidInput, match="scale"):
        scale_score([3], None)
    with pytest.raises(InvalidInput, match="outside"):
        scale_score([6], 5)


def test_report_trends_breakdowns_and_refusals(store):
    _party(store, 1)
    answers = [("2024-01-01", 10), ("2024-01-02", 9), ("2024-01-03", 3), ("2024-02-05", 8), ("2024-02-06", 2)]
    for n, (at, s) in enumerate(answers, start=1):
        _answer(store, n, 1, at, "nps", s, 10)
    _answer(store, 20, 1, "2024-01-01", "nps", 4, 5)  # not a genuine NPS question: left out
    _answer(store, 21, 1, "2024-01-01", "csat", 4, 5)
    _answer(store, 22, 1, "2024-01-01", "csat", 2, 5)
    _answer(store, 23, 1, "2024-01-01", "csat", 3, None)  # no scale: left out, not guessed
    _answer(store, 24, 1, "2024-01-01", "ces", 6, 7)
    r = feedback_report(store, CLERK, "nps", period="month")
    assert r["left_out"] == {"not on the 0-10 scale": 1}
    (entry,) = r["scales"]
    assert entry["overall"]["score"]["value"] == pytest.approx(100 * (2 - 2) / 5)
    jan, feb = entry["trend"]
    assert jan["score"]["value"] == pytest.approx(100 * (2 - 1) / 3)  # 10, 9, 3
    assert feb["score"]["value"] == pytest.approx(-50.0)  # 8, 2
    r = feedback_report(store, CLERK, "csat")
    assert r["left_out"] == {"no declared scale": 1}
    assert r["scales"][0]["overall"]["score"]["value"] == pytest.approx(3.0)
    assert r["scales"][0]["overall"]["top_two_box"]["value"] == pytest.approx(0.5)
    assert feedback_report(store, CLERK, "ces")["scales"][0]["scale_max"] == 7
    with pytest.raises(InvalidInput, match="analysis run"):
        feedback_report(store, CLERK, "nps", by="rung")


def test_recording_feedback_checks_scales_and_servqual(store):
    _party(store, 1)
    with pytest.raises(InvalidInput, match="needs its scale"):
        record_feedback(store, CLERK, 1, instrument="csat", score=4)
    with pytest.raises(InvalidInput, match="0-10"):
        record_feedback(store, CLERK, 1, instrument="nps", score=4, scale_max=5)
    with pytest.raises(InvalidInput, match="dimension, expectation and perception"):
        record_feedback(store, CLERK, 1, instrument="servqual", item="REL1", expectation=6)
    with pytest.raises(InvalidInput, match="belong to SERVQUAL"):
        record_feedback(store, CLERK, 1, instrument="csat", score=4, scale_max=5, perception=3)
    r = record_feedback(store, CLERK, 1, instrument="servqual", item="REL1", dimension="reliability",
                        expectation=7, perception=5)
    assert (r["dimension"], r["expectation"], r["perception"], r["scale_max"]) == ("reliability", 7, 5, 7)
    assert store.records("SELECT dimension, expectation, perception FROM feedback") == [
        {"dimension": "reliability", "expectation": 7.0, "perception": 5.0}]
    rep = servqual_report(store, CLERK, n_boot=50)
    rel = next(d for d in rep["dimensions"] if d["dimension"] == "reliability")
    assert rel["gap"] == -2.0 and rep["items"][0]["code"] == "REL1"


def test_servqual_gaps_by_hand():
    # two respondents, dimensions A (items 0, 1) and B (item 2)
    resp = [0, 0, 0, 1, 1, 1]
    item = [0, 1, 2, 0, 1, 2]
    gap = [-1, -3, 0, 1, -1, -2]
    r = servqual_gaps(resp, item, gap, [0, 0, 1], ("a", "b"), weights=[3, 1], n_boot=200)
    assert [i["gap"] for i in r["items"]] == [0.0, -2.0, -1.0]
    # respondent 0: A = -2, B = 0; respondent 1: A = 0, B = -2
    assert [d["gap"] for d in r["dimensions"]] == [-1.0, -1.0]
    assert r["overall"]["gap"] == -1.0
    # weighted: 0.75 A + 0.25 B: respondent 0 -1.5, respondent 1 -0.5
    assert r["weighted"]["gap"] == pytest.approx(-1.0)
    assert r["overall"]["low"] <= -1.0 <= r["overall"]["high"]
    r = servqual_gaps([0, 1], [0, 0], [-1.0, -3.0], [0], ("a",), n_boot=300)
    assert r["dimensions"][0]["low"] == pytest.approx(-3.0) and r["dimensions"][0]["high"] == pytest.approx(-1.0)
