"""Running a library query read-only, and what comes back: rows as plain Python values,
masked by the type of each value (with :mod:`graphaudit.privacy`), and hints saying why an
answer is empty."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources

from .. import readonly
from ..errors import GraphauditError, Neo4jUnavailable, QueryError
from ..identifiers import KINDS, LABELS, RELATIONSHIPS
from ..normalize import digit_view, identifier_key
from ..privacy import (
    PII_FIELDS,
    PII_KINDS,
    hash_value,
    is_hashed,
    load_key,
    mask,
    mask_raw,
    pseudonym,
    scrub,
)
from .library import Query
from .params import Param, bind_parameters

# ---------------------------------------------------------------------------------------------
# Masking

_KIND_OF_LABEL = {label: kind for kind, label in LABELS.items()}
_KIND_OF_TYPE = {rel: kind for kind, rel in RELATIONSHIPS.items()}
#: columns holding identifier keys, masked by the row's ``kind`` and shown with a pseudonym
KEY_COLUMNS = frozenset({"identifier", "identifiers", "key", "keys", "value"})
#: columns holding identifiers as written, masked by the row's ``kind``
RAW_COLUMNS = frozenset({"raw", "raws", "spellings"})
#: columns named after the personal kind they hold
NAMED_COLUMNS = {**PII_FIELDS, **{kind: kind for kind in PII_KINDS},
                 **{f"{kind}s": kind for kind in PII_KINDS}, "account": "payment",
                 "accounts": "payment", "id_numbers": "id_document"}
#: properties of graph entities that are never personal data: shown as they are
PLAIN_PROPERTIES = frozenset({"store_id", "cluster_id", "_labels", "_type", "kind", "status",
                              "marketplace", "opened_on", "suspended_on", "valid", "id_type",
                              "account_type", "address_type", "role", "size", "risk_score",
                              "score", "linked_to_suspended", "computed_at", "brand_key"})
#: what :func:`value_kinds` may say of a value besides an identifier kind
STORE_ID, CLUSTER_ID = "store_id", "cluster_id"


class _Masker:
    """Masks values by their type: an identifier key (masked, with its pseudonym), a raw
    spelling of one (masked, separators kept), a store or cluster id (shown), anything else
    (scrubbed of digit runs and e-mails)."""

    def __init__(self, known: Mapping[str, tuple[str, bool]] | None, secret: bytes | None):
        self.known = known or {}
        self.secret = secret

    def key(self, kind: str, value: object) -> object:
        if isinstance(value, list):
            return [self.key(kind, v) for v in value]
        if not isinstance(value, str) or kind not in PII_KINDS or not value:
            return self.free(value)
        if is_hashed(value):
            return pseudonym(kind, value)
        return f"{mask(kind, value)} {pseudonym(kind, value, self.secret)}"

    def raw(self, kind: str, value: object) -> object:
        if isinstance(value, list):
            return [self.raw(kind, v) for v in value]
        if not isinstance(value, str) or kind not in PII_KINDS:
            return self.free(value)
        if self.known.get(value) == (kind, True):
            return self.key(kind, value)  # a spelling that is the key: masked as the key is
        return mask_raw(kind, value)

    def free(self, value: object) -> object:
        """A value with nothing known of it but what it is."""
        if isinstance(value, dict):
            return self.row(value)
        if isinstance(value, list):
            return [self.free(v) for v in value]
        if _is_number(value):
            found = self.known.get(str(value))
            if found is None or found[0] not in PII_KINDS:
                return value
            return self.key(found[0], identifier_key(found[0], str(value)))  # as the key is
        if not isinstance(value, str) or not value:
            return value
        if is_hashed(value):
            return value[:9]
        found = self.known.get(value)
        if found is None:
            return self.words(value)
        kind, exact = found
        if kind in (STORE_ID, CLUSTER_ID):
            return value
        if kind == "phone" and not exact and _has_words(value):
            return scrub(value)  # a status reason holding a phone: text, scrubbed as elsewhere
        return self.key(kind, value) if exact else self.raw(kind, value)

    def words(self, value: str) -> str:
        """Free text, scrubbed, in which each word that is the key of an ID number, account,
        phone or e-mail of the graph (``'id ' + d.key``: :func:`key_words`, looked up with
        the result's strings) is masked as that key is, with its pseudonym (REPORT9 item 7:
        ``id TZ1234567`` was shown whole, the scrub finding no run in it)."""
        parts, text = [], ""
        for i, piece in enumerate(_WORD_BREAK.split(value)):
            found = self.known.get(piece) if i % 2 == 0 and piece else None
            if found is not None and found[1] and found[0] in PII_KINDS:
                parts += [scrub(text), self.key(found[0], piece)]
                text = ""
            else:
                text += piece
        return "".join([*parts, scrub(text)])

    def row(self, row: Mapping[str, object], kind: str | None = None) -> dict[str, object]:
        row_kind = row.get("kind") if isinstance(row.get("kind"), str) else kind
        labels = row.get("_labels") or []
        entity = bool(labels) or isinstance(row.get("_type"), str)
        for label in labels if isinstance(labels, list) else []:
            row_kind = _KIND_OF_LABEL.get(label, row_kind)
        if isinstance(row.get("_type"), str):
            row_kind = _KIND_OF_TYPE.get(row["_type"], row_kind)
        out: dict[str, object] = {}
        for column, value in row.items():
            if column in KEY_COLUMNS and row_kind in PII_KINDS:
                out[column] = self.key(row_kind, value)
            elif column in RAW_COLUMNS and row_kind in PII_KINDS:
                out[column] = self.raw(row_kind, value)
            elif column in NAMED_COLUMNS:
                out[column] = self.key(NAMED_COLUMNS[column], value)
            elif entity and column in PLAIN_PROPERTIES:
                out[column] = value
            else:
                out[column] = self.free(value)
        return out


def mask_row(row: Mapping[str, object], kind: str | None = None,
             known: Mapping[str, tuple[str, bool]] | None = None,
             secret: bytes | None = None) -> dict[str, object]:
    """Mask the personal data of one result row (or map).

    * Nodes and relationships are masked by their label or type and property: the ``key`` of
      an identifier node, the ``raw`` spelling of its relationships; free text is scrubbed.
    * Any other value is masked by its type, as :func:`value_kinds` found it in the graph
      (``known``: value -> (kind, whether it is the key itself)): ``RETURN d.key AS k`` is
      masked as an ID number whatever the column is called. Values of no known type are
      scrubbed (digit runs and e-mails masked).
    * The library's own columns (``identifier``, ``raw`` with the row's ``kind`` or the
      query's ``kind`` parameter; ``phone``, ``email``, ``id_number``...) are masked as their
      name says even without ``known``.

    >>> mask_row({"kind": "phone", "identifier": "+8613800138000", "stores": 3},
    ...          secret=b"k" * 32)["identifier"]
    '+86****000 #80bca05b'
    """
    return _Masker(known, secret).row(row, kind)


def _has_words(value: str) -> bool:
    """Whether ``value`` holds a word beside its digits: a phone's key is found inside free text
    (``刷单 联系 13800138000``, a status reason), which was then masked whole as a spelling of the
    phone, ``** ** ********000``, its words starred where the report shows them scrubbed
    (REPORT8 item 5). Only phones: the scrub finds every phone spelling (a hypothesis test of
    privacy), not every ID number's (an 8-digit passport in two halves)."""
    return any(len(word) > 1 and not any(c.isdigit() for c in digit_view(word))
               and any(c.isalpha() for c in word) for word in value.split())


