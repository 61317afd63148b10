"""Why evaders are missed and why innocent stores are flagged linked_to_suspended, by the truth.

    python bench/suspensions.py --worlds 20 --seed 1200      # family worlds of 5,000 stores

For each family world (as ``bench/quality.py`` builds and reads it, dates in the world's own
format) graphaudit's clusters are read against the truth three ways:

* **wrong flags**: every active store flagged ``linked_to_suspended`` whose operator has no
  suspended store, by what its operator's stores in the cluster share with the suspended
  operator's there, as the truth names the reason of each shared value (``person``: a staff
  member who moved, a rented ID, a relative; ``service``: a 3PL, a virtual office, an agency,
  a payment agent; ``coincidence``: two people drew one number; ``brand``: the same brand
  written) and whether they opened before or after that cluster's first ban;
* **missed evaders**: every returning operator with evading stores outside its suspended
  stores' cluster: whether its evaders' cluster and its largest suspended cluster are even
  candidates (they share a value that makes candidates), their score, and how many distinct
  brands of its suspended stores the evaders vary (0, 1 or 2: the generator varies up to two);
* **the variant rule alone**: of the active stores whose brand varies a suspended brand and
  that opened within the rule's window after a ban of that brand (the brand's ``near`` level,
  ``scoring.brand_variant_windows``), how many are that brand's banned operator's; and the
  pairs of operators (active, banned) by how many distinct brands of the banned one the
  active one varies.

The thread of a returning operator (account, warehouse, phone, ID) is the generator's intent,
not what the records hold. Prints figures; asserts nothing. World seeds 1900-1999 are held out:
do not run them.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from graphaudit.analysis import analyze, with_store_defaults
from graphaudit.identifiers import extract_identifiers
from graphaudit.linkage.levels import compare_groups
from graphaudit.records import RejectsWriter, read_records
from graphaudit.scoring import brand_variant_bases, brand_variant_windows, brand_variants
from graphaudit.synth import World, build_world, draw_rates
from graphaudit.synth.output import write_files

#: the truth's reasons of shared values, by family
FAMILIES = {"staff": "person", "rented_id": "person", "family": "person", "3pl": "service",
            "virtual_office": "service", "agency": "service", "payment_agent": "service",
            "coincidence": "coincidence"}


def _values_of_stores(world: World) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = collections.defaultdict(set)
    for key, stores in world.uses.items():
        if len(stores) > 1:
            for store in stores:
                out[store].add(key)
    return out


def wrong_flags(world: World, table: pd.DataFrame) -> list[dict]:
    """One row per innocent operator's part of a cluster with a suspended store."""
    banned_ops = set(table.loc[table["suspended"], "operator_id"])
    wrong = table[table["flag"] & ~table["operator_id"].isin(banned_ops)]
    values = _values_of_stores(world)
    rows = []
    for (cluster, operator), part in wrong.groupby(["cluster_id", "operator_id"]):
        members = table[table["cluster_id"] == cluster]
        banned = members[members["suspended"]]
        mine = set().union(*(values[s] for s in part["store_id"]))
        theirs = set().union(*(values[s] for s in banned["store_id"]))
        reasons = set()
        for key in mine & theirs:
            named = {reason for _, reason in world.uses[key].values()} - {"operator"}
            reasons |= {FAMILIES.get(reason, reason) for reason in named} or {"coincidence"}
        if set(part["brand_key"]) & set(banned["brand_key"]) - {""}:
            reasons.add("brand")
        ban = banned["suspended_at"].min()
        when = ("before" if (part["opened"] < ban).all() else
                "after" if (part["opened"] > ban).all() else "both")
        rows.append({"operator": operator, "stores": len(part),
                     "shares": " + ".join(sorted(reasons)) or "(through a third operator)",
                     "opened": f"{when} the ban"})
    return rows


def missed_evaders(table: pd.DataFrame, linkage) -> list[dict]:
    """One row per returning operator with evading stores outside its suspended cluster."""
    resolution = linkage.resolution
    evidence, labels = resolution.evidence, resolution.labels
    pairs, levels, _, chances = compare_groups(evidence, labels, linkage.params,
                                               model=resolution.model)
    score = resolution.model.score(levels, chances) if len(pairs) else np.zeros(0)
    index = {pair: k for k, pair in enumerate(map(tuple, pairs.tolist()))}
    table = table.assign(label=labels)
    rows = []
    for operator, evaders in table[table["evader"]].groupby("operator_id"):
        banned = table[table["suspended"] & (table["operator_id"] == operator)]
        missed = evaders[~evaders["label"].isin(set(banned["label"]))]
        if missed.empty:
            continue
        a = int(missed["label"].mode().iloc[0])
        b = int(banned["label"].value_counts().index[0])
        k = index.get((min(a, b), max(a, b)))
        varied = set(brand_variants(set(missed["brand_key"]), set(banned["brand_key"])).values())
        rows.append({"operator": operator, "stores": len(missed),
                     "thread": missed["thread"].iloc[0],
                     "candidates": k is not None,
                     "score": float(score[k]) if k is not None else float("nan"),
                     "variants": min(len(varied), 2)})
    return rows


