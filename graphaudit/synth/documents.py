"""Identifier numbers with their real check characters, written here independently of
``graphaudit.normalize`` so that the worlds test the engine rather than echo it.

>>> cn_check_char("11010519491231002")
'X'
>>> uscc_check_char("91350100M000100Y4")
'3'
>>> luhn_digit("7992739871")
'3'
>>> hk_check_char("A123456")
'3'
"""

from __future__ import annotations

import random

__all__ = ["cn_check_char", "cn_resident_id", "hk_check_char", "hk_identity_card",
           "luhn_digit", "card_number", "bank_account", "mobile", "passport", "uscc",
           "uscc_check_char", "return_permit"]

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def cn_check_char(body17: str) -> str:
    """Check character of a mainland resident ID (ISO 7064 MOD 11-2) over its first 17 digits."""
    return _CN_CHECK[sum(int(c) * w for c, w in zip(body17, _CN_WEIGHTS, strict=True)) % 11]


def cn_resident_id(r: random.Random, region: str, birth_ordinal: int) -> str:
    """An 18-character resident ID: region, birth date, sequence, check character."""
    from datetime import date

    born = date.fromordinal(birth_ordinal).strftime("%Y%m%d")
    body = f"{region}{born}{r.randrange(1000):03d}"
    return body + cn_check_char(body)


def uscc_check_char(body17: str) -> str:
    """Check character of a unified social credit code (GB 32100-2015, modulus 31)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc(r: random.Random, region: str) -> str:
    """A company's 18-character unified social credit code: '91' (enterprise), the region,
    an organisation code with its own check (GB 11714), and the final check character."""
    org = "".join(r.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    value = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(org, _ORG_WEIGHTS, strict=True))
    check = 11 - value % 11
    org += "X" if check == 10 else "0" if check == 11 else str(check)
    body = "91" + region + org
    return body + uscc_check_char(body)


def luhn_digit(body: str) -> str:
    """The Luhn check digit that completes ``body``."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def card_number(r: random.Random, bin_: str) -> str:
    """A 16-digit bank card number with a valid Luhn digit."""
    body = bin_ + "".join(r.choice("0123456789") for _ in range(15 - len(bin_)))
    return body + luhn_digit(body)


def bank_account(r: random.Random, length: int) -> str:
    """A bank account number of ``length`` digits (no check digit, as most CN accounts)."""
    return str(r.randint(1, 9)) + "".join(r.choice("0123456789") for _ in range(length - 1))


def hk_check_char(body: str) -> str:
    """Check character of a Hong Kong identity card number (one letter and six digits)."""
    total = 9 * 36 + 8 * (ord(body[0]) - 55)
    total += sum(int(c) * w for c, w in zip(body[1:], range(7, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def hk_identity_card(r: random.Random) -> str:
    """A Hong Kong identity card number, canonical form ``A1234563`` (check without brackets)."""
    body = r.choice("ACDEGHKPRVYZ") + "".join(r.choice("0123456789") for _ in range(6))
    return body + hk_check_char(body)


def passport(r: random.Random) -> str:
    """A PRC passport number: E and eight digits."""
    return "E" + "".join(r.choice("0123456789") for _ in range(8))


def return_permit(r: random.Random) -> str:
    """A Home Return Permit number of a Hong Kong (H) or Macao (M) resident."""
    return r.choice("HHHM") + "".join(r.choice("0123456789") for _ in range(8))


def mobile(r: random.Random, prefixes: tuple[str, ...]) -> str:
    """A mainland mobile number, 11 digits."""
    return r.choice(prefixes) + "".join(r.choice("0123456789") for _ in range(8))
