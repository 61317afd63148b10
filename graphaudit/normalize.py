"""Normalize identifiers to keys: one pure function per identifier kind (DESIGN.md §2).

A key is what links stores: two raw values with the same key are the same identifier.
Every ``*_key`` function is pure and idempotent (``key(key(x)) == key(x)``). The identifier
keys raise ``ValueError`` when nothing usable is left, which callers turn into a reject;
:func:`name_key` (holder names are attributes, not identifiers) returns ``""`` instead.
The helpers at the end (:func:`address_numbers`, :func:`names_agree`,
:func:`id_edit_close`) support fuzzy matching on top of the keys.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

import phonenumbers
from rapidfuzz import fuzz

__all__ = [
    "account_key",
    "address_key",
    "address_numbers",
    "brand_key",
    "cn_resident_check_char",
    "email_key",
    "id_document_key",
    "id_edit_close",
    "identifier_key",
    "luhn_valid",
    "name_key",
    "names_agree",
    "phone_key",
]

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"

# Separators dropped from ID documents and account numbers: whitespace, - . / _, the other
# Unicode dashes, the minus sign, middle dots and zero-width characters.
_SEPARATORS = re.compile(r"[\s\-./_\u00b7\u2010-\u2015\u2212\u30fb\u200b-\u200d\u2060\ufeff]+")
_DIGITS = re.compile(r"\d+")


def _combining_marks() -> str:
    """Return a regex character class body matching the combining marks (category M).

    Marks stay part of the letter before them (Thai vowel signs, Devanagari matras), so that
    removing "punctuation" never drops them. Variation selectors and the combining grapheme
    joiner are left out: they are invisible and carry no spelling.
    """
    ignorable = {0x034F, 0x17B4, 0x17B5, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10)}
    codes = [
        cp
        for cp in range(0x0300, 0x20000)
        if cp not in ignorable and unicodedata.category(chr(cp))[0] == "M"
    ]
    ranges = []
    for _, group in itertools.groupby(enumerate(codes), key=lambda item: item[1] - item[0]):
        run = [cp for _, cp in group]
        ranges.append(f"{re.escape(chr(run[0]))}-{re.escape(chr(run[-1]))}")
    return "".join(ranges)


_MARKS = _combining_marks()
# A word: letters and digits (any script), each followed by its combining marks.
_WORD = re.compile(rf"(?:[^\W_][{_MARKS}]*)+")
# An address token: a digit run, or a run of letters with their marks.
_ADDRESS_TOKEN = re.compile(rf"(\d+)|(?:[^\W\d_][{_MARKS}]*)+")

_ADDRESS_ABBREVIATIONS = {
    "apt": "apartment",
    "av": "avenue",
    "ave": "avenue",
    "bld": "building",
    "bldg": "building",
    "blk": "building",
    "block": "building",
    "blvd": "boulevard",
    "centre": "center",
    "ctr": "center",
    "dist": "district",
    "fl": "floor",
    "flr": "floor",
    "hwy": "highway",
    "ind": "industrial",
    "ln": "lane",
    "pk": "park",
    "rd": "road",
    "rm": "room",
    "sci": "science",
    "sq": "square",
    "st": "street",
    "ste": "suite",
    "tech": "technology",
    "twr": "tower",
}
# Words that only announce the number after them ("No. 88", "#88", "Number 88"): dropped there.
_NUMBER_MARKERS = frozenset({"no", "nr", "num", "number"})


def _fold(text: str) -> str:
    """NFKC, case-fold, NFKC again (case folding can leave text that NFKC changes)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _upper(text: str) -> str:
    """NFKC, upper case, NFKC again (upper casing can leave text that NFKC changes)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).upper())


def _strip_separators(text: str) -> str:
    """Remove separators, then NFKC again: a mark left by a removed space may compose."""
    return unicodedata.normalize("NFKC", _SEPARATORS.sub("", text))


def _ascii_digits(run: str) -> str:
    """Map a run of decimal digits of any script to ASCII digits, keeping every digit."""
    if run.isascii():
        return run
    return "".join(str(unicodedata.decimal(ch)) for ch in run)


def cn_resident_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character of an 18-character CN resident ID.

    >>> cn_resident_check_char("11010519491231002")
    'X'
    """
    total = sum(int(d) * w for d, w in zip(first17, _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11]


def id_document_key(raw: str, id_type: str = "CN_RESIDENT_ID") -> tuple[str, bool]:
    """Return ``(key, valid)`` for an ID document number.

    The key is the NFKC form with separators (whitespace, ``- . / _``, other dashes) removed,
    upper-cased. For ``CN_RESIDENT_ID`` (also when ``id_type`` is empty) an 18-character key is
    valid when it is 17 digits and the right check character; a 15-digit legacy number is
    converted to 18 characters (``19`` century inserted after the 6-digit region code, check
    character appended) and is valid; anything else is kept as it is with ``valid=False``.
    Other types are valid when the key is ASCII letters and digits.

    Raises ``ValueError`` when nothing is left after cleaning.

    >>> id_document_key("110105 19491231 002x")
    ('11010519491231002X', True)
    >>> id_document_key("110105491231002")
    ('11010519491231002X', True)
    >>> id_document_key("11010519491231002-1")
    ('110105194912310021', False)
    """
    key = _strip_separators(_upper(raw))
    if not key:
        raise ValueError(f"empty ID number: {raw!r}")
    kind = (id_type or "CN_RESIDENT_ID").strip().upper()
    if kind != "CN_RESIDENT_ID":
        return key, key.isascii() and key.isalnum()
    if len(key) == 15 and key.isascii() and key.isdigit():
        first17 = key[:6] + "19" + key[6:]
        return first17 + cn_resident_check_char(first17), True
    valid = (
        len(key) == 18
        and key.isascii()
        and key[:17].isdigit()
        and key[17] == cn_resident_check_char(key[:17])
    )
    return key, valid


def _e164_if_possible(text: str, region: str) -> str | None:
    """Return the E.164 form of ``text`` when phonenumbers finds a possible number in it."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=1 << 20)
def phone_key(raw: str, region: str | None = "CN") -> str:
    """Return the E.164 key of a phone number, read with ``region`` as its default (CN if None).

    A value phonenumbers cannot read as a possible number falls back to its digits, with a
    leading ``+`` when it had one, so that its key is still stable. Results are memoized
    (``functools.lru_cache``, 2**20 entries): the same raw values recur across records.

    Raises ``ValueError`` when the value holds no digit.

    >>> phone_key("(+86) 138-0013-8000")
    '+8613800138000'
    >>> phone_key("2523 4567", "HK")
    '+85225234567'
    >>> phone_key("12-34")
    '1234'
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    default = (region or "CN").strip().upper()
    key = _e164_if_possible(text, default)
    if key is not None:
        return key
    digits = "".join(_ascii_digits(run) for run in _DIGITS.findall(text))
    if not digits:
        raise ValueError(f"no digits in phone number: {raw!r}")
    fallback = ("+" if text.startswith("+") else "") + digits
    # The digits alone may read as a possible number (e.g. a value with stray letters);
    # taking that reading keeps the key idempotent.
    if fallback != text:
        key = _e164_if_possible(fallback, default)
    return key if key is not None else fallback


def email_key(raw: str) -> str:
    """Return the key of an e-mail address: NFKC, trimmed, lower case.

    Raises ``ValueError`` when the value is empty or has no ``@``.

    >>> email_key("  Li.Na@Example.COM ")
    'li.na@example.com'
    """
    key = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).strip().lower())
    if "@" not in key:
        raise ValueError(f"not an e-mail address: {raw!r}")
    return key


