"""Tests of graphaudit.normalize: real-world formats, and properties over random renderings."""

from __future__ import annotations

import doctest
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphaudit import normalize
from graphaudit.normalize import (
    account_key,
    address_city,
    address_identities,
    address_identity,
    address_key,
    address_keys_by_city,
    address_numbers,
    brand_key,
    cn_resident_check_char,
    email_key,
    hkid_check_char,
    hkid_valid,
    id_check_passes,
    id_document_key,
    id_edit_close,
    luhn_valid,
    name_key,
    names_agree,
    names_agree_pairs,
    phone_key,
    pinyin_spellings,
    store_phone_key,
    tw_id_check_digit,
    tw_id_valid,
    uscc_check_char,
    uscc_valid,
)

# Printable ASCII -> its full-width form (what a Chinese input method types).
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def test_doctests() -> None:
    assert doctest.testmod(normalize).failed == 0


# --- ID documents -------------------------------------------------------------------------

VALID_ID = "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002x",
        "110105.1949.1231.002X",
        "110105/19491231/002_X",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５\u300019491231\uff0d002ｘ",
    ],
)
def test_cn_resident_id_renderings(raw: str) -> None:
    assert id_document_key(raw) == (VALID_ID, True)


def test_cn_resident_id_legacy_15_digits_converted() -> None:
    assert id_document_key("110105 491231 002") == (VALID_ID, True)
    assert id_document_key("440301850315123") == ("440301198503151232", True)


def test_cn_resident_id_wrong_check_char_kept_invalid() -> None:
    assert id_document_key("110105194912310021") == ("110105194912310021", False)
    assert id_document_key("1101051949123100") == ("1101051949123100", False)
    assert id_document_key("11010519491231002Y") == ("11010519491231002Y", False)


def test_other_id_types() -> None:
    assert id_document_key("e 1234 5678", "PASSPORT") == ("E12345678", True)
    assert id_document_key("91440300-MA5F/1234X", "BUSINESS_LICENSE") == (
        "91440300MA5F1234X", False)  # 17 characters: not a unified social credit code
    assert id_document_key("C1234567(8)", "HK_MACAO_PERMIT") == ("C1234567(8)", False)
    # The id type is read case-insensitively; an empty one means a CN resident ID.
    assert id_document_key("110105491231002", "cn_resident_id") == (VALID_ID, True)
    assert id_document_key("110105491231002", "") == (VALID_ID, True)


# A unified social credit code (GB 32100-2015) that passes its check character.
USCC = "91350100M000100Y43"


def test_unified_social_credit_codes_are_checked() -> None:
    for id_type in ("BUSINESS_LICENSE", "USCC", "business_license", " uscc "):
        assert id_document_key("9135 0100-M000 100y43", id_type) == (USCC, True)
        assert id_document_key("９１３５０１００Ｍ０００１００Ｙ４３", id_type) == (USCC, True)
    assert id_document_key("91350100M000100Y44", "BUSINESS_LICENSE") == (
        "91350100M000100Y44", False)  # wrong check character
    # O is not in the code's alphabet: between digits it is a zero (normalize.digit_view); I is not
    assert id_document_key("91350100M0001O0Y43", "USCC") == (USCC, True)
    assert id_document_key("91350100M0001I0Y43", "USCC")[1] is False
    assert not uscc_valid(USCC[:17]) and not uscc_valid(USCC + "0")
    assert id_check_passes(USCC) and id_check_passes(VALID_ID)
    assert not id_check_passes("91350100M000100Y44") and not id_check_passes("E12345678")


@given(st.text(st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"), min_size=17, max_size=17),
       st.data())
def test_every_misread_character_of_a_uscc_fails_its_check(body: str, data) -> None:
    """MOD 31 with weights prime to 31: one changed character always changes the check."""
    code = body + uscc_check_char(body)
    assert uscc_valid(code)
    i = data.draw(st.integers(0, 17))
    other = data.draw(st.sampled_from([c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"
                                       if c != code[i]]))
    assert not uscc_valid(code[:i] + other + code[i + 1:])


def test_hong_kong_and_taiwan_cards_are_checked() -> None:
    """REPORT9 item 13: a Hong Kong identity card and a Taiwan national ID are documents of
    their own, checked by their check characters (the trial's A123456(7) has the wrong one)."""
    assert id_document_key("A123456(3)", "HKID") == ("A1234563", True)
    assert id_document_key("a 123456 ( 3 )", "hkid") == ("A1234563", True)
    assert id_document_key("Ａ１２３４５６（３）", "HKID") == ("A1234563", True)
    assert id_document_key("A123456(7)", "HKID") == ("A1234567", False)
    assert id_document_key("C668668(E)", "HKID") == ("C668668E", False)  # E is no check char
    assert id_document_key("A123456789", "TW_ID") == ("A123456789", True)
    assert id_document_key("a123-456-788", "TW_ID") == ("A123456788", False)
    assert id_document_key("A12345678", "TW_ID") == ("A12345678", False)  # a digit short
    # the same written number under another type is not checked so
    assert id_document_key("A123456(3)", "OTHER") == ("A123456(3)", False)
    with pytest.raises(ValueError):
        id_document_key("()", "HKID")


HK_BODY = st.from_regex(r"[A-Z]{1,2}[0-9]{6}", fullmatch=True)
TW_BODY = st.from_regex(r"[A-Z][12][0-9]{7}", fullmatch=True)


@given(HK_BODY, st.data())
def test_hkid_check_character_catches_every_changed_digit(body: str, data) -> None:
    """MOD 11 with weights 9 to 2 (each prime to 11): the check character is the only one of
    0-9 and A that passes, and one changed digit, or two different digits swapped, fails."""
    check = hkid_check_char(body)
    card = body + check
    assert hkid_valid(card)
    assert id_document_key(f"{body}({check})", "HKID") == (card, True)
    other = data.draw(st.sampled_from([c for c in "0123456789A" if c != check]))
    assert not hkid_valid(body + other)
    i = data.draw(st.integers(len(body) - 6, len(body) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[i]]))
    assert not hkid_valid(body[:i] + digit + body[i + 1:] + check)
    j = data.draw(st.integers(len(body) - 6, len(body) - 2))
    assume(body[j] != body[j + 1])
    assert not hkid_valid(body[:j] + body[j + 1] + body[j] + body[j + 2:] + check)


