"""Bulk loading of a new graph with Neo4j's own importer (``graphaudit load --bulk``).

``neo4j-admin database import full`` (in the Community jars scripts/neo4j.sh fetches) writes a
database from CSV files far faster than MERGE through Bolt, but only into a stopped server's
database, replacing it, and only with the server's files at hand. So ``--bulk`` works on the
local server of scripts/neo4j.sh alone (found by ``GRAPHAUDIT_NEO4J_HOME``, which that script
writes into the connection file): ``neo4j.sh import -`` stops the server while the import files
are written, then imports them and starts the server again; then the schema is created and the
data set recorded through Bolt as a MERGE load does. The graph is the one a MERGE load writes
(same labels, keys, properties and relationships; duplicates collapsed as MERGE collapses
them), which tests/test_bulk.py checks by loading both ways. Later loads into it use MERGE.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import compute as pc
from pyarrow import csv

from .errors import ConfigError, GraphauditError
from .identifiers import KINDS, LABELS, LINK_PROPERTIES, NODE_PROPERTIES, RELATIONSHIPS, Identifiers
from .privacy import key_id
from .records import holds_line_break
from .settings import ConnectionSettings, connection_file, read_env_file
from .store import (
    WRITE_HASHING,
    GraphStore,
    LoadSummary,
    hashed_graph_tables,
    link_columns,
    new_data_set_id,
    node_columns,
    store_columns,
)

__all__ = ["HOME_ENV", "BulkSummary", "bulk_load", "local_server", "server_stopping"]

#: the .neo4j folder of the local server (environment, or a line of the connection file)
HOME_ENV = "GRAPHAUDIT_NEO4J_HOME"
#: typed columns of the import files (neo4j-admin's header syntax); the others are strings
_TYPES = {"opened_on": "date", "suspended_on": "date", "valid": "boolean"}
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: the column of the node numbers (the importer's :ID, not a property)
_ID = "__node__"
#: sessions creating the schema at once over the imported graph: each uniqueness constraint's
#: index is populated on one server thread, so two keep both cores busy (docs/benchmarks.md)
SCHEMA_LANES = 2
#: threads writing the import files: Arrow writes a file's CSV text without the GIL, so
#: one file is written while the next one's columns are made (docs/benchmarks.md)
WRITERS = 2


def local_server(settings: ConnectionSettings, environ: Mapping[str, str] | None = None) -> Path:
    """The .neo4j folder of the local server that ``settings`` point at; ConfigError (exit 2)
    when they point at another server, whose files the importer cannot reach."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV)
    if not home and connection_file(env).is_file():
        home = read_env_file(connection_file(env)).get(HOME_ENV)
    state = Path(home) if home else None
    address = urlparse(settings.uri)
    port = (state / "port").read_text().strip() if state and (state / "port").is_file() else ""
    if (state is None or not (state.parent / "scripts" / "neo4j.sh").is_file()
            or address.hostname not in _LOCAL_HOSTS or str(address.port) != port):
        raise ConfigError(
            f"--bulk needs file access to the server: it runs Neo4j's importer on the database "
            f"files of the local server of `make neo4j-start` (scripts/neo4j.sh), and "
            f"{settings.safe_uri} is not it. Load without --bulk (MERGE through Bolt works "
            "with any server)")
    return state


def _write_csv(path: Path, frame: pd.DataFrame | pa.Table, header: list[str]) -> bool:
    """``frame`` as an import file, written columnwise by Arrow (Python's csv module spent
    35 s on the 1.45 million rows of 200,000 stores): strings quoted, quotes doubled, missing
    values as empty fields and "" as a quoted empty string, both no property to the importer
    (``--ignore-empty-strings``); booleans as true/false. Return whether a value holds a line
    break (the importer parses such a file on one thread, so only those are named multiline).
    """
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame,
                                                                           preserve_index=False)
    multiline = False
    for i, column in enumerate(table.column_names):
        if pa.types.is_integer(table.column(i).type):
            continue  # node numbers
        wanted = pa.bool_() if _TYPES.get(column) == "boolean" else pa.string()
        if table.column(i).type != wanted:
            table = table.set_column(i, header[i], table.column(i).cast(wanted))
        if wanted == pa.string() and not multiline:
            multiline = any(holds_line_break(chunk) for chunk in table.column(i).chunks)
    csv.write_csv(table.rename_columns(header), path,
                  csv.WriteOptions(quoting_style="needed"))
    return multiline


