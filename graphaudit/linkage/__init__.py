"""The linkage engine: from stores and their identifier links to clusters of one operator.

One engine serves both sources: ``graphaudit analyze`` feeds it from files, ``graphaudit cluster``
from Neo4j, and the same records give the same clusters. The stages, each a plain function:

1. :func:`~.graph.build_graph` numbers stores and identifiers;
2. :func:`~.signals.find_matches` finds keys that are one identifier written differently
   (typos in addresses, near-identical ID numbers whose holder names agree);
3. :func:`~.levels.build_evidence` lists every store's values by comparison;
4. :func:`~.levels.resolve` learns the evidence weights (:mod:`.weights`) and merges groups of
   stores round by round on accumulated evidence, splits weak cuts and lists possible links;
5. :func:`~.hubs.decide_links` says of every shared identifier what it did (same operator,
   possible link, hub) and why;
6. :func:`~.clusters.assign_cluster_ids` names the clusters, keeping ids from a previous run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..parallel import Parallel
from .clusters import assign_cluster_ids
from .graph import EvidenceGraph, build_graph, unique_pairs
from .hubs import HubOverrides, decide_links, listed_idents
from .levels import Resolution, build_evidence, holder_name_values, resolve
from .signals import Match, find_matches
from .weights import LinkageParams

__all__ = ["Linkage", "LinkageParams", "link_stores"]


@dataclass
class Linkage:
    """Everything the engine decided, for outputs and explanations.

    ``cluster_id`` is aligned with ``graph.stores``; ``decisions`` has one row per identifier
    shared by two or more stores (after fuzzy merging); ``canonical`` maps every identifier to
    the one it was merged into. ``resolution`` holds the learned model, the merges with their
    evidence items and the possible links.
    """

    graph: EvidenceGraph
    canonical: np.ndarray
    matches: list[Match]
    decisions: pd.DataFrame
    cluster_id: pd.Series
    changes: pd.DataFrame

    pair_store: np.ndarray
    pair_ident: np.ndarray
    resolution: Resolution | None = None
    params: LinkageParams = field(default_factory=LinkageParams)

    def linking_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(store, canonical identifier) pairs of identifiers that tie stores within one
        cluster and no other cluster, deduplicated."""
        return self.pair_store, self.pair_ident


def link_stores(
    stores: pd.DataFrame,
    links: pd.DataFrame,
    overrides: HubOverrides | None = None,
    previous: pd.Series | None = None,
    stage: Callable[[str], None] | None = None,
    graph: EvidenceGraph | None = None,
    params: LinkageParams | None = None,
    parallel: Parallel | None = None,
) -> Linkage:
    """Cluster ``stores`` by the identifiers in ``links``.

    Parameters
    ----------
    stores : one row per store, with at least ``store_id`` (``brand_key`` is weighed too).
    links : one row per (store, identifier), with ``store_id, kind, key`` and, for ID
        documents, ``holder_name``.
    overrides : the investigator's hub decisions (``--hubs``).
    previous : store_id -> cluster_id of an earlier run, so clusters keep their ids.
    stage : called with the name of each stage as it starts (for progress on stderr).
    graph : :func:`~.graph.build_graph` of ``stores`` and ``links``, when the caller built it.
    params : the engine's settings (thresholds, candidate limits, EM); defaults when None.
    parallel : the budget of workers (:mod:`graphaudit.parallel`); one process when None.

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
    params = params or LinkageParams()
    overrides = overrides or HubOverrides()
    if graph is None:
        say("building the evidence graph")
        graph = build_graph(stores, links, parallel)
    # The holder names' values need only the graph: a forked child finds them (Python per
    # name, seconds at a million stores) while identifiers are matched, and the weighing waits
    # for them only when it reaches them.
    with (parallel or Parallel()).start(holder_name_values, graph,
                                        rows=len(graph.link_store)) as naming:
        say("matching near-duplicate identifiers")
        matches = find_matches(graph, parallel, rows=len(links))
        canonical = _canonical(graph.n_idents, [m for m in matches if m.accepted])
        say("weighing the evidence and merging groups")
        denied = listed_idents(graph.idents, overrides.deny)
        allowed = listed_idents(graph.idents, overrides.allow)
        evidence = build_evidence(graph, canonical, params, denied[canonical] if denied.any()
                                  else None, names=naming.result)
    start = _allowed_groups(graph, canonical, allowed) if allowed.any() else None
    resolution = resolve(evidence, graph.n_stores, params, start)
    say("deciding hubs")
    decisions = decide_links(graph, canonical, resolution, overrides, params)
    inside = np.zeros(graph.n_idents, dtype=bool)
    inside[decisions.loc[decisions["links"], "ident"].to_numpy()] = True
    ident = canonical[graph.link_ident]
    keep = inside[ident]
    pair_ident, pair_store = unique_pairs(ident[keep], graph.link_store[keep], graph.n_stores)
    cluster_id, changes = assign_cluster_ids(graph.stores["store_id"], resolution.labels,
                                             previous)
    return Linkage(graph, canonical, matches, decisions, cluster_id, changes, pair_store,
                   pair_ident, resolution, params)


def _allowed_groups(graph: EvidenceGraph, canonical: np.ndarray,
                    allowed: np.ndarray) -> np.ndarray:
    """Initial groups: stores tied by identifiers the investigator said always link."""
    ident = canonical[graph.link_ident]
    keep = allowed[ident]
    n = graph.n_stores + graph.n_idents
    edges = coo_matrix((np.ones(int(keep.sum()), dtype=np.int8),
                        (graph.link_store[keep], graph.n_stores + ident[keep])), shape=(n, n))
    _, labels = connected_components(edges, directed=False)
    labels = labels[:graph.n_stores]
    smallest = np.full(labels.max() + 1, graph.n_stores, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(graph.n_stores))
    return smallest[labels]


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