@given(TW_BODY, st.data())
def test_taiwan_id_check_digit_catches_changed_digits(body: str, data) -> None:
    """The letter's value and the digits weighted 1, 9, 8 ... 1 sum to a multiple of 10: one
    check digit passes, and a digit changed fails unless the change times its weight is a
    multiple of 10 (weights 7, 3 and 1 catch every change, 8, 6, 4, 2 the odd ones, 5 those
    not of 2, 4, 6, 8)."""
    check = tw_id_check_digit(body)
    number = body + check
    assert tw_id_valid(number)
    assert id_document_key(number.lower(), "TW_ID") == (number, True)
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != check]))
    assert not tw_id_valid(body + other)
    i = data.draw(st.integers(1, 8))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != body[i]]))
    changed = body[:i] + digit + body[i + 1:] + check
    assert tw_id_valid(changed) is ((int(digit) - int(body[i])) * (9 - i) % 10 == 0)


@pytest.mark.parametrize("raw", ["", "   ", " - / . _ ", "\u3000"])
def test_id_empty_raises(raw: str) -> None:
    with pytest.raises(ValueError):
        id_document_key(raw)


def test_check_char() -> None:
    assert cn_resident_check_char("11010519491231002") == "X"
    assert cn_resident_check_char("44030119850315123") == "2"


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "+86 138 0013 8000",
        "138-0013-8000",
        "13800138000",
        "0086 13800138000",
        "(+86)13800138000",
        "+86-138-0013-8000",
        "８６１３８００１３８０００",
        "１３８\u3000００１３\u3000８０００",
        "＋８６ １３８００１３８０００",
    ],
)
def test_cn_mobile_renderings(raw: str) -> None:
    assert phone_key(raw) == "+8613800138000"
    assert phone_key(raw, None) == "+8613800138000"


def test_cn_landline_and_foreign_numbers() -> None:
    assert phone_key("010-1234 5678") == "+861012345678"
    assert phone_key("0755 8888 6666") == "+8675588886666"
    assert phone_key("2523 4567", "HK") == "+85225234567"
    assert phone_key("+852 2523-4567") == "+85225234567"
    assert phone_key("(650) 253-0000", "US") == "+16502530000"
    assert phone_key("650.253.0000", "us") == "+16502530000"
    assert phone_key("+1 650 253 0000", "CN") == "+16502530000"


@pytest.mark.parametrize("raw", ["6552 9988", "65529988", "2345678", "0 6552 9988",
                                 "+86 6552 9988", "(+86) 6552-9988"])
def test_a_mainland_landline_without_its_area_code_is_no_phone(raw: str) -> None:
    """REPORT4 item 13: 7-8 digits are a line in every city, not +86 followed by them."""
    with pytest.raises(ValueError, match="without its area code"):
        phone_key(raw)
    assert phone_key("010 6552 9988") == "+861065529988"
    assert phone_key("6552 9988", "HK") == "+85265529988"  # a whole Hong Kong number
    with pytest.raises(ValueError, match="an e-mail address"):  # not its digits, 8088163
        phone_key("Lijuan8088@163.com")


@pytest.mark.parametrize(("raw", "country", "key"), [
    ("010-1234-5678", "KR", "+821012345678"),  # a Korean mobile, not Beijing's 010 landline
    ("+82 10-1234-5678", "", "+821012345678"),
    ("0082 10 1234 5678", "KR", "+821012345678"),  # 00 and a country code: international
    ("02-1234-5678", "KR", "+82212345678"),  # Seoul
    ("090-1234-5678", "JP", "+819012345678"),
    ("0912-345-678", "TW", "+886912345678"),
    ("6552 9988", "HK", "+85265529988"),  # a whole Hong Kong number, no area code needed
    ("010-1234-5678", "", "+861012345678"),  # no country: read as before, for CN
    ("010-1234-5678", "CN", "+861012345678"),
    ("010-1234-5678", "Korea", "+861012345678"),  # not an ISO code: no country
    ("138 0013 8000", "KR", "+8613800138000"),  # a mainland mobile wherever the store is
    ("15012345678", "US", "+8615012345678"),  # not +1 501-234-5678
    ("+86 10 1234 5678", "KR", "+861012345678"),  # a country code given: it is read
    ("(+86) 138-0013-8000", "JP", "+8613800138000"),
    ("0755 8888 6666", "KR", "+8675588886666"),  # no valid Korean number: read as before
    ("(650) 253-0000", "US", "+16502530000"),
])
def test_a_national_phone_is_read_for_the_stores_country(raw: str, country: str,
                                                         key: str) -> None:
    """REPORT9 item 5: national numbers of Korean, Japanese and Taiwanese stores were keyed as
    Chinese ones (+86): a Korean mobile collided with a Beijing landline."""
    assert store_phone_key(raw, country) == key
    assert store_phone_key(key, country) == key  # idempotent


@settings(deadline=None)
@given(st.text(alphabet="0123456789０１８+-(). xX/＋", max_size=24),
       st.sampled_from(["", "CN", "KR", "JP", "TW", "HK", "US", "GB", "ZZ"]))
def test_store_phone_key_is_idempotent_and_phone_key_without_a_country(raw: str,
                                                                       country: str) -> None:
    key = _key_or_none(store_phone_key, raw, country)
    if country in ("", "CN", "ZZ"):
        assert key == _key_or_none(phone_key, raw)
    assume(key is not None)
    assert store_phone_key(key, country) == key


