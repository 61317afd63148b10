"""Read the four record kinds from a data directory, validate them, and collect rejects.

A data directory holds ``stores``, ``identities``, ``payments`` and ``addresses`` files, each as
CSV, TSV, JSONL or Parquet (text files may be gzipped, UTF-8 with or without a BOM, or GB18030).
Text is streamed in blocks through pyarrow, so a large file never sits in memory twice. Every row
that breaks the contract (docs/design.md §1) goes to the rejects sink with its file, line, field and
reason; a file that cannot be read at all raises :class:`~graphaudit.errors.DataError`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import gzip
import hashlib
import io
import json
import os
import re
import stat
import tomllib
import zlib
from collections import Counter
from collections.abc import Callable, Container, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import ConfigError, DataError
from .normalize import store_id_keys
from .privacy import csv_line, scrub

__all__ = [
    "DATE_FORMS",
    "FILE_KINDS",
    "MAX_LOSS_SHARE",
    "SCHEMAS",
    "Column",
    "FileReport",
    "RecordSet",
    "Reject",
    "RejectsWriter",
    "check_rejects_path",
    "Fingerprint",
    "fingerprint",
    "holds_line_break",
    "is_input_name",
    "is_rejects_file",
    "date_values",
    "find_files",
    "load_column_map",
    "parse_dates",
    "read_records",
]

FILE_KINDS = ("stores", "identities", "payments", "addresses")
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}
ENCODINGS = ("utf-8", "gb18030")
#: the names an export's encoding goes by, and the one of ENCODINGS that reads it: GB18030
#: reads every GBK (CP936, Excel's "Chinese Simplified") and GB2312 file (REPORT4 item 2)
ENCODING_NAMES = {"utf-8": "utf-8", "utf8": "utf-8", "gb18030": "gb18030", "gbk": "gb18030",
                  "cp936": "gb18030", "gb2312": "gb18030"}
BLOCK_SIZE = 8 << 20  # bytes of text per streamed block
#: Bounds against hostile files (docs/security.md): a header or JSONL line longer than this is
#: refused, and so is a gzip file that expands more than MAX_GZIP_RATIO times once past
#: GZIP_RATIO_AFTER bytes, and a run that rejects more than MAX_REJECTS rows stops.
MAX_LINE_BYTES = 1 << 20
MAX_GZIP_RATIO = 100
GZIP_RATIO_AFTER = 64 << 20
MAX_REJECTS = 1_000_000
#: ``validate`` fails (exit 1) when a file loses more than this share of its rows, or of one
#: column's values (docs/input.md): a wrong column map, date format or export, not a few typos
MAX_LOSS_SHARE = 0.10
#: what SQL exports write in an empty cell (MySQL's and PostgreSQL's ``\N``, SQL Server's and
#: many tools' ``NULL``): read as empty in every column, so that an export whose empty dates and
#: phones are all ``\N`` loses nothing and fails no 10% rule (REPORT4 item 1)
NULL_MARKERS = ("\\N", "NULL", "null", "Null")
TEXT = pd.Series([""], dtype=str).dtype  # the dtype ``astype(str)`` gives: Arrow-backed strings
# Dates in this form within 1900-2099 that Arrow accepts as dates are exactly what pandas parses
# and formats back unchanged; anything else takes the pandas path.
ISO_DATE = r"^(19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}$"


@dataclass(frozen=True)
class Column:
    """One contract column: whether it is required, and how its values are checked."""

    name: str
    required: bool = False
    date: bool = False
    choices: tuple[str, ...] = ()
    default: str = ""  # the value of an empty field
    #: the value of a field whose value is not one of ``choices`` (dropped; None: ``default``)
    fallback: str | None = None
    #: other words for the choices, as Chinese exports write them (lower case -> choice)
    synonyms: tuple[tuple[str, str], ...] = ()


#: a store's status as Chinese marketplace exports write it (REPORT4 item 18): without these,
#: a 封禁 (banned) store was taken as active; words of no sure meaning (暂停, 受限) stay unknown
STATUS_WORDS = (("正常", "active"), ("营业中", "active"), ("营业", "active"),
                ("封禁", "suspended"), ("已封禁", "suspended"), ("封店", "suspended"),
                ("冻结", "suspended"), ("已冻结", "suspended"),
                ("关闭", "closed"), ("已关闭", "closed"), ("关店", "closed"),
                ("注销", "closed"), ("已注销", "closed"))
#: document types in Chinese: 身份证 (resident ID), 营业执照 (business licence), 护照
#: (passport), 港澳通行证 (Hong Kong and Macao permit)
ID_TYPE_WORDS = (("身份证", "CN_RESIDENT_ID"), ("居民身份证", "CN_RESIDENT_ID"),
                 ("营业执照", "BUSINESS_LICENSE"), ("统一社会信用代码", "USCC"),
                 ("护照", "PASSPORT"), ("港澳通行证", "HK_MACAO_PERMIT"))


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "stores": (
        Column("store_id", required=True),
        Column("name"),
        Column("brand"),
        Column("marketplace"),
        Column("opened_on", date=True),
        Column("status", choices=("active", "suspended", "closed"), default="active",
               synonyms=STATUS_WORDS),
        Column("suspended_on", date=True),
        Column("status_reason"),
    ),
    "identities": (
        Column("store_id", required=True),
        Column("id_number", required=True),
        Column(
            "id_type",
            choices=("CN_RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "BUSINESS_LICENSE", "USCC",
                     "OTHER"),
            default="CN_RESIDENT_ID",
            fallback="OTHER",  # an unknown document type is not checked as a resident ID
            synonyms=ID_TYPE_WORDS,
        ),
        Column("holder_name"),
        Column("role"),
        Column("phone"),
        Column("email"),
    ),
    "payments": (
        Column("store_id", required=True),
        Column("account_number", required=True),
        Column("account_type", choices=("bank", "card", "wallet")),
        Column("institution"),
        Column("holder_name"),
    ),
    "addresses": (
        Column("store_id", required=True),
        Column("address", required=True),
        Column("address_type", choices=("registered", "warehouse", "return", "other"),
               default="other"),
        Column("city"),
        Column("postcode"),
        Column("country"),
    ),
}


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


@dataclass
class RecordSet:
    """The accepted rows of each kind, one DataFrame each (all values are strings).

    Every frame has the contract columns of its kind plus ``_file`` and ``_line``, so later stages
    can still point at the row a value came from. ``rejects`` are the rows rejected while
    reading when no :class:`RejectsWriter` was given (a writer's file holds them otherwise).
    """

    stores: pd.DataFrame
    identities: pd.DataFrame
    payments: pd.DataFrame
    addresses: pd.DataFrame
    reports: list[FileReport]
    rejects: list[Reject] = field(default_factory=list)
    #: files of the directory named like a kind that are not read (``payments (1).csv``,
    #: ``addresses.txt``): an absent kind is warned of, and so is what may be it
    unread: tuple[str, ...] = ()



def find_files(data_dir: Path) -> dict[str, Path | None]:
    """Map each record kind to its file in ``data_dir`` (None when the kind is absent).

    Raises DataError when the directory or the stores file is missing, or a kind has two files.
    """
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: not a directory")
    found: dict[str, list[Path]] = {kind: [] for kind in FILE_KINDS}
    for path in sorted(data_dir.iterdir()):
        kind, fmt = _kind_and_format(path)
        if kind in found and fmt:
            found[kind].append(path)
    files: dict[str, Path | None] = {}
    for kind, paths in found.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            raise DataError(f"{data_dir}: more than one {kind} file ({names}); keep one")
        files[kind] = paths[0] if paths else None
        if paths:
            _check_input(paths[0], data_dir)
    if files["stores"] is None:
        raise DataError(f"{data_dir}: no stores file (stores.csv, .tsv, .jsonl or .parquet)")
    return files


def unread_files(data_dir: Path, files: dict[str, Path | None]) -> tuple[str, ...]:
    """The files of ``data_dir`` whose names start like a kind absent from ``files`` but are not
    read: a browser's second download (``payments (1).csv``), another extension
    (``addresses.txt``, ``.xlsx``), a dated export (``identities_2026-11.csv``). Without a
    word, the run would only say there is no such file (REPORT4 item 12)."""
    absent = [kind for kind, path in files.items() if path is None]
    return tuple(sorted(str(path) for path in data_dir.iterdir()
                        if any(path.name.lower().startswith(kind) for kind in absent)))


class Fingerprint:
    """What the record files of a directory are, two ways: :attr:`files`, a hash of each file's
    name, size and modification time (a ``stat`` each: what a rerun compares first), and
    :attr:`content`, a hash of their names and bytes, read only when asked (SHA-256 at about
    1 GB/s: half a second for the 470 MB of a million-store export). A load records both, so a
    rerun on files that were only touched or downloaded again (same bytes, new times) is told
    apart from files that changed, without reading a byte when the times are the same
    (REPORT4 item 15)."""

    def __init__(self, data_dir: Path) -> None:
        self._paths = sorted((kind, path) for kind, path in find_files(data_dir).items()
                             if path is not None)
        digest = hashlib.sha256()
        for kind, path in self._paths:
            info = path.stat()
            digest.update(f"{kind}\0{path.name}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        self.files = digest.hexdigest()[:32]

    @functools.cached_property
    def content(self) -> str:
        """The hash of the files' kinds, names and bytes."""
        digest = hashlib.sha256()
        for kind, path in self._paths:
            with path.open("rb") as file:
                data = hashlib.file_digest(file, "sha256").hexdigest()
            digest.update(f"{kind}\0{path.name}\0{data}\n".encode())
        return digest.hexdigest()[:32]

    def same_files(self, files: str | None, content: str | None) -> bool:
        """True when a load's recorded ``files`` and ``content`` are these files: the same
        names, sizes and times, or the same bytes (hashed only when the times differ). A load
        recorded before contents were (``content`` None) is the same only by its times."""
        if files is None or files == self.files:
            return True
        return content is not None and content == self.content


def fingerprint(data_dir: Path) -> Fingerprint:
    """The :class:`Fingerprint` of the record files of ``data_dir`` now."""
    return Fingerprint(data_dir)


_FILE_TYPES = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
               stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket",
               stat.S_IFDIR: "a directory"}


