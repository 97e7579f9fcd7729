"""The demo's referral chains are homophilous (a referred customer shares the referrer's city, or is of their
age, 60% of the time each, see ``patron.demo.homophily``): the network's assortativity finds it, in the planted
direction and of about the planted size, while ties between strangers would give about 0."""

from __future__ import annotations

import json

import pytest

from companies import demo_company
from patron.areas.accounts import service


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("homophily")
    store = demo_company(folder, 3000, 6, analysed=False)
    yield store, json.loads((folder / "data" / "truth_homophily.json").read_text())
    store.close()


def test_homophily_by_city_and_age_band_is_found(demo):
    store, truth = demo
    assert truth["city_share"] == 0.6 and truth["followed_city"] > 100
    pairs = store.query("SELECT r.city, p.city, r.birth_date, p.birth_date FROM parties p "
                        "JOIN parties r ON r.party_id = p.referred_by")
    assert len(pairs) >= truth["referred"] * 0.9
    same_city = sum(1 for a, b, _, _ in pairs if a == b) / len(pairs)
    assert same_city >= truth["city_share"] - 0.05  # followed, or the same city by chance
    n = service.network_summary(store, service.OPERATOR)["assortativity"]
    # Categorical assortativity of ties copied with probability h is about h.
    assert 0.45 <= n["city"] <= 0.75, n
    assert 0.3 <= n["age_band"] <= 0.7, n  # 3 years either side crosses a decade now and then
    assert n["country"] > 0.3, n


def test_without_the_planted_share_the_same_measure_reads_about_zero(demo):
    """The check of the measure itself: the same referrals with each referred customer's city shuffled."""
    import random

    import networkx as nx

    from patron.analytics import network

    store, _ = demo
    pairs = store.query("SELECT p.referred_by, p.party_id FROM parties p WHERE p.referred_by IS NOT NULL")
    cities = dict(store.query("SELECT party_id, city FROM parties WHERE city IS NOT NULL"))
    shuffled = list(cities.values())
    random.Random(3).shuffle(shuffled)
    g = nx.Graph()
    for (pid, _), city in zip(cities.items(), shuffled):
        g.add_node(pid, city=city)
    g.add_edges_from((a, b) for a, b in pairs if a in g and b in g)
    assert abs(network.assortativity(g, "city")) < 0.1
