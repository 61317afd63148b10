"""Extracting identifier links from records."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from conftest import SAMPLE_DATA
from hypothesis import given, settings
from hypothesis import strategies as st
from test_normalize import address_parts, rendered_address

from graphaudit import normalize
from graphaudit.identifiers import (
    FAST_KEYS,
    KINDS,
    NODE_PROPERTIES,
    PREPARE,
    _first_per_key,
    _normalize_forms,
    extract_identifiers,
    store_brand_key,
    store_brand_keys,
    store_countries,
)
from graphaudit.normalize import (
    account_key,
    address_key,
    email_key,
    id_document_key,
    phone_key,
    store_phone_key,
)
from graphaudit.parallel import Parallel
from graphaudit.records import RejectsWriter, read_records


def test_prepare_rewrites_and_parallel_normalizing_change_no_key():
    """The shortcuts (pre-cleaning, Arrow keys, forked workers) give exactly the plain keys."""
    records = read_records(SAMPLE_DATA, RejectsWriter(None))
    # addresses keyed in a forked child, the other kinds by a pool in this process
    budget = Parallel(3, min_rows=0)
    fast = extract_identifiers(records, RejectsWriter(None), budget)
    assert budget.workers == 3
    plain = extract_identifiers(records, RejectsWriter(None), shortcuts=False)
    for kind, nodes in plain.nodes.items():  # keys with their validity
        assert fast.nodes[kind].equals(nodes), kind
    fast, plain = fast.links, plain.links
    columns = ["store_id", "kind", "key", "raw", "_line"]
    assert fast[columns].equals(plain[columns])
    assert len(fast) > 5000


def test_without_a_shortcut_every_form_goes_through_the_plain_normalizer():
    """What ``shortcuts=False`` switches off: the Arrow keys leave the plain normalizer only the
    forms they do not recognise, and without them it sees every form."""
    forms = pa.array(["13800138000", "+8613900139000", "02012345678"], pa.string())
    for shortcut, expected in ((FAST_KEYS["phone"], ["02012345678"]),
                               (None, forms.to_pylist())):
        seen = []

        def plain(raw: str, _context: str, seen=seen) -> tuple[str, bool]:
            seen.append(raw)
            return phone_key(raw), True

        keys, _, _ = _normalize_forms(plain, forms, None, Parallel(), shortcut)
        assert seen == expected
        assert keys.to_pylist() == [phone_key(f) for f in forms.to_pylist()]


def test_unnormalizable_values_are_dropped_with_a_reject(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,email\nS1,11010519491231002X,not-an-email\n", encoding="utf-8")
    rejects_path = tmp_path / "rejects.csv"
    with RejectsWriter(rejects_path) as rejects:
        records = read_records(data, rejects)
        links = extract_identifiers(records, rejects).links
    assert list(links["kind"]) == ["id_document"]
    text = rejects_path.read_text(encoding="utf-8")
    assert "identities.csv,2,email" in text and "rest of row kept" in text


def test_hong_kong_and_taiwan_cards_are_documents_that_link(tmp_path):
    """REPORT9 item 13: id_type HKID and TW_ID were unknown (taken as OTHER, a reject each);
    they are read, keyed (the Hong Kong card without its parentheses) and checked, and two
    stores holding one card written two ways share one ID document."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nHK1\nHK2\nTW1\nTW2\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,id_type\nHK1,A123456(3),HKID\nHK2,a 1234563,香港身份证\n"
        "TW1,A123456789,TW_ID\nTW2,B123456789,台湾身份证\n", encoding="utf-8")
    rejects = RejectsWriter(None)
    found = extract_identifiers(read_records(data, rejects), rejects)
    assert rejects.kept == []
    docs = found.parts["id_document"].set_index("store_id")
    assert docs["key"].to_dict() == {"HK1": "A1234563", "HK2": "A1234563", "TW1": "A123456789",
                                     "TW2": "B123456789"}
    assert docs["id_type"].to_dict() == {"HK1": "HKID", "HK2": "HKID", "TW1": "TW_ID",
                                         "TW2": "TW_ID"}
    nodes = found.nodes["id_document"].set_index("key")
    assert nodes["valid"].to_dict() == {"A1234563": True, "A123456789": True,
                                        "B123456789": False}


def _key_or_error(func, raw: str) -> str:
    try:
        return func(raw)
    except ValueError:
        return "<error>"


def _prepared(kind: str, raw: str) -> str:
    return PREPARE[kind](pa.array([raw], type=pa.string()))[0].as_py()


ADDRESS_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
PHONE_TEXT = st.text(st.sampled_from("0123456789+-(). ８６\u3000x"), max_size=20)