def test_phone_fallback_is_stable() -> None:
    assert phone_key("12-34") == "1234"
    assert phone_key("+12") == "+12"
    assert phone_key("12345", "ZZ") == "12345"  # unknown region: digits only
    assert phone_key(phone_key("12-34")) == "1234"


@pytest.mark.parametrize("raw", ["", "  ", "n/a", "---"])
def test_phone_empty_raises(raw: str) -> None:
    with pytest.raises(ValueError):
        phone_key(raw)


# --- e-mail -------------------------------------------------------------------------------


def test_email() -> None:
    assert email_key("  Li.Na@Example.COM ") == "li.na@example.com"
    assert email_key("ｌｉｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "lina@example.com"
    for raw in ["", "   ", "lina.example.com"]:
        with pytest.raises(ValueError):
            email_key(raw)


# --- invisible characters -----------------------------------------------------------------

#: format characters (Cf) a copy and paste leaves in values, and U+034F
_INVISIBLES = [chr(cp) for cp in range(0x30000) if unicodedata.category(chr(cp)) == "Cf"] \
    + ["\u034f"]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_invisible_characters_leave_every_key_as_it_was(data) -> None:
    """REPORT9 item 3: ``4403<U+00AD>05...``, ``6222<U+00AD>...`` and ``li.na<U+200B>@163.com``
    were other keys than the values written without them (the soft hyphen, U+200E/F and
    U+202A stayed in ID and account keys, every format character in e-mail keys), so the same
    value did not link. Any format character anywhere is now dropped by every key."""
    keyers = [lambda v: id_document_key(v)[0], lambda v: account_key(v, "bank")[0],
              lambda v: account_key(v, "wallet")[0], email_key, phone_key,
              lambda v: id_document_key(v, "PASSPORT")[0]]
    values = ["440305198503124715", "6222020200012345678", "WX-778812", "li.na@163.com",
              "+86 138 0013 8000", "E12345678"]
    k = data.draw(st.integers(0, len(values) - 1))
    value = values[k]
    spots = data.draw(st.lists(st.integers(0, len(value)), min_size=1, max_size=3))
    written = value
    for spot in sorted(spots, reverse=True):
        written = written[:spot] + data.draw(st.sampled_from(_INVISIBLES)) + written[spot:]
    assert keyers[k](written) == keyers[k](value), ascii(written)


# --- payment accounts ---------------------------------------------------------------------


def test_cards() -> None:
    assert account_key("4111 1111 1111 1111", "card") == ("4111111111111111", True)
    assert account_key("4111-1111-1111-1112", "card") == ("4111111111111112", False)
    assert account_key("6222 0212 3456 7894", "CARD") == ("6222021234567894", True)
    assert account_key("0000 0000 00", "card") == ("0000000000", False)  # too short
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("")
    assert not luhn_valid("4111x")


def test_bank_and_wallet_accounts() -> None:
    assert account_key("6222 0212 3456 7890 123") == ("6222021234567890123", True)
    assert account_key("6222 0212 3456 7890 123", None) == ("6222021234567890123", True)
    assert account_key("１２３４ ５６７８", "bank") == ("12345678", True)
    assert account_key("1234567", "bank") == ("1234567", False)
    assert account_key("GB29 NWBK 6016 1331 9268 19", "bank") == ("GB29NWBK60161331926819", False)
    assert account_key("alipay-shop_88", "wallet") == ("ALIPAYSHOP88", True)
    with pytest.raises(ValueError):
        account_key(" - ", "wallet")


# --- addresses ----------------------------------------------------------------------------

SHENZHEN = "room 1203 building 5 88 keyuan road nanshan district shenzhen 518057"


@pytest.mark.parametrize(
    "raw",
    [
        "Rm 1203, Bldg 5, 88 Keyuan Rd., Nanshan Dist., Shenzhen 518057",
        "Room 1203 Building 5 88 Keyuan Road Nanshan District Shenzhen 518057",
        "RM1203 BLK5 No.88 KEYUAN RD NANSHAN DIST SHENZHEN 518057",
        "Rm.1203, Block 5, #88 Keyuan Rd, Nanshan District, Shenzhen, 518057",
        "Ｒｍ １２０３，Ｂｌｄｇ ５，Ｎｏ．８８ Ｋｅｙｕａｎ Ｒｄ．，"
        "Ｎａｎｓｈａｎ Ｄｉｓｔ．，Ｓｈｅｎｚｈｅｎ ５１８０５７",
        "room 1203 / bldg. 5 / number 88 keyuan rd / nanshan dist / shenzhen 518057",
    ],
)
def test_address_renderings(raw: str) -> None:
    assert address_key(raw) == SHENZHEN
    assert address_numbers(address_key(raw)) == ("1203", "5", "88", "518057")


def test_address_floors_ordinals_and_markers() -> None:
    for raw in ["5F", "5/F", "5 F", "5th Floor", "5th Fl", "5 Flr.", "5TH FLOOR"]:
        assert address_key(raw) == "5 floor"
    assert address_key("21st Floor, 5th Ave, 3rd St") == "21 floor 5 avenue 3 street"
    assert address_key("88rd") == "88 road"  # not the ordinal of 88: an abbreviation
    assert address_key("No Name St") == "no name street"  # "no" before a word stays
    assert address_key("Unit 7 Sci-Tech Ind. Pk., Futian Ctr") == (
        "unit 7 science technology industrial park futian center"
    )
    assert address_key("Harbour Centre, E Wing") == "harbour center e wing"


def test_address_numbers_kept_verbatim() -> None:
    assert address_key("Room 05") == "room 05"
    assert address_key("Room 05") != address_key("Room 5")
    assert address_key("Rm １２０３") == "room 1203"
    assert address_key("١٢٣ Street") == "123 street"  # Arabic-Indic digits become ASCII


def test_address_chinese() -> None:
    assert address_key("深圳市南山区科苑路８８号５栋１２０３室") == (
        "南山区科苑路 88 号 5 栋 1203 号"
    )
    assert address_numbers(address_key("深圳市南山区科苑路88号5栋1203室")) == ("88", "5", "1203")


TIANAN = "福田区天安数码城 b 栋 504 号"


@pytest.mark.parametrize("raw", [
    "广东省深圳市福田区天安数码城B栋504室",  # province, city, district
    "深圳市福田区天安数码城B座504号",  # no province; 座 for 栋, 号 for 室
    "福田区 天安数码城 B栋 504室",  # no province or city; spaces
    "广东 深圳市 福田区天安数码城Ｂ座５０４室",  # province without 省; full-width letter, digits
    "中国广东省深圳市福田区天安数码城B幢504号",  # the country; 幢
    "广东省, 深圳市, 福田区, 天安数码城 b栋 504 室",  # commas, lower case
])
def test_chinese_address_renderings_share_one_key(raw: str) -> None:
    assert address_key(raw) == TIANAN
    assert address_identity(address_key(raw)) == ("b", "504")


def test_chinese_address_details() -> None:
    assert address_key("科技园1号楼501室") == address_key("科技园1栋501室") == "科技园 1 栋 501 号"
    assert address_key("科技园A栋5层") == address_key("科技园A栋5楼")
    assert address_key("北京市朝阳区建国路88号") == "朝阳区建国路 88 号"  # a municipality
    assert address_key("广东省深圳市南山区超市路1号") == "南山区超市路 1 号"  # 超市 is no city
    assert address_key("深圳市华强北电子市场1号") == "华强北电子市场 1 号"  # 市场: a market
    assert address_key("广东省深圳市") == "广东省深圳市"  # nothing but a region: kept
    assert address_key("广东省 88号") == "88 号"
    # Building letters and numbers are the place: A栋 and B栋 differ, as do 501 and 502.
    assert address_key("科技园A栋501室") != address_key("科技园B栋501室")
    assert address_key("科技园A栋501室") != address_key("科技园A栋502室")


def test_building_letters_are_part_of_an_address_identity() -> None:
    b = address_key("Room 504, Building B, Tianan Cyber Park")
    d = address_key("Room 504, Building D, Tianan Cyber Park")
    assert address_identity(b) == ("504", "b") != address_identity(d) == ("504", "d")
    assert address_identity(address_key("Tower A, 88 Keyuan Rd")) == ("a", "88")
    assert address_identity(address_key("Unit 3B, 5F")) == ("3", "b", "5")  # "5 floor"


def test_address_empty_raises() -> None:
    for raw in ["", " ", ", . - #"]:
        with pytest.raises(ValueError):
            address_key(raw)


# --- brands -------------------------------------------------------------------------------


def test_brand() -> None:
    assert brand_key("MPOW™") == "mpow"
    assert brand_key("Ｍｐｏｗ") == "mpow"
    assert brand_key("M-POW ®") == "mpow"
    assert brand_key("小米 Xiaomi") == "小米xiaomi"
    assert brand_key("Straße") == "strasse"
    with pytest.raises(ValueError):
        brand_key("™ ®")


def test_brand_lookalike_letters_are_the_latin_ones() -> None:
    """REPORT4 item 8: Cyrillic and Greek letters drawn as Latin ones key as those letters."""
    cyrillic = {"\u041cpow": "M", "M\u0440\u043ew": "р о", "\u041cp\u043ew": "М о"}
    for raw in cyrillic:
        assert raw != "Mpow" and brand_key(raw) == "mpow"
    assert brand_key("\u039c\u03a1\u039f\u0057") == "mpow"  # Greek capitals
    assert brand_key("\u041c\u0406\u0420\u041eW") == brand_key("MIPOW") == "mipow"  # І is I
    assert brand_key("\u0251nker") == "anker"  # Latin alpha


def test_brand_lookalikes_leave_chinese_and_pinyin() -> None:
    assert brand_key("小米 Xiǎomǐ") == "小米xiǎomǐ"
    assert brand_key("绿联 Lǜlián") == "绿联lǜlián"
    assert brand_key("三〇一") == "三〇一"  # 〇 is a numeral here, not the letter O
    assert brand_key("Молоко") == brand_key("МОЛОКО")  # one brand however it is cased


# --- holder names -------------------------------------------------------------------------


def test_name_key() -> None:
    assert name_key("  ZHANG,  Wei. ") == "zhang wei"
    assert name_key("O'Brien-Smith") == "o brien smith"
    assert name_key("...") == ""


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zhang Wei", "Zhang Wei"),
        ("Zhang Wei", "zhang  wei"),
        ("Zhang Wei", "Wei Zhang"),
        ("ZHANG, Wei", "Wei Zhang"),
        ("W. Zhang", "Zhang Wei"),
        ("Zhang W.", "Zhang Wei"),
        ("Wang Wei", "W. Wang"),
        ("ZhangWei", "Zhang Wei"),
        ("ZhangWei", "Wei Zhang"),
        ("Christopher Johnson", "Christopher Jonhson"),
        ("Christopher Johnson", "Johnson Christopher"),
        ("张伟", "张伟"),
        ("张伟", "张 伟"),
        ("张小明", "张晓明"),
        ("ＺＨＡＮＧ Ｗｅｉ", "zhang wei"),
        # Chinese characters and their pinyin, in either order and any case
        ("王伟", "Wang Wei"),
        ("王伟", "WANG Wei"),
        ("王伟", "Wei Wang"),
        ("王伟", "wangwei"),
        ("王 伟", "Wáng Wěi"),
        ("张伟", "Zhang Wei"),
        ("欧阳修", "Ouyang Xiu"),  # a surname of two characters
        ("欧阳修", "XIU Ouyang"),
        ("单雄信", "Shan Xiongxin"),  # heteronyms: 单 as a surname is shan
        ("曾国藩", "Zeng Guofan"),  # 曾 as a surname is zeng
        ("吕布", "Lü Bu"),
        ("吕布", "Lv Bu"),
    ],
)
def test_names_agree(a: str, b: str) -> None:
    assert names_agree(a, b)
    assert names_agree(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zhang Wei", "Zhang Min"),
        ("Zhang Wei", "Li Wei"),
        ("J. Smith", "K. Smith"),
        ("W. Z.", "Wei Zhang"),
        ("Zhang Wei", "Zhang Wei Ming"),
        ("张伟", "张为"),  # two characters: one substitution is another name
        ("张小明", "李晓明"),
        ("王伟", "Wang Wen"),
        ("王伟", "Li Wei"),
        ("王伟", "Wang"),
        ("王伟", "Wang Wei Ming"),
        ("王", "Wang"),  # a surname alone says nothing
        ("", ""),
        ("", "Zhang Wei"),
        ("...", "..."),
    ],
)
def test_names_disagree(a: str, b: str) -> None:
    assert not names_agree(a, b)
    assert not names_agree(b, a)


