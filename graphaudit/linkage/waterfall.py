"""Every merge and possible link as weighed evidence: the items, their weights, the total.

Like Splink's waterfall chart, a link reads as a sum: the prior (how rare a match is between
two stores picked at random), plus the weight of each comparison on which the two groups agree
(its best shared value), minus the chances of coincidence of two large groups, against the
threshold. ``merged because payment ****5678 (+11.1) and phone ****0000 (+10.1), prior -11.1,
total +10.1 >= 0.0``. Tables only; masking and wording belong to the outputs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import Linkage
from .weights import LEVELS

__all__ = ["link_items", "merge_table", "possible_table"]


def link_items(linkage: Linkage, edges=None) -> pd.DataFrame:
    """The items that count in each link: per (edge, comparison) the best shared value.

    ``edge`` numbers merges 0, 1, ... and possible links -1, -2, ... (as
    :class:`~.levels.Resolution` does). Columns: ``edge, comparison, level, kind, ident, key,
    weight`` (``ident`` -1 and ``key`` the text for holder names and brands). ``edges``
    limits the work to those links.
    """
    resolution = linkage.resolution
    items = resolution.items
    if edges is not None:
        items = items[items["edge"].isin(np.asarray(list(edges), dtype=np.int64))]
    if items.empty:
        return pd.DataFrame(columns=["edge", "comparison", "level", "kind", "ident", "key",
                                     "weight"])
    best = items.sort_values(["edge", "comp", "level", "value"],
                             ascending=[True, True, False, True]).drop_duplicates(
        ["edge", "comp"])
    evidence = resolution.evidence
    once = resolution.model.once_per_family
    if once:
        # A family counted once per link (every address role): only its strongest item counts.
        family = np.asarray([c.split(":")[0].split("+")[0] for c in evidence.comparisons],
                            dtype=object)[best["comp"].to_numpy()]
        best = best.assign(family=np.where(np.isin(family, list(once)), family,
                                           best["comp"].astype(str).to_numpy()))
        best = best.sort_values(["edge", "family", "weight", "comp"],
                                ascending=[True, True, False, True]).drop_duplicates(
            ["edge", "family"])
    ident = evidence.value_ident[best["value"].to_numpy()]
    comparisons = np.asarray(evidence.comparisons, dtype=object)
    comparison = comparisons[best["comp"].to_numpy()]
    kinds = linkage.graph.idents["kind"].to_numpy(dtype=object)
    keys = linkage.graph.idents["key"].to_numpy(dtype=object)
    is_ident = ident >= 0
    kind = np.where(is_ident, kinds[np.maximum(ident, 0)] if len(kinds) else "", comparison)
    key = np.where(is_ident, keys[np.maximum(ident, 0)] if len(keys) else "",
                   evidence.value_text[best["value"].to_numpy()])
    table = pd.DataFrame({
        "edge": best["edge"].to_numpy(),
        "comparison": comparison,
        "level": np.asarray(LEVELS, dtype=object)[best["level"].to_numpy()],
        "kind": kind,
        "ident": ident,
        "key": key,
        "weight": best["weight"].to_numpy().round(2),
    })
    return table.sort_values(["edge", "weight"], ascending=[True, False], ignore_index=True)


def merge_table(linkage: Linkage, all_merges: bool = False) -> pd.DataFrame:
    """One row per merge that holds a cluster together (the strongest spanning forest; every
    merge with ``all_merges``), and per weak cut undone: ``edge, cluster_id, store_a, store_b,
    round, size_a, size_b, prior, chance, score, threshold, weak`` (a weak cut's two sides are
    possible links).
    """
    merges = linkage.resolution.merges
    if not all_merges and len(merges):
        merges = merges[merges["tree"].to_numpy() | merges["weak"].to_numpy()]
    store_ids = linkage.graph.stores["store_id"].to_numpy(dtype=object)
    cluster = linkage.cluster_id.to_numpy(dtype=object)
    a, b = merges["a"].to_numpy(np.int64), merges["b"].to_numpy(np.int64)
    return pd.DataFrame({
        "edge": merges.index.to_numpy(),
        "cluster_id": cluster[a] if len(a) else np.zeros(0, dtype=object),
        "store_a": store_ids[a] if len(a) else np.zeros(0, dtype=object),
        "store_b": store_ids[b] if len(b) else np.zeros(0, dtype=object),
        "round": merges["round"].to_numpy(),
        "size_a": merges["size_a"].to_numpy(),
        "size_b": merges["size_b"].to_numpy(),
        "prior": round(linkage.resolution.model.prior, 2),
        "chance": merges["chance"].to_numpy().round(2),
        "score": merges["score"].to_numpy().round(2),
        "threshold": round(linkage.params.merge_bits, 2),
        "weak": merges["weak"].to_numpy(),
    })


def possible_table(linkage: Linkage) -> pd.DataFrame:
    """One row per possible link between two final clusters: ``edge, cluster_a, cluster_b,
    store_a, store_b, size_a, size_b, prior, chance, score, threshold`` (best first)."""
    possible = linkage.resolution.possible
    store_ids = linkage.graph.stores["store_id"].to_numpy(dtype=object)
    cluster = linkage.cluster_id.to_numpy(dtype=object)
    sizes = linkage.cluster_id.value_counts()
    a, b = possible["a"].to_numpy(np.int64), possible["b"].to_numpy(np.int64)
    cluster_a = cluster[a] if len(a) else np.zeros(0, dtype=object)
    cluster_b = cluster[b] if len(b) else np.zeros(0, dtype=object)
    table = pd.DataFrame({
        "edge": -1 - np.arange(len(possible)),
        "cluster_a": cluster_a,
        "cluster_b": cluster_b,
        "store_a": store_ids[a] if len(a) else np.zeros(0, dtype=object),
        "store_b": store_ids[b] if len(b) else np.zeros(0, dtype=object),
        "size_a": sizes.reindex(cluster_a).to_numpy(dtype=np.int64) if len(a) else
        np.zeros(0, np.int64),
        "size_b": sizes.reindex(cluster_b).to_numpy(dtype=np.int64) if len(b) else
        np.zeros(0, np.int64),
        "prior": round(linkage.resolution.model.prior, 2),
        "chance": possible["chance"].to_numpy().round(2),
        "score": possible["score"].to_numpy().round(2),
        "threshold": round(linkage.params.merge_bits, 2),
    })
    return table.sort_values(["score", "cluster_a", "cluster_b"],
                             ascending=[False, True, True], ignore_index=True)
