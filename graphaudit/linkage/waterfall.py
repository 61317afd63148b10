"""Every merge and possible link as weighed evidence: the items, their weights, the total.

Like Splink's waterfall chart, a link reads as a sum: the prior (how rare a match is between
two stores picked at random), plus the weight of each comparison on which the two groups agree
(its best shared value), minus the chances of coincidence of two large groups, against the
threshold. ``merged because payment ****5678 (+11.1) and phone ****0000 (+10.1), prior -11.1,
total +10.1 >= 0.0``. Tables only; masking and wording belong to the outputs.

One comparison counts more than once: a group that varies *several* suspended brands of the
other (:func:`~.levels._several_variants`) is weighed for each. The scoring carries the
variants after the first inside the brand's chances of coincidence; here each is an item of
its own (its weight, as the first's), and ``chance`` is the coincidence alone (at least 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import Linkage
from .weights import LEVELS, NEAR

__all__ = ["link_items", "merge_table", "possible_table", "string_array"]


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
    extra = _further_variants(linkage, items)
    if items.empty:
        return pd.DataFrame(columns=["edge", "comparison", "level", "kind", "ident", "key",
                                     "weight"])
    # Group-bys as sorts of integer columns (no pandas multi-key sorts): the best value of
    # each (edge, comparison): highest level, then smallest value.
    edge, comp = items["edge"].to_numpy(), items["comp"].to_numpy()
    level, value = items["level"].to_numpy(), items["value"].to_numpy()
    order = np.lexsort((value, -level.astype(np.int64), comp, edge))
    best = order[_firsts(edge[order], comp[order])]
    evidence = resolution.evidence
    once = resolution.model.once_per_family
    if once:
        # A family counted once per link (every address role): only its strongest item counts.
        family = np.asarray(resolution.model.families(), dtype=object)
        # numbered in the order of their names (a comparison outside the families by its own
        # number, as text), as a sort of the names would order them
        names = np.where(np.isin(family, list(once)), family,
                         np.asarray([str(c) for c in range(len(family))], dtype=object))
        family = pd.factorize(names, sort=True)[0][comp[best]]
        weight = items["weight"].to_numpy()[best]
        order = np.lexsort((comp[best], -weight, family, edge[best]))
        best = best[order][_firsts(edge[best][order], family[order])]
    if len(extra):  # each further variant of a suspended brand is an item of its own
        best = np.concatenate([best, extra])
    # Strongest item first within each edge (ties as they are), then the columns taken in
    # Arrow: the texts are never Python strings.
    weight = items["weight"].to_numpy()[best].round(2)
    order = np.lexsort((-weight, edge[best]))
    best, weight = best[order], weight[order]
    value = value[best]
    ident = evidence.value_ident[value]
    is_ident = pa.array(ident >= 0)
    at = pa.array(np.maximum(ident, 0))
    comparison = pa.array(evidence.comparisons, pa.string()).take(pa.array(comp[best]))
    idents = linkage.graph.idents
    texts = pa.array(evidence.value_text[value], pa.string())
    kind, key = comparison, texts
    if len(idents):
        kind = pc.if_else(is_ident, string_array(idents["kind"]).take(at), comparison)
        key = pc.if_else(is_ident, string_array(idents["key"]).take(at), texts)
    return pd.DataFrame({
        "edge": edge[best],
        "comparison": comparison.to_pandas(),
        "level": pa.array(LEVELS, pa.string()).take(pa.array(level[best])).to_pandas(),
        "kind": kind.to_pandas(),
        "ident": ident,
        "key": key.to_pandas(),
        "weight": weight,
    })


def _further_variants(linkage: Linkage, items: pd.DataFrame) -> np.ndarray:
    """Positions in ``items`` of the brand variants that a link counts beyond its first: where
    the two groups agree on the brand only at the ``near`` level, through two or more
    suspended brands, and that level weighs for a match (:func:`~.levels._several_variants`;
    not in the first round, whose single stores vary one brand at most and were weighed
    without it). The first is the link's brand item (the smallest value, as for any
    comparison); these are the others, each weighed as it is."""
    resolution = linkage.resolution
    comparisons = resolution.evidence.comparisons
    none = np.zeros(0, dtype=np.int64)
    if "brand" not in comparisons or resolution.evidence.anchor is None or items.empty:
        return none
    brand = comparisons.index("brand")
    if resolution.model.weights[brand, NEAR] <= 0:
        return none
    comp, level = items["comp"].to_numpy(), items["level"].to_numpy()
    near = np.flatnonzero((comp == brand) & (level == NEAR))
    if len(near) < 2:
        return none
    edge = items["edge"].to_numpy()
    # edges whose brand agrees at a higher level too: weighed once, at that level
    higher = edge[(comp == brand) & (level > NEAR)]
    near = near[~np.isin(edge[near], higher)]
    merges = resolution.merges
    if len(merges):  # a merge of the first round was weighed without the model's count
        first_round = merges.index.to_numpy()[merges["round"].to_numpy() == 0]
        near = near[~np.isin(edge[near], first_round)]
    order = near[np.lexsort((items["value"].to_numpy()[near], edge[near]))]
    firsts = _firsts(edge[order])
    counts = np.diff(np.append(firsts, len(order)))
    several = np.repeat(counts >= 2, counts)
    keep = np.ones(len(order), dtype=bool)
    keep[firsts] = False
    return order[keep & several]


def _further_variant_bits(linkage: Linkage, edges: np.ndarray) -> np.ndarray:
    """Per edge of ``edges``, the weight of its brand variants beyond the first
    (:func:`_further_variants`): what the scoring took off its chances of coincidence."""
    items = linkage.resolution.items
    extra = _further_variants(linkage, items)
    if not len(extra):
        return np.zeros(len(edges))
    bits = pd.Series(items["weight"].to_numpy()[extra]).groupby(
        items["edge"].to_numpy()[extra]).sum()
    return bits.reindex(edges, fill_value=0.0).to_numpy(dtype=float)


def string_array(column: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (no copy when it is one already): the form the
    Arrow string kernels of the write stage take."""
    array = pa.array(column, pa.string()) if column.dtype == object else pa.array(column)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def _firsts(*keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each run of equal ``keys`` (rows sorted by them)."""
    first = np.zeros(len(keys[0]), dtype=bool)
    first[:1] = True
    for key in keys:
        first[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(first)


def merge_table(linkage: Linkage, all_merges: bool = False) -> pd.DataFrame:
    """One row per merge that holds a cluster together (the strongest spanning forest; every
    merge with ``all_merges``), and per weak cut undone: ``edge, cluster_id, store_a, store_b,
    round, size_a, size_b, prior, chance, score, threshold, weak, decided`` (a weak cut's two
    sides are possible links). ``decided`` says what merged the two: ``score`` (at or above
    the threshold), ``held values`` (values of two kinds the larger group holds, whatever
    the score: docs/linkage.md, held values) or ``return after a ban (+w)`` (a single store
    opened after a ban, a possible link of the banned group that the return's learned weight
    ``w`` lifts to the threshold: docs/linkage.md, returns) or ``co-used hubs`` (clusters
    using values of two kinds of hubs used together beyond chance: docs/linkage.md).
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
        "chance": (merges["chance"].to_numpy()
                   + _further_variant_bits(linkage, merges.index.to_numpy())).round(2),
        "score": merges["score"].to_numpy().round(2),
        "threshold": round(linkage.params.merge_bits, 2),
        "weak": merges["weak"].to_numpy(),
        "decided": merges["decided"].to_numpy(dtype=object) if "decided" in merges
        else np.full(len(merges), "score", dtype=object),
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
        "chance": (possible["chance"].to_numpy()
                   + _further_variant_bits(linkage, -1 - np.arange(len(possible)))).round(2),
        "score": possible["score"].to_numpy().round(2),
        "threshold": round(linkage.params.merge_bits, 2),
    })
    return table.sort_values(["score", "cluster_a", "cluster_b"],
                             ascending=[False, True, True], ignore_index=True)
