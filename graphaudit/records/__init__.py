"""Read the four record kinds from a data directory, validate them, and collect rejects.

A data directory holds ``stores``, ``identities``, ``payments`` and ``addresses`` files, each as
CSV, TSV, JSONL or Parquet (text files may be gzipped, UTF-8 with or without a BOM, or GB18030).
Text is streamed in blocks through pyarrow, so a large file never sits in memory twice. Every row
that breaks the contract (docs/design.md §1) goes to the rejects sink with its file, line, field and
reason; a file that cannot be read at all raises :class:`~graphaudit.errors.DataError`.

The bottom layer: it imports nothing of graphaudit above it. One concern a module:

- :mod:`.schema`: the contract's columns of each kind, their choices' synonyms, the column map;
- :mod:`.files`: which files of a directory are read (kind, format), their fingerprint;
- :mod:`.encoding`: opening a file's bytes (gzip within bounds), its first line, its encoding;
- :mod:`.header`: a header's names renamed to the contract's, and rows that repeat it;
- :mod:`.lines`: physical line numbers of CSV/TSV records (line breaks in quoted values);
- :mod:`.delimited`, :mod:`.jsonl`, :mod:`.parquet`: the readers of each format;
- :mod:`.validate`: rows checked against the contract, rejects and dropped values;
- :mod:`.rejects`: rejects, the rejects file, and what happened to each file;
- :mod:`.dates`: date forms, the window of real dates, Excel serials;
- :mod:`.reader`: :func:`read_records`, all of it for one directory.
"""

from .dates import (
    DATE_FORMS,
    EXCEL_DAY_ZERO,
    FIRST_DATE,
    ISO_DATE,
    date_values,
    date_window,
    needs_date_format,
    parse_dates,
)
from .encoding import (
    ENCODING_NAMES,
    ENCODINGS,
    GZIP_RATIO_AFTER,
    MAX_GZIP_RATIO,
    MAX_LINE_BYTES,
)
from .files import FORMATS, Fingerprint, find_files, fingerprint, is_input_name, unread_files
from .header import HEADER_AGAIN, MAX_HEADER_LINES
from .lines import holds_line_break
from .reader import BLOCK_SIZE, RecordSet, read_records
from .rejects import (
    MAX_LOSS_SHARE,
    MAX_REJECTS,
    FileReport,
    Reject,
    RejectsWriter,
    check_rejects_path,
    is_rejects_file,
)
from .schema import FILE_KINDS, ID_TYPE_WORDS, SCHEMAS, STATUS_WORDS, Column, load_column_map
from .validate import NULL_MARKERS, TEXT, TEXT_MARKER, text_markers_off

__all__ = [
    "BLOCK_SIZE",
    "DATE_FORMS",
    "ENCODINGS",
    "ENCODING_NAMES",
    "EXCEL_DAY_ZERO",
    "FILE_KINDS",
    "FIRST_DATE",
    "FORMATS",
    "GZIP_RATIO_AFTER",
    "HEADER_AGAIN",
    "ID_TYPE_WORDS",
    "ISO_DATE",
    "MAX_GZIP_RATIO",
    "MAX_HEADER_LINES",
    "MAX_LINE_BYTES",
    "MAX_LOSS_SHARE",
    "MAX_REJECTS",
    "NULL_MARKERS",
    "SCHEMAS",
    "STATUS_WORDS",
    "TEXT",
    "TEXT_MARKER",
    "Column",
    "FileReport",
    "Fingerprint",
    "RecordSet",
    "Reject",
    "RejectsWriter",
    "check_rejects_path",
    "date_values",
    "date_window",
    "find_files",
    "fingerprint",
    "holds_line_break",
    "is_input_name",
    "is_rejects_file",
    "load_column_map",
    "needs_date_format",
    "parse_dates",
    "read_records",
    "text_markers_off",
    "unread_files",
]
