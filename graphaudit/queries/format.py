"""Query results as text: an aligned table, CSV or JSON, and the ``--list`` rows."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..privacy import csv_line
from .library import Query


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