def _file_error(path: Path, text: str, field: str | None = None) -> DataError:
    """A DataError about the input file ``path``: the message is ``path: text``, and the
    error names the file, the line when ``text`` starts with one (``line 7: ...``) and
    ``field`` (:meth:`~graphaudit.errors.GraphauditError.document`)."""
    line = re.match(r"line (\d+)\b", text)
    return DataError(f"{path}: {text}", file=str(path), line=int(line[1]) if line else None,
                     field=field)


def _check_input(path: Path, data_dir: Path) -> None:
    """Refuse what is not a regular file of the data directory: a symbolic link out of it
    (its target is never read, nor named), a FIFO, a device, a socket."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise _file_error(path, "a broken symbolic link") from None
        if not target.is_relative_to(data_dir.resolve()):
            raise _file_error(path, "a symbolic link out of the data directory; refused "
                            "(copy the file into the data directory)")
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise _file_error(path, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        what = _FILE_TYPES.get(stat.S_IFMT(mode), "not a regular file")
        raise _file_error(path, f"{what}, not a regular file; refused")


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


def is_input_name(name: str) -> bool:
    """Whether ``name`` (a path relative to a folder) is a file :func:`find_files` would read
    there: a kind in any format, gzipped or not, in any case.

    >>> names = ("stores.parquet", "Payments.CSV.gz", "truth.csv", "a/stores.csv")
    >>> [is_input_name(n) for n in names]
    [True, True, False, False]
    """
    if "/" in name:
        return False
    kind, fmt = _kind_and_format(Path(name))
    return kind in FILE_KINDS and fmt is not None


def _kind_and_format(path: Path) -> tuple[str, str | None]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    stem, dot, ext = name.rpartition(".")
    fmt = FORMATS.get(dot + ext)
    if fmt == "parquet" and gz:
        fmt = None
    return stem, fmt


def load_column_map(path: Path) -> dict[str, dict[str, str]]:
    """Read a column map: TOML tables per kind (or ``[all]``) mapping export names to ours.

    Example::

        [stores]
        "Shop ID" = "store_id"
        [all]
        seller = "store_id"
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the column map: {exc}") from exc
    mapping: dict[str, dict[str, str]] = {}
    for section, table in data.items():
        if section not in (*FILE_KINDS, "all") or not isinstance(table, dict):
            raise ConfigError(f"{path}: unknown section [{section}]; use "
                              f"{', '.join(FILE_KINDS)} or all")
        known = {c.name for c in SCHEMAS.get(section, ())} or {
            c.name for cols in SCHEMAS.values() for c in cols
        }
        for source, target in table.items():
            if not isinstance(target, str) or target.lower() not in known:
                raise ConfigError(
                    f"{path}: [{section}] {source!r} maps to unknown column {target!r}")
        mapping[section] = {str(k).strip().lower(): v.lower() for k, v in table.items()}
    return mapping


