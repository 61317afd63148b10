"""Row validation: each chunk of a file checked against its kind's contract, bad rows rejected
and bad optional values dropped (with file, line, field and reason), store ids checked.
"""

from __future__ import annotations

from collections.abc import Container
from collections.abc import Set as AbstractSet
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..normalize import store_id_keys
from .dates import all_iso_dates, parse_dates
from .rejects import FileReport, Reject, RejectsWriter
from .schema import SCHEMAS, Column

#: what SQL exports write in an empty cell (MySQL's and PostgreSQL's ``\N``, SQL Server's and
#: many tools' ``NULL``): read as empty in every column, so that an export whose empty dates and
#: phones are all ``\N`` loses nothing and fails no 10% rule (REPORT4 item 1)
NULL_MARKERS = ("\\N", "NULL", "null", "Null")
TEXT = pd.Series([""], dtype=str).dtype  # the dtype ``astype(str)`` gives: Arrow-backed strings
#: Excel's marks of a cell kept as text, which exports meant for Excel leave in: a leading
#: apostrophe (``'S0000001``) or the formula ``="S0000001"`` (its closing quote may be lost).
#: Group 1 is the value without the mark.
TEXT_MARKER = r"""^(?:'|=\s*"([^"]*)"?$)"""


class Validator:
    """Checks chunks of one file against its kind's contract, sending rejects on."""

    def __init__(
        self,
        kind: str,
        path: Path,
        report: FileReport,
        rejects: RejectsWriter,
        store_ids: AbstractSet[str],
        date_format: str | None = None,
    ) -> None:
        self.kind = kind
        self.date_format = date_format
        self.file = path.name
        self.report = report
        self.rejects = rejects
        self.store_ids = store_ids
        self.first_line: dict[str, int] = {}  # stores: store_id -> line it was first seen on
        #: stores: the rows accepted so far (the frames :meth:`check` returned, which the
        #: reader keeps too), where a repeated store's first row is looked up
        self.accepted: list[pd.DataFrame] = []

    def reject(self, lines, field: str, reason: str, values=None) -> None:
        """Reject the rows of ``lines`` for one ``reason`` (``field`` "row": the whole row)."""
        lines = list(lines)
        values = [""] * len(lines) if values is None else list(values)
        self.reject_each(lines, field, [reason] * len(lines), values)

    def reject_each(self, lines: list, field: str, reasons: list[str], values: list) -> None:
        """Reject the rows of ``lines``, each for its reason, counted by reason."""
        for line, reason, value in zip(lines, reasons, values, strict=True):
            self.rejects.add(Reject(self.file, int(line), field, reason, str(value)[:200]))
        self.report.rejected.update(reasons if field == "row" else
                                    [f"{field}: {reason}" for reason in reasons])

    def drop(self, chunk: pd.DataFrame, mask: pd.Series, field: str, reasons) -> None:
        """Reject the values of ``field`` where ``mask`` holds, keeping their rows: one reject
        line each, counted as dropped values (not as rejected rows)."""
        if not mask.any():
            return
        reasons = (pd.Series(reasons, index=chunk.index) if isinstance(reasons, str)
                   else reasons)
        for line, value, reason in zip(chunk.loc[mask, "_line"].tolist(),
                                       chunk.loc[mask, field].tolist(),
                                       reasons[mask].tolist(), strict=True):
            self.rejects.add(Reject(self.file, int(line), field,
                                    f"{reason}; value dropped, rest of row kept",
                                    str(value)[:200]))
        self.report.dropped[field] += int(mask.sum())

    def check(self, chunk: pd.DataFrame) -> pd.DataFrame:
        if "_ragged" in chunk:
            malformed = chunk["_ragged"].notna()
            for line, detail in zip(chunk.loc[malformed, "_line"], chunk.loc[malformed, "_ragged"],
                                    strict=True):
                self.reject([line], "row", "malformed row", [detail])
            chunk = chunk.loc[~malformed].drop(columns=["_ragged"])
        chunk = chunk.copy()
        for column in SCHEMAS[self.kind]:
            if column.name not in chunk:
                chunk[column.name] = ""
            values = _stripped(chunk[column.name])
            if column.text:
                values, unmarked = text_markers_off(values)
                if unmarked:
                    self.report.unmarked[column.name] += unmarked
            chunk[column.name] = _blank_null_markers(values)
            if not column.required:
                self.report.filled[column.name] += int((chunk[column.name] != "").sum())
        written = chunk["store_id"]
        chunk["store_id"] = store_id_keys(written)  # ＳＴ００１ is ST001 (NFKC)
        ok = pd.Series(True, index=chunk.index)
        for column in SCHEMAS[self.kind]:
            ok &= self._check_column(chunk, column, ok)
        ok &= self._check_store_ids(chunk, ok, written)
        names = [c.name for c in SCHEMAS[self.kind]] + ["_line"]
        good = chunk[names] if ok.all() else chunk.loc[ok, names]
        if self.kind == "stores":
            self.accepted.append(good)
        return good

    def _check_column(self, chunk: pd.DataFrame, column: Column, ok: pd.Series) -> pd.Series:
        values = chunk[column.name]
        bad = pd.Series(False, index=chunk.index)
        if column.required:
            bad = values == ""
            self._reject_where(chunk, bad & ok, column.name, "missing required value")
        if (column.choices and _all_canonical(values, column.choices)) or (
                column.date and all_iso_dates(values)):
            return ~bad  # already clean: nothing to reformat, nothing to reject
        # Only optional columns have choices or dates: a bad value is dropped from its row
        # (rows already rejected for another reason get no second line).
        if column.choices:
            canonical = {c.lower(): c for c in column.choices} | dict(column.synonyms)
            lowered = values.str.lower()
            mapped = lowered.map(canonical)
            empty = values == ""
            unknown = ~empty & mapped.isna()
            fallback = column.default if column.fallback is None else column.fallback
            taken = f" (taken as {fallback})" if fallback else ""
            self.drop(chunk, unknown & ok & ~bad, column.name,
                      f"not one of {', '.join(column.choices)}{taken}")
            chunk[column.name] = mapped.where(~empty, column.default).fillna(fallback)
        if column.date:
            dates, reasons = parse_dates(values, self.date_format)
            self.drop(chunk, (reasons != "") & ok & ~bad, column.name, reasons)
            chunk[column.name] = dates
        return ~bad

    def _check_store_ids(self, chunk: pd.DataFrame, ok: pd.Series,
                         written: pd.Series) -> pd.Series:
        """Reject a store's second row (stores) or a row of an unknown store (other kinds).
        ``written`` are the ids as the file wrote them, before :func:`store_id_keys`."""
        ids = chunk["store_id"]
        if self.kind == "stores":
            # Repeats of an accepted row only: if the first row of an id was rejected (say, for
            # an impossible date), the next valid row is the store's row.
            dup_in_chunk = pd.Series(False, index=ids.index)
            dup_in_chunk[ok] = ids[ok].duplicated(keep="first")
            seen_before = self._seen_before(ids)
            dup = (dup_in_chunk | seen_before) & ok
            # dict.update over zip runs in C; the ids kept are unique (first in chunk, not seen).
            self.first_line.update(zip(ids[ok & ~dup].tolist(),
                                       chunk["_line"][ok & ~dup].tolist(), strict=True))
            if dup.any():
                self._reject_repeats(chunk.loc[dup], written[dup], chunk.loc[ok & ~dup])
            return ~dup
        # One C-level issuperset proves the usual case (every id known); only a chunk with an
        # unknown id pays the per-value loop.
        if self.store_ids.issuperset(ids.tolist()):
            return pd.Series(True, index=ids.index)
        unknown = ~_member_of(ids, self.store_ids) & ok
        self._reject_where(chunk, unknown, "store_id", "store_id not among the accepted stores")
        return ~unknown

    def _reject_repeats(self, repeats: pd.DataFrame, written: pd.Series,
                        accepted: pd.DataFrame) -> None:
        """Reject the ``repeats`` of accepted stores, each reason naming the fields in which the
        row differs from its store's first row (or saying it is identical): a later
        export's status change (REPORT5 item 7), a renamed store, or a copy. The first rows are
        looked up in bulk (this chunk's ``accepted`` rows, and earlier chunks'), and the fields
        compared column by column, in Arrow; only writing the reject lines is per row."""
        ids = repeats["store_id"]
        wanted = pa.array(ids.unique(), type=pa.large_string())
        found = [frame.loc[pc.is_in(pa.array(frame["store_id"], type=pa.large_string()),
                                    value_set=wanted).to_numpy(zero_copy_only=False)]
                 for frame in (*self.accepted, accepted)]
        first = (pd.concat(found).set_index("store_id").reindex(ids)
                 .set_axis(repeats.index, axis=0))
        fields = [c.name for c in SCHEMAS["stores"] if c.name != "store_id"]
        code = np.zeros(len(repeats), dtype=np.int64)
        for bit, name in enumerate(fields):
            differs = first[name].fillna("").astype(str) != repeats[name].fillna("").astype(str)
            code |= differs.to_numpy(dtype=bool) << bit
        reasons = {int(c): _repeat_reason([n for b, n in enumerate(fields) if c >> b & 1])
                   for c in np.unique(code)}
        status_differs = code >> fields.index("status") & 1 == 1
        text = ids.astype(str)
        read = ("written " + written.astype(str) + ", read as " + text + "; ").where(
            written != ids, "")
        status = (", " + first["status"].astype(str) + "; this row: "
                  + repeats["status"].astype(str)).where(status_differs, "")
        values = text + " (" + read + "first on line " + first["_line"].astype(str) + status + ")"
        lines = repeats["_line"].tolist()
        self.reject_each(lines, "store_id", [reasons[c] for c in code.tolist()], values.tolist())

    def _seen_before(self, ids: pd.Series) -> pd.Series:
        """Which ids were accepted in an earlier chunk. Usually none: one C-level isdisjoint
        over the chunk proves that, and only a chunk with a repeat pays the per-value loop."""
        values = ids.tolist()
        if self.first_line.keys().isdisjoint(values):
            return pd.Series(False, index=ids.index)
        return _member_of(ids, self.first_line)

    def _reject_where(self, chunk: pd.DataFrame, mask: pd.Series, field: str, reason: str) -> None:
        if mask.any():
            self.reject(chunk.loc[mask, "_line"], field, reason, chunk.loc[mask, field])