@settings(deadline=None, max_examples=400)
@given(st.one_of(ADDRESS_TEXT, st.text("aAbB5. ,/#-_fFtThHsS\t", max_size=30)))
def test_address_preparation_changes_no_key(raw: str) -> None:
    assert _key_or_error(address_key, _prepared("address", raw)) == _key_or_error(address_key, raw)


@settings(deadline=None)
@given(st.data(), address_parts())
def test_address_preparation_keeps_rendered_addresses(data: st.DataObject, parts: list) -> None:
    raw = data.draw(rendered_address(parts))
    assert address_key(_prepared("address", raw)) == address_key(raw)


@settings(deadline=None, max_examples=400)
@given(st.lists(st.text(st.characters(max_codepoint=127), max_size=12), max_size=20))
def test_ascii_words_are_the_regex_rewrite(values: list[str]) -> None:
    expected = [re.sub(r"[^a-z0-9]+", " ", value.lower()) for value in values]
    forms = pa.array(["x", *values], type=pa.string())
    assert normalize._ascii_words(forms.slice(1)).to_pylist() == expected


@settings(deadline=None, max_examples=400)
@given(PHONE_TEXT)
def test_phone_preparation_changes_no_key(raw: str) -> None:
    assert _key_or_error(phone_key, _prepared("phone", raw)) == _key_or_error(phone_key, raw)


@settings(deadline=None, max_examples=500)
@given(st.from_regex(r"(\+86|0086|86)?1[3-9][0-9]{9}", fullmatch=True),
       st.sampled_from(["", "KR", "JP", "TW", "HK", "US", "GB"]))
def test_fast_phone_keys_are_the_normalizer_keys(number: str, country: str) -> None:
    """A mainland mobile is keyed in Arrow as the rule keys it, for a store of any country."""
    assert _fast("phone", number, country) == (store_phone_key(number, country), True) == (
        phone_key(number), True)


@settings(deadline=None, max_examples=500)
@given(PHONE_TEXT, st.sampled_from(["", "KR", "JP", "TW", "HK", "US", "CN"]))
def test_fast_phone_keys_leave_the_rest_to_the_rule(raw: str, country: str) -> None:
    form = _prepared("phone", raw)
    found = _fast("phone", form, country)
    if found is not None:
        assert found == (store_phone_key(form, country), True)
    assert _key_or_error(lambda r: store_phone_key(r, country), form) == _key_or_error(
        lambda r: store_phone_key(r, country), raw)  # preparing changes no key


