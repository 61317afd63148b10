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


def identifier_graph(linkage: Linkage, keep: np.ndarray | None = None) -> nx.Graph:
    """The bipartite graph of stores and the identifiers that link them.

    Nodes are ints: store ``s`` is node ``s``, identifier ``i`` is node ``n_stores + i`` (ints
    hash and compare much faster than tagged tuples). Only linked stores and the identifiers
    that link them are in it: the others explain nothing. ``keep`` (a mask over
    :meth:`Linkage.linking_pairs`) restricts it to some of the links, e.g. one cluster's.
    """
    stores, idents = linkage.linking_pairs()
    if keep is not None:
        stores, idents = stores[keep], idents[keep]
    graph = nx.Graph()
    graph.add_edges_from(zip(stores.tolist(), (idents + linkage.graph.n_stores).tolist(),
                             strict=True))
    return graph


def cluster_evidence(linkage: Linkage) -> pd.DataFrame:
    """One row per (cluster, linking identifier): kind, key, stores, bridge and split.

    Columns: ``cluster_id, ident, kind, key, store_count, store_ids, status, bridge,
    splits_into, spellings``.
    """
    stores, idents = linkage.linking_pairs()
    if len(idents) == 0:
        return _empty_evidence()
    # The pairs come sorted by (identifier, store), and stores are numbered in store_id order.
    starts = np.r_[0, np.nonzero(np.diff(idents))[0] + 1]
    ends = np.r_[starts[1:], len(idents)]
    unique = idents[starts]
    decisions = linkage.decisions.set_index("ident").loc[unique]
    spellings = np.bincount(linkage.canonical, minlength=linkage.graph.n_idents)
    store_ids = linkage.graph.stores["store_id"].to_numpy(dtype=object)[stores].tolist()
    splits = _bridges(linkage, starts)
    evidence = pd.DataFrame({
        "cluster_id": linkage.cluster_id.to_numpy()[stores[starts]],
        "ident": unique,
        "kind": decisions["kind"].to_numpy(),
        "key": decisions["key"].to_numpy(),
        "store_count": ends - starts,
        "store_ids": [";".join(store_ids[a:b])
                      for a, b in zip(starts.tolist(), ends.tolist(), strict=True)],
        "status": decisions["status"].to_numpy(),
        "bridge": splits != "",
        "splits_into": splits,
        "spellings": spellings[unique],
    })
    return evidence.sort_values(["cluster_id", "bridge", "store_count", "kind", "key"],
                                ascending=[True, False, False, True, True], ignore_index=True)


def _empty_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=["cluster_id", "ident", "kind", "key", "store_count", "store_ids",
                                 "status", "bridge", "splits_into", "spellings"])


def _bridges(linkage: Linkage, starts: np.ndarray) -> np.ndarray:
    """For each linking identifier (one per entry of ``starts``), how removing it splits its
    cluster (``"4+1"``), or "" when it is no bridge.

    Most clusters need no graph search: the one identifier of a cluster is a bridge into single
    stores, and in a cluster of two stores every identifier links both. Only the other clusters
    go through NetworkX's articulation points.
    """
    stores, idents = linkage.linking_pairs()
    codes, _ = pd.factorize(linkage.cluster_id.to_numpy())
    pair_cluster = codes[stores]
    ident_cluster = pair_cluster[starts]
    idents_per_cluster = np.bincount(ident_cluster, minlength=codes.max() + 1)
    stores_per_cluster = np.bincount(codes)
    counts = np.diff(np.r_[starts, len(idents)])
    splits = np.full(len(starts), "", dtype=object)
    lone = idents_per_cluster[ident_cluster] == 1
    splits[lone] = ["+".join(["1"] * n) if n < SPLIT_SIZE_LIMIT else "splits the cluster"
                    for n in counts[lone].tolist()]
    searched = (idents_per_cluster >= 2) & (stores_per_cluster >= 3)
    keep = searched[pair_cluster]
    if keep.any():
        found = _articulation_splits(identifier_graph(linkage, keep), linkage.graph.n_stores)
        position = np.searchsorted(idents[starts], np.fromiter(found, np.int64, len(found)))
        splits[position] = list(found.values())
    return splits


def _articulation_splits(graph: nx.Graph, n_stores: int) -> dict[int, str]:
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


def explain_link(linkage: Linkage, a: str, b: str | None = None) -> dict:
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
    stores, _ = linkage.linking_pairs()
    same_cluster = linkage.cluster_id.to_numpy()[stores] == cluster
    graph = identifier_graph(linkage, same_cluster)
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
