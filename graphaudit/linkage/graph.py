"""The store-identifier evidence graph, as integer arrays.

Stores and identifiers are numbered; each link is a (store, identifier) pair. The arrays are what
every later stage works on: they cost a few bytes per link, where a NetworkX graph of a
million-store world would cost gigabytes. NetworkX comes in per cluster (bridges, evidence), where
graphs are small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["EvidenceGraph", "build_graph", "unique_pairs"]


@dataclass
class EvidenceGraph:
    """Stores, identifiers and the links between them.

    Attributes
    ----------
    stores : DataFrame indexed 0..S-1 with the store columns (store_id, status, brand...).
    idents : DataFrame indexed 0..I-1 with ``kind`` and ``key`` of each identifier.
    link_store, link_ident : int arrays of equal length, one entry per link.
    links : the link table the arrays were made from (raw forms, holder names, address types).
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

    def store_counts(self) -> np.ndarray:
        """How many distinct stores each identifier links."""
        ident, _ = unique_pairs(self.link_ident, self.link_store, self.n_stores)
        return np.bincount(ident, minlength=self.n_idents)


def unique_pairs(a: np.ndarray, b: np.ndarray, b_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (a, b) pairs, sorted by a then b, for ints with ``0 <= b < b_size``.

    One int64 key per pair makes this a 1-D ``np.unique``, many times faster than ``axis=1``.

    >>> unique_pairs(np.array([1, 0, 1]), np.array([2, 5, 2]), 10)
    (array([0, 1]), array([5, 2]))
    """
    keys = np.unique(a.astype(np.int64) * b_size + b)
    return keys // b_size, keys % b_size


def build_graph(stores: pd.DataFrame, links: pd.DataFrame) -> EvidenceGraph:
    """Number stores (sorted by store_id) and identifiers (by kind, key) and index the links.

    Sorting makes every later numbering, and so every cluster id, independent of file order.

    >>> import pandas as pd
    >>> stores = pd.DataFrame({"store_id": ["S2", "S1"]})
    >>> links = pd.DataFrame({"store_id": ["S1", "S2"], "kind": ["payment"] * 2,
    ...                       "key": ["6222", "6222"]})
    >>> g = build_graph(stores, links)
    >>> list(g.stores["store_id"]), g.link_ident.tolist()
    (['S1', 'S2'], [0, 0])
    """
    stores = stores.sort_values("store_id", kind="stable").reset_index(drop=True)
    store_index = pd.Index(stores["store_id"])
    links = links.sort_values(["kind", "key", "store_id"], kind="stable").reset_index(drop=True)
    ident_codes, ident_uniques = pd.MultiIndex.from_arrays(
        [links["kind"], links["key"]]
    ).factorize(sort=True)
    idents = pd.DataFrame({
        "kind": ident_uniques.get_level_values(0),
        "key": ident_uniques.get_level_values(1),
    })
    link_store = store_index.get_indexer(links["store_id"])
    if (link_store < 0).any():
        missing = links.loc[link_store < 0, "store_id"].iloc[0]
        raise ValueError(f"link to unknown store {missing!r}")
    return EvidenceGraph(
        stores=stores,
        idents=idents,
        link_store=link_store.astype(np.int64),
        link_ident=np.asarray(ident_codes, dtype=np.int64),
        links=links,
    )
