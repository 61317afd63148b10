"""The linkage engine: from stores and their identifier links to clusters of one operator.

One engine serves both sources: ``graphaudit analyze`` feeds it from files, ``graphaudit cluster``
from Neo4j, and the same records give the same clusters. The stages, each a plain function:

1. :func:`~.graph.build_graph` numbers stores and identifiers;
2. :func:`~.signals.find_matches` finds keys that are one identifier written differently
   (typos in addresses, near-identical ID numbers whose holder names agree);
3. :func:`~.hubs.decide_links` decides which shared identifiers link and which are hubs;
4. :func:`~.hubs.components` takes connected components of the store-identifier graph;
5. :func:`~.clusters.assign_cluster_ids` names them, keeping ids from a previous run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..forking import worth_forking
from .clusters import assign_cluster_ids
from .graph import EvidenceGraph, build_graph, unique_pairs
from .hubs import HubOverrides, components, decide_links
from .signals import Match, find_matches

__all__ = ["Linkage", "link_stores"]


@dataclass
class Linkage:
    """Everything the engine decided, for outputs and explanations.

    ``cluster_id`` is aligned with ``graph.stores``; ``decisions`` has one row per identifier
    shared by two or more stores (after fuzzy merging); ``canonical`` maps every identifier to
    the one it was merged into.
    """

    graph: EvidenceGraph
    canonical: np.ndarray
    matches: list[Match]
    decisions: pd.DataFrame
    cluster_id: pd.Series
    changes: pd.DataFrame

    pair_store: np.ndarray
    pair_ident: np.ndarray

    def linking_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(store, canonical identifier) pairs of identifiers that link, deduplicated."""
        return self.pair_store, self.pair_ident


def link_stores(
    stores: pd.DataFrame,
    links: pd.DataFrame,
    overrides: HubOverrides | None = None,
    previous: pd.Series | None = None,
    stage: Callable[[str], None] | None = None,
    graph: EvidenceGraph | None = None,
) -> Linkage:
    """Cluster ``stores`` by the identifiers in ``links``.

    Parameters
    ----------
    stores : one row per store, with at least ``store_id``.
    links : one row per (store, identifier), with ``store_id, kind, key`` and, for ID
        documents, ``holder_name``.
    overrides : the investigator's hub decisions (``--hubs``).
    previous : store_id -> cluster_id of an earlier run, so clusters keep their ids.
    stage : called with the name of each stage as it starts (for progress on stderr).
    graph : :func:`~.graph.build_graph` of ``stores`` and ``links``, when the caller built it.

    Examples
    --------
    >>> stores = pd.DataFrame({"store_id": ["S1", "S2", "S3"]})
    >>> links = pd.DataFrame({"store_id": ["S1", "S2"], "kind": ["payment"] * 2,
    ...                       "key": ["6222", "6222"], "holder_name": ["", ""]})
    >>> result = link_stores(stores, links)
    >>> result.cluster_id[0] == result.cluster_id[1] != result.cluster_id[2]
    True
    """
    say = stage or (lambda name: None)
    if graph is None:
        say("building the evidence graph")
        graph = build_graph(stores, links)
    say("matching near-duplicate identifiers")
    matches = find_matches(graph, fork=worth_forking(len(links)))
    canonical = _canonical(graph.n_idents, [m for m in matches if m.accepted])
    say("deciding hubs")
    decisions = decide_links(graph, canonical, overrides)
    say("finding clusters")
    links = np.zeros(graph.n_idents, dtype=bool)
    links[decisions.loc[decisions["links"], "ident"].to_numpy()] = True
    ident = canonical[graph.link_ident]
    keep = links[ident]
    pair_ident, pair_store = unique_pairs(ident[keep], graph.link_store[keep], graph.n_stores)
    labels = components(graph.n_stores, graph.n_idents, pair_store, pair_ident)
    cluster_id, changes = assign_cluster_ids(graph.stores["store_id"], labels, previous)
    return Linkage(graph, canonical, matches, decisions, cluster_id, changes, pair_store,
                   pair_ident)


def _canonical(n_idents: int, accepted: list[Match]) -> np.ndarray:
    """Map each identifier to the smallest identifier of its group of accepted matches."""
    if not accepted:
        return np.arange(n_idents)
    a = np.array([m.a for m in accepted])
    b = np.array([m.b for m in accepted])
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_idents, n_idents))
    _, labels = connected_components(graph, directed=False)
    smallest = pd.Series(np.arange(n_idents)).groupby(labels).transform("min")
    return smallest.to_numpy()
