"""Reading Parquet files: typed columns (numbers, dates, bytes) as the contract's text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DataError
from .files import file_error
from .header import header_names
from .rejects import FileReport


def read_parquet(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport
) -> Iterator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise file_error(path, f"not a readable Parquet file: {exc}") from exc
    raw_names = parquet.schema_arrow.names
    names = header_names(raw_names, kind, mapping, path, report)
    keep = [raw for raw, name in zip(raw_names, names, strict=True) if name]
    next_line = 1
    try:
        for batch in parquet.iter_batches(batch_size=200_000, columns=keep):
            frame = _numbers_as_text(_bytes_as_text(batch, path, next_line)).to_pandas()
            frame.columns = [n for n in names if n]
            for column in frame.columns:
                frame[column] = _as_text(frame[column])
            frame["_line"] = range(next_line, next_line + len(frame))
            next_line += len(frame)
            yield frame
    except (pa.ArrowException, OSError) as exc:
        raise file_error(path, f"not a readable Parquet file: {exc}") from exc


def _bytes_as_text(batch: pa.RecordBatch, path: Path, first_line: int) -> pa.RecordBatch:
    """Binary columns (text written without Parquet's UTF8 annotation, as Hive, Impala and
    older Spark write it) decoded as UTF-8, in Arrow: ``str`` of bytes would give every value
    as ``b'...'``. A nested column (list, struct, map) is no text field: DataError naming it,
    as are bytes that are not UTF-8 (naming the row)."""
    columns = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        kind = column.type
        if pa.types.is_nested(kind):
            raise DataError(f"{path}: column {name!r} is {kind}, not text: export it as one "
                            "value per row (a string, a number or a date)")
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) \
                or pa.types.is_fixed_size_binary(kind):
            try:
                column = column.cast(pa.string())
            except pa.ArrowInvalid:
                row = next(k for k, value in enumerate(column.to_pylist())
                           if not _is_utf8(value or b""))
                raise DataError(f"{path}: line {first_line + row}: column {name!r} holds bytes "
                                "that are not UTF-8 (Parquet text is read as UTF-8)") from None
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _numbers_as_text(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Integer and decimal columns as their digits, in Arrow: pandas turns an integer column
    with a null into float64, which appends ".0" to a phone and rounds a 19-digit account to
    16 significant digits (two cards of one branch would become one)."""
    columns = [c.cast(pa.string()) if pa.types.is_integer(c.type) or pa.types.is_decimal(c.type)
               else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _as_text(series: pd.Series) -> pd.Series:
    """Parquet columns may be typed (dates, numbers); the contract works on text."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("")
    return series.map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
