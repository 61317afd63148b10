"""Which files of a data directory are read, as which kind and format; what they are (their
fingerprint); and the refusal of what is no regular file of the directory.
"""

from __future__ import annotations

import functools
import hashlib
import re
import stat
from pathlib import Path

from ..errors import DataError
from .schema import FILE_KINDS

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".parquet": "parquet"}


def find_files(data_dir: Path) -> dict[str, Path | None]:
    """Map each record kind to its file in ``data_dir`` (None when the kind is absent).

    Raises DataError when the directory or the stores file is missing, or a kind has two files.
    """
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: not a directory")
    found: dict[str, list[Path]] = {kind: [] for kind in FILE_KINDS}
    for path in sorted(data_dir.iterdir()):
        kind, fmt = kind_and_format(path)
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
        raise DataError(f"{data_dir}: no stores file (stores.csv, .tsv, .jsonl or .parquet)"
                        + _not_read(unread_files(data_dir, {"stores": None})))
    return files


#: what spreadsheet programs save a workbook as: graphaudit reads none of them
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers", ".et")


def _not_read(names: tuple[str, ...]) -> str:
    """The end of the "no stores file" error naming the files that look like one and are not
    read (``stores.xlsx``: a team's export saved from Excel; REPORT8 item 3)."""
    if not names:
        return ""
    workbook = any(name.lower().endswith(WORKBOOKS) for name in names)
    return (f"; not read: {', '.join(names)}"
            + (" (a spreadsheet workbook: save it as CSV UTF-8)" if workbook else ""))


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


def file_error(path: Path, text: str, field: str | None = None) -> DataError:
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
            raise file_error(path, "a broken symbolic link") from None
        if not target.is_relative_to(data_dir.resolve()):
            raise file_error(path, "a symbolic link out of the data directory; refused "
                            "(copy the file into the data directory)")
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise file_error(path, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        what = _FILE_TYPES.get(stat.S_IFMT(mode), "not a regular file")
        raise file_error(path, f"{what}, not a regular file; refused")


def is_input_name(name: str) -> bool:
    """Whether ``name`` (a path relative to a folder) is a file :func:`find_files` would read
    there: a kind in any format, gzipped or not, in any case.

    >>> names = ("stores.parquet", "Payments.CSV.gz", "truth.csv", "a/stores.csv")
    >>> [is_input_name(n) for n in names]
    [True, True, False, False]
    """
    if "/" in name:
        return False
    kind, fmt = kind_and_format(Path(name))
    return kind in FILE_KINDS and fmt is not None


def kind_and_format(path: Path) -> tuple[str, str | None]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    stem, dot, ext = name.rpartition(".")
    fmt = FORMATS.get(dot + ext)
    if fmt == "parquet" and gz:
        fmt = None
    return stem, fmt
