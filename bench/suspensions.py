"""Why evaders are missed and why innocent stores are flagged linked_to_suspended, by the truth.

    python bench/suspensions.py --worlds 20 --seed 1200      # family worlds of 5,000 stores

For each family world (as ``bench/quality.py`` builds and reads it, dates in the world's own
format) graphaudit's clusters are read against the truth four ways:

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
* **wrong flags by the merge that made them**: for each wrongly flagged store, the first merge
  joining two true operators on its path: the merge that joined its group, until then its
  operator's alone, to another operator's stores (rows of ``Resolution.merges`` in round
  order, weak cuts left out), classified by how it was decided (a return after a ban, held
  values) and by its items as evidence.csv writes them, each with the groups using its value
  when the merge was made: an ID document on both sides; two identifiers of 10+ groups
  (services); one of 10+ groups beside a smaller address, a smaller phone, e-mail or
  account, or a brand; an address as the merge's only item (2-9 groups, 10+); other.
  Counted per world and pooled, as flags, distinct merges and distinct values merged on,
  beside the right flags (and the evaders among them), with the merges that raised the most,
  and every merge beside a ban by cause (one operator's or two, the evaders it joined);
* **the variant rule alone**: of the active stores whose brand varies a suspended brand and
  that opened within the rule's window after a ban of that brand (the brand's ``near`` level,
  ``scoring.brand_variant_windows``), how many are that brand's banned operator's; and the
  pairs of operators (active, banned) by how many distinct brands of the banned one the
  active one varies.

The thread of a returning operator (account, warehouse, phone, ID) is the generator's intent,
not what the records hold. Prints figures; asserts nothing. The held-out world seeds
(``bench/held_out.py``) are refused.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphaudit.analysis import analyze, with_store_defaults
from graphaudit.identifiers import extract_identifiers
from graphaudit.linkage.levels import compare_groups
from graphaudit.linkage.waterfall import link_items
from graphaudit.records import RejectsWriter, read_records
from graphaudit.scoring import brand_variant_bases, brand_variant_windows, brand_variants
from graphaudit.synth import World, build_world, draw_rates
from graphaudit.synth.output import write_files

sys.path.insert(0, str(Path(__file__).resolve().parent))

from held_out import HELD_OUT_TEXT, any_held_out  # noqa: E402

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


#: the truth's kinds of the identifiers of each comparison (by its name before the colon)
TRUTH_KINDS = {"address": ("address",), "id_document": ("id",), "payment": ("account",),
               "phone+email": ("phone", "email")}

#: why a merge joined two operators, in the order :func:`merge_cause` tests them
CAUSES = ("a return after a ban", "held values", "a person (ID document) on both",
          "two services of 10+ groups", "a small service address plus a 10+ service",
          "a small phone, e-mail or account plus a 10+ service", "a 10+ service plus a brand",
          "a single address of 2-9 groups", "a single address of 10+ groups", "other")

#: a value used by this many groups (final clusters) or more is a service's
SERVICE_GROUPS = 10


def first_cross_merges(merges: pd.DataFrame, operator: np.ndarray, stores: np.ndarray
                       ) -> pd.Series:
    """For each store of ``stores``, the row of ``merges`` that first joined two true
    operators on its path to another operator's store (indexed by store).

    Rounds in order, weak cuts left out: within a round the groups (as the earlier rounds left
    them) and that round's merges between them form a graph, walked breadth first from the
    store's group, while it is its operator's alone, to the first group that is not. If that
    group holds stores of the store's operator, they met the other operator earlier: the
    store's merge is theirs; else it is the merge just walked.
    """
    n_stores = len(operator)
    code = pd.factorize(operator)[0]
    kept = merges[~merges["weak"].to_numpy(dtype=bool)]
    wanted = np.isin(code, code[np.asarray(stores, dtype=np.int64)])
    left = set(np.flatnonzero(wanted).tolist())
    out: dict[int, int] = {}
    for round_number, part in kept.groupby("round", sort=True):
        if not left:
            break
        labels = groups_before(kept, round_number, True, n_stores)
        ops = pd.DataFrame({"label": labels, "op": code}).drop_duplicates()
        alone = ops.groupby("label")["op"].agg(lambda x: x.iloc[0] if len(x) == 1 else -1)
        met = collections.defaultdict(list)  # (group, operator): its stores that met another
        for store in out:
            met[(int(labels[store]), int(code[store]))].append(store)
        graph = nx.Graph()
        graph.add_edges_from(
            (int(labels[a]), int(labels[b]), {"row": row})
            for row, a, b in zip(part.index, part["a"], part["b"], strict=True))
        for store in sorted(left):
            if int(labels[store]) not in graph:
                continue
            for u, v in nx.bfs_edges(graph, int(labels[store])):
                if alone[v] == code[store]:
                    continue
                earlier = met.get((v, int(code[store])))
                out[store] = out[min(earlier)] if earlier else graph.edges[u, v]["row"]
                left.discard(store)
                break
    found = pd.Series(out, dtype=np.int64)
    return found[found.index.isin(np.asarray(stores))].sort_index()


def truth_uses(world: World, store_ids: pd.Index) -> pd.DataFrame:
    """One row per use of a shared value by a store (``store`` its index in ``store_ids``):
    ``kind, value, store`` and the truth's ``reason`` of sharing it, by family
    (:data:`FAMILIES`; ``operator``: one operator's own)."""
    reason = {(v.kind, v.value): "+".join(sorted({FAMILIES.get(r, r) for r in
                                                  v.reason.split("+")}))
              for v in world.shared}
    rows = [(kind, value, store, reason[(kind, value)])
            for (kind, value), used in world.uses.items() if (kind, value) in reason
            for store in used]
    frame = pd.DataFrame(rows, columns=["kind", "value", "store_id", "reason"])
    frame["store"] = store_ids.get_indexer(frame.pop("store_id"))
    return frame[frame["store"] >= 0]


def groups_before(merges: pd.DataFrame, round_number: int, after_cuts: bool,
                  n_stores: int) -> np.ndarray:
    """The group label of every store when the merges of ``round_number`` were made: the
    merges of earlier rounds joined, less the weak cuts for merges made ``after_cuts`` (held
    values, returns, co-used hubs: those not ``decided`` by ``score``)."""
    earlier = merges["round"].to_numpy() < round_number
    if after_cuts:
        earlier &= ~merges["weak"].to_numpy(dtype=bool)
    a, b = merges["a"].to_numpy(np.int64)[earlier], merges["b"].to_numpy(np.int64)[earlier]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n_stores, n_stores))
    return connected_components(graph, directed=False)[1]