#: what separates the words of a returned string, where a key may stand inside longer text
#: (``'id ' + d.key``): characters no key holds (keys have no spaces, no brackets, no quotes)
_WORD_BREAK = re.compile(r"([\s,;:|()\[\]{}<>\"'=/]+)")


def key_words(value: str) -> list[str]:
    """The words of ``value`` that may be an identifier's key, when it has more than one word:
    those with a digit or an ``@`` (every key of an ID number, account, phone or e-mail has
    one), looked up in the graph with the result's strings.

    >>> key_words("id TZ1234567 (passport)"), key_words("TZ1234567")
    (['TZ1234567'], [])
    """
    words = _WORD_BREAK.split(value)[::2]
    if len(words) < 2:
        return []
    return [w for w in words if any(c.isdigit() or c == "@" for c in w)]


def _is_number(value: object) -> bool:
    """An integer of a result that may be an identifier's digits (``toInteger(p.key)``): six
    digits or more, so that counts and sizes are not looked up."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 100_000


def _strings(value: object, into: set[str]) -> None:
    """Collect the strings of a result value (inside lists and maps) into ``into``; integers
    as their digits, so that a key turned into a number is looked up like the key; and the
    words of a longer string that may be keys (:func:`key_words`)."""
    if _is_number(value):
        into.add(str(value))
    elif isinstance(value, str):
        if value and not is_hashed(value):
            into.add(value)
            into.update(key_words(value))
    elif isinstance(value, list):
        for v in value:
            _strings(v, into)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, into)


def _statement(name: str) -> str:
    """The Cypher of ``queries/NAME.cypher`` (this package's own statements), read from the
    package."""
    return resources.files(__package__).joinpath(f"{name}.cypher").read_text("utf-8")


#: which of $values are store ids, cluster ids, or keys of identifier nodes (by label)
VALUE_KINDS = _statement("value-kinds")


def value_kinds(store: object, values: Iterable[str]) -> dict[str, tuple[str, bool]]:
    """What each of ``values`` is in the graph: value -> (kind, exact).

    A value is a store id, a cluster id, or an identifier of a personal kind: its key
    (``exact``) or a spelling that normalizes to a key of the graph. Every lookup goes through
    a uniqueness index (one per label), so the cost grows with the values, not the graph.
    """
    candidates = []
    for value in values:
        candidates += [{"value": value, "kind": STORE_ID, "key": value},
                       {"value": value, "kind": CLUSTER_ID, "key": value}]
        for kind in sorted(PII_KINDS):
            try:
                key = identifier_key(kind, value)
            except ValueError:
                continue
            candidates.append({"value": value, "kind": kind, "key": key})
    found: dict[str, tuple[str, bool]] = {}
    for start in range(0, len(candidates), 20_000):
        for row in store.run_read(VALUE_KINDS, candidates=candidates[start:start + 20_000]):
            value, kind = row["value"], row["kind"]
            if kind in (STORE_ID, CLUSTER_ID) or value not in found or row["key"] == value:
                found[value] = (kind, row["key"] == value)
    return found


# ---------------------------------------------------------------------------------------------
# Running


#: GQL statuses of a label, relationship type or property key the graph does not hold (yet):
#: the library's queries name optional parts of the model (SIMILAR_TO and its score exist only
#: where near-duplicate addresses were found, :Cluster only after `graphaudit cluster`), so on
#: a valid graph these are no warning; a user's own .cypher file keeps them (a misspelling)
OPTIONAL_SCHEMA_STATUSES = frozenset({"01N50", "01N51", "01N52"})


def _in_library(query: Query) -> bool:
    """Whether ``query`` is the library's own (by name and text), not a user's file."""
    from .library import load_library

    known = load_library().get(query.name)
    return known is not None and known.statement == query.statement


@dataclass
class QueryResult:
    """What a query returned: column names and rows of plain Python values (masked), and
    ``hints``: why the answer is empty or incomplete (see :func:`empty_hints`)."""

    query: Query
    columns: list[str]
    rows: list[dict[str, object]]
    query_type: str = "r"
    counters: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Why an answer is empty

_ID_TYPES = ("store_id", "cluster_id")
_CASE_INSENSITIVE = {t: _statement(f"{t}-other-case") for t in _ID_TYPES}
_EXISTS = {t: _statement(f"{t}-exists") for t in _ID_TYPES}
_EXAMPLE = {t: _statement(f"{t}-example") for t in _ID_TYPES}
_GRAPH_STATE = _statement("graph-state")
_IDENTIFIER_EXISTS = _statement("identifier-exists")
_USES_CLUSTERS = re.compile(r":\s*Cluster\b|MEMBER_OF|\bcluster_id\b")


def uses_clusters(query: Query) -> bool:
    """Whether a query reads what ``graphaudit cluster`` writes (:Cluster, MEMBER_OF,
    cluster_id): without it, its answer is empty or its cluster columns are."""
    code = readonly.blank_strings_and_comments(query.statement)
    return bool(_USES_CLUSTERS.search(code))


def empty_hints(store: object, query: Query, parameters: Mapping[str, object],
                empty: bool) -> list[str]:
    """Why ``query`` found nothing (``empty``), or why its answer may be incomplete.

    Looks, in order, for: an empty graph; a load that stopped before its end (its stores and
    links may be missing from any answer); clusters missing (``graphaudit cluster`` never ran)
    or older than the last load; each store or cluster id parameter that names nothing (with
    the id as written in another case, if that exists); an identifier that is not in the
    graph. An empty answer with none of these gets a plain sentence, never a bare "no rows".
    """
    from ..store import incomplete_text

    hints: list[str] = []
    state = store.run_read(_GRAPH_STATE)[0]
    if not state["stores"]:
        return ["the graph holds no stores: load a data set first "
                "(graphaudit load DATA_DIR)"]
    hints += [incomplete_text(source) for source in state["incomplete"]]
    cluster_query = uses_clusters(query)
    if cluster_query and not state["clusters"]:
        hints.append("the graph holds no clusters yet: run `graphaudit cluster` "
                      "(until then, answers about clusters are empty)")
    elif cluster_query and state["stale"]:
        hints.append("the clusters predate the last load: run `graphaudit cluster` to bring "
                      "them up to date")
    if empty:
        for p in query.params:
            value = parameters.get(p.name)
            if not isinstance(value, str) or not value:
                continue
            if p.type in _EXISTS:
                if p.type == "cluster_id" and not state["clusters"]:
                    continue  # said above
                hint = _unknown_id(store, p, value)
                if hint:
                    hints.append(hint)
            elif p.kind_param or p.type in KINDS:
                kind = p.type if p.type in KINDS else parameters.get(p.kind_param)
                if kind in LABELS and not store.run_read(
                        _IDENTIFIER_EXISTS, kind=kind, key=value)[0]["found"]:
                    hints.append(f"parameter {p.name!r}: no {kind.replace('_', ' ')} of that "
                                 "value is in the graph (values are compared after "
                                 "normalization, as loaded)")
        if not hints and _found_with_hubs(store, query, parameters):
            hints.append(f"no rows through accepted evidence, but with -p {_HUBS}=true there "
                         "are: the only answers run through hubs (identifiers shared across "
                         "clusters, or bridges the clustering cut), leads to check, not proof")
        if not hints:
            hints.append(f"no rows: nothing in the graph ({state['stores']:,} stores) matches "
                         "these parameters")
    return hints


#: the parameter of the queries that leave hubs out unless it is true (path-between, ...)
_HUBS = "include_hubs"


def _found_with_hubs(store: object, query: Query, parameters: Mapping[str, object]) -> bool:
    """Whether a query that left hubs out (``include_hubs`` false) answers with them in."""
    if not any(p.name == _HUBS and p.type == "bool" for p in query.params) or \
            parameters.get(_HUBS) is not False:
        return False
    return bool(store.run_read(query.statement, **{**_cypher_params(parameters), _HUBS: True}))


def _cypher_params(parameters: Mapping[str, object]) -> dict[str, object]:
    """Bound parameters as the driver sends them (dates as Neo4j dates)."""
    import neo4j

    return {k: (neo4j.time.Date.from_native(v) if isinstance(v, dt.date) else v)
            for k, v in parameters.items()}


def _unknown_id(store: object, param: Param, value: str) -> str | None:
    """A hint for a store or cluster id that names nothing, or None when it exists."""
    if store.run_read(_EXISTS[param.type], id=value)[0]["found"]:
        return None
    what = param.type.replace("_id", "")
    other_case = [r["id"] for r in store.run_read(_CASE_INSENSITIVE[param.type], id=value)]
    if other_case:
        return (f"parameter {param.name!r}: there is no {what} {value!r}; ids are "
                f"case-sensitive: did you mean {other_case[0]!r}?")
    example = store.run_read(_EXAMPLE[param.type])
    like = f" (ids look like {example[0]['id']!r})" if example else ""
    return f"parameter {param.name!r}: there is no {what} {value!r} in the graph{like}"


def _plain(value: object) -> object:
    """Driver values -> plain Python: temporal values as ISO text, graph objects as maps."""
    import neo4j.graph
    import neo4j.time

    if isinstance(value, neo4j.graph.Node):
        return {"_labels": sorted(value.labels), **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.graph.Relationship):
        return {"_type": value.type, **{k: _plain(v) for k, v in value.items()}}
    if isinstance(value, neo4j.graph.Path):
        items: list[object] = []
        for i, node in enumerate(value.nodes):
            if i:
                items.append(_plain(value.relationships[i - 1]))
            items.append(_plain(node))
        return items
    if isinstance(value, neo4j.time.Date | neo4j.time.DateTime | neo4j.time.Time):
        return value.iso_format()
    if isinstance(value, neo4j.time.Duration | dt.timedelta):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


_EXPLAIN = "EXPLAIN\n"


def _unexplained(message: str | None) -> str:
    """A server message about ``EXPLAIN\n<query>`` made to point into the query itself."""
    message = message or "unknown error"
    if "EXPLAIN\n" not in message and "line " not in message:
        return message
    message = re.sub(r"\bline (\d+)", lambda m: f"line {max(int(m[1]) - 1, 1)}", message)
    message = re.sub(r"\boffset: (\d+)",
                     lambda m: f"offset: {max(int(m[1]) - len(_EXPLAIN), 0)}", message)
    return message.replace('"EXPLAIN\n', '"').replace('"EXPLAIN', '"')


class _NotRunAgain(Exception):
    """A failure of the query itself, raised out of the transaction function in place of the
    driver's error so that the driver does not run the query again: a query that ran the heap
    out does it again, and a connection lost to the server's long GC pause (no answer for two
    minutes) was most likely lost to the query's own garbage (REPORT6 item 1)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _is_memory_error(code: str | None) -> bool:
    """True for Neo4j's transient memory errors (OutOfMemoryError of the heap,
    MemoryPoolOutOfMemoryError of the transaction memory limit)."""
    return bool(code) and code.startswith("Neo.TransientError.General.") and "Memory" in code


