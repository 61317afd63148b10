"""Reading CSV and TSV files in blocks through pyarrow: DataFrames of strings with the
contract columns and ``_line``, and ``_ragged`` details of malformed rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .encoding import arrow_encoding, first_line, open_binary, undecodable
from .files import file_error
from .header import (
    HEADER_AGAIN,
    has_required,
    header_again,
    header_below,
    header_names,
    header_record,
)
from .lines import (
    LoneCarriageReturns,
    PhysicalLines,
    carriage_returns_back,
    crlf_as_lf,
    line_numbers,
    quote_left_open,
    rows_inside,
)
from .rejects import FileReport


def read_delimited(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport, delimiter: str,
    block_size: int,
) -> Iterator[pd.DataFrame]:
    first, line_end = first_line(path)
    if not first.strip():
        _header_not_first(path, kind, mapping, report, delimiter)
        raise file_error(path, "empty file (no header line)")
    first, header_lines = header_record(path, first, line_end)
    try:
        header = first.decode(report.encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise file_error(path, f"line 1: bytes that are not {report.encoding}") from exc
    raw_names = next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter))
    excel_sep = bool(raw_names) and raw_names[0].strip().lower().startswith("sep=")
    if not has_required(raw_names, kind, mapping) and not excel_sep:  # sep=: its own message
        _header_not_first(path, kind, mapping, report, delimiter)
    names = header_names(raw_names, kind, mapping, path, report)
    written = {name: raw.replace("\ufeff", "").strip()
               for name, raw in zip(names, raw_names, strict=True) if name}

    bad_rows: list[tuple[int, str]] = []  # (record, why): not yet sent on as rejects
    # Every ragged record, kept: pyarrow may report one while it reads ahead into the next
    # block, before the block it belongs to is numbered. pyarrow numbers records, not lines.
    skipped_lines: list[int] = []
    # A quoted value may span lines: records -> physical lines. TSV is quoted as CSV is: Excel,
    # pandas and Python's csv quote a TSV value holding a tab, a quote or a line break (REPORT3
    # item 13); a TSV written without quoting differs only where a value starts with a quote.
    physical = PhysicalLines()

    # rows ragged only by empty fields after the header's last column: read as rows
    recovered: list[tuple[int, list[str]]] = []  # (record, its fields)

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped_lines.append(row.number or 0)
        physical.add_text(row.number or 0, row.text)
        extra = _empty_extra_fields(row.text, delimiter, row.expected_columns,
                                    row.actual_columns)
        if extra is not None:
            recovered.append((row.number or 0, extra))
            return "skip"
        fields = f"{row.actual_columns} fields where the header has {row.expected_columns}"
        inside = rows_inside(row.text, delimiter, row.expected_columns)
        report.swallowed += len(inside)
        bad_rows.append((row.number or 0, quote_left_open(inside, fields) if inside
                         else f"{fields}: {row.text[:120]}"))
        return "skip"

    column_names = [f"c{i}" for i in range(len(raw_names))]
    read_options = pacsv.ReadOptions(
        encoding=arrow_encoding(report.encoding),
        block_size=block_size,
        use_threads=False,
        skip_rows=header_lines,
        column_names=column_names,
    )
    parse_options = pacsv.ParseOptions(
        delimiter=delimiter,
        invalid_row_handler=on_invalid,
        ignore_empty_lines=False,
        quote_char='"',
        newlines_in_values=True,  # a quoted value may span lines, even blocks
    )
    convert_options = pacsv.ConvertOptions(
        # pandas keeps text as large_string: reading it so spares a cast of every block.
        column_types={c: pa.large_string() for c in column_names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        # unknown columns too: a line break in a quoted value shifts the lines
        include_columns=column_names,
    )
    kept = [i for i, c in enumerate(convert_options.include_columns) if names[int(c[1:])]]
    # in records (the header is record 1), as pyarrow numbers ragged ones (counting the lines
    # it skipped)
    next_line = 1 + header_lines
    try:
        with open_binary(path) as opened:
            # In a file whose lines end in LF or CRLF, a lone CR is no line end (pyarrow would
            # split its row, and every later line number would be one off): it is read as NUL
            # and given back to its value after the parse.
            handle = (io.BufferedReader(LoneCarriageReturns(opened), 1 << 16)
                      if line_end in (b"\n", b"\r\n") else opened)
            reader = pacsv.open_csv(handle, read_options, parse_options, convert_options)
            for batch in reader:
                next_line, lines = line_numbers(next_line, batch.num_rows, skipped_lines)
                swallowed = physical.add_batch(lines, batch, delimiter)
                bad_rows.extend(zip(lines[swallowed].tolist(),
                                    _swallowed_rows(batch, swallowed, delimiter, report),
                                    strict=True))
                ids = batch.column(names.index("store_id"))
                batch = batch.select(kept)
                if line_end == b"\r\n":  # before the lone CRs come back: every CR is a CRLF's
                    batch = crlf_as_lf(batch)
                if handle is not opened and handle.raw.found:
                    batch = carriage_returns_back(batch)
                frame = batch.to_pandas()
                frame.columns = [n for n in names if n]
                frame["_line"] = physical.lines(lines)
                repeats = header_again(ids, frame, written) & ~swallowed
                bad_rows.extend((record, HEADER_AGAIN) for record in lines[repeats].tolist())
                if swallowed.any() or repeats.any():
                    frame = frame[~(swallowed | repeats)]
                extra = _recovered_rows(recovered, names, physical, next_line)
                if extra is not None:  # in line order: the first row of a store_id wins
                    frame = pd.concat([frame, extra]).sort_values(
                        "_line", kind="stable", ignore_index=True)
                yield _drop_blank_rows(frame)
                yield from _ragged_rejects(path, kind, report, bad_rows, physical, next_line)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "straddl" in str(exc):  # pyarrow: "... (try to increase block size?)"
            line = int(physical.lines(np.array([next_line]))[0])
            raise file_error(path, f"line {line} or a later one: a record longer than "
                              f"{2 * block_size >> 20} MiB, which graphaudit does not read (a "
                              "value that long, or a quote left open that a quote far below "
                              "closes?)") from exc
        raise file_error(path, _describe_arrow_error(exc, path, report.encoding)) from exc
    yield from _ragged_rejects(path, kind, report, bad_rows, physical)
    extra = _recovered_rows(recovered, names, physical)
    if extra is not None:
        yield _drop_blank_rows(extra)


def _empty_extra_fields(text: str, delimiter: str, expected: int,
                        actual: int) -> list[str] | None:
    """The first ``expected`` fields of a record's ``text`` when the fields after them are
    all empty (a spreadsheet's touched cells right of the data, a writer that ends each line
    with the delimiter): the values are in their places. None otherwise: a row with fewer
    fields, or a value after the last column (an unquoted delimiter shifted the row), is no
    row to guess at. (Called from pyarrow's handler, so it never raises: a record of millions
    of characters, a quote left open, is no such row.)"""
    if actual <= expected or not text.rstrip("\r\n").endswith(delimiter):
        return None
    try:
        fields = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error:  # a value past csv's field size limit
        return None
    if len(fields) <= expected or any(f.strip() for f in fields[expected:]):
        return None
    return [f.replace("\x00", "\r") for f in fields[:expected]]  # lone CRs back


def _recovered_rows(recovered: list[tuple[int, list[str]]], names: list[str | None],
                    physical: PhysicalLines, before: int | None = None,
                    ) -> pd.DataFrame | None:
    """The rows of :func:`_empty_extra_fields` of records before ``before`` (all without), as
    a frame of the file's named columns and their physical lines (None when there are none)."""
    ready = [row for row in recovered if before is None or row[0] < before]
    if not ready:
        return None
    recovered[:] = [row for row in recovered if before is not None and row[0] >= before]
    kept = [i for i, name in enumerate(names) if name]
    frame = pd.DataFrame([[fields[i] for i in kept] for _, fields in ready],
                         columns=[names[i] for i in kept])
    frame["_line"] = physical.lines(np.array([row[0] for row in ready], dtype=np.int64))
    return frame


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank lines carry no data: they are not rows, so neither accepted nor rejected.

    Only rows whose first value is empty can be blank, so the other columns are compared only
    when there are such rows (rarely), not for every row of every block.
    """
    if not (frame.iloc[:, 0] == "").any():
        return frame
    values = frame.drop(columns="_line")
    blank = (values == "").all(axis=1)
    return frame[~blank] if blank.any() else frame


def _swallowed_rows(batch: pa.RecordBatch, swallowed: np.ndarray, delimiter: str,
                    report: FileReport) -> list[str]:
    """Why each swallowed record of ``batch`` is rejected, with the rows it swallowed (counted
    on ``report``)."""
    texts = []
    for index in np.flatnonzero(swallowed).tolist():
        record = delimiter.join(column[index].as_py() for column in batch.columns)
        inside = rows_inside(record, delimiter, batch.num_columns)
        report.swallowed += len(inside)
        texts.append(quote_left_open(inside))
    return texts


def _ragged_rejects(
    path: Path, kind: str, report: FileReport, bad_rows: list[tuple[int, str]],
    physical: PhysicalLines | None = None, before: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Rows with the wrong number of fields, as a frame of ``_line`` and ``_ragged`` details:
    those of records before ``before`` (all without), whose physical lines are known."""
    ready = [row for row in bad_rows if before is None or row[0] < before]
    if not ready:
        return
    bad_rows[:] = [row for row in bad_rows if before is not None and row[0] >= before]
    records = np.array([row[0] for row in ready], dtype=np.int64)
    lines = physical.lines(records) if physical is not None else records
    details = [(int(line), why) for line, (_, why) in zip(lines, ready, strict=True)]
    yield pd.DataFrame(details, columns=["_line", "_ragged"])


def _header_not_first(path: Path, kind: str, mapping: dict[str, str], report: FileReport,
                      delimiter: str) -> None:
    """Stop, naming the line that holds the header, when title lines stand above it."""
    line = header_below(path, kind, mapping, report.encoding, delimiter)
    if line is not None:
        above = "the line" if line == 2 else f"the {line - 1} lines"
        raise file_error(path, f"line {line} holds the header: delete {above} above it (a "
                         "title or notes?) and run again")


def _describe_arrow_error(exc: Exception, path: Path, encoding: str) -> str:
    text = str(exc)
    if "UTF8" in text or "utf-8" in text.lower() or isinstance(exc, UnicodeDecodeError):
        return undecodable(path, encoding)
    return f"cannot parse: {text.splitlines()[0]}"
