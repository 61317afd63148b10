"""One brand-variant rule (graphaudit/scoring.py) for the scoring and for both brand queries."""

from __future__ import annotations

import itertools
import string

import pytest
from click.testing import CliRunner

from graphaudit.cli import main
from graphaudit.queries import find_query, run_query
from graphaudit.scoring import brand_relation, brand_variants

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
        ("V1", "one edit", "vantrue")]
    assert [r["days_after_ban"] for r in result.rows] == [14, 31, 59]
