"""Whole-column helpers for the output files: CSV from Arrow, identifiers shown.

A million-store analysis has a million rows in clusters.csv and in evidence.csv. Formatting them
one Python object at a time (``DataFrame.to_csv``, a list comprehension per row) costs seconds
and a Python string per cell; here each column is formatted once in Arrow, and Python is left
only what Arrow cannot do (a pseudonym's hash, the odd value that needs quoting by the csv rules).
The bytes written are the same as ``DataFrame.to_csv(path, index=False)``, except that a text
cell a spreadsheet would run as a formula is neutralised and quoted
(:func:`graphaudit.privacy.csv_line`, the same rule one row at a time).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..privacy import formula_cells, neutralise

__all__ = ["write_csv"]

#: rows formatted at a time: bounds the memory of the formatted text (~100 bytes a row)
CSV_BATCH = 200_000


def _csv_line(fields: list[str]) -> str:
    """One row as pandas writes it (the csv module, QUOTE_MINIMAL, '\\n' line ends)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(fields)
    return buffer.getvalue()


def _quote_class() -> str:
    """A regex class of the characters that make the csv module quote a value, asked of it.

    (Which control characters count has changed between Python versions; asking keeps the
    files byte-identical to ``to_csv`` on any of them.)
    """
    spelled = {",": ",", '"': '"', "\n": "\\n", "\r": "\\r", "\t": "\\t", " ": " "}
    quoted = [spelled[c] for c in spelled if _csv_line([f"a{c}b", "x"]).startswith('"')]
    return "[" + "".join(quoted) + "]"


_QUOTE_CLASS = _quote_class()


def _csv_cells(column: pd.Series) -> pa.Array | None:
    """A column's cells as CSV text the way ``to_csv`` writes them, or None if not supported.

    Supported: strings (missing values are empty), integers and booleans (``True``/``False``);
    anything else (floats, dates, mixed objects) is left to pandas by :func:`write_csv`.
    """
    if column.dtype == np.bool_:
        return pc.if_else(pa.array(column.to_numpy()), "True", "False")
    if pd.api.types.is_integer_dtype(column.dtype) and isinstance(column.dtype, np.dtype):
        return pc.cast(pa.array(column.to_numpy()), pa.string())
    if not (isinstance(column.dtype, pd.StringDtype) or column.dtype == object):
        return None
    try:
        values = pa.array(column, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if pa.types.is_boolean(values.type):
        return pc.if_else(values, "True", "False") if values.null_count == 0 else None
    if pa.types.is_integer(values.type) and values.null_count == 0:
        return pc.cast(values, pa.string())
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return None
    values = values.cast(pa.large_string()).fill_null("")
    formula = formula_cells(values)
    special = pc.or_(pc.match_substring_regex(values, _QUOTE_CLASS), formula)
    if not pc.any(special).as_py():
        return values
    quote, empty = pa.scalar('"', pa.large_string()), pa.scalar("", pa.large_string())
    if pc.any(formula).as_py():  # neutralised: prefixed with ' (privacy.neutralise)
        values = pc.if_else(formula, pc.binary_join_element_wise(
            pa.scalar("'", pa.large_string()), values, empty), values)
    quoted = pc.binary_join_element_wise(quote, pc.replace_substring(values, '"', '""'), quote,
                                         empty)
    return pc.if_else(special, quoted, values)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame.to_csv(path, index=False)``, formatted column by column in Arrow, with formula
    cells neutralised.

    Rows go out in batches of :data:`CSV_BATCH`, so the formatted text never holds the whole
    file. A frame with a column of another type is written by pandas itself, after its text
    columns are neutralised.
    """
    with open(path, "wb") as handle:
        handle.write(_csv_line([str(name) for name in frame.columns]).encode("utf-8"))
        for start in range(0, len(frame), CSV_BATCH):
            part = frame.iloc[start:start + CSV_BATCH]
            cells = [_csv_cells(part[name]) for name in part.columns]
            if any(c is None for c in cells):
                handle.truncate(0)
                handle.seek(0)
                _neutralised(frame).to_csv(handle, index=False, encoding="utf-8",
                                           quoting=csv.QUOTE_MINIMAL)
                return
            handle.write(_joined_lines(cells))


def _neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts like a formula neutralised (for pandas)."""
    out = frame.copy()
    for name in out.columns:
        if out[name].dtype == object or isinstance(out[name].dtype, pd.StringDtype):
            out[name] = out[name].map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def _joined_lines(cells: list[pa.Array]) -> memoryview:
    """Rows of cells joined by commas, each ended by a newline, as one buffer of UTF-8."""
    cells = [(c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c)
             .cast(pa.large_string()) for c in cells]
    empty, comma, newline = (pa.scalar(t, pa.large_string()) for t in ("", ",", "\n"))
    lines = pc.binary_join_element_wise(cells[-1], empty, newline)  # the last cell, and "\n"
    if len(cells) > 1:
        lines = pc.binary_join_element_wise(*cells[:-1], lines, comma)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
        lines.offset:lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]):int(offsets[-1])]


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array (some kernels, like ``replace_with_mask``, take no chunks)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