def variant_rule(table: pd.DataFrame, stores: pd.DataFrame) -> tuple[int, int, pd.Series]:
    """Stores in the variant rule's window, those of the brand's banned operator, and the
    (active, banned) operator pairs by the number of distinct banned brands varied."""
    suspended = table["suspended"].to_numpy()
    variants = brand_variant_bases(stores["brand_key"], stores.loc[suspended, "brand_key"])
    after, _ = brand_variant_windows(stores, variants)
    base = after.to_numpy(dtype=object)
    owners = pd.DataFrame({"base": table.loc[suspended, "brand_key"].to_numpy(),
                           "banned": table.loc[suspended, "operator_id"].to_numpy()}
                          ).drop_duplicates()
    inside = pd.DataFrame({"operator": table["operator_id"].to_numpy(), "base": base}
                          )[(base != "") & ~suspended]
    joined = inside.merge(owners, on="base").drop_duplicates(["operator", "banned", "base"])
    own = joined["operator"] == joined["banned"]
    # a store counts once, whether one or several banned operators used its base brand
    of_owner = int(joined.loc[own].merge(inside.reset_index(), on=["operator", "base"])
                   ["index"].nunique())
    counts = joined.assign(own=own).groupby(["own", "operator", "banned"]).size()
    by_n = counts.groupby(level="own").value_counts().sort_index()
    return int(len(inside)), of_owner, by_n


def one_world(seed: int, stores: int, tmp: Path) -> tuple[list[dict], list[dict], tuple]:
    world = build_world(stores, seed, draw_rates(seed, "mixed"), "mixed")
    data = tmp / f"world-{seed}"
    write_files(world, data)
    records = read_records(data, RejectsWriter(None), date_format=world.rates.date_format)
    links = extract_identifiers(records, RejectsWriter(None)).links
    result = analyze(records.stores, links)
    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
    frame = with_store_defaults(records.stores)
    order = result.linkage.graph.stores["store_id"]
    frame = frame.set_index("store_id").loc[order].reset_index()
    t = truth.set_index("store_id").loc[order]
    flags = result.stores.set_index("store_id").loc[order, "linked_to_suspended"]
    table = pd.DataFrame({
        "store_id": order.to_numpy(), "operator_id": t["operator_id"].to_numpy(),
        "suspended": (t["is_suspended"] == "true").to_numpy(),
        "evader": (t["is_evader"] == "true").to_numpy(),
        "thread": t["planted"].str.extract(r"evader_link:(\w+)", expand=False).fillna(
            "").to_numpy(),
        "cluster_id": result.linkage.cluster_id.to_numpy(),
        "flag": flags.astype(str).str.lower().eq("true").to_numpy(),
        "brand_key": frame["brand_key"].to_numpy(), "opened": frame["opened"].to_numpy(),
        "suspended_at": frame["suspended_at"].to_numpy()})
    return (wrong_flags(world, table), missed_evaders(table, result.linkage),
            variant_rule(table, frame))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=5)
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1200)
    args = parser.parse_args(argv)
    if any(1900 <= args.seed + i <= 1999 for i in range(args.worlds)):
        print("seeds 1900-1999 are held out", file=sys.stderr)
        return 2
    flags, missed, rule_rows, pair_counts = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="graphaudit-suspensions-") as tmp:
        for i in range(args.worlds):
            seed = args.seed + i
            wrong, lost, (inside, of_owner, by_n) = one_world(seed, args.stores, Path(tmp))
            flags += [{"seed": seed, **row} for row in wrong]
            missed += [{"seed": seed, **row} for row in lost]
            rule_rows.append({"seed": seed, "in the rule": inside, "the brand's banned "
                              "operator's": of_owner})
            pair_counts.append(by_n)
            print(f"seed {seed}: wrong flags {sum(r['stores'] for r in wrong)}, missed "
                  f"evaders {sum(r['stores'] for r in lost)}, variant rule {of_owner} of "
                  f"{inside}", flush=True)
    pd.set_option("display.width", 200)
    if flags:
        frame = pd.DataFrame(flags)
        print("\nwrong linked_to_suspended flags (stores), by what the innocent part shares "
              "with the banned one:")
        print(frame.pivot_table(index="shares", columns="opened", values="stores",
                                aggfunc="sum", fill_value=0, margins=True)
              .sort_values("All", ascending=False).to_string())
    if missed:
        frame = pd.DataFrame(missed)
        frame["kind"] = np.where(frame["candidates"], "candidates", "not candidates")
        print("\nmissed evaders (stores), by candidates and distinct banned brands varied:")
        print(frame.pivot_table(index="kind", columns="variants", values="stores",
                                aggfunc="sum", fill_value=0, margins=True).to_string())
        print("\nby thread:", frame.groupby("thread")["stores"].sum().to_dict())
    rule = pd.DataFrame(rule_rows)
    print(f"\nvariant rule: {rule.iloc[:, 2].sum():,} of {rule.iloc[:, 1].sum():,} stores in "
          "the window are the brand's banned operator's")
    counts = pd.concat(pair_counts).groupby(level=[0, 1]).sum()
    print("operator pairs (active, banned) by distinct banned brands varied "
          "(own: the banned operator returning):")
    print(counts.rename_axis(["own", "brands"]).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
