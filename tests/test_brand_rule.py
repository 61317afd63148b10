"""One brand-variant rule (graphaudit/scoring.py) for the scoring and for both brand queries."""

from __future__ import annotations

import itertools
import string

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from graphaudit.cli import main
from graphaudit.queries import find_query, run_query
from graphaudit.scoring import brand_relation, brand_variant_bases, brand_variants

BASES = ["mpow", "anker", "vantrue", "abc", "ab"]
FORWARD = {"prefix added", "suffix added", "one edit"}


def candidates(base: str) -> set[str]:
    """Brand keys around ``base``: affixes of 1..9 letters both ways, every deletion, some
    substitutions and insertions, and unrelated keys."""
    keys = {base, "zzzzzz", base[::-1]}
    for n in range(1, 10):
        keys |= {"x" * n + base, base + "q" * n, base[n:], base[:-n]}
    for i in range(len(base) + 1):
        keys.add(base[:i] + base[i + 1:])
        keys |= {base[:i] + c + base[i:] for c in "aez"}
        keys |= {base[:i] + c + base[i + 1:] for c in "aez"}
    return {k for k in keys if k}


def test_the_scoring_flags_exactly_the_forward_relations():
    for base in BASES:
        keys = sorted(candidates(base))
        found = brand_variants(keys, [base])
        for key in keys:
            assert (found.get(key) == base) == (brand_relation(key, base) in FORWARD), key


def test_four_letter_brands_have_no_one_edit_variants():
    assert brand_relation("mpaw", "mpow") is None
    assert brand_relation("ankar", "anker") == "one edit"
    assert brand_relation("xab", "ab") is None and brand_relation("xabc", "abc") == "prefix added"


@pytest.mark.neo4j
def test_the_brand_variants_query_applies_the_same_rule(clean_graph, neo4j_env):
    keys = sorted(set(itertools.chain.from_iterable(candidates(b) for b in BASES))
                  | set(string.ascii_lowercase))
    clean_graph.run_write(
        "UNWIND range(0, size($keys) - 1) AS i "
        "CREATE (:Store {store_id: 'S' + toString(i), brand: $keys[i], brand_key: $keys[i], "
        "status: 'active'})", keys=keys)
    query = find_query("brand-variants")
    for base in BASES:
        result = run_query(clean_graph, query, {"brand": base})
        got = {r["brand_key"]: r["relation"] for r in result.rows}
        expected = {k: brand_relation(k, base) for k in keys if brand_relation(k, base)}
        assert got == expected, base


@pytest.mark.neo4j
def test_suspended_brand_reuse_lists_what_the_scoring_counted(clean_graph, neo4j_env,
                                                             tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = [  # store, brand, opened, status, suspended
        ("B1", "Vantrue", "2019-01-01", "suspended", "2021-01-01"),
        ("B2", "Mpow", "2019-01-01", "suspended", "2021-01-01"),
        ("V1", "Vantru", "2021-03-01", "active", ""),      # one edit, in the window
        ("V2", "Vantrue", "2021-02-01", "active", ""),     # the same brand, in the window
        ("V3", "XVantrue", "2020-06-01", "active", ""),    # opened before the ban
        ("V4", "VantruePro", "2023-01-01", "active", ""),  # two years after the ban
        ("V5", "Mpaw", "2021-02-01", "active", ""),        # one edit to a 4-letter brand
        ("V6", "Mpow Direct", "2021-01-15", "active", ""),  # a suffix, in the window
        ("B3", "Anker", "2017-01-01", "suspended", "2018-01-01"),
        ("B4", "Anker", "2020-01-01", "suspended", "2021-01-01"),
        ("V7", "AnkerPro", "2021-02-20", "active", ""),    # in the later ban's window
    ]
    (data / "stores.csv").write_text(
        "store_id,name,brand,opened_on,status,suspended_on\n"
        + "".join(f"{s},{b} shop,{b},{o},{st},{su}\n" for s, b, o, st, su in rows),
        encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(data), "-q", "--rejects",
                                str(tmp_path / "r.csv")]).exit_code == 0
    assert runner.invoke(main, ["cluster", "-q"]).exit_code == 0
    result = run_query(clean_graph, find_query("suspended-brand-reuse"), {})
    assert [(r["store_id"], r["relation"], r["suspended_brand"]) for r in result.rows] == [
        ("V6", "suffix added", "mpow"), ("V2", "same", "vantrue"),
        ("V7", "suffix added", "anker"), ("V1", "one edit", "vantrue")]
    # counted from the ban whose window holds the store (V7: B4's, not B3's three years before)
    assert [r["days_after_ban"] for r in result.rows] == [14, 31, 50, 59]
    assert str(result.rows[2]["first_suspended_on"]) == "2018-01-01"