def _multiline_args(files: list[Path]) -> list[str]:
    """The importer's arguments for the files whose values span lines (its format v2 names
    them; a name holding its list separator falls back to every file)."""
    if not files:
        return ["--multiline-fields=false"]
    if any("," in str(path) for path in files):
        return ["--multiline-fields=true"]
    return ["--multiline-fields-format=v2",
            "--multiline-fields=" + ",".join(str(path) for path in files)]


def _positions(values: list[pd.Series], among: pd.Series) -> list[np.ndarray]:
    """The position of each of ``values``' values in ``among`` (unique), -1 where it is not
    there: one Arrow hash look-up for all of them (pandas' get_indexer took 4 s on 200,000
    stores' links), its table of ``among`` built once."""
    found = pc.index_in(pa.chunked_array([pa.array(v).cast(pa.string()) for v in values],
                                         type=pa.string()),
                        value_set=pa.array(among).cast(pa.string()))
    every = pc.fill_null(found, -1).to_numpy().astype(np.int64)
    return np.split(every, np.cumsum([len(v) for v in values])[:-1])


def _last_of_each(start: np.ndarray, end: np.ndarray,
                  address_type: pd.Series | None) -> np.ndarray:
    """Whether each link is the last of its (store, node) pair, and address type for an
    address: MERGE keeps one relationship per pair, with the last row's properties. Compared
    as one int64 per link (the node numbers), not as strings."""
    pair = (start + 1) * (int(end.max(initial=0)) + 2) + (end + 1)
    if address_type is not None:
        types = pd.factorize(address_type)[0]
        pair = pair * (int(types.max(initial=0)) + 1) + types
    return ~pd.Series(pair).duplicated(keep="last").to_numpy()


def _typed(column: str) -> str:
    return f"{column}:{_TYPES[column]}" if column in _TYPES else column


@dataclass
class ImportFiles:
    """The importer's arguments naming the files written, the input rows they came from, and
    the nodes per label and relationships per type they hold."""

    args: list[str]
    rows: int
    nodes: Counter
    relationships: Counter