def merge_items(linkage, edges, uses: pd.DataFrame) -> pd.DataFrame:
    """The items that count in the merges ``edges`` (:func:`~.waterfall.link_items`, what
    evidence.csv writes), each with ``groups``: the groups using its value when the merge was
    made (:func:`groups_before`), and ``reason``: the truth's reason of sharing it
    (:func:`truth_uses`: the shared value with most of the item's stores; ``""`` for names and
    brands)."""
    items = link_items(linkage, edges).reset_index(drop=True)
    merges = linkage.resolution.merges
    n_stores = len(linkage.resolution.labels)
    moment = pd.DataFrame({"round": merges["round"].to_numpy(),
                           "after_cuts": merges["decided"].to_numpy() != "score"})
    evidence = linkage.resolution.evidence
    ident = evidence.value_ident[evidence.value]
    comparison = np.asarray(evidence.comparisons, dtype=object)[evidence.comp[evidence.value]]
    rows = pd.DataFrame({"thing": np.where(ident >= 0, "#" + ident.astype(str),
                                           comparison + ":" + evidence.value_text[
                                               evidence.value].astype(str)),
                         "store": evidence.store}).drop_duplicates()
    items["thing"] = np.where(items["ident"] >= 0, "#" + items["ident"].astype(str),
                              items["comparison"] + ":" + items["key"].astype(str))
    groups = items[["edge", "thing"]].merge(rows, on="thing").join(moment, on="edge")
    groups["label"] = -1
    for (round_number, after_cuts), at in groups.groupby(["round", "after_cuts"]).groups.items():
        labels = groups_before(merges, round_number, after_cuts, n_stores)
        groups.loc[at, "label"] = labels[groups.loc[at, "store"].to_numpy()]
    items["groups"] = pd.MultiIndex.from_frame(items[["edge", "thing"]]).map(
        groups.groupby(["edge", "thing"])["label"].nunique()).fillna(0).astype(int)
    used = items[["thing", "comparison"]].drop_duplicates().merge(rows, on="thing")
    used["truth"] = used["comparison"].str.split(":").str[0].map(TRUTH_KINDS)
    used = used.dropna(subset=["truth"]).explode("truth").merge(
        uses, left_on=["truth", "store"], right_on=["kind", "store"])
    best = (used.groupby(["thing", "kind", "value", "reason"]).size().rename("n")
            .reset_index().sort_values(["thing", "n"], ascending=[True, False])
            .drop_duplicates("thing").set_index("thing")["reason"])
    items["reason"] = items["thing"].map(best).fillna("")
    return items.drop(columns="thing")


