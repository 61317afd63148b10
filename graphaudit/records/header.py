"""A delimited file's header: the record it spans, its names renamed to the contract's columns
(the column map's aliases), and rows that repeat it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..privacy import scrub
from .encoding import MAX_LINE_BYTES, open_binary
from .files import file_error
from .rejects import FileReport
from .schema import SCHEMAS, column_key

#: physical lines a header record may span: a quoted name may hold a line break
MAX_HEADER_LINES = 5


def header_record(path: Path, first: bytes, line_end: bytes) -> tuple[bytes, int]:
    """The header record whose first line is ``first``, and how many lines it spans: a quoted
    column name may hold a line break, as a spreadsheet's wrapped header cell does
    (``"Shop\\nname"``, ``"店铺名称\\n(Store name)"``). A quote still open after
    MAX_HEADER_LINES lines leaves the first line alone as the header. (A quote byte is never
    part of a UTF-8 or GB18030 character.)"""
    if first.count(b'"') % 2 == 0 or not line_end:
        return first, 1
    with open_binary(path) as handle:
        lines = handle.read(MAX_LINE_BYTES + 2).split(line_end)
    for count in range(2, min(len(lines), MAX_HEADER_LINES) + 1):
        record = line_end.join(lines[:count])
        if record.count(b'"') % 2 == 0:
            return record, count
    return first, 1


def _other_separator(raw_names: list[str], wanted: set[str],
                     mapping: dict[str, str]) -> str | None:
    """The separator a one-column header is really split by (``;``, a tab, ``|``), when
    splitting by it gives the file's contract columns: a clearer error than a missing column."""
    if len(raw_names) != 1:
        return None
    for separator in (";", "\t", "|"):
        parts = [column_key(p.strip().strip('"')) for p in raw_names[0].split(separator)]
        if len(parts) > 1 and "store_id" in {mapping.get(p, p) for p in parts} & wanted:
            return separator
    return None


#: lines looked through for a header below title lines (REPORT9 item 12)
TITLE_LINES = 20


def has_required(raw_names: list[str], kind: str, mapping: dict[str, str]) -> bool:
    """Whether ``raw_names`` name every required column of ``kind`` (through the column map)."""
    names = {mapping.get(column_key(n.replace("\ufeff", "").strip()),
                         column_key(n.replace("\ufeff", "").strip())) for n in raw_names}
    return all(c.name in names for c in SCHEMAS[kind] if c.required)


def header_below(path: Path, kind: str, mapping: dict[str, str], encoding: str,
                 delimiter: str) -> int | None:
    """The line, after line 1 and within :data:`TITLE_LINES`, that is the header when line 1
    is not (an export's title and a blank line above it), or None: a clearer error than the
    title's "missing column"."""
    with open_binary(path) as handle:
        head = handle.read(MAX_LINE_BYTES).decode(encoding, errors="replace")
    for number, line in enumerate(head.splitlines()[:TITLE_LINES], start=1):
        if number > 1 and has_required(next(csv.reader([line], delimiter=delimiter), []),
                                        kind, mapping):
            return number
    return None


def header_names(
    raw_names: list[str], kind: str, mapping: dict[str, str], path: Path, report: FileReport
) -> list[str | None]:
    """Lower-case and rename the file's columns; unknown ones become None (ignored)."""
    wanted = {c.name for c in SCHEMAS[kind]}
    names: list[str | None] = []
    unknown: list[str] = []
    first_of: dict[str, str] = {}  # contract name -> the header's column that took it
    for raw in raw_names:
        written = raw.replace("\ufeff", "").strip()
        folded = column_key(written)  # a wrapped name: "Shop\nname"; full-width letters
        clean = mapping.get(folded, folded)
        if clean in wanted:
            if clean in names:
                earlier = first_of[clean]
                if column_key(earlier) == folded:
                    raise file_error(path, f"line 1: column {clean!r} appears twice in "
                                      "the header", field=clean)
                raise file_error(path, f"line 1: columns {earlier!r} and {written!r} are "
                                  f"both read as {clean!r} (check the column map)", field=clean)
            names.append(clean)
            first_of[clean] = written
        else:
            names.append(None)
            unknown.append(" ".join(raw.split()))
    missing = [c.name for c in SCHEMAS[kind] if c.required and c.name not in names]
    if missing:
        # the header is quoted scrubbed and cut: a file without one has a record on line 1,
        # personal data and all (REPORT3 items 6 and 19)
        found = scrub(", ".join(n.strip() for n in raw_names)) or "nothing"
        if len(found) > 200:
            found = found[:200] + "..."
        if any("\x00" in n for n in raw_names):
            found += ("; NUL bytes: a UTF-16 file (Excel's Unicode Text: save it as CSV UTF-8) "
                      "or not a text file?")
        elif raw_names and raw_names[0].strip().lower().startswith("sep="):
            found += "; line 1 is Excel's sep= line: remove it, the header must come first"
        elif not any(n for n in names) and len(raw_names) > 1:
            found += "; no column of the contract: is the header line missing?"
        separator = _other_separator(raw_names, wanted, mapping)
        if separator:
            raise file_error(
                path, f"line 1: the columns are separated by {separator!r} (header has: "
                f"{found}): graphaudit reads .csv files separated by ',' and .tsv files "
                "by tabs; export again with commas (or save it as .tsv with tabs)")
        raise file_error(
            path, f"line 1: missing required column {', '.join(missing)} (header has: {found})",
            field=", ".join(missing))
    report.unknown_columns = tuple(unknown)
    report.absent_columns = tuple(c.name for c in SCHEMAS[kind] if c.name not in names)
    return names


#: why a row that repeats the header is rejected
HEADER_AGAIN = ("the header line again: two exports joined into one file? (it is no store; "
                "the rows after it are read)")


def header_again(ids: pa.Array, frame: pd.DataFrame, written: dict[str, str]) -> np.ndarray:
    """Which rows of ``frame`` (whose store ids are ``ids``) repeat the header (``written``:
    column -> its header cell): a second export appended to the first (``cat`` of two files,
    the second's BOM included) would be a store named ``store_id`` at an address ``address``.
    One Arrow compare per block; the rare candidates are checked cell by cell."""
    again = np.zeros(len(frame), dtype=bool)
    candidates = pc.ends_with(ids, pattern=written["store_id"])
    if not pc.any(candidates).as_py():
        return again
    for index in np.flatnonzero(candidates.to_numpy(zero_copy_only=False)).tolist():
        again[index] = all(str(frame[name].iat[index]).replace("\ufeff", "").strip() == cell
                           for name, cell in written.items())
    return again
