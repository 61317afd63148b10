"""Why same-operator stores are left apart, by the truth: the missed pairs of family worlds.

    python bench/missed.py --seeds 1307 1314 1213          # family worlds of 5,000 stores

For each family world (built and read as ``bench/quality.py`` does, dates in the world's own
format) graphaudit's clusters are read against the truth. Each operator's largest cluster is
its *core*; each other cluster holding its stores is a *piece*, and the store pairs between a
piece and the rest of the operator are missed pairs. Every piece is classified by

* what happened to it: ``cut`` (a merge tied it to its core and a person or weak cut undid
  it), ``below`` (a candidate of its core's cluster, scoring below the threshold),
  ``apart`` (not even a candidate: nothing it shares with the core makes candidates);
* its size: one store or more;
* what its operator's stores in it share with the core, as the truth names the reason of
  each shared value (``phone:operator``: the operator's own phone; ``phone:agency``: an
  agency's, ...);

and the classes are printed by their share of the missed pairs, with the best example's
score and levels. Then, for the held values of docs/linkage.md §3: every candidate pair of a
single store and a larger cluster that shares values of exactly one kind held by that
cluster (``held_share`` of the value's stores in it), by the value's band, the stores
outside the cluster using it and the cluster's ID documents, with how many are one operator
(the pair is right when both clusters' commonest operators are one); ``--third-party febrl2
...`` adds those of third-party sets (``bench/third_party.py``). Prints
figures; asserts nothing. The held-out world seeds (``bench/held_out.py``) are refused.
"""

from __future__ import annotations

import argparse
import collections
import copy
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import third_party  # noqa: E402
from held_out import HELD_OUT_TEXT, any_held_out  # noqa: E402

from graphaudit.analysis import link  # noqa: E402
from graphaudit.identifiers import extract_identifiers  # noqa: E402
from graphaudit.linkage.levels import compare_groups, group_people  # noqa: E402
from graphaudit.linkage.weights import COMMON, LEVELS, NONE, LinkageParams  # noqa: E402
from graphaudit.records import RejectsWriter, read_records  # noqa: E402
from graphaudit.synth import build_world, draw_rates  # noqa: E402
from graphaudit.synth.output import write_files  # noqa: E402


