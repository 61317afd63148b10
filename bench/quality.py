"""Linkage quality against the truth of synthetic worlds, with two baselines.

    python bench/quality.py --stores 20000 200000 --seeds 1 2 3

For each world made by ``graphaudit sample``: pairwise precision, recall and F1 over store pairs,
B-cubed precision/recall/F1, and the share of ban-evading stores whose cluster holds a suspended
store of their own operator. Baselines in the same run: connected components over raw strings,
and over normalized keys with a fixed degree cut-off (the best of 10, 25 and 50). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from graphaudit.identifiers import extract_identifiers
from graphaudit.linkage import link_stores
from graphaudit.linkage.hubs import components
from graphaudit.records import RejectsWriter, read_records
from graphaudit.sample import write_sample


def pair_count(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise and B-cubed scores of a predicted labelling against the true one."""
    frame = pd.DataFrame({"p": predicted, "t": truth})
    cells = frame.groupby(["p", "t"]).size()
    tp = pair_count(cells.to_numpy())
    pred_pairs = pair_count(frame.groupby("p").size().to_numpy())
    true_pairs = pair_count(frame.groupby("t").size().to_numpy())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    shared = frame.set_index(["p", "t"]).index.map(cells).to_numpy()
    p_size = frame["p"].map(frame["p"].value_counts()).to_numpy()
    t_size = frame["t"].map(frame["t"].value_counts()).to_numpy()
    b_precision = float(np.mean(shared / p_size))
    b_recall = float(np.mean(shared / t_size))
    return {
        "pair_P": precision, "pair_R": recall, "pair_F1": f1(precision, recall),
        "b3_P": b_precision, "b3_R": b_recall, "b3_F1": f1(b_precision, b_recall),
    }


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def evaders_linked(labels: pd.Series, truth: pd.DataFrame) -> float:
    """Share of evading stores clustered with a suspended store of their own operator."""
    frame = truth.assign(label=labels.reindex(truth["store_id"]).to_numpy())
    banned = frame[frame["is_suspended"] == "true"]
    banned_labels = set(zip(banned["operator_id"], banned["label"], strict=True))
    evaders = frame[frame["is_evader"] == "true"]
    if evaders.empty:
        return float("nan")
    hits = [(op, lab) in banned_labels
            for op, lab in zip(evaders["evades_operator_id"], evaders["label"], strict=True)]
    return float(np.mean(hits))


def baseline_raw(records) -> np.ndarray:
    """Components over identical raw strings, any column, no normalization."""
    stores = records.stores["store_id"].sort_values().reset_index(drop=True)
    index = pd.Index(stores)
    parts = []
    for frame, columns in ((records.identities, ("id_number", "phone", "email")),
                           (records.payments, ("account_number",)),
                           (records.addresses, ("address",))):
        for column in columns:
            part = frame[frame[column] != ""][["store_id", column]]
            parts.append(pd.DataFrame({"store_id": part["store_id"],
                                       "key": column + ":" + part[column]}))
    links = pd.concat(parts, ignore_index=True)
    codes, _ = pd.factorize(links["key"])
    return components(len(stores), codes.max() + 1, index.get_indexer(links["store_id"]), codes)


def baseline_cutoff(stores: pd.Series, links: pd.DataFrame, cutoff: int) -> np.ndarray:
    """Components over normalized keys, ignoring identifiers with more than ``cutoff`` stores."""
    index = pd.Index(stores)
    codes, _ = pd.factorize(links["kind"] + ":" + links["key"])
    store = index.get_indexer(links["store_id"])
    counts = pd.Series(store).groupby(codes).nunique()
    keep = counts.reindex(codes).to_numpy() <= cutoff
    return components(len(stores), codes.max() + 1, store[keep], codes[keep])


def run(stores: int, seed: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        write_sample(data, stores=stores, seed=seed)
        truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
        records = read_records(data, RejectsWriter(None))
        links = extract_identifiers(records, RejectsWriter(None)).links
    started = time.perf_counter()
    linkage = link_stores(records.stores, links)
    elapsed = time.perf_counter() - started
    order = linkage.graph.stores["store_id"]
    true_labels = truth.set_index("store_id").loc[order, "operator_id"].to_numpy()
    rows = []

    def record(method: str, labels: np.ndarray, seconds: float | None = None) -> None:
        as_series = pd.Series(labels, index=order.to_numpy())
        rows.append({"stores": stores, "seed": seed, "method": method,
                     **scores(labels, true_labels),
                     "evaders_linked": evaders_linked(as_series, truth),
                     "seconds": seconds})

    record("graphaudit", linkage.cluster_id.to_numpy(), elapsed)
    record("raw strings", baseline_raw(records))
    best = max(
        ((cut, baseline_cutoff(order, links, cut)) for cut in (10, 25, 50)),
        key=lambda item: scores(item[1], true_labels)["pair_F1"],
    )
    record(f"keys, cut-off {best[0]}", best[1])
    wrong = _worst_merges(linkage, truth)
    rows[0]["worst"] = wrong
    return rows


def _worst_merges(linkage, truth: pd.DataFrame) -> str:
    """The largest predicted clusters that mix operators, for the 'what still fails' note."""
    frame = pd.DataFrame({"store_id": linkage.graph.stores["store_id"],
                          "cluster": linkage.cluster_id.to_numpy()})
    frame["op"] = frame["store_id"].map(truth.set_index("store_id")["operator_id"])
    mixed = frame.groupby("cluster")["op"].nunique()
    mixed = mixed[mixed > 1]
    return f"{len(mixed)} clusters mix operators (largest mixes {mixed.max() if len(mixed) else 0})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[20_000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    results = []
    for stores in args.stores:
        for seed in args.seeds:
            rows = run(stores, seed)
            results.extend(rows)
            for row in rows:
                print(_format(row), flush=True)
            print(f"  {rows[0]['worst']}", flush=True)
    frame = pd.DataFrame(results)
    print("\nmean over seeds:")
    means = frame.groupby(["stores", "method"], sort=False)[
        ["pair_P", "pair_R", "pair_F1", "b3_P", "b3_R", "b3_F1", "evaders_linked"]].mean()
    print(means.round(4).to_string())


def _format(row: dict) -> str:
    seconds = f" {row['seconds']:.1f}s" if row.get("seconds") else ""
    return (f"{row['stores']:>8} seed {row['seed']} {row['method']:<18} "
            f"pair P/R/F1 {row['pair_P']:.4f}/{row['pair_R']:.4f}/{row['pair_F1']:.4f}  "
            f"B3 P/R/F1 {row['b3_P']:.4f}/{row['b3_R']:.4f}/{row['b3_F1']:.4f}  "
            f"evaders linked {row['evaders_linked']:.3f}{seconds}")


if __name__ == "__main__":
    main()
