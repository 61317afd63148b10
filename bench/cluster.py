"""`graphaudit cluster` beside `graphaudit analyze` on the same records: wall time and peak RSS.

    python bench/cluster.py --stores 20000 200000 --seed 1

Uses the server of the usual settings (NEO4J_* or the per-user connection file; `make
neo4j-start`) and EMPTIES ITS DATABASE first. For each size: generate a world and load it (not
timed), then run in child processes `graphaudit analyze` (files -> clusters -> files, with
``--max-pages 0``: no cluster pages, which `cluster` does not write either), `graphaudit cluster`
on a graph without clusters (first run) and again (every store already has its cluster). Prints
the figures and cluster / analyze; asserts nothing.

    python bench/cluster.py --stages

runs `graphaudit cluster`'s three stages in this process on the graph the server holds (no
world made, nothing emptied: for a graph already loaded, such as the 1,000,000-store one), and
prints each one's wall, this process's CPU and the local server's (the rest of the wall is
the workers' or waiting): reading the graph back, the analysis, writing the clusters back.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graphaudit.errors import GraphauditError
from graphaudit.settings import resolve_settings
from graphaudit.store import GraphStore


def timed(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stderr of one child process (which must succeed)."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    err = child.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"{' '.join(args[1:3])} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="mixed")
    parser.add_argument("--bulk", action="store_true",
                        help="load with --bulk (the local server of make neo4j-start)")
    parser.add_argument("--keep", type=Path, help="generate the world here and keep it")
    parser.add_argument("--stages", action="store_true",
                        help="only cluster's stages, in process, on the graph already loaded")
    args = parser.parse_args()
    if args.stages:
        return stages()
    exe = str(Path(sys.executable).parent / "graphaudit")
    settings = resolve_settings()
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    for size in args.stores:
        with tempfile.TemporaryDirectory() as tmp:
            data = (args.keep / f"w{size}") if args.keep else Path(tmp) / "data"
            if not (data / "stores.csv").is_file():
                subprocess.run([exe, "sample", "--stores", str(size), "--seed", str(args.seed),
                                "--profile", args.profile, "--out", str(data), "-q"],
                               check=True, capture_output=True)
            with GraphStore(settings) as store:
                store.ensure_schema()
                store.delete_all()
            loaded = timed([exe, "load", str(data), "-q", "--rejects", os.devnull,
                            *(["--bulk", "--replace"] if args.bulk else [])])
            print(f"  (load{' --bulk' if args.bulk else ''}: {loaded[0]:.1f} s, not counted)")
            analyze = timed([exe, "analyze", str(data), "--out", str(Path(tmp) / "out"),
                             "--max-pages", "0", "--rejects", os.devnull])
            first = timed([exe, "cluster"])
            again = timed([exe, "cluster"])
        print(f"{size:,} stores ({args.profile}, seed {args.seed}), load average "
              f"{os.getloadavg()[0]:.1f}:")
        print(f"  analyze --max-pages 0   {analyze[0]:7.1f} s  peak RSS {analyze[1]:6,.0f} MiB")
        for label, (wall, rss, _) in (("cluster (first run)", first),
                                      ("cluster (again)", again)):
            print(f"  {label:22s}  {wall:7.1f} s  peak RSS {rss:6,.0f} MiB  "
                  f"= {wall / analyze[0]:.2f} x analyze", flush=True)


def server_pid() -> int | None:
    """The local server's java process (scripts/neo4j.sh's pid file), if any."""
    from graphaudit.bulk import local_server

    try:
        return int((local_server(resolve_settings()) / "neo4j.pid").read_text().strip())
    except (OSError, ValueError, GraphauditError):
        return None


def server_cpu(pid: int | None) -> float:
    """User + system seconds of process ``pid`` (0.0 when unknown: a remote server)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stages() -> None:
    """`graphaudit cluster` as pipeline.run_cluster runs it, each stage timed."""
    from graphaudit import pipeline
    from graphaudit.parallel import Parallel
    from graphaudit.settings import Settings
    from graphaudit.store import connect

    settings = Settings(connection=resolve_settings(), parallel=Parallel.auto())
    server = server_pid()
    marks = [("start", time.perf_counter(), time.process_time(), os.getloadavg()[0],
              server_cpu(server))]

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), time.process_time(), os.getloadavg()[0],
                      server_cpu(server)))
        (_, wall0, cpu0, _, srv0), (_, wall1, cpu1, load, srv1) = marks[-2:]
        print(f"  {name}: {wall1 - wall0:.1f} s wall, {cpu1 - cpu0:.1f} s CPU of this process, "
              f"{srv1 - srv0:.1f} s CPU of the server (load average {load:.1f})", flush=True)

    print(f"cluster, stage by stage (load average {marks[0][3]:.1f} at start)", flush=True)
    with connect(settings.connection) as store:
        graph = pipeline.read_graph(store, None, settings.secret)
        mark(f"reading the graph back ({len(graph.stores):,} stores, {len(graph.links):,} "
             f"links, {len(graph.previous):,} stores with a cluster)")
        result = pipeline.analyze_graph(graph, None, settings.parallel)
        mark("the analysis")
        pipeline.write_back(store, result, secret=settings.secret, computed_at=graph.read_at)
        mark(f"writing back {len(result.clusters):,} clusters and {len(result.stores):,} "
             "memberships")
    print(f"  in all: {marks[-1][1] - marks[0][1]:.1f} s; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB (this process)")


if __name__ == "__main__":
    main()
