"""Why stores are in one cluster: the identifiers that tie them, bridges, and chains.

An identifier is a *bridge* when removing it would split its cluster; the evidence says into
what (``12+3``: two parts of 12 and 3 stores). Bridges are where an investigator should look
first: one wrong link there merges two operators.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from . import Linkage

__all__ = ["address_texts", "cluster_evidence", "explain_link", "identifier_graph"]

#: above this many nodes a cluster's bridges are named without computing the split sizes
SPLIT_SIZE_LIMIT = 20_000


def identifier_graph(linkage: Linkage) -> nx.Graph:
    """The bipartite graph of stores and the identifiers that link them.

    Nodes are ints: store ``s`` is node ``s``, identifier ``i`` is node ``n_stores + i`` (ints
    hash and compare much faster than tagged tuples). Only linked stores and the identifiers
    that link them are in it: the others explain nothing.
    """
    stores, idents = linkage.linking_pairs()
    graph = nx.Graph()
    graph.add_edges_from(zip(stores.tolist(), (idents + linkage.graph.n_stores).tolist(),
                             strict=True))
    return graph


def cluster_evidence(linkage: Linkage, graph: nx.Graph | None = None) -> pd.DataFrame:
    """One row per (cluster, linking identifier): kind, key, stores, bridge and split.

    Columns: ``cluster_id, ident, kind, key, store_count, store_ids, status, bridge,
    splits_into, spellings``.
    """
    graph = graph if graph is not None else identifier_graph(linkage)
    store_ids = linkage.graph.stores["store_id"].to_numpy(dtype=object)
    cluster_of = linkage.cluster_id.to_numpy()
    stores, idents = linkage.linking_pairs()
    if len(idents) == 0:
        return _empty_evidence()
    # The pairs come sorted by (identifier, store), and stores are numbered in store_id order.
    starts = np.r_[0, np.nonzero(np.diff(idents))[0] + 1]
    members = np.split(stores, starts[1:])
    unique = idents[starts]
    decisions = linkage.decisions.set_index("ident").loc[unique]
    spellings = np.bincount(linkage.canonical, minlength=linkage.graph.n_idents)
    bridges = _bridges(graph, linkage.graph.n_stores)
    evidence = pd.DataFrame({
        "cluster_id": cluster_of[stores[starts]],
        "ident": unique,
        "kind": decisions["kind"].to_numpy(),
        "key": decisions["key"].to_numpy(),
        "store_count": [len(m) for m in members],
        "store_ids": [";".join(store_ids[m]) for m in members],
        "status": decisions["status"].to_numpy(),
        "bridge": [i in bridges for i in unique.tolist()],
        "splits_into": [bridges.get(i, "") for i in unique.tolist()],
        "spellings": spellings[unique],
    })
    return evidence.sort_values(["cluster_id", "bridge", "store_count", "kind", "key"],
                                ascending=[True, False, False, True, True], ignore_index=True)


def _empty_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=["cluster_id", "ident", "kind", "key", "store_count", "store_ids",
                                 "status", "bridge", "splits_into", "spellings"])


def _bridges(graph: nx.Graph, n_stores: int) -> dict[int, str]:
    """Identifiers whose removal splits their cluster, with the sizes of the parts."""
    bridges: dict[int, str] = {}
    points = [node for node in nx.articulation_points(graph) if node >= n_stores]
    component_of: dict = {}
    for node in points:
        component = component_of.get(node)
        if component is None:
            component = nx.node_connected_component(graph, node)
            for member in component:
                if member >= n_stores:
                    component_of[member] = component
        if len(component) > SPLIT_SIZE_LIMIT:
            bridges[node - n_stores] = "splits the cluster"
            continue
        sub = graph.subgraph(component - {node})
        sizes = sorted(
            (sum(1 for n in part if n < n_stores) for part in nx.connected_components(sub)),
            reverse=True,
        )
        bridges[node - n_stores] = "+".join(str(s) for s in sizes if s)
    return bridges


def explain_link(linkage: Linkage, graph: nx.Graph, a: str, b: str | None = None) -> dict:
    """The chain of shared identifiers between stores ``a`` and ``b`` (or a's cluster).

    Returns ``{"cluster_id", "path": [store_id, (kind, key), store_id, ...]}``; ``path`` is
    empty when the stores are not linked. Raises KeyError for an unknown store id.
    """
    index = pd.Index(linkage.graph.stores["store_id"])
    ia = index.get_loc(a)
    cluster = linkage.cluster_id.iloc[ia]
    if b is None:
        return {"cluster_id": cluster, "path": []}
    ib = index.get_loc(b)
    try:
        nodes = nx.shortest_path(graph, ia, ib)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return {"cluster_id": cluster, "path": []}
    idents = linkage.graph.idents
    n_stores = linkage.graph.n_stores
    path = []
    for node in nodes:
        if node >= n_stores:
            path.append((idents.at[node - n_stores, "kind"], idents.at[node - n_stores, "key"]))
        else:
            path.append(linkage.graph.stores.at[node, "store_id"])
    return {"cluster_id": cluster, "path": path}


def address_texts(linkage: Linkage) -> dict[int, str]:
    """The first written form of every (canonical) address identifier, for display."""
    links = linkage.graph.links
    rows = np.nonzero((links["kind"] == "address").to_numpy())[0]
    if not len(rows):
        return {}
    idents = linkage.canonical[linkage.graph.link_ident[rows]]
    first = pd.Series(links["raw"].to_numpy()[rows]).groupby(idents).first()
    return {int(i): str(t) for i, t in first.items()}
