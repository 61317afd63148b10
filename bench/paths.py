"""The path queries on a loaded graph: `path-between` and `store-neighbourhood`, timed.

    python bench/paths.py --world WORLD [--size 1000] [--repeat 2]

WORLD is the folder `graphaudit sample` wrote and that is loaded and clustered in the server of
the usual settings (NEO4J_* or the per-user connection file). Its truth.csv gives the operators:
pairs of stores inside the operator whose size is nearest ``--size`` (that operator's cluster),
inside the biggest operator when it is another one, and across the graph (stores of different
operators), each with and without hubs; `store-neighbourhood` from a store of those operators at
hops 1, 2 (the default) and 4, and at hops 2 with hubs. Each query runs ``--repeat`` times (the
first plans it); prints the server's time (available + consumed), the client's wall time and the
rows, with the load average.

Then the verdict on issue 15's targets (item 4), hubs excluded, by the client's wall of every
run: ``target 2 s`` over the queries on the cluster of about ``--size`` stores, and on a graph
of 1,000,000 stores or more ``target 10 s`` over every query. A 1,000-store cluster: the
legacy worlds (``graphaudit sample --profile legacy``, seed 1: 20,000 stores or more) have one.
Read-only; asserts nothing.

    python bench/paths.py --world WORLD --prepare

first replaces the server's graph with WORLD's (``load --bulk --replace`` on the local server)
and clusters it, so that one command measures a world from scratch.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from graphaudit.queries import bind_parameters, find_query
from graphaudit.settings import resolve_settings
from graphaudit.store import GraphStore


def operators(world: Path) -> dict[str, list[str]]:
    """operator_id -> its store ids, from the world's truth.csv."""
    stores: dict[str, list[str]] = defaultdict(list)
    with open(world / "truth.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stores[row["operator_id"]].append(row["store_id"])
    return stores


#: (group, query name, include_hubs, client wall seconds or None when it failed) of every run
RUNS: list[tuple[str, str, bool, float | None]] = []


def timed(store: GraphStore, name: str, repeat: int, group: str = "",
          **params: object) -> None:
    """Run one library query ``repeat`` times; print one line per run."""
    query = find_query(name)
    bound = bind_parameters(query, {k: str(v) for k, v in params.items()})
    shown = " ".join(f"{k}={v}" for k, v in params.items())
    for run in range(repeat):
        started = time.perf_counter()
        try:
            with store.driver.session(database=store.settings.database) as session:
                result = session.run(query.statement, bound)
                rows = len(list(result))
                summary = result.consume()
            server = (summary.result_available_after + summary.result_consumed_after) / 1000
            outcome = f"server {server:7.3f} s  rows {rows:5d}"
        except Exception as exc:  # a bench prints what failed and goes on
            outcome = f"FAILED {type(exc).__name__}: {str(exc)[:120]}"
            server = None
        wall = time.perf_counter() - started
        RUNS.append((group, name, str(params.get("include_hubs", "false")) == "true",
                     wall if server is not None else None))
        load = os.getloadavg()[0]
        print(f"{name:19s} {shown:60s} run {run + 1}  {outcome}  wall {wall:7.3f} s  "
              f"load {load:4.1f}", flush=True)


def verdict(group: str, limit: float, graph: str) -> str:
    """One line: the worst wall of each query of ``group`` ("" for all), hubs excluded."""
    parts = []
    for name in ("path-between", "store-neighbourhood"):
        walls = [w for g, n, hubs, w in RUNS if n == name and not hubs and group in ("", g)]
        if not walls or None in walls:
            parts.append(f"{name} {'FAILED' if walls else 'not run'}")
        else:
            parts.append(f"{name} worst {max(walls):.2f} s of {len(walls)} runs")
    worst = [w for g, n, hubs, w in RUNS if not hubs and group in ("", g)]
    met = bool(worst) and None not in worst and max(worst) <= limit
    return (f"target {limit:g} s, hubs excluded, {graph}: {', '.join(parts)}: "
            f"{'met' if met else 'MISSED'} (load {os.getloadavg()[0]:.1f})")


def prepare(world: Path) -> None:
    """Replace the server's graph with ``world``'s and cluster it (not timed)."""
    exe = str(Path(sys.executable).with_name("graphaudit"))
    for argv in (["load", str(world), "--bulk", "--replace", "-q", "--rejects", os.devnull],
                 ["cluster", "-q"]):
        print(f"prepare: graphaudit {' '.join(argv)}", flush=True)
        subprocess.run([exe, *argv], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prepare", action="store_true",
                        help="load WORLD with --bulk --replace and cluster it first")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.world)
    rng = random.Random(args.seed)
    by_operator = operators(args.world)
    near = min(by_operator, key=lambda o: (abs(len(by_operator[o]) - args.size), o))
    biggest = max(by_operator, key=lambda o: (len(by_operator[o]), o))
    everyone = sorted(s for stores in by_operator.values() for s in stores)
    operator_of = {s: o for o, stores in by_operator.items() for s in stores}
    with GraphStore(resolve_settings()) as store:
        stores = store.run_read("MATCH (s:Store) RETURN count(s) AS n")[0]["n"]
        clusters = store.run_read("MATCH (c:Cluster) RETURN count(c) AS n")[0]["n"]
        print(f"graph: {stores:,} stores, {clusters:,} clusters; operator {near} "
              f"({len(by_operator[near]):,} stores), biggest {biggest} "
              f"({len(by_operator[biggest]):,} stores)", flush=True)
        for operator in dict.fromkeys((near, biggest)):
            group = "cluster" if operator == near else "biggest"
            members = sorted(by_operator[operator])
            pairs = [(members[0], members[-1]), tuple(rng.sample(members, 2))]
            for a, b in pairs:
                for hubs in ("false", "true"):
                    timed(store, "path-between", args.repeat, group, a=a, b=b,
                          include_hubs=hubs)
            start = members[len(members) // 2]
            for hops in (1, 2, 4):
                timed(store, "store-neighbourhood", args.repeat, group, store_id=start,
                      hops=hops)
            timed(store, "store-neighbourhood", args.repeat, group, store_id=start, hops=2,
                  include_hubs="true")
        for _ in range(2):
            a, b = rng.sample(everyone, 2)
            while operator_of[a] == operator_of[b]:
                a, b = rng.sample(everyone, 2)
            for hubs in ("false", "true"):
                timed(store, "path-between", args.repeat, "across", a=a, b=b,
                      include_hubs=hubs)
    print(verdict("cluster", 2.0, f"the cluster of {len(by_operator[near]):,} stores"))
    if stores >= 1_000_000:
        print(verdict("", 10.0, f"every query on the graph of {stores:,} stores"))


if __name__ == "__main__":
    main()