def pieces(operator: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Each operator's clusters with its store count there: ``op, label, stores, core`` (the
    core is the operator's largest cluster, ties to the smaller label), operators of one
    cluster left out, and ``missed``: the operator's store pairs between the piece and the
    rest (the core's row: 0).

    >>> pieces(np.array([0, 0, 0, 1, 1]), np.array([5, 5, 7, 8, 8])).to_dict("list")
    {'op': [0, 0], 'label': [5, 7], 'stores': [2, 1], 'core': [5, 5], 'missed': [0, 2]}
    """
    frame = pd.DataFrame({"op": operator, "label": labels})
    cells = frame.groupby(["op", "label"]).size().rename("stores").reset_index()
    cells = cells.sort_values(["op", "stores", "label"], ascending=[True, False, True])
    cells["core"] = cells.groupby("op")["label"].transform("first")
    total = cells.groupby("op")["stores"].transform("sum")
    cells = cells[cells.groupby("op")["label"].transform("size") > 1]
    cells["missed"] = np.where(cells["label"] == cells["core"], 0,
                               cells["stores"] * (total[cells.index] - cells["stores"]))
    return cells.reset_index(drop=True)


def shared_reasons(uses: dict, store_index: pd.Index, operator: np.ndarray,
                   labels: np.ndarray, table: pd.DataFrame) -> list[tuple[str, ...]]:
    """For each piece of ``table`` (:func:`pieces`), the truth's ``kind:reason`` of the
    values its operator's stores share with the core's cluster, sorted."""
    rows = []
    for number, ((kind, _), used) in enumerate(uses.items()):
        if len(used) < 2:
            continue
        at = store_index.get_indexer(list(used))
        for where, (_, reason) in zip(at, used.values(), strict=True):
            if where >= 0:
                rows.append((number, f"{kind}:{reason}", where))
    frame = pd.DataFrame(rows, columns=["value", "why", "store"])
    frame["label"] = labels[frame["store"].to_numpy()]
    frame["op"] = operator[frame["store"].to_numpy()]
    in_core = set(zip(frame["value"], frame["label"], strict=True))
    out = []
    for piece in table.itertuples():
        mine = frame[(frame["label"] == piece.label) & (frame["op"] == piece.op)]
        reached = [(v, piece.core) in in_core for v in mine["value"]]
        out.append(tuple(sorted(set(mine.loc[reached, "why"]))))
    return out


def held_kinds(evidence, labels: np.ndarray, pairs: np.ndarray, shared: pd.DataFrame,
               model, share: float) -> pd.DataFrame:
    """Per candidate pair, the kinds (families, the person once) of values the larger group
    holds (``share`` of the value's stores in it, commonest band or rarer) and the best band
    of them, as ``levels.held_merges`` counts them, the most stores outside the larger group
    using one of them and the larger group's distinct ID documents (``held_outside`` and
    ``held_people``): ``pair, kinds, level, outside, people``."""
    n_stores = len(labels)
    own = np.ones(len(evidence.value), dtype=bool) if evidence.variant is None else \
        ~evidence.variant
    frame = pd.DataFrame({"v": evidence.value[own], "s": evidence.store[own]}).drop_duplicates()
    stores_of_value = np.bincount(frame["v"], minlength=len(evidence.comp))
    held = frame.assign(g=labels[frame["s"].to_numpy()]).groupby(["v", "g"]).size()
    size = np.bincount(labels, minlength=n_stores)
    pair = shared["pair"].to_numpy()
    a, b = pairs[pair, 0], pairs[pair, 1]
    larger = np.where(size[a] >= size[b], a, b)
    count = held.reindex(list(zip(shared["value"], larger, strict=True))).fillna(0).to_numpy()
    is_held = (shared["level"].to_numpy() >= COMMON) & \
        (count >= share * stores_of_value[shared["value"].to_numpy()])
    once = copy.copy(model)
    once.once_per_family = (*model.once_per_family, "person")
    family = np.asarray(once.families(), dtype=object)[shared["comp"].to_numpy()]
    outside = stores_of_value[shared["value"].to_numpy()] - count
    people = group_people(evidence, labels, frame["v"].to_numpy(), frame["s"].to_numpy())
    rows = pd.DataFrame({"pair": pair, "family": family, "level": shared["level"].to_numpy(),
                         "outside": outside, "people": people[larger]})
    rows = rows[is_held]
    return rows.groupby("pair").agg(kinds=("family", "nunique"), level=("level", "max"),
                                    outside=("outside", "max"), people=("people", "first")
                                    ).reset_index()


def world(seed: int, stores: int, tmp: Path, params: LinkageParams
          ) -> tuple[list[dict], pd.DataFrame]:
    """The classified pieces of one world and its single stores' one-kind held pairs."""
    rates = draw_rates(seed, "mixed")
    built = build_world(stores, seed, rates, "mixed")
    data = tmp / f"world-{seed}"
    write_files(built, data)
    records = read_records(data, RejectsWriter(None), date_format=rates.date_format)
    links = extract_identifiers(records, RejectsWriter(None)).links
    linkage = link(records.stores, links, params=params)
    resolution = linkage.resolution
    evidence, labels, model = resolution.evidence, resolution.labels, resolution.model
    store_ids = pd.Index(linkage.graph.stores["store_id"].to_numpy())
    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
    operator = pd.factorize(truth.set_index("store_id").loc[store_ids, "operator_id"])[0]
    table = pieces(operator, labels)
    rest = table[table["missed"] > 0].reset_index(drop=True)
    rest["why"] = shared_reasons(built.written_uses(), store_ids, operator, labels, rest)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params)
    score = model.score(levels, chances)
    key = pd.Series(np.arange(len(pairs)), index=pd.MultiIndex.from_arrays([pairs[:, 0],
                                                                             pairs[:, 1]]))
    merges = resolution.merges
    weak = merges[merges["weak"]]
    cut = set(zip(np.minimum(labels[weak["a"]], labels[weak["b"]]),
                  np.maximum(labels[weak["a"]], labels[weak["b"]]), strict=True))
    rows = []
    for piece in rest.itertuples():
        lo, hi = min(piece.label, piece.core), max(piece.label, piece.core)
        at = key.get((lo, hi))
        status = "cut" if (lo, hi) in cut else ("below" if at is not None else "apart")
        levels_text = "" if at is None else ", ".join(
            f"{evidence.comparisons[c]} {LEVELS[levels[at, c]]} "
            f"{model.weights[c, levels[at, c]]:+.1f} - {chances[at, c]:.1f}"
            for c in range(len(evidence.comparisons)) if levels[at, c] > NONE)
        rows.append({"seed": seed, "status": status,
                     "piece": "one store" if piece.stores == 1 else "more",
                     "why": " + ".join(piece.why) or "nothing", "missed": piece.missed,
                     "score": np.nan if at is None else score[at], "levels": levels_text})
    held = held_singles(evidence, labels, pairs, shared, model, params, operator, seed)
    cells = pd.DataFrame({"op": operator, "g": labels}).groupby(["op", "g"]).size()
    recall = _pairs(cells.to_numpy()) / _pairs(np.bincount(operator))
    print(f"seed {seed}: pairwise recall {recall:.3f}, {len(rest):,} pieces", flush=True)
    return rows, held


def held_singles(evidence, labels: np.ndarray, pairs: np.ndarray, shared: pd.DataFrame, model,
                 params: LinkageParams, operator: np.ndarray, name) -> pd.DataFrame:
    """The candidate pairs of a single store and a larger cluster that share exactly one kind
    of value the larger holds, each with its band, the stores outside the holder using it
    (``1`` or ``2+``), the holder's ID documents (``0`` to ``3+``) and ``right``: both
    clusters' commonest operators are one."""
    held = held_kinds(evidence, labels, pairs, shared, model, params.held_share)
    size = np.bincount(labels, minlength=len(labels))
    major = pd.DataFrame({"g": labels, "op": operator}).groupby("g")["op"].agg(
        lambda ops: ops.value_counts().index[0])
    held["small"] = np.minimum(size[pairs[held["pair"], 0]], size[pairs[held["pair"], 1]])
    held["right"] = (major.reindex(pairs[held["pair"], 0]).to_numpy()
                     == major.reindex(pairs[held["pair"], 1]).to_numpy())
    held = held[(held["small"] == 1) & (held["kinds"] == 1)]
    return held.assign(seed=name, band=[LEVELS[level] for level in held["level"]],
                       outside=np.where(held["outside"] >= 2, "2+", "1"),
                       ids=[str(n) if n < 3 else "3+" for n in held["people"]])


def third(name: str, tmp: Path, params: LinkageParams) -> pd.DataFrame:
    """A third-party set's (``bench/third_party.py``) single stores' one-kind held pairs."""
    data = third_party.write_set(name, tmp / name)
    records = read_records(data, RejectsWriter(None))
    links = extract_identifiers(records, RejectsWriter(None)).links
    resolution = link(records.stores, links, params=params).resolution
    labels = resolution.labels
    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
    operator = pd.factorize(truth.set_index("store_id").loc[records.stores["store_id"],
                                                              "operator_id"])[0]
    pairs, _, shared, _ = compare_groups(resolution.evidence, labels, params)
    print(f"{name}: read", flush=True)
    return held_singles(resolution.evidence, labels, pairs, shared, resolution.model, params,
                        operator, name)


def _pairs(sizes: np.ndarray) -> int:
    return int((sizes.astype(np.int64) * (sizes - 1) // 2).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1307, 1314, 1213])
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--top", type=int, default=12, help="classes printed per world")
    parser.add_argument("--third-party", nargs="*", default=[], metavar="SET",
                        help="also the held pairs of these third-party sets (febrl2, ...)")
    parser.add_argument("--held-people", type=int, default=LinkageParams().held_people,
                        help="LinkageParams.held_people (0: the engine before it, whose "
                             "single stores it joins are then counted)")
    args = parser.parse_args(argv)
    if any_held_out(args.seeds):
        parser.error(HELD_OUT_TEXT)
    everything, held = [], []
    params = LinkageParams(held_people=args.held_people)
    with tempfile.TemporaryDirectory(prefix="graphaudit-missed-") as tmp:
        for seed in args.seeds:
            rows, pairs = world(seed, args.stores, Path(tmp), params)
            everything.extend(rows)
            held.append(pairs)
            _classes(pd.DataFrame(rows), args.top)
        held.extend(third(name, Path(tmp), params) for name in args.third_party)
    frame = pd.DataFrame(everything)
    if len(args.seeds) > 1 and not frame.empty:
        print(f"\nall {len(args.seeds)} worlds (share of the missed pairs):")
        _classes(frame, args.top)
    table = pd.concat(held, ignore_index=True)
    if not table.empty:
        print("\nsingle stores sharing one kind of value held by a larger cluster, by the "
              "stores outside it using the value and the holder's ID documents "
              "(pairs one operator / all):")
        counts = table.groupby(["seed", "band", "outside", "ids"])["right"].agg(["sum", "size"])
        print("\n".join(f"  {seed:<12} {band:<18} outside {out:<3} IDs {ids:<3} "
                        f"{int(r['sum']):>4} / {int(r['size']):<4}"
                        for (seed, band, out, ids), r in counts.iterrows()))
    return 0


def _classes(frame: pd.DataFrame, top: int) -> None:
    if frame.empty:
        print("  nothing missed")
        return
    total = frame["missed"].sum()
    grouped = frame.groupby(["status", "piece", "why"])
    weight = grouped["missed"].sum().sort_values(ascending=False)
    example: dict = collections.defaultdict(str)
    for name, group in grouped:
        best = group.sort_values("missed", ascending=False).iloc[0]
        example[name] = ("" if pd.isna(best["score"]) else
                         f"score {best['score']:+.2f}: {best['levels']}")
    for name, missed in weight.head(top).items():
        print(f"  {100 * missed / total:5.1f} %  {' / '.join(name)}")
        if example[name]:
            print(f"           {example[name]}")


if __name__ == "__main__":
    sys.exit(main())