def test_the_risk_factor_names_the_brand_the_linkage_weighs():
    # One window rule for the "brand variant" factor, variant_of and the linkage's near level
    # (scoring.brand_windows). V1 ("luxkl", one letter from "luxka" and from "luxel") opened
    # two months after B0's "luxka" ban; another seller's "luxel" store X9 was banned three
    # years later. V2 ("vantruepro") opened two months after B2's "vantrue" ban; another
    # seller's "vantrue" store B1 was banned three years before. The linkage weighed both as
    # returns, while the factor named the rule's first brand and counted from its first ban
    # only: it showed neither.
    from graphaudit.analysis import analyze

    stores = pd.DataFrame({
        "store_id": ["B0", "X9", "V1", "B1", "B2", "V2", "V3"],
        "status": ["suspended", "suspended", "active", "suspended", "suspended", "active",
                   "active"],
        "opened_on": ["2020-06-01", "2023-01-01", "2021-03-01", "2017-01-01", "2020-01-01",
                      "2021-03-01", "2022-06-01"],
        "suspended_on": ["2021-01-01", "2024-01-01", "", "2018-01-01", "2021-01-01", "", ""],
        "brand": ["Luxka", "Luxel", "Luxkl", "Vantrue", "Vantrue", "VantruePro", "Vantrue"]})
    links = pd.DataFrame({"store_id": ["B0", "V1"], "kind": ["payment"] * 2,
                          "key": ["6222"] * 2, "holder_name": [""] * 2})
    result = analyze(stores, links)
    weighed = result.linkage.graph.stores.set_index("store_id")["brand_after"]
    assert weighed["V1"] == "luxka" and weighed["V2"] == "vantrue"
    for sid, base, relation in (("V1", "luxka", "one edit"), ("V2", "vantrue", "suffix added")):
        row = result.store(sid)
        assert (row["variant_of"], row["brand_reuse_of"], row["brand_reuse"]) == (
            base, base, relation), sid
        factors = result.clusters.set_index("cluster_id").loc[row["cluster_id"], "risk_factors"]
        assert "brand variant" in factors, sid
    # V3 reuses "vantrue" itself 17 months after its last ban: outside every window
    assert result.store("V3")["brand_reuse"] == ""


def plain_variant_bases(brands, suspended):
    """brand_variant_bases read off brand_relation, pair by pair: each brand's suspended
    brands other than itself (a suspended brand varies the others too), added affixes first
    (shortest first, a prefix before a suffix of one length), then one-edit neighbours in
    sorted order."""
    banned = {b for b in suspended if b and len(b) >= 3}
    found = {}
    for brand in sorted({b for b in brands if b}):
        ranked = []
        for base in banned:
            relation = brand_relation(brand, base)
            cut = len(brand) - len(base)
            rank = {"prefix added": 2 * cut, "suffix added": 2 * cut + 1,
                    "one edit": 100}.get(relation)
            if rank is not None:
                ranked.append((rank, base))
        if ranked:
            found[brand] = tuple(base for _, base in sorted(ranked))
    return found


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("abé两", max_size=9), max_size=40),
       st.lists(st.text("abé两", max_size=9), max_size=12))
@example(["aé两两", "roixstore"], ["é两两", "aé两两", "roix", "roixstore"])  # suspended variants
def test_the_variant_bases_found_in_arrow_are_the_rules_pair_by_pair(brands, suspended):
    """brand_variant_bases (every brand at once, in Arrow) names each brand's suspended brands
    as brand_relation does one pair at a time, in the rule's order, and takes any column."""
    want = plain_variant_bases(brands, suspended)
    assert brand_variant_bases(brands, suspended) == want
    assert list(brand_variant_bases(pd.Series(brands, dtype="str"), set(suspended))) == \
        list(want)


def test_a_brand_relisted_with_lookalike_letters_is_reuse_and_variant():
    """REPORT4 item 8: Cyrillic look-alike letters neither hide a reuse nor a variant."""
    from graphaudit import pipeline

    brands = {"A1": "Mpow", "A2": "\u041cp\u043ew", "A3": "\u041cpow", "A6": "M\u0440\u043ew",
              "A5": "ＭＰＯＷ", "A8": "\u041cp\u043ewPro"}
    stores = pd.DataFrame({
        "store_id": list(brands), "brand": list(brands.values()),
        "status": ["suspended"] + ["active"] * (len(brands) - 1),
        "opened_on": ["2020-01-01"] + ["2021-02-01"] * (len(brands) - 1),
        "suspended_on": ["2021-01-01"] + [""] * (len(brands) - 1)})
    links = pd.DataFrame({"store_id": pd.Series([], dtype=str),
                          "kind": pd.Series([], dtype=str), "key": pd.Series([], dtype=str)})
    result = pipeline.analyze(stores, links)
    for store_id in ("A2", "A3", "A6", "A5"):
        assert result.store(store_id)["brand_reuse"] == "same", store_id
        assert result.store(store_id)["brand_reuse_of"] == "mpow", store_id
    assert result.store("A8")["brand_reuse"] == "suffix added"
