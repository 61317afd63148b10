"""Linkage quality on worlds graphaudit was not tuned on, beside a fixed cut-off and Splink.

    python bench/quality.py                          # quick: 5 worlds of 2,000 stores
    python bench/quality.py --worlds 20 --stores 5000 --csv out/quality.csv
    python bench/quality.py --profile adversarial --worlds 20
    python bench/quality.py --worlds 0 --third-party # Febrl, RLdata, PatentsView only
    python bench/quality.py --no-splink              # without the peer (faster)

Each world comes from the family (``graphaudit sample``; world i has seed ``--seed + i``, which
also draws its rates, the way its dates are written among them). Its dates are read in that
format, as ``--date-format`` would read them (``--no-date-format``: without it, as figures before
2026-11-30's fifth session were). On each, on the same records and the same normalized keys:

* graphaudit: ``read_records`` -> ``extract_identifiers`` -> ``analyze`` (what ``graphaudit
  analyze`` runs, without writing files);
* connected components linking on any shared key used by at most K stores (``--cutoffs``);
* Splink (``bench/peers.py``: keys per kind and frequency band, trained once and clustered at
  match probabilities 0.01, 0.5 and 0.9, all printed; ``--splink-quick`` adds the configuration
  of earlier figures), unless ``--no-splink`` or not installed (``make bench-install``).

Figures per method: pairwise and B-cubed precision/recall/F1, the largest cluster (stores, and
operators in it), the share of ban-evading stores clustered with a suspended store of their own
operator, the precision and recall of ``linked_to_suspended``, the clusters that mix operators,
and seconds (keys: reading and normalizing, shared by all methods; each method: its own work).
Stores the reader rejects count as unlinked singletons. Summary: the median and the worst over
the worlds. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import peers  # noqa: E402
import third_party  # noqa: E402

from graphaudit import normalize  # noqa: E402
from graphaudit.analysis import analyze  # noqa: E402
from graphaudit.identifiers import extract_identifiers  # noqa: E402
from graphaudit.records import RejectsWriter, read_records  # noqa: E402
from graphaudit.synth import World, build_world, draw_rates  # noqa: E402
from graphaudit.synth.output import write_files  # noqa: E402

# For each figure: True when higher is better (the worst is the minimum).
FIGURES = {
    "pair_P": True, "pair_R": True, "pair_F1": True, "b3_P": True, "b3_R": True, "b3_F1": True,
    "largest": False, "largest_ops": False, "evaders_linked": True, "lts_P": True,
    "lts_R": True, "mixed_clusters": False, "mixed_stores": False, "seconds": False,
}


# ---- scores -------------------------------------------------------------------------------------
def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def scores(predicted: np.ndarray, truth: pd.DataFrame) -> dict[str, float]:
    """Every figure of one labelling ``predicted`` (aligned with ``truth``'s rows)."""
    frame = pd.DataFrame({"p": predicted, "t": truth["operator_id"].to_numpy()})
    cells = frame.groupby(["p", "t"]).size()
    tp = _pairs(cells.to_numpy())
    p_sizes = frame.groupby("p").size()
    t_sizes = frame.groupby("t").size()
    pred_pairs, true_pairs = _pairs(p_sizes.to_numpy()), _pairs(t_sizes.to_numpy())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    shared = frame.set_index(["p", "t"]).index.map(cells).to_numpy()
    b_precision = float(np.mean(shared / frame["p"].map(p_sizes).to_numpy()))
    b_recall = float(np.mean(shared / frame["t"].map(t_sizes).to_numpy()))
    ops_per_cluster = frame.groupby("p")["t"].nunique()
    largest = p_sizes.idxmax()
    mixed = ops_per_cluster[ops_per_cluster > 1]
    return {
        "pair_P": precision, "pair_R": recall, "pair_F1": _f1(precision, recall),
        "b3_P": b_precision, "b3_R": b_recall, "b3_F1": _f1(b_precision, b_recall),
        "largest": int(p_sizes.max()), "largest_ops": int(ops_per_cluster[largest]),
        "mixed_clusters": len(mixed),
        "mixed_stores": float(p_sizes.reindex(mixed.index).sum() / len(frame)),
        **_suspension_figures(frame["p"], truth),
    }


def _suspension_figures(labels: pd.Series, truth: pd.DataFrame) -> dict[str, float]:
    """Evaders linked, and linked_to_suspended as the clusters imply it (an active store whose
    cluster holds a suspended store) against the truth (its operator has a suspended store)."""
    suspended = truth["is_suspended"].to_numpy() == "true"
    if not suspended.any():
        return {"evaders_linked": float("nan"), "lts_P": float("nan"), "lts_R": float("nan")}
    label = labels.to_numpy()
    operator = truth["operator_id"].to_numpy()
    banned_clusters = set(label[suspended])
    flagged = ~suspended & np.isin(label, list(banned_clusters))
    ops_with_suspension = set(operator[suspended])
    should = ~suspended & np.isin(operator, list(ops_with_suspension))
    evader = truth["is_evader"].to_numpy() == "true"
    own = set(zip(operator[suspended], label[suspended], strict=True))
    hits = [(o, lab) in own for o, lab in zip(operator[evader], label[evader], strict=True)]
    return {
        "evaders_linked": float(np.mean(hits)) if hits else float("nan"),
        "lts_P": float((flagged & should).sum() / flagged.sum()) if flagged.any() else np.nan,
        "lts_R": float((flagged & should).sum() / should.sum()) if should.any() else float("nan"),
    }


# ---- one data set -------------------------------------------------------------------------------
def _aligned(store_ids: pd.Series, labels: np.ndarray, truth: pd.DataFrame) -> np.ndarray:
    """Labels in truth order; stores the methods never saw get labels of their own."""
    mapped = pd.Series(np.asarray(labels).astype(str), index=store_ids.to_numpy(), dtype=object)
    out = truth["store_id"].map(mapped)
    out = out.where(out.notna(), "unread:" + truth["store_id"])
    return pd.factorize(out)[0]


def ceiling(world: World) -> tuple[pd.Series, np.ndarray]:
    """The best a linkage can do without innocent evidence: components over the canonical
    values that only their own operator uses (misread and mistyped writings included, since the
    truth knows what they stand for), of the kinds the export writes (an e-mail column left out
    of it carries no evidence). Precision 1 by construction; its recall is the share of
    same-operator pairs that any evidence of the records could reach."""
    stores = pd.Series([s.store_id for s in world.stores])
    index = pd.Index(stores)
    store, key = [], []
    for number, uses in enumerate(world.written_uses().values()):
        reasons = {reason for _, reason in uses.values()}
        if len(uses) > 1 and reasons == {"operator"} and \
                len({op for op, _ in uses.values()}) == 1:
            store.extend(index.get_indexer(list(uses)))
            key.extend([number] * len(uses))
    return stores, peers.components(len(index), np.array(store, dtype=np.int64),
                                    np.array(key, dtype=np.int64))


def _timed(func, *args, **kwargs):
    """``func``'s result, wall seconds and CPU seconds of this process (user + system, every
    thread: DuckDB's for Splink). On a shared machine the wall seconds follow the load; the
    CPU seconds are what the two methods are compared by."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(data: Path, name: str, cutoffs: list[int], splink: bool,
            splink_quick: bool = False, date_format: str | None = None,
            repeat: int = 1) -> list[dict]:
    """Every method on the data directory ``data`` (with its truth.csv), its dates read in
    ``date_format`` first (what ``--date-format`` gives ``graphaudit analyze``).

    ``repeat`` runs graphaudit and Splink that many times, alternating (graphaudit, Splink,
    graphaudit, ...: both see the same machine state), and gives the median seconds of each."""
    truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
    started = time.perf_counter()
    records = read_records(data, RejectsWriter(None), date_format=date_format)
    links = extract_identifiers(records, RejectsWriter(None)).links
    keys_seconds = time.perf_counter() - started
    store_ids = records.stores["store_id"]
    base = {"data": name, "stores": len(truth), "read": len(store_ids) / max(1, len(truth)),
            "keys_seconds": keys_seconds}
    rows = []

    if store_ids.empty:  # nothing read: every method is left with singletons
        singletons = np.arange(len(truth))
        return [{**base, "method": method, **scores(singletons, truth), "seconds": 0.0}
                for method in ["graphaudit", *(f"cut-off {c}" for c in cutoffs),
                               *([f"splink p>={t:g}" for t in peers.THRESHOLDS]
                                 if splink else []),
                               *(["splink quick"] if splink_quick else [])]]
    ga_times, splink_times, splink_labels = [], [], None
    for _ in range(max(1, repeat)):
        # every run as cold as the first: no names cached by the run before (pessimistic
        # for graphaudit: in a CLI run, reading the records caches some of them)
        normalize.name_key.cache_clear()
        normalize.pinyin_spellings.cache_clear()
        result, *times = _timed(analyze, records.stores, links)
        ga_times.append(times)
        if splink:
            (splink_labels, _), *times = _timed(peers.splink_clusters, store_ids, links)
            splink_times.append(times)
    seconds, cpu = np.median(ga_times, axis=0)
    table = result.stores
    labels = _aligned(table["store_id"], table["cluster_id"].to_numpy(), truth)
    row = {**base, "method": "graphaudit", **scores(labels, truth), "seconds": seconds,
           "cpu_seconds": cpu}
    # graphaudit's own flag, where the engine sets it
    flag = truth["store_id"].map(table.set_index("store_id")["linked_to_suspended"])
    own = _own_flag_precision(flag, truth)
    if own is not None:
        row["lts_P"] = own
    rows.append(row)

    for cutoff in cutoffs:
        started = time.perf_counter()
        labels = peers.cutoff_components(store_ids, links, cutoff)
        seconds = time.perf_counter() - started
        rows.append({**base, "method": f"cut-off {cutoff}",
                     **scores(_aligned(store_ids, labels, truth), truth), "seconds": seconds})
    if splink:
        seconds, cpu = np.median(splink_times, axis=0)
        for threshold, labelled in splink_labels.items():
            rows.append({**base, "method": f"splink p>={threshold:g}",
                         **scores(_aligned(store_ids, labelled, truth), truth),
                         "seconds": seconds, "cpu_seconds": cpu})
    if splink_quick:
        started = time.perf_counter()
        labels, _ = peers.splink_clusters(store_ids, links, (peers.QUICK_THRESHOLD,),
                                          bands=False)
        seconds = time.perf_counter() - started
        rows.append({**base, "method": "splink quick",
                     **scores(_aligned(store_ids, labels[peers.QUICK_THRESHOLD], truth), truth),
                     "seconds": seconds})
    return rows


def _own_flag_precision(flag: pd.Series, truth: pd.DataFrame) -> float | None:
    suspended = truth["is_suspended"].to_numpy() == "true"
    if not suspended.any():
        return None
    flagged = flag.fillna(False).astype(bool).to_numpy()
    if not flagged.any():
        return float("nan")
    ops = set(truth.loc[suspended, "operator_id"])
    right = truth["operator_id"].isin(ops).to_numpy()
    return float((flagged & right).sum() / flagged.sum())


# ---- output -------------------------------------------------------------------------------------
def _line(row: dict) -> str:
    def pct(x: float) -> str:
        return "  -  " if pd.isna(x) else f"{100 * x:4.0f}%"

    return (f"{row['data']:<22} {row['method']:<12} pair {row['pair_P']:.3f}/{row['pair_R']:.3f}/"
            f"{row['pair_F1']:.3f}  B3 {row['b3_P']:.3f}/{row['b3_R']:.3f}/{row['b3_F1']:.3f}  "
            f"largest {row['largest']:>6,} ({row['largest_ops']:,} ops)  evaders "
            f"{pct(row['evaders_linked'])}  lts P {pct(row['lts_P'])}  mixed "
            f"{row['mixed_clusters']:>5,}  {row['seconds']:6.1f} s")


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Median and worst of each figure per method."""
    out = []
    for method, group in frame.groupby("method", sort=False):
        for stat in ("median", "worst"):
            row = {"method": method, "stat": stat, "worlds": len(group)}
            for figure, higher in FIGURES.items():
                values = group[figure].dropna()
                if values.empty:
                    row[figure] = float("nan")
                elif stat == "median":
                    row[figure] = values.median()
                else:
                    row[figure] = values.min() if higher else values.max()
            out.append(row)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    """The summary as a docs/benchmarks.md table."""
    lines = ["| method | stat | pairwise P / R / F1 | B-cubed P / R / F1 | largest (operators) "
             "| evaders linked | linked_to_suspended P / R | mixing clusters | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def pct(x: float) -> str:
        return "-" if pd.isna(x) else f"{100 * x:.0f} %"

    for r in table.to_dict("records"):
        lines.append(
            f"| {r['method']} | {r['stat']} | {r['pair_P']:.3f} / {r['pair_R']:.3f} / "
            f"{r['pair_F1']:.3f} | {r['b3_P']:.3f} / {r['b3_R']:.3f} / {r['b3_F1']:.3f} | "
            f"{r['largest']:,.0f} ({r['largest_ops']:,.0f}) | {pct(r['evaders_linked'])} | "
            f"{pct(r['lts_P'])} / {pct(r['lts_R'])} | {r['mixed_clusters']:,.0f} | "
            f"{r['seconds']:.1f} |")
    return "\n".join(lines)


def per_set(frame: pd.DataFrame) -> str:
    """Third-party rows as a docs/benchmarks.md table: one line per set and method."""
    lines = ["| set | method | pairwise P / R / F1 | B-cubed P / R / F1 | largest (entities) "
             "| seconds |", "| --- | --- | --- | --- | --- | --- |"]
    for r in frame.to_dict("records"):
        lines.append(
            f"| {r['data']} | {r['method']} | {r['pair_P']:.3f} / {r['pair_R']:.3f} / "
            f"{r['pair_F1']:.3f} | {r['b3_P']:.3f} / {r['b3_R']:.3f} / {r['b3_F1']:.3f} | "
            f"{r['largest']:,.0f} ({r['largest_ops']:,.0f}) | {r['seconds']:.1f} |")
    return "\n".join(lines)


def beside_splink(frame: pd.DataFrame) -> str:
    """graphaudit's and Splink's CPU seconds per set, side by side, and their ratio (the
    target: under a quarter). Empty without Splink's rows."""
    if "cpu_seconds" not in frame:
        return ""
    lines = ["| set | graphaudit F1 | Splink p>=0.5 F1 | CPU s graphaudit / Splink | ratio "
             "| wall s graphaudit / Splink |", "| --- | --- | --- | --- | --- | --- |"]
    for name, rows in frame.groupby("data", sort=False):
        ours = rows[rows["method"] == "graphaudit"]
        peer = rows[rows["method"] == "splink p>=0.5"]
        if ours.empty or peer.empty:
            continue
        a, b = ours.iloc[0], peer.iloc[0]
        lines.append(f"| {name} | {a['pair_F1']:.3f} | {b['pair_F1']:.3f} | "
                     f"{a['cpu_seconds']:.2f} / {b['cpu_seconds']:.2f} | "
                     f"{a['cpu_seconds'] / max(b['cpu_seconds'], 1e-9):.2f} | "
                     f"{a['seconds']:.1f} / {b['seconds']:.1f} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def report(frame: pd.DataFrame) -> None:
    """Print the summary of family worlds and the per-set table of third-party data."""
    family = frame[frame["family"].astype(bool)]
    if not family.empty:
        worlds = family["data"].nunique()
        lost = int((family.groupby("data")["read"].first() < 1).sum())
        print(f"\n{worlds} worlds; worlds the reader rejected stores of: {lost}\n")
        print(markdown(summary(family)))
        whole = family[family["read"] >= 1]
        if 0 < whole["data"].nunique() < worlds:
            print(f"\nthe {whole['data'].nunique()} worlds the reader read whole:\n")
            print(markdown(summary(whole)))
    others = frame[~frame["family"].astype(bool)]
    if not others.empty:
        print()
        print(per_set(others))
        side = beside_splink(others)
        if side:
            print(f"\n{side}")


def _splink_available() -> bool:
    try:
        import splink  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=5, help="how many worlds (20+ for the "
                        "recorded figures)")
    parser.add_argument("--stores", type=int, default=2000, help="stores per world")
    parser.add_argument("--seed", type=int, default=1, help="world i has seed SEED + i")
    parser.add_argument("--profile", default="mixed",
                        choices=["mixed", "adversarial", "clean", "legacy"])
    parser.add_argument("--cutoffs", type=int, nargs="+", default=[5, 25, 100])
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--splink-quick", action="store_true",
                        help="also Splink's quick configuration of earlier figures (no "
                             "frequency bands, clustered at match probability 0.01)")
    parser.add_argument("--third-party", nargs="*", metavar="SET",
                        help=f"also these sets (none named: all): {', '.join(third_party.SETS)}; "
                             f"other mappings, when named: {', '.join(third_party.VARIANTS)}")
    parser.add_argument("--no-date-format", action="store_true",
                        help="read each world's dates without its format, as an investigator "
                             "who does not give --date-format (figures before 2026-11-30's "
                             "fifth session): day-first dates that could be month-first are "
                             "then unread")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run graphaudit and Splink N times each, alternating, and give "
                             "the median seconds (wall and CPU) of each")
    parser.add_argument("--csv", type=Path, help="write every row here")
    parser.add_argument("--summarize", type=Path, nargs="+", metavar="CSV",
                        help="only print the summary of rows written earlier with --csv")
    args = parser.parse_args(argv)
    if args.summarize:
        report(pd.concat([pd.read_csv(path) for path in args.summarize], ignore_index=True))
        return 0
    splink = not args.no_splink and _splink_available()
    if not args.no_splink and not splink:
        print("splink is not installed (make bench-install): running without it",
              file=sys.stderr)
    rows: list[dict] = []
    total = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="graphaudit-quality-") as tmp:
        for i in range(args.worlds):
            seed = args.seed + i
            data = Path(tmp) / f"world-{seed}"
            date_format = None
            if args.profile == "legacy":  # the single world the old rules were fitted to
                from graphaudit.synth.legacy import write_sample

                write_sample(data, stores=args.stores, seed=seed)
            else:
                world = build_world(args.stores, seed, draw_rates(seed, args.profile),
                                    args.profile)
                write_files(world, data)
                # an investigator knows how their export writes dates (the CLI asks for it)
                date_format = None if args.no_date_format else world.rates.date_format
            world_rows = measure(data, f"{args.profile} {seed}", args.cutoffs, splink,
                                 splink and args.splink_quick, date_format, args.repeat)
            if args.profile != "legacy":
                truth = pd.read_csv(data / "truth.csv", dtype=str, keep_default_na=False)
                ids, labels = ceiling(world)
                world_rows.append({**{k: world_rows[0][k] for k in ("data", "stores", "read",
                                                                      "keys_seconds")},
                                   "method": "ceiling",
                                   **scores(_aligned(ids, labels, truth), truth),
                                   "seconds": 0.0})
            for row in world_rows:
                row["family"] = True
                print(_line(row), flush=True)
            print(f"{'':22} keys {world_rows[0]['keys_seconds']:.1f} s, read "
                  f"{100 * world_rows[0]['read']:.0f} % of the stores", flush=True)
            rows.extend(world_rows)
        sets = [] if args.third_party is None else (args.third_party or list(third_party.SETS))
        for name in sets:
            data = third_party.write_set(name, Path(tmp) / name)
            for row in measure(data, name, args.cutoffs, splink, splink and args.splink_quick,
                               repeat=args.repeat):
                row["family"] = False
                print(_line(row), flush=True)
                rows.append(row)
    frame = pd.DataFrame(rows)
    if args.csv:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.csv, index=False)
    if args.worlds:
        print(f"\n{args.profile} worlds of {args.stores:,} stores, seeds {args.seed}.."
              f"{args.seed + args.worlds - 1}", end="")
    report(frame)
    print(f"\nwall time {time.perf_counter() - total:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