# --- id_edit_close ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("110105194912310021", "110105194912310027", True),  # one substitution
        ("110105194912310021", "110105194912310012", True),  # adjacent transposition
        ("110105194912310021", "101105194912310021", True),  # transposition at the start
        ("110105194912310021", "110105194912310021", False),  # equal
        ("110105194912310021", "110105194912310000", False),  # two substitutions
        ("110105194912310021", "110105194912310120", False),  # transposition, not adjacent
        ("110105194912310021", "11010519491231002", False),  # lengths differ
        ("ABC", "ACB", True),
        ("ABC", "CBA", False),
    ],
)
def test_id_edit_close(a: str, b: str, close: bool) -> None:
    assert id_edit_close(a, b) is close
    assert id_edit_close(b, a) is close


# --- properties: one identifier, many renderings, one key ---------------------------------

ID_SEPARATORS = [" ", "-", ".", "/", "_", "\u3000", "\uff0d", "  ", " - "]


@st.composite
def rendered(draw: st.DrawFn, text: str, separators: list[str]) -> str:
    """Render ``text`` as a person might type it: random case, full-width characters and
    separators between characters, and whitespace around."""
    out = [draw(st.sampled_from(["", " ", "\t", "\u3000"]))]
    for ch in text:
        if ch.isalpha():
            ch = draw(st.sampled_from([ch.lower(), ch.upper()]))
        if draw(st.booleans()):
            ch = ch.translate(FULLWIDTH)
        out.append(ch)
        if separators and draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(separators)))
    out.append(draw(st.sampled_from(["", " ", "\n"])))
    return "".join(out)


