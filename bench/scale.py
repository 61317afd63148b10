"""Every command at one size: wall time and peak memory in one table, with floors.

    .venv/bin/python bench/scale.py --stores 1000000 --profile legacy --world /work/scale/w1m

Runs, each as a child process of the installed ``graphaudit`` (the venv of this Python) and in
this order, so that each finds the graph it needs:

1. ``sample`` (--stores, --seed, --profile): into --world when that holds no world yet, else
   into a new folder (WORK/sampled, deleted after: the world of the same arguments is
   --world, which is never written);
2. ``validate`` and 3. ``analyze`` (every page) of --world;
4. ``load`` (MERGE) into an empty database, the README's first load: a graph the server already
   holds is emptied first, untimed, by a bulk import of no rows (``reset`` on a server that is
   not the local one), so that ``--replace`` has only that empty data set to delete;
5. ``load-bulk``: ``load --bulk --replace``, replacing that graph;
6. ``cluster`` on the bulk-loaded graph (its first run: CREATE) and 7. ``cluster-again`` (every
   store has its cluster: MERGE);
8. ``report`` (every page);
9. ``query``: ``riskiest-clusters``, ``cluster-members``, ``store-neighbourhood`` and
   ``path-between`` on the largest cluster (bench/largest-cluster.cypher; its first and last
   store), whole commands;
10. ``paths``: bench/paths.py on --world (needs its truth.csv), its lines kept in
    WORK/paths.txt and its verdict in the table.

The server is the one of the usual settings (``make neo4j-start``; its database is REPLACED);
``load --bulk`` needs it to be the local one.

CPU: user + system seconds of the child and the processes it waited for (for ``load --bulk``
the importer's JVM), and the local server's, read from /proc every 0.2 s (across the restart
of a bulk load): on a shared machine they, not the walls, compare runs.

Memory: the client's peak RSS (``ru_maxrss`` of the child and the processes it waited for, so
for ``load --bulk`` the importer's JVM too), and the server's peak RSS sampled every 0.2 s for
the commands that use it. Floors (measured once per world, in a child): *reading*, the four
input files read with pyarrow; *analysis*, reading plus normalizing keys and connected
components (bench/analyze.py's floor); for ``load --bulk``, the importer alone ("IMPORT DONE
in" of .neo4j/logs/import.log). Figures print as each command ends, the table at the end; they
are kept in WORK/scale.json, so a run with --only adds to the last one's table. Output folders
are deleted after each command. A command that fails is recorded with its error and the next
one runs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from analyze import FLOOR as ANALYSIS_FLOOR  # noqa: E402  (bench/analyze.py, one definition)

from graphaudit.settings import connection_file, read_env_file  # noqa: E402

COMMANDS = ("sample", "validate", "analyze", "load", "load-bulk", "cluster", "cluster-again",
            "report", "query", "paths")
INPUTS = ("stores", "identities", "payments", "addresses")
READING_FLOOR = r"""
import sys, pyarrow as pa, pyarrow.csv as pc
for name in ("stores", "identities", "payments", "addresses"):
    path = f"{sys.argv[1]}/{name}.csv"
    header = open(path, encoding="utf-8").readline().strip().split(",")
    pc.read_csv(path, convert_options=pc.ConvertOptions(
        column_types={c: pa.string() for c in header}))
