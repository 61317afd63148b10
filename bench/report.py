"""Time the HTML report of a synthetic world (default: 200,000 stores, seed 1).

    .venv/bin/python bench/report.py [--stores 200000] [--seed 1] [--work DIR] [--keep]
                                     [--world DIR]

Generates the world with ``graphaudit sample`` (once; reused from --work), reads and analyses it
(timed apart), then times :func:`graphaudit.report.write_report` alone and prints the time, the
number of pages and their total size. Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from graphaudit.analysis import analyze
from graphaudit.identifiers import extract_identifiers
from graphaudit.parallel import Parallel
from graphaudit.records import RejectsWriter, read_records
from graphaudit.report import write_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None,
                        help="where the world and the report go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the report afterwards")
    parser.add_argument("--world", type=Path, default=None,
                        help="an existing world's record files to read (nothing generated)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.gettempdir()) / f"graphaudit-bench-{args.stores}-{args.seed}"
    data = args.world or work / "data"
    if not (data / "stores.csv").exists():
        started = time.perf_counter()
        graphaudit = Path(sys.executable).with_name("graphaudit")
        subprocess.run([str(graphaudit), "sample", "--stores", str(args.stores), "--seed",
                        str(args.seed), "--profile", "legacy", "--out", str(data), "--quiet"],
                       check=True)
        print(f"generated {args.stores:,} stores in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rejects = RejectsWriter(None)
    records = read_records(data, rejects)
    links = extract_identifiers(records, rejects).links
    result = analyze(records.stores, links)
    analysed = time.perf_counter() - started
    multi = int((result.clusters["size"] >= 2).sum())
    print(f"read and analysed {len(result.stores):,} stores in {analysed:.1f} s: "
          f"{multi:,} clusters of two or more stores, largest "
          f"{int(result.clusters['size'].max()):,}, {len(result.hubs):,} hubs")
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    print(f"before the report: peak RSS {int(status['VmHWM'].split()[0]) / 1024:,.0f} MiB, RSS "
          f"{int(status['VmRSS'].split()[0]) / 1024:,.0f} MiB (the analysis; the report's own "
          "memory is what the peaks below add to the RSS)")

    out = work / "report"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu = time.perf_counter(), os.times()
    print(f"writing the report (load {os.getloadavg()[0]:.1f})", flush=True)
    paths = write_report(result, out, source=f"bench world ({args.stores:,} stores)",
                         rejects=rejects.count, parallel=Parallel.auto())
    elapsed, after = time.perf_counter() - started, os.times()
    user = after.user - cpu.user + after.children_user - cpu.children_user
    system = after.system - cpu.system + after.children_system - cpu.children_system
    sizes = [p.stat().st_size for p in paths]
    index = paths[0].stat().st_size
    pages = [p.stat().st_size for p in paths if p.parent.name == "clusters"]
    assets = sum(p.stat().st_size for p in paths if p.parent.name == "assets")
    disk = sum(p.stat().st_blocks * 512 for p in paths)
    print(f"report: {len(paths):,} files in {elapsed:.1f} s "
          f"({elapsed / max(len(paths), 1) * 1000:.2f} ms per page; CPU {user:.1f} s user, "
          f"{system:.1f} s system; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {peak:,.0f} MiB, largest page writer child {children:,.0f} MiB")
    print(f"total size: {sum(sizes) / 1e9:.2f} GB ({disk / 1e9:.2f} GB on disk); index.html "
          f"{index / 1e6:.1f} MB; assets {assets / 1e3:.0f} kB; {len(pages):,} cluster pages: "
          f"average {sum(pages) / max(len(pages), 1) / 1e3:.1f} kB, median "
          f"{sorted(pages)[len(pages) // 2] / 1e3:.1f} kB, largest {max(pages) / 1e3:.0f} kB")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    else:
        print(f"kept: {out}")


if __name__ == "__main__":
    main()