def write_import_files(folder: Path, stores: pd.DataFrame, identifiers: Identifiers,
                       data_set: dict | None = None) -> ImportFiles:
    """Write the node and relationship files of the graph a MERGE load writes; return what
    they hold (:class:`ImportFiles`).

    Nodes are numbered here, 0 to n - 1 over every label, and the importer takes those numbers
    as the node records' own ids (``--id-type=actual``): it then neither stores, sorts nor
    looks up string ids (the ID column is not a property; ``store_id`` and ``key`` are written
    as plain columns), and a relationship names its ends by number. A link whose store or key
    has no node is left out, as MERGE would find no node for it. ``data_set`` (the properties
    of :func:`graphaudit.store.data_set_props` and the mode) becomes the :DataSet node, marked
    incomplete until the load records its end (not counted in :attr:`ImportFiles.nodes`).
    """
    def numbered(frame: pd.DataFrame, first: int) -> pa.Table:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return table.add_column(0, _ID, pa.array(np.arange(first, first + len(frame))))

    def kind_files(kind: str, start: np.ndarray, first: int) -> tuple[list[Path], int]:
        """Write one kind's node and link files; those holding a line break, and the links."""
        nodes_file, links_file = folder / f"{kind}.csv", folder / f"{kind}-links.csv"
        nodes = node_columns(kind, identifiers)
        nodes_multiline = _write_csv(nodes_file, numbered(nodes, first),
                                     [":ID", "key", *(_typed(c) for c in NODE_PROPERTIES[kind])])
        links = link_columns(kind, identifiers.parts[kind].reindex(
            columns=["store_id", "key", "raw", *LINK_PROPERTIES[kind]], fill_value=""))
        end = identifiers.numbered[kind][1]  # each link's node, found with the nodes
        keep = (start >= 0) & _last_of_each(
            start, end, links["address_type"] if kind == "address" else None)
        table = pa.Table.from_pandas(links.drop(columns=["store_id", "key"]),
                                     preserve_index=False)
        table = table.add_column(0, ":END_ID", pa.array(end + first)) \
            .add_column(0, ":START_ID", pa.array(start))
        if not keep.all():
            table = table.filter(pa.array(keep))
        links_multiline = _write_csv(links_file, table,
                                     [":START_ID", ":END_ID", "raw", *LINK_PROPERTIES[kind]])
        multiline = [p for p, multi in ((nodes_file, nodes_multiline),
                                        (links_file, links_multiline)) if multi]
        return multiline, table.num_rows

    frame = store_columns(stores).drop_duplicates("store_id", keep="last")
    stores_file = folder / "stores.csv"
    # the files are made and written on WRITERS threads (Arrow converts and writes without
    # the GIL), the stores' while each link's store is found
    with ThreadPoolExecutor(WRITERS) as pool:
        stores_done = pool.submit(_write_csv, stores_file, numbered(frame, 0),
                                  [":ID", *(_typed(c) for c in frame.columns)])
        # the kind's part holds the rows of .links of that kind, in their order, without
        # filtering every column of .links once per kind
        starts = _positions([identifiers.parts[kind]["store_id"] for kind in KINDS],
                            frame["store_id"])
        # the node numbers of each kind follow those of the stores and of the kinds before it
        firsts = np.cumsum([len(frame)] + [len(identifiers.nodes[kind]) for kind in KINDS])
        kinds_done = [pool.submit(kind_files, kind, starts[i], int(firsts[i]))
                      for i, kind in enumerate(KINDS)]
        multiline = [stores_file] if stores_done.result() else []
        written = [done.result() for done in kinds_done]

    args = ["--id-type=actual", f"--nodes=Store={stores_file}"]
    nodes, relationships = Counter(Store=len(frame)), Counter()
    for kind, (kind_multiline, links) in zip(KINDS, written, strict=True):
        args += [f"--nodes={LABELS[kind]}={folder / f'{kind}.csv'}",
                 f"--relationships={RELATIONSHIPS[kind]}={folder / f'{kind}-links.csv'}"]
        multiline += kind_multiline
        nodes[LABELS[kind]] = len(identifiers.nodes[kind])
        relationships[RELATIONSHIPS[kind]] = links
    if data_set is not None:
        data_sets_file = folder / "data-sets.csv"
        _write_data_set_file(data_sets_file, data_set, int(firsts[-1]))
        args.append(f"--nodes=DataSet={data_sets_file}")
        multiline += [data_sets_file]  # a path may hold a line break
    rows = len(stores) + sum(len(identifiers.parts[kind]) for kind in KINDS)
    return ImportFiles(args + _multiline_args(multiline), rows, nodes, relationships)


def _write_data_set_file(path: Path, data_set: dict, node: int) -> None:
    """The import file of the :DataSet node (number ``node``): ``data_set``'s scalar
    properties, ``complete`` false, a new id and the times, typed for the importer. Imported
    with the graph, so that an import that finishes after graphaudit was stopped (the importer
    runs on in its own process) leaves a graph recorded as an incomplete load of its source and
    files, which a plain rerun completes (REPORT7 item 8). Lists (what is not assessed) are
    left to the end's record."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    row = {key: value for key, value in data_set.items() if not isinstance(value, list)}
    row.update(data_set_id=new_data_set_id(), complete=False, loads=0, loaded_at=now,
               first_loaded_at=now)
    header = [":ID", *(_import_column(key, value) for key, value in row.items())]
    table = pa.table({name: [value] for name, value in zip(header, [node, *row.values()],
                                                           strict=True)})
    csv.write_csv(table, path, csv.WriteOptions(quoting_style="needed"))


def _import_column(name: str, value: object) -> str:
    """The importer's header of one :DataSet property."""
    if name.endswith("_at"):
        return f"{name}:datetime"
    if isinstance(value, bool):
        return f"{name}:boolean"
    return f"{name}:long" if isinstance(value, int) else name


@dataclass
class BulkSummary(LoadSummary):
    """A LoadSummary with the seconds of each stage (bench/load.py prints them): wall, and the
    CPU of this process and of the processes it waited for (the importer), and what
    scripts/neo4j.sh said while it stopped, imported and started the server."""

    stages: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, tuple[float, float]] = field(default_factory=dict)
    server_output: str = ""