def read_records(
    data_dir: Path,
    rejects: RejectsWriter | None = None,
    encoding: str | None = None,
    column_map: dict[str, dict[str, str]] | None = None,
    progress: Callable[[int], None] | None = None,
    date_format: str | None = None,
    block_size: int = BLOCK_SIZE,
) -> RecordSet:
    """Read and validate every record file of ``data_dir``.

    Stores are read first so that the other kinds can be checked against their store ids. Rows
    that break the contract go to ``rejects`` (without one, they are kept in memory: see
    :class:`RejectsWriter`); ``progress`` is called with the number of rows read since its
    last call. A bad value of an optional field is dropped from its row (a
    reject line names it) and the row kept. Dates are read in the forms of :data:`DATE_FORMS`
    and, first, in ``date_format`` (a strftime format such as ``%d/%m/%Y``) when given. Text
    files are streamed in blocks of ``block_size`` bytes (rows never span two blocks).

    >>> from graphaudit.records import read_records, RejectsWriter
    >>> records = read_records(Path("sample_data"))  # doctest: +SKIP
    >>> len(records.stores)  # doctest: +SKIP
    2000
    """
    kept = rejects is None
    rejects = rejects if rejects is not None else RejectsWriter(None)
    files = find_files(data_dir)
    check_rejects_path(rejects.path, files.values(), data_dir)
    column_map = column_map or {}
    reports: list[FileReport] = []
    frames: dict[str, pd.DataFrame] = {}
    store_ids: AbstractSet[str] = frozenset()
    for kind in FILE_KINDS:
        path = files[kind]
        names = [c.name for c in SCHEMAS[kind]]
        if path is None:
            frames[kind] = pd.DataFrame({n: pd.Series(dtype=str) for n in
                                         [*names, "_file", "_line"]})
            continue
        report = FileReport(kind=kind, path=str(path))
        mapping = {**column_map.get("all", {}), **column_map.get(kind, {})}
        validator = _Validator(kind, path, report, rejects, store_ids, date_format)
        chunks = []
        for chunk in _read_file(path, kind, mapping, encoding, report, block_size):
            report.read += len(chunk)
            good = validator.check(chunk)
            report.accepted += len(good)
            chunks.append(good)
            if progress:
                progress(len(chunk))
        frame = pd.concat(chunks, ignore_index=True) if chunks else _empty(kind)
        frame["_file"] = path.name
        frames[kind] = frame
        if kind == "stores":
            # The validator remembers each accepted store id (for duplicates): exactly the ids
            # of ``frame``, already hashed, so the set costs a table copy instead of a rebuild.
            store_ids = frozenset(validator.first_line)
        reports.append(report)
    return RecordSet(reports=reports, rejects=rejects.kept if kept else [],
                     unread=unread_files(data_dir, files), **frames)


def _empty(kind: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=str) for c in SCHEMAS[kind]} | {"_line": []})


# ---------------------------------------------------------------------------------------------
# Reading: each reader yields DataFrames of strings with the contract columns and ``_line``.


def _read_file(
    path: Path, kind: str, mapping: dict[str, str], encoding: str | None, report: FileReport,
    block_size: int,
) -> Iterator[pd.DataFrame]:
    fmt = _kind_and_format(path)[1]
    if fmt == "parquet":
        yield from _read_parquet(path, kind, mapping, report)
        return
    report.encoding = encoding or _detect_encoding(path)
    if fmt == "jsonl":
        yield from _read_jsonl(path, kind, mapping, report)
    else:
        yield from _read_delimited(path, kind, mapping, report, "\t" if fmt == "tsv" else ",",
                                   block_size)


