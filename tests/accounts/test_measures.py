"""Relationship measures against hand-computed examples, network measures against networkx on a known graph."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import pytest

from patron.analytics import network
from patron.analytics.relationships import (StageEvidence, StrengthWeights, account_strength, bensaou,
                                            contact_strength, matrix_cell, seniority, stage, trust)

AS_OF = dt.datetime(2024, 7, 1)


def test_strength_by_hand():
    contacts = [(AS_OF - dt.timedelta(days=90), "face_to_face", "outbound"),
                (AS_OF - dt.timedelta(days=120), "email", "inbound"),
                (AS_OF - dt.timedelta(days=150), "email", "outbound"),
                (AS_OF - dt.timedelta(days=400), "phone", "outbound")]  # older than a year: recency only
    s = contact_strength(contacts, AS_OF, senior=0.75)
    assert s["recency"] == pytest.approx(0.5)  # last contact one half-life ago
    assert s["frequency"] == pytest.approx(3 / 24)
    assert s["reciprocity"] == pytest.approx(2 * 1 / 3)
    assert s["depth"] == pytest.approx((1.0 + 0.3 + 0.3) / 3)
    expected = 100 * (0.30 * 0.5 + 0.25 * 3 / 24 + 0.15 * 2 / 3 + 0.15 * 1.6 / 3 + 0.15 * 0.75)
    assert s["score"] == pytest.approx(expected, abs=0.01)
    # Weights are configurable: recency alone gives 50.
    only = StrengthWeights(recency=1, frequency=0, reciprocity=0, depth=0, seniority=0)
    assert contact_strength(contacts, AS_OF, 0.75, only)["score"] == pytest.approx(50.0)
    with pytest.raises(ValueError):
        StrengthWeights(recency=-1)
    assert account_strength([90, 30]) == pytest.approx(40.0)  # a single thread cannot carry an account
    assert seniority("Managing Director") == 1.0 and seniority("Assistant") == 0.25
    assert seniority("Assistant", ("decider",)) == 0.75


def test_trust_equation_and_its_weakest_term():
    t = trust({"credibility": 8, "reliability": 7, "intimacy": 6, "self_orientation": 7})
    assert t["trust"] == pytest.approx(21 / 7)
    assert t["weakest"] == "self_orientation" and t["summary"] == "trust is held back by self-orientation"
    t = trust({"credibility": 9, "reliability": 3, "intimacy": 8, "self_orientation": 2})
    assert t["trust"] == pytest.approx(10.0) and t["weakest"] == "reliability"
    assert trust({"credibility": 9}) is None
    with pytest.raises(ValueError, match="intimacy must be rated from 1 to 10"):
        trust({"credibility": 8, "reliability": 7, "intimacy": 0, "self_orientation": 2})


@pytest.mark.parametrize(("evidence", "expected"), [
    (StageEvidence(None, 0, 1, 1, 0, 0), "pre_relationship"),
    (StageEvidence(100, 2, 2, 2, 900, 0), "early"),
    (StageEvidence(500, 3, 1, 2, 900, 800), "development"),
    (StageEvidence(1500, 6, 3, 4, 900, 800), "long_term"),
    (StageEvidence(1500, 6, 3, 4, 300, 800), "final"),
    (StageEvidence(800, 4, 0, 3, 0, 0), "final"),  # nothing bought for 360 days: run down, not "development"
    (StageEvidence(200, 4, 0, 3, 0, 0), "early"),  # under a year: too early to call it ended
])
def test_stage_rules(evidence, expected):
    s = stage(evidence)
    assert s["stage"] == expected and s["rule"] and len(s["evidence"]) == 4


def test_bensaou_quadrants_and_the_matrix():
    assert [bensaou(b, s) for b, s in ((1, 2), (4, 2), (2, 5), (4, 4))] == [
        "market_exchange", "captive_buyer", "captive_supplier", "strategic_partnership"]
    assert bensaou(None, 3) is None
    assert matrix_cell(80, 1000) == {"proximity": "close", "duration": "long_term", "nature": "intimate"}
    assert matrix_cell(0, 10)["nature"] == "no_contact"


def test_network_measures_equal_networkx_on_the_karate_club():
    karate = nx.karate_club_graph()
    g = network.link_graph([(a, b, "referred") for a, b in karate.edges],
                           {n: {"club": karate.nodes[n]["club"]} for n in karate.nodes})
    central = network.centrality(g)
    reference = nx.betweenness_centrality(karate)
    assert all(central[n]["betweenness"] == pytest.approx(reference[n], abs=1e-6) for n in karate)
    # The two most central members are the instructor (0) and the president (33), as Zachary found.
    assert sorted(central, key=lambda n: -central[n]["betweenness"])[:2] == [0, 33]
    assert network.assortativity(g, "club") == pytest.approx(
        nx.attribute_assortativity_coefficient(karate, "club"), abs=1e-6)
    assert network.assortativity(g, "club") > 0.6  # members befriend their own faction: homophily
    found = network.communities(g)
    assert sum(len(c) for c in found) == 34
    assert nx.community.modularity(karate, found) > 0.40
    svg = network.ego_svg(g, 0, {0: "Mr. Hi"})
    assert svg.startswith("<svg") and svg.count("<circle") == len(nx.ego_graph(karate, 0))


def test_referral_value_by_hand():
    # 1 brought 2 and 3; 2 brought 4; 4 brought 5.
    value = {1: 100.0, 2: 50.0, 3: 20.0, 4: 10.0, 5: 5.0}
    crv = network.referral_value([(1, 2), (1, 3), (2, 4), (4, 5)], value)
    assert crv[1] == {"direct": 2, "reach": 4, "depth": 3, "direct_value": 70.0, "indirect_value": 15.0,
                      "referral_value": 85.0}
    assert crv[2]["referral_value"] == 15.0 and 3 not in crv


def test_observed_trust_by_hand():
    from patron.analytics.relationships import observed_trust

    o = observed_trust(["met", "met", "met", "breached"],
                       [("outbound", "sales"), ("outbound", "sales"), ("outbound", "service"), ("inbound", None)])
    assert o["reliability"] == pytest.approx(1 + 9 * 3 / 4)
    # 3 of 4 contacts ours, 2 of our 3 from sales
    assert o["self_orientation"] == pytest.approx(round(1 + 9 * (3 / 4 + 2 / 3) / 2, 2))
    assert "3 of 4 complaints" in o["evidence"][0] and "75% of 4 contacts" in o["evidence"][1]
    none = observed_trust([], [])
    assert (none["reliability"], none["self_orientation"], none["evidence"]) == (None, None, [])
    assert observed_trust([], [("inbound", None)])["self_orientation"] == 1.0  # only they called: no pressure


def test_wilsons_five_stages_follow_the_rules_and_the_rules_are_configurable():
    from patron.analytics.relationships import StageEvidence, WilsonRules, wilson_stage

    def at(days, engaged=3, bonds=None):
        return wilson_stage(StageEvidence(days, 2, engaged, 4, 100.0, 100.0, None, bonds), {"trust": 4})

    assert [at(d)["stage"] for d in (None, 30, 200, 500, 1500)] == [
        "partner_selection", "defining_purpose", "setting_boundaries", "creating_value", "maintenance"]
    assert at(500, engaged=1)["stage"] == "setting_boundaries"  # a year on, but single-threaded and no bonds
    assert at(500, engaged=1, bonds=4)["stage"] == "creating_value"
    assert at(1500)["constructs"][1] == {"item": "trust", "label": "trust", "latest": 4}
    assert "200 days" in at(200)["rule"] and at(1500)["step"] == 5
    late = WilsonRules(purpose_days=60, boundaries_days=730, maintenance_days=2000)
    assert wilson_stage(StageEvidence(500, 2, 3, 4, 1.0, 1.0), rules=late)["stage"] == "setting_boundaries"
    with pytest.raises(ValueError, match="must rise"):
        WilsonRules(purpose_days=400)
