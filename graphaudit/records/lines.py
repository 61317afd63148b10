"""Physical lines of CSV and TSV records: lone carriage returns, line breaks inside quoted
values, the lines of ragged rows skipped, and the rows a quote left open ran over.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class LoneCarriageReturns(io.RawIOBase):
    """The bytes of a file whose lines end in LF or CRLF, with each carriage return that is not
    followed by a line feed read as NUL: a stray CR inside a value (``Evopad\rOfficial``) is
    then no line end for pyarrow. (A CR byte is never part of a UTF-8 or GB18030 character.)
    ``found`` says whether there was one: :func:`carriage_returns_back` restores them."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        super().__init__()
        self._raw = raw
        self._held = b""  # a CR at the end of a read: the next byte says what it is
        self._ready = b""  # bytes decided but not yet handed out (a read smaller than ours)
        self.found = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self._ready:
            while True:
                chunk = self._raw.read(max(len(buffer), 2))
                data, self._held = self._held + chunk, b""
                if chunk and data.endswith(b"\r"):
                    data, self._held = data[:-1], b"\r"
                if data or not chunk:
                    break
            if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
                data = _LONE_CR.sub(b"\x00", data)
                self.found = True
            self._ready = data
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        self._ready = self._ready[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


_LONE_CR = re.compile(rb"\r(?!\n)")


def carriage_returns_back(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with the NULs that stood for lone carriage returns (:class:`LoneCarriageReturns`)
    given back to their values as CR."""
    columns = [pc.replace_substring(c, "\x00", "\r") if pa.types.is_large_string(c.type)
               or pa.types.is_string(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def crlf_as_lf(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` of a file whose lines end in CRLF with the CRLFs inside its quoted values as
    LF: a line break of the file, as a quoted LF is in a file of LF lines (kept, it showed as
    ``\x0d`` in explain and query and came back as ``\r\n`` on the page; REPORT8 item 9). Only
    columns holding a line break are searched (:func:`holds_line_break`, one byte compare)."""
    columns = [pc.replace_substring(c, "\r\n", "\n")
               if (pa.types.is_string(c.type) or pa.types.is_large_string(c.type))
               and holds_line_break(c) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


class PhysicalLines:
    """Physical line numbers of CSV and TSV records, some of whose quoted values hold line breaks.

    Records are numbered as pyarrow does (the header is record 1); a record starts on its
    number plus the line breaks inside the values of the records before it. Kept: the records
    that hold a line break (rare), so a file without any costs one search per column and block.
    """

    def __init__(self) -> None:
        self.records: list[np.ndarray] = []
        self.breaks: list[np.ndarray] = []

    def add_batch(self, records: np.ndarray, batch: pa.RecordBatch,
                  delimiter: str = ",") -> np.ndarray:
        """Note the line breaks inside the values of ``batch``, whose records are ``records``.

        Returns which records swallowed rows: a value with a whole line inside it that holds as
        many delimiters as a row of the file does, what a quote left open leaves behind.
        """
        extra = None
        swallowed = np.zeros(batch.num_rows, dtype=bool)
        for column in batch.columns:
            if not holds_line_break(column):
                continue
            counts = pc.count_substring_regex(column, "\r\n|\r|\n").to_numpy(
                zero_copy_only=False)
            extra = counts if extra is None else extra + counts
            if batch.num_columns > 1:
                inner_row = delimiter.join(["[^\r\n]*"] * batch.num_columns)
                swallowed |= pc.match_substring_regex(
                    column, f"[\r\n]{inner_row}[\r\n]").to_numpy(zero_copy_only=False)
        if extra is not None and extra.any():
            self._add(records[extra > 0], extra[extra > 0])
        return swallowed

    def add_text(self, record: int, text: str) -> None:
        """Note the line breaks inside a ragged record's ``text``."""
        breaks = len(re.findall(r"\r\n|\r|\n", text.rstrip("\r\n")))
        if breaks:
            self._add(np.array([record], dtype=np.int64), np.array([breaks], dtype=np.int64))

    def _add(self, records: np.ndarray, breaks: np.ndarray) -> None:
        self.records.append(records.astype(np.int64))
        self.breaks.append(breaks.astype(np.int64))

    def lines(self, records: np.ndarray) -> np.ndarray:
        """The physical line on which each of ``records`` starts."""
        if not self.records:
            return records
        order = np.argsort(np.concatenate(self.records), kind="stable")
        starts = np.concatenate(self.records)[order]
        before = np.concatenate(([0], np.cumsum(np.concatenate(self.breaks)[order])))
        return np.asarray(records, dtype=np.int64) + before[np.searchsorted(starts, records)]


def holds_line_break(column: pa.Array) -> bool:
    """Whether any value of a text ``column`` holds a line break (``\\n`` or ``\\r``): one
    byte compare over the column's character data, where two substring searches per value cost
    six times as much (nearly every block of every file holds none). ``column`` is a string
    or large_string array, as the CSV reader gives (the bulk load's import files ask the same
    of each column they write)."""
    _, offsets, data = column.buffers()
    if data is None or not len(column):
        return False
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    ends = np.frombuffer(offsets, width)[column.offset:column.offset + len(column) + 1]
    text = np.frombuffer(data, np.uint8)[ends[0]:ends[-1]]
    return bool((text == 0x0A).any() or (text == 0x0D).any())


def line_numbers(start: int, count: int, skipped_lines: list[int]) -> tuple[int, np.ndarray]:
    """Line numbers of ``count`` good rows from ``start``, skipping the lines of ragged rows
    (all of them so far; those before ``start`` or after this block's rows change nothing).

    An int64 array, not a list: pandas takes it as is instead of converting a million ints.
    """
    skipped = np.array(sorted({n for n in skipped_lines if n >= start}), dtype=np.int64)
    candidates = np.arange(start, start + count + len(skipped), dtype=np.int64)
    if len(skipped):
        candidates = candidates[~np.isin(candidates, skipped)]
    lines = candidates[:count]
    return (int(lines[-1]) + 1 if count else start), lines


def rows_inside(text: str, delimiter: str, fields: int) -> list[str]:
    """The lines of a record's ``text`` after its first that hold as many delimiters as a row
    of the file (``fields`` columns): the rows a quote left open ran over."""
    if fields < 2 or ("\n" not in text and "\r" not in text):
        return []
    return [line for line in re.split(r"\r\n|\r|\n", text.rstrip("\r\n"))[1:]
            if line.count(delimiter) >= fields - 1]


def quote_left_open(inside: list[str], detail: str = "") -> str:
    """Why a record that ran over ``inside``, rows of their own, is rejected: how many, and the
    first (a file whose quote is never closed loses every row after it to one record)."""
    rows = ("the next line, which reads as a row of its own" if len(inside) == 1 else
            f"{len(inside):,} lines that read as rows of their own")
    detail = f" ({detail})" if detail else ""
    return (f"a quote left open? this record runs over {rows}{detail}, lost with it; "
            f"the first: {inside[0][:120]}")
