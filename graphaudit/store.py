"""Neo4j: the driver, the schema, batched idempotent loading, read-back and cluster write-back.

This module owns every conversation with the server. Writes run in managed transactions
(``execute_write``), which retry transient failures, and every statement is idempotent (MERGE on
the unique keys), so a retried batch or a re-run load leaves the same graph. Values always travel
as parameters; labels and relationship types come only from the fixed lists in
:mod:`graphaudit.identifiers`.
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

import neo4j

from .errors import ConfigError, DataError, GraphauditError, Neo4jUnavailable
from .identifiers import (
    KINDS,
    LABELS,
    LINK_PROPERTIES,
    NODE_PROPERTIES,
    RELATIONSHIPS,
    Identifiers,
    store_brand_keys,
)
from .parallel import Parallel
from .privacy import PII_KINDS, hashed_graph_table, key_id
from .readonly import split_statements
from .settings import ConnectionSettings, check_uri

if TYPE_CHECKING:
    from .records import Fingerprint

__all__ = ["CYPHER_DIR", "GraphStore", "LoadSummary", "connect", "graph_overrides",
           "hashed_graph_tables", "hashed_under", "read_hashing", "stale_clusters"]

# The server's notifications on graphaudit's own statements (a label that does not exist yet in
# an empty database) are not the user's business; `graphaudit query` reports those of a query.
logging.getLogger("neo4j.notifications").addHandler(logging.NullHandler())

#: the Cypher library shipped inside the package (``graphaudit/cypher/``), read as a resource
CYPHER_DIR: Traversable = resources.files(__package__) / "cypher"
#: rows per transaction: 5,000 left the server less garbage to collect than 10,000, and 1,000
#: and 2,500 were no faster (docs/benchmarks.md)
BATCH_SIZE = 5_000
#: sessions writing at once: the server runs one transaction per core
LOAD_WORKERS = 2
#: an identifier linked to more stores than this is a hub, whose links are written on one lane
HUB_LINKS = 50
HUB_LANE = -1
#: seconds the server gives one load transaction (a batch takes about a second): a transaction
#: whose client went away without closing it would otherwise hold its locks for ever
LOAD_TX_TIMEOUT = 300.0
STORE_COLUMNS = ("store_id", "name", "brand", "marketplace", "opened_on", "status",
                 "suspended_on", "status_reason")

#: this module's statements, one file each (values always as parameters)
STATEMENT_DIR: Traversable = CYPHER_DIR / "store"


@functools.cache
def statement(name: str) -> str:
    """The Cypher of ``cypher/store/NAME.cypher``, read from the package (once)."""
    return (STATEMENT_DIR / f"{name}.cypher").read_text(encoding="utf-8")


LOAD_STORES = statement("load-stores")
# Nodes first, each key once, then the links: each link row carries only its own properties.
# Labels and relationship types cannot be parameters, so each kind has its own statements.
LOAD_NODES = {kind: statement(f"load-nodes-{kind}") for kind in KINDS}
LOAD_LINKS = {kind: statement(f"load-links-{kind}") for kind in KINDS}


@dataclass
class LoadSummary:
    """What a load wrote: nodes created per label, relationships per type, rows sent."""

    rows: int = 0
    nodes_created: Counter = field(default_factory=Counter)
    relationships_created: Counter = field(default_factory=Counter)
    #: transactions run again after a transient error (deadlocks between concurrent batches)
    retries: int = 0


def connect(settings: ConnectionSettings) -> GraphStore:
    """Open a driver and check that the server answers and accepts the credentials."""
    store = GraphStore(settings)
    store.verify()
    return store


class GraphStore:
    """One driver to one database, with the operations graphaudit needs."""

    def __init__(self, settings: ConnectionSettings, retry_seconds: float = 30.0,
                 load_timeout: float = LOAD_TX_TIMEOUT) -> None:
        """``retry_seconds`` bounds how long a managed transaction retries transient errors;
        ``load_timeout`` how many seconds the server gives one load transaction."""
        self.settings = settings
        self.load_timeout = load_timeout
        check_uri(settings.uri)
        try:
            self.driver = neo4j.GraphDatabase.driver(
                settings.uri, auth=(settings.user, settings.password), connection_timeout=10,
                max_transaction_retry_time=retry_seconds,
            )
        except (ValueError, DriverError, ImportError) as exc:
            # the driver's message repeats the whole URI: never print it
            raise ConfigError(f"bad Neo4j URI {settings.safe_uri!r} "
                              f"({type(exc).__name__})") from None

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection ---------------------------------------------------------------------------

    def verify(self) -> None:
        with self.translated("connecting"):
            self.driver.verify_connectivity()
            self.run_read(statement("ping"))

    def answers(self) -> bool:
        """True when the server answers a ping now: one attempt and no retry, so that after a
        failure a caller can say at once whether the server is still up."""
        try:
            with self._session() as session:
                session.run(statement("ping")).consume()
        except (DriverError, Neo4jError, OSError):
            return False
        return True

    @contextmanager
    def translated(self, doing: str) -> Iterator[None]:
        """Turn driver errors into graphaudit's errors, never showing the password."""
        where = f"{self.settings.safe_uri} (database {self.settings.database})"
        if self.settings.origin:
            where += f"; settings from {self.settings.origin}"
        try:
            yield
        except AuthError as exc:
            # the password's own source: it is often not where the address came from
            sources = [f"password from {self.settings.password_origin}"] * bool(
                self.settings.password_origin)
            sources += [f"address from {self.settings.origin}"] * bool(self.settings.origin)
            raise Neo4jUnavailable(
                f"Neo4j at {self.settings.safe_uri} (database {self.settings.database}) "
                f"refused the credentials of user {self.settings.user!r}"
                + (f" ({'; '.join(sources)})" if sources else "")
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise Neo4jUnavailable(f"cannot reach Neo4j at {where} while {doing}") from exc
        except Neo4jError as exc:
            if exc.code and "Security" in exc.code:
                raise Neo4jUnavailable(f"Neo4j at {where}: {exc.message}") from exc
            raise GraphauditError(f"Neo4j error while {doing}: {exc.message}") from exc

    # -- plain queries ------------------------------------------------------------------------

    def run_read(self, query: str, **parameters: object) -> list[dict]:
        """Run a read-only query in a managed read transaction; return its records as dicts."""
        def work(tx: neo4j.ManagedTransaction) -> list[dict]:
            return [record.data() for record in tx.run(query, parameters)]

        with self.translated("reading"), self._session() as session:
            return session.execute_read(work)

    def read_columns(self, query: str, **parameters: object) -> dict[str, list]:
        """Run a read-only query that returns one record of column lists (``collect()``), and
        return that record as a dict, as the driver decoded it: ``Record.data()`` walks every
        value to convert graph types, which cost 4.6 s of 6 s reading 20,000 stores back."""
        def work(tx: neo4j.ManagedTransaction) -> dict[str, list]:
            record = tx.run(query, parameters).single(strict=True)
            return dict(zip(record.keys(), record.values(), strict=True))

        with self.translated("reading"), self._session() as session:
            return session.execute_read(work)

    def run_write(self, query: str, **parameters: object) -> neo4j.SummaryCounters:
        """Run one statement in a managed write transaction; return its counters."""
        def work(tx: neo4j.ManagedTransaction) -> neo4j.SummaryCounters:
            return tx.run(query, parameters).consume().counters

        with self.translated("writing"), self._session() as session:
            return session.execute_write(work)

    def _session(self) -> neo4j.Session:
        return self.driver.session(database=self.settings.database)

    # -- schema and load ----------------------------------------------------------------------

    def ensure_schema(self, path: Traversable = CYPHER_DIR / "schema.cypher",
                      lanes: int = 1) -> int:
        """Create the constraints and indexes of ``cypher/schema.cypher``; return how many.

        A uniqueness constraint returns once its index holds every node of its label, and the
        server populates it on one thread: over a bulk-loaded graph ``lanes`` sessions create
        them at once (docs/benchmarks.md), in the file's order.
        """
        statements = split_statements(path.read_text(encoding="utf-8"))

        def create(statement: str) -> None:
            with self._session() as session:
                session.execute_write(lambda tx: tx.run(statement).consume())

        with self.translated("creating the schema"):
            if lanes <= 1:
                for statement in statements:
                    create(statement)
            else:
                with ThreadPoolExecutor(lanes) as pool:
                    list(pool.map(create, statements))
        return len(statements)

    def load(
        self,
        stores: pd.DataFrame,
        identifiers: Identifiers,
        progress: Callable[[int], None] | None = None,
        hash_with: bytes | None = None,
        kept: Iterable[str] = (),
        data_set_id: str | None = None,
    ) -> LoadSummary:
        """Write stores, identifiers and their links in batches; idempotent.

        ``kept`` names the store columns (of :data:`STORE_COLUMNS`) the stores file does not
        have: a store already in the graph keeps the value an earlier load wrote there, and a
        new one gets the file reader's default (status ``active``, no date). Without it an
        appended file without a status column lifted every ban it touched (REPORT9 item 2). A
        store whose status changes keeps the one before it as ``previous_status``,
        ``previous_suspended_on`` and ``previous_status_reason``, and ``status_changed_by``
        names ``data_set_id``, the load that changed it (REPORT9 item 4).

        With ``hash_with`` (a pseudonym key), the graph stores keyed hashes instead of ID
        numbers, accounts, phones, e-mails, their spellings and holder names
        (:func:`hashed_graph_tables`), and says so in a ``:GraphauditPrivacy`` node; a graph
        holds one or the other, never both (GraphauditError): a load without ``hash_with`` into
        a hashed graph is refused, and the CLI loads a hashed graph hashed even without
        ``--hash-identifiers``.

        Batches run on ``LOAD_WORKERS`` sessions at once: the server runs a transaction on one
        core, so one client thread left the other core idle. Every node is written before any
        link, because a link's MATCH silently skips a node that does not exist yet. Links go in
        lanes that share no node (see :func:`link_lanes`): creating a relationship locks both
        its nodes until commit, and batches sharing nodes wait for or deadlock each other.

        If the server goes away, raises Neo4jUnavailable saying how many rows were written;
        running the load again completes the graph without doubling anything.
        """
        stores, identifiers = self._as_graph_stores(stores, identifiers, hash_with)
        summary = LoadSummary()
        nodes = _Shared(itertools.chain(
            _column_batches("Store", LOAD_STORES, store_columns(stores), counted=True,
                            fixed={"kept": sorted(set(kept)), "data_set_id": data_set_id}),
            *(_column_batches(LABELS[k], LOAD_NODES[k], node_columns(k, identifiers),
                              counted=False) for k in KINDS),
        ))
        lane = link_lanes(identifiers.links, LOAD_WORKERS)
        self._write_lanes([nodes] * LOAD_WORKERS, summary, progress)
        self._write_lanes([_link_batches(identifiers, lane == j) for j in range(LOAD_WORKERS)],
                          summary, progress)
        self._write_lanes([_link_batches(identifiers, lane == HUB_LANE)], summary, progress)
        return summary

    def _as_graph_stores(self, stores: pd.DataFrame, identifiers: Identifiers,
                         secret: bytes | None) -> tuple[pd.DataFrame, Identifiers]:
        """The tables to write, hashed if asked or if the graph is; check the graph agrees."""
        stored = read_hashing(self)
        if stored is None and secret is None:
            return stores, identifiers
        if stored is None:
            if self.run_read(statement("any-store")):
                raise GraphauditError(
                    "the graph already holds identifiers in the clear: --hash-identifiers "
                    "needs an empty graph (delete it first, or load without the option)")
        elif secret is None:
            raise GraphauditError(
                "the graph was loaded with --hash-identifiers: load into it with "
                "--hash-identifiers too (and the same --pseudonym-key)")
        elif stored != key_id(secret):
            raise GraphauditError(
                "the graph was loaded with --hash-identifiers under another pseudonym key: "
                "give that key with --pseudonym-key")
        self.run_write(WRITE_HASHING, key_id=key_id(secret))
        return hashed_graph_tables(stores, identifiers, secret)

    def _write_lanes(
        self,
        lanes: list[Iterator[_Batch]],
        summary: LoadSummary,
        progress: Callable[[int], None] | None,
        redo: str = "the load",
    ) -> None:
        """Write each lane on a thread of its own, its batches in order, and wait for all.

        Results come back to this thread, so ``progress`` and ``summary`` see one caller. On a
        failure the other lanes stop after their current batch, whose rows still count.
        """
        results: queue.SimpleQueue = queue.SimpleQueue()
        stop = threading.Event()
        failure: Exception | None = None
        # threads that wait on the server (io): the one policy of graphaudit.parallel
        with Parallel().threads(len(lanes), io=True) as pool:
            for lane in lanes:
                pool.submit(self._write_lane, lane, results, stop, redo)
            running = len(lanes)
            try:
                while running:
                    item = results.get()
                    if item is None:
                        running -= 1
                    elif isinstance(item, Exception):
                        failure = failure or item
                        stop.set()
                    else:
                        _tally(item, summary, progress)
            except KeyboardInterrupt:
                # Ctrl-C: the lanes end after their current batch, which is let finish before
                # the driver closes; closed under it, its transaction was retried on a dead
                # connection after the interrupt was told (REPORT9 item 10)
                stop.set()
                while running:
                    running -= results.get() is None
                raise
            finally:
                stop.set()
        if isinstance(failure, Neo4jUnavailable):
            raise Neo4jUnavailable(
                f"{failure}; {summary.rows} rows were written before it went away; "
                f"run {redo} again to complete the graph"
            ) from failure
        if failure:
            raise failure

    def _write_lane(self, lane: Iterator[_Batch], results: queue.SimpleQueue,
                    stop: threading.Event, redo: str) -> None:
        """Write a lane's batches until it ends or ``stop`` is set; report each to ``results``,
        then ``None``. Runs on a worker thread, so it reports errors instead of raising them."""
        try:
            for batch in lane:
                if stop.is_set():
                    break
                results.put((batch, *self._write_batch(batch, redo)))
        except Exception as exc:  # handed to the caller's thread, which raises it
            results.put(exc)
        finally:
            results.put(None)

    def _write_batch(self, batch: _Batch, redo: str) -> tuple[neo4j.SummaryCounters, int]:
        """Write one batch in a managed transaction, in a session of its own (sessions are not
        thread-safe); return its counters and how many times the server made us retry.
        ``redo`` names what completes the writing when the batch times out."""
        attempts = 0

        def work(tx: neo4j.ManagedTransaction) -> neo4j.SummaryCounters:
            nonlocal attempts
            attempts += 1
            return tx.run(batch.statement, batch.columns).consume().counters

        bounded = neo4j.unit_of_work(timeout=self.load_timeout)(work)
        with self.translated(f"loading {batch.name}"), self._session() as session:
            try:
                return session.execute_write(bounded), attempts - 1
            except Neo4jError as exc:
                # a timed-out transaction waiting for a lock is told its lock client stopped
                if exc.code and ("TransactionTimedOut" in exc.code
                                 or "LockClientStopped" in exc.code):
                    raise GraphauditError(
                        f"a batch of {batch.name} did not finish within {self.load_timeout:g} s "
                        "and the server stopped it: another transaction is probably holding "
                        "locks on the same nodes (another `graphaudit load` or `graphaudit "
                        "cluster` on this database, or a write left open in Neo4j Browser or "
                        "`graphaudit shell`: SHOW TRANSACTIONS lists them). Let it finish or "
                        f"stop it (TERMINATE TRANSACTION), then run {redo} again: it completes "
                        "what was written, doubling nothing") from None
                raise

    def delete_all(self, batch_size: int = 10_000) -> int:
        """Delete every node and relationship (constraints and indexes stay); return how many
        nodes went. ``graphaudit reset`` and the tests' clean database both come here.

        Deletes the relationships, then the nodes, each in transactions of ``batch_size``
        (``CALL ... IN TRANSACTIONS``), so no transaction grows with the graph or with a hub's
        degree (issue 15 saw batches of nodes that took their relationships with them exceed
        the server's 600 MiB of transaction memory at 200,000 stores; docs/benchmarks.md has
        the measurements).
        """
        with self.translated("deleting the graph"), self._session() as session:
            # the records first: a remnant of a stopped reset is no data set's (REPORT7 item 8)
            records = session.run(statement("delete-data-sets")).single()
            session.run(statement("delete-relationships"), size=batch_size).consume()
            record = session.run(statement("delete-all"), size=batch_size).single()
        return sum(int(r["deleted"]) for r in (records, record) if r)

    reset = delete_all

    def node_count(self) -> int:
        """How many nodes the graph holds, of any label (0: an empty database)."""
        return int(self.run_read(statement("count-nodes"))[0]["n"])

    # -- data sets ----------------------------------------------------------------------------

    def data_sets(self) -> list[dict]:
        """The loads recorded in the graph (:DataSet nodes), oldest first."""
        return self.run_read(READ_DATA_SETS)

    def check_load(self, source: str, mode: str | None, fingerprint: Fingerprint | None = None
                   ) -> list[dict]:
        """Refuse to mix data sets unless told: return the data sets already loaded.

        ``mode`` is None (refuse a database that holds another data set), ``"append"`` (add to
        it: stores with the same id are merged) or ``"replace"`` (the caller resets first).
        Loading the same files again is a rerun (idempotent) and always allowed; the same
        source whose files changed since (``fingerprint``, see
        :class:`graphaudit.records.Fingerprint`: other bytes, not only other modification
        times) is refused: MERGEd over the old graph, it
        would keep every link the new files dropped. Raises DataError when the database
        holds stores of another (or an unrecorded) source, or of this source's older files.
        """
        loaded = self.data_sets()
        if mode is not None:
            return loaded
        stores = self.run_read(statement("count-stores"))[0]["n"]
        if stores and fingerprint is not None:
            for row in self.run_read(DATA_SET_FINGERPRINT, source=source):
                if not fingerprint.same_files(row["fingerprint"], row["content"]):
                    why = ("their contents differ" if row["content"] is not None else
                           "sizes or modification times differ")
                    when = ("an incomplete load, stopped before its end, started"
                            if not row["complete"] else "")
                    raise DataError(
                        f"{source}: its files changed since they were loaded "
                        f"({when}{' ' if when else ''}{row['loaded_at'][:19]} UTC; {why}): "
                        "loaded over the old graph, every link the new files dropped would "
                        "stay. Give --replace to load them into a new graph (or --append to "
                        "merge them over the old one, keeping its links)")
        if not stores or any(d["source"] == source for d in loaded):
            return loaded
        raise DataError(f"database {self.settings.database!r} already holds "
                        f"{_loaded_text(loaded)} ({stores:,} stores): give --append to add this "
                        "data set to it (stores with the same id are merged), or --replace to "
                        "delete the graph first (or run `graphaudit reset`)"
                        f"{_unrecorded_hint(loaded)}")

    def begin_data_set(self, props: dict, mode: str | None, changed: bool = True) -> str:
        """Record a load's data set (``props``, :func:`data_set_props`) before it writes a
        store, marked incomplete; return its id. A load stopped before its end leaves its
        stores recorded as an incomplete load of its source and files, which a plain rerun of
        the same files completes (:meth:`check_load` lets it through) and reports, ``cluster``
        and queries name (REPORT7 item 8); :meth:`record_data_set` marks it complete.
        ``changed`` False (a rerun of the last load) keeps its ``loaded_at`` until the end."""
        return self.run_write_one(BEGIN_DATA_SET, props=props, mode=mode,
                                  data_set_id=new_data_set_id(),
                                  changed=changed)["data_set_id"]

    def record_data_set(self, props: dict, mode: str | None, changed: bool = True) -> dict:
        """Record a load at its end as the complete :DataSet node of its source (``props``,
        :func:`data_set_props`: path, row counts per file, the files' fingerprint, what their
        missing columns leave unassessed); return its properties. Loading a source again (a
        rerun) updates its node and counts the loads, so the graph stays the same; the node
        keeps its id, and its mode when ``mode`` is None (a load without --append or
        --replace). ``changed`` False (a rerun of the last load that created nothing) keeps its
        ``loaded_at``, so the clusters computed since stay current."""
        return self.run_write_one(WRITE_DATA_SET, props=props, mode=mode,
                                  data_set_id=new_data_set_id(), changed=changed)

    def status_changes(self, stores: pd.DataFrame, page: int = 50_000) -> list[dict]:
        """The stores of ``stores`` (store_id, status) the graph holds with another status:
        store_id, was, now and the graph's suspended_on (text, or None), read before a load
        writes, a page of ids at a time (REPORT9 item 4)."""
        found: list[dict] = []
        for start in range(0, len(stores), page):
            chunk = stores.iloc[start:start + page]
            found += self.run_read(STATUS_CHANGES, store_id=chunk["store_id"].tolist(),
                                   status=chunk["status"].tolist())
        return found

    def store_count(self) -> int:
        """How many stores the graph holds."""
        return int(self.run_read(statement("count-stores"))[0]["n"])

    def run_write_one(self, query: str, **parameters: object) -> dict:
        """Run one statement in a managed write transaction; return its single record."""
        def work(tx: neo4j.ManagedTransaction) -> dict:
            record = tx.run(query, parameters).single()
            return record.data() if record else {}

        with self.translated("writing"), self._session() as session:
            return session.execute_write(work)

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nodes per label and relationships per type, as the server counts them now."""
        counted = self.run_read(statement("counts"))[0]
        labels = {label: counted[label]
                  for label in ("Store", *LABELS.values(), "Cluster", "DataSet")}
        types = {rel: counted[rel]
                 for rel in (*RELATIONSHIPS.values(), "SIMILAR_TO", "MEMBER_OF")}
        return labels, types


@dataclass
class _Batch:
    """The parameters of one transaction (a list per column), with what to count once written."""

    name: str
    statement: str
    columns: dict[str, list]
    rows: int
    counted: bool


class _Shared:
    """One iterator that several lanes draw from (a generator is not safe across threads)."""

    def __init__(self, iterator: Iterator[_Batch]) -> None:
        self.iterator = iterator
        self.lock = threading.Lock()

    def __iter__(self) -> _Shared:
        return self

    def __next__(self) -> _Batch:
        with self.lock:
            return next(self.iterator)


def _tally(result: tuple[_Batch, neo4j.SummaryCounters, int], summary: LoadSummary,
           progress: Callable[[int], None] | None) -> None:
    """Add what one written batch created to ``summary``."""
    batch, counters, retries = result
    if counters.nodes_created:
        summary.nodes_created[batch.name] += counters.nodes_created
    if counters.relationships_created:
        summary.relationships_created[batch.name] += counters.relationships_created
    summary.retries += retries
    if batch.counted:
        summary.rows += batch.rows
        if progress:
            progress(batch.rows)


def link_lanes(links: pd.DataFrame, lanes: int) -> np.ndarray:
    """The lane of each link row: links in different lanes share no Store and no identifier.

    Lanes are whole connected components of the store-identifier graph, so concurrent batches
    never wait for each other's node locks. Hubs (identifiers of more than ``HUB_LINKS`` stores)
    would join most stores into one component: their links get ``HUB_LANE`` and are written
    after the others, on one lane.
    """
    # scipy here, not at the top: every command that connects imports this module, and scipy's
    # sparse graphs were a third of `graphaudit query`'s start-up (docs/benchmarks.md)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    stores, store_ids = pd.factorize(links["store_id"])
    # identifier nodes are numbered after the stores, in one vertex space
    idents = len(store_ids) + links.groupby(["kind", "key"], sort=False).ngroup().to_numpy()
    hub = np.bincount(idents)[idents] > HUB_LINKS
    size = int(idents.max(initial=len(store_ids) - 1)) + 1
    edges = coo_matrix((np.ones(int((~hub).sum()), dtype=np.int8), (stores[~hub], idents[~hub])),
                       shape=(size, size))
    _, component = connected_components(edges, directed=False)
    lane = component[stores] % lanes
    lane[hub] = HUB_LANE
    return lane


def store_columns(stores: pd.DataFrame) -> pd.DataFrame:
    """The Store nodes' columns as both loads write them (Bolt here, files in :mod:`.bulk`)."""
    frame = stores[list(STORE_COLUMNS)].copy()
    frame["brand_key"] = store_brand_keys(frame["brand"])
    return frame


def node_columns(kind: str, identifiers: Identifiers) -> pd.DataFrame:
    """One kind's nodes: key and the properties of NODE_PROPERTIES; a column the input lacks is
    all None, so the statement stays the same for every input."""
    nodes = identifiers.nodes[kind]
    return nodes.reindex(columns=["key", *NODE_PROPERTIES[kind]])


def link_columns(kind: str, links: pd.DataFrame) -> pd.DataFrame:
    """One kind's links: store, key, raw and the properties of LINK_PROPERTIES (an address
    link without a type is ``other``)."""
    frame = links[["store_id", "key", "raw", *LINK_PROPERTIES[kind]]]
    if kind == "address":
        frame = frame.assign(address_type=frame["address_type"].replace("", "other"))
    return frame


def _column_batches(name: str, statement: str, frame: pd.DataFrame, counted: bool,
                    fixed: dict[str, object] | None = None) -> Iterator[_Batch]:
    """Batches of ``frame`` as one list per column; "" and missing values become None (no
    property), numpy scalars Python ones (``tolist``). ``fixed`` parameters go with every
    batch."""
    for start in range(0, len(frame), BATCH_SIZE):
        chunk = frame.iloc[start:start + BATCH_SIZE]
        columns = {column: _none_if_empty(chunk[column]) for column in chunk.columns}
        yield _Batch(name, statement, {**columns, **(fixed or {})}, len(chunk), counted)


def _none_if_empty(column: pd.Series) -> list:
    values = column.to_numpy(dtype=object)
    return np.where(pd.isna(values) | (values == ""), None, values).tolist()


def _link_batches(identifiers: Identifiers, selected: np.ndarray) -> Iterator[_Batch]:
    """Batches of the ``selected`` link rows, kind after kind (one statement per kind)."""
    for kind in KINDS:
        links = identifiers.links[selected & (identifiers.links["kind"] == kind).to_numpy()]
        yield from _column_batches(RELATIONSHIPS[kind], LOAD_LINKS[kind],
                                   link_columns(kind, links), counted=True)


# -- data sets --------------------------------------------------------------------------------

READ_DATA_SETS = statement("read-data-sets")
BEGIN_DATA_SET = statement("begin-data-set")
WRITE_DATA_SET = statement("write-data-set")
DATA_SET_FINGERPRINT = statement("data-set-fingerprint")
STATUS_CHANGES = statement("status-changes")
#: clusters written before the latest load describe an older graph
STALE_CLUSTERS = statement("stale-clusters")


def new_data_set_id() -> str:
    """A new data set's id (a node keeps the one it was created with)."""
    return uuid.uuid4().hex[:12]


def data_set_props(source: str, files: dict[str, dict[str, int]], stores: int,
                   not_assessed: Iterable[str] = (),
                   fingerprint: Fingerprint | None = None) -> dict:
    """The properties a load records on its :DataSet node, at its start and its end: the
    source, the stores loaded, the rows read, accepted and rejected per file
    (``stores_read``, ...), what the missing columns leave unassessed and the files'
    fingerprint (what tells this export from another in the same folder)."""
    props: dict = {"source": source, "stores": stores, "not_assessed": list(not_assessed)}
    if fingerprint is not None:
        props["fingerprint"], props["content"] = fingerprint.files, fingerprint.content
    for name, counts in files.items():
        for what, n in counts.items():
            props[f"{name}_{what}"] = int(n)
    return props


def incomplete_loads(data_sets: list[dict]) -> list[str]:
    """The sources of the data sets whose load stopped before its end (an older node, recorded
    only at the end of its load, is complete)."""
    return [d["source"] for d in data_sets if d.get("complete") is False]


def incomplete_text(source: str) -> str:
    """What every command that reads the graph says of an incomplete load: the graph may lack
    its stores and links, and how to complete it."""
    return (f"the graph holds an incomplete load of {source}: it stopped before its end, so "
            "stores and links of it may be missing; `graphaudit load` of the same folder "
            "completes it")


def _loaded_text(loaded: list[dict]) -> str:
    """The data sets a refused load found, an incomplete one said so."""
    if not loaded:
        return "stores of an unrecorded load"
    sources = {d["source"]: d.get("complete") is False for d in loaded}
    return "data set " + ", ".join(
        repr(s) + (" (an incomplete load: `graphaudit load` of it completes it)" if incomplete
                   else "") for s, incomplete in sources.items())


def _unrecorded_hint(loaded: list[dict]) -> str:
    """Where stores of no data set come from, and what to do (REPORT7 item 8): a load records
    its data set before it writes a store, so only a load by a graphaudit before 2026-12-02, a
    reset (or --replace) stopped while deleting, or writes from outside leave them."""
    if loaded:
        return ""
    return ("; a load by a graphaudit before 2026-12-02 that stopped before its end, or a reset "
            "or --replace stopped while deleting the graph, leaves stores of no data set: "
            "if they were this data's, --append completes it")


def stale_clusters(store: GraphStore) -> int:
    """How many :Cluster nodes were computed before the latest load (``graphaudit cluster``
    replaces them)."""
    rows = store.run_read(STALE_CLUSTERS)
    return int(rows[0]["stale"]) if rows else 0


# -- hashed identifiers ----------------------------------------------------------------------

READ_HASHING = statement("read-hashing")
WRITE_HASHING = statement("write-hashing")


def read_hashing(store: GraphStore) -> str | None:
    """The key id (:func:`.privacy.key_id`) the graph's identifiers were hashed under, or None
    for a graph that stores them in the clear."""
    rows = store.run_read(READ_HASHING)
    return rows[0]["key_id"] if rows else None


def hashed_under(store: GraphStore, secret: bytes) -> bool:
    """Whether the graph stores its identifiers as keyed hashes under ``secret``'s key; a graph
    hashed under another key is refused (its hashes could match nothing we compute)."""
    stored = read_hashing(store)
    if stored is not None and stored != key_id(secret):
        raise GraphauditError("the graph was loaded with --hash-identifiers under another "
                              "pseudonym key: give that key with --pseudonym-key")
    return stored is not None


def graph_overrides(store: GraphStore, overrides, secret: bytes):
    """A ``--hubs`` file's overrides (:class:`~.linkage.hubs.HubOverrides`, or None) as the graph
    spells identifiers: hashed under ``secret`` when the graph was loaded with
    ``--hash-identifiers`` (a graph hashed under another key is refused)."""
    if overrides is None or not hashed_under(store, secret):
        return overrides
    from .linkage.hubs import HubOverrides
    from .privacy import hash_value

    def hashed(listed: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
        return {(kind, hash_value(kind, key, secret) if kind in PII_KINDS else key): note
                for (kind, key), note in listed.items()}

    return HubOverrides(deny=hashed(overrides.deny), allow=hashed(overrides.allow),
                        lines=hashed(overrides.lines))


def hashed_graph_tables(stores: pd.DataFrame, identifiers: Identifiers,
                        secret: bytes) -> tuple[pd.DataFrame, Identifiers]:
    """The stores and ``identifiers`` as a graph loaded with ``--hash-identifiers`` holds them,
    for ``load`` and ``load --bulk`` alike: :func:`.privacy.hashed_graph_table` of each table
    (keys, spellings and holder names hashed, status reasons scrubbed)."""
    links = hashed_graph_table(identifiers.links, secret, identifiers.links["kind"])
    parts = {kind: hashed_graph_table(part, secret, kind)
             for kind, part in identifiers.parts.items()}
    return hashed_graph_table(stores, secret), Identifiers(links, parts)


# -- read-back and cluster write-back ---------------------------------------------------------

#: stores per page of the read-back: one page is one record of column lists, about 30 MB of
#: transaction memory on the server with its links
READ_PAGE = 20_000
#: pages of links read at once: the server answers each on one core, and the client decodes
#: one page while the server makes the next; one at a time, the reading of 200,000 stores took
#: 6.5 s of the server's CPU and 2.9 s of the client's one after the other (docs/benchmarks.md)
READ_LANES = 2
# The read-back pages through the stores in store_id order, a page as one record of column
# lists (cypher/store/read-stores.cypher says why).
READ_STORES = statement("read-stores")
READ_LINKS = statement("read-links")
LINK_COLUMNS = ("store_id", "kind", "key", "raw", "holder_name", "role", "address_type")

# Write-back statements take a list per column, as the load statements do.
WRITE_CLUSTERS = statement("write-clusters")
WRITE_MEMBERS = statement("write-members")
# ... and on a graph without any :Cluster yet (the first `graphaudit cluster` after a load)
CREATE_CLUSTERS = statement("create-clusters")
CREATE_MEMBERS = statement("create-members")
COUNT_CLUSTERS = statement("count-clusters")
DROP_STALE_CLUSTERS = statement("drop-stale-clusters")
WRITE_SIMILAR = statement("write-similar")
WRITE_POSSIBLE_LINKS = statement("write-possible-links")
DROP_STALE_POSSIBLE_LINKS = statement("drop-stale-possible-links")
#: the columns of a possible link written to the graph (possible_links.csv's)
POSSIBLE_COLUMNS = ("cluster_a", "cluster_b", "store_a", "store_b", "score", "chance",
                    "threshold", "evidence")


def read_graph(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read stores and their identifier links back, in the tables the linkage engine takes:
    stores in store_id order, links kind after kind (in :data:`KINDS` order), each kind in
    store_id order."""
    stores, links, _ = _read_pages(store)
    return stores, links


def read_previous_clusters(store: GraphStore) -> pd.Series:
    """store_id -> cluster_id of the :Cluster nodes a previous run wrote."""
    return _read_pages(store, links=False)[2]


def read_graph_and_clusters(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """:func:`read_graph` and :func:`read_previous_clusters` in one pass over the stores."""
    return _read_pages(store)


def _read_pages(store: GraphStore, links: bool = True,
                ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Stores, links and previous clusters, a page of stores (and their links) at a time: the
    pages of stores in turn (each starts after the last store of the one before), their links
    on :data:`READ_LANES` sessions at once."""
    store_pages: list[pd.DataFrame] = []
    link_pages: list[Future[pd.DataFrame]] = []
    after = ""
    with ThreadPoolExecutor(READ_LANES) as pool:
        while True:
            page = _string_page(store.read_columns(READ_STORES, after=after, page=READ_PAGE))
            if page.empty:
                break
            last = page["store_id"].iloc[-1]
            store_pages.append(page)
            if links:
                link_pages.append(pool.submit(_link_page, store, after, last))
            if len(page) < READ_PAGE:
                break
            after = last
        found_pages = [done.result() for done in link_pages]
    columns = [*STORE_COLUMNS, "brand_key"]
    stores = (pd.concat(store_pages, ignore_index=True) if store_pages
              else pd.DataFrame(columns=[*columns, "cluster_id"], dtype="str"))
    clustered = (stores["cluster_id"] != "").to_numpy()
    previous = pd.Series(stores["cluster_id"].to_numpy()[clustered],
                         index=stores["store_id"].to_numpy()[clustered], dtype=object)
    found = (pd.concat(found_pages, ignore_index=True) if found_pages
             else pd.DataFrame(columns=list(LINK_COLUMNS), dtype="str"))
    return stores[columns], sorted_links(found[list(LINK_COLUMNS)]), previous


def _link_page(store: GraphStore, after: str, last: str) -> pd.DataFrame:
    """The links of the stores after ``after`` up to ``last``, with their kind."""
    part = _string_page(store.read_columns(READ_LINKS, after=after, last=last))
    kind_of = {rel: kind for kind, rel in RELATIONSHIPS.items()}
    return part.assign(kind=part.pop("type").map(kind_of).astype("str"))


def _string_page(columns: dict[str, list]) -> pd.DataFrame:
    """One page of column lists as Arrow-backed strings, the dtype records.py reads files into:
    the driver's Python strings of a page are freed as the next page is read. Kept as objects,
    every link's six strings stayed (2.7 GiB of the 1,000,000-store graph's 6.2 million links,
    541 MiB at 200,000 stores; docs/benchmarks.md)."""
    return pd.DataFrame({name: pd.array(values, dtype="str") for name, values in columns.items()})


#: the order of the links read back, after their kind (in :data:`KINDS` order)
LINK_ORDER = ("store_id", "key", "raw", "address_type", "role", "holder_name")


def sorted_links(links: pd.DataFrame) -> pd.DataFrame:
    """``links`` (:data:`LINK_COLUMNS`) kind after kind, as extract_identifiers gives them, each
    kind by store_id, then key and spelling (raw), address type, role and holder name.

    The graph keeps no file order, and the order in which a store's relationships come back
    depends on which load lane wrote them first; without a fixed order two loads of the same
    records could show an address that a store wrote two ways with different text ("the first
    written form", linkage/evidence.py). Sorted here, in Arrow, not by the server: an ORDER BY
    of every page's rows was server time on every `graphaudit cluster`.
    """
    kind = pd.Categorical(links["kind"], categories=KINDS).codes
    columns = {c: pa.array(links[c], pa.string()) for c in LINK_ORDER}
    store_id = columns.pop("store_id")
    # The server gives each page's stores in index order, their links together: then a
    # store's rank is a count of changes, and the sort compares strings only within a store.
    after, before = store_id[1:], store_id[:-1]
    store: pa.Array = store_id
    if pc.all(pc.greater_equal(after, before)).as_py() is not False:
        changed = pc.not_equal(after, before).to_numpy(zero_copy_only=False)
        store = pa.array(np.cumsum(np.concatenate([[False], changed]))[:len(store_id)])
    table = pa.table({"kind": kind, "store": store, **columns})
    order = pc.sort_indices(table, [(c, "ascending") for c in table.column_names])
    return links.iloc[order.to_numpy()].reset_index(drop=True)


def write_clusters(
    store: GraphStore,
    clusters: pd.DataFrame,
    members: pd.DataFrame,
    computed_at: str,
    similar: list[dict] | None = None,
    progress: Callable[[int], None] | None = None,
    possible: pd.DataFrame | None = None,
) -> LoadSummary:
    """Write :Cluster nodes, MEMBER_OF and Store.cluster_id back; idempotent.

    ``clusters`` has cluster_id, size, risk_score, linked_to_suspended (a count);
    ``members`` has store_id and cluster_id, and brand_reuse_of and brand_reuse when scored.

    Batched as :meth:`GraphStore.load` writes: a list per column, the cluster nodes first, then
    the memberships on ``LOAD_WORKERS`` lanes that share no cluster (a MEMBER_OF locks its
    cluster node until commit).

    ``possible`` (possible_links.csv's rows) become POSSIBLE_LINK relationships between the
    clusters, on one lane (each locks two cluster nodes); those of an earlier run that this
    run did not find again are deleted.

    On a graph without any :Cluster (the first run after a load) the nodes and memberships
    are CREATEd: nothing can match, and MERGE looked for each one first (the same graph;
    tests/test_store.py), and nothing stale is left to delete.
    """
    summary = LoadSummary()
    fresh = int(store.run_read(COUNT_CLUSTERS)[0]["n"]) == 0
    nodes = clusters[["cluster_id", "size", "risk_score"]].assign(
        linked_to_suspended=clusters["linked_to_suspended"].astype(int) > 0)
    store._write_lanes([_column_batches("Cluster", CREATE_CLUSTERS if fresh else WRITE_CLUSTERS,
                                        nodes, counted=True,
                                        fixed={"computed_at": computed_at})],
                       summary, progress, redo="`graphaudit cluster`")
    # The brand rule's verdict (graphaudit.scoring), for the suspended-brand-reuse query; an
    # empty value writes null, which removes an earlier run's property.
    rows = members[["store_id", "cluster_id"]].assign(
        **{c: members.get(c) for c in ("brand_reuse_of", "brand_reuse")})
    lane = pd.util.hash_array(rows["cluster_id"].to_numpy(dtype=object)) % LOAD_WORKERS
    store._write_lanes([_column_batches("MEMBER_OF", CREATE_MEMBERS if fresh else WRITE_MEMBERS,
                                        rows[lane == j],
                                        counted=True) for j in range(LOAD_WORKERS)],
                       summary, progress, redo="`graphaudit cluster`")
    pairs = pd.DataFrame(similar or [], columns=["a", "b", "score"])
    store._write_lanes([_column_batches("SIMILAR_TO", WRITE_SIMILAR, pairs, counted=True)],
                       summary, progress, redo="`graphaudit cluster`")
    links = (possible if possible is not None
             else pd.DataFrame(columns=list(POSSIBLE_COLUMNS)))[list(POSSIBLE_COLUMNS)]
    store._write_lanes([_column_batches("POSSIBLE_LINK", WRITE_POSSIBLE_LINKS, links,
                                        counted=True, fixed={"computed_at": computed_at})],
                       summary, progress, redo="`graphaudit cluster`")
    if not fresh:
        store.run_write(DROP_STALE_POSSIBLE_LINKS, computed_at=computed_at)
        store.run_write(DROP_STALE_CLUSTERS, keep=clusters["cluster_id"].tolist())
    return summary
