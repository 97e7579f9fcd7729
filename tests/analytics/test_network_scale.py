"""igraph's measures (patron.analytics.network_scale) equal networkx's (patron.analytics.network) on known graphs."""

import networkx as nx
import numpy as np
import pytest

from patron.analytics import network, network_scale


@pytest.fixture
def karate():
    g = nx.karate_club_graph()
    a, b = np.array(list(g.edges())).T
    return g, network_scale.graph(g.number_of_nodes(), a, b)


def test_igraph_betweenness_and_degree_equal_networkx_on_the_karate_club(karate):
    g, ig = karate
    expected = nx.betweenness_centrality(g)
    got = network_scale.betweenness(ig)
    assert np.allclose(got, [expected[i] for i in range(34)])
    assert np.allclose(network_scale.degree_centrality(ig), [nx.degree_centrality(g)[i] for i in range(34)])
    # Sampled from 17 of 34 sources the estimate still names the two leaders (0 and 33) as the top bridges.
    sampled = network_scale.betweenness(ig, sources=17, seed=1)
    assert set(np.argsort(-sampled)[:3]) & {0, 33} and set(np.argsort(-got)[:2]) == {0, 33}


def test_igraph_assortativity_and_components_equal_networkx(karate):
    g, ig = karate
    club = {n: d["club"] for n, d in g.nodes(data=True)}
    nx.set_node_attributes(g, club, "club")
    groups = np.array([0 if club[i] == "Mr. Hi" else 1 for i in range(34)])
    assert network_scale.assortativity(ig, groups) == pytest.approx(network.assortativity(g, "club"), abs=1e-6)
    two = nx.disjoint_union(g, nx.path_graph(3))
    a, b = np.array(list(two.edges())).T
    comp = network_scale.components(network_scale.graph(37, a, b))
    assert sorted(np.bincount(comp).tolist()) == sorted(len(c) for c in nx.connected_components(two))
    assert (comp[:34] == 0).all() and len(set(comp[34:])) == 1


def test_igraph_louvain_finds_communities_as_good_as_networkx(karate):
    g, ig = karate
    found = network_scale.communities(ig)
    assert sum(len(c) for c in found) == 34
    ours = nx.community.modularity(g, [set(c.tolist()) for c in found])
    theirs = nx.community.modularity(g, network.communities(g))
    assert ours > 0.38 and abs(ours - theirs) < 0.03  # Louvain reaches about 0.42 on the karate club
    # The two clubs that split are mostly kept apart: few communities mix both sides.
    club = [g.nodes[i]["club"] for i in range(34)]
    pure = sum(len({club[i] for i in c}) == 1 for c in found)
    assert pure >= len(found) - 1


def test_referral_value_equals_networkx_on_a_referral_tree():
    rng = np.random.default_rng(3)
    n = 200
    referred = np.arange(1, n)
    referrer = np.array([int(rng.integers(0, r)) for r in referred])
    keep = rng.random(n - 1) < 0.7
    referrer, referred = referrer[keep], referred[keep]
    value = rng.gamma(2.0, 50.0, n)
    expected = network.referral_value(list(zip(referrer.tolist(), referred.tolist())),
                                      {i: float(value[i]) for i in range(n)})
    got = network_scale.referral_value(n, referrer, referred, value)
    assert expected
    for node, row in expected.items():
        assert got["direct"][node] == row["direct"] and got["reach"][node] == row["reach"]
        assert got["depth"][node] == row["depth"]
        assert got["referral_value"][node] == pytest.approx(row["referral_value"], abs=0.01)
        assert got["direct_value"][node] == pytest.approx(row["direct_value"], abs=0.01)
    assert sum(got["direct"] > 0) == len(expected)
    with pytest.raises(ValueError, match="more than one"):
        network_scale.referral_value(3, np.array([0, 1]), np.array([2, 2]), np.ones(3))


def test_large_graphs_go_through_igraph_and_recover_planted_groups():
    g = nx.planted_partition_graph(6, 1000, 0.01, 0.00005, seed=2)  # 6,000 nodes: above LARGE_GRAPH_NODES
    assert len(g) > network.LARGE_GRAPH_NODES
    found = network.communities(g)
    planted = [set(range(i * 1000, (i + 1) * 1000)) for i in range(6)]
    assert len(found) >= 6
    for group in planted:  # each planted group is mostly inside one found community
        assert max(len(group & c) for c in found) > 800
    central = network.centrality(g)
    assert len(central) == len(g) and all(0 <= v["betweenness"] <= 1 for v in central.values())