def merge_cause(decided: str, items: pd.DataFrame) -> str:
    """Why one merge joined two operators (one of :data:`CAUSES`), from how it was decided
    and its items (``comparison``, ``groups``): a return or held values by their own rule;
    else an ID document on both sides; else by the identifiers of :data:`SERVICE_GROUPS` or
    more groups (services) beside a smaller address, a smaller phone, e-mail or account, or a
    brand; else an address that is the merge's only item, by its groups."""
    if decided.startswith("return after a ban"):
        return "a return after a ban"
    if decided == "held values":
        return "held values"
    comparison = items["comparison"].astype(str)
    if (comparison == "id_document").any():
        return "a person (ID document) on both"
    idents = items[comparison != "brand"]
    big = idents["groups"] >= SERVICE_GROUPS
    small_address = idents["comparison"].str.startswith("address:") & ~big
    if big.sum() >= 2:
        return "two services of 10+ groups"
    if big.sum() == 1 and small_address.any():
        return "a small service address plus a 10+ service"
    if big.sum() == 1 and (idents["comparison"].isin(["payment", "phone+email"]) & ~big).any():
        return "a small phone, e-mail or account plus a 10+ service"
    if big.sum() == 1 and (comparison == "brand").any():
        return "a 10+ service plus a brand"
    if len(items) == 1 and items["comparison"].iloc[0].startswith("address:"):
        return ("a single address of 10+ groups" if big.all() else
                "a single address of 2-9 groups")
    return "other"


