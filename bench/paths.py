"""The path queries on a loaded graph: `path-between` and `store-neighbourhood`, timed.

    python bench/paths.py --world WORLD [--size 1000] [--repeat 2]

WORLD is the folder `graphaudit sample` wrote and that is loaded (and, for the hub test,
clustered) in the server of the usual settings (NEO4J_* or the per-user connection file). Its
truth.csv gives the operators: pairs of stores inside the operator whose size is nearest
``--size`` (that operator's cluster), inside the biggest operator, and across the graph (stores
of different operators), each with and without hubs; `store-neighbourhood` from a store of
those operators at hops 1, 2 and 4, and at hops 2 with hubs. Each query runs ``--repeat`` times
(the first plans it); prints the server's time (available + consumed), the client's wall time
and the rows, with the load average. Read-only; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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


def timed(store: GraphStore, name: str, repeat: int, **params: object) -> None:
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
        wall = time.perf_counter() - started
        load = os.getloadavg()[0]
        print(f"{name:19s} {shown:60s} run {run + 1}  {outcome}  wall {wall:7.3f} s  "
              f"load {load:4.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
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
        for operator in (near, biggest):
            members = sorted(by_operator[operator])
            pairs = [(members[0], members[-1]), tuple(rng.sample(members, 2))]
            for a, b in pairs:
                for hubs in ("false", "true"):
                    timed(store, "path-between", args.repeat, a=a, b=b, include_hubs=hubs)
            start = members[len(members) // 2]
            for hops in (1, 2, 4):
                timed(store, "store-neighbourhood", args.repeat, store_id=start, hops=hops)
            timed(store, "store-neighbourhood", args.repeat, store_id=start, hops=2,
                  include_hubs="true")
        for _ in range(2):
            a, b = rng.sample(everyone, 2)
            while operator_of[a] == operator_of[b]:
                a, b = rng.sample(everyone, 2)
            for hubs in ("false", "true"):
                timed(store, "path-between", args.repeat, a=a, b=b, include_hubs=hubs)


if __name__ == "__main__":
    main()
