"""What "read-only" lets through: the allow-lists a query must pass without ``--write``.

The server's own verdict (``EXPLAIN``'s query type ``"r"``) is not enough: ``SHOW
TRANSACTIONS YIELD parameters`` (other sessions' values), ``TERMINATE TRANSACTIONS`` (kills a
running load) and ``LOAD CSV FROM 'http://...'`` (reaches the network) are all of type ``"r"``.
So a read-only query must pass three checks, all allow-lists, before it runs:

1. its text starts with a clause of :data:`FIRST_CLAUSES` and uses no clause keyword of
   :data:`REFUSED_WORDS` (``USE``, ``LOAD CSV``, ``SHOW``, ``TERMINATE``, ``IN TRANSACTIONS``,
   administration and writing clauses), and no ``\\uXXXX`` escape (Neo4j decodes them
   before it reads the query, so ``\\u0027`` closes a string this check reads as open);
2. every procedure it calls is in :data:`READ_PROCEDURES`;
3. every operator of its ``EXPLAIN`` plan is in :data:`READ_OPERATORS`.

Then it runs in a transaction of the driver's READ access mode, where the server refuses
writes. ``--write`` lifts the checks; the local server (``scripts/neo4j.sh``) still keeps
LOAD CSV away from files and the network. See docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .errors import QueryError

__all__ = [
    "FIRST_CLAUSES",
    "READ_OPERATORS",
    "READ_PROCEDURES",
    "REFUSED_WORDS",
    "ReadOnlyRefused",
    "check_plan",
    "check_statement",
    "plan_operators",
    "split_statements",
]


class ReadOnlyRefused(QueryError):
    """A query asked to run read-only does more than read the graph."""


#: the clauses a read-only query may start with
FIRST_CLAUSES = frozenset({"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN", "CALL"})

#: keywords that are refused anywhere in a read-only query (outside strings, comments, names in
#: backquotes, property keys and parameters), with the reason given to the user
#: (administration commands such as DROP, ALTER, GRANT or START are whole statements: the first
#: clause already refuses them, and their words stay free as variable names)
REFUSED_WORDS = {
    **dict.fromkeys(("CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "FOREACH",
                     "INSERT"), "writes to the graph"),
    **dict.fromkeys(("TERMINATE", "SHOW"), "is an administration command"),
    "USE": "switches the database (give --database instead)",
    "LOAD": "reads files or the network (LOAD CSV)",
    "TRANSACTIONS": "runs in transactions of its own (CALL { } IN TRANSACTIONS)",
    "PROFILE": "runs the query to profile it",
    "EXPLAIN": "is already explained by graphaudit",
}

#: procedures a read-only query may call: they describe the schema and read nothing else
READ_PROCEDURES = frozenset({
    "db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization",
    "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
})

#: operators of Neo4j 5 plans that only read the graph (names as EXPLAIN gives them, without
#: their details in parentheses); a plan with any other operator is refused without --write
READ_OPERATORS = frozenset({
    # leaves: scans and seeks
    "AllNodesScan", "NodeByLabelScan", "UnionNodeByLabelsScan", "IntersectionNodeByLabelsScan",
    "SubtractionNodeByLabelsScan", "NodeByIdSeek", "NodeByElementIdSeek", "NodeIndexSeek",
    "NodeUniqueIndexSeek", "MultiNodeIndexSeek", "AssertingMultiNodeIndexSeek",
    "NodeIndexSeekByRange", "NodeUniqueIndexSeekByRange", "NodeIndexContainsScan",
    "NodeIndexEndsWithScan", "NodeIndexScan", "NodeCountFromCountStore",
    "RelationshipCountFromCountStore", "Argument", "ArgumentTracker", "Empty",
    *(f"{d}{op}" for d in ("Directed", "Undirected") for op in (
        "AllRelationshipsScan", "RelationshipTypeScan", "UnionRelationshipTypesScan",
        "RelationshipByIdSeek", "RelationshipByElementIdSeek", "RelationshipIndexSeek",
        "RelationshipUniqueIndexSeek", "RelationshipIndexSeekByRange",
        "RelationshipUniqueIndexSeekByRange", "RelationshipIndexScan",
        "RelationshipIndexContainsScan", "RelationshipIndexEndsWithScan")),
    "AssertingMultiRelationshipIndexSeek",
    # traversal
    "Expand", "OptionalExpand", "VarLengthExpand", "ShortestPath", "StatefulShortestPath",
    "Repeat", "Trail", "BidirectionalRepeat", "ProjectEndpoints", "NullifyMetadata",
    "AssertSameNode", "AssertSameRelationship",
    # rows
    "ProduceResults", "EmptyResult", "Projection", "Filter", "Limit", "ExhaustiveLimit", "Skip",
    "Sort", "PartialSort", "Top", "PartialTop", "Distinct", "OrderedDistinct",
    "EagerAggregation", "OrderedAggregation", "Unwind", "PartitionedUnwind", "CacheProperties",
    "Eager", "Optional", "Anti", "Union", "OrderedUnion", "CartesianProduct", "NodeHashJoin",
    "ValueHashJoin", "NodeLeftOuterHashJoin", "NodeRightOuterHashJoin", "TriadicSelection",
    "TriadicBuild", "TriadicFilter",
    # subqueries, EXISTS and COUNT
    "Apply", "SemiApply", "AntiSemiApply", "SelectOrSemiApply", "SelectOrAntiSemiApply",
    "LetSemiApply", "LetAntiSemiApply", "LetSelectOrSemiApply", "LetSelectOrAntiSemiApply",
    "ConditionalApply", "AntiConditionalApply", "RollUpApply",
    # checked by name against READ_PROCEDURES
    "ProcedureCall",
})

_STRINGS_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)
_STRINGS_COMMENTS_NAMES = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/|`(?:[^`]|``)*`", re.S)
# a word that is not a property key (.word), a parameter ($word) or a map key (word:)
_WORD = re.compile(r"(?<![.$\w])([A-Za-z_]\w*)(?!\w)(?!\s*:(?!:))")
_NAME = r"(?:`(?:[^`]|``)*`|[A-Za-z_]\w*)"
_CALL = re.compile(rf"\bCALL\s+({_NAME}(?:\s*\.\s*{_NAME})*)", re.I)
#: a Cypher unicode escape as Neo4j decodes it before reading the query, anywhere in the text
#: (code, string, comment or name): a ``\u`` after an odd run of backslashes (``\\u`` is an
#: escaped backslash and a ``u``). Decoded first, ``\u0027`` is a quote: it closes a string
#: that this module's checks read as still open (REPORT7 item 3)
_UNICODE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u")


def _shortened(word: str, most: int = 40) -> str:
    """A word of the query as an error quotes it: at most ``most`` characters."""
    return word if len(word) <= most else word[:most] + "..."


def blank_strings_and_comments(statement: str) -> str:
    """The statement with strings and comments blanked out (same length; `names` kept)."""
    return _STRINGS_COMMENTS.sub(lambda m: " " * len(m.group()), statement)


def _code(statement: str) -> str:
    """The statement with strings, comments and names in backquotes blanked out."""
    return _STRINGS_COMMENTS_NAMES.sub(lambda m: " " * len(m.group()), statement)


def split_statements(text: str) -> list[str]:
    """The statements of a Cypher script: split on the semicolons that are not in a string, a
    comment or a name in backquotes. Each keeps its comments and loses its trailing space; a
    piece with no code (blank, or only comments) is no statement.

    >>> split_statements("CREATE (:A {t: 'x;y'}); // the end; really\\nMATCH (`a;b`) RETURN 1;")
    ["CREATE (:A {t: 'x;y'})", ' // the end; really\\nMATCH (`a;b`) RETURN 1']
    >>> split_statements("// only a comment;\\n  ")
    []
    """
    code = _code(text)
    statements, start = [], 0
    for end in [*(m.start() for m in re.finditer(";", code)), len(text)]:
        if code[start:end].strip():
            statements.append(text[start:end].rstrip())
        start = end + 1
    return statements


def check_statement(statement: str, name: str = "query") -> None:
    """Refuse a statement that does more than read, judged by its text.

    >>> check_statement("MATCH (s:Store {store_id: $id}) RETURN s.name AS `show`")
    >>> check_statement("SHOW TRANSACTIONS YIELD parameters")
    Traceback (most recent call last):
    ...
    graphaudit.readonly.ReadOnlyRefused: query 'query' is refused without --write: it starts \