"""
#: the queries of the table: name, parameters from the cluster found (a format string)
QUERIES = (("riskiest-clusters", ()),
           ("cluster-members", ("cluster_id={cluster}",)),
           ("store-neighbourhood", ("store_id={a}",)),
           ("path-between", ("a={a}", "b={b}")))


def server_pid() -> int | None:
    """The local server's java process (scripts/neo4j.sh's pid file), if any."""
    home = os.environ.get("GRAPHAUDIT_NEO4J_HOME")
    if not home and connection_file().is_file():
        home = read_env_file(connection_file()).get("GRAPHAUDIT_NEO4J_HOME")
    try:
        return int((Path(home) / "neo4j.pid").read_text().strip()) if home else None
    except (OSError, ValueError):
        return None


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a live process, None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, TypeError, IndexError, ValueError):
        return None


def rss_mib(pid: int | None) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, TypeError):
        pass
    return 0.0


class Run:
    """One child process: wall seconds, peak RSS of the child (MiB), its CPU seconds (with the
    processes it waited for), the server's peak RSS (MiB) and CPU seconds meanwhile."""

    def __init__(self, argv: list[str], server: bool) -> None:
        self.server_peak = 0.0
        #: server pid -> [its CPU when first seen, its CPU when last seen]
        self._server_cpu: dict[int, list[float]] = {}
        done = threading.Event()
        if server:
            self._sample()
        if server:
            threading.Thread(target=self._watch, args=(done,), daemon=True).start()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            child = subprocess.Popen(argv, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            self.wall = time.perf_counter() - started
            done.set()
            out.seek(0)
            err.seek(0)
            self.out, self.err = out.read().decode(), err.read().decode()
        self.rss = usage.ru_maxrss / 1024
        self.cpu = usage.ru_utime + usage.ru_stime
        if server:
            self._sample()
        self.server_cpu = sum(last - first for first, last in self._server_cpu.values()) \
            if server else None
        self.status = child.returncode
        #: the failure's last line of stderr ("" when the command succeeded)
        self.failure = "" if self.status == 0 else \
            f"FAILED (exit {self.status}): {(self.err.strip().splitlines() or [''])[-1][:200]}"

    def _sample(self) -> None:
        pid = server_pid()
        cpu = cpu_seconds(pid)
        if pid is not None and cpu is not None:
            self._server_cpu.setdefault(pid, [cpu, cpu])[1] = cpu
            self.server_peak = max(self.server_peak, rss_mib(pid))

    def _watch(self, done: threading.Event) -> None:
        while not done.wait(0.2):
            self._sample()


def floor(code: str, world: Path) -> tuple[float, float]:
    run = Run([sys.executable, "-c", code, str(world)], server=False)
    return run.wall, run.rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default="mixed", help="graphaudit sample --profile")
    parser.add_argument("--world", type=Path, default=None,
                        help="the world's folder: used when it holds stores.csv (sample then "
                             "writes a new folder), else sampled into (default: WORK/world)")
    parser.add_argument("--work", type=Path, default=None,
                        help="outputs and scale.json (default: a folder in the temp dir)")
    parser.add_argument("--only", default=None,
                        help=f"comma-separated, of {','.join(COMMANDS)}")
    args = parser.parse_args()
    only = [c.strip() for c in (args.only or ",".join(COMMANDS)).split(",") if c.strip()]
    if unknown := sorted(set(only) - set(COMMANDS)):
        parser.error(f"--only: unknown {', '.join(unknown)} (known: {', '.join(COMMANDS)})")
    work = args.work or Path(tempfile.gettempdir()) / f"graphaudit-scale-{args.stores}"
    work.mkdir(parents=True, exist_ok=True)
    world = args.world or work / "world"
    exe = str(Path(sys.executable).with_name("graphaudit"))
    results_file = work / "scale.json"
    results = json.loads(results_file.read_text()) if results_file.is_file() else {}
    print(f"started {time.strftime('%H:%M:%S', time.gmtime())} UTC, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)

    def record(name: str, run: Run | None, server: bool, floor_text: str = "",
               note: str = "") -> None:
        row = {"wall": run.wall if run else None, "rss": run.rss if run else None,
               "cpu": run.cpu if run else None,
               "server": run.server_peak if run and server else None,
               "server_cpu": run.server_cpu if run and server else None,
               "floor": floor_text, "note": note, "stores": args.stores,
               "load": os.getloadavg()[0],
               "at": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
        results[name] = row
        results_file.write_text(json.dumps(results, indent=1))
        print(f"{name}: {_cells(row)}", flush=True)

    def run(name: str, argv: list[str], server: bool = False, floor_text: str = "",
            note: str = "", out: Path | None = None, program: str = exe) -> Run:
        """Run and record one command; ``out``: its output folder, measured and deleted."""
        print(f"{name}: running ... ({time.strftime('%H:%M:%S', time.gmtime())} UTC)",
              flush=True)
        done = Run([program, *argv], server)
        if out is not None:
            note = f"{note}; {_pages(out)}" if note else _pages(out)
            shutil.rmtree(out, ignore_errors=True)
        record(name, done, server, floor_text, done.failure or note)
        return done

    has_world = (world / "stores.csv").is_file()
    if "sample" in only:
        target = work / "sampled" if has_world else world
        shutil.rmtree(target, ignore_errors=True)
        run("sample", ["sample", "--stores", str(args.stores), "--seed", str(args.seed),
                       "--profile", args.profile, "--out", str(target), "-q"],
            note="into a new folder, deleted after" if has_world else f"into {world}",
            out=target if has_world else None)
    if not (world / "stores.csv").is_file():
        raise SystemExit(f"no world in {world}: run with --only sample first")
    rows = sum(_lines(world / f"{kind}.csv") - 1 for kind in INPUTS)
    print(f"world {world}: {rows:,} input rows; load average {os.getloadavg()[0]:.1f}",
          flush=True)
    reading = analysis = None
    if {"validate", "load", "analyze", "cluster", "cluster-again", "report"} & set(only):
        reading, reading_rss = floor(READING_FLOOR, world)
        analysis, analysis_rss = floor(ANALYSIS_FLOOR, world)
        print(f"floors: reading {reading:.1f} s ({reading_rss:,.0f} MiB), analysis "
              f"{analysis:.1f} s ({analysis_rss:,.0f} MiB)", flush=True)
    quiet = ["-q", "--rejects", os.devnull]
    if "validate" in only:
        run("validate", ["validate", str(world), "--rejects", os.devnull],
            floor_text=f"{reading:.1f} s reading")
    if "analyze" in only:
        run("analyze", ["analyze", str(world), "--out", str(work / "analyze"), *quiet],
            floor_text=f"{analysis:.1f} s analysis", out=work / "analyze")
    if "load" in only:
        emptied = empty_graph(exe, world, work)
        run("load", ["load", str(world), "--replace", *quiet], server=True,
            floor_text=f"{reading:.1f} s reading",
            note=f"{rows:,} input rows (MERGE) into an empty database ({emptied})")
    if "load-bulk" in only:
        log = Path(os.environ.get("GRAPHAUDIT_NEO4J_HOME") or _home()) / "logs" / "import.log"
        done = run("load-bulk", ["load", str(world), "--bulk", "--replace", *quiet],
                   server=True, note="client CPU and RSS include the importer's JVM")
        match = re.search(r"IMPORT DONE in ([^.]+)\.", log.read_text(errors="replace")
                          if log.is_file() else "")
        if match and not done.failure:
            results["load-bulk"]["floor"] = f"importer alone {match.group(1)}"
            results_file.write_text(json.dumps(results, indent=1))
    for name in ("cluster", "cluster-again"):
        if name in only:
            run(name, ["cluster", "-q"], server=True, floor_text=f"{analysis:.1f} s analysis",
                note="first run (CREATE)" if name == "cluster" else
                "every store has its cluster (MERGE)")
    if "report" in only:
        run("report", ["report", "--out", str(work / "report"), "-q"], server=True,
            floor_text=f"{analysis:.1f} s analysis", out=work / "report")
    if "query" in only:
        found = _query(exe, str(Path(__file__).with_name("largest-cluster.cypher")))
        cluster = found[0]["cluster_id"] if found else ""
        members = _query(exe, "cluster-members", f"cluster_id={cluster}") if cluster else []
        ids = {"cluster": cluster, "a": members[0]["store_id"] if members else "",
               "b": members[-1]["store_id"] if members else ""}
        for name, params in QUERIES if cluster else QUERIES[:1]:
            argv = ["query", name, "--format", "json", "--timeout", "600"]
            for param in params:
                argv += ["-p", param.format(**ids)]
            run(f"query {name}", argv, server=True,
                note=f"cluster of {len(members):,} stores" if params else "")
    if "paths" in only:
        done = run("paths", [str(Path(__file__).with_name("paths.py")), "--world", str(world)],
                   server=True, program=sys.executable)
        (work / "paths.txt").write_text(done.out + done.err)
        verdict = [line for line in done.out.splitlines() if line.startswith("target")]
        results["paths"]["note"] = done.failure or "; ".join(verdict)
        results_file.write_text(json.dumps(results, indent=1))
        print(done.out, flush=True)
    print()
    print(table(results))


def empty_graph(exe: str, world: Path, work: Path) -> str:
    """Empty the server's database, untimed, so that ``load`` measures a first load: a bulk
    import of no rows (the header lines of ``world``'s files) on the local server, else
    ``reset``. Says how long it took."""
    started = time.perf_counter()
    count = _query(exe, str(Path(__file__).with_name("node-count.cypher")))
    if count and not count[0]["nodes"]:
        return "it was empty"
    empty = work / "empty-world"
    empty.mkdir(exist_ok=True)
    for kind in INPUTS:
        with open(world / f"{kind}.csv", encoding="utf-8") as source:
            (empty / f"{kind}.csv").write_text(source.readline(), encoding="utf-8")
    argv = [exe, "load", str(empty), "--bulk", "--replace", "-q", "--rejects", os.devnull]
    how = "emptied by a bulk import of no rows"
    if subprocess.run(argv, capture_output=True).returncode != 0:
        subprocess.run([exe, "reset", "--yes"], capture_output=True, check=True)
        how = "emptied by reset"
    shutil.rmtree(empty, ignore_errors=True)
    return f"{how} in {time.perf_counter() - started:.0f} s"


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _home() -> str:
    return read_env_file(connection_file()).get("GRAPHAUDIT_NEO4J_HOME", ".neo4j")


def _query(exe: str, name: str, *params: str) -> list[dict]:
    argv = [exe, "query", name, "--format", "json"]
    for param in params:
        argv += ["-p", param]
    done = subprocess.run(argv, capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else []


def _pages(out: Path) -> str:
    """How many files the command wrote and their size on disk."""
    files = [p for p in out.rglob("*") if p.is_file()]
    disk = sum(p.stat().st_blocks * 512 for p in files)
    return f"{len(files):,} files, {disk / 1e9:.2f} GB on disk"


def _cells(row: dict) -> str:
    def num(value, unit, digits=0):
        return "-" if value is None else f"{value:,.{digits}f} {unit}"
    return " | ".join([num(row["wall"], "s", 1), num(row.get("cpu"), "s", 1),
                       num(row["rss"], "MiB"), num(row.get("server_cpu"), "s", 1),
                       num(row["server"], "MiB"), row["floor"] or "-", row["note"] or "",
                       f"load {row['load']:.1f}, {row['at']}"])


def table(results: dict) -> str:
    """The markdown table of every command measured so far, in the order they run."""
    lines = ["| command | wall | client CPU | client peak RSS | server CPU | server peak RSS "
             "| floor | note | when |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    queries = [f"query {name}" for name, _ in QUERIES]
    order = sorted(results, key=lambda n: (COMMANDS.index(n.split()[0]),
                                           queries.index(n) if n in queries else 0))
    lines += [f"| {name} | {_cells(results[name])} |" for name in order]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
