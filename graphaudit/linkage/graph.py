"""The store-identifier evidence graph, as integer arrays.

Stores and identifiers are numbered; each link is a (store, identifier) pair. The arrays are what
every later stage works on: they cost a few bytes per link, where a NetworkX graph of a
million-store world would cost gigabytes. NetworkX comes in per cluster (bridges, evidence), where
graphs are small.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from ..parallel import Parallel

__all__ = ["LINK_DETAILS", "EvidenceGraph", "build_graph", "subtree_weights", "unique_pairs"]

#: the columns of a link that later stages read: evidence, explanations and reports (its kind
#: is its identifier's)
LINK_DETAILS = ("raw", "holder_name", "role", "address_type")


@dataclass
class EvidenceGraph:
    """Stores, identifiers and the links between them.

    Attributes
    ----------
    stores : DataFrame indexed 0..S-1 with the store columns (store_id, status, brand...).
    idents : DataFrame indexed 0..I-1 with ``kind`` and ``key`` of each identifier.
    link_store, link_ident : int arrays of equal length, one entry per link.
    links : per link, in the order of the arrays, the columns of ``LINK_DETAILS`` that the
        input had (raw form, holder name, role, address type).
    """

    stores: pd.DataFrame
    idents: pd.DataFrame
    link_store: np.ndarray
    link_ident: np.ndarray
    links: pd.DataFrame

    @property
    def n_stores(self) -> int:
        return len(self.stores)

    @property
    def n_idents(self) -> int:
        return len(self.idents)


def unique_pairs(a: np.ndarray, b: np.ndarray, b_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (a, b) pairs, sorted by a then b, for ints with ``0 <= b < b_size``.

    One int64 key per pair makes this a 1-D ``np.unique``, many times faster than ``axis=1``.

    >>> unique_pairs(np.array([1, 0, 1]), np.array([2, 5, 2]), 10)
    (array([0, 1]), array([5, 2]))
    """
    keys = np.sort(a.astype(np.int64) * b_size + b)
    if len(keys):
        keys = keys[np.r_[True, keys[1:] != keys[:-1]]]
    return keys // b_size, keys % b_size