with SHOW, not a reading clause (MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, CALL); nothing \
was run and nothing was changed
    """
    if _UNICODE_ESCAPE.search(statement):
        raise ReadOnlyRefused(
            f"query {name!r} is refused without --write: it spells a character as a \\u "
            "escape, which Neo4j decodes before it reads the query (an escaped quote can hide "
            "code from these checks); nothing was run and nothing was changed (write the "
            "character itself)")
    code = _code(statement)
    words = [m.group(1) for m in _WORD.finditer(code)]
    first = words[0].upper() if words else ""
    if first not in FIRST_CLAUSES:
        raise ReadOnlyRefused(
            f"query {name!r} is refused without --write: it starts with "
            f"{_shortened(first) or 'nothing'}, "
            "not a reading clause (MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN, CALL); "
            "nothing was run and nothing was changed")
    for before, word in zip(["", *words], words, strict=False):
        reason = REFUSED_WORDS.get(word.upper())
        if reason and before.upper() != "AS":  # ``AS load`` names a variable
            raise ReadOnlyRefused(
                f"query {name!r} is refused without --write: {word.upper()} {reason}; nothing "
                "was run and nothing was changed (give --write to run it anyway)")
    named = blank_strings_and_comments(statement)  # `names` kept
    for match in _CALL.finditer(named):
        procedure = re.sub(r"\s+|`", "", match.group(1))
        if procedure not in READ_PROCEDURES:
            allowed = ", ".join(sorted(READ_PROCEDURES))
            raise ReadOnlyRefused(
                f"query {name!r} is refused without --write: it calls procedure {procedure}, "
                f"which is not one of the read-only procedures ({allowed}); nothing was run "
                "and nothing was changed")


def plan_operators(plan: object) -> Iterator[str]:
    """Every operator name of an ``EXPLAIN`` plan (a driver plan dict or object), depth first,
    without the runtime suffix (``@neo4j``) and the details in parentheses."""
    if plan is None:
        return
    if isinstance(plan, dict):
        name, children = plan.get("operatorType", ""), plan.get("children") or []
    else:
        name, children = getattr(plan, "operator_type", ""), getattr(plan, "children", []) or []
    yield re.sub(r"\(.*$", "", name.split("@")[0])
    for child in children:
        yield from plan_operators(child)


def _operators_and_details(plan: object) -> Iterator[tuple[str, str]]:
    """(operator, its Details argument) for every operator of a plan, depth first."""
    if plan is None:
        return
    if isinstance(plan, dict):
        args, children = plan.get("args") or {}, plan.get("children") or []
    else:
        args = getattr(plan, "arguments", {}) or {}
        children = getattr(plan, "children", []) or []
    operator = next(plan_operators({"operatorType": (plan.get("operatorType", "")
                                                     if isinstance(plan, dict) else
                                                     getattr(plan, "operator_type", ""))}))
    yield operator, str(args.get("Details", ""))
    for child in children:
        yield from _operators_and_details(child)


def check_plan(plan: object, name: str = "query") -> None:
    """Refuse a plan with an operator outside :data:`READ_OPERATORS` (or no plan at all)."""
    if plan is None:
        raise ReadOnlyRefused(f"query {name!r}: the server gave no plan to check; it was "
                              "refused without --write and nothing was changed")
    for operator, details in _operators_and_details(plan):
        if operator == "ProcedureCall":
            procedure = details.split("(", 1)[0].strip()
            if procedure not in READ_PROCEDURES:
                raise ReadOnlyRefused(
                    f"query {name!r} is refused without --write: its plan calls procedure "
                    f"{procedure or '(unnamed)'}, which is not one of the read-only procedures; "
                    "nothing was run and nothing was changed")
        if operator not in READ_OPERATORS:
            raise ReadOnlyRefused(
                f"query {name!r} is refused without --write: its plan uses {operator}, which is "
                "not on graphaudit's list of reading operators; nothing was run and nothing "
                "was changed")
