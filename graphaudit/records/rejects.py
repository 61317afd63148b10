"""Rejected rows and values (:class:`Reject`), the rejects file they are written to, and what
happened to each input file (:class:`FileReport`): rows read, accepted, rejected, dropped.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, DataError
from ..privacy import csv_line
from .files import is_input_name

#: a run that rejects more than this many rows stops (docs/security.md)
MAX_REJECTS = 1_000_000
#: ``validate`` fails (exit 1) when a file loses more than this share of its rows, or of one
#: column's values (docs/input.md): a wrong column map, date format or export, not a few typos
MAX_LOSS_SHARE = 0.10


@dataclass(frozen=True)
class Reject:
    """A row (or one field of it) that could not be used, and why."""

    file: str
    line: int
    field: str
    reason: str
    value: str = ""


class RejectsWriter:
    """Collects rejects and writes them to a CSV file, opened only when the first one arrives.

    Without a file (``path`` None), the rejects are kept in :attr:`kept`, so that a caller of
    the library still sees what was rejected and why. ``mask(field, text)`` masks a value by
    its column (:func:`graphaudit.privacy.mask_field`); cells that a spreadsheet would run as
    formulas are neutralised (:func:`graphaudit.privacy.csv_line`).
    """

    COLUMNS = ("file", "line", "field", "reason", "value")

    def __init__(self, path: Path | None, mask: Callable[[str, str], str] | None = None,
                 limit: int = MAX_REJECTS, private: bool = False) -> None:
        self.path = path
        self.mask = mask
        #: the file is the user's alone (mode 600), also when it replaces an earlier one:
        #: under --show-pii it holds personal data unmasked
        self.private = private
        self.limit = limit
        self.count = 0
        #: the rejects themselves, when there is no file to write them to
        self.kept: list[Reject] = []
        self._handle: io.TextIOWrapper | None = None
        self._writer = None

    def add(self, reject: Reject) -> None:
        """Write one reject; past ``limit`` rejects, stop the run with a DataError."""
        if self.count >= self.limit:
            where = f"; the first {self.limit:,} are in {self.path}" if self.path else ""
            raise DataError(
                f"{reject.file}: stopped after {self.limit:,} rejected rows (graphaudit's cap)"
                f"{where}: is it the right file, with the right columns or --columns map?",
                file=reject.file, line=reject.line, field=reject.field)
        self.count += 1
        if self.path is None:
            self.kept.append(reject)
            return
        if self._writer is None:
            self.path.parent.mkdir(0o700 if self.private else 0o777, parents=True,
                                   exist_ok=True)
            self._refuse_a_file_of_another()
            _refuse_no_file(self.path)
            if self.path.is_symlink():  # a file of our own in its place, never through it
                self.path.unlink()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                         0o600 if self.private else 0o666)
            if self.private:
                os.fchmod(fd, 0o600)  # an earlier rejects file keeps its mode when truncated
            self._handle = open(fd, "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._writer = self._handle.write
            self._writer(csv_line(self.COLUMNS))
        # A value is masked by its column's kind; a reason is scrubbed like free text (it
        # should never repeat a value, and must not leak one if it does).
        value = self.mask(reject.field, reject.value) if self.mask else reject.value
        reason = self.mask("reason", reject.reason) if self.mask else reject.reason
        self._writer(csv_line((reject.file, reject.line, reject.field, reason, value)))

    def _refuse_a_file_of_another(self) -> None:
        """A rejects file replaces only an earlier rejects file or an empty file (a link there
        is replaced, never followed): any other file is the user's (notes, a column map, a
        key), refused before anything is written. Checked when the first reject arrives, so
        that a run without rejects never minds what is there."""
        path = self.path
        if path.is_symlink() or not path.is_file() or not path.stat().st_size:
            return
        if not is_rejects_file(path):
            raise ConfigError(
                f"--rejects {path} exists and is not a rejects file (its first line is not "
                f"{','.join(self.COLUMNS)}): refused, so that it is not overwritten; give "
                "another path, or move the file away")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RejectsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _share(part: int, whole: int, limit: float) -> str:
    """``part / whole`` as a percentage, with a decimal when a whole number would not show
    that it is past ``limit`` (5 of 48 is 10.4%, not "10%, more than 10%").

    >>> _share(5, 48, 0.1), _share(36, 40, 0.1)
    ('10.4%', '90%')
    """
    text = f"{part / whole:.0%}"
    return f"{part / whole:.1%}" if part / whole > limit and text == f"{limit:.0%}" else text


@dataclass
class FileReport:
    """What happened to one input file: rows read, accepted, rejected by reason."""

    kind: str
    path: str
    read: int = 0
    accepted: int = 0
    rejected: Counter = field(default_factory=Counter)
    unknown_columns: tuple[str, ...] = ()
    encoding: str = ""
    #: values of optional fields dropped from rows that were kept, by column
    dropped: Counter = field(default_factory=Counter)
    #: optional contract columns the file does not have (JSONL: no line has them)
    absent_columns: tuple[str, ...] = ()
    #: rows with a value in each optional column, as written (before defaults)
    filled: Counter = field(default_factory=Counter)
    #: lines inside rejected records that read as rows of their own: what a quote left open
    #: ran over (one reject line each record; these rows are lost with it)
    swallowed: int = 0
    #: values from which Excel's text marker (``="..."``, a leading ``'``) was taken off, by
    #: column (``validate.text_markers_off``)
    unmarked: Counter = field(default_factory=Counter)
    #: an optional kind's file of no bytes (but blank ones): read as no rows (coverage names it)
    empty_file: bool = False

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def losses(self, share: float = MAX_LOSS_SHARE) -> list[str]:
        """What this file lost beyond ``share``: of its rows, rejected; or of the values written
        in one column, dropped from kept rows. Empty when the file is usable as it is."""
        if not self.read:
            return []
        name = Path(self.path).name
        found = []
        lost, rows = self.rejected_total + self.swallowed, self.read + self.swallowed
        if lost > share * rows and self.swallowed:
            found.append(f"{name}: {lost:,} of {rows:,} rows lost: {self.rejected_total:,} "
                         f"rejected, and {self.swallowed:,} more inside rejected records that a "
                         f"quote left open ran over ({_share(lost, rows, share)})")
        elif lost > share * rows:
            found.append(f"{name}: {self.rejected_total:,} of {self.read:,} rows rejected "
                         f"({_share(self.rejected_total, self.read, share)})")
        for column, count in sorted(self.dropped.items()):
            # a required column (an identities file's id_number) has a value in every kept row
            written = max(self.filled.get(column, 0) or self.accepted, count)
            if count > share * written:
                found.append(f"{name}: {column} dropped from {count:,} of the {written:,} rows "
                             f"that have one ({_share(count, written, share)})")
        return found


def is_rejects_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) that a RejectsWriter wrote: its first
    line is the rejects header."""
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace", newline="") as handle:
        header = handle.readline(4096).rstrip("\r\n")
    return header == ",".join(RejectsWriter.COLUMNS)


