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

The package: :mod:`.params` (parameter types, parsing and binding), :mod:`.library` (the
``.cypher`` files and their headers), :mod:`.run` (running, masking the rows, empty-answer
hints), :mod:`.format` (tables, CSV, JSON) and :mod:`.docs` (docs/queries.md).
"""

from ..normalize import identifier_key
from .docs import docs_markdown
from .format import cell_text, format_result, listing_rows
from .library import QUERY_DIR, Query, find_query, list_queries, load_library, parse_query
from .params import (
    PARAM_TYPES,
    RULE_PARAMETERS,
    Param,
    ParameterError,
    bind_parameters,
    parse_assignments,
)
from .run import QueryResult, empty_hints, mask_row, run_query, uses_clusters, value_kinds

__all__ = [
    "PARAM_TYPES",
    "QUERY_DIR",
    "RULE_PARAMETERS",
    "Param",
    "ParameterError",
    "Query",
    "QueryResult",
    "bind_parameters",
    "cell_text",
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
    "run_query",
    "uses_clusters",
]
