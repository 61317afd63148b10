"""Normalize identifiers to keys: one pure function per identifier kind (docs/design.md §2).

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
import os
import re
import unicodedata
from typing import TYPE_CHECKING

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHECKED_ID_TYPES",
    "COMPANY_ID_TYPES",
    "DIGIT_LOOKALIKES",
    "HAN_DIGITS",
    "PHONE_NOT_EMAIL",
    "account_key",
    "address_identities",
    "address_identity",
    "address_key",
    "address_cities",
    "address_city",
    "address_keys_by_city",
    "address_numbers",
    "brand_key",
    "cn_resident_check_char",
    "cn_resident_valid",
    "city_address_key",
    "city_name",
    "digit_view",
    "email_key",
    "fast_address_keys",
    "fast_id_document_keys",
    "fast_phone_keys",
    "hkid_check_char",
    "hkid_valid",
    "id_check_passes",
    "id_document_key",
    "id_edit_close",
    "identifier_key",
    "is_phone_number",
    "luhn_valid",
    "name_key",
    "names_agree",
    "names_agree_pairs",
    "phone_key",
    "phone_region",
    "pinyin_spellings",
    "prepare_address_forms",
    "prepare_phone_forms",
    "store_id_key",
    "store_id_keys",
    "store_phone_key",
    "tw_id_check_digit",
    "tw_id_valid",
    "uscc_check_char",
    "uscc_valid",
    "without_invisible",
]

_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"
#: the characters of a unified social credit code (GB 32100-2015: no I, O, S, V or Z) and the
#: weights of its 17 first characters (3**i mod 31)
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
#: id_type values of company identifiers (business licences): keyed and checked as unified
#: social credit codes
COMPANY_ID_TYPES = frozenset({"BUSINESS_LICENSE", "USCC"})
#: a Hong Kong identity card: one or two letters, six digits and a check character (a digit
#: or A) written in parentheses, ``A123456(3)``; its key drops the parentheses
_HKID = re.compile(r"[A-Z]{1,2}[0-9]{6}[0-9A]")
#: a Taiwan national ID (or resident certificate): a letter and nine digits, the last a check
#: digit, ``A123456789``
_TW_ID = re.compile(r"[A-Z][0-9]{9}")
#: the value of each letter of a Taiwan ID in its check sum (A=10 ... Z=33: I, O, W, X, Y, Z
#: came last, so they are out of order)
_TW_LETTERS = {c: v for v, c in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", 10)}

# Separators dropped from ID documents and account numbers: whitespace, - . / _, the other
# Unicode dashes, the minus sign and middle dots (invisible characters go first:
# :func:`without_invisible`).
_SEPARATORS = re.compile(r"[\s\-./_\u00b7\u2010-\u2015\u2212\u30fb]+")
_DIGITS = re.compile(r"\d+")
#: U+034F, the combining grapheme joiner: no format character (Cf), but it shows nothing either
_GRAPHEME_JOINER = "\u034f"


def without_invisible(text: str) -> str:
    """``text`` without the invisible characters that a copy and paste leaves in a value: every
    format character (Unicode category Cf: a spreadsheet's U+202A around a copied number, a web
    page's soft hyphen between digit groups, the zero-width space and joiners, the BOM,
    direction marks) and U+034F. Every key drops them, so ``S1`` and ``S1`` + U+200B are one
    store, and an e-mail written with a zero-width space is the e-mail (REPORT3 item 7,
    REPORT9 item 3).

    >>> without_invisible("li.na\u200b@163.com"), without_invisible("6222\u00ad0202\u202a")
    ('li.na@163.com', '62220202')
    """
    if text.isascii():
        return text
    return "".join(char for char in text
                   if char != _GRAPHEME_JOINER and unicodedata.category(char) != "Cf")


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

#: Han (Chinese) characters: the CJK unified ideographs, extension A, the compatibility block and
#: extensions B-F (NFKC maps most compatibility ideographs to unified ones)
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_HAN_ONLY = re.compile(f"[{_HAN}]+")
# A run of Han characters, with whatever is not a letter or digit between them (spaces,
# punctuation): in Chinese script spaces separate nothing.
_HAN_RUN = re.compile(f"[{_HAN}](?:[\\W_]*[{_HAN}])*")
_NOT_HAN = re.compile(f"[^{_HAN}]+")
#: province-level divisions, as written before an address with or without their suffix
_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏",
              "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南",
              "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏",
              "宁夏", "新疆", "香港", "澳门")
#: the province-level divisions that are one city: their name is the city an address names
_CITY_PROVINCES = frozenset({"北京", "天津", "上海", "重庆", "香港", "澳门"})
_PROVINCE_PREFIX = re.compile(
    "^(?:中华人民共和国|中国)?(?:(?:" + "|".join(_PROVINCES) + ")"
    "(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)?)?")
# A city written with its suffix: two to four characters that are not a district, road or
# building word, then 市 (not 市场, a market).
_CITY_PREFIX = re.compile("^[^区县镇乡村路街道巷号栋楼]{2,4}?市(?!场)")
#: spellings of one thing in Chinese addresses: 座 and 幢 (block) are 栋 (building), 室 (room)
#: is 号 (number), 层 (storey) is 楼 (floor); then N号楼 (building N) is N栋
_HAN_SYNONYMS = str.maketrans({"座": "栋", "幢": "栋", "室": "号", "层": "楼"})


def _fold(text: str) -> str:
    """NFKC, case-fold, NFKC again (case folding can leave text that NFKC changes)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _upper(text: str) -> str:
    """NFKC, upper case, NFKC again (upper casing can leave text that NFKC changes)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).upper())


def _strip_separators(text: str) -> str:
    """Remove separators, then NFKC again: a mark left by a removed space may compose."""
    return unicodedata.normalize("NFKC", _SEPARATORS.sub("", text))


#: digits written as other characters: Chinese numerals, as a number is read out digit by digit
#: (〇 and 零 zero, 幺 one as phone numbers are spoken, and the financial 壹贰叁...)
_HAN_DIGITS = str.maketrans({**{c: str(i) for i, c in enumerate("〇一二三四五六七八九")},
                             **{c: str(i) for i, c in enumerate("零壹贰叁肆伍陆柒捌玖", 0)},
                             "幺": "1", "貳": "2", "參": "3", "陸": "6"})
#: letter O for zero (``138OO138OOO``, ``EO1234567``): an O, or a run of them, that touches a
#: digit or no other letter (an ID's check character X aside), so that words (``ROOM``, ``GO``)
#: keep theirs
_LETTER_O = re.compile(r"(?<=\d)[OoＯｏ]+|[OoＯｏ]+(?=\d)"
                       r"|(?<![^\W\d_])[OoＯｏ]+(?![^\W\d_xXｘＸ])")
#: the Chinese numerals :func:`digit_view` reads as digits, and every character it may
#: read as one (for patterns that look for numbers)
HAN_DIGITS = "".join(chr(c) for c in sorted(_HAN_DIGITS))
DIGIT_LOOKALIKES = "OoＯｏ" + HAN_DIGITS


def digit_view(text: str) -> str:
    """``text`` with the characters written for digits as the digits: Chinese numerals and
    letter O for zero, each one character for one (the length is kept, so a match in the
    view is a span of the text). One rule for both sides: the keys of phones, resident IDs,
    licences and bank accounts are taken on it (``138OO138OOO`` links to ``13800138000``),
    and :func:`graphaudit.privacy.scrub` finds the numbers to mask on it, so a number hidden
    from one is hidden from neither (REPORT3 item 18).

    >>> digit_view("tel 138OO138OOO, 一三八〇〇一三八〇〇〇; ROOM 5 GO")
    'tel 13800138000, 13800138000; ROOM 5 GO'
    """
    text = text.translate(_HAN_DIGITS)
    return _LETTER_O.sub(lambda m: "0" * len(m.group()), text)


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


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character of a unified social credit code (the 18
    characters of a Chinese company's business licence): MOD 31 over its 17 first characters.

    Raises ``ValueError`` when a character is not one of the code's 31.

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    try:
        total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    except ValueError as exc:
        raise ValueError(f"not a unified social credit code: {first17!r}") from exc
    return _USCC_CHARS[-total % 31]


def uscc_valid(key: str) -> bool:
    """Return True when ``key`` is 18 characters of the code's alphabet with the right check
    character.

    >>> uscc_valid("91350100M000100Y43"), uscc_valid("91350100M000100Y44")
    (True, False)
    """
    return (len(key) == 18 and all(c in _USCC_CHARS for c in key)
            and key[17] == uscc_check_char(key[:17]))


def hkid_check_char(first: str) -> str:
    """Return the check character of a Hong Kong identity card from its letters and six
    digits (``A123456``): weights 9 to 2 from the left over the letters' values (A=10 ...
    Z=35, a one-letter card counting a space of 36 first) and the digits; 11 minus the sum mod
    11, with 10 written ``A`` and 11 ``0``.

    >>> hkid_check_char("A123456"), hkid_check_char("G123456"), hkid_check_char("AB987654")
    ('3', 'A', '3')
    """
    values = [36] * (8 - len(first)) + [int(c, 36) for c in first]
    check = -sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True)) % 11
    return "A" if check == 10 else str(check)


def hkid_valid(key: str) -> bool:
    """Return True when ``key`` is a Hong Kong identity card's letters, six digits and their
    right check character (the key has no parentheses).

    >>> hkid_valid("A1234563"), hkid_valid("A1234567")
    (True, False)
    """
    return _HKID.fullmatch(key) is not None and key[-1] == hkid_check_char(key[:-1])


def tw_id_check_digit(first9: str) -> str:
    """Return the check digit of a Taiwan national ID from its letter and first eight digits
    (``A12345678``): the letter's two-digit value (A=10 ... , :data:`_TW_LETTERS`) weighted 1
    and 9, the digits 8 down to 1; the check digit brings the sum to a multiple of 10.

    >>> tw_id_check_digit("A12345678")
    '9'
    """
    tens, units = divmod(_TW_LETTERS[first9[0]], 10)
    total = tens + 9 * units + sum(int(d) * w for d, w in zip(first9[1:], range(8, 0, -1),
                                                              strict=True))
    return str(-total % 10)


def tw_id_valid(key: str) -> bool:
    """Return True when ``key`` is a letter, nine digits and the right check digit.

    >>> tw_id_valid("A123456789"), tw_id_valid("A123456788")
    (True, False)
    """
    return _TW_ID.fullmatch(key) is not None and key[-1] == tw_id_check_digit(key[:-1])


#: the parentheses around a Hong Kong card's check character, as written (ASCII after NFKC)
_HKID_BRACKETS = re.compile(r"[()]")
#: personal documents of other places with a check character of their own: id_type -> check
CHECKED_ID_TYPES = {"HKID": hkid_valid, "TW_ID": tw_id_valid}


def cn_resident_valid(key: str) -> bool:
    """Return True when ``key`` is 17 ASCII digits and their right check character.

    >>> cn_resident_valid("11010519491231002X"), cn_resident_valid("11010519491231002x")
    (True, False)
    """
    return (len(key) == 18 and key.isascii() and key[:17].isdigit()
            and key[17] == cn_resident_check_char(key[:17]))


def id_check_passes(key: str) -> bool:
    """Return True when an ID key passes a check character it may carry: a CN resident ID or
    a unified social credit code. A key that fails was mistyped or misread (or has no check).

    >>> id_check_passes("11010519491231002X"), id_check_passes("11010519491231002I")
    (True, False)
    """
    return cn_resident_valid(key) or uscc_valid(key)


def _number_key(raw: str, what: str, digits: bool = False) -> str:
    """An ID or account number upper-cased, without separators (and, for ``digits``, with
    :func:`digit_view`'s digits); ValueError when empty."""
    raw = without_invisible(raw)
    key = _strip_separators(digit_view(_upper(raw)) if digits else _upper(raw))
    if not key:
        raise ValueError(f"empty {what}")
    return key


def id_document_key(raw: str, id_type: str = "CN_RESIDENT_ID") -> tuple[str, bool]:
    """Return ``(key, valid)`` for an ID document number.

    The key is the NFKC form with separators (whitespace, ``- . / _``, other dashes) removed,
    upper-cased. For ``CN_RESIDENT_ID`` (also when ``id_type`` is empty) an 18-character key is
    valid when it is 17 digits and the right check character; a 15-digit legacy number is
    converted to 18 characters (``19`` century inserted after the 6-digit region code, check
    character appended) and is valid; anything else is kept as it is with ``valid=False``.
    For ``BUSINESS_LICENSE`` and ``USCC`` (company identifiers) a key is valid when it is a
    unified social credit code with the right check character (:func:`uscc_valid`). For
    ``HKID`` (a Hong Kong identity card, whose key drops the parentheses around its check
    character) and ``TW_ID`` (a Taiwan national ID) a key is valid when its check character
    is right (:func:`hkid_valid`, :func:`tw_id_valid`). Other types are valid when the key is
    ASCII letters and digits.

    Raises ``ValueError`` when nothing is left after cleaning.

    >>> id_document_key("110105 19491231 002x")
    ('11010519491231002X', True)
    >>> id_document_key("110105491231002")
    ('11010519491231002X', True)
    >>> id_document_key("11010519491231002-1")
    ('110105194912310021', False)
    >>> id_document_key("9135 0100 M000 100Y 43", "BUSINESS_LICENSE")
    ('91350100M000100Y43', True)
    >>> id_document_key("A123456(3)", "HKID"), id_document_key("a123456789", "TW_ID")
    (('A1234563', True), ('A123456789', True))
    """
    kind = (id_type or "CN_RESIDENT_ID").strip().upper()
    digits_only = kind in COMPANY_ID_TYPES or kind == "CN_RESIDENT_ID"  # no letter O in them
    key = _number_key(raw, "ID number", digits_only)
    if kind in COMPANY_ID_TYPES:
        return key, uscc_valid(key)
    if kind == "HKID":
        key = _number_key(_HKID_BRACKETS.sub("", key), "ID number")
    if kind in CHECKED_ID_TYPES:
        return key, CHECKED_ID_TYPES[kind](key)
    if kind != "CN_RESIDENT_ID":
        return key, key.isascii() and key.isalnum()
    if len(key) == 15 and key.isascii() and key.isdigit():
        first17 = key[:6] + "19" + key[6:]
        return first17 + cn_resident_check_char(first17), True
    return key, cn_resident_valid(key)


#: separators of ID and account numbers as they appear in ASCII values (what
#: :data:`_SEPARATORS` removes there), and an ASCII number written with them
ASCII_SEPARATORS = r"[ \-./_]+"
ASCII_NUMBER = r"^[0-9A-Za-z \-./_]*[0-9A-Za-z][0-9A-Za-z \-./_]*$"


def fast_id_document_keys(forms: pa.Array, types: pa.Array | None
                          ) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """:func:`id_document_key` of the common shapes at once, in Arrow: which ``forms`` it keyed,
    their keys and whether each is valid (the rest are left to :func:`id_document_key`).

    Keyed: ID numbers of ASCII letters, digits and separators, of a clean upper-case type (or
    none, as ``types`` None says). CN resident IDs and unified social credit codes are checked
    by their check characters; 15-digit legacy resident numbers, which are converted, and the
    types of :data:`CHECKED_ID_TYPES` (Hong Kong and Taiwan cards, rare) are not keyed here.

    >>> fast, keys, valid = fast_id_document_keys(
    ...     pa.array(["110105 19491231 002x", "110105491231002", "91350100M000100Y43"]),
    ...     pa.array(["", "", "BUSINESS_LICENSE"]))
    >>> fast.tolist(), keys.to_pylist(), valid.tolist()
    ([True, False, True], ['11010519491231002X', '91350100M000100Y43'], [True, True])
    """
    if types is None:
        types = pa.array([""] * len(forms), pa.string())
    keys = pc.ascii_upper(pc.replace_substring_regex(forms, ASCII_SEPARATORS, ""))
    cn = _numpy(pc.or_(pc.equal(types, ""), pc.equal(types, "CN_RESIDENT_ID")))
    company = _numpy(pc.is_in(types, value_set=pa.array(sorted(COMPANY_ID_TYPES), types.type)))
    legacy = _numpy(pc.match_substring_regex(keys, r"^[0-9]{15}$"))
    letter_o = _numpy(pc.match_substring_regex(forms, "[Oo]")) & (cn | company)  # digit_view
    fast = (_numpy(pc.match_substring_regex(forms, ASCII_NUMBER))
            & _numpy(pc.match_substring_regex(types, r"^[A-Z_]*$")) & ~(cn & legacy) & ~letter_o
            & ~_numpy(pc.is_in(types, value_set=pa.array(sorted(CHECKED_ID_TYPES), types.type))))
    keys, cn, company = keys.filter(fast), cn[fast], company[fast]
    valid = ~cn & ~company  # another type's key is letters and digits: valid
    eighteen = _numpy(pc.equal(pc.binary_length(keys), 18))
    shaped = np.flatnonzero(cn & _numpy(pc.match_substring_regex(keys, r"^[0-9]{17}[0-9X]$")))
    valid[shaped] = _cn_check_chars_agree(keys.take(shaped))
    licences = np.flatnonzero(company & eighteen)
    valid[licences] = _uscc_check_chars_agree(keys.take(licences))
    return fast, keys, valid


def _numpy(mask: pa.Array) -> np.ndarray:
    return mask.to_numpy(zero_copy_only=False)


def _fixed_width_chars(keys: pa.Array, width: int) -> np.ndarray:
    """ASCII keys all ``width`` long as a (keys x width) array of bytes."""
    offsets = np.frombuffer(keys.buffers()[1], dtype=np.int64 if pa.types.is_large_string(
        keys.type) else np.int32)[keys.offset:keys.offset + len(keys) + 1]
    data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return data.reshape(len(keys), width)


def _cn_check_chars_agree(keys: pa.Array) -> np.ndarray:
    """For 18-character keys of 17 digits and a check character: is it the right one?"""
    chars = _fixed_width_chars(keys, 18)
    total = (chars[:, :17].astype(np.int64) - ord("0")) @ np.array(_CN_WEIGHTS)
    expected = np.frombuffer(_CN_CHECK.encode("ascii"), dtype=np.uint8)[total % 11]
    return chars[:, 17] == expected


#: the value of each byte in a unified social credit code, -1 for a byte not in its alphabet
_USCC_VALUES = np.full(256, -1, dtype=np.int64)
_USCC_VALUES[np.frombuffer(_USCC_CHARS.encode("ascii"), dtype=np.uint8)] = np.arange(31)


def _uscc_check_chars_agree(keys: pa.Array) -> np.ndarray:
    """:func:`uscc_valid` of ASCII keys 18 characters long, at once."""
    values = _USCC_VALUES[_fixed_width_chars(keys, 18)]
    total = values[:, :17] @ np.array(_USCC_WEIGHTS)
    return (values >= 0).all(axis=1) & (values[:, 17] == -total % 31)


#: why a mainland number of 7 or 8 digits with no area code is no phone: in one city it is one
#: line, in another city another, so a key would link a Beijing store and a Shanghai store
#: that each wrote their own ``6552 9988`` (REPORT4 item 13)
LOCAL_ONLY = ("a local number without its area code: the same digits are another line in "
              "every city (give it with its area code first: 010 for Beijing, 0755 Shenzhen)")


def _e164_if_possible(text: str, region: str) -> str | None:
    """Return the E.164 form of ``text`` when phonenumbers finds a possible number in it.

    Raises ``ValueError`` (:data:`LOCAL_ONLY`) for a mainland number of 7 or 8 digits that is
    not a number of its own (a mobile, a service number): a landline without its area code.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    if (number.country_code == 86 and len(str(number.national_number)) in (7, 8)
            and not phonenumbers.is_valid_number(number)):
        raise ValueError(LOCAL_ONLY)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=1 << 20)
def phone_key(raw: str, region: str | None = "CN") -> str:
    """Return the E.164 key of a phone number, read with ``region`` as its default (CN if None).

    A value phonenumbers cannot read as a possible number falls back to its digits, with a
    leading ``+`` when it had one, so that its key is still stable. Results are memoized
    (``functools.lru_cache``, 2**20 entries): the same raw values recur across records.

    Raises ``ValueError`` when the value holds no digit, for an e-mail address (a column
    swapped), and for a mainland landline written without its area code (7 or 8 digits:
    :data:`LOCAL_ONLY`), which is a line in any city.

    >>> phone_key("(+86) 138-0013-8000"), phone_key("010 6552 9988")
    ('+8613800138000', '+861065529988')
    >>> phone_key("(+86) 138-0013-8000")
    '+8613800138000'
    >>> phone_key("2523 4567", "HK")
    '+85225234567'
    >>> phone_key("12-34")
    '1234'
    """
    text = digit_view(unicodedata.normalize("NFKC", raw).strip())
    if "@" in text:  # the digits of a mailbox (li8088@163.com) are no phone of any city
        raise ValueError("an e-mail address, not a phone number")
    default = (region or "CN").strip().upper()
    key = _e164_if_possible(text, default)
    if key is not None:
        return key
    digits = "".join(_ascii_digits(run) for run in _DIGITS.findall(text))
    if not digits:
        raise ValueError("no digits in phone number")
    fallback = ("+" if text.startswith("+") else "") + digits
    # The digits alone may read as a possible number (e.g. a value with stray letters);
    # taking that reading keeps the key idempotent.
    if fallback != text:
        key = _e164_if_possible(fallback, default)
    return key if key is not None else fallback


#: country names a ``country`` column may hold instead of the ISO 3166 code
_COUNTRY_CODES = {"UK": "GB"}
#: a mainland mobile number's digits (11 from 13-19, maybe after 86): a Chinese mobile
#: wherever the store is (sellers abroad list their mainland mobile; under +1 the same digits
#: read as an area code and a valid American number)
_CN_MOBILE_DIGITS = re.compile(r"(?:86)?1[3-9][0-9]{9}")


def phone_region(country: str | None) -> str:
    """The region of phonenumbers that a ``country`` column names (an ISO 3166 alpha-2 code,
    any case; ``UK`` for GB), or "" when it names none.

    >>> phone_region(" kr"), phone_region("CN"), phone_region("Korea")
    ('KR', 'CN', '')
    """
    code = unicodedata.normalize("NFKC", country or "").strip().upper()
    code = _COUNTRY_CODES.get(code, code)
    return code if code in phonenumbers.SUPPORTED_REGIONS else ""


@functools.lru_cache(maxsize=1 << 16)
def store_phone_key(raw: str, country: str | None = "") -> str:
    """The key of a phone of a store whose addresses name ``country``: a national number (no
    ``+`` or ``00`` before it) is read for that country when it is a valid number there
    (``010-1234-5678`` of a Korean store is ``+821012345678``, where :func:`phone_key` reads
    Beijing's ``+861012345678``); otherwise, and for a mainland mobile's digits wherever the
    store is, the number is read as :func:`phone_key` reads it (CN by default). REPORT9 item 5.

    Raises ``ValueError`` as :func:`phone_key` does.

    >>> store_phone_key("010-1234-5678", "KR"), store_phone_key("010-1234-5678", "")
    ('+821012345678', '+861012345678')
    >>> store_phone_key("090-1234-5678", "JP"), store_phone_key("0912-345-678", "tw")
    ('+819012345678', '+886912345678')
    >>> store_phone_key("138 0013 8000", "KR"), store_phone_key("+86 10 1234 5678", "KR")
    ('+8613800138000', '+861012345678')
    """
    region = phone_region(country)
    if region and region != "CN":
        text = digit_view(unicodedata.normalize("NFKC", raw).strip()).lstrip("( ")
        digits = "".join(_ascii_digits(run) for run in _DIGITS.findall(text))
        if not text.startswith(("+", "00")) and not _CN_MOBILE_DIGITS.fullmatch(digits):
            try:
                key = phone_key(raw, region)
                if key.startswith("+") and phonenumbers.is_valid_number(
                        phonenumbers.parse(key)):
                    return key
            except (ValueError, phonenumbers.NumberParseException):
                pass
    return phone_key(raw)


def prepare_phone_forms(forms: pa.Array) -> pa.Array:
    """Phone keys ignore spaces, dashes, dots and brackets between ASCII digits, and the
    compatibility forms NFKC folds (full-width digits): taken out in Arrow before the forms
    are counted, so that more spellings share one call of :func:`store_phone_key`.

    Separators go only in values made of nothing else: phonenumbers reads letters (``x`` for
    an extension) and other characters in ways that depend on what stands around them.
    """
    forms = pc.if_else(pc.string_is_ascii(forms), forms, pc.utf8_normalize(forms, "NFKC"))
    plain = pc.match_substring_regex(forms, r"^\+?[0-9 \-().]*$")
    return pc.if_else(plain, pc.replace_substring_regex(forms, r"[ \-().]+", ""), forms)


def fast_phone_keys(forms: pa.Array, countries: pa.Array | None = None
                    ) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """:func:`store_phone_key` of the common shape at once, in Arrow: a mainland mobile
    number, with or without +86 / 0086 / 86 (separators already out,
    :func:`prepare_phone_forms`), or written ``(+86) 138 0013 8000``: 97 % of the phones in a
    sample world. Its key is +86 and the 11 digits, whatever the store's country
    (``countries``, unused: a mainland mobile is one everywhere). Returns which forms it keyed,
    their keys and their validity (always valid).

    >>> fast, keys, _ = fast_phone_keys(pa.array(["13800138000", "(+86) 138 0013 8000", "0101"]))
    >>> fast.tolist(), keys.to_pylist()
    ([True, True, False], ['+8613800138000', '+8613800138000'])
    """
    pattern = r"^(?:\+86|0086|86)?(1[3-9][0-9]{9})$"
    bracketed = pc.match_substring_regex(forms, r"^\(\+86\)[0-9 \-.]*$")
    forms = pc.if_else(bracketed, pc.replace_substring_regex(forms, r"[ \-.()]+", ""), forms)
    fast = pc.match_substring_regex(forms, pattern).to_numpy(zero_copy_only=False)
    keys = pc.replace_substring_regex(forms.filter(fast), pattern, r"+86\1")
    return fast, keys, np.ones(len(keys), dtype=bool)


def is_phone_number(raw: str, region: str | None = "CN") -> bool:
    """Whether ``raw`` is a phone number by :func:`phone_key`'s reading: its key is an E.164
    number that phonenumbers finds valid (in a range its country gives out), so that a value
    written in another identifier's column can be told to be a phone. Valid, not merely
    possible: a QQ number or an order number of 5 to 10 digits is a "possible" number.

    >>> is_phone_number("+86 138 0013 8000"), is_phone_number("10001")
    (True, False)
    """
    try:
        key = phone_key(raw, region)
        return key.startswith("+") and phonenumbers.is_valid_number(phonenumbers.parse(key))
    except (ValueError, phonenumbers.NumberParseException):
        return False


#: why a phone number written in the e-mail column is no e-mail (a column swapped, or a
#: seller who wrote a phone where the form asked for an e-mail): the mirror of
#: :func:`phone_key`'s "an e-mail address, not a phone number"
PHONE_NOT_EMAIL = "a phone number, not an e-mail address"


def email_key(raw: str) -> str:
    """Return the key of an e-mail address: NFKC, trimmed, lower case.

    Raises ``ValueError`` when the value is empty or has no ``@``, saying so when it is a
    phone number (:func:`is_phone_number`: :data:`PHONE_NOT_EMAIL`).

    >>> email_key("  Li.Na@Example.COM ")
    'li.na@example.com'
    """
    key = unicodedata.normalize(
        "NFKC", unicodedata.normalize("NFKC", without_invisible(raw)).strip().lower())
    if "@" not in key:
        raise ValueError(PHONE_NOT_EMAIL if is_phone_number(raw) else "not an e-mail address")
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
    kind = (account_type or "bank").strip().lower()
    key = _number_key(raw, "account number", kind in ("bank", "card"))
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


def _english_address_tokens(text: str) -> list[str]:
    """The tokens of folded address text in Latin (or any cased) script: numbers verbatim,
    abbreviations expanded, ``5th`` as ``5``, ``f`` after a number as ``floor``."""
    tokens: list[str] = []
    previous_end = -1
    previous_number: str | None = None
    for match in _ADDRESS_TOKEN.finditer(text):
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
    return tokens


def _split_region(run: str) -> tuple[str, str]:
    """A Han run without the country, province and city written before it, taken off until
    none is left (so that the key is stable; "" when the run is nothing else), and the last
    city taken off, without 市 ("" when none was): a municipality or special region
    (北京, 上海, 香港...) written as a province is its city."""
    city = ""
    while True:
        province = _PROVINCE_PREFIX.match(run)
        rest = run[province.end():]
        named = province.group().removeprefix("中华人民共和国").removeprefix("中国")
        if named[:2] in _CITY_PROVINCES:
            city = named[:2]
        town = _CITY_PREFIX.match(rest)
        if town:
            city, rest = town.group()[:-1], rest[town.end():]
        if rest == run:
            return run, city
        run = rest


def _chinese_address_parts(text: str) -> tuple[list[str], str]:
    """The tokens of folded address text with Han characters, and the city it names first.

    Each run of Han characters is one token (spaces and punctuation inside it dropped); what
    lies between the runs is read by :func:`_english_address_tokens`. A run that starts the
    address loses the country, province and city (unless nothing else is written), and that
    city is the one the address names; 座/幢 are 栋, 室 is 号, 层 is 楼, N号楼 is N栋.
    """
    tokens: list[str] = []
    city = ""
    start = 0
    for match in _HAN_RUN.finditer(text):
        tokens.extend(_english_address_tokens(text[start:match.start()]))
        start = match.end()
        run = _NOT_HAN.sub("", match.group()).translate(_HAN_SYNONYMS).replace("号楼", "栋")
        if not tokens:
            run, city = _split_region(run)
        tokens.append(run)
    tokens.extend(_english_address_tokens(text[start:]))
    if tokens and not tokens[0]:  # only a region before the rest: the rest is the address
        tokens = tokens[1:] or [_NOT_HAN.sub("", _HAN_RUN.search(text).group())
                                .translate(_HAN_SYNONYMS).replace("号楼", "栋")]
    return tokens, city


def address_key(raw: str) -> str:
    """Return the key of a postal address.

    NFKC and case folding; punctuation becomes a space; letters glued to digits are split
    (``rm1203`` -> ``room 1203``); standard abbreviations are expanded word by word
    (rm -> room, bldg/blk/block -> building, fl/flr -> floor, dist -> district, rd -> road,
    st -> street, ave/av -> avenue, ...); ``f`` after a number means floor (``5/F`` ->
    ``5 floor``); an ordinal suffix glued to its number is dropped (``5th`` -> ``5``); and the
    words no/nr/num/number are dropped before a number (``No. 88`` and ``#88`` -> ``88``).

    Chinese script: spaces and punctuation between Han characters are dropped; the country,
    province and city written first (中国, 广东省 or 广东, 深圳市) are left out, since they are
    as often omitted; 座 and 幢 are 栋, 室 is 号, 层 is 楼, and N号楼 is N栋. Full-width digits and
    letters are ASCII after NFKC. Letters and digits stay tokens of their own.

    Numbers are kept verbatim, digit for digit (only mapped to ASCII digits): ``Room 05`` and
    ``Room 5`` stay distinct, since a leading zero may be significant, and the numbers of the
    key are exactly the digit runs of the address, in order (see :func:`address_numbers`).
    Building, block and tower letters (``Building B``, ``A栋``) are one-letter tokens, kept
    like the numbers (see :func:`address_identity`).

    Raises ``ValueError`` when no letter or digit is left.

    >>> address_key("Rm 1203, Bldg 5, No.88 Keyuan Rd., 5/F")
    'room 1203 building 5 88 keyuan road 5 floor'
    >>> address_key("广东省深圳市南山区科技园Ａ座５０１室")
    '南山区科技园 a 栋 501 号'
    """
    text = _fold(raw)
    tokens = (_chinese_address_parts(text)[0] if _HAN_ONLY.search(text)
              else _english_address_tokens(text))
    if not tokens:
        raise ValueError("empty address")
    # Drop number markers right before a number (a run of them, so that the key is stable).
    kept: list[str] = []
    before_number = False
    for token in reversed(tokens):
        if before_number and token in _NUMBER_MARKERS:
            continue
        kept.append(token)
        before_number = token.isdigit()
    return " ".join(reversed(kept))


def prepare_address_forms(forms: pa.Array) -> pa.Array:
    """Rewrite address ``forms`` (in Arrow) in ways :func:`address_key` ignores, so that more
    renderings share one call of it: case and punctuation (a separator, like a space) out.

    Done on ASCII values only: elsewhere NFKC may compose a mark with the character before it,
    so the Python rules see the text whole (only runs of spaces and commas are collapsed).
    """
    ascii_only = pc.string_is_ascii(forms).to_numpy(zero_copy_only=False)
    if ascii_only.all():
        return _ascii_words(forms)
    other = np.flatnonzero(~ascii_only)
    parts = pa.concat_arrays([
        _ascii_words(forms.filter(ascii_only)),
        pc.replace_substring_regex(forms.take(other), r"[\s,]+", " ").cast(pa.large_string())])
    place = np.empty(len(forms), dtype=np.int64)
    place[np.r_[np.flatnonzero(ascii_only), other]] = np.arange(len(forms))
    return parts.take(place)


#: ASCII bytes as :func:`_ascii_words` keeps them: letters in lower case, digits, else a space
_WORD_BYTES = np.frombuffer(bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 else 32
    for c in range(256)), dtype=np.uint8)


def _ascii_words(forms: pa.Array) -> pa.Array:
    """ASCII ``forms`` in lower case with every run of other characters than letters and digits
    made one space: what ``[^a-z0-9]+`` -> " " gives, as byte operations (a regex over a
    million addresses takes seconds)."""
    forms = forms.cast(pa.large_string())
    offsets = np.frombuffer(forms.buffers()[1], dtype=np.int64)[
        forms.offset:forms.offset + len(forms) + 1]
    data = np.frombuffer(forms.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    if not len(data):
        return forms
    offsets = offsets - offsets[0]
    mapped = _WORD_BYTES[data]
    space = mapped == 32
    repeated = np.r_[False, space[1:] & space[:-1]]
    repeated[offsets[:-1][offsets[:-1] < len(repeated)]] = False  # a value's first byte stays
    dropped = np.flatnonzero(repeated)
    new_offsets = offsets - np.searchsorted(dropped, offsets)
    return pa.LargeStringArray.from_buffers(
        len(forms), pa.py_buffer(new_offsets), pa.py_buffer(mapped[~repeated]))


def fast_address_keys(forms: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """:func:`address_key` of the common shapes at once, in Arrow: which ``forms`` (prepared by
    :func:`prepare_address_forms`) it keyed, and their keys. Keyed: plain lower-case ASCII words
    and numbers, by the rules of :func:`address_key` applied to all their tokens at once.

    Left to the Python rules: anything else, letters glued to digits (``rm1203``, ``5th``) and
    runs of number markers (``no no 88``).
    """
    plain = pc.and_(pc.match_substring_regex(forms, r"^[a-z0-9 ]*[a-z0-9][a-z0-9 ]*$"),
                    pc.invert(pc.match_substring_regex(forms, r"[a-z][0-9]|[0-9][a-z]")))
    fast = plain.to_numpy(zero_copy_only=False)
    if not fast.any():
        return fast, pa.array([], pa.string())
    lists = pc.utf8_split_whitespace(pc.ascii_trim_whitespace(forms.filter(fast)))
    tokens = lists.flatten()
    row = pc.list_parent_indices(lists).to_numpy()
    same_row_next = np.r_[row[1:] == row[:-1], False]
    number = pc.ascii_is_decimal(tokens).to_numpy(zero_copy_only=False)
    marker = pc.is_in(tokens, value_set=pa.array(sorted(_NUMBER_MARKERS)))
    marker = marker.to_numpy(zero_copy_only=False)
    before_number = np.r_[number[1:], False] & same_row_next
    after_number = np.r_[False, number[:-1] & same_row_next[:-1]]
    # "5 f" is the fifth floor; other words expand by the table; a marker before a number goes.
    abbreviations = _ADDRESS_ABBREVIATIONS
    text = tokens.type  # string or large_string, as the forms came
    expanded = pc.take(pa.array([*abbreviations.values(), None], text),
                       pc.fill_null(pc.index_in(tokens, value_set=pa.array([*abbreviations])),
                                    len(abbreviations)))
    words = pc.coalesce(expanded, tokens)
    words = pc.if_else(pc.and_(pc.equal(tokens, "f"), pa.array(after_number)),
                       pa.scalar("floor", text), words)
    keep = ~(marker & before_number)
    per_row = np.bincount(row[keep], minlength=len(lists))
    offsets = pa.array(np.r_[0, np.cumsum(per_row)], pa.int32())
    keys = pc.binary_join(pa.ListArray.from_arrays(offsets, words.filter(keep)),
                          pa.scalar(" ", text))
    runs = np.unique(row[marker & np.r_[marker[1:], False] & same_row_next])
    if len(runs):  # a run of markers: the Python rules drop the whole run before a number
        fast[np.nonzero(fast)[0][runs]] = False
        keep_rows = np.ones(len(lists), dtype=bool)
        keep_rows[runs] = False
        keys = keys.filter(keep_rows)
    return fast, keys


def address_numbers(key: str) -> tuple[str, ...]:
    """Return the number tokens of an address key, in order.

    >>> address_numbers("room 1203 building 5 88 keyuan road")
    ('1203', '5', '88')
    """
    return tuple(token for token in key.split() if token.isascii() and token.isdigit())


def address_identity(key: str) -> tuple[str, ...]:
    """Return what says which place an address key is, not how it is spelled: its numbers and
    its one-letter designators (``Building B``, ``A栋``, ``Tower C``, ``3B``), in order, and
    the city that tells it from its namesake in another city (``(南京)``, see
    :func:`address_keys_by_city`).

    Two addresses may be near matches only when these agree: offices in one park that differ
    only by the building letter are different places, as are neighbours that differ by the
    room number, and 鼓楼区中山路1号 in Nanjing and in Fuzhou.

    >>> address_identity("room 504 building b tianan cyber park")
    ('504', 'b')
    >>> address_identity(address_key("南山区科技园A栋501室"))
    ('a', '501')
    >>> address_identity("鼓楼区中山路 1 号 (南京)")
    ('1', '(南京)')
    """
    return tuple(token for token in key.split()
                 if token.isascii() and (token.isdigit() or len(token) == 1 and token.isalpha())
                 or token.startswith("("))


def address_identities(keys: pa.Array) -> pa.Array:
    """:func:`address_identity` of every key at once (in Arrow), its tokens joined by spaces.

    >>> address_identities(pa.array(["room 504 building b park", "5 栋 (福州)"])).to_pylist()
    ['504 b', '5 (福州)']
    """
    lists = pc.utf8_split_whitespace(keys)
    words = lists.flatten()
    row = pc.list_parent_indices(lists).to_numpy()
    one_letter = pc.and_(pc.ascii_is_alpha(words), pc.equal(pc.utf8_length(words), 1))
    keep = pc.or_(pc.or_(pc.ascii_is_decimal(words), one_letter),
                  pc.starts_with(words, "(")).to_numpy(zero_copy_only=False)
    offsets = np.r_[0, np.cumsum(np.bincount(row[keep], minlength=len(keys)))]
    kept = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), words.filter(keep))
    return pc.binary_join(kept, " ")


#: a city's name after the city written in it: "Nanjing City", "南京市" are Nanjing, 南京
_CITY_SUFFIX = re.compile(r"(?<=\w)(?:\s+(?:city|shi)|市)$")
_NOT_LETTER = re.compile(r"[\W\d_]+")


def city_name(raw: str) -> str:
    """Return the key of a city column's value: NFKC, case folded, its province and ``市``
    (or a word ``city``) left out, only its letters kept; "" when none is left.

    >>> city_name("Nanjing City"), city_name("南京市"), city_name("江苏省 南京"), city_name("")
    ('nanjing', '南京', '南京', '')
    """
    text = _CITY_SUFFIX.sub("", _fold(raw).strip())
    letters = _NOT_LETTER.sub("", text)
    if not _HAN_ONLY.search(letters):
        return letters
    rest, city = _split_region(letters)
    return city or _CITY_SUFFIX.sub("", rest)


def address_city(text: str, city: str = "") -> str:
    """Return the city an address names: the one written before its district in Chinese
    script (as :func:`address_key` leaves it out: 南京市, 上海, 台中市), else its city column's
    (:func:`city_name`); "" when neither names one. A postcode is no city: one city has many,
    and a district's and the city's own (518000) are both written for one place.

    >>> address_city("江苏省南京市鼓楼区中山路1号", "福州")
    '南京'
    >>> address_city("鼓楼区中山路1号", "福州市")
    '福州'
    >>> address_city("88 Zhongshan Road, Gulou District", "Nanjing")
    'nanjing'
    """
    folded = _fold(text)
    named = _chinese_address_parts(folded)[1] if _HAN_ONLY.search(folded) else ""
    return named or city_name(city)


def address_cities(texts: pa.Array, cities: pa.Array | None = None) -> pa.Array:
    """:func:`address_city` of every row at once: each distinct text and city column value
    read once (texts in Chinese script only; the others name no city in the text).

    >>> address_cities(pa.array(["南京市鼓楼区中山路1号", "鼓楼区中山路1号", "1 Main St"]),
    ...                pa.array(["", "福州", None])).to_pylist()
    ['南京', '福州', '']
    """
    texts = pc.dictionary_encode(texts)
    distinct = texts.dictionary
    han = np.flatnonzero(~pc.string_is_ascii(distinct).to_numpy(zero_copy_only=False))
    named = np.full(len(distinct), "", dtype=object)
    named[han] = [address_city(t) for t in distinct.take(han).to_pylist()]
    out = named[texts.indices.to_numpy(zero_copy_only=False)]
    if cities is not None and len(cities):
        cities = pc.dictionary_encode(pc.fill_null(cities.cast(pa.large_string()), ""))
        column = np.array([city_name(c) for c in cities.dictionary.to_pylist()] + [""],
                          dtype=object)[cities.indices.to_numpy(zero_copy_only=False)]
        out = np.where(out == "", column, out)
    return pa.array(out, pa.large_string())


def city_address_key(key: str, city: str) -> str:
    """An address key told apart by the city it names: ``鼓楼区中山路 1 号 (南京)``. The
    ``(...)`` token is part of :func:`address_identity` (no address key has a parenthesis)."""
    return f"{key} ({city})" if city else key


def address_keys_by_city(keys: pa.Array, texts: pa.Array,
                         cities: pa.Array | None = None) -> pa.Array:
    """The address ``keys`` of rows (their ``texts`` and city column ``cities``), where one key
    is named with two cities, told apart by city (:func:`city_address_key`).

    :func:`address_key` leaves the province and city out, so that an address written with and
    without them is one key; but 鼓楼区中山路1号 is in Nanjing and in Fuzhou, and district and
    street names repeat across cities (鼓楼区, 白云区, 朝阳区; 中山路 in nearly every city). A
    key whose rows name two or more cities (:func:`address_city`) of one script (南京 and
    福州; a city in Chinese and one in Latin letters may be one, 南京 and Nanjing, and do not
    count) becomes one key per city there; its rows that name no city keep the key, which
    then links none of them (they could be either). A key named with one city or none is
    unchanged: a spelling without the city still links to the one with it.

    >>> address_keys_by_city(pa.array(["中山路 1 号"] * 3 + ["人民路 2 号"] * 2),
    ...     pa.array(["南京市中山路1号", "福州市中山路1号", "中山路1号", "人民路2号", "人民路2号"]),
    ...     pa.array(["", "", "", "南京", "Nanjing"])).to_pylist()
    ['中山路 1 号 (南京)', '中山路 1 号 (福州)', '中山路 1 号', '人民路 2 号', '人民路 2 号']
    """
    keys = pc.dictionary_encode(keys.cast(pa.large_string()))
    key_codes = keys.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # Only a key written in two ways (text or city column) can name two cities.
    texts = pc.dictionary_encode(texts.cast(pa.large_string()))
    forms = texts.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    if cities is not None and len(cities):
        cities = pc.dictionary_encode(pc.fill_null(cities.cast(pa.large_string()), ""))
        forms = forms * (len(cities.dictionary) + 1) + cities.indices.to_numpy(
            zero_copy_only=False)
    pairs = np.unique(key_codes * (int(forms.max(initial=0)) + 1) + forms)
    ways = np.bincount(pairs // (int(forms.max(initial=0)) + 1), minlength=len(keys.dictionary))
    rows = np.flatnonzero(ways[key_codes] > 1)
    if not len(rows):
        return keys.dictionary.take(keys.indices)
    named = address_cities(texts.dictionary.take(texts.indices.take(rows)),
                           None if cities is None or not len(cities) else
                           cities.dictionary.take(cities.indices.take(rows)))
    named = pc.dictionary_encode(named)
    city_codes = named.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = named.dictionary.to_pylist()
    script = np.array([bool(_HAN_ONLY.search(n)) for n in names], dtype=np.int64)
    has_city = np.array([bool(n) for n in names])[city_codes]
    # distinct (key, city) pairs of rows naming a city, counted per key and script
    pair = np.unique(key_codes[rows][has_city] * len(names) + city_codes[has_city])
    per_script = np.bincount((pair // len(names)) * 2 + script[pair % len(names)],
                             minlength=2 * len(keys.dictionary))
    split = (per_script.reshape(-1, 2) > 1).any(axis=1)
    moved = rows[split[key_codes[rows]] & has_city]
    if not len(moved):
        return keys.dictionary.take(keys.indices)
    out = np.array(keys.dictionary.take(keys.indices).to_pylist(), dtype=object)
    where = np.searchsorted(rows, moved)
    out[moved] = [city_address_key(k, names[c]) for k, c in
                  zip(out[moved], city_codes[where], strict=True)]
    return pa.array(out, pa.large_string())


def store_id_key(raw: str) -> str:
    """A store id as graphaudit keys it: NFKC-normalized, without invisible format characters
    (a zero-width space, a BOM, direction marks) and trimmed, so that a full-width ``ＳＴ００１``
    (an input method's, or a spreadsheet's) is the store ``ST001``; the case and everything
    else are kept (``st001`` is another id).

    >>> store_id_key(" ＳＴ００１ "), store_id_key("st001"), store_id_key("ST001\u200b")
    ('ST001', 'st001', 'ST001')
    """
    if raw.isascii():
        return raw.strip()
    return without_invisible(unicodedata.normalize("NFKC", raw)).strip()


def store_id_keys(values: pd.Series) -> pd.Series:
    """:func:`store_id_key` of a pandas Series of text: only the non-ASCII values are
    normalized (a million ASCII ids cost one Arrow pass)."""
    wide = ~values.str.isascii()
    if not wide.any():
        return values.str.strip()
    values = values.copy()
    values[wide] = values[wide].str.normalize("NFKC").map(without_invisible)
    return values.str.strip()


#: scripts none of whose letters is read as a Latin one: in a Chinese brand 〇 is a numeral,
#: though UTS #39 finds it confusable with O
_CJK_SCRIPTS = frozenset({"HAN", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
#: a character that may be drawn as a Latin letter: neither ASCII nor a Chinese character
_NOT_ASCII_OR_HAN = re.compile(f"[^\x00-\x7f{_HAN}]")
#: scripts of no letters of their own (digits, signs, combining marks)
_NO_SCRIPT = frozenset({"COMMON", "INHERITED", "Unknown"})


@functools.lru_cache(maxsize=1 << 12)
def _lookalike(char: str) -> tuple[str, str]:
    """The script of a non-ASCII character, and the ASCII letter or digit it is drawn as by
    Unicode's confusables (UTS #39, through confusable-homoglyphs: Cyrillic ``М`` is M, Greek
    ``ρ`` is p, Latin ``ɑ`` is a), or ``char`` itself. A capital the skeleton draws as ``l``
    (Cyrillic ``І``, Greek ``Ι``) is the capital I it shows, since keys are case-folded."""
    from confusable_homoglyphs import categories, confusables  # 0.2 s of tables: when needed

    script = categories.alias(char)
    found = confusables.is_confusable(char, greedy=True) if char.isalnum() else False
    if not found or script in _CJK_SCRIPTS:
        return script, char
    latin = [g["c"] for g in found[0]["homoglyphs"]
             if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()]
    if not latin:
        return script, char
    return script, "I" if latin[0] == "l" and char.isupper() else latin[0]


def _latin_lookalikes(text: str) -> str:
    """``text`` with its letters drawn as Latin ones spelled as those Latin letters: always
    for Latin letters (``ɑ``), and for the letters of another script when they stand beside
    Latin letters (``Мpow``: a Latin brand with borrowed letters) or every one of them is
    drawn as a Latin letter (``АВС``). A brand in its own script (``Молоко``) is kept."""
    if not _NOT_ASCII_OR_HAN.search(text):  # most brands: nothing to look up
        return text
    looks = [("LATIN", ch) if ch.isascii() else _lookalike(ch) for ch in text]
    other = [ch != to for (script, to), ch in zip(looks, text, strict=True)
             if ch.isalpha() and script not in _NO_SCRIPT | _CJK_SCRIPTS | {"LATIN"}]
    latin = any(script == "LATIN" and ch.isalpha()
                for (script, _), ch in zip(looks, text, strict=True))
    others_too = bool(other) and (latin or all(other))
    return "".join(to if others_too or script == "LATIN" or script in _NO_SCRIPT else ch
                   for (script, to), ch in zip(looks, text, strict=True))


def brand_key(raw: str) -> str:
    """Return the key of a brand: NFKC, look-alike letters as the Latin ones they show,
    case-folded, letters and digits only (any script).

    Trademark signs are dropped before NFKC, which would spell ``™`` as ``TM``. A letter of
    another script drawn as a Latin letter or digit (Cyrillic ``М``, ``о``, ``р``, Greek
    ``ο``, by Unicode's confusables, UTS #39) is that letter, before and after case folding,
    when it stands beside Latin letters or every letter of its script is drawn so:
    ``Мpоw`` re-listed with Cyrillic letters is the brand ``Mpow`` it shows (REPORT4 item 8).
    Chinese, Japanese and Korean writing, Latin letters with marks (pinyin's ``ǎ``) and a
    brand in its own script (``Молоко``) are kept as they are.

    Raises ``ValueError`` when no letter or digit is left.

    >>> brand_key("MPOW™"), brand_key("Ｍｐｏｗ"), brand_key("Anker-Soundcore")
    ('mpow', 'mpow', 'ankersoundcore')
    >>> brand_key("\u041cp\u043ew"), brand_key("\u039c\u03a1\u039fW"), brand_key("小米 Xiǎomǐ")
    ('mpow', 'mpow', '小米xiǎomǐ')
    """
    text = unicodedata.normalize("NFKC", raw.replace("\u2122", "").replace("\u2120", ""))
    words = _WORD.findall(_fold(_latin_lookalikes(_fold(_latin_lookalikes(text)))))
    key = unicodedata.normalize("NFKC", "".join(words))  # joined Hangul jamo may compose
    if not key:
        raise ValueError("empty brand")
    return key


@functools.lru_cache(maxsize=1 << 16)
def name_key(raw: str) -> str:
    """Return the key of a holder name: NFKC, case-folded, punctuation to space, collapsed.

    Unlike the identifier keys this never raises: a name with no letter gives ``""``. Cached:
    the fuzzy signals compare each name with many others (``names_agree``).

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


#: readings tried per name: a name of four characters with three readings each has 81
_MAX_READINGS = 256


@functools.lru_cache(maxsize=1 << 16)
def pinyin_spellings(han: str) -> frozenset[str]:
    """Return the pinyin spellings of a name in Chinese characters, without spaces or tones.

    Every reading pypinyin knows is tried (heteronyms: 单 is read dan, chan or shan, 曾 ceng or
    zeng, and as surnames shan and zeng), with a surname of one or two characters (欧阳)
    written first or last. ``ü`` is written ``u`` (``lü``, ``lv`` and ``lu`` are one
    spelling). Results are memoized: one name recurs across records.

    >>> sorted(pinyin_spellings("王伟"))[:2]
    ['wangwei', 'weiwang']
    >>> "shanxiongxin" in pinyin_spellings("单雄信"), "zengguofan" in pinyin_spellings("曾国藩")
    (True, True)
    """
    if len(han) < 2 or not _HAN_ONLY.fullmatch(han):
        return frozenset()
    # Imported here, the first time a name in Chinese characters is read: pypinyin loads its
    # dictionaries on import. Names are read character by character (every reading of each),
    # so its phrase dictionary is not loaded (its documented switches: 12 MiB instead of 55).
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import Style, pinyin

    readings = pinyin(han, style=Style.NORMAL, heteronym=True, errors="ignore")
    if len(readings) != len(han):
        return frozenset()
    spellings = set()
    for syllables in itertools.islice(itertools.product(*readings), _MAX_READINGS):
        syllables = [s.replace("v", "u") for s in syllables]
        for cut in (1, 2):
            if cut < len(syllables):
                surname, given = "".join(syllables[:cut]), "".join(syllables[cut:])
                spellings.update((surname + given, given + surname))
    return frozenset(spellings)


def _latin_spelling(key: str) -> str:
    """A name key as :func:`pinyin_spellings` writes names: no spaces, tone marks or ``ü``."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", key)
                   if not unicodedata.combining(ch))
    return bare.replace(" ", "").replace("v", "u")


def _pinyin_agree(han: str, latin: str) -> bool:
    """True when a name in Chinese characters reads as a name key in Latin letters."""
    spelling = _latin_spelling(latin)
    return spelling.isascii() and spelling.isalpha() and spelling in pinyin_spellings(han)


def names_agree(a: str, b: str) -> bool:
    """Return True when two holder names plausibly denote the same person.

    Tolerates case, punctuation and spacing, swapped order (``Zhang Wei`` / ``Wei Zhang``),
    initials (``W. Zhang``) and a small typo (rapidfuzz ``token_sort_ratio`` >= 90 on the
    name keys). Names without cased letters (Chinese, Japanese, Korean) are compared
    character by character, spaces ignored: equal, or one substituted character in a name of
    at least 3 characters. A name in Chinese characters agrees with its pinyin in either order
    and any case (``王伟``, ``Wang Wei``, ``WANG Wei``, ``Wei Wang``, ``WangWei``; see
    :func:`pinyin_spellings`). Empty names never agree.

    >>> names_agree("W. Zhang", "ZHANG Wei"), names_agree("张小明", "张 小民")
    (True, True)
    >>> names_agree("王伟", "Wei WANG"), names_agree("王伟", "Wang Wen")
    (True, False)
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
    han_a, han_b = bool(_HAN_ONLY.fullmatch(ca)), bool(_HAN_ONLY.fullmatch(cb))
    if han_a != han_b:  # one in Chinese characters, the other perhaps its pinyin
        return _pinyin_agree(ca, kb) if han_a else _pinyin_agree(cb, ka)
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


def names_agree_pairs(names: list[str], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return :func:`names_agree` of ``names[a[i]]`` and ``names[b[i]]`` for every ``i``.

    The same rules, for many pairs at once: a fuzzy signal checks the holder names beside tens
    of thousands of candidate pairs (RLdata10000's birth dates one digit apart: 36,000 pairs,
    nearly all of other people). Two names in Latin letters of two or more words that share no
    word agree only when their words joined are equal ("ab cd", "abc d") or as a typo
    (``token_sort_ratio`` >= 90); that is decided as arrays (rapidfuzz's ``cpdist``).
    :func:`names_agree` itself runs only on pairs with a word in common, of one word, or
    without cased letters (Chinese characters: pinyin, character by character).

    >>> names_agree_pairs(["Zhang Wei", "Wei ZHANG", "Zhang Min", "Jon Smith", "John Smith"],
    ...                   np.array([0, 0, 3]), np.array([1, 2, 4])).tolist()
    [True, False, True]
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    raw = np.asarray(names, dtype=object)
    if not len(a):
        return np.zeros(0, dtype=bool)
    key = np.array([name_key(name or "") for name in raw.tolist()], dtype=object)
    words = [k.split() for k in key.tolist()]
    joined = np.array(["".join(w) for w in words], dtype=object)
    # one word, or no cased letter: names_agree has rules of its own for them
    special = np.array([len(w) < 2 or k == k.upper() for w, k in zip(words, key, strict=True)])
    # A word in common: each word of name a looked up among the (name, word) rows of name b.
    codes: dict[str, int] = {}
    word_code = np.fromiter((codes.setdefault(w, len(codes)) for ws in words for w in ws),
                            dtype=np.int64)
    owner = np.repeat(np.arange(len(words)), [len(w) for w in words])
    n_words = max(len(codes), 1)
    starts = np.r_[0, np.cumsum([len(w) for w in words])].astype(np.int64)
    count = starts[a + 1] - starts[a]
    row_of = np.repeat(np.arange(len(a)), count)
    at = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    probe = b[row_of] * n_words + word_code[starts[a][row_of] + at]
    present = np.isin(probe, owner.astype(np.int64) * n_words + word_code)
    shares = np.bincount(row_of[present], minlength=len(a)) > 0
    empty = (key == "")[a] | (key == "")[b]
    same = (key[a] == key[b]) & ~empty
    full = ~same & ~empty & (special[a] | special[b] | shares)
    typo = ~same & ~empty & ~full
    result = same.copy()
    result[typo] = joined[a[typo]] == joined[b[typo]]
    rest = np.flatnonzero(typo & ~result)
    if len(rest):
        # The ratio is 100 (1 - d / (la + lb)) with d, the edits, at least |la - lb|: keys of
        # lengths that far apart cannot reach 90 and are not measured.
        length = np.fromiter((len(k) for k in key.tolist()), dtype=np.int64, count=len(key))
        la, lb = length[a[rest]], length[b[rest]]
        rest = rest[10 * np.abs(la - lb) <= la + lb]
        ratio = np.asarray(cpdist(key[a[rest]].tolist(), key[b[rest]].tolist(),
                                  scorer=fuzz.token_sort_ratio, score_cutoff=90))
        result[rest] = ratio >= 90
    checked = np.flatnonzero(full)
    result[checked] = [names_agree(x, y) for x, y in zip(raw[a[checked]].tolist(),
                                                          raw[b[checked]].tolist(), strict=True)]
    return result


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
