"""Opening an input file's bytes (gunzipped within bounds), its first line, and its encoding:
UTF-8 with or without a BOM, or GB18030; UTF-16 and Windows-1252 are named and refused.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
import stat
import unicodedata
import zlib
from pathlib import Path

from ..errors import DataError
from .files import file_error

ENCODINGS = ("utf-8", "gb18030")
#: the names an export's encoding goes by, and the one of ENCODINGS that reads it: GB18030
#: reads every GBK (CP936, Excel's "Chinese Simplified") and GB2312 file (REPORT4 item 2)
ENCODING_NAMES = {"utf-8": "utf-8", "utf8": "utf-8", "gb18030": "gb18030", "gbk": "gb18030",
                  "cp936": "gb18030", "gb2312": "gb18030"}
#: Bounds against hostile files (docs/security.md): a header or JSONL line longer than this is
#: refused, and so is a gzip file that expands more than MAX_GZIP_RATIO times once past
#: GZIP_RATIO_AFTER bytes.
MAX_LINE_BYTES = 1 << 20
MAX_GZIP_RATIO = 100
GZIP_RATIO_AFTER = 64 << 20


def open_binary(path: Path) -> io.BufferedReader:
    """Open an input file for reading bytes, gunzipped when its name ends in ``.gz``.

    Refuses (DataError) what is not a regular file once open, without blocking on a FIFO; a
    gzip file is read through :class:`_BoundedGunzip`.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise file_error(path, f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise file_error(path, "not a regular file; refused")
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
            raise file_error(self._path, f"not a readable gzip file: {exc}") from None
        self._out += len(data)
        if self._out > GZIP_RATIO_AFTER and self._out > MAX_GZIP_RATIO * max(self._raw.tell(), 1):
            raise file_error(
                self._path, f"expands more than {MAX_GZIP_RATIO} times when unzipped (a "
                f"compression bomb?); refused after {self._out >> 20} MiB")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
            self._raw.close()
        super().close()


def first_line(path: Path) -> tuple[bytes, bytes]:
    """The first line of a text file and its line end (``\\n``, ``\\r\\n``, ``\\r`` or ``b""``),
    read within MAX_LINE_BYTES: a longer line is refused."""
    with open_binary(path) as handle:
        head = handle.read(MAX_LINE_BYTES + 2)
    match = re.search(rb"\r\n|\n|\r", head)
    if match is None or match.start() > MAX_LINE_BYTES:
        if len(head) > MAX_LINE_BYTES:
            raise file_error(path, f"line 1 is longer than {MAX_LINE_BYTES >> 20} MiB; refused "
                            "(not a CSV or JSONL file?)")
        return head, b""
    return head[: match.start()], match.group()


def detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) when the bytes decode as UTF-8, else GB18030, else a DataError."""
    try:
        with open_binary(path) as handle:
            head = handle.read(1 << 20)
    except (OSError, EOFError) as exc:
        raise file_error(path, f"cannot read: {exc}") from exc
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
            raise file_error(path, latin)
        return name
    raise file_error(path, undecodable(path, "utf-8", "(utf-8, or gb18030 for GBK/CP936)"))


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


def _first_bad_bytes(path: Path, encoding: str) -> tuple[str, bytes, int]:
    """Where the first undecodable bytes of ``path`` are, said for an error message, their
    line and their offset in it (``b""`` and -1 when none is found)."""
    with open_binary(path) as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES):
            number += 1
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                return (f"line {number}: bytes that are not {encoding} (at column "
                        f"{exc.start + 1})", raw, exc.start)
    return f"bytes that are not {encoding}", b"", -1


def undecodable(path: Path, encoding: str, choices: str = "") -> str:
    """The error of a file that is not ``encoding``: where, and what to do. When the bytes
    there read as a Latin letter in Windows-1252 (a Western Excel's CSV: ``Café Élan``), the
    remedy is to save it as CSV UTF-8, which no ``--encoding`` replaces (REPORT9 item 6: the
    message offered gb18030, which failed in turn); else give the encoding (``choices``)."""
    where, line, at = _first_bad_bytes(path, encoding)
    if at >= 0:
        western = line.decode("cp1252", errors="replace")
        letter = western[at]  # one byte, one character in Windows-1252
        beside = western[max(at - 1, 0):at] + western[at + 1:at + 2]  # a word goes on there
        if "LATIN" in unicodedata.name(letter, "") and letter.isalpha() and \
                any(char.isascii() and char.isalpha() for char in beside):
            start = max(western.rfind(" ", 0, at), western.rfind(",", 0, at)) + 1
            word = re.match(r"[^\s,;|\t\"]*", western[start:]).group()
            return (f"{where}, which in Windows-1252 (a Western Excel's CSV) is {word[:40]!r}: "
                    "save it as \"CSV UTF-8\" and run again")
    return f"{where}; give the encoding with --encoding" + (f" {choices}" if choices else "")


def arrow_encoding(encoding: str) -> str:
    """pyarrow decodes only the exact name ``utf8`` natively; any other name (``utf-8`` too) goes
    through a Python codec stream, which is several times slower for the same result."""
    return "utf8" if codecs.lookup(encoding).name == "utf-8" else encoding
