"""Text helpers of the report: shortening, JSON for script blocks.

Scrubbing personal data out of free text is :func:`graphaudit.privacy.scrub`, the one rule of
every output.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from importlib import resources

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["filled", "json_for_script", "json_strings", "row_template", "shorten", "shortened"]

_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                   "\u2029": "\\u2029"}


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut.

    >>> shorten("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "\u2026"


def json_for_script(value: object) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&``.

    The escapes keep ``</script>`` and ``<!--`` from ending or confusing the block; JSON.parse
    reads them back as the original characters.

    >>> json_for_script({"name": "</script><b>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in _SCRIPT_ESCAPES.items():  # str.replace: no callback per match
        if char in text:
            text = text.replace(char, escaped)
    return text


#: JSON's escapes of a string (after the backslash itself), then the script block's
_JSON_ESCAPES = (('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"),
                 *_SCRIPT_ESCAPES.items())
#: characters JSON writes as ``\uXXXX`` or ``\b``/``\f`` (rare: left to json_for_script)
_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"
_CONTROL_BYTES = re.compile(_CONTROL.encode())


def json_strings(values: pa.Array) -> pa.Array:
    """:func:`json_for_script` of each string of a column, in Arrow (the quotes included);
    the few values with other control characters are written by :func:`json_for_script`
    itself. Tests hold the two equal."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    data = values.buffers()[2]
    text = b"" if data is None else memoryview(data).tobytes()
    # each escape is a pass over the whole column: only those of characters it holds
    escaped = values
    for char, replaced in (("\\", "\\\\"), *_JSON_ESCAPES):
        if char.encode() in text:
            escaped = pc.replace_substring(escaped, char, replaced)
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    if not _CONTROL_BYTES.search(text):
        return quoted
    odd = pc.match_substring_regex(values, _CONTROL)
    written = [json_for_script(v) for v in values.filter(odd).to_pylist()]
    return pc.replace_with_mask(quoted, odd, pa.array(written, pa.string()))


@cache
def row_template(name: str = "index-row.html") -> str:
    """A template of table rows put together in Arrow (``index-row.html``, ``index-link.html``:
    a cluster's link to its page, ``cluster-store-row.html``): :meth:`str.format` fields, and
    a ``*-row.html`` ends its row with a line break."""
    return resources.files(__package__).joinpath(name).read_text("utf-8").rstrip("\n") + (
        "\n" if name.endswith("-row.html") else "")


def filled(name: str, values: dict[str, pa.Array]) -> pa.Array:
    """Template ``name`` with each field replaced by its value (escaped by the caller, as
    autoescape would), row by row, in Arrow."""
    pieces = [piece for literal, field, _, _ in string.Formatter().parse(row_template(name))
              for piece in (literal, values[field] if field else "")
              if isinstance(piece, pa.Array) or piece]
    return pc.binary_join_element_wise(*pieces, "")


def shortened(values: pa.Array, limit: int) -> pa.Array:
    """:func:`shorten` of every value, in Arrow (lengths in code points, as Python's)."""
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, limit - 1), "\u2026",
                                      "")
    return pc.if_else(pc.greater(pc.utf8_length(values), limit), cut, values)