def check_rejects_path(rejects: Path | None, inputs: Iterable[Path | None],
                       data_dir: Path | None = None) -> None:
    """Refuse a rejects path that is one of the input files (writing it would truncate the
    file while it is read), or that the next run would read as one: a kind's name in
    ``data_dir`` (``payments.csv`` there when the data has no payments file). (A file there
    that graphaudit did not write is refused when the first reject arrives:
    :meth:`RejectsWriter.add`.)"""
    if rejects is None:
        return
    _refuse_no_file(rejects)
    if rejects.exists():
        for path in inputs:
            if path is not None and os.path.samefile(rejects, path):
                raise ConfigError(f"--rejects {rejects} is the input file {path}: writing "
                                  "rejects there would destroy it; give another path")
        if not rejects.is_symlink() and rejects.is_dir():
            raise ConfigError(f"--rejects {rejects} is a folder: give a file's path")
    if (data_dir is not None and is_input_name(rejects.name)
            and rejects.parent.resolve() == Path(data_dir).resolve()):
        raise ConfigError(f"--rejects {rejects} is named like an input file of {data_dir}: "
                          "the next run would read the rejects as its data; give another "
                          "name (rejects.csv) or folder")


def _refuse_no_file(rejects: Path) -> None:
    """Refuse a rejects path that is no file graphaudit may replace: a path under /dev or
    /proc (``/dev/stdout`` is a link there, which the rejects file would replace, system-wide
    when run as root: REPORT4 item 10) or one leading to a device, a pipe or a terminal. Only
    ``/dev/null`` is taken, to discard the rejects."""
    if not rejects.is_symlink() and rejects.exists() and os.path.samefile(rejects, os.devnull):
        return  # /dev/null itself (a link to it is under the rules of any link)
    system = rejects.absolute().parts[1:2] in (("dev",), ("proc",))
    if system or (rejects.exists() and not rejects.is_file() and not rejects.is_dir()):
        raise ConfigError(f"--rejects {rejects} is not a file (a device, a pipe or a terminal, "
                          "as /dev/stdout is): the rejects are a CSV file; give a file's path "
                          "(or /dev/null to discard them)")