cn_first17 = st.from_regex(r"[1-6][0-9]{16}", fullmatch=True)


@given(st.data(), cn_first17)
def test_cn_id_renderings_share_one_key(data: st.DataObject, first17: str) -> None:
    canonical = first17 + cn_resident_check_char(first17)
    raw = data.draw(rendered(canonical, ID_SEPARATORS))
    assert id_document_key(raw) == (canonical, True)


@given(st.data(), st.from_regex(r"[1-6][0-9]{14}", fullmatch=True))
def test_cn_legacy_id_renderings_share_the_converted_key(data: st.DataObject, old: str) -> None:
    first17 = old[:6] + "19" + old[6:]
    raw = data.draw(rendered(old, ID_SEPARATORS))
    assert id_document_key(raw) == (first17 + cn_resident_check_char(first17), True)


@given(cn_first17, st.sampled_from("0123456789X"))
def test_cn_id_wrong_check_char_is_invalid(first17: str, check: str) -> None:
    assume(check != cn_resident_check_char(first17))
    assert id_document_key(first17 + check) == (first17 + check, False)


@given(st.data(), st.from_regex(r"[A-Z][A-Z0-9]{5,12}", fullmatch=True))
def test_passport_renderings_share_one_key(data: st.DataObject, canonical: str) -> None:
    raw = data.draw(rendered(canonical, ID_SEPARATORS))
    assert id_document_key(raw, "PASSPORT") == (canonical, True)


PHONE_PREFIXES = ["", "+86", "+86 ", "+86-", "0086", "0086 ", "(+86)", "(+86) ", "＋８６ "]


@st.composite
def grouped(draw: st.DrawFn, digits: str, groups: tuple[int, ...]) -> str:
    """Write ``digits`` in the given groups, joined by one separator, maybe full-width."""
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start : start + size])
        start += size
    text = draw(st.sampled_from([" ", "-", "", ".", " - ", "\u3000"])).join(parts)
    return text.translate(FULLWIDTH) if draw(st.booleans()) else text


@settings(deadline=None)
@given(st.data(), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_cn_mobile_renderings_share_one_key(data: st.DataObject, mobile: str) -> None:
    prefix = data.draw(st.sampled_from(PHONE_PREFIXES))
    body = data.draw(grouped(mobile, data.draw(st.sampled_from([(11,), (3, 4, 4), (3, 8)]))))
    # "00" is the international prefix of CN (not of HK); "+" is read from any region.
    regions = (
        ["CN", "HK", "US", None]
        if prefix.lstrip("(").startswith(("+", "＋"))
        else ["CN", "cn", None]
    )
    region = data.draw(st.sampled_from(regions))
    assert phone_key(prefix + body, region) == "+86" + mobile


@settings(deadline=None)
@given(st.data(), st.from_regex(r"[569][0-9]{7}", fullmatch=True))
def test_hk_renderings_share_one_key(data: st.DataObject, number: str) -> None:
    body = data.draw(grouped(number, (4, 4)))
    raw, region = data.draw(
        st.sampled_from([(body, "HK"), ("+852 " + body, "CN"), ("(852) " + body, "HK")])
    )
    assert phone_key(raw, region) == "+852" + number


@settings(deadline=None)
@given(st.data(), st.from_regex(r"[2-9][0-8][0-9][2-9][0-9]{6}", fullmatch=True))
def test_us_renderings_share_one_key(data: st.DataObject, number: str) -> None:
    area, rest = number[:3], data.draw(grouped(number[3:], (3, 4)))
    raw, region = data.draw(
        st.sampled_from(
            [
                (f"({area}) {rest}", "US"),
                (f"{area}-{rest}", "US"),
                (f"1 {area} {rest}", "US"),
                (f"+1 {area} {rest}", "CN"),
                (f"001 {area} {rest}", "CN"),
            ]
        )
    )
    assert phone_key(raw, region) == "+1" + number


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,10}[a-z0-9])?", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9]{1,10}\.(com|cn|net|com\.hk)", fullmatch=True))
    return f"{local}@{domain}"