def _not_run_again(store: object, name: str, error: Exception,
                   show_pii: bool) -> GraphauditError:
    """What a user needs after a query ran the server out of memory or lost the connection
    while it ran: what happened, whether the server is still up, and what to do."""
    code = getattr(error, "code", None)
    if _is_memory_error(code):
        what = (f"query {name!r} ran the Neo4j server out of memory ({code.rsplit('.', 1)[-1]}: "
                f"{scrub(getattr(error, 'message', None) or str(error), show_pii)}) and was "
                "stopped, not run again")
    else:
        what = (f"query {name!r} lost its connection to the Neo4j server while it ran (the "
                "server stopped answering: a long pause, often of a query that fills the heap); "
                "it is not run again")
    if store.answers():
        return QueryError(f"{what}; the server is still up. Make the query build less (a "
                          "smaller range, fewer or shorter strings, a LIMIT) or give the server "
                          "more heap (scripts/neo4j.sh: GRAPHAUDIT_NEO4J_HEAP_MAX)")
    return Neo4jUnavailable(f"{what}; the server no longer answers: start it again (`bash "
                            "scripts/neo4j.sh start` for the local one), and make the query "
                            "build less")


def run_query(
    store: object,
    query: Query,
    given: Mapping[str, str] | None = None,
    *,
    write: bool = False,
    show_pii: bool = False,
    timeout: float | None = None,
    secret: bytes | None = None,
) -> QueryResult:
    """Bind ``given`` to ``query``'s parameters, run it on ``store`` and return its rows.

    ``store`` is a :class:`graphaudit.store.GraphStore`. The query is first ``EXPLAIN``-ed: a
    query that writes (or changes the schema) raises QueryError before it runs, unless
    ``write``. It then runs in a managed read transaction (write transaction with ``write``).
    Rows are masked unless ``show_pii`` (:func:`mask_row`, pseudonyms under ``secret``, by
    default this installation's key). On a graph loaded with ``--hash-identifiers``, identifier
    parameters are hashed with ``secret`` first; a graph hashed under another key is refused.
    ``timeout`` (seconds) asks the server to stop a query that runs longer.

    Raises ParameterError (bad parameters), QueryError (writes without ``write``; a Cypher
    error; the server ran out of memory or the connection was lost while the query ran: neither
    is retried), Neo4jUnavailable (the server is gone).
    """
    from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired, TransientError

    import neo4j

    parameters = bind_parameters(query, given or {})
    secret = secret or load_key()
    parameters = _hashed_if_graph_is(store, query, parameters, secret)
    cypher_params = _cypher_params(parameters)

    def explain(tx: neo4j.ManagedTransaction) -> tuple[str | None, object]:
        summary = tx.run(_EXPLAIN + query.statement, cypher_params).consume()
        return summary.query_type, summary.plan

    def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[list[object]], object]:
        try:
            result = tx.run(query.statement, cypher_params)
            keys = list(result.keys())
            rows = [[_plain(v) for v in record.values()] for record in result]
            return keys, rows, result.consume()
        except TransientError as exc:
            if _is_memory_error(exc.code):
                raise _NotRunAgain(exc) from exc
            raise
        except (ServiceUnavailable, SessionExpired) as exc:
            raise _NotRunAgain(exc) from exc

    if not write:
        readonly.check_statement(query.statement, query.name)
    access = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
    with (store.translated(f"running query {query.name}"),
          store.driver.session(database=store.settings.database,
                               default_access_mode=access) as session):
        try:
            query_type, plan = session.execute_read(explain)
            if query_type != "r" and not write:
                what = {"s": "changes the schema"}.get(query_type or "", "writes to the graph")
                raise QueryError(
                    f"query {query.name!r} {what} (query type {query_type!r}); it was "
                    "refused and nothing was changed: give --write to run it")
            if not write:
                readonly.check_plan(plan, query.name)
            run = session.execute_write if write else session.execute_read
            keys, values, summary = run(neo4j.unit_of_work(timeout=timeout)(work))
        except _NotRunAgain as exc:
            raise _not_run_again(store, query.name, exc.error, show_pii) from None
        except ClientError as exc:
            if exc.code and "Security" in exc.code:
                raise
            if exc.code and "TransactionTimedOut" in exc.code:
                raise QueryError(f"query {query.name!r} did not finish within {timeout:g} s "
                                 "and was stopped (see --timeout)") from None
            if exc.code and exc.code.endswith("AccessMode"):
                raise QueryError(
                    f"query {query.name!r} writes to the graph; it was refused and nothing "
                    "was changed: give --write to run it") from None
            # the server's message may quote the value it failed on: scrubbed like free text
            raise QueryError(f"query {query.name!r} failed: "
                             f"{scrub(_unexplained(exc.message), show_pii)}"
                             ) from None
    kind_param = parameters.get("kind") if isinstance(parameters.get("kind"), str) else None
    rows = [dict(zip(keys, row, strict=True)) for row in values]
    if not show_pii:
        strings: set[str] = set()
        for row in rows:
            _strings(row, strings)
        known = value_kinds(store, strings) if strings else {}
        rows = [mask_row(row, kind_param, known, secret) for row in rows]
    counters = {k: v for k, v in vars(summary.counters).items()
                if isinstance(v, int) and not isinstance(v, bool) and v and not k.startswith("_")}
    library = _in_library(query)
    warnings = [
        status.status_description for status in summary.gql_status_objects
        if status.is_notification and str(status.severity).upper().endswith("WARNING")
        and not (library and status.gql_status in OPTIONAL_SCHEMA_STATUSES)
    ]
    hints = []
    if not write:  # any answer may lack what an incomplete load did not write
        with store.translated(f"checking the answer of query {query.name}"):
            hints = empty_hints(store, query, parameters, empty=not rows)
    return QueryResult(query, keys, rows, query_type or "r", counters, warnings, hints)


def _hashed_if_graph_is(store: object, query: Query, parameters: dict[str, object],
                        secret: bytes) -> dict[str, object]:
    """``parameters`` with identifier values hashed when the graph stores keyed hashes."""
    from ..store import hashed_under

    if not hashed_under(store, secret):
        return parameters
    out = dict(parameters)
    for p in query.params:
        kind = p.identifier_kind(parameters)
        value = out.get(p.name)
        if kind in PII_KINDS and isinstance(value, str):
            out[p.name] = hash_value(str(kind), value, secret)
    return out
