"""Network measures over the firm's own records (issue 15; seed 000: social networks, homophily), with
networkx: chosen for breadth (referral trees, communities, centrality, assortativity, ego networks in one
well-kept library). Above :data:`LARGE_GRAPH_NODES` nodes communities and centrality run in igraph
(:mod:`patron.analytics.network_scale`), which reaches a million parties.

The graphs are built from rows the service reads: links ``(party, other party, link type)`` and
referrals ``(referrer, referred)``.
"""

from __future__ import annotations

import html
import math

import networkx as nx
import numpy as np

from patron.analytics import network_scale


def link_graph(links: list[tuple[int, int, str]], attributes: dict[int, dict] | None = None) -> nx.Graph:
    """An undirected graph of parties, an edge per linked pair (its link types as ``types``)."""
    g = nx.Graph()
    for node, attrs in (attributes or {}).items():
        g.add_node(node, **attrs)
    for a, b, kind in links:
        if a == b:
            continue
        if g.has_edge(a, b):
            g.edges[a, b]["types"].add(kind)
        else:
            g.add_edge(a, b, types={kind})
    return g


def referral_value(referrals: list[tuple[int, int]], value: dict[int, float]) -> dict[int, dict]:
    """Per referrer: customers brought in directly and through them (reach), the chain's depth, and the
    customer referral value: the value of the customers they brought (direct) and of those those brought
    (indirect, any depth)."""
    tree = nx.DiGraph()
    tree.add_edges_from((a, b) for a, b in referrals if a != b)
    out = {}
    for node in tree.nodes:
        direct = list(tree.successors(node))
        if not direct:
            continue
        reach = nx.descendants(tree, node)
        depth = max(nx.single_source_shortest_path_length(tree, node).values())
        direct_value = sum(value.get(d, 0.0) for d in direct)
        indirect_value = sum(value.get(d, 0.0) for d in reach - set(direct))
        out[node] = {"direct": len(direct), "reach": len(reach), "depth": depth,
                     "direct_value": round(direct_value, 2), "indirect_value": round(indirect_value, 2),
                     "referral_value": round(direct_value + indirect_value, 2)}
    return out


#: Above this many nodes the heavy measures run in igraph's C core (:mod:`patron.analytics.network_scale`).
LARGE_GRAPH_NODES = 5_000


def _to_igraph(g: nx.Graph):
    nodes = np.array(list(g.nodes))
    index = {n: i for i, n in enumerate(nodes.tolist())}
    pairs = np.array([(index[a], index[b]) for a, b in g.edges], np.int64).reshape(-1, 2)
    return nodes, network_scale.graph(len(nodes), pairs[:, 0], pairs[:, 1])


def communities(g: nx.Graph, seed: int = 7) -> list[set[int]]:
    """Communities by Louvain modularity (seeded, so the same graph gives the same answer), largest first."""
    if g.number_of_edges() == 0:
        return []
    if len(g) > LARGE_GRAPH_NODES:
        nodes, big = _to_igraph(g)
        return [set(nodes[c].tolist()) for c in network_scale.communities(big, seed=seed)]
    found = nx.community.louvain_communities(g, seed=seed)
    return sorted((set(c) for c in found), key=lambda c: (-len(c), min(c)))


#: Above this many nodes betweenness is estimated from this many sampled sources (exact is O(nodes × edges)).
EXACT_BETWEENNESS_NODES = 300


def centrality(g: nx.Graph, seed: int = 7) -> dict[int, dict]:
    """Degree and betweenness centrality (normalised) of every node: a high betweenness is a bridging contact.
    Exact up to :data:`EXACT_BETWEENNESS_NODES` nodes, estimated from that many seeded sources above."""
    if len(g) > LARGE_GRAPH_NODES:
        nodes, big = _to_igraph(g)
        between = network_scale.betweenness(big, sources=EXACT_BETWEENNESS_NODES, seed=seed)
        degree = network_scale.degree_centrality(big)
        return {int(n): {"degree": round(float(d), 6), "betweenness": round(float(b), 6)}
                for n, d, b in zip(nodes.tolist(), degree, between)}
    k = None if len(g) <= EXACT_BETWEENNESS_NODES else EXACT_BETWEENNESS_NODES
    between = nx.betweenness_centrality(g, k=k, seed=seed)
    degree = nx.degree_centrality(g)
    return {n: {"degree": round(degree[n], 6), "betweenness": round(between[n], 6)} for n in g.nodes}


def assortativity(g: nx.Graph, attribute: str) -> float | None:
    """Homophily: the attribute assortativity coefficient of ``attribute`` over the graph's edges (None when
    undefined: no edges, or every node alike)."""
    nodes = [n for n, v in g.nodes(data=attribute) if v is not None]
    sub = g.subgraph(nodes)
    if sub.number_of_edges() == 0:
        return None
    with np.errstate(invalid="ignore", divide="ignore"):  # every tie within one group: 0/0, undefined
        value = nx.attribute_assortativity_coefficient(sub, attribute)
    return None if value is None or math.isnan(value) else round(float(value), 6)


def ego_svg(g: nx.Graph, centre: int, labels: dict[int, str], radius: int = 1, size: int = 420) -> str:
    """The ego network of ``centre`` as an SVG picture (drawn on the server: a seeded spring layout)."""
    if centre not in g:
        ego = nx.Graph()
        ego.add_node(centre)
    else:
        ego = nx.ego_graph(g, centre, radius=radius)
    pos = nx.spring_layout(ego, seed=3, center=(0, 0)) if len(ego) > 1 else {centre: (0.0, 0.0)}
    pad = 60

    def xy(n):
        x, y = pos[n]
        return pad + (x + 1) / 2 * (size - 2 * pad), pad + (y + 1) / 2 * (size - 2 * pad)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
             f'height="{size}" role="img" aria-label="ego network of {html.escape(labels.get(centre, str(centre)))}">']
    for a, b, data in ego.edges(data=True):
        (x1, y1), (x2, y2) = xy(a), xy(b)
        kinds = ", ".join(sorted(data.get("types", ())))
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#889" '
                     f'stroke-width="1.5"><title>{html.escape(kinds)}</title></line>')
    for n in ego.nodes:
        x, y = xy(n)
        fill = "#c0392b" if n == centre else "#2e6da4"
        label = html.escape(labels.get(n, str(n)))
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{9 if n == centre else 6}" fill="{fill}"/>'
                     f'<text x="{x + 9:.1f}" y="{y - 8:.1f}" font-size="11">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)