@contextmanager
def server_stopping(state: Path) -> Iterator[subprocess.Popen]:
    """Start stopping the local server for an import (``neo4j.sh import -``, which waits for
    the importer's arguments on stdin once the server is down), so that the stop (10-13 s with
    a 4 GiB heap) overlaps whatever the caller does next: reading and normalizing the records,
    writing the import files. Give the running stop to :func:`bulk_load`. Should the caller
    fail before, nothing is imported and the server is started again with its graph."""
    server = subprocess.Popen(["bash", str(state.parent / "scripts" / "neo4j.sh"), "import",
                               "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        yield server
    except BaseException:
        if server.returncode is None:
            server.communicate("")
        raise


def bulk_load(store: GraphStore, state: Path, stores: pd.DataFrame, identifiers: Identifiers,
              hash_with: bytes | None = None,
              server: subprocess.Popen | None = None,
              data_set: dict | None = None) -> BulkSummary:
    """Replace the local server's database with the graph of ``stores`` and ``identifiers``
    through neo4j-admin's importer (the server is stopped and started again), then create the
    schema; return what the graph holds as a LoadSummary.

    ``server`` is the stop :func:`server_stopping` began (None: it begins here). With
    ``hash_with`` the identifiers are hashed as :meth:`GraphStore.load` hashes them.
    ``data_set`` is imported as the load's :DataSet node, incomplete (the caller records its
    end).
    """
    if server is None:
        with server_stopping(state) as stopping:
            return bulk_load(store, state, stores, identifiers, hash_with, stopping, data_set)
    summary = BulkSummary()
    started, cpu = time.perf_counter(), _cpu()

    def lap(stage: str) -> None:
        nonlocal started, cpu
        now, now_cpu = time.perf_counter(), _cpu()
        summary.stages[stage] = now - started
        summary.cpu[stage] = (now_cpu[0] - cpu[0], now_cpu[1] - cpu[1])
        started, cpu = now, now_cpu

    import_dir = state / "import-bulk"
    import_dir.mkdir(mode=0o700, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=import_dir) as tmp:
        folder = Path(tmp)
        try:
            if hash_with is not None:
                stores, identifiers = hashed_graph_tables(stores, identifiers, hash_with)
            files = write_import_files(folder, stores, identifiers, data_set)
        except BaseException:
            server.communicate("")
            raise
        summary.rows = files.rows
        args = files.args + ["--overwrite-destination=true", "--ignore-empty-strings=true",
                             "--skip-bad-relationships=true",
                             f"--report-file={folder / 'import.report'}"]
        lap("writing the import files")
        out, err = server.communicate("".join(_quoted(a) + "\n" for a in args))
        if server.returncode != 0:
            raise GraphauditError("the bulk import failed (the server was started again):\n"
                                  + (err.strip() or out.strip())[-3000:])
        summary.server_output = out
        lap("what is left of the server's stop, importing, starting it")
    store.verify()
    lap("connecting again")
    store.ensure_schema(lanes=SCHEMA_LANES)
    if hash_with is not None:
        store.run_write(WRITE_HASHING, key_id=key_id(hash_with))
    lap("creating the schema")
    imported = (sum(files.nodes.values()) + (data_set is not None),
                sum(files.relationships.values()))
    if imported_totals(state / "logs" / "import.log") == imported:
        # the importer took every node and relationship of the files: they are the counts
        summary.nodes_created.update(+files.nodes)
        summary.relationships_created.update(+files.relationships)
    else:  # it left some out (a bad relationship skipped): count what the graph holds
        labels, types = store.counts()
        summary.nodes_created.update({k: v for k, v in labels.items()
                                      if v and k != "DataSet"})
        summary.relationships_created.update({k: v for k, v in types.items() if v})
    lap("counting")
    return summary


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of the children it waited for."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def imported_totals(log: Path) -> tuple[int, int] | None:
    """The nodes and relationships the importer says it imported ("Imported:" at the end of
    its log), None when the log does not say (counting the graph instead took 3 s at 1M)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(r"IMPORT DONE.*?Imported:\s+(\d+) nodes\s+(\d+) relationships", text,
                      re.S)
    return (int(found.group(1)), int(found.group(2))) if found else None


def _quoted(arg: str) -> str:
    """One argument of a Java argument file: in double quotes, backslash and quote escaped."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
