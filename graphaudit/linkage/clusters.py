"""Cluster ids that are deterministic and that survive new data.

A fresh cluster's id is a digest of its smallest store id, so the same input always gives the same
ids, whatever the file order. Given the previous run's assignment, a cluster keeps an old id while
it holds most (more than half) of that old cluster's members; the change of each cluster (new,
same, grown, shrunk, merged, split) is reported.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

__all__ = ["assign_cluster_ids", "fresh_cluster_id"]


def fresh_cluster_id(smallest_store_id: str, taken: set[str] | None = None) -> str:
    """A deterministic id for a new cluster, avoiding ids in ``taken``.

    >>> fresh_cluster_id("S000001")
    'C269f08e77058'
    """
    salt = 0
    while True:
        candidate = _digest_id(smallest_store_id if salt == 0 else f"{smallest_store_id}#{salt}")
        if not taken or candidate not in taken:
            return candidate
        salt += 1


def _digest_id(text: str) -> str:
    return "C" + hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


def assign_cluster_ids(
    store_ids: pd.Series, labels: np.ndarray, previous: pd.Series | None = None
) -> tuple[pd.Series, pd.DataFrame]:
    """Name the components ``labels`` (one per store, aligned with ``store_ids``).

    ``previous`` maps store_id to its old cluster_id. Returns the cluster id of each store, and a
    table ``cluster_id, change, previous_ids`` per cluster.

    >>> ids, changes = assign_cluster_ids(pd.Series(["S1", "S2", "S3"]), np.array([0, 0, 1]),
    ...                                   pd.Series({"S1": "CA", "S2": "CA"}))
    >>> ids.tolist()[:2], changes.set_index("cluster_id").loc["CA", "change"]
    (['CA', 'CA'], 'same')
    """
    frame = pd.DataFrame({"store_id": store_ids.to_numpy(), "label": labels})
    if store_ids.is_monotonic_increasing:  # as the evidence graph numbers them: no string min
        label, first = np.unique(labels, return_index=True)
        smallest = pd.Series(store_ids.to_numpy()[first], index=label)
    else:
        smallest = frame.groupby("label")["store_id"].min()
    sizes = frame.groupby("label").size()
    names: dict[int, str] = {}
    change: dict[int, str] = {}
    previous_ids: dict[int, str] = {}
    taken: set[str] = set()
    if previous is not None and len(previous):
        _keep_previous_ids(frame, previous, sizes, names, change, previous_ids)
        taken = set(previous.unique())
    order, firsts = smallest.index.tolist(), smallest.tolist()
    unnamed = [at for at, label in enumerate(order) if label not in names]
    fresh = [_digest_id(firsts[at]) for at in unnamed]
    if not taken.isdisjoint(fresh) or len(set(fresh)) < len(fresh):
        # Some digest is taken or repeated: fresh_cluster_id in order, one label at a time.
        fresh = []
        for at in unnamed:
            fresh.append(fresh_cluster_id(firsts[at], taken))
            taken.add(fresh[-1])
    # (Otherwise each new cluster has its first candidate: hundreds of thousands of clusters
    # at a million stores, named without a set look-up each.)
    if names:
        names.update(zip((order[at] for at in unnamed), fresh, strict=True))
        named = np.array([names[label] for label in order], dtype=object)
    else:
        named = np.array(fresh, dtype=object)
    new = "new" if previous is not None else ""
    cluster_of_store = pd.Series(named[np.searchsorted(smallest.index.to_numpy(), labels)],
                                 index=frame.index, name="label")
    table = pd.DataFrame({
        "cluster_id": named,
        "change": [change.get(label, new) for label in order] if change else [new] * len(order),
        "previous_ids": [previous_ids.get(label, "") for label in order] if previous_ids
        else [""] * len(order),
    })
    return cluster_of_store.rename("cluster_id"), table


def _keep_previous_ids(frame, previous, sizes, names, change, previous_ids) -> None:
    old = frame["store_id"].map(previous)
    known = frame[old.notna()].assign(old=old[old.notna()])
    if known.empty:  # another export's run: no cluster lives on (and empty tables lose dtypes)
        return
    old_sizes = previous.value_counts()
    overlap = known.groupby(["old", "label"]).size().rename("shared").reset_index()
    overlap["old_size"] = overlap["old"].map(old_sizes)
    # An old cluster lives on in the new cluster holding most of its members.
    heirs = overlap[overlap["shared"] * 2 > overlap["old_size"]]
    heirs = heirs.sort_values(["label", "old_size", "old"], ascending=[True, False, True])
    for label, group in heirs.groupby("label", sort=False):
        names[label] = group["old"].iloc[0]
    olds_per_label = overlap.groupby("label")["old"].apply(lambda s: sorted(set(s)))
    labels_per_old = overlap.groupby("old")["label"].nunique()
    for label, olds in olds_per_label.items():
        previous_ids[label] = ";".join(olds)
        if len(olds) > 1 and (heirs["label"] == label).sum() > 1:
            change[label] = "merged"
        elif label not in names:
            change[label] = "split" if any(labels_per_old[o] > 1 for o in olds) else "new"
        else:
            own = names[label]
            new_size, old_size = sizes[label], old_sizes[own]
            if any(labels_per_old[o] > 1 for o in olds) and new_size < old_size:
                change[label] = "split"
            elif len(olds) > 1:
                change[label] = "merged"
            elif new_size > old_size:
                change[label] = "grown"
            elif new_size < old_size:
                change[label] = "shrunk"
            else:
                change[label] = "same"
