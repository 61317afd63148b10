"""Why stores are in one cluster: the identifiers that tie them, bridges, and chains.

An identifier is a *bridge* when removing it would split its cluster; the evidence says into
what (``12+3``: two parts of 12 and 3 stores). Bridges are where an investigator should look
first: one wrong link there merges two operators.
"""

from __future__ import annotations

import itertools

import igraph
import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix

from . import Linkage
from .graph import subtree_weights, unique_pairs

__all__ = ["address_texts", "bridge_splits", "cluster_evidence", "explain_link",
           "identifier_graph"]


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


def cluster_evidence(linkage: Linkage, splits: dict[int, str] | None = None) -> pd.DataFrame:
    """One row per (cluster, linking identifier): kind, key, stores, bridge and split.

    Columns: ``cluster_id, ident, kind, key, store_count, store_ids, status, bridge,
    splits_into, merged_keys``. ``splits`` is :func:`bridge_splits` of ``linkage``, when the
    caller had it computed meanwhile.
    """
    stores, idents = linkage.linking_pairs()
    if len(idents) == 0:
        return _empty_evidence()
    # The pairs come sorted by (identifier, store), and stores are numbered in store_id order.
    starts = np.r_[0, np.nonzero(np.diff(idents))[0] + 1]
    unique = idents[starts]
    count = np.diff(np.r_[starts, len(idents)])
    cluster = linkage.cluster_id.to_numpy()[stores[starts]]
    split = _aligned(bridge_splits(linkage) if splits is None else splits, unique)
    bridge = split != ""
    # Identifiers are numbered in (kind, key) order: their numbers sort as kind and key would.
    order = np.lexsort((unique, -count, ~bridge, pd.factorize(cluster, sort=True)[0]))
    decided = pd.Index(linkage.decisions["ident"]).get_indexer(unique[order])
    # Each identifier's stores, joined in Arrow: a million Python joins cost a second.
    ids = pa.array(linkage.graph.stores["store_id"], pa.large_string()).take(stores)
    if isinstance(ids, pa.ChunkedArray):  # an Arrow-backed column of a big input has chunks
        ids = ids.combine_chunks()
    store_ids = pa.ListArray.from_arrays(
        pa.array(np.r_[starts, len(stores)], pa.int64()), ids, type=pa.list_(pa.large_string()))
    # how many near-duplicate keys near matching merged into each value (1: none)
    merged_keys = np.bincount(linkage.canonical, minlength=linkage.graph.n_idents)
    return pd.DataFrame({
        "cluster_id": cluster[order],
        "ident": unique[order],
        "kind": linkage.decisions["kind"].array.take(decided),
        "key": linkage.decisions["key"].array.take(decided),
        "store_count": count[order],
        "store_ids": pc.binary_join(store_ids, pa.scalar(";", pa.large_string())).take(
            order).to_pandas(),
        "status": linkage.decisions["status"].array.take(decided),
        "bridge": bridge[order],
        "splits_into": split[order],
        "merged_keys": merged_keys[unique[order]],
        "weight": linkage.decisions["weight"].array.take(decided),
    })


def _empty_evidence() -> pd.DataFrame:
    return pd.DataFrame(columns=["cluster_id", "ident", "kind", "key", "store_count", "store_ids",
                                 "status", "bridge", "splits_into", "merged_keys", "weight"])


def bridge_splits(linkage: Linkage) -> dict[int, str]:
    """The linking identifiers that are bridges, each with how removing it splits its cluster
    (``"4+1"``)."""
    stores, idents = linkage.linking_pairs()
    n_stores = linkage.graph.n_stores
    found = articulation_splits(stores, idents + n_stores, n_stores)
    return {node - n_stores: split for node, split in found.items()}


def _aligned(splits: dict[int, str], idents: np.ndarray) -> np.ndarray:
    """``splits`` as an array over the sorted ``idents`` ("" for the identifiers not in it)."""
    aligned = np.full(len(idents), "", dtype=object)
    if splits:
        aligned[np.searchsorted(idents, np.fromiter(splits, np.int64))] = list(splits.values())
    return aligned


