"""Time the synthetic world generator: wall seconds, peak RSS and file sizes.

    python bench/sample.py --stores 1000000 --seed 1

Writes into a temporary directory (removed afterwards unless --keep DIR is given). Prints
numbers only; makes no assertions.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from graphaudit.synth.legacy import write_sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    args = parser.parse_args(argv)

    def progress(done: int) -> None:
        print(f"  {done:>10,} stores  {time.perf_counter() - start:7.1f} s", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="graphaudit-bench-") as tmp:
        out = args.keep or Path(tmp)
        before = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = before.ru_utime + before.ru_stime
        start = time.perf_counter()
        summary = write_sample(out, stores=args.stores, seed=args.seed, progress=progress)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        peak_kib = usage.ru_maxrss  # KiB on Linux
        print(f"stores            {args.stores:,} (seed {args.seed})")
        print(f"operators         {summary.operators:,}")
        print(f"hubs              {summary.hubs:,}")
        print(f"wall seconds      {wall:.1f}")
        print(f"cpu seconds       {cpu:.1f} (beside wall seconds when the machine is shared)")
        print(f"stores per second {args.stores / wall:,.0f}")
        print(f"peak RSS          {peak_kib / 1024:.0f} MiB")
        total = 0
        for name, path in summary.paths.items():
            size = path.stat().st_size
            total += size
            rows = getattr(summary, name)
            print(f"{path.name:<17} {rows:>10,} rows  {size / 2**20:8.1f} MiB")
        print(f"{'total':<17} {'':>15}  {total / 2**20:8.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
