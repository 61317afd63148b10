"""The analysts' Cypher library: parse query headers, type parameters, run read-only, mask.

Every file in ``graphaudit/cypher/`` (except ``schema.cypher``) is one named query. The files
ship inside the package and are read with :mod:`importlib.resources`, so an installed wheel has
them; ``cypher/`` at the top of the repository is a symbolic link to the same folder, the
analysts' view of it. Its header, the ``//``
comment lines at the top, says what it is::

    // name: path-between
    // description: The shortest chain of shared identifiers between two stores.
    // param: a string (required) example S0000001 -- the first store
    // param: max_hops int[1..10] = 6 example 4 -- at most this many store-to-store steps
    // returns: one row per node of the path: step, kind, identifier, ...
    // Any other comment line of the header is guide text for docs/queries.md.

A parameter line is ``NAME TYPE [(required) | = DEFAULT] [example VALUE] [-- help]``; values with
spaces are written in double quotes, and the default ``null`` makes an optional parameter that
passes ``null``. A parameter without a default is required. Types (:data:`PARAM_TYPES`):

``string``, ``int`` (``int[1..10]`` bounds it), ``float``, ``bool``, ``date`` (ISO),
``list`` (comma separated strings), ``kind`` (an identifier kind), ``brand`` (normalized to a
brand key), ``store_id`` and ``cluster_id`` (as loaded; an empty answer says whether the id
exists), ``id_document``, ``payment``, ``phone``, ``email``, ``address`` (an identifier value
pasted as seen, normalized with the rules of loading), and ``identifier(P)``: normalized by the
kind that parameter ``P`` names.

A query may also use the rule parameters of :data:`RULE_PARAMETERS` (``$brand_min_edit``, ...)
without declaring them: graphaudit passes the values the scoring uses, so the rule lives in one
place (:mod:`graphaudit.scoring`).

Values always travel as query parameters: no query text is ever built from a value. The
queries that walk the graph answer in seconds in a 1,000-store cluster (docs/queries.md, "How
the path queries walk"): path-between is ``shortestPath``, a breadth-first search from both
stores that checks each identifier for a hub once, as it reaches it; store-neighbourhood is a
breadth-first search, one level per hop (a ``reduce`` over ``range(1, $hops)`` whose step is a
``COLLECT`` subquery) that expands and checks each identifier once per level. Neo4j 5's
``SHORTEST`` search grows exponentially with its upper bound in a dense cluster, and its bound
cannot be a parameter.

Queries run in managed *read* transactions (the driver's READ access mode), after checks
that refuse, unless ``write=True`` and before anything runs, whatever is not a plain read: the
allow-lists of :mod:`graphaudit.readonly` (reading clauses, schema procedures, reading plan
operators: no SHOW, TERMINATE, LOAD CSV, USE or IN TRANSACTIONS) and the server's own query type
from ``EXPLAIN`` (``"r"``). The read transaction is a last guard: the server refuses writes in it.

Personal data in results (ID numbers, accounts, phones, e-mails) is masked unless
``show_pii=True``, by the type of each value, whatever the column is called: see
:func:`mask_row` and :func:`value_kinds`. On a graph loaded with ``--hash-identifiers``,
identifier parameters are hashed with the same key before they are sent.

Run ``python -m graphaudit.queries --docs docs/queries.md`` to regenerate the analysts' guide.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from . import normalize, readonly
from .errors import QueryError
from .identifiers import KINDS, LABELS, RELATIONSHIPS
from .normalize import identifier_key
from .privacy import (
    PII_FIELDS,
    PII_KINDS,
    csv_line,
    hash_value,
    is_hashed,
    load_key,
    mask,
    mask_raw,
    pseudonym,
    scrub,
)
from .scoring import BRAND_RULE

__all__ = [
    "PARAM_TYPES",
    "QUERY_DIR",
    "RULE_PARAMETERS",
    "Param",
    "ParameterError",
    "Query",
    "QueryResult",
    "bind_parameters",
    "docs_markdown",
    "empty_hints",
    "find_query",
    "format_result",
    "identifier_key",
    "list_queries",
    "listing_rows",
    "load_library",
    "mask_row",
    "value_kinds",
    "parse_assignments",
    "parse_query",
    "render_table",
    "run_query",
    "uses_clusters",
]

#: the library's folder inside the installed package (a Path for an ordinary install)
QUERY_DIR: Traversable = resources.files(__package__) / "cypher"
#: files of ``cypher/`` that are not named queries
NOT_QUERIES = frozenset({"schema.cypher"})


class ParameterError(QueryError):
    """A query or parameter the user named is unknown, missing or malformed (a usage error)."""

    exit_code = 2


# ---------------------------------------------------------------------------------------------
# Parameter types


def _int(text: str, low: int | None = None, high: int | None = None) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"expected an integer, got {text!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"must be between {low} and {high}, got {value}")
    return value


def _float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"expected an ISO date (YYYY-MM-DD), got {text!r}") from None


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _string(text: str) -> str:
    return text.strip()


#: names an analyst may use for an identifier kind, beside the kinds themselves
KIND_ALIASES = {
    **{label.lower(): kind for kind, label in LABELS.items()},
    **{rel.lower(): kind for kind, rel in RELATIONSHIPS.items()},
    "id": "id_document", "id_number": "id_document", "document": "id_document",
    "account": "payment", "account_number": "payment", "bank": "payment", "card": "payment",
    "wallet": "payment", "mobile": "phone", "e-mail": "email", "mail": "email",
}


def _kind(text: str) -> str:
    word = text.strip().lower().replace(" ", "_")
    if word in KINDS:
        return word
    if word in KIND_ALIASES:
        return KIND_ALIASES[word]
    raise ValueError(f"expected an identifier kind ({', '.join(KINDS)}), got {text!r}")


def _brand(text: str) -> str:
    return normalize.brand_key(text)


#: Parameters graphaudit itself passes to any query that uses them, never given with -p: the
#: rules of :mod:`graphaudit.scoring`, so a query applies them with the scoring's values.
RULE_PARAMETERS: dict[str, object] = {f"brand_{name}": value for name, value in BRAND_RULE.items()}

#: type name -> converter from the text an analyst typed; a converter raises ValueError
PARAM_TYPES: dict[str, Callable[[str], object]] = {
    "string": _string,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "date": _date,
    "list": _list,
    "kind": _kind,
    "brand": _brand,
    # ids as loaded: a query that finds nothing says whether the id exists (empty_hints)
    "store_id": _string,
    "cluster_id": _string,
    **{kind: (lambda text, kind=kind: identifier_key(kind, text)) for kind in KINDS},
}
_TYPE_SPEC = re.compile(
    r"^(?:(?P<int>int)\[(?P<low>-?\d+)\.\.(?P<high>-?\d+)\]"
    r"|identifier\((?P<by>[A-Za-z_][A-Za-z0-9_]*)\)"
    r"|(?P<plain>[a-z_]+))$"
)


@dataclass(frozen=True)
class Param:
    """One declared parameter of a query."""

    name: str
    type: str  # as written in the header: int, int[1..10], identifier(kind), ...
    required: bool = True
    default: str | None = None  # the text of the default, converted on use; "null" -> None
    example: str | None = None
    help: str = ""

    @property
    def kind_param(self) -> str | None:
        """For ``identifier(P)``, the parameter that names the identifier kind."""
        match = _TYPE_SPEC.match(self.type)
        return match["by"] if match else None

    def convert(self, text: str, bound: Mapping[str, object] | None = None) -> object:
        """Convert the text an analyst typed; raise ParameterError naming the parameter."""
        match = _TYPE_SPEC.match(self.type)
        try:
            if match is None:
                raise ValueError(f"unknown type {self.type!r}")
            if match["int"]:
                return _int(text, int(match["low"]), int(match["high"]))
            if match["by"]:
                kind = (bound or {}).get(match["by"])
                if kind is None:
                    raise ValueError(f"needs parameter {match['by']!r} to say its kind")
                return identifier_key(_kind(str(kind)), text)
            converter = PARAM_TYPES.get(match["plain"])
            if converter is None:
                raise ValueError(f"unknown type {self.type!r}")
            return converter(text)
        except ValueError as exc:
            raise ParameterError(f"parameter {self.name!r} ({self.type}): {exc}") from None

    def describe(self) -> str:
        """``name``, or ``name=default`` for an optional parameter (for ``--list``)."""
        if self.required:
            return self.name
        return f"{self.name}={'null' if self.default is None else self.default}"

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "required": self.required,
                "default": self.default, "example": self.example, "help": self.help}


# ---------------------------------------------------------------------------------------------
# Query files


@dataclass(frozen=True)
class Query:
    """A Cypher query with its header: name, description, parameters and guide text."""

    name: str
    description: str
    statement: str  # the Cypher text that runs (header kept: comments are harmless)
    params: tuple[Param, ...] = ()
    returns: str = ""
    notes: tuple[str, ...] = ()
    path: Path | Traversable | None = None
    declared: bool = True  # False for a file without a header: parameters were inferred

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def example_command(self) -> str:
        """A command line that runs the query with its parameters' examples."""
        parts = ["graphaudit", "query", self.name]
        for p in self.params:
            value = p.example if p.example is not None else (None if not p.required else "...")
            if value is not None:
                parts += ["-p", shlex.quote(f"{p.name}={value}")]
        return " ".join(parts)

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description,
                "parameters": [p.as_dict() for p in self.params]}