def articulation_splits(a: np.ndarray, b: np.ndarray, counted: int) -> dict[int, str]:
    """The cut vertices among ``b`` of the graph with edges ``a[k] - b[k]``, each with the sizes
    of the parts its removal leaves, counting only vertices below ``counted``.

    igraph finds the biconnected blocks in C; the parts come from the block-cut tree, where a
    cut vertex's parts are the subtrees under it plus, unless it is the root, the rest of its
    component. NetworkX's articulation points, in Python, are far slower (docs/benchmarks.md).

    >>> articulation_splits(np.array([0, 1, 1, 2, 2]), np.array([3, 3, 4, 4, 5]), 3)
    {3: '2+1', 4: '2+1'}
    """
    vertices, ends = np.unique(np.r_[a, b], return_inverse=True)
    source, target = ends[:len(a)], ends[len(a):]
    graph = igraph.Graph(n=len(vertices), edges=list(zip(source.tolist(), target.tolist(),
                                                         strict=True)))
    # The plain call gives each block as the edges of a spanning tree (the wrapper that gives
    # vertex lists costs more than the search itself).
    block_edges, cuts = igraph.GraphBase.biconnected_components(graph, True)
    cuts = np.array(sorted(cuts), dtype=np.int64)
    wanted = cuts[np.isin(vertices[cuts], b)]
    if not len(wanted):
        return {}
    lengths = np.fromiter(map(len, block_edges), np.int64, len(block_edges))
    edge = np.fromiter(itertools.chain.from_iterable(block_edges), np.int64, int(lengths.sum()))
    block = np.repeat(np.arange(len(block_edges)), lengths)
    block_of, member = unique_pairs(np.r_[block, block], np.r_[source[edge], target[edge]],
                                    len(vertices))
    n_blocks = len(block_edges)
    # The block-cut tree: block nodes 0..B-1, then one node per cut vertex.
    is_cut = np.zeros(len(vertices), dtype=bool)
    is_cut[cuts] = True
    node_of_cut = np.full(len(vertices), -1, dtype=np.int64)
    node_of_cut[cuts] = n_blocks + np.arange(len(cuts))
    counts = vertices < counted
    weight = np.r_[np.bincount(block_of, weights=counts[member] & ~is_cut[member],
                               minlength=n_blocks), counts[cuts]]
    on_cut = is_cut[member]
    tree = coo_matrix((np.ones(int(on_cut.sum())),
                       (block_of[on_cut], node_of_cut[member[on_cut]])),
                      shape=(len(weight), len(weight)))
    parent, below, total = subtree_weights(tree, weight)
    found = {}
    child_order = np.argsort(parent, kind="stable")
    sorted_parents = parent[child_order]
    for vertex in wanted.tolist():
        node = node_of_cut[vertex]
        lo, hi = np.searchsorted(sorted_parents, [node, node + 1])
        parts = below[child_order[lo:hi]].tolist()
        if parent[node] >= 0:
            parts.append(total[node] - below[node])
        parts = sorted((int(p) for p in parts if p), reverse=True)
        found[int(vertices[vertex])] = "+".join(map(str, parts))
    return found


def explain_link(linkage: Linkage, a: str, b: str | None = None) -> dict:
    """The chain of merges between stores ``a`` and ``b`` (or a's cluster).

    Returns ``{"cluster_id", "path": [store_id, edge, store_id, ...]}``, where each ``edge``
    numbers a merge of :func:`~.waterfall.merge_table` (its evidence and weights are in
    :func:`~.waterfall.link_items`); the chain runs through the strongest merges that hold the
    cluster together. ``path`` is empty when the stores are not linked. Raises KeyError for an
    unknown store id.
    """
    index = pd.Index(linkage.graph.stores["store_id"])
    ia = index.get_loc(a)
    cluster = linkage.cluster_id.iloc[ia]
    if b is None:
        return {"cluster_id": cluster, "path": []}
    ib = index.get_loc(b)
    if linkage.cluster_id.iloc[ib] != cluster or ia == ib:
        return {"cluster_id": cluster, "path": []}
    merges = linkage.resolution.merges
    in_cluster = linkage.cluster_id.to_numpy()[merges["a"].to_numpy(np.int64)] == cluster
    tree = merges[merges["tree"].to_numpy() & in_cluster]
    graph = nx.Graph()
    for edge, x, y in zip(tree.index.tolist(), tree["a"].tolist(), tree["b"].tolist(),
                          strict=True):
        graph.add_edge(x, y, edge=edge)
    try:
        nodes = nx.shortest_path(graph, ia, ib)
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return {"cluster_id": cluster, "path": []}
    ids = linkage.graph.stores["store_id"]
    path: list = [ids.iat[nodes[0]]]
    for x, y in itertools.pairwise(nodes):
        path += [graph.edges[x, y]["edge"], ids.iat[y]]
    return {"cluster_id": cluster, "path": path}


def address_texts(linkage: Linkage, idents: np.ndarray | None = None
                  ) -> tuple[np.ndarray, pa.Array]:
    """The first written form of (canonical) address identifiers, as sorted idents and texts.

    The first non-missing ``raw`` in link order, without a Python dict of every address;
    ``idents`` limits the work to those identifiers.
    """
    graph = linkage.graph
    links = graph.links
    address = (graph.idents["kind"] == "address").to_numpy()[graph.link_ident]
    written = links["raw"].notna().to_numpy()
    rows = np.flatnonzero(address & written)
    owner = linkage.canonical[graph.link_ident[rows]]
    if idents is not None:
        wanted = np.isin(owner, idents)
        rows, owner = rows[wanted], owner[wanted]
    unique, first = np.unique(owner, return_index=True)
    texts = pa.array(links["raw"]).take(pa.array(rows[first]))
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    return unique, texts.cast(pa.string())


def text_lookup(keys: np.ndarray, table: tuple[np.ndarray, pa.Array]) -> pa.Array:
    """``table``'s text for each of ``keys`` (a table of sorted idents and their texts, as
    :func:`address_texts` gives), empty where missing."""
    idents, texts = table
    if not len(idents):
        return pa.array([""] * len(keys), type=pa.string())
    at = np.minimum(np.searchsorted(idents, keys), len(idents) - 1)
    found = idents[at] == keys
    return pc.if_else(pa.array(found), texts.take(pa.array(at)), "")