def luhn_valid(digits: str) -> bool:
    """Return True when ``digits`` (ASCII digits only) passes the Luhn check.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def account_key(raw: str, account_type: str | None = "bank") -> tuple[str, bool]:
    """Return ``(key, valid)`` for a payment account number.

    The key is the NFKC form with separators removed, upper-cased. ``valid`` depends on
    ``account_type`` (``bank`` when None): ``card`` needs 12-19 digits passing the Luhn check,
    ``bank`` needs 8-30 digits, ``wallet`` and any other type only a non-empty key.

    Raises ``ValueError`` when nothing is left after cleaning.

    >>> account_key("4111 1111 1111 1111", "card")
    ('4111111111111111', True)
    >>> account_key("6222-0212-3456-7890", "bank")
    ('6222021234567890', True)
    """
    key = _strip_separators(_upper(raw))
    if not key:
        raise ValueError(f"empty account number: {raw!r}")
    kind = (account_type or "bank").strip().lower()
    digits = key.isascii() and key.isdigit()
    if kind == "card":
        return key, digits and 12 <= len(key) <= 19 and luhn_valid(key)
    if kind == "bank":
        return key, digits and 8 <= len(key) <= 30
    return key, True


def _ordinal_suffix(number: str) -> str:
    """Return the English ordinal suffix of a digit string: 1 -> st, 12 -> th, 23 -> rd."""
    n = int(number)
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def address_key(raw: str) -> str:
    """Return the key of a postal address.

    NFKC and case folding; punctuation becomes a space; letters glued to digits are split
    (``rm1203`` -> ``room 1203``); standard abbreviations are expanded word by word
    (rm -> room, bldg/blk/block -> building, fl/flr -> floor, dist -> district, rd -> road,
    st -> street, ave/av -> avenue, ...); ``f`` after a number means floor (``5/F`` ->
    ``5 floor``); an ordinal suffix glued to its number is dropped (``5th`` -> ``5``); and the
    words no/nr/num/number are dropped before a number (``No. 88`` and ``#88`` -> ``88``).

    Numbers are kept verbatim, digit for digit (only mapped to ASCII digits): ``Room 05`` and
    ``Room 5`` stay distinct, since a leading zero may be significant, and the numbers of the
    key are exactly the digit runs of the address, in order (see :func:`address_numbers`).

    Raises ``ValueError`` when no letter or digit is left.

    >>> address_key("Rm 1203, Bldg 5, No.88 Keyuan Rd., 5/F")
    'room 1203 building 5 88 keyuan road 5 floor'
    """
    tokens: list[str] = []
    previous_end = -1
    previous_number: str | None = None
    for match in _ADDRESS_TOKEN.finditer(_fold(raw)):
        number = match.group(1)
        glued = match.start() == previous_end
        previous_end = match.end()
        if number is not None:
            previous_number = _ascii_digits(number)
            tokens.append(previous_number)
            continue
        word = match.group()
        after_number = previous_number is not None
        if after_number and glued and word == _ordinal_suffix(previous_number):
            continue  # "5th" is "5"; previous_number stays set so that "5th f" is floor too
        previous_number = None
        if after_number and word == "f":
            word = "floor"
        tokens.append(_ADDRESS_ABBREVIATIONS.get(word, word))
    if not tokens:
        raise ValueError(f"empty address: {raw!r}")
    # Drop number markers right before a number (a run of them, so that the key is stable).
    kept: list[str] = []
    before_number = False
    for token in reversed(tokens):
        if before_number and token in _NUMBER_MARKERS:
            continue
        kept.append(token)
        before_number = token.isdigit()
    return " ".join(reversed(kept))


def address_numbers(key: str) -> tuple[str, ...]:
    """Return the number tokens of an address key, in order.

    Two addresses may fuzzy-match only when these agree (DESIGN.md §2).

    >>> address_numbers("room 1203 building 5 88 keyuan road")
    ('1203', '5', '88')
    """
    return tuple(token for token in key.split() if token.isascii() and token.isdigit())


def brand_key(raw: str) -> str:
    """Return the key of a brand: NFKC, case-folded, letters and digits only (any script).

    Trademark signs are dropped before NFKC, which would spell ``™`` as ``TM``.

    Raises ``ValueError`` when no letter or digit is left.

    >>> brand_key("MPOW™"), brand_key("Ｍｐｏｗ"), brand_key("Anker-Soundcore")
    ('mpow', 'mpow', 'ankersoundcore')
    """
    words = _WORD.findall(_fold(raw.replace("\u2122", "").replace("\u2120", "")))
    key = unicodedata.normalize("NFKC", "".join(words))  # joined Hangul jamo may compose
    if not key:
        raise ValueError(f"empty brand: {raw!r}")
    return key


def name_key(raw: str) -> str:
    """Return the key of a holder name: NFKC, case-folded, punctuation to space, collapsed.

    Unlike the identifier keys this never raises: a name with no letter gives ``""``.

    >>> name_key("  ZHANG,  Wei. ")
    'zhang wei'
    """
    return " ".join(_WORD.findall(_fold(raw)))


def _is_initial(token: str) -> bool:
    """True for a one-letter token of a cased script (Latin, Greek, Cyrillic): an initial."""
    return len(token) == 1 and token != token.upper()


def _initial_pair(x: str, y: str) -> bool:
    """True when two name tokens are equal or one is the initial of the other."""
    return x == y or (_is_initial(x) and y.startswith(x)) or (_is_initial(y) and x.startswith(y))


def _tokens_match(a: list[str], b: list[str]) -> bool:
    """True when the tokens pair up one to one, each pair equal or an initial and its word,
    with at least one pair of equal full words ("W. Zhang" and "Zhang Wei")."""
    if len(a) != len(b):
        return False
    rest_a, rest_b = list(a), list(b)
    for token in a:
        if not _is_initial(token) and token in rest_b:
            rest_a.remove(token)
            rest_b.remove(token)
    if len(rest_a) == len(a) or len(rest_a) > 5:
        return False
    return any(
        all(_initial_pair(x, y) for x, y in zip(rest_a, perm, strict=True))
        for perm in itertools.permutations(rest_b)
    )


def names_agree(a: str, b: str) -> bool:
    """Return True when two holder names plausibly denote the same person.

    Tolerates case, punctuation and spacing, swapped order (``Zhang Wei`` / ``Wei Zhang``),
    initials (``W. Zhang``) and a small typo (rapidfuzz ``token_sort_ratio`` >= 90 on the
    name keys). Names without cased letters (Chinese, Japanese, Korean) are compared
    character by character, spaces ignored: equal, or one substituted character in a name of
    at least 3 characters. Empty names never agree.

    >>> names_agree("W. Zhang", "ZHANG Wei"), names_agree("张小明", "张 小民")
    (True, True)
    >>> names_agree("Zhang Wei", "Zhang Min"), names_agree("", "")
    (False, False)
    """
    ka, kb = name_key(a or ""), name_key(b or "")
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    ta, tb = ka.split(), kb.split()
    ca, cb = "".join(ta), "".join(tb)
    if ca == cb:
        return True
    if ka == ka.upper() and kb == kb.upper():  # no cased letter: CJK and similar scripts
        return len(ca) == len(cb) >= 3 and sum(x != y for x, y in zip(ca, cb, strict=True)) == 1
    if sorted(ta) == sorted(tb):
        return True
    for one, other in ((ta, tb), (tb, ta)):  # "ZhangWei" and "Wei Zhang"
        if (
            len(one) == 1
            and 1 < len(other) <= 4
            and any("".join(perm) == one[0] for perm in itertools.permutations(other))
        ):
            return True
    if _tokens_match(ta, tb):
        return True
    return fuzz.token_sort_ratio(ka, kb) >= 90


def id_edit_close(a: str, b: str) -> bool:
    """Return True when two keys of equal length differ by exactly one substituted character
    or by one transposition of adjacent characters.

    >>> id_edit_close("110105194912310021", "110105194912310027")
    True
    >>> id_edit_close("110105194912310021", "110105194912310012")
    True
    >>> id_edit_close("110105194912310021", "110105194912310021")
    False
    """
    if len(a) != len(b) or a == b:
        return False
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diffs) == 1:
        return True
    if len(diffs) == 2:
        i, j = diffs
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    return False


def identifier_key(kind: str, raw: str) -> str:
    """The key of an identifier value of ``kind`` pasted as seen, by the rules of loading.

    >>> identifier_key("phone", "138-0013-8000")
    '+8613800138000'
    >>> identifier_key("id_document", "110105 19491231 002x")
    '11010519491231002X'
    """
    if kind == "id_document":
        return id_document_key(raw)[0]
    if kind == "payment":
        return account_key(raw, None)[0]
    if kind == "phone":
        return phone_key(raw)
    if kind == "email":
        return email_key(raw)
    if kind == "address":
        return address_key(raw)
    raise ValueError(f"unknown identifier kind {kind!r}")