@given(st.data(), emails())
def test_email_renderings_share_one_key(data: st.DataObject, canonical: str) -> None:
    raw = data.draw(rendered(canonical, []))
    assert email_key(raw) == canonical


@st.composite
def luhn_numbers(draw: st.DrawFn) -> str:
    body = draw(st.from_regex(r"[3-6][0-9]{10,17}", fullmatch=True))
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("some check digit always passes")


@given(st.data(), luhn_numbers())
def test_card_renderings_share_one_key(data: st.DataObject, card: str) -> None:
    raw = data.draw(rendered(card, [" ", "-", "  "]))
    assert account_key(raw, "card") == (card, True)


@given(luhn_numbers(), st.data())
def test_luhn_catches_any_single_digit_error(card: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(card) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != card[i]]))
    assert not luhn_valid(card[:i] + digit + card[i + 1 :])


@given(st.data(), st.from_regex(r"[0-9]{8,30}", fullmatch=True))
def test_bank_account_renderings_share_one_key(data: st.DataObject, number: str) -> None:
    raw = data.draw(rendered(number, [" ", "-", "  "]))
    assert account_key(raw, "bank") == (number, True)


@given(st.data(), st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True))
def test_brand_renderings_share_one_key(data: st.DataObject, canonical: str) -> None:
    raw = data.draw(rendered(canonical, [" ", "-", ".", "_", "'", "·", "&"]))
    raw += data.draw(st.sampled_from(["", "™", "®", " ®", "©", "\u2122 "]))
    assert brand_key(raw) == canonical


# Address structure: (kind, number, name); names avoid every abbreviation and marker word.
NAMES = ["Keyuan", "Nanshan", "Shenzhen", "Futian", "Huaqiang", "Baoan", "Longhua", "Tianhe"]
NUMBER = st.from_regex(r"[0-9]{1,5}", fullmatch=True)
PART_SEPARATORS = [", ", " ", ",", " , ", "，", "; ", "\n", " / "]


@st.composite
def address_parts(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    kinds = ["room", "floor", "building", "street", "district", "city", "postcode"]
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=7, unique=True))
    parts = []
    for kind in sorted(chosen, key=kinds.index):
        street_type = draw(st.sampled_from(["road", "street", "avenue"]))
        name = draw(st.sampled_from(NAMES)) + (" " + street_type if kind == "street" else "")
        parts.append((kind, draw(NUMBER), name))
    return parts


def canonical_address(parts: list[tuple[str, str, str]]) -> str:
    """The key an address made of these parts must have."""
    words = {
        "room": "room {n}",
        "floor": "{n} floor",
        "building": "building {n}",
        "street": "{n} {name}",
        "district": "{name} district",
        "city": "{name}",
        "postcode": "{n}",
    }
    return " ".join(words[k].format(n=n, name=name.lower()) for k, n, name in parts)


def _ordinal(n: str) -> str:
    value = int(n)
    if value % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


@st.composite
def rendered_address(draw: st.DrawFn, parts: list[tuple[str, str, str]]) -> str:
    """Render an address: abbreviation choices, glued or spaced numbers, number markers,
    case, full-width characters and separators all drawn at random."""
    pick = lambda options: draw(st.sampled_from(options))  # noqa: E731
    street_types = {
        "road": ["Rd", "Rd.", "Road", "RD"],
        "street": ["St", "St.", "Street", "ST."],
        "avenue": ["Ave", "Av.", "Avenue", "AVE."],
    }
    texts = []
    for kind, n, name in parts:
        if kind == "room":
            text = (
                pick(["Room", "Rm", "Rm.", "RM"]) + pick(["", " ", " #", "#", " No. ", " No."]) + n
            )
        elif kind == "floor":
            text = pick(
                [
                    f"{n}F",
                    f"{n}/F",
                    f"{n} F",
                    f"{n}{_ordinal(n)} Floor",
                    f"{n}{_ordinal(n)} Fl",
                    f"{n} Flr.",
                    f"{n} FLOOR",
                ]
            )
        elif kind == "building":
            word = pick(["Building", "Bldg", "Bldg.", "Blk", "Block", "BLDG.", "Bld"])
            text = word + pick(["", " ", " No.", " #"]) + n
        elif kind == "street":
            street, street_type = name.split()
            marker = pick(["", "No. ", "No.", "#", "Number ", "NO ", "№ "])
            text = f"{marker}{n} {street} {pick(street_types[street_type])}"
        elif kind == "district":
            text = f"{name} {pick(['Dist.', 'District', 'Dist', 'DIST'])}"
        elif kind == "city":
            text = name
        else:
            text = n
        text = pick([text, text.upper(), text.lower()])
        texts.append("".join(ch.translate(FULLWIDTH) if draw(st.booleans()) else ch for ch in text))
    out = texts[0]
    for text in texts[1:]:
        out += pick(PART_SEPARATORS) + text
    return out


