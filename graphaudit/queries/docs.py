"""``docs/queries.md``, the analysts' guide, generated from the query headers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from .library import Query, load_library

_DOCS_INTRO = """\
# Query library

<!-- Generated from the headers of graphaudit/cypher/*.cypher by
     `python -m graphaudit.queries --docs docs/queries.md`. Do not edit by hand:
     tests/test_queries.py fails when this file and the headers disagree. -->

Named Cypher queries for investigators, run against the graph that `graphaudit load` and
`graphaudit cluster` built ([design.md](design.md) §3). Run one with

```text
graphaudit query NAME -p key=value [-p key=value ...] [--format table|csv|json] [--show-pii]
graphaudit query path/to/my.cypher -p key=value      # your own query, from a file
graphaudit query --list [--format json]               # every query, its parameters
```

* **Parameters** are typed: `int` (some bounded, e.g. `int[1..10]`), `date` (`YYYY-MM-DD`),
  `bool` (`true`/`false`), `list` (comma separated). Identifier parameters are normalized with
  the rules of loading, so paste an ID number, account, phone or e-mail as you saw it
  (`138 0013 8000` finds `+8613800138000`). A missing, unknown or malformed parameter is an
  error that names it (exit code 2).
* **Read-only.** Every query runs in a read transaction, after checks that refuse, before
  anything runs, whatever is not a plain read: writes, administration commands (`SHOW`,
  `TERMINATE`), `LOAD CSV`, `USE`, `CALL { } IN TRANSACTIONS`, procedures other than `db.labels`
  and the schema ones, and plan operators outside a list of reading ones. Nothing is changed
  unless you give `--write` (docs/security.md).
* **Personal data** (ID numbers, accounts, phones, e-mails) is masked in the output by the
  type of each value, whatever its column is called, with a keyed pseudonym so equal values
  stay recognisable (`**** 3445 #1f2e3d4c`); free text is scrubbed; `--show-pii` shows it all.
  CSV cells that would run as spreadsheet formulas are neutralised (docs/security.md).
* **Clusters.** Columns about clusters need `graphaudit cluster` to have run. An identifier
  whose stores fall in more than one cluster was not accepted as evidence (an innocent hub such
  as a 3PL warehouse, an agency's phone, a virtual office; or a bridge the clustering cut):
  path queries do not walk through such identifiers unless `include_hubs=true`. When one of
  them finds nothing without hubs but would with them, its hint says so and suggests
  `-p include_hubs=true`.
* Long tables in a terminal are paged; `--format csv` or `json` is for scripts. A query stops
  after `--timeout` seconds (300 by default). One that runs the server out of memory is
  stopped and not run again; the message says whether the server is still up
  (docs/security.md).
* A list in a table or CSV cell is joined by `;`, unless one of its items holds a `;` (an
  address's spellings in path-between's `raw`: `Room 3218; Bldg 20; ...`): then the cell is a
  JSON array, `["Room 3218; Bldg 20; ...","Rm 3218, Blk 20, ..."]`. `--format json` keeps
  every list a list.
* Your own `.cypher` file may start with the same header (see any file in `cypher/`); without
  one, each `$parameter` it uses is a required string.

### How the path queries walk (measured, and why this way)

`path-between` and `store-neighbourhood` must answer in seconds in a 1,000-store cluster. Their
old form, a store-by-store breadth-first search that checked an identifier for a hub once per
store pair reaching it, took about 2 minutes (and more than 14 minutes for two stores of a
1,002-store cluster of a 20,000-store mixed world, where it was stopped). Now:

* `path-between` is Neo4j's `shortestPath` over stores, identifiers and `SIMILAR_TO`: a
  breadth-first search from both stores that stops where they meet, with the hub test
  (`NOT EXISTS` a store of the identifier outside a's cluster) a predicate on every node, which
  the search checks once per node it reaches. Its length bound is a constant (40 links), and
  `max_hops` filters the path found.
* `store-neighbourhood` stays a level-by-level search (its hops are a parameter, and a
  variable-length pattern would enumerate paths, exponential in a dense cluster). A level
  gathers the identifiers of its frontier (skipping those the level before followed), tests each
  for a hub once, reads how many stores each reaches from its degree without expanding it, and
  follows them only while those add up to at most 4 x `limit`; past that it follows the ones
  under the highest power of two that keeps it so, skips the wider ones (3PL warehouses,
  agencies) and says so. So no level expands more than 4 x `limit` store links, whatever the
  hubs it meets, and the stores seen stay in the search's accumulator, not in every row.
* Memory, the rule learnt here: a subquery expression (`COLLECT { ... }`) that holds rows
  (`DISTINCT`, `ORDER BY`, `UNION`, an aggregation) is charged every list it can see once per
  row it holds: `DISTINCT` over 2,500 identifiers with the search's accumulator in view ran out
  of the 600 MiB, and so did `DISTINCT` over a list of 5,000 small maps unwound inside one. The
  search therefore makes identifiers and stores distinct by a unique-index seek on a list of
  keys (`WHERE i.key IN [...]` finds a node once however often its key is listed) and holds at
  most ten rows (`ORDER BY ... LIMIT 10` for the `from` column).

On the 20,000-store mixed world (`graphaudit sample --profile mixed --stores 20000 --seed 1`,
loaded and clustered: its biggest clusters have 1,436 and 1,002 stores), `bench/paths.py
--repeat 2` at load average 14-15 on 2 cores (six engineers' jobs; docs/benchmarks.md has the
table), server time with the plan cached: `path-between` 0.001-0.08 s for pairs inside the
operators of 1,024 and 1,469 stores and across the graph, with and without hubs;
`store-neighbourhood` from a store of the 1,024-store operator 0.05 s at `hops=1` (634 stores),
0.24-0.28 s at `hops=2` (848), 0.44 s at `hops=4` (865), 0.11-0.22 s at `hops=2` with
`include_hubs=true` (960 stores, cut: identifiers too wide not followed); from the biggest,
0.04-0.26 s. The form before this one ran out of the 600 MiB at `hops=2` with hubs on this
world. Planning the query the first time costs 3-13 s at that load. A whole `graphaudit
query` run took 4.4-8.5 s, of which 4.1-5.9 s is the command's start-up (`graphaudit query` of
`RETURN 1` at the same load; a profile: 3.2 s importing pandas, pyarrow and the driver, 1.5 s
looking up which result values are personal data, 0.5 s the query): the 2 s target holds for
the query, not for a whole command on this loaded machine.

At 1,000,000 stores (`graphaudit sample --stores 1000000 --seed 1`, the mixed world: 3.7
million nodes, 6.4 million relationships, loaded with `load --bulk` into a server with a 3 GiB
heap, a 2 GiB page cache and the usual 600 MiB of transaction memory), measured with
`bench/paths.py` on a machine at load average 21-28 on 2 cores (other engineers' jobs), server
time, first run (planning included) then second: the graph was **not clustered** (`cluster` at
1M did not finish in the time left), so no identifier counted as a hub and every walk went
through hubs, the worst case for both queries.

* `path-between`, two pairs inside a 1,004-store operator, two inside the biggest (21,003
  stores), two across the graph (no path): 0.1-1.7 s, at worst 7.2 s then 4.4 s (a pair across
  the graph with `include_hubs=false`, whose hub test then reads every store of every
  identifier reached); 17.7 s for the very first query of the server (planning, cold page
  cache), 0.34 s again. Within 10 s once planned.
* `store-neighbourhood` ran out of the 600 MiB at `hops=1` in the form that had the limit's
  last row in a subquery importing the search's accumulator; the rows are now made after the
  accumulator is dropped: `hops=1` from a store of the 1,004-store operator, 879 stores in
  0.18 s (14 s planning it, under load); from the biggest operator, cut at 1,000 stores in
  0.97 s. At `hops=2` on that unclustered graph (every identifier walkable, as with
  `include_hubs=true`) it ran out of transaction memory within a second; that form is gone (the
  level's expansion is now bounded, above). The new form was not measured at 1M: the 20,000-store
  world reproduced the failure (the old form at `hops=2` with hubs ran out of the 600 MiB there
  too) and the new form answers it in 0.6 s.

The new form at 1,000,000 stores, on a **clustered** graph (the legacy world /work/scale/w1m,
bulk-loaded, clustered: 449,038 clusters; `bench/paths.py --repeat 2`, load average 8.5-8.9 on
2 cores, sixth session; docs/benchmarks.md has the lines): `path-between` 0.003-0.11 s for
pairs inside the 1,000-store operator and across operators, with and without hubs (1.98 s for
the first query of the run, planning); `store-neighbourhood` 0.06-0.18 s at `hops=1` (570
stores; 6.3 s the first time, planning), 0.53-0.74 s at `hops=2` and 0.24-0.72 s at `hops=4`
(cut at 1,000 stores), 0.12-0.32 s at `hops=2` with hubs. Both answer within the 10 s target at
this size, planning included.

Not chosen: a precomputed store-to-store `LINKED` projection (an identifier of k stores makes
k(k-1)/2 relationships: 570,000 for one 1,069-store address) and the Graph Data Science
library (GPL-3.0 jars in the server's plugins, for a search that plain Cypher answers in
milliseconds).

`store-neighbourhood` with `include_hubs=true` and `hops` of 2 or more walks through 3PL
warehouses and agencies into most of the graph. It is bounded by its `limit` (1,000 stores by
default): a level follows identifiers reaching at most 4 x `limit` stores together (the widest
are skipped), the search expands no further than the level where it passes `limit` stores or
skipped an identifier, lists the `limit` nearest stores it found and ends with a row that says
it was cut (`store_id` empty, `name` "cut: more than ... stores within ... hops" or "cut: at ...
hops, N identifiers shared by more than T stores (the widest by W) were not followed ...").

To measure both against issue 15's targets (2 s on a 1,000-store cluster, 10 s on a
1,000,000-store graph, hubs excluded), `bench/paths.py --world WORLD --prepare` replaces the
local server's graph with WORLD's (`load --bulk --replace`), clusters it and times both
queries inside the operator of about 1,000 stores (`--size`), inside the biggest and across
operators, then prints one verdict line per target (`target 2 s ...: met` or `MISSED`, by the
client's wall of every run, planning included). The legacy worlds (`graphaudit sample
--profile legacy --seed 1`, 20,000 stores or more) have a 1,000-store operator;
`bench/scale.py` runs it on the 1,000,000-store world after the other commands.
"""


def docs_markdown(library: Mapping[str, Query] | None = None) -> str:
    """The analysts' guide (``docs/queries.md``), generated from the query headers."""
    library = load_library() if library is None else library
    out = [_DOCS_INTRO, "\n## Queries\n\n"]
    out += [f"* [`{q.name}`](#{q.name}): {q.description}\n" for q in library.values()]
    for q in library.values():
        out.append(f"\n## {q.name}\n\n{q.description}\n")
        if q.notes:
            out.append("\n" + " ".join(q.notes) + "\n")
        if q.params:
            out.append("\n| parameter | type | default | example | meaning |\n"
                       "| --- | --- | --- | --- | --- |\n")
            for p in q.params:
                default = "*required*" if p.required else (
                    "null" if p.default is None else f"`{p.default}`")
                example = f"`{p.example}`" if p.example is not None else ""
                meaning = p.help.replace("|", r"\|")
                out.append(f"| `{p.name}` | {p.type} | {default} | {example} | {meaning} |\n")
        if q.returns:
            out.append(f"\nReturns {q.returns}\n")
        out.append(f"\n```\n{q.example_command()}\n```\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    """``python -m graphaudit.queries --docs [PATH]``: print or write docs/queries.md."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m graphaudit.queries",
                                     description="The query library's guide.")
    parser.add_argument("--docs", nargs="?", const="-", metavar="PATH", required=True,
                        help="write the guide to PATH (default: standard output)")
    args = parser.parse_args(argv)
    text = docs_markdown()
    if args.docs == "-":
        sys.stdout.write(text)
    else:
        Path(args.docs).write_text(text, encoding="utf-8")
    return 0