def _open_binary(path: Path) -> io.BufferedReader:
    """Open an input file for reading bytes, gunzipped when its name ends in ``.gz``.

    Refuses (DataError) what is not a regular file once open, without blocking on a FIFO; a
    gzip file is read through :class:`_BoundedGunzip`.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _file_error(path, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _file_error(path, "not a regular file; refused")
    os.set_blocking(fd, True)
    raw = open(fd, "rb", buffering=0)  # noqa: SIM115
    if not path.name.lower().endswith(".gz"):
        return io.BufferedReader(raw, 1 << 16)
    return io.BufferedReader(_BoundedGunzip(raw, path), 1 << 16)


class _BoundedGunzip(io.RawIOBase):
    """A gzip stream that stops (DataError) when it expands more than MAX_GZIP_RATIO times
    (past GZIP_RATIO_AFTER bytes): a few kilobytes must not become gigabytes."""

    def __init__(self, raw: io.RawIOBase, path: Path) -> None:
        super().__init__()
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._path = path
        self._out = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._gzip.read(len(buffer))
        except (OSError, EOFError, zlib.error) as exc:
            raise _file_error(self._path, f"not a readable gzip file: {exc}") from None
        self._out += len(data)
        if self._out > GZIP_RATIO_AFTER and self._out > MAX_GZIP_RATIO * max(self._raw.tell(), 1):
            raise _file_error(
                self._path, f"expands more than {MAX_GZIP_RATIO} times when unzipped (a "
                f"compression bomb?); refused after {self._out >> 20} MiB")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
            self._raw.close()
        super().close()


def _first_line(path: Path) -> tuple[bytes, bytes]:
    """The first line of a text file and its line end (``\\n``, ``\\r\\n``, ``\\r`` or ``b""``),
    read within MAX_LINE_BYTES: a longer line is refused."""
    with _open_binary(path) as handle:
        head = handle.read(MAX_LINE_BYTES + 2)
    match = re.search(rb"\r\n|\n|\r", head)
    if match is None or match.start() > MAX_LINE_BYTES:
        if len(head) > MAX_LINE_BYTES:
            raise _file_error(path, f"line 1 is longer than {MAX_LINE_BYTES >> 20} MiB; refused "
                            "(not a CSV or JSONL file?)")
        return head, b""
    return head[: match.start()], match.group()


#: physical lines a header record may span: a quoted name may hold a line break
MAX_HEADER_LINES = 5


def _header_record(path: Path, first: bytes, line_end: bytes) -> tuple[bytes, int]:
    """The header record whose first line is ``first``, and how many lines it spans: a quoted
    column name may hold a line break, as a spreadsheet's wrapped header cell does
    (``"Shop\\nname"``, ``"店铺名称\\n(Store name)"``). A quote still open after
    MAX_HEADER_LINES lines leaves the first line alone as the header. (A quote byte is never
    part of a UTF-8 or GB18030 character.)"""
    if first.count(b'"') % 2 == 0 or not line_end:
        return first, 1
    with _open_binary(path) as handle:
        lines = handle.read(MAX_LINE_BYTES + 2).split(line_end)
    for count in range(2, min(len(lines), MAX_HEADER_LINES) + 1):
        record = line_end.join(lines[:count])
        if record.count(b'"') % 2 == 0:
            return record, count
    return first, 1


def _detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) when the bytes decode as UTF-8, else GB18030, else a DataError."""
    try:
        with _open_binary(path) as handle:
            head = handle.read(1 << 20)
    except (OSError, EOFError) as exc:
        raise _file_error(path, f"cannot read: {exc}") from exc
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text": --encoding cannot help, as it offers no UTF-16 (REPORT3 item 4)
        raise DataError(f"{path}: UTF-16 (a byte order mark, as Excel's \"Unicode Text\" "
                        "writes it): save it as \"CSV UTF-8\" (or as UTF-8 text) and run again")
    for name in ENCODINGS:
        try:
            text = codecs.getincrementaldecoder(name)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if name == "gb18030" and (latin := _latin_as_gb18030(text)):
            raise _file_error(path, latin)
        return name
    raise _file_error(path, f"{_first_bad_line(path, 'utf-8')}; give the encoding with --encoding "
                      "(utf-8, or gb18030 for GBK/CP936)")


#: a character of GBK's extensions (not GB2312's common ones) inside a Latin word: what the
#: two bytes of ``ü`` and the next letter (``M\xfcller``, Windows-1252) decode to in GB18030
_LATIN_IN_GB18030 = re.compile(r"(?<=[A-Za-z])[^\x00-\x7f](?=[A-Za-z])")


def _latin_as_gb18030(text: str) -> str | None:
    """Why ``text``, decoded as GB18030, is more likely Windows-1252 (a Western Excel's CSV):
    the first line where a rare character sits inside a Latin word, as ``Se駉ra`` (``Señora``)
    does; None when there is none. Every pair of bytes of an accented letter and the letter
    after it is valid GB18030, so such a file decodes without an error, into nonsense."""
    for match in _LATIN_IN_GB18030.finditer(text):
        try:
            match.group().encode("gb2312")
        except UnicodeEncodeError:
            line = text.count("\n", 0, match.start()) + 1
            start = text.rfind("\n", 0, match.start()) + 1
            word = re.search(r"[^\s,;|\t\"]*\Z", text[start:match.start()]).group() + \
                re.match(r"[^\s,;|\t\"]*", text[match.start():]).group()
            western = word.encode("gb18030").decode("cp1252", errors="replace")
            return (f"line {line}: not UTF-8, and read as GB18030 it gives {word[:40]!r}, "
                    f"which in Windows-1252 (a Western Excel's CSV) is {western[:40]!r}: save "
                    "it as \"CSV UTF-8\" and run again (give --encoding gb18030 if it is GBK)")
    return None


def _first_bad_line(path: Path, encoding: str) -> str:
    """Describe where the first undecodable bytes of ``path`` are, for the error message."""
    with _open_binary(path) as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES):
            number += 1
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                return f"line {number}: bytes that are not {encoding} (at column {exc.start + 1})"
    return f"bytes that are not {encoding}"


def _other_separator(raw_names: list[str], wanted: set[str],
                     mapping: dict[str, str]) -> str | None:
    """The separator a one-column header is really split by (``;``, a tab, ``|``), when
    splitting by it gives the file's contract columns: a clearer error than a missing column."""
    if len(raw_names) != 1:
        return None
    for separator in (";", "\t", "|"):
        parts = [p.strip().strip('"').lower() for p in raw_names[0].split(separator)]
        if len(parts) > 1 and "store_id" in {mapping.get(p, p) for p in parts} & wanted:
            return separator
    return None