@given(st.data(), address_parts())
def test_address_renderings_share_one_key(data: st.DataObject, parts: list) -> None:
    raw = data.draw(rendered_address(parts))
    key = address_key(raw)
    assert key == canonical_address(parts)
    assert address_numbers(key) == tuple(
        n for kind, n, _ in parts if kind not in ("district", "city")
    )


@given(st.data(), address_parts())
def test_addresses_differing_in_a_number_never_share_a_key(
    data: st.DataObject, parts: list
) -> None:
    numbered = [i for i, (kind, _, _) in enumerate(parts) if kind not in ("district", "city")]
    assume(numbered)
    i = data.draw(st.sampled_from(numbered))
    kind, n, name = parts[i]
    other = data.draw(NUMBER.filter(lambda m: m != n))
    changed = [*parts[:i], (kind, other, name), *parts[i + 1 :]]
    a = address_key(data.draw(rendered_address(parts)))
    b = address_key(data.draw(rendered_address(changed)))
    assert a != b
    assert address_numbers(a) != address_numbers(b)


def _digit_runs(raw: str) -> tuple[str, ...]:
    """The digit runs of a text after NFKC, as ASCII digits."""
    runs = re.findall(r"\d+", unicodedata.normalize("NFKC", raw))
    return tuple("".join(str(unicodedata.decimal(c)) for c in run) for run in runs)


@given(st.text())
def test_address_numbers_are_exactly_the_digit_runs(raw: str) -> None:
    """So two addresses whose numbers differ anywhere never share a key."""
    try:
        key = address_key(raw)
    except ValueError:
        assert not _digit_runs(raw)
        return
    assert address_numbers(key) == _digit_runs(raw)


@given(
    st.lists(st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True), min_size=2, max_size=3), st.data()
)
def test_names_agree_whatever_the_order_case_and_punctuation(
    tokens: list[str], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(tokens))
    sep = data.draw(st.sampled_from([" ", ", ", "  ", " . "]))
    other = sep.join(data.draw(st.sampled_from([t, t.upper(), t.lower()])) for t in shuffled)
    assert names_agree(" ".join(tokens), other)


NAME_TEXT = st.text(alphabet="abcwxyz ABZ.,-张伟小明李", max_size=16) | st.sampled_from(
    ["王伟", "Wang Wei", "wei WANG", "wangwei", "单雄信", "Shan Xiongxin", "欧阳修"])


def test_pinyin_spellings() -> None:
    assert pinyin_spellings("王伟") >= {"wangwei", "weiwang"}
    assert {"shanxiongxin", "danxiongxin"} <= pinyin_spellings("单雄信")
    assert pinyin_spellings("王") == pinyin_spellings("Wang") == frozenset()


@settings(deadline=None, max_examples=300)
@given(st.text(st.sampled_from("王伟张李小明欧阳单曾吕娜"), min_size=2, max_size=4), st.data())
def test_chinese_names_agree_with_their_pinyin_however_written(han: str, data) -> None:
    """pypinyin's own reading, written surname first or last, in any case, agrees."""
    from pypinyin import lazy_pinyin
    syllables = lazy_pinyin(han)
    surname, given = syllables[0], "".join(syllables[1:])
    words = data.draw(st.sampled_from([[surname, given], [given, surname],
                                       [surname + given]]))
    written = " ".join(data.draw(st.sampled_from([w, w.upper(), w.capitalize()]))
                       for w in words)
    assert names_agree(han, written) and names_agree(written, han)


_PAIR_WORDS = ["zhang", "wei", "zhangwei", "wang", "w.", "hans", "meier", "meiet", "meir", "hnas",
               "an", "na", "ana", "!!", "王伟", "张小明", "张小民", "JOHN", "carsten", "carsetn",
               "carstn", ""]


@settings(deadline=None, max_examples=200)
@given(st.lists(st.lists(st.sampled_from(_PAIR_WORDS), max_size=3).map(" ".join), min_size=1,
                max_size=10), st.data())
def test_names_agree_pairs_says_what_names_agree_says_of_each_pair(names, data) -> None:
    """The vectorized form (one rule, one place: the fuzzy signals call it) decides every pair
    of names as names_agree does, including names that share no word, typos, joined words,
    Chinese characters, initials and empty names."""
    index = st.integers(0, len(names) - 1)
    pairs = data.draw(st.lists(st.tuples(index, index), max_size=30))
    a = np.array([x for x, _ in pairs], dtype=np.int64)
    b = np.array([y for _, y in pairs], dtype=np.int64)
    assert names_agree_pairs(names, a, b).tolist() == [
        names_agree(names[x], names[y]) for x, y in pairs]


def test_names_agree_pairs_reads_typos_that_change_the_length() -> None:
    """Names sharing no word agree as a typo (ratio >= 90) also when a letter is missing, and
    not when their lengths alone put them further apart."""
    names = ["carsten meier", "carstn meir", "karsten maierhofer", "carstn meier", "wei zhang",
             "zhangwei"]
    a, b = np.array([0, 0, 1, 3, 4]), np.array([1, 2, 2, 1, 5])
    assert names_agree_pairs(names, a, b).tolist() == [
        names_agree(names[x], names[y]) for x, y in zip(a, b, strict=True)] == [
        True, False, False, True, True]


@given(NAME_TEXT, NAME_TEXT)
def test_names_agree_is_symmetric(a: str, b: str) -> None:
    assert names_agree(a, b) == names_agree(b, a)
    assert names_agree(a, a) == bool(name_key(a))


@given(st.from_regex(r"[0-9A-Z]{2,20}", fullmatch=True), st.data())
def test_id_edit_close_properties(key: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(key) - 1))
    ch = data.draw(st.sampled_from([c for c in "0123456789X" if c != key[i]]))
    substituted = key[:i] + ch + key[i + 1 :]
    assert id_edit_close(key, substituted)
    assert id_edit_close(substituted, key)
    assert not id_edit_close(key, key)
    j = data.draw(st.integers(0, len(key) - 2))
    swapped = key[:j] + key[j + 1] + key[j] + key[j + 2 :]
    assert id_edit_close(key, swapped) is (key[j] != key[j + 1])


