"""Text helpers of the report: shortening, JSON for script blocks.

Scrubbing personal data out of free text is :func:`graphaudit.privacy.scrub`, the one rule of
every output.
"""

from __future__ import annotations

import json

__all__ = ["json_for_script", "shorten"]

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