def _repeat_reason(fields: list[str]) -> str:
    """The reason of a repeated store row that differs from the first in ``fields``."""
    if not fields:
        return "duplicate store_id, identical to the first row"
    return (f"duplicate store_id, differing from the first row in {', '.join(fields)} "
            "(the first row is kept)")


def _member_of(values: pd.Series, known: Container[str]) -> pd.Series:
    """``values.isin(known)``, but fast: pandas' isin on a Python set copies the set per call."""
    return pd.Series(np.fromiter((v in known for v in values.tolist()), dtype=bool,
                                 count=len(values)), index=values.index)


def _stripped(values: pd.Series) -> pd.Series:
    """``values.fillna("").astype(str).str.strip()``, without the two copies when the column is
    already null-free Arrow text (every CSV column is)."""
    if values.dtype != TEXT or values.hasnans:
        values = values.fillna("").astype(str)
    return values.str.strip()


def text_markers_off(values: pd.Series) -> tuple[pd.Series, int]:
    """``values`` (trimmed text) with Excel's text markers (:data:`TEXT_MARKER`) taken off,
    and how many values had one.

    The marker says "this cell is text, not a number": it is no part of the value, and kept it
    would make ``="S0000001"`` another store than ``S0000001`` and an ID number another number
    (docs/input.md). Only values starting with ``'`` or ``=`` pay the regular expression.

    >>> plain, count = text_markers_off(pd.Series(['="S0000001"', "'6222", "S2"], dtype=str))
    >>> plain.tolist(), count
    (['S0000001', '6222', 'S2'], 2)
    """
    candidate = values.str.startswith(("'", "="))
    if not candidate.any():
        return values, 0
    marked = values[candidate]
    plain = marked.str.replace(TEXT_MARKER, r"\1", regex=True).str.strip()
    changed = plain != marked
    if not changed.any():
        return values, 0
    values = values.copy()
    values[plain.index[changed]] = plain[changed]
    return values, int(changed.sum())


def _blank_null_markers(values: pd.Series) -> pd.Series:
    """``values`` with the cells that are one of :data:`NULL_MARKERS` made empty."""
    marked = values.isin(NULL_MARKERS)
    return values.mask(marked, "") if marked.any() else values


def _all_canonical(values: pd.Series, choices: tuple[str, ...]) -> bool:
    """True when every value is already spelled as one of ``choices``: then lower-casing and
    mapping would change nothing and reject nothing, so the column can be left as it is."""
    array = pa.array(values.array)
    found = pc.is_in(array, value_set=pa.array(choices, type=array.type))
    return pc.all(found).as_py() is not False  # None: no values at all