# --- properties: every normalizer is idempotent -------------------------------------------


def _key_or_none(fn, *args):
    try:
        return fn(*args)
    except ValueError:
        return None


@given(st.text(), st.sampled_from(["CN_RESIDENT_ID", "PASSPORT", "OTHER"]))
def test_id_document_key_idempotent(raw: str, id_type: str) -> None:
    result = _key_or_none(id_document_key, raw, id_type)
    assume(result is not None)
    assert id_document_key(result[0], id_type) == result


@given(st.text(), st.sampled_from(["bank", "card", "wallet", None]))
def test_account_key_idempotent(raw: str, account_type: str | None) -> None:
    result = _key_or_none(account_key, raw, account_type)
    assume(result is not None)
    assert account_key(result[0], account_type) == result


@given(st.text(), st.text())
def test_email_key_idempotent(local: str, domain: str) -> None:
    key = email_key(f"{local}@{domain}")
    assert email_key(key) == key


@given(st.text())
def test_address_key_idempotent(raw: str) -> None:
    key = _key_or_none(address_key, raw)
    assume(key is not None)
    assert address_key(key) == key


@given(st.text())
def test_brand_key_idempotent(raw: str) -> None:
    key = _key_or_none(brand_key, raw)
    assume(key is not None)
    assert brand_key(key) == key


@given(st.text())
def test_name_key_idempotent(raw: str) -> None:
    assert name_key(name_key(raw)) == name_key(raw)


PHONE_TEXT = st.text(alphabet="0123456789０１８+-(). xXext/＋", max_size=30)


@settings(deadline=None)
@given(PHONE_TEXT, st.sampled_from(["CN", "HK", "US", "GB", None, "ZZ"]))
def test_phone_key_idempotent(raw: str, region: str | None) -> None:
    key = _key_or_none(phone_key, raw, region)
    assume(key is not None)
    assert phone_key(key, region) == key


@settings(deadline=None, max_examples=500)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs", "Z", "Cc"]), max_size=6)
                | st.sampled_from(["12", "٣", "5a", "0", "007", "a", "B", "é", "栋", "(南京)",
                                   "(nanjing)"]),
                max_size=8))
def test_address_identities_are_the_scalar_identity(tokens: list[str]) -> None:
    """The vectorized blocking key is exactly the identity the matching rule compares."""
    key = " ".join(tokens)
    assert address_identities(pa.array([key])).to_pylist() == [" ".join(address_identity(key))]


@given(st.text())
def test_address_identity_of_keys_is_the_digit_runs_and_single_letters(raw: str) -> None:
    key = _key_or_none(address_key, raw)
    assume(key is not None)
    assert address_numbers(key) == tuple(t for t in address_identity(key) if t.isdigit())


CHINESE_ADDRESS_TEXT = st.text(st.sampled_from(
    "广东省深圳市南山区中国北京上海内蒙古自治区座栋幢室号楼层场超路Ab5 0,，、\u3000Ｂ５#-"),
    max_size=30)


@settings(deadline=None, max_examples=1000)
@given(CHINESE_ADDRESS_TEXT)
def test_chinese_address_keys_are_stable_and_keep_every_number(raw: str) -> None:
    key = _key_or_none(address_key, raw)
    assume(key is not None)
    assert address_key(key) == key
    assert address_numbers(key) == _digit_runs(raw)


CITY_ROWS = st.lists(st.tuples(
    st.sampled_from(["中山路 1 号", "人民路 2 号", "88 zhongshan road"]),
    st.sampled_from(["江苏省南京市中山路1号", "福州市中山路1号", "中山路1号", "上海市中山路1号",
                     "88 Zhongshan Road", "台中市北區中山路1號"]),
    st.sampled_from(["", "南京", "南京市", "福州", "Nanjing", "Nanjing City", "fuzhou"])),
    max_size=12)


@settings(deadline=None, max_examples=300)
@given(CITY_ROWS)
def test_address_keys_by_city_are_the_rule_written_out(rows: list) -> None:
    """REPORT9 item 1, row by row: a key whose rows name two cities of one script becomes one
    key per city for the rows that name one; every other row keeps its key."""
    keys, texts, cities = (pa.array(list(column), pa.large_string()) for column in
                           zip(*rows, strict=True)) if rows else (pa.array([], pa.string()),) * 3
    named = [address_city(text, city) for _, text, city in rows]
    expected = []
    for (key, _, _), city in zip(rows, named, strict=True):
        names = {c for (k, _, _), c in zip(rows, named, strict=True) if k == key and c}
        han = {c for c in names if not c.isascii()}
        expected.append(f"{key} ({city})" if city and (len(han) > 1 or len(names - han) > 1)
                        else key)
    assert address_keys_by_city(keys, texts, cities).to_pylist() == expected


def test_an_address_names_its_city_in_the_text_first_then_in_the_column() -> None:
    assert [address_city(t, c) for t, c in [
        ("江苏省南京市鼓楼区中山路1号", ""), ("福建省福州市鼓楼区中山路1号", "南京"),
        ("中国北京朝阳区建国路1号", ""), ("上海市闵行区x路1号", ""),
        ("鼓楼区中山路1号", "江苏南京"),
        ("鼓楼区中山路1号", " 南京市 "), ("88 Zhongshan Road, Nanjing", "Nanjing City"),
        ("南京市场路1号", ""), ("江苏省鼓楼区中山路1号", "")]] == [
        "南京", "福州", "北京", "上海", "南京", "南京", "nanjing", "", ""]
    # The key stays without the city: a spelling without it is one key with it.
    assert address_key("江苏省南京市鼓楼区中山路1号") == address_key("鼓楼区中山路1号")
