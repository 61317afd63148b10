"""Query results as text (an aligned table, CSV or JSON, through
:mod:`graphaudit.textformat`) and the ``--list`` rows."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..textformat import format_rows
from .library import Query


def cell_text(value: object) -> str:
    """A query result value as a table or CSV cell: lists joined by ``;`` (or, when an item
    holds a ``;``, as a JSON array, whose quotes say where each item ends: an address's
    spellings do), maps as JSON, null as empty, booleans as Cypher writes them, floats to four
    significant digits.

    >>> cell_text(["S1", "S2"]), cell_text(["Room 5; Bldg 2", "Rm 5, Blk 2"])
    ('S1;S2', '["Room 5; Bldg 2","Rm 5, Blk 2"]')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        items = [cell_text(v) for v in value]
        if any(";" in item for item in items):
            return json.dumps(items, ensure_ascii=False, separators=(",", ":"))
        return ";".join(items)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    return str(value)


def format_result(columns: list[str], rows: list[dict], fmt: str) -> str:
    """The rows as ``table``, ``csv`` (with a header, even without rows) or ``json`` text,
    rendered by :func:`graphaudit.textformat.format_rows` with :func:`cell_text`."""
    return format_rows(rows, fmt, columns=columns, cell=cell_text)


def listing_rows(library: Mapping[str, Query]) -> list[dict]:
    """One row per query for the ``--list`` table."""
    return [{"name": q.name, "parameters": ", ".join(p.describe() for p in q.params),
             "description": q.description} for q in library.values()]