def test_a_national_phone_is_read_for_the_stores_country(tmp_path):
    """REPORT9 item 5: `010-1234-5678` of a Korean store was keyed +86 (a Beijing landline), so
    one Korean mobile written `+82 10-1234-5678` and `010-1234-5678` did not link, and a Korean
    seller shared a :Phone with a Beijing office. The addresses' country is the store's."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nKR1\nKR2\nBJ1\nJP1\nTW1\nTW2\nMIX\nUS1\n",
                                     encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,id_type,phone\nKR1,M1,PASSPORT,+82 10-1234-5678\n"
        "KR2,M2,PASSPORT,010-1234-5678\nBJ1,M3,PASSPORT,010-1234-5678\n"
        "JP1,M4,PASSPORT,090-1234-5678\nTW1,M5,PASSPORT,0912-345-678\n"
        "TW2,M6,PASSPORT,138 0013 8000\nMIX,M7,PASSPORT,010-1234-5678\n"
        "US1,M8,PASSPORT,15012345678\n", encoding="utf-8")
    (data / "addresses.csv").write_text(
        "store_id,address,address_type,country\nKR1,Seoul 1,registered,KR\n"
        "KR2,Seoul 2,warehouse,kr\nKR2,Seoul 3,return,\nBJ1,北京 1,registered,CN\n"
        "JP1,Tokyo 1,registered,JP\nTW1,Taipei 1,registered,TW\nTW2,Taipei 2,,TW\n"
        "MIX,Seoul 4,warehouse,KR\nMIX,北京 2,warehouse,CN\nUS1,Ohio 1,registered,US\n",
        encoding="utf-8")
    for shortcuts in (True, False):
        rejects = RejectsWriter(None)
        found = extract_identifiers(read_records(data, rejects), rejects, shortcuts=shortcuts)
        assert rejects.kept == []
        phones = found.of_kind("phone").set_index("store_id")["key"].to_dict()
        assert phones == {"KR1": "+821012345678", "KR2": "+821012345678",
                          "BJ1": "+861012345678", "JP1": "+819012345678",
                          "TW1": "+886912345678",
                          "TW2": "+8613800138000",  # a mainland mobile wherever the store is
                          "MIX": "+861012345678",  # two countries, none registered: as before
                          "US1": "+8615012345678"}  # not +1 501-234-5678 (Arkansas)


def test_a_stores_country_is_its_addresses_or_its_registered_ones():
    addresses = pd.DataFrame({
        "store_id": ["A", "A", "B", "B", "C", "C", "D", "E", "F", "F"],
        "address_type": ["registered", "warehouse", "registered", "warehouse", "warehouse",
                         "return", "registered", "registered", "registered", "registered"],
        "country": ["KR", "kr", "JP", "CN", "KR", "JP", "", "Korea", "TW", "HK"]})
    assert store_countries(addresses).sort_index().to_dict() == {"A": "KR", "B": "JP"}
    assert store_countries(addresses.drop(columns="country")).empty


@settings(deadline=None, max_examples=300)
@given(st.from_regex(r"\(\+86\)[ \-.]{0,2}1[3-9][0-9][ \-.]?[0-9]{4}[ \-.]?[0-9]{4}",
                     fullmatch=True))
def test_fast_phone_keys_take_bracketed_country_codes(number: str) -> None:
    assert _fast("phone", number) == (phone_key(number), True)


def _fast(kind: str, form: str, context: str | None = None) -> tuple[str, bool] | None:
    """The (key, valid) FAST_KEYS gives ``form``, or None when it leaves it to the rules."""
    contexts = None if context is None else pa.array([context])
    fast, keys, valid = FAST_KEYS[kind](pa.array([form]), contexts)
    return (keys[0].as_py(), bool(valid[0])) if fast[0] else None


def _result_or_error(func, *args) -> tuple[str, bool] | str:
    try:
        return func(*args)
    except ValueError:
        return "<error>"


ID_TEXT = st.text(st.sampled_from("0123456789xX -./_aZ\t·１"), max_size=22)
ID_TYPES = st.sampled_from(["", "CN_RESIDENT_ID", "PASSPORT", "cn_resident_id", " PASSPORT",
                            "BUSINESS_LICENSE", "USCC", "uscc", "HKID", "TW_ID"])


def _fast_id_shape(raw: str, id_type: str) -> bool:
    """The shapes :func:`normalize.fast_id_document_keys` promises to key (docs/input.md)."""
    key = re.sub(r"[ \-./_]", "", raw).upper()
    cn = id_type in ("", "CN_RESIDENT_ID")
    return (re.fullmatch(r"[0-9A-Za-z \-./_]*", raw) is not None and key != ""
            and re.fullmatch(r"[A-Z_]*", id_type) is not None
            and not (cn and re.fullmatch(r"[0-9]{15}", key))
            and id_type not in ("HKID", "TW_ID"))  # checked by the rule (rare)


@settings(deadline=None, max_examples=1000)
@given(st.one_of(ID_TEXT, st.from_regex(r"[1-6][0-9]{16}[0-9X]", fullmatch=True),
                 st.from_regex(r"[0-9]{15}", fullmatch=True),
                 st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{18}", fullmatch=True),
                 st.just("9135 0100 M000 100Y 43")), ID_TYPES)
def test_fast_id_document_keys_are_the_normalizer_results(raw: str, id_type: str) -> None:
    """Every form of the fast shape is keyed in Arrow, exactly as the rule keys it; the others
    are left to the rule."""
    found = _fast("id_document", raw, id_type)
    if _fast_id_shape(raw, id_type):
        assert found == id_document_key(raw, id_type or "CN_RESIDENT_ID")
    else:
        assert found is None


@settings(deadline=None, max_examples=1000)
@given(st.one_of(ID_TEXT, st.from_regex(r"[0-9]{4,32}", fullmatch=True)),
       st.sampled_from(["", "bank", "card", "wallet", "Bank", "other"]))
def test_fast_account_keys_are_the_normalizer_results(raw: str, account_type: str) -> None:
    """Every account of the fast shape (ASCII letters, digits and separators, of type bank,
    wallet or none) is keyed in Arrow, exactly as the rule keys it; the others (cards, other
    spellings of a type, other characters) are left to the rule."""
    found = _fast("payment", raw, account_type)
    if re.fullmatch(r"[0-9A-Za-z \-./_]*[0-9A-Za-z][0-9A-Za-z \-./_]*", raw) and \
            account_type in ("", "bank", "wallet"):
        assert found == account_key(raw, account_type or None)
    else:
        assert found is None


@settings(deadline=None, max_examples=1000)
@given(st.one_of(st.text(st.sampled_from("aZ09@._- +\tÉＡİ"), max_size=15),
                 st.from_regex(r" ?[a-zA-Z0-9._+-]{1,12}@[a-zA-Z0-9-]{1,8}\.[a-z]{2,4} ?",
                               fullmatch=True)))
def test_fast_email_keys_are_the_normalizer_keys(raw: str) -> None:
    """Every address of printable ASCII with an ``@`` is keyed in Arrow, exactly as the rule
    keys it; the others are left to the rule."""
    found = _fast("email", raw)
    if re.fullmatch(r"[\x20-\x7e]*@[\x20-\x7e]*", raw):
        assert found == (_result_or_error(email_key, raw), True)
    else:
        assert found is None


def test_fast_keys_take_the_common_shapes():
    assert _fast("id_document", "110105 19491231 002x", "CN_RESIDENT_ID") == (
        "11010519491231002X", True)
    assert _fast("id_document", "110105194912310021", "") == ("110105194912310021", False)
    assert _fast("id_document", "e9094408-5", "PASSPORT") == ("E90944085", True)
    assert _fast("id_document", "110105491231002", "") is None  # 15 digits: converted
    assert _fast("payment", "6222-0212-3456", "bank") == ("622202123456", True)
    assert _fast("payment", "12-34", "bank") == ("1234", False)
    assert _fast("payment", "wx-li.na", "wallet") == ("WXLINA", True)
    assert _fast("payment", "4111 1111 1111 1111", "card") is None  # Luhn: the Python rules
    assert _fast("email", " Li.Na@Example.COM ") == ("li.na@example.com", True)
    assert _fast("email", "li.na at example.com") is None  # no @: a reject, from the rules


def _fast_address_shape(prepared: str) -> bool:
    """The prepared forms :func:`normalize.fast_address_keys` promises to key: plain lower-case
    ASCII words and numbers, none glued together, no two number markers in a row."""
    tokens = prepared.split()
    markers = [t in ("no", "nr", "num", "number") for t in tokens]
    return (re.fullmatch(r"[a-z0-9 ]*", prepared) is not None and bool(tokens)
            and re.search(r"[a-z][0-9]|[0-9][a-z]", prepared) is None
            and not any(a and b for a, b in zip(markers, markers[1:], strict=False)))


def _check_fast_address_key(raw: str) -> None:
    prepared = _prepared("address", raw)
    found = _fast("address", prepared)
    if _fast_address_shape(prepared):
        assert found == (address_key(raw), True)
    else:
        assert found is None


@settings(deadline=None, max_examples=400)
@given(st.data(), address_parts())
def test_fast_address_keys_are_the_normalizer_keys(data: st.DataObject, parts: list) -> None:
    _check_fast_address_key(data.draw(rendered_address(parts)))


@settings(deadline=None, max_examples=1000)
@given(st.lists(st.sampled_from(["no", "nr", "number", "f", "5", "05", "rd", "st", "rm",
                                 "5th", "no.", "#", ",", "keyuan", "F", "Blk", "1st", "b",
                                 "栋", "Ｂ"]),
                min_size=1, max_size=8))
def test_fast_address_keys_on_tricky_tokens(tokens: list[str]) -> None:
    _check_fast_address_key(" ".join(tokens))


def test_fast_address_keys_take_plain_addresses_and_leave_the_rest():
    forms = pa.array(["room 5 88 keyuan rd no 7", "no no 88 x", "rm1203", "ünter 5",
                      "5 f bldg 2 st"])
    fast, keys, valid = FAST_KEYS["address"](forms, None)
    assert fast.tolist() == [True, False, False, False, True] and valid.all()
    assert keys.to_pylist() == ["room 5 88 keyuan road 7", "5 floor building 2 street"]


def test_a_store_listing_one_identifier_twice_has_one_link(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\nS2\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,phone\nS1,11010519491231002X,138 0013 8000\n"
        "S1,11010519491231002X,+86-138-0013-8000\nS2,44030419900101001X,13800138000\n",
        encoding="utf-8")
    (data / "addresses.csv").write_text(
        "store_id,address,address_type\nS1,88 Keyuan Rd,return\nS1,88 keyuan road,return\n"
        "S1,88 Keyuan Road,warehouse\n", encoding="utf-8")
    links = extract_identifiers(read_records(data, RejectsWriter(None)),
                                RejectsWriter(None)).links
    phones = links[links["kind"] == "phone"]
    assert sorted(phones["store_id"]) == ["S1", "S2"]
    assert phones.set_index("store_id").at["S1", "raw"] == "138 0013 8000"  # the first kept
    addresses = links[links["kind"] == "address"]
    assert sorted(addresses["address_type"]) == ["return", "warehouse"]


def test_business_licences_link_as_one_company_identifier(tmp_path):
    """A unified social credit code written under either company id_type is one identifier,
    checked by its own check character; a Chinese-script address in four spellings is one."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\nS2\nS3\nS4\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,id_type\nS1,91350100M000100Y43,BUSINESS_LICENSE\n"
        "S2,9135 0100-M000 100y43,uscc\nS3,91350100M000100Y44,USCC\n", encoding="utf-8")
    (data / "addresses.csv").write_text(
        "store_id,address\nS1,广东省深圳市福田区天安数码城B栋504室\nS2,深圳市福田区天安数码城B座504号\n"
        "S3,福田区 天安数码城 B栋 504室\nS4,广东 深圳市 福田区天安数码城Ｂ座５０４室\n",
        encoding="utf-8")
    ids = extract_identifiers(read_records(data, RejectsWriter(None)), RejectsWriter(None))
    docs = ids.parts["id_document"].set_index("store_id")
    assert docs.loc[["S1", "S2"], "key"].tolist() == ["91350100M000100Y43"] * 2
    assert docs.loc[["S1", "S2", "S3"], "valid"].tolist() == [True, True, False]
    assert docs["id_type"].tolist() == ["BUSINESS_LICENSE", "USCC", "USCC"]
    addresses = ids.links[ids.links["kind"] == "address"]
    assert addresses["key"].unique().tolist() == ["福田区天安数码城 b 栋 504 号"]


