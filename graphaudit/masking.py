"""Mask personal data in every output unless the investigator asks for it (``--show-pii``).

Masks keep just enough to recognise a value (``4403**********123X``, ``**** 5678``) and a short
pseudonym derived from the key, so the same account is recognisable across pages and files even
when two masked forms would look alike.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["PII_KINDS", "PII_FIELDS", "mask", "mask_field", "pseudonym"]

#: identifier kinds whose values are personal data
PII_KINDS = frozenset({"id_document", "payment", "phone", "email"})
#: input columns holding personal data, and the identifier kind of each
PII_FIELDS = {"id_number": "id_document", "account_number": "payment", "phone": "phone",
              "email": "email"}


def pseudonym(kind: str, key: str) -> str:
    """A short stable tag for an identifier key: the same key always gives the same tag.

    >>> pseudonym("payment", "6222020200112233445") == pseudonym("payment", "6222020200112233445")
    True
    """
    digest = hashlib.blake2s(f"{kind}\x00{key}".encode(), digest_size=3).hexdigest()
    return f"#{digest}"


def mask(kind: str, value: str, show_pii: bool = False) -> str:
    """Mask ``value`` of identifier ``kind`` unless ``show_pii``; non-personal kinds pass through.

    >>> mask("id_document", "44030119900101123X")
    '4403**********123X'
    >>> mask("payment", "6222020200112233445")
    '**** 3445'
    >>> mask("phone", "+8613800138000")
    '+86********000'
    >>> mask("email", "zhang.wei@example.com")
    'z***@example.com'
    """
    if show_pii or kind not in PII_KINDS or not value:
        return value
    if kind == "id_document":
        if len(value) <= 8:
            return "*" * (len(value) - 2) + value[-2:]
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if kind == "payment":
        return "**** " + value[-4:] if len(value) > 4 else "****"
    if kind == "phone":
        head = 3 if value.startswith("+") else 0
        return value[:head] + "*" * max(len(value) - head - 3, 0) + value[-3:]
    local, at, domain = value.partition("@")
    return (local[:1] + "***" + at + domain) if at else "***"


_LONG_NUMBER = re.compile(r"\d[\d \-]{5,}\d[xX]?")
_EMAIL = re.compile(r"[^\s,;\"']+@[^\s,;\"']+")


def mask_field(field: str, value: str, show_pii: bool = False) -> str:
    """Mask an input column's raw value by the kind of data it holds (for rejects files).

    A whole malformed row (``field == "row"``) has its long numbers and e-mails masked.

    >>> mask_field("row", "S1,110105194912310021,a@b.cn")
    'S1,1101**********0021,a***@b.cn'
    """
    if show_pii:
        return value
    if field == "row":
        value = _LONG_NUMBER.sub(lambda m: mask("id_document", m.group()), value)
        return _EMAIL.sub(lambda m: mask("email", m.group()), value)
    kind = PII_FIELDS.get(field)
    return value if kind is None else mask(kind, value)