def dense_codes(x: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(x, return_inverse=True)`` for ints with ``0 <= x < size``, by marking the
    values that occur instead of sorting ``x`` (linear; ``size`` should be within a few times
    ``len(x)``).

    >>> dense_codes(np.array([7, 2, 7, 4]), 10)
    (array([2, 4, 7]), array([2, 0, 2, 1]))
    """
    seen = np.zeros(size, dtype=bool)
    seen[x] = True
    distinct = np.flatnonzero(seen)
    rank = np.cumsum(seen, dtype=np.int64) - 1
    return distinct, rank[x]


def subtree_weights(
    tree: coo_matrix, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parent of every node of a forest (-1 for roots), the weight of the subtree under each
    node, and the weight of each node's whole tree.

    ``tree`` holds the forest's edges (either direction), ``weight`` each node's own weight.
    The two sides of a forest edge are the subtree under its child and the rest of the tree:
    bridges (:func:`~.levels.weak_cuts`) and cut vertices (:func:`~.evidence.articulation_splits`)
    both split this way.

    >>> tree = coo_matrix((np.ones(2), ([0, 1], [1, 2])), shape=(4, 4))
    >>> parent, below, total = subtree_weights(tree, np.array([1, 2, 3, 5]))
    >>> parent.tolist(), below.tolist(), total.tolist()
    ([-1, 0, 1, -1], [6, 5, 3, 5], [6, 6, 6, 5])
    """
    n = len(weight)
    _, labels = connected_components(tree, directed=False)
    roots = np.unique(labels, return_index=True)[1]
    # One search from a virtual root n joined to the first node of every tree.
    rows = np.r_[tree.row, np.full(len(roots), n)]
    cols = np.r_[tree.col, roots]
    forest = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    order, predecessors = breadth_first_order(forest, n, directed=False,
                                              return_predecessors=True)
    below = np.r_[weight, 0].astype(np.int64).tolist()
    up = predecessors.tolist()
    for node in reversed(order[1:].tolist()):  # children before their parents
        below[up[node]] += below[node]
    parent = predecessors[:n].astype(np.int64)
    parent[parent == n] = -1
    total = np.bincount(labels, weights=weight)[labels].astype(np.int64)
    return parent, np.array(below[:n], dtype=np.int64), total


def _store_positions(link_stores: pd.Series, store_ids: pd.Series) -> np.ndarray:
    """The position in ``store_ids`` of each link's store."""
    found = pc.index_in(pa.array(link_stores, type=pa.string()),
                        value_set=pa.array(store_ids, type=pa.string()))
    if found.null_count:
        missing = link_stores.iloc[int(pc.index(pc.is_null(found), True).as_py())]
        raise ValueError(f"link to unknown store {missing!r}")
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def _number_identifiers(kinds: pd.Series, keys: pd.Series,
                        pool: Executor) -> tuple[np.ndarray, pd.DataFrame]:
    """Number the identifiers in (kind, key) order: each link's number, and the identifiers
    (kind and key) in that order.

    Keys are coded and sorted within each kind, the kinds side by side in ``pool``; a kind's
    numbers then start after those of the kinds before it.
    """
    kind = pc.dictionary_encode(pa.array(kinds, type=pa.string()))
    if isinstance(kind, pa.ChunkedArray):
        kind = kind.unify_dictionaries().combine_chunks()
    kind_code = kind.indices.to_numpy(zero_copy_only=False)
    keys = pa.array(keys, type=pa.large_string())
    if isinstance(keys, pa.ChunkedArray):  # its chunks may not all be of the type asked for
        keys = keys.cast(pa.large_string()).combine_chunks()  # (an empty float64 column)

    def ranked(code: int) -> tuple[np.ndarray, np.ndarray, pa.Array]:
        rows = np.flatnonzero(kind_code == code)
        encoded = pc.dictionary_encode(keys.take(rows))
        order = pc.sort_indices(encoded.dictionary)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order.to_numpy()] = np.arange(len(order))
        return rows, rank[encoded.indices.to_numpy(zero_copy_only=False)], \
            encoded.dictionary.take(order)

    names = kind.dictionary.to_pylist()
    parts = list(pool.map(ranked, range(len(names))))
    codes = np.empty(len(keys), dtype=np.int64)
    in_order = sorted(range(len(names)), key=names.__getitem__)
    counts = [len(parts[code][2]) for code in in_order]
    for code, start in zip(in_order, np.r_[0, np.cumsum(counts)].tolist(), strict=False):
        rows, rank, _ = parts[code]
        codes[rows] = start + rank
    idents = pd.DataFrame({
        "kind": pa.array([names[code] for code in in_order], pa.large_string()).take(
            np.repeat(np.arange(len(in_order)), counts)).to_pandas(),
        "key": pa.concat_arrays([parts[code][2] for code in in_order]
                                or [pa.array([], pa.large_string())]).to_pandas(),
    })
    return codes, idents


def build_graph(stores: pd.DataFrame, links: pd.DataFrame,
                parallel: Parallel | None = None) -> EvidenceGraph:
    """Number stores (sorted by store_id) and identifiers (by kind, key) and index the links.

    Sorting makes every later numbering, and so every cluster id, independent of file order.
    With a ``parallel`` budget of two workers, two threads share the work.

    >>> import pandas as pd
    >>> stores = pd.DataFrame({"store_id": ["S2", "S1"]})
    >>> links = pd.DataFrame({"store_id": ["S1", "S2"], "kind": ["payment"] * 2,
    ...                       "key": ["6222", "6222"]})
    >>> g = build_graph(stores, links)
    >>> list(g.stores["store_id"]), g.link_ident.tolist()
    (['S1', 'S2'], [0, 0])
    """
    stores = stores.sort_values("store_id", kind="stable").reset_index(drop=True)
    # Arrow and numpy let go of the GIL in their loops: two threads keep two cores busy.
    with (parallel or Parallel()).threads(2) as pool:
        finding = pool.submit(_store_positions, links["store_id"], stores["store_id"])
        ident_codes, idents = _number_identifiers(links["kind"], links["key"], pool)
        link_store = finding.result()
        order = np.lexsort((link_store, ident_codes))
        link_ident = ident_codes[order]
        # Only what later stages read travels on (store and key are in the arrays): this copy
        # of the links is the largest table of a run.
        details = [c for c in LINK_DETAILS if c in links]
        taking = [pool.submit(links[c].take, order) for c in details]
        links = pd.DataFrame({c: t.result().reset_index(drop=True)
                              for c, t in zip(details, taking, strict=True)},
                             index=pd.RangeIndex(len(order)))
    return EvidenceGraph(
        stores=stores,
        idents=idents,
        link_store=link_store[order],
        link_ident=link_ident,
        links=links,
    )
