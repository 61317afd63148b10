"""The methods graphaudit is compared with, on the same normalized keys (bench/quality.py).

* ``cutoff_components``: connected components over every shared key used by at most K stores;
* ``splink_clusters``: Splink (DuckDB) with one record per store, an array of normalized keys
  per kind, each kind split in three by how many stores use the key (2-3, 4-30, 31+) so that
  EM can learn that a key of hundreds of stores says less (Splink has no term frequencies for
  arrays), u by random sampling, m by EM, clustered at match probabilities 0.01, 0.5 and 0.9
  (docs/benchmarks.md); ``bands=False`` and ``thresholds=(0.01,)`` is the quick configuration
  of earlier figures.

``links`` is graphaudit's own table of (store_id, kind, key): the keys both methods see are the
engine's normalization, so that only the linkage differs.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n_stores: int, store: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Component label of each store in the bipartite store-key graph."""
    n_keys = int(key.max()) + 1 if len(key) else 0
    size = n_stores + n_keys
    graph = coo_matrix((np.ones(len(store), dtype=np.int8), (store, n_stores + key)),
                       shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    return labels[:n_stores]


def cutoff_components(store_ids: pd.Series, links: pd.DataFrame, cutoff: int) -> np.ndarray:
    """Components linking stores on any shared key used by at most ``cutoff`` stores."""
    index = pd.Index(store_ids)
    codes, _ = pd.factorize(links["kind"] + "\x1f" + links["key"])
    store = index.get_indexer(links["store_id"])
    known = store >= 0
    store, codes = store[known], codes[known]
    counts = pd.Series(store).groupby(codes).nunique()
    keep = counts.reindex(codes).to_numpy() <= cutoff
    return components(len(index), store[keep], codes[keep])


SPLINK_KINDS_MAX_STORES = 1000  # keys on more stores are left out of Splink's blocking arrays


BANDS = ((3, "few"), (30, "some"), (SPLINK_KINDS_MAX_STORES, "many"))
#: the match probabilities the peer's clusters are cut at, every one printed: picking the best
#: by the truth would tune the peer on the answer. 0.5 is graphaudit's own rule (``merge_bits``
#: 0: a match more likely than not); the quick configuration of earlier figures used 0.01 alone
THRESHOLDS = (0.01, 0.5, 0.9)
QUICK_THRESHOLD = 0.01


def _splink_frame(store_ids: pd.Series, links: pd.DataFrame,
                  bands: bool) -> tuple[pd.DataFrame, list[str]]:
    """One row per store: an array of normalized keys per kind (per kind and band with
    ``bands``) and each array's first key (EM blocks on it)."""
    counts = links.groupby(["kind", "key"])["store_id"].transform("nunique")
    if bands:
        band = np.select([counts <= top for top, _ in BANDS], [name for _, name in BANDS],
                         default="hub")
        links = links.assign(kind=links["kind"] + "_" + band)
    kinds = sorted(links["kind"].unique())
    usable = links[counts <= SPLINK_KINDS_MAX_STORES]
    arrays = (usable.groupby(["store_id", "kind"])["key"]
              .agg(lambda keys: sorted(set(keys))).unstack("kind"))
    frame = pd.DataFrame({"unique_id": store_ids.to_numpy()})
    for kind in kinds:
        column = arrays[kind] if kind in arrays else pd.Series(dtype=object)
        values = frame["unique_id"].map(column)
        frame[kind] = [v if isinstance(v, list) else None for v in values]
        # EM cannot block on exploded arrays: it blocks on each store's first key instead
        frame[kind + "_first"] = [v[0] if v else None for v in frame[kind]]
    return frame, kinds


def splink_linker(store_ids: pd.Series, links: pd.DataFrame, bands: bool = True):
    """A trained Splink linker over the stores; returns (linker, frame).

    Comparisons: each kind's array of keys, agreeing when they share one
    (``ArrayIntersectAtSizes(kind, [1])``); with ``bands`` each kind split by how many stores
    use the key, in the place of term-frequency adjustments, which Splink has only for single
    values. Blocking for prediction: a shared key of any kind (exploded arrays).
    lambda from the rules "shares an ID document or payment key" at recall 0.7, u by random
    sampling of 10^6 pairs, m by EM blocked on each kind's first key.
    """
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame, kinds = _splink_frame(store_ids, links, bands)
    comparisons = [cl.ArrayIntersectAtSizes(kind, [1]) for kind in kinds]
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on(kind, arrays_to_explode=[kind]) for kind in kinds],
        retain_intermediate_calculation_columns=False,
    )
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    linker = Linker(db.register(frame), settings, log_level=logging.ERROR)
    deterministic = [block_on(kind, arrays_to_explode=[kind]) for kind in kinds
                     if kind.startswith(("id_document", "payment"))] or \
        [block_on(kinds[0], arrays_to_explode=[kinds[0]])]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for kind in kinds:
        if frame[kind + "_first"].notna().sum() < 2:
            continue
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(kind + "_first"))
        except Exception:  # noqa: BLE001 - a block with no pairs: Splink's own complaint
            continue
    return linker, frame


def splink_clusters(store_ids: pd.Series, links: pd.DataFrame,
                    thresholds: tuple[float, ...] = THRESHOLDS, bands: bool = True
                    ) -> tuple[dict[float, np.ndarray], dict[str, float]]:
    """Cluster labels at each match probability of ``thresholds`` from
    :func:`splink_linker`; returns ({threshold: labels}, notes)."""
    linker, frame = splink_linker(store_ids, links, bands)
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=min(thresholds))
    labels = {}
    for threshold in thresholds:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold).as_pandas_dataframe()
        label = clusters.set_index("unique_id")["cluster_id"]
        labels[threshold], _ = pd.factorize(frame["unique_id"].map(label)
                                            .fillna(frame["unique_id"]))
    return labels, {"predict_seconds": time.perf_counter() - started}
