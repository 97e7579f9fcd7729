"""Network measures at scale with python-igraph (issue 15, Deliver 6): the heavy measures of
:mod:`patron.analytics.network` (communities, betweenness, connected components, assortativity, referral reach
and value) on graphs given as integer arrays, for a million parties and millions of links.

Why igraph and not rustworkx: both ship manylinux wheels on PyPI, but igraph's C core has Louvain
(``community_multilevel``), nominal assortativity and subset betweenness (from sampled sources), so every
heavy measure comes from one library; rustworkx has no community detection. networkx stays for breadth
(ego networks, layouts, small graphs); ``tests/analytics/test_network_scale.py`` checks that both give the same
answers on known graphs (Zachary's karate club).

Nodes are ``0 .. n-1``; callers map party ids to positions (``numpy.unique(..., return_inverse=True)``).
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np


def graph(n: int, a: np.ndarray, b: np.ndarray) -> ig.Graph:
    """An undirected simple graph of ``n`` nodes with an edge per pair ``(a[i], b[i])`` (loops and repeated
    pairs dropped, as :func:`patron.analytics.network.link_graph` does)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    pairs = np.unique(np.stack([lo, hi], axis=1), axis=0)
    return ig.Graph(n=n, edges=pairs, directed=False)


def communities(g: ig.Graph, seed: int = 7) -> list[np.ndarray]:
    """Louvain communities (igraph's multilevel modularity, seeded), largest first, isolated nodes left out."""
    random.seed(seed)
    ig.set_random_number_generator(random)
    membership = np.asarray(g.community_multilevel().membership)
    degree = np.asarray(g.degree())
    membership = membership[degree > 0]
    nodes = np.flatnonzero(degree > 0)
    order = np.argsort(membership, kind="stable")
    groups = np.split(nodes[order], np.flatnonzero(np.diff(membership[order])) + 1) if len(nodes) else []
    return sorted(groups, key=lambda c: (-len(c), int(c.min())))


def modularity(g: ig.Graph, membership: list[int]) -> float:
    return float(g.modularity(membership))


def betweenness(g: ig.Graph, sources: int | None = None, seed: int = 7) -> np.ndarray:
    """Normalised betweenness centrality; exact without ``sources``, else estimated from that many seeded sampled
    sources and scaled by n / sources (networkx's ``betweenness_centrality(k=...)`` estimator)."""
    n = g.vcount()
    if n < 3:
        return np.zeros(n)
    if sources is None or sources >= n:
        raw = np.asarray(g.betweenness(directed=False))
    else:
        picked = np.random.default_rng(seed).choice(n, sources, replace=False).tolist()
        # Pair counts from the sampled sources only: each unordered pair is seen once per end sampled.
        raw = np.asarray(g.betweenness(directed=False, sources=picked, targets=None)) * n / sources / 2
    return raw * 2 / ((n - 1) * (n - 2))


def degree_centrality(g: ig.Graph) -> np.ndarray:
    n = g.vcount()
    return np.asarray(g.degree(), float) / max(1, n - 1)


def components(g: ig.Graph) -> np.ndarray:
    """Component number of every node (largest component is 0)."""
    membership = np.asarray(g.connected_components().membership)
    sizes = np.bincount(membership)
    rank = np.empty_like(sizes)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
    return rank[membership]


def assortativity(g: ig.Graph, groups: np.ndarray) -> float | None:
    """Homophily: nominal assortativity of ``groups`` (one integer per node) over the edges; None if undefined."""
    if g.ecount() == 0:
        return None
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    value = g.assortativity_nominal(codes.tolist(), directed=False)
    return None if value is None or np.isnan(value) else round(float(value), 6)


def referral_value(n: int, referrer: np.ndarray, referred: np.ndarray, value: np.ndarray) -> dict[str, np.ndarray]:
    """Referral reach and customer referral value on a referral forest (each customer referred by at most one
    party): per node the direct referrals, reach (all descendants), depth of the chain below it, the value of
    those it brought directly and of those they brought (any depth). Vectorised: one pass up a topological order."""
    referrer, referred = np.asarray(referrer, np.int64), np.asarray(referred, np.int64)
    keep = referrer != referred
    referrer, referred = referrer[keep], referred[keep]
    if len(np.unique(referred)) != len(referred):
        raise ValueError("a customer is referred by more than one party: referral value needs a forest")
    tree = ig.Graph(n=n, edges=np.stack([referrer, referred], axis=1), directed=True)
    order = np.asarray(tree.topological_sorting(mode="out"))
    if len(order) != n:
        raise ValueError("the referrals form a cycle")
    parent = np.full(n, -1)
    parent[referred] = referrer
    value = np.asarray(value, float)
    direct = np.bincount(referrer, minlength=n)
    direct_value = np.bincount(referrer, weights=value[referred], minlength=n)
    reach = np.zeros(n, np.int64)
    total = np.zeros(n)  # value of all descendants
    depth = np.zeros(n, np.int64)
    up = order[parent[order] >= 0][::-1].tolist()  # referred customers, children before parents
    for v in up:
        p = parent[v]
        reach[p] += reach[v] + 1
        total[p] += total[v] + value[v]
        depth[p] = max(depth[p], depth[v] + 1)
    return {"direct": direct, "reach": reach, "depth": depth, "direct_value": direct_value,
            "indirect_value": total - direct_value, "referral_value": total}