@settings(deadline=None, max_examples=500)
@given(st.lists(st.text(max_size=12) | st.text("aZ09 -_.™Ｍé", max_size=8), max_size=6))
def test_brand_keys_of_a_column_are_the_brand_keys(brands: list[str]) -> None:
    column = pd.Series(brands, dtype=str)
    assert store_brand_keys(column).tolist() == [store_brand_key(b) for b in brands]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["k1", "k2", "k3", "", None]), st.integers(0, 9)),
                max_size=40))
def test_identifier_nodes_are_each_keys_first_link_and_each_link_finds_its_node(rows):
    """The bulk load numbers a link's node by the factorize that made the nodes: the nodes are
    what keeping each key's first link gives, and each link's number points at its key."""
    links = pd.DataFrame({"key": pd.array([k for k, _ in rows], dtype="string[pyarrow]"),
                          "institution": [f"bank {n}" for _, n in rows],
                          "store_id": [f"S{i}" for i in range(len(rows))]})
    nodes, codes = _first_per_key(links, ("institution", "account_type"))
    expected = links.drop_duplicates("key", keep="first")[["key", "institution"]]
    pd.testing.assert_frame_equal(nodes, expected.reset_index(drop=True))
    assert len(codes) == len(links)
    assert nodes["key"].take(codes).reset_index(drop=True).equals(links["key"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["k1", "k2", "k3", "k4"]), max_size=30), st.randoms())