def _header_names(
    raw_names: list[str], kind: str, mapping: dict[str, str], path: Path, report: FileReport
) -> list[str | None]:
    """Lower-case and rename the file's columns; unknown ones become None (ignored)."""
    wanted = {c.name for c in SCHEMAS[kind]}
    names: list[str | None] = []
    unknown: list[str] = []
    first_of: dict[str, str] = {}  # contract name -> the header's column that took it
    for raw in raw_names:
        written = raw.replace("\ufeff", "").strip()
        folded = " ".join(written.split()).lower()  # a wrapped name: "Shop\nname"
        clean = mapping.get(written.lower(), mapping.get(folded, folded))
        if clean in wanted:
            if clean in names:
                earlier = first_of[clean]
                if earlier.lower() == written.lower():
                    raise _file_error(path, f"line 1: column {clean!r} appears twice in "
                                      "the header", field=clean)
                raise _file_error(path, f"line 1: columns {earlier!r} and {written!r} are "
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
            raise _file_error(
                path, f"line 1: the columns are separated by {separator!r} (header has: "
                f"{found}): graphaudit reads .csv files separated by ',' and .tsv files "
                "by tabs; export again with commas (or save it as .tsv with tabs)")
        raise _file_error(
            path, f"line 1: missing required column {', '.join(missing)} (header has: {found})",
            field=", ".join(missing))
    report.unknown_columns = tuple(unknown)
    report.absent_columns = tuple(c.name for c in SCHEMAS[kind] if c.name not in names)
    return names


def _read_delimited(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport, delimiter: str,
    block_size: int,
) -> Iterator[pd.DataFrame]:
    first, line_end = _first_line(path)
    if not first.strip():
        raise _file_error(path, "empty file (no header line)")
    first, header_lines = _header_record(path, first, line_end)
    try:
        header = first.decode(report.encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise _file_error(path, f"line 1: bytes that are not {report.encoding}") from exc
    raw_names = next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter))
    names = _header_names(raw_names, kind, mapping, path, report)
    written = {name: raw.replace("\ufeff", "").strip()
               for name, raw in zip(names, raw_names, strict=True) if name}

    bad_rows: list[tuple[int, str]] = []  # (record, why): not yet sent on as rejects
    # Every ragged record, kept: pyarrow may report one while it reads ahead into the next
    # block, before the block it belongs to is numbered. pyarrow numbers records, not lines.
    skipped_lines: list[int] = []
    # A quoted value may span lines: records -> physical lines. TSV is quoted as CSV is: Excel,
    # pandas and Python's csv quote a TSV value holding a tab, a quote or a line break (REPORT3
    # item 13); a TSV written without quoting differs only where a value starts with a quote.
    physical = _PhysicalLines()

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
        inside = _rows_inside(row.text, delimiter, row.expected_columns)
        report.swallowed += len(inside)
        bad_rows.append((row.number or 0, _quote_left_open(inside, fields) if inside
                         else f"{fields}: {row.text[:120]}"))
        return "skip"

    column_names = [f"c{i}" for i in range(len(raw_names))]
    read_options = pacsv.ReadOptions(
        encoding=_arrow_encoding(report.encoding),
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
        with _open_binary(path) as opened:
            # In a file whose lines end in LF or CRLF, a lone CR is no line end (pyarrow would
            # split its row, and every later line number would be one off): it is read as NUL
            # and given back to its value after the parse.
            handle = (io.BufferedReader(_LoneCarriageReturns(opened), 1 << 16)
                      if line_end in (b"\n", b"\r\n") else opened)
            reader = pacsv.open_csv(handle, read_options, parse_options, convert_options)
            for batch in reader:
                next_line, lines = _line_numbers(next_line, batch.num_rows, skipped_lines)
                swallowed = physical.add_batch(lines, batch, delimiter)
                bad_rows.extend(zip(lines[swallowed].tolist(),
                                    _swallowed_rows(batch, swallowed, delimiter, report),
                                    strict=True))
                ids = batch.column(names.index("store_id"))
                batch = batch.select(kept)
                if handle is not opened and handle.raw.found:
                    batch = _carriage_returns_back(batch)
                frame = batch.to_pandas()
                frame.columns = [n for n in names if n]
                frame["_line"] = physical.lines(lines)
                header_again = _header_again(ids, frame, written) & ~swallowed
                bad_rows.extend((record, HEADER_AGAIN) for record in lines[header_again].tolist())
                if swallowed.any() or header_again.any():
                    frame = frame[~(swallowed | header_again)]
                extra = _recovered_rows(recovered, names, physical, next_line)
                if extra is not None:  # in line order: the first row of a store_id wins
                    frame = pd.concat([frame, extra]).sort_values(
                        "_line", kind="stable", ignore_index=True)
                yield _drop_blank_rows(frame)
                yield from _ragged_rejects(path, kind, report, bad_rows, physical, next_line)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if "straddl" in str(exc):  # pyarrow: "... (try to increase block size?)"
            line = int(physical.lines(np.array([next_line]))[0])
            raise _file_error(path, f"line {line} or a later one: a record longer than "
                              f"{2 * block_size >> 20} MiB, which graphaudit does not read (a "
                              "value that long, or a quote left open that a quote far below "
                              "closes?)") from exc
        raise _file_error(path, _describe_arrow_error(exc, path, report.encoding)) from exc
    yield from _ragged_rejects(path, kind, report, bad_rows, physical)
    extra = _recovered_rows(recovered, names, physical)
    if extra is not None:
        yield _drop_blank_rows(extra)


#: why a row that repeats the header is rejected
HEADER_AGAIN = ("the header line again: two exports joined into one file? (it is no store; "
                "the rows after it are read)")


def _header_again(ids: pa.Array, frame: pd.DataFrame, written: dict[str, str]) -> np.ndarray:
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
                    physical: _PhysicalLines, before: int | None = None,
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


class _LoneCarriageReturns(io.RawIOBase):
    """The bytes of a file whose lines end in LF or CRLF, with each carriage return that is not
    followed by a line feed read as NUL: a stray CR inside a value (``Evopad\rOfficial``) is
    then no line end for pyarrow. (A CR byte is never part of a UTF-8 or GB18030 character.)
    ``found`` says whether there was one: :func:`_carriage_returns_back` restores them."""

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


def _carriage_returns_back(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with the NULs that stood for lone carriage returns (:class:`_LoneCarriageReturns`)
    given back to their values as CR."""
    columns = [pc.replace_substring(c, "\x00", "\r") if pa.types.is_large_string(c.type)
               or pa.types.is_string(c.type) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


class _PhysicalLines:
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


def _arrow_encoding(encoding: str) -> str:
    """pyarrow decodes only the exact name ``utf8`` natively; any other name (``utf-8`` too) goes
    through a Python codec stream, which is several times slower for the same result."""
    return "utf8" if codecs.lookup(encoding).name == "utf-8" else encoding


def _line_numbers(start: int, count: int, skipped_lines: list[int]) -> tuple[int, np.ndarray]:
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


def _rows_inside(text: str, delimiter: str, fields: int) -> list[str]:
    """The lines of a record's ``text`` after its first that hold as many delimiters as a row
    of the file (``fields`` columns): the rows a quote left open ran over."""
    if fields < 2 or ("\n" not in text and "\r" not in text):
        return []
    return [line for line in re.split(r"\r\n|\r|\n", text.rstrip("\r\n"))[1:]
            if line.count(delimiter) >= fields - 1]


def _quote_left_open(inside: list[str], detail: str = "") -> str:
    """Why a record that ran over ``inside``, rows of their own, is rejected: how many, and the
    first (a file whose quote is never closed loses every row after it to one record)."""
    rows = ("the next line, which reads as a row of its own" if len(inside) == 1 else
            f"{len(inside):,} lines that read as rows of their own")
    detail = f" ({detail})" if detail else ""
    return (f"a quote left open? this record runs over {rows}{detail}, lost with it; "
            f"the first: {inside[0][:120]}")


def _swallowed_rows(batch: pa.RecordBatch, swallowed: np.ndarray, delimiter: str,
                    report: FileReport) -> list[str]:
    """Why each swallowed record of ``batch`` is rejected, with the rows it swallowed (counted
    on ``report``)."""
    texts = []
    for index in np.flatnonzero(swallowed).tolist():
        record = delimiter.join(column[index].as_py() for column in batch.columns)
        inside = _rows_inside(record, delimiter, batch.num_columns)
        report.swallowed += len(inside)
        texts.append(_quote_left_open(inside))
    return texts


def _ragged_rejects(
    path: Path, kind: str, report: FileReport, bad_rows: list[tuple[int, str]],
    physical: _PhysicalLines | None = None, before: int | None = None,
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


def _describe_arrow_error(exc: Exception, path: Path, encoding: str) -> str:
    text = str(exc)
    if "UTF8" in text or "utf-8" in text.lower() or isinstance(exc, UnicodeDecodeError):
        return f"{_first_bad_line(path, encoding)}; give the encoding with --encoding"
    return f"cannot parse: {text.splitlines()[0]}"


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
        name = key.strip().lower()
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


def _read_jsonl(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport
) -> Iterator[pd.DataFrame]:
    wanted = {c.name for c in SCHEMAS[kind]}
    unknown: set[str] = set()
    present: set[str] = set()
    rows: list[dict[str, str]] = []
    seen_any = False
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=report.encoding, errors="strict", newline="")
        try:
            number = 0
            while line := text.readline(MAX_LINE_BYTES + 1):
                number += 1
                if len(line) > MAX_LINE_BYTES:
                    raise _file_error(path, f"line {number} is longer than "
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
                    raise _file_error(path, f"line {number}: JSON nested too deeply; refused"
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
            raise _file_error(path, _first_bad_line(path, report.encoding)) from exc
    if not seen_any:
        raise _file_error(path, "empty file (no records)")
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


def _read_parquet(
    path: Path, kind: str, mapping: dict[str, str], report: FileReport
) -> Iterator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise _file_error(path, f"not a readable Parquet file: {exc}") from exc
    raw_names = parquet.schema_arrow.names
    names = _header_names(raw_names, kind, mapping, path, report)
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
        raise _file_error(path, f"not a readable Parquet file: {exc}") from exc


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


# ---------------------------------------------------------------------------------------------
# Validation


class _Validator:
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
        #: stores: store_id -> the status of its first row, when not active (few)
        self.first_status: dict[str, str] = {}

    def reject(self, lines, field: str, reason: str, values=None) -> None:
        values = [""] * len(lines) if values is None else values
        for line, value in zip(lines, values, strict=True):
            self.rejects.add(Reject(self.file, int(line), field, reason, str(value)[:200]))
        self.report.rejected[reason if field == "row" else f"{field}: {reason}"] += len(lines)

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
            chunk[column.name] = _blank_null_markers(_stripped(chunk[column.name]))
            if not column.required:
                self.report.filled[column.name] += int((chunk[column.name] != "").sum())
        written = chunk["store_id"]
        chunk["store_id"] = store_id_keys(written)  # ＳＴ００１ is ST001 (NFKC)
        ok = pd.Series(True, index=chunk.index)
        for column in SCHEMAS[self.kind]:
            ok &= self._check_column(chunk, column, ok)
        ok &= self._check_store_ids(chunk, ok, written)
        names = [c.name for c in SCHEMAS[self.kind]] + ["_line"]
        return chunk[names] if ok.all() else chunk.loc[ok, names]

    def _check_column(self, chunk: pd.DataFrame, column: Column, ok: pd.Series) -> pd.Series:
        values = chunk[column.name]
        bad = pd.Series(False, index=chunk.index)
        if column.required:
            bad = values == ""
            self._reject_where(chunk, bad & ok, column.name, "missing required value")
        if (column.choices and _all_canonical(values, column.choices)) or (
                column.date and _all_iso_dates(values)):
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
            status = chunk["status"].replace("", "active")
            flagged = ok & ~dup & (status != "active")
            if flagged.any():
                self.first_status.update(zip(ids[flagged].tolist(), status[flagged].tolist(),
                                             strict=True))
            if dup.any():
                first = {sid: self.first_line.get(sid) for sid in ids[dup]}
                for index in chunk.index[dup]:
                    sid = ids[index]
                    read = f"written {written[index]}, read as {sid}; " if (
                        written[index] != sid) else ""
                    before, now = self.first_status.get(sid, "active"), status[index]
                    reason, differs = "duplicate store_id", ""
                    if now != before:  # a later export's status change (REPORT5 item 7)
                        reason = "duplicate store_id with another status (the first row is kept)"
                        differs = f", {before}; this row: {now}"
                    self.reject([chunk.at[index, "_line"]], "store_id", reason,
                                [f"{sid} ({read}first on line {first[sid]}{differs})"])
            return ~dup
        # One C-level issuperset proves the usual case (every id known); only a chunk with an
        # unknown id pays the per-value loop.
        if self.store_ids.issuperset(ids.tolist()):
            return pd.Series(True, index=ids.index)
        unknown = ~_member_of(ids, self.store_ids) & ok
        self._reject_where(chunk, unknown, "store_id", "store_id not among the accepted stores")
        return ~unknown

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


def _all_iso_dates(values: pd.Series) -> bool:
    """True when every value is empty or a real calendar date written YYYY-MM-DD, within
    :func:`date_window`.

    pandas would parse and format such dates back to the same text, so they need no work; one
    odd value anywhere sends the column down the exact pandas path.
    """
    dates = _iso_dates(values)
    if dates is None or dates.null_count == len(dates):
        return dates is not None
    first, last = date_window()
    bounds = pc.min_max(dates)
    return bounds["min"].as_py() >= first and bounds["max"].as_py() <= last


def _iso_dates(values: pd.Series) -> pa.Array | None:
    """The values as Arrow dates (null where empty) when every value is empty or a real
    calendar date written YYYY-MM-DD (1900-2099); None otherwise."""
    try:
        array = pa.array(values.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    present = pc.not_equal(array, "")
    if pc.all(pc.match_substring_regex(pc.filter(array, present), ISO_DATE)).as_py() is False:
        return None
    try:
        return pc.cast(pc.if_else(present, array, None), pa.date32())
    except pa.ArrowInvalid:
        return None


def date_values(values: pd.Series) -> pd.Series:
    """The dates of a column as pandas reads them (``pd.to_datetime``; empty and unreadable
    values are NaT). A column of YYYY-MM-DD dates, what :func:`read_records` keeps, is parsed
    by Arrow: pandas takes seconds for a million of them."""
    dates = _iso_dates(values)
    if dates is None or dates.null_count == len(dates):
        return pd.to_datetime(values.fillna("").astype(str).replace("", None), errors="coerce")
    return pd.Series(dates.to_numpy(zero_copy_only=False).astype(_parsed_date_type()),
                     index=values.index, name=values.name)


@functools.cache
def _parsed_date_type() -> np.dtype:
    """The dtype pandas gives YYYY-MM-DD dates (its resolution changes between versions)."""
    return pd.to_datetime(pd.Series(["2000-01-01"])).dtype


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
     ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
     ("oct", "october"), ("nov", "november"), ("dec", "december")), start=1) for name in names}
#: a time of day: 24-hour (``22:30``, ``22:30:05.5``), or 12-hour with AM/PM after it
#: (``10:30 PM``, ``10:30 p.m.``) or 上午/下午 before it (``下午3:30``), then a time zone
_CLOCK = (r"(?:(?:0?\d|1[0-2]):\d{2}(?::\d{2}(?:\.\d+)?)?\s*[AP]\.?M\.?"
          r"|(?:上午|下午)\s*(?:0?\d|1[0-2]):\d{2}(?::\d{2}(?:\.\d+)?)?"
          r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})?")
_TIME = rf"(?:[T ]\s*{_CLOCK})?"
#: a time after a date (stripped before ``--date-format`` is tried a second time)
_TRAILING_TIME = rf"(?:T\s*|\s+){_CLOCK}$"
#: flags of every date pattern: month names in any case; ``\d`` is ASCII 0-9 only (full-width
#: digits are made ASCII first, by NFKC; digits of other scripts are no recognised form)
_DATE_FLAGS = re.IGNORECASE | re.ASCII
#: The date forms read without ``--date-format``: each says which part is the year, the month
#: and the day, so none is ambiguous (docs/input.md). A time after the date is ignored (the
#: date is taken as written, with no time zone conversion).
DATE_FORMS: tuple[tuple[str, re.Pattern], ...] = (
    ("YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (one-digit month and day too, a time may follow)",
     re.compile(rf"(?P<y>\d{{4}})[-/.](?P<m>\d{{1,2}})[-/.](?P<d>\d{{1,2}}){_TIME}")),
    # a compact time may follow (20200105103000, 20200105T1030: yyyyMMddHHmmss, as Chinese
    # order systems write it; REPORT4 item 5)
    ("YYYYMMDD (a time HHMM or HHMMSS may follow)",
     re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?)?")),
    ("YYYY年M月D日",
     re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?"
                rf"(?:\s*{_CLOCK})?")),
    ("D Mon YYYY, D-Mon-YYYY, D Month YYYY",
     re.compile(rf"(?P<d>\d{{1,2}})[ -](?P<m>[A-Za-z]{{3,9}})\.?[ -](?P<y>\d{{4}}){_TIME}")),
    ("Mon D, YYYY and Month D YYYY",
     re.compile(rf"(?P<m>[A-Za-z]{{3,9}})\.? (?P<d>\d{{1,2}}),? (?P<y>\d{{4}}){_TIME}")),
)
#: day and month as numbers with the year last: 01/05/2020 is 1 May or 5 January
_AMBIGUOUS = re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}" + _TIME)


#: No marketplace store opened or was suspended before this day: an earlier date is a
#: placeholder of the export (1900-01-01, 1970-01-01, Excel's 1899-12-30), not an event.
FIRST_DATE = date(1990, 1, 1)


def date_window() -> tuple[date, date]:
    """The dates an export's events can have: from :data:`FIRST_DATE` to tomorrow (UTC, so
    that no time zone's today is in the future). Later dates are placeholders (9999-12-31,
    2099-12-31) or typos; taken as real they would overflow pandas' timestamps (past 2262)
    or score a store as opened decades after a ban."""
    return FIRST_DATE, datetime.now(UTC).date() + timedelta(days=1)


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Read dates written in any form of :data:`DATE_FORMS` (and ``date_format`` first).

    Returns the dates as ``YYYY-MM-DD`` text ("" where empty or unreadable) and, per value, why
    it could not be read ("" where it could, or was empty).

    >>> dates, why = parse_dates(pd.Series(["2020/1/5", "5 Jan 2020", "01/05/2020", ""]))
    >>> dates.tolist(), why.tolist()[2][:30]
    (['2020-01-05', '2020-01-05', '', ''], 'day and month order unknown: g')
    """
    values = values.fillna("").astype(str).str.strip()
    wide = ~values.str.isascii()
    if wide.any():  # full-width digits, separators and spaces (２０２４－０３－０５) as ASCII
        values = values.where(~wide, values[wide].str.normalize("NFKC").str.strip())
    present = values != ""
    result = pd.Series("", index=values.index, dtype=object)
    todo = present.copy()
    if date_format:
        for text in (values, values.str.replace(_TRAILING_TIME, "", regex=True,
                                                flags=_DATE_FLAGS)):
            parsed = pd.to_datetime(text.where(todo), format=date_format, errors="coerce")
            found = todo & parsed.notna()
            result[found] = parsed[found].dt.strftime("%Y-%m-%d")
            todo &= ~found
    impossible = pd.Series(False, index=values.index)
    for _, pattern in DATE_FORMS:
        if not todo.any():
            break
        parts = values[todo].str.extract(f"^{pattern.pattern}$", flags=_DATE_FLAGS)
        matched = parts["y"].notna()
        if not matched.any():
            continue
        parts = parts[matched]
        months = parts["m"].str.lower().map(lambda m: str(_MONTHS.get(m, m)))
        named = months.str.isdigit()  # "Foo 5, 2020" is not a date form at all
        parts, months = parts[named], months[named]
        text = parts["y"] + "-" + months.str.zfill(2) + "-" + parts["d"].str.zfill(2)
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        result[parsed.index[parsed.notna()]] = parsed.dropna().dt.strftime("%Y-%m-%d")
        impossible[parsed.index[parsed.isna()]] = True
        todo[parts.index] = False
    reasons = pd.Series("", index=values.index, dtype=object)
    first, last = (day.isoformat() for day in date_window())
    early, late = (result != "") & (result < first), result > last
    reasons[early] = (f"before {first}, when no marketplace store had opened: a placeholder "
                      "(1900-01-01, 1970-01-01)?")
    reasons[late] = f"after {last}, in the future: a placeholder (9999-12-31)?"
    result[early | late] = ""
    unread = present & (result == "") & ~early & ~late
    if unread.any():
        ambiguous = values.str.fullmatch(_AMBIGUOUS.pattern, flags=_DATE_FLAGS)
        given = f" nor {date_format}" if date_format else ""
        reasons[unread] = f"not a date in a recognised form{given} (docs/input.md)"
        reasons[unread & ambiguous] = ("day and month order unknown: give --date-format "
                                       "%d/%m/%Y or %m/%d/%Y")
        # 13/01/2020 reads only day first; still dropped: a column's order is given, never
        # guessed from some of its values (its 01/02/2020 would be read either way)
        fields = values[unread & ambiguous].str.extract(r"^(\d{1,2})[-/.](\d{1,2})[-/.]")
        first, second = fields[0].astype(int) > 12, fields[1].astype(int) > 12
        guessed = " (graphaudit does not guess a column's order from some of its values)"
        reasons[first[first & ~second].index] = (
            "day and month order unknown: this date reads only day first, but the column's "
            f"order is not given{guessed}: give --date-format %d/%m/%Y")
        reasons[second[second & ~first].index] = (
            "day and month order unknown: this date reads only month first, but the column's "
            f"order is not given{guessed}: give --date-format %m/%d/%Y")
        reasons[first[first & second].index] = "not a real calendar date"
        reasons[unread & impossible] = "not a real calendar date"
        reasons.update(_excel_serials(values[unread]))
    return result, reasons


EXCEL_DAY_ZERO = date(1899, 12, 30)  # Excel's 1900 date system: day 1 is 1900-01-01


def _excel_serials(values: pd.Series) -> pd.Series:
    """Why a bare number within the date window's Excel serials (45123, 45123.75) was not read:
    it is what Excel writes for a date cell formatted as a number. Not read as a date: a Mac
    workbook in the 1904 system puts the same number 1,462 days later, and nothing in the file
    says which system wrote it (docs/input.md)."""
    numbers = pd.to_numeric(values[values.str.fullmatch(r"\d{5}(?:\.\d+)?")], errors="coerce")
    days = [(day - EXCEL_DAY_ZERO).days for day in date_window()]
    numbers = numbers[(numbers >= days[0]) & (numbers < days[1] + 1)]
    return pd.Series([
        f"a number, not a date: an Excel date serial? ({text} is "
        f"{EXCEL_DAY_ZERO + timedelta(days=int(number))} in Excel's 1900 date system, 4 years "
        "later in its 1904 system): format the column as dates (yyyy-mm-dd) and export again"
        for text, number in zip(values[numbers.index], numbers, strict=True)],
        index=numbers.index, dtype=object)
