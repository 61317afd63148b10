"""Rows as text for a terminal or a pipe: an aligned table, CSV or JSON.

One renderer for every command that prints rows (``validate``, ``load``, ``explain``,
``analyze --explain-model`` and ``query``); the caller says how a value becomes a cell.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from wcwidth import wcswidth, wcwidth

from .privacy import csv_line

#: the ``--format`` choices
FORMATS = ("table", "csv", "json")


def plain_cell(value: object) -> str:
    """A value as a cell: its ``str``, and nothing for null."""
    return "" if value is None else str(value)


def width(text: str) -> int:
    r"""The columns ``text`` takes on a terminal, as ``wcwidth`` reads them: two for a wide
    character (Chinese, full-width forms, most emoji), none for a combining mark or a
    zero-width space. Padded by ``len``, a column of Chinese store names or status reasons
    pushed every later column out of line (REPORT8 item 7). A control character, for which
    ``wcswidth`` has no width, counts as none.

    >>> width("Heliox 家居"), width("ＩＤ"), width("e\u0301"), width("a\u200bb"), width("a\rb")
    (11, 4, 1, 2, 2)
    """
    columns = wcswidth(text)
    return columns if columns >= 0 else sum(max(wcwidth(char), 0) for char in text)


def _pad(text: str, columns: int) -> str:
    """``text`` and the spaces that make it ``columns`` wide on a terminal."""
    return text + " " * (columns - width(text))


def render_table(columns: Sequence[str], rows: Sequence[Mapping[str, object]],
                 empty: str = "no rows", cell: Callable[[object], str] = plain_cell) -> str:
    """An aligned text table, columns two spaces apart, no trailing blanks. Without rows, the
    header (if the columns are known) and ``(empty)``, which says why: never a bare table."""
    if not columns:
        return f"({empty})\n"
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([width(c), *(width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    if not rows:
        lines.append(f"({empty})")
    return "\n".join(lines) + "\n"


def format_rows(rows: Sequence[Mapping[str, object]], fmt: str,
                columns: Sequence[str] | None = None, empty: str = "no rows",
                cell: Callable[[object], str] = plain_cell) -> str:
    """``rows`` as ``table``, ``csv`` or ``json`` text (``\\n`` ended).

    ``columns`` default to the first row's keys (none without rows: CSV is then empty, a
    table says ``(empty)``). CSV cells that a spreadsheet would run as formulas are
    neutralised (:func:`graphaudit.privacy.csv_line`), as in every CSV the tool writes.

    >>> print(format_rows([{"id": "S1", "n": 2}, {"id": "S22", "n": None}], "table"), end="")
    id   n
    S1   2
    S22
    >>> format_rows([{"id": "=1+1", "n": 2}], "csv")
    'id,n\\n"\\'=1+1",2\\n'
    """
    if fmt == "json":
        return json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n"
    columns = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt == "csv":
        if not columns:
            return ""
        return csv_line(columns) + "".join(csv_line([cell(row.get(c)) for c in columns])
                                           for row in rows)
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    return render_table(columns, rows, empty, cell)