def test_identifier_nodes_from_the_keyings_numbers_are_those_of_the_keys(keys, random):
    """The keying's numbers of the keys (any numbering where equal keys share one number, as
    the extraction leaves them) give the nodes and link numbers that factorizing the keys
    gives: the bulk load takes them instead of hashing every key again."""
    links = pd.DataFrame({"key": pd.array(keys, dtype="string[pyarrow]"),
                          "institution": [f"bank {i}" for i in range(len(keys))]})
    numbers = dict(zip(["k1", "k2", "k3", "k4"], random.sample(range(10), 4), strict=True))
    keyed = np.array([numbers[k] for k in keys], dtype=np.int64)
    nodes, codes = _first_per_key(links, ("institution",), keyed)
    expected_nodes, expected_codes = _first_per_key(links, ("institution",))
    pd.testing.assert_frame_equal(nodes, expected_nodes)
    assert codes.tolist() == expected_codes.tolist()


def test_extraction_numbers_each_kinds_keys_for_the_nodes():
    """extract_identifiers leaves each kind's key numbers, and the nodes made from them are
    the nodes made by factorizing the keys (sample_data)."""
    ids = extract_identifiers(read_records(SAMPLE_DATA))
    assert set(ids.key_codes) == set(KINDS)
    for kind in KINDS:
        part = ids.parts[kind]
        assert ids.key_codes[kind][0] is part
        nodes, codes = _first_per_key(part, NODE_PROPERTIES[kind], ids.key_codes[kind][1])
        expected_nodes, expected_codes = _first_per_key(part, NODE_PROPERTIES[kind])
        pd.testing.assert_frame_equal(nodes, expected_nodes)
        assert codes.tolist() == expected_codes.tolist()
