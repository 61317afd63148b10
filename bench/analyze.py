"""Speed and memory of ``graphaudit analyze``, against a floor measured in the same run.

    python bench/analyze.py --stores 200000 1000000 --seed 1
    python bench/analyze.py --world /path/to/w1m      # a world generated before

For each size: generate a world (not timed; ``--world`` reuses one instead), run
``graphaudit analyze`` in a child process (with pages for the 1,000 riskiest clusters;
``--max-pages -1`` for all) and report its wall time, its peak RSS and the peak memory of its
process tree (forked workers included, as PSS), then run the *floor* in another child: read the
files with pyarrow, normalize keys with vectorized string operations, and run scipy's connected
components. Prints the ratio analyze / floor. Asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FLOOR = r"""
import sys, numpy as np, pyarrow as pa, pyarrow.csv as pc, pyarrow.compute as pcc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
data = sys.argv[1]
opts = pc.ConvertOptions(strings_can_be_null=False)
def read(name, cols):
    return pc.read_csv(f"{data}/{name}.csv", convert_options=pc.ConvertOptions(
        include_columns=cols, column_types={c: pa.string() for c in cols}))
stores = read("stores", ["store_id"])["store_id"]
index = pcc.unique(stores)
def norm_id(col):  # NFKC, separators out, upper case
    col = pcc.utf8_normalize(col, "NFKC")
    return pcc.utf8_upper(pcc.replace_substring_regex(col, r"[\s\-./_]+", ""))
def norm_text(col):
    col = pcc.utf8_lower(pcc.utf8_normalize(col, "NFKC"))
    return pcc.utf8_trim_whitespace(pcc.replace_substring_regex(col, r"[^\w]+", " "))
parts = []
ident = read("identities", ["store_id", "id_number", "phone", "email"])
pay = read("payments", ["store_id", "account_number"])
addr = read("addresses", ["store_id", "address"])
for table, col, fn, tag in ((ident, "id_number", norm_id, "d"), (ident, "phone", norm_id, "p"),
                            (ident, "email", norm_text, "e"), (pay, "account_number", norm_id, "a"),
                            (addr, "address", norm_text, "r")):
    keys = pcc.binary_join_element_wise(tag, fn(table[col]), ":")
    parts.append((table["store_id"], keys))
store_ids = pa.chunked_array([c for s, _ in parts for c in s.chunks])
keys = pa.chunked_array([c for _, k in parts for c in k.chunks])
s = pcc.index_in(store_ids, value_set=index).to_numpy(zero_copy_only=False)
codes = pcc.dictionary_encode(keys).combine_chunks().indices.to_numpy(zero_copy_only=False)
n, m = len(index), int(codes.max()) + 1
g = coo_matrix((np.ones(len(s), dtype=np.int8), (s, n + codes)), shape=(n + m, n + m))
k, labels = connected_components(g, directed=False)
print(k)
"""


def timed_child(args: list[str]) -> tuple[float, float, list[float]]:
    """Run a child process; return its wall seconds, its own peak RSS in MiB, and the peak of
    the memory of its whole process tree (forked workers included): in MiB, with the seconds
    after the start when it was reached and how many processes the tree had then.

    The tree's memory is the sum of its processes' proportional set sizes (PSS, so pages a
    fork shares are counted once), sampled ten times a second.
    """
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0.0, 0.0, 0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(child.pid, peak, done, started),
                               daemon=True)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{args[:3]} failed:\n{child.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, peak


def _sample_tree(root: int, peak: list, done: threading.Event, started: float) -> None:
    while not done.wait(0.1):
        tree = _tree(root)
        total = sum(_pss_kib(pid) for pid in tree) / 1024
        if total > peak[0]:
            peak[:] = [total, time.perf_counter() - started, len(tree)]


def _tree(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[200_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", type=Path, action="append", default=[],
                        help="an existing data directory to analyze instead of generating one "
                             "(repeatable; --stores is then ignored)")
    parser.add_argument("--max-pages", type=int, default=1000,
                        help="cluster pages analyze writes (the riskiest); -1 for all")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "graphaudit"
    for stores in args.world or args.stores:
        with tempfile.TemporaryDirectory() as tmp:
            data, out = Path(tmp) / "data", Path(tmp) / "out"
            if isinstance(stores, Path):
                data = stores
                with open(data / "stores.csv", newline="", encoding="utf-8") as rows:
                    stores = sum(1 for _ in csv.reader(rows)) - 1
            else:
                subprocess.run([str(exe), "sample", "--stores", str(stores), "--seed",
                                str(args.seed), "--profile", "legacy", "--out", str(data),
                                "-q"], check=True, capture_output=True)
            size = sum(p.stat().st_size for p in data.iterdir()) / 2**20
            floor_wall, floor_rss, _ = timed_child([sys.executable, "-c", FLOOR, str(data)])
            pages = [] if args.max_pages < 0 else ["--max-pages", str(args.max_pages)]
            wall, rss, (tree, when, procs) = timed_child(
                [str(exe), "analyze", str(data), "--out", str(out), "-q", *pages])
            html = sum(p.stat().st_size for p in out.rglob("*.html")) / 2**20
            print(f"{stores:>9,} stores ({size:,.0f} MiB of input): analyze {wall:6.1f} s, "
                  f"peak RSS {rss:,.0f} MiB (with workers {tree:,.0f} MiB PSS, at "
                  f"{when:.0f} s, {procs} processes) | "
                  f"floor {floor_wall:5.1f} s "
                  f"(RSS {floor_rss:,.0f} MiB) | ratio {wall / floor_wall:.1f}x | "
                  f"report {html:,.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
