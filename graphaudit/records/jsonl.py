"""Reading JSONL files: one JSON object a line, each a row of contract columns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .encoding import MAX_LINE_BYTES, open_binary, undecodable
from .files import file_error
from .rejects import FileReport
from .schema import SCHEMAS, column_key

_JSON_TYPES = {list: "array", dict: "object", str: "string", int: "number", float: "number",
               bool: "boolean", type(None): "null"}


def _json_error(exc: json.JSONDecodeError, line: str) -> str:
    """Why a JSONL line is not JSON, placed within that line (the decoder counts the line's
    own end as a second line: "line 2 column 1" on the file's line 5)."""
    where = ("at the end of the line" if exc.pos >= len(line.rstrip("\r\n"))
             else f"at column {exc.pos + 1}")
    return f"not a JSON object ({exc.msg} {where})"


class _DuplicateKey(ValueError):
    """A JSON object with one key written twice: json keeps the last value without a word."""


def _object_once(pairs: list[tuple[str, object]]) -> dict:
    """``object_pairs_hook`` refusing a key written twice in one object, at any depth."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        key = next(k for i, (k, _) in enumerate(pairs) if any(k == p[0] for p in pairs[:i]))
        raise _DuplicateKey(f"key {key!r} written twice in one object: which value is meant?")
    return obj


def _jsonl_row(obj: dict, number: int, wanted: set[str], mapping: dict[str, str],
               unknown: set[str]) -> dict:
    """One JSONL object as a row of contract columns; two keys read as one column (``Phone``
    and ``phone``, or through the column map) make it malformed, as in a header, and so does
    an array or object as a column's value (its Python repr was keyed; REPORT4 item 7)."""
    row: dict = {"_line": number}
    keys: dict[str, str] = {}
    for key, value in obj.items():
        name = column_key(key)
        name = mapping.get(name, name)
        if name not in wanted:
            unknown.add(key)
        elif name in keys:
            return {"_line": number, "_ragged": f"keys {keys[name]!r} and {key!r} both read "
                    f"as column {name}: which value is meant?"}
        elif isinstance(value, list | dict):  # no text field, as a nested Parquet column
            return {"_line": number, "_ragged": f"key {key!r} holds a JSON "
                    f"{_JSON_TYPES[type(value)]}, not a text value: export it flattened"}
        else:
            keys[name] = key
            row[name] = "" if value is None else str(value)
    return row


def read_jsonl(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport
) -> Iterator[pd.DataFrame]:
    wanted = {c.name for c in SCHEMAS[kind]}
    unknown: set[str] = set()
    present: set[str] = set()
    rows: list[dict[str, str]] = []
    seen_any = False
    with open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=report.encoding, errors="strict", newline="")
        try:
            number = 0
            while line := text.readline(MAX_LINE_BYTES + 1):
                number += 1
                if len(line) > MAX_LINE_BYTES:
                    raise file_error(path, f"line {number} is longer than "
                                    f"{MAX_LINE_BYTES >> 20} MiB; refused")
                if number == 1:
                    line = line.lstrip("\ufeff")
                if not line.strip():
                    continue
                seen_any = True
                try:
                    obj = json.loads(line, object_pairs_hook=_object_once)
                except json.JSONDecodeError as exc:
                    rows.append({"_line": number, "_ragged": _json_error(exc, line)})
                    continue
                except _DuplicateKey as exc:
                    rows.append({"_line": number, "_ragged": str(exc)})
                    continue
                except ValueError as exc:
                    rows.append({"_line": number, "_ragged": f"not a JSON object ({exc})"})
                    continue
                except RecursionError:
                    raise file_error(path, f"line {number}: JSON nested too deeply; refused"
                                    ) from None
                if not isinstance(obj, dict):
                    rows.append({"_line": number, "_ragged": "not a JSON object (a JSON "
                                 f"{_JSON_TYPES.get(type(obj), 'value')})"})
                    continue
                row = _jsonl_row(obj, number, wanted, mapping, unknown)
                present.update(row.keys() & wanted)
                rows.append(row)
                if len(rows) >= 100_000:
                    yield _jsonl_frame(rows, kind)
                    rows = []
        except UnicodeDecodeError as exc:
            raise file_error(path, undecodable(path, report.encoding)) from exc
    if not seen_any:
        raise file_error(path, "empty file (no records)")
    report.unknown_columns = tuple(sorted(unknown))
    report.absent_columns = tuple(c.name for c in SCHEMAS[kind] if c.name not in present)
    if rows:
        yield _jsonl_frame(rows, kind)


def _jsonl_frame(rows: list[dict], kind: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in SCHEMAS[kind]:
        if column.name not in frame:
            frame[column.name] = ""
    names = [c.name for c in SCHEMAS[kind]]
    frame[names] = frame[names].fillna("").astype(str)
    return frame
