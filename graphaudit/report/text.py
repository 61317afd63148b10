"""Text helpers of the report: scrubbing personal data out of free text, JSON for script blocks.

Masking identifiers is not enough for a report: free text from the data (a status reason, a store
name, a holder name) may carry an ID number, an account or an e-mail. :func:`scrub` masks any
run of nine or more digits and any e-mail address in such text unless ``--show-pii``.
"""

from __future__ import annotations

import json
import re

from ..masking import mask

__all__ = ["json_for_script", "scrub", "shorten"]

_DIGITS = r"\+?\d(?:[ .\-]?\d){8,}[xX]?"
_NOT_IN_EMAIL = r"[^\s@<>\"',;:()\[\]]"
_LABEL = r"[^\s@<>\"',;:()\[\].]{1,63}"
_EMAIL = _NOT_IN_EMAIL + r"{1,64}@" + _LABEL + r"(?:\." + _LABEL + r"){1,8}"
_PII = re.compile(f"(?P<email>{_EMAIL})|(?P<digits>{_DIGITS})")
_DATES = re.compile(r"\d{4}-\d{2}-\d{2}(?: \d{4}-\d{2}-\d{2})*")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028",
                   "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")


def _mask(match: re.Match) -> str:
    text = match.group()
    if match.lastgroup == "email":
        return mask("email", text)
    if _DATES.fullmatch(text):
        return text
    digits = re.sub(r"[^0-9xX]", "", text)
    if len(digits) >= 15:
        return mask("id_document", digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def scrub(text: str, show_pii: bool = False) -> str:
    """Mask ID-like digit runs (9+ digits) and e-mail addresses in free text.

    >>> scrub("same owner as 110105194912310021, mail zhang.wei@example.com")
    'same owner as 1101**********0021, mail z***@example.com'
    >>> scrub("suspended 2022-03-01 2022-04-01; call 138 0013 8000")
    'suspended 2022-03-01 2022-04-01; call *******8000'
    """
    if show_pii or not text:
        return text
    return _PII.sub(_mask, text)


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
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)
