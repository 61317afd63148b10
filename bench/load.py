"""Load speed into Neo4j: input rows per second and the graphaudit process's peak memory.

    python bench/load.py --stores 200000 --seed 1

Uses the server of the usual settings (NEO4J_* or the per-user connection file; `make neo4j-start`)
and EMPTIES ITS DATABASE first. Runs `graphaudit load` in a child process, twice: a fresh load
and a repeat (idempotent, all MERGE matches); then, on the local server of `make neo4j-start`,
the steps of `graphaudit load --bulk --replace` in this process, stage by stage (reading,
normalizing (the server stopping meanwhile), writing the import files, importing + starting
the server, creating the schema; the importer's and the start's own times from their logs).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from graphaudit.settings import resolve_settings
from graphaudit.store import GraphStore


def count_rows(path: Path) -> int:
    with open(path, encoding="utf-8") as handle:
        return sum(1 for _ in handle) - 1


def run_load(exe: Path, data: Path, *extra: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stderr of one `graphaudit load`."""
    started = time.perf_counter()
    child = subprocess.Popen([str(exe), "load", str(data), "-q", "--rejects", os.devnull,
                              *extra],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    err = child.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"load failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024, err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-merge", action="store_true", help="only the bulk load")
    parser.add_argument("--world", type=Path, default=None,
                        help="a world to load (reused; default: sampled into a temporary folder)")
    args = parser.parse_args()
    exe = Path(sys.executable).parent / "graphaudit"
    settings = resolve_settings()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.world or Path(tmp) / "data"
        if not (data / "stores.csv").is_file():
            subprocess.run([str(exe), "sample", "--stores", str(args.stores), "--seed",
                            str(args.seed), "--profile", "legacy", "--out", str(data), "-q"],
                           check=True, capture_output=True)
        rows = sum(count_rows(data / f"{kind}.csv")
                   for kind in ("stores", "identities", "payments", "addresses"))
        if not args.no_merge:  # (the bulk load replaces the database: nothing to delete)
            with GraphStore(settings) as store:
                store.ensure_schema()
                store.delete_all()
        for label in () if args.no_merge else ("fresh load", "repeat load"):
            wall, rss, err = run_load(exe, data)
            match = re.search(r"Loaded ([\d,]+) rows in ([\d.]+) s", err)
            writing = float(match.group(2)) if match else float("nan")
            print(f"{label}: {args.stores:,} stores, {rows:,} input rows in {wall:.1f} s = "
                  f"{rows / wall:,.0f} input rows/s; peak RSS {rss:,.0f} MiB; "
                  f"writing to Neo4j {writing:.1f} s ({writing / wall:.0%} of the wall time), "
                  f"reading and normalizing {wall - writing:.1f} s", flush=True)
        with GraphStore(settings) as store:
            nodes, rels = store.counts()
        print(f"graph: {sum(nodes.values()):,} nodes, {sum(rels.values()):,} relationships")
        bulk_stages(data, settings)
        with GraphStore(settings) as store:
            bulk_nodes, bulk_rels = store.counts()
        print(f"graph after the bulk load: {sum(bulk_nodes.values()):,} nodes, "
              f"{sum(bulk_rels.values()):,} relationships")


def server_cpu(state: Path) -> tuple[int, float] | None:
    """The local server's pid and CPU seconds (user + system) so far, from /proc."""
    try:
        pid = int((state / "neo4j.pid").read_text().strip())
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StopWatch(threading.Thread):
    """The CPU the stopping server spends until it exits (sampled every 0.1 s: the last
    sample is at most 0.1 s of its CPU short)."""

    def __init__(self, state: Path) -> None:
        super().__init__(daemon=True)
        self.first = server_cpu(state)
        self.last = self.first

    def run(self) -> None:
        pid = self.first[0] if self.first else None
        while pid is not None:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return
            if fields[0] in ("Z", "X"):
                return
            self.last = (pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
            time.sleep(0.1)

    def spent(self) -> float:
        return self.last[1] - self.first[1] if self.first else float("nan")


def bulk_stages(data: Path, settings) -> None:
    """`load --bulk --replace` in this process, stage by stage (what the CLI runs, less its
    start-up and the :DataSet node), with the importer's own time from its log, and CPU
    seconds per stage: this process, the processes it waited for (normalizing's workers, the
    importer), the old server in its stop and the new one after its start."""
    from graphaudit import pipeline
    from graphaudit.bulk import bulk_load, local_server, server_stopping
    from graphaudit.parallel import Parallel

    state = local_server(settings)
    started_server: list[tuple[int, float] | None] = []

    class Store(GraphStore):
        def verify(self) -> None:  # the new server's CPU once it answers: its start
            super().verify()
            if not started_server:
                started_server.append(server_cpu(state))

    def cpu() -> tuple[float, float]:
        own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime

    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    cpu0 = cpu()
    with Store(settings) as store:
        stopping = StopWatch(state)
        stopping.start()
        with server_stopping(state) as server:
            records = pipeline.read(data)  # (the server stops meanwhile, as in the CLI)
            read, cpu1 = time.perf_counter() - started, cpu()
            loads.append(os.getloadavg()[0])
            identifiers = pipeline.extract(records, parallel=Parallel.auto())
            extract, cpu2 = time.perf_counter() - started - read, cpu()
            loads.append(os.getloadavg()[0])
            summary = bulk_load(store, state, records.stores, identifiers, server=server)
        after = server_cpu(state)
    wall = time.perf_counter() - started
    loads.append(os.getloadavg()[0])
    log = (state / "logs" / "import.log").read_text(errors="replace")
    importer = re.search(r"IMPORT DONE in ([^.]+)\.", log)
    said = {what: re.search(rf"{what} ([\d.]+) s", summary.server_output)
            for what in ("stopped in", "the importer ran", "started in")}
    stages = [("reading", read, (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1])),
              ("normalizing", extract, (cpu2[0] - cpu1[0], cpu2[1] - cpu1[1])),
              *((stage, seconds, summary.cpu[stage])
                for stage, seconds in summary.stages.items())]
    print(f"bulk load (--bulk --replace, in process): {summary.rows:,} input rows in {wall:.1f} s "
          f"= {summary.rows / wall:,.0f} rows/s (load average {loads[0]:.1f} before, "
          f"{loads[1]:.1f} after reading, {loads[2]:.1f} after normalizing, {loads[3]:.1f} "
          f"after); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB (this process)",
          flush=True)
    for stage, seconds, (own, kids) in stages:
        print(f"  {stage}: {seconds:.1f} s wall; CPU {own:.1f} s this process, {kids:.1f} s "
              "the processes it waited for", flush=True)
    ran = {what: match.group(1) + " s" if match else "?" for what, match in said.items()}
    up = started_server[0] if started_server else None
    start_cpu = up[1] if up else float("nan")
    schema_cpu = after[1] - up[1] if after and up and after[0] == up[0] else float("nan")
    print(f"  the server stopped in {ran['stopped in']} (while the records were read; its CPU "
          f"in the stop {stopping.spent():.1f} s), the importer ran {ran['the importer ran']} "
          f"(its JVM's start included; \"IMPORT DONE in "
          f"{importer.group(1) if importer else '?'}\"), the server started in "
          f"{ran['started in']} ({start_cpu:.1f} s of its CPU until it answered, "
          f"{schema_cpu:.1f} s after: the schema and counting)", flush=True)


if __name__ == "__main__":
    main()