def flag_causes(table: pd.DataFrame, linkage, uses: pd.DataFrame
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every wrong flag (``table``'s rows flagged whose operator has no suspended store) with
    the first merge on its path that joined two operators (:func:`first_cross_merges`), and
    those merges with their cause (:func:`merge_cause`) and items (:func:`merge_items`)."""
    banned_ops = set(table.loc[table["suspended"], "operator_id"])
    wrong = np.flatnonzero(table["flag"].to_numpy() &
                           ~table["operator_id"].isin(banned_ops).to_numpy())
    merges = linkage.resolution.merges
    edge = first_cross_merges(merges, table["operator_id"].to_numpy(), wrong)
    flags = pd.DataFrame({"store": wrong, "edge": edge.reindex(wrong).fillna(-1).astype(
        np.int64).to_numpy()})
    rows = np.unique(edge.to_numpy())
    items = merge_items(linkage, rows, uses)
    by_edge = dict(tuple(items.groupby("edge")))
    empty = items.iloc[:0]
    found = merges.loc[rows, ["decided", "score"]].reset_index(names="edge")
    found["cause"] = [merge_cause(decided, by_edge.get(row, empty))
                      for row, decided in zip(found["edge"], found["decided"], strict=True)]
    found["values"] = [" ".join(sorted(by_edge[row]["comparison"] + "=" +
                                       by_edge[row]["key"].astype(str))) if row in by_edge
                       else "" for row in found["edge"]]
    found["items"] = [" + ".join(f"{i.comparison} {i.groups}g {i.reason or '-'} "
                                 f"{i.weight:+.1f}" for i in by_edge.get(row, empty)
                                 .itertuples()) for row in found["edge"]]
    flags = flags.merge(found[["edge", "cause"]], on="edge", how="left")
    flags["cause"] = flags["cause"].fillna("(no path)")
    found["flags"] = found["edge"].map(flags["edge"].value_counts()).fillna(0).astype(int)
    return flags, found


def merges_by_cause(table: pd.DataFrame, linkage, uses: pd.DataFrame) -> pd.DataFrame:
    """Every merge (weak cuts left out) inside a final cluster that holds a suspended store,
    with its cause (:func:`merge_cause`), its ``score``, whether the commonest true operators
    of the two groups it joined differ (``two``), and the ``evaders`` it joined to their operator's
    suspended stores (evading stores on one side, their operator's first suspended store on
    the other): what a rule against that cause would cost the evaders linked, at most."""
    merges = linkage.resolution.merges
    labels = linkage.resolution.labels
    suspended = table["suspended"].to_numpy()
    kept = merges[~merges["weak"].to_numpy(dtype=bool) &
                  np.isin(labels[merges["a"].to_numpy(np.int64)], labels[suspended])]
    if kept.empty:
        return pd.DataFrame(columns=["edge", "cause", "two", "evaders", "score"])
    items = merge_items(linkage, kept.index.to_numpy(), uses)
    by_edge = dict(tuple(items.groupby("edge")))
    code = pd.factorize(table["operator_id"])[0]
    stores = pd.DataFrame({"op": code, "suspended": suspended,
                           "evader": table["evader"].to_numpy()})
    parts = []
    for (round_number, decided), part in kept.groupby(["round", "decided"]):
        group = groups_before(merges, round_number, decided != "score", len(labels))
        cells = stores.assign(label=group).groupby(["label", "op"]).agg(
            suspended=("suspended", "sum"), evader=("evader", "sum"),
            n=("suspended", "size")).reset_index()
        common = cells.sort_values("n", ascending=False).drop_duplicates("label").set_index(
            "label")["op"]
        pairs = pd.DataFrame({"edge": part.index, "ga": group[part["a"].to_numpy(np.int64)],
                              "gb": group[part["b"].to_numpy(np.int64)],
                              "score": part["score"].to_numpy()})
        columns = ["edge", "op", "suspended", "evader"]
        sides = pairs.merge(cells, left_on="ga", right_on="label")[columns].merge(
            pairs.merge(cells, left_on="gb", right_on="label")[columns], on=["edge", "op"],
            how="outer", suffixes=("_a", "_b")).fillna(0)
        joined = (np.where((sides["suspended_b"] > 0) & (sides["suspended_a"] == 0),
                           sides["evader_a"], 0) +
                  np.where((sides["suspended_a"] > 0) & (sides["suspended_b"] == 0),
                           sides["evader_b"], 0))
        pairs["evaders"] = pairs["edge"].map(pd.Series(joined, index=sides[
            "edge"].to_numpy(np.int64)).groupby(level=0).sum()).fillna(0).astype(int)
        pairs["two"] = common.reindex(pairs["ga"]).to_numpy() != common.reindex(
            pairs["gb"]).to_numpy()
        pairs["cause"] = [merge_cause(decided, by_edge.get(row, items.iloc[:0]))
                          for row in pairs["edge"]]
        parts.append(pairs[["edge", "cause", "two", "evaders", "score"]])
    return pd.concat(parts, ignore_index=True)


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


def one_world(seed: int, stores: int, tmp: Path) -> tuple[
        list[dict], list[dict], tuple, tuple[pd.DataFrame, pd.DataFrame, int, int, pd.DataFrame]]:
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
    uses = truth_uses(world, pd.Index(order))
    flags, merges = flag_causes(table, result.linkage, uses)
    banned_ops = set(table.loc[table["suspended"], "operator_id"])
    right = table[table["flag"] & table["operator_id"].isin(banned_ops)]
    return (wrong_flags(world, table), missed_evaders(table, result.linkage),
            variant_rule(table, frame), (flags, merges, len(right), int(right["evader"].sum()),
                                         merges_by_cause(table, result.linkage, uses)))


def cause_counts(flags: pd.DataFrame, merges: pd.DataFrame) -> pd.DataFrame:
    """Wrong flags (and of them, those whose merge scored under +1 bit), distinct merges and
    distinct sets of values merged on per cause (rows: :data:`CAUSES`), per ``seed`` and
    pooled: columns ``(seed or "all", "flags" | "under_1" | "merges" | "values")``."""
    def counts(f: pd.DataFrame, m: pd.DataFrame) -> pd.DataFrame:
        m = m[m["flags"] > 0]
        low = pd.MultiIndex.from_frame(m.loc[m["score"] < 1, ["seed", "edge"]])
        under = pd.MultiIndex.from_frame(f[["seed", "edge"]]).isin(low)
        return pd.DataFrame({"flags": f["cause"].value_counts(),
                             "under_1": f.loc[under, "cause"].value_counts(),
                             "merges": m["cause"].value_counts(),
                             "values": m.drop_duplicates(["seed", "cause", "values"])["cause"]
                             .value_counts()})
    parts = {"all": counts(flags, merges)}
    for seed, f in flags.groupby("seed"):
        parts[seed] = counts(f, merges[merges["seed"] == seed])
    out = pd.concat(parts, axis=1).fillna(0).astype(int)
    order = [c for c in CAUSES if c in out.index] + [c for c in out.index if c not in CAUSES]
    return out.reindex(order)


def print_causes(flags: pd.DataFrame, merges: pd.DataFrame, rights: pd.DataFrame,
                 every: pd.DataFrame) -> None:
    """The wrong flags by the cause of the first merge on their path, pooled and per world,
    beside the right flags; the merges that raised most of them; every merge beside a ban by
    cause (:func:`merges_by_cause`)."""
    rights = rights.set_index("seed")
    wrong = flags.groupby("seed").size().reindex(rights.index, fill_value=0)
    rights["wrong flags"] = wrong
    rights["precision %"] = (100 * rights["right flags"] /
                             (rights["right flags"] + wrong)).round(1)
    total = rights[["right flags", "of them evaders", "wrong flags"]].sum()
    print(f"\nlinked_to_suspended: {total['wrong flags']:,} wrong flags from "
          f"{int((merges['flags'] > 0).sum()):,} merges, {total['right flags']:,} right "
          f"({total['of them evaders']:,} evaders); pooled precision "
          f"{100 * total['right flags'] / max(total['right flags'] + total['wrong flags'], 1):.1f}"
          " %")
    print(rights.to_string())
    if flags.empty:
        return
    table = cause_counts(flags, merges)
    print("\nwrong flags, distinct merges and distinct sets of values merged on, by the cause "
          "of the first merge joining two operators on their path, pooled:")
    print(table["all"].to_string())
    if len(every):
        two = every["two"].astype(bool)
        every = every.assign(one=~two, one_below_1=~two & (every["score"] < 1),
                             two_below_1=two & (every["score"] < 1),
                             one_score=every["score"].where(~two),
                             two_score=every["score"].where(two))
        print("\nevery merge inside a cluster with a suspended store, by cause: of one "
              "operator / two (commonest operators of its groups), those scoring under +1 bit, "
              "their median scores, and the evaders it joined to their suspended stores (what "
              "a rule against the cause would cost, at most):")
        print(every.groupby("cause").agg(
            merges=("edge", "size"), one=("one", "sum"), two=("two", "sum"),
            one_under_1=("one_below_1", "sum"), two_under_1=("two_below_1", "sum"),
            one_median=("one_score", "median"), two_median=("two_score", "median"),
            evaders_joined=("evaders", "sum"))
            .reindex([c for c in CAUSES if c in set(every["cause"])]).round(2).to_string())
    print("\nper world (flags):")
    print(table.xs("flags", axis=1, level=1).drop(columns="all").T.to_string())
    print("\nthe merges that raised the most wrong flags (items: comparison, groups using the "
          "value, the truth's reason, weight):")
    top = merges.sort_values("flags", ascending=False).head(15)
    print(top[["seed", "edge", "flags", "cause", "decided", "score", "items"]]
          .to_string(index=False, max_colwidth=110))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=5)
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1200)
    args = parser.parse_args(argv)
    if any_held_out(range(args.seed, args.seed + args.worlds)):
        print(HELD_OUT_TEXT, file=sys.stderr)
        return 2
    flags, missed, rule_rows, pair_counts = [], [], [], []
    causes, merges, rights, everything = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="graphaudit-suspensions-") as tmp:
        for i in range(args.worlds):
            seed = args.seed + i
            wrong, lost, (inside, of_owner, by_n), (why, joins, right, evaders, every) = \
                one_world(seed, args.stores, Path(tmp))
            causes.append(why.assign(seed=seed))
            everything.append(every.assign(seed=seed))
            merges.append(joins.assign(seed=seed))
            rights.append({"seed": seed, "right flags": right, "of them evaders": evaders})
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
    print_causes(pd.concat(causes, ignore_index=True), pd.concat(merges, ignore_index=True),
                 pd.DataFrame(rights), pd.concat(everything, ignore_index=True))
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