_HEADER_FIELD = re.compile(r"^(name|description|param|returns)\s*:\s*(.*)$")
_PARAM_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>\S+)(?P<rest>.*)$")
_CYPHER_PARAM = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|`([^`]+)`)")
_STRINGS_AND_COMMENTS = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)


def _parse_param(text: str, where: str) -> Param:
    help_text = ""
    if " -- " in f" {text} ":
        text, _, help_text = f" {text} ".partition(" -- ")
    match = _PARAM_LINE.match(text.strip())
    if not match:
        raise QueryError(f"{where}: cannot read parameter line {text.strip()!r}")
    name, type_ = match["name"], match["type"]
    spec = _TYPE_SPEC.match(type_)
    if not spec or (spec["plain"] and spec["plain"] not in PARAM_TYPES):
        raise QueryError(f"{where}: parameter {name!r} has an unknown type {type_!r} "
                         f"(known: {', '.join(PARAM_TYPES)}, int[LOW..HIGH], identifier(P))")
    try:
        tokens = shlex.split(match["rest"])
    except ValueError as exc:
        raise QueryError(f"{where}: parameter {name!r}: {exc}") from None
    required, default, example = True, None, None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "(required)":
            i += 1
        elif token.startswith("="):
            value = token[1:] or (tokens[i + 1] if i + 1 < len(tokens) else None)
            if value is None:
                raise QueryError(f"{where}: parameter {name!r}: '=' without a default")
            required, default = False, value
            i += 1 if token[1:] else 2
        elif token == "example" and i + 1 < len(tokens):
            example = tokens[i + 1]
            i += 2
        else:
            raise QueryError(f"{where}: parameter {name!r}: unexpected {token!r} (write "
                             "NAME TYPE [(required) | = DEFAULT] [example VALUE] [-- help])")
    if default == "null":
        default = None
    return Param(name, type_, required, default, example, help_text.strip())


def parameters_used(statement: str) -> list[str]:
    """The ``$parameters`` a Cypher text uses, in order of first use (comments and strings
    skipped)."""
    code = _STRINGS_AND_COMMENTS.sub(" ", statement)
    names = (a or b for a, b in _CYPHER_PARAM.findall(code))
    return list(dict.fromkeys(names))


def parse_query(text: str, path: Path | Traversable | None = None,
                name: str | None = None) -> Query:
    """Read a query and its header from Cypher ``text``.

    A text without a ``// name:`` header is an ad-hoc query: it is named after its file (or
    ``name``) and takes the ``$parameters`` it uses, each a required string.

    Raises QueryError for a malformed header or a text of more than one statement.
    """
    where = str(path) if path else (name or "query")
    header: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            header.append(stripped[2:].strip())
        elif stripped:
            break
    fields: dict[str, str] = {}
    params: list[Param] = []
    notes: list[str] = []
    for line in header:
        match = _HEADER_FIELD.match(line)
        if not match:
            notes.append(line)
        elif match[1] == "param":
            params.append(_parse_param(match[2], where))
        else:
            fields[match[1]] = match[2].strip()
    statement = _single_statement(text, where)
    used = parameters_used(statement)
    if "name" not in fields:
        return Query(
            name=name or (Path(path.name).stem if path else "query"), description=fields.get(
                "description", "ad-hoc query"), statement=statement,
            params=tuple(Param(p, "string") for p in used if p not in RULE_PARAMETERS),
            path=path, declared=False)
    names = [p.name for p in params]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise QueryError(f"{where}: parameter declared twice: {', '.join(sorted(duplicates))}")
    undeclared = [p for p in used if p not in names and p not in RULE_PARAMETERS]
    if undeclared:
        raise QueryError(f"{where}: uses undeclared parameter(s): {', '.join(undeclared)}")
    for p in params:
        if p.kind_param and p.kind_param not in names:
            raise QueryError(f"{where}: parameter {p.name!r} is typed by {p.kind_param!r}, "
                             "which is not declared")
    return Query(
        name=fields["name"], description=fields.get("description", ""), statement=statement,
        params=tuple(params), returns=fields.get("returns", ""),
        notes=tuple(n for n in notes if n), path=path,
    )


def _single_statement(text: str, where: str) -> str:
    """The text with a trailing ``;`` dropped; more than one statement is an error."""
    statements = readonly.split_statements(text)
    if len(statements) > 1:
        raise QueryError(f"{where}: holds more than one statement; give one query per file")
    if not statements:
        raise QueryError(f"{where}: holds no query")
    return statements[0]


def load_library(directory: Traversable = QUERY_DIR) -> dict[str, Query]:
    """Every named query of ``directory`` (``cypher/``), by name, in name order.

    Raises QueryError when a file is malformed, lacks a header, or two files share a name.
    """
    library: dict[str, Query] = {}
    files = [p for p in directory.iterdir() if p.name.endswith(".cypher") and p.is_file()]
    for path in sorted(files, key=lambda p: p.name):
        if path.name in NOT_QUERIES:
            continue
        query = parse_query(path.read_text(encoding="utf-8"), path)
        if not query.declared:
            raise QueryError(f"{path}: has no '// name:' header")
        if query.name in library:
            raise QueryError(f"{path}: query name {query.name!r} is taken by "
                             f"{library[query.name].path}")
        if query.name != path.name.removesuffix(".cypher"):
            raise QueryError(f"{path}: is named {query.name!r}; name the file after its query")
        library[query.name] = query
    return dict(sorted(library.items()))


def list_queries(directory: Traversable = QUERY_DIR) -> list[dict]:
    """Name, parameters and description of every query, for ``graphaudit query --list``."""
    return [q.as_dict() for q in load_library(directory).values()]


def find_query(name_or_file: str, directory: Traversable = QUERY_DIR) -> Query:
    """A query of the library by name, or the query in a ``.cypher`` file given by path.

    A path contains a slash or ends in ``.cypher``; anything else is a library name, so a file
    in the current directory named like a library query never shadows it.
    """
    path = Path(name_or_file)
    looks_like_file = path.suffix == ".cypher" or "/" in name_or_file
    if looks_like_file:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ParameterError(f"cannot read query file {name_or_file}: {exc}") from None
        return parse_query(text, path)
    library = load_library(directory)
    if name_or_file not in library:
        close = [n for n in library if name_or_file.lower() in n or n in name_or_file.lower()]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        if path.is_file():
            hint += f"; to run the file, write ./{name_or_file}"
        raise ParameterError(f"unknown query {name_or_file!r}{hint} "
                             "(graphaudit query --list shows them all)")
    return library[name_or_file]


# ---------------------------------------------------------------------------------------------
# Binding parameters


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``["a=S1", "max_hops=4"]`` -> ``{"a": "S1", "max_hops": "4"}``; a bad pair is an error."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParameterError(f"parameter {pair!r}: write -p NAME=VALUE")
        if key in values:
            raise ParameterError(f"parameter {key!r} is given twice")
        values[key] = value
    return values


def bind_parameters(query: Query, given: Mapping[str, str]) -> dict[str, object]:
    """Convert the ``-p`` values to the declared types, filling in defaults.

    An identifier parameter is normalized by the rules of loading (so ``138 0013 8000`` finds
    ``+8613800138000``). Raises ParameterError naming an unknown, missing or malformed parameter.

    >>> q = parse_query("// name: q\\n// param: n int = 2\\nRETURN $n AS n")
    >>> bind_parameters(q, {"n": "5"})
    {'n': 5}
    """
    known = {p.name for p in query.params}
    unknown = [name for name in given if name not in known]
    if unknown:
        takes = ", ".join(p.describe() for p in query.params) or "no parameters"
        raise ParameterError(f"unknown parameter {unknown[0]!r} for query {query.name!r} "
                             f"(it takes: {takes})")
    bound: dict[str, object] = {}
    # Parameters that type others (identifier(kind)) are bound first.
    order = sorted(query.params, key=lambda p: p.kind_param is not None)
    for p in order:
        if p.name in given:
            bound[p.name] = p.convert(given[p.name], bound)
        elif p.required:
            example = f" (for example -p {p.name}={p.example})" if p.example else ""
            raise ParameterError(f"missing parameter {p.name!r} for query {query.name!r}"
                                 f"{example}")
        else:
            bound[p.name] = None if p.default is None else p.convert(p.default, bound)
    rules = {name: RULE_PARAMETERS[name] for name in parameters_used(query.statement)
             if name in RULE_PARAMETERS and name not in known}
    return {**{p.name: bound[p.name] for p in query.params}, **rules}


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
        return mask_raw(kind, value)

    def free(self, value: object) -> object:
        """A value with nothing known of it but what it is."""
        if isinstance(value, dict):
            return self.row(value)
        if isinstance(value, list):
            return [self.free(v) for v in value]
        if not isinstance(value, str) or not value:
            return value
        if is_hashed(value):
            return value[:9]
        found = self.known.get(value)
        if found is None:
            return scrub(value)
        kind, exact = found
        if kind in (STORE_ID, CLUSTER_ID):
            return value
        return self.key(kind, value) if exact else self.raw(kind, value)

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


def _strings(value: object, into: set[str]) -> None:
    """Collect the strings of a result value (inside lists and maps) into ``into``."""
    if isinstance(value, str):
        if value and not is_hashed(value):
            into.add(value)
    elif isinstance(value, list):
        for v in value:
            _strings(v, into)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, into)


#: which of $values are store ids, cluster ids, or keys of identifier nodes (by label)
VALUE_KINDS = """
UNWIND $candidates AS c
CALL (c) {
  MATCH (:Store {store_id: c.value}) WHERE c.kind = 'store_id' RETURN true AS found
  UNION
  MATCH (:Cluster {cluster_id: c.value}) WHERE c.kind = 'cluster_id' RETURN true AS found
  UNION
  MATCH (:IdDocument {key: c.key}) WHERE c.kind = 'id_document' RETURN true AS found
  UNION
  MATCH (:PaymentAccount {key: c.key}) WHERE c.kind = 'payment' RETURN true AS found
  UNION
  MATCH (:Phone {key: c.key}) WHERE c.kind = 'phone' RETURN true AS found
  UNION
  MATCH (:Email {key: c.key}) WHERE c.kind = 'email' RETURN true AS found
}
RETURN c.value AS value, c.kind AS kind, c.key AS key
"""


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

_CASE_INSENSITIVE = {
    "store_id": "MATCH (s:Store) WHERE toLower(s.store_id) = toLower($id) "
                "RETURN s.store_id AS id ORDER BY id LIMIT 3",
    "cluster_id": "MATCH (c:Cluster) WHERE toLower(c.cluster_id) = toLower($id) "
                  "RETURN c.cluster_id AS id ORDER BY id LIMIT 3",
}
_EXISTS = {
    "store_id": "MATCH (s:Store {store_id: $id}) RETURN count(s) > 0 AS found",
    "cluster_id": "MATCH (c:Cluster {cluster_id: $id}) RETURN count(c) > 0 AS found",
}
_EXAMPLE = {
    "store_id": "MATCH (s:Store) RETURN s.store_id AS id LIMIT 1",
    "cluster_id": "MATCH (c:Cluster) RETURN c.cluster_id AS id ORDER BY c.risk_score DESC, id "
                  "LIMIT 1",
}
_GRAPH_STATE = """
CALL () { MATCH (s:Store) RETURN count(s) AS stores }
CALL () { MATCH (c:Cluster) RETURN count(c) AS clusters }
CALL () { MATCH (d:DataSet) RETURN max(d.loaded_at) AS loaded }
CALL () { MATCH (c:Cluster) RETURN min(c.computed_at) AS computed }
RETURN stores, clusters, loaded IS NOT NULL AND computed IS NOT NULL AND computed < loaded
       AS stale
"""
_USES_CLUSTERS = re.compile(r":\s*Cluster\b|MEMBER_OF|\bcluster_id\b")


def uses_clusters(query: Query) -> bool:
    """Whether a query reads what ``graphaudit cluster`` writes (:Cluster, MEMBER_OF,
    cluster_id): without it, its answer is empty or its cluster columns are."""
    code = _STRINGS_AND_COMMENTS.sub(" ", query.statement)
    return bool(_USES_CLUSTERS.search(code))


def empty_hints(store: object, query: Query, parameters: Mapping[str, object],
                empty: bool) -> list[str]:
    """Why ``query`` found nothing (``empty``), or why its answer may be incomplete.

    Looks, in order, for: an empty graph; clusters missing (``graphaudit cluster`` never ran)
    or older than the last load; each store or cluster id parameter that names nothing (with
    the id as written in another case, if that exists); an identifier that is not in the
    graph. An empty answer with none of these gets a plain sentence, never a bare "no rows".
    """
    hints: list[str] = []
    state = store.run_read(_GRAPH_STATE)[0]
    if not state["stores"]:
        return ["the graph holds no stores: load a data set first "
                "(graphaudit load DATA_DIR)"]
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
                        f"MATCH (n:{LABELS[kind]} {{key: $key}}) RETURN count(n) > 0 AS found",
                        key=value)[0]["found"]:
                    hints.append(f"parameter {p.name!r}: no {kind.replace('_', ' ')} of that "
                                 "value is in the graph (values are compared after "
                                 "normalization, as loaded)")
        if not hints:
            hints.append(f"no rows: nothing in the graph ({state['stores']:,} stores) matches "
                         "these parameters")
    return hints


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
    error), Neo4jUnavailable (the server is gone).
    """
    from neo4j.exceptions import ClientError

    import neo4j

    parameters = bind_parameters(query, given or {})
    secret = secret or load_key()
    parameters = _hashed_if_graph_is(store, query, parameters, secret)
    cypher_params = {k: (neo4j.time.Date.from_native(v) if isinstance(v, dt.date) else v)
                     for k, v in parameters.items()}

    def explain(tx: neo4j.ManagedTransaction) -> tuple[str | None, object]:
        summary = tx.run(_EXPLAIN + query.statement, cypher_params).consume()
        return summary.query_type, summary.plan

    def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[list[object]], object]:
        result = tx.run(query.statement, cypher_params)
        keys = list(result.keys())
        rows = [[_plain(v) for v in record.values()] for record in result]
        return keys, rows, result.consume()

    if not write:
        readonly.check_statement(query.statement, query.name)
    access = neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS
    with (store._translated(f"running query {query.name}"),
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
            raise QueryError(f"query {query.name!r} failed: {_unexplained(exc.message)}"
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
    warnings = [
        status.status_description for status in summary.gql_status_objects
        if status.is_notification and str(status.severity).upper().endswith("WARNING")
    ]
    hints = []
    if not write and (not rows or uses_clusters(query)):
        with store._translated(f"checking the answer of query {query.name}"):
            hints = empty_hints(store, query, parameters, empty=not rows)
    return QueryResult(query, keys, rows, query_type or "r", counters, warnings, hints)


def _hashed_if_graph_is(store: object, query: Query, parameters: dict[str, object],
                        secret: bytes) -> dict[str, object]:
    """``parameters`` with identifier values hashed when the graph stores keyed hashes."""
    from .store import hashed_under

    if not hashed_under(store, secret):
        return parameters
    out = dict(parameters)
    for p in query.params:
        match = _TYPE_SPEC.match(p.type)
        if match is None:
            continue
        kind = match["plain"] if match["plain"] in PII_KINDS else (
            parameters.get(match["by"]) if match["by"] else None)
        value = out.get(p.name)
        if kind in PII_KINDS and isinstance(value, str):
            out[p.name] = hash_value(str(kind), value, secret)
    return out


# ---------------------------------------------------------------------------------------------
# Output


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ";".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return str(value)


def render_table(columns: list[str], rows: list[dict]) -> str:
    """An aligned text table: lists joined by ``;``, maps as JSON, null as empty."""
    if not columns:
        return "(no rows)\n"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    if not rows:
        lines.append("(no rows)")
    return "\n".join(lines) + "\n"


def format_result(columns: list[str], rows: list[dict], fmt: str) -> str:
    """The rows as ``table``, ``csv`` (with a header, even without rows) or ``json`` text.

    CSV cells that a spreadsheet would run as formulas are neutralised
    (:func:`graphaudit.privacy.csv_line`).
    """
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt == "csv":
        lines = [csv_line(columns)]
        lines += [csv_line([_cell(row.get(c)) for c in columns]) for row in rows]
        return "".join(lines)
    return render_table(columns, rows)


def listing_rows(library: Mapping[str, Query]) -> list[dict]:
    """One row per query for the ``--list`` table."""
    return [{"name": q.name, "parameters": ", ".join(p.describe() for p in q.params),
             "description": q.description} for q in library.values()]


# ---------------------------------------------------------------------------------------------
# docs/queries.md

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
  path queries do not walk through such identifiers unless `include_hubs=true`.
* Long tables in a terminal are paged; `--format csv` or `json` is for scripts. A query stops
  after `--timeout` seconds (300 by default).
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
  variable-length pattern would enumerate paths, exponential in a dense cluster), but it expands
  each identifier once per level and tests it for a hub once, and keeps the stores seen in the
  search's accumulator, not in every row.

On the 20,000-store mixed world (`graphaudit sample --stores 20000 --seed 1`, loaded and
clustered), for stores of its 1,002-store cluster, server time of the query, plan cached, on a
machine at load average 7-11 on 2 cores: `path-between` 0.01-0.03 s (with or without hubs);
`store-neighbourhood` 0.02 s at `hops=1`, 0.2 s at `hops=2` (766 stores), 0.3-0.5 s at
`hops=4` (865 stores). `graphaudit query` adds its own start-up (1-3 s).

Not chosen: a precomputed store-to-store `LINKED` projection (an identifier of k stores makes
k(k-1)/2 relationships: 570,000 for one 1,069-store address) and the Graph Data Science
library (GPL-3.0 jars in the server's plugins, for a search that plain Cypher answers in
milliseconds). Known limit: `store-neighbourhood` with `include_hubs=true` and `hops` of 2 or
more walks through 3PL warehouses and agencies into most of the graph; on the 20,000-store world
it can exceed the local server's transaction memory (600 MiB) and fail with that message.
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


if __name__ == "__main__":
    raise SystemExit(main())
