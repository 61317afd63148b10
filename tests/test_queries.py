"""The analysts' Cypher library: headers, parameters, masking, docs, and every query run against
the real server on sample_data/, loaded and clustered once for this module."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphaudit import normalize
from graphaudit.cli import main
from graphaudit.errors import QueryError
from graphaudit.privacy import pseudonym, scrub
from graphaudit.queries import (
    QUERY_DIR,
    RULE_PARAMETERS,
    ParameterError,
    bind_parameters,
    docs_markdown,
    find_query,
    format_result,
    load_library,
    mask_row,
    parse_query,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
DOCS_PATH = ROOT / "docs" / "queries.md"
REQUIRED = {
    "store-neighbourhood": {"store_id", "hops"},
    "shared-identifiers": {"store_id"},
    "path-between": {"a", "b", "max_hops"},
    "cluster-members": {"cluster_id"},
    "riskiest-clusters": {"limit"},
    "linked-to-suspended": {"limit"},
    "reopened-after-ban": {"days"},
    "brand-variants": {"brand"},
    "hub-identifiers": {"min_stores"},
    "identifier-stores": {"kind", "value"},
}


# ---------------------------------------------------------------------------------------------
# The library itself (no server)


def test_library_has_the_required_queries_with_their_parameters():
    library = load_library()
    for name, params in REQUIRED.items():
        assert name in library, name
        assert params <= {p.name for p in library[name].params}, name
    assert len(library) >= 14  # the investigators' next questions too
    assert "schema" not in library


def test_every_query_is_documented_and_its_examples_bind():
    for query in load_library().values():
        assert query.path.stem == query.name
        assert query.description and query.returns, query.name
        for p in query.params:
            assert p.help, (query.name, p.name)
            assert p.example is not None, (query.name, p.name)
        examples = {p.name: p.example for p in query.params}
        bound = bind_parameters(query, examples)
        rules = {name for name in RULE_PARAMETERS if f"${name}" in query.statement}
        assert set(bound) == {p.name for p in query.params} | rules
        assert all(bound[name] == RULE_PARAMETERS[name] for name in rules)


def test_rule_parameters_come_from_the_scoring_and_cannot_be_given():
    from graphaudit.scoring import MAX_AFFIX, MIN_AFFIX_BASE, MIN_EDIT

    query = find_query("brand-variants")
    bound = bind_parameters(query, {"brand": "Mpow"})
    assert (bound["brand_min_edit"], bound["brand_max_affix"],
            bound["brand_min_affix_base"]) == (MIN_EDIT, MAX_AFFIX, MIN_AFFIX_BASE)
    with pytest.raises(ParameterError, match="unknown parameter 'brand_min_edit'"):
        bind_parameters(query, {"brand": "Mpow", "brand_min_edit": "2"})


def test_queries_never_build_text_from_values():
    """Values travel as parameters: no query text carries a placeholder to fill in."""
    for query in load_library().values():
        assert "{{" not in query.statement and "%s" not in query.statement, query.name
        assert "MERGE" not in query.statement and "CREATE" not in query.statement, query.name


def test_docs_are_generated_from_the_headers():
    """docs/queries.md cannot drift: regenerate with `python -m graphaudit.queries --docs
    docs/queries.md`."""
    assert DOCS_PATH.read_text(encoding="utf-8") == docs_markdown()
    text = docs_markdown()
    for name in load_library():
        assert f"\n## {name}\n" in text
        assert f"graphaudit query {name}" in text


HEADER = """\
// name: demo
// description: A demo.
// param: n int[1..5] = 2 example 3 -- a small number
// param: since date (required) example 2024-01-31 -- a day
// param: ids list = "S1,S2" example S1,S3 -- stores
// param: kind kind = phone example email -- a kind
// param: value identifier(kind) = null example x@y.cn -- an identifier
// param: flag bool = false example true -- a flag
// Some guide text
// on two lines.
RETURN $n AS n, $since AS since, $ids AS ids, $kind AS kind, $value AS value, $flag AS flag;
"""


def test_header_parsing_and_typed_parameters():
    query = parse_query(HEADER)
    assert query.name == "demo" and query.notes == ("Some guide text", "on two lines.")
    assert [p.name for p in query.params] == ["n", "since", "ids", "kind", "value", "flag"]
    assert not query.statement.rstrip().endswith(";")
    bound = bind_parameters(query, {"since": "2024-02-29", "kind": "Phone",
                                    "value": "(+86) 138-0013-8000", "flag": "yes"})
    assert bound == {"n": 2, "since": dt.date(2024, 2, 29), "ids": ["S1", "S2"],
                     "kind": "phone", "value": "+8613800138000", "flag": True}
    bound = bind_parameters(query, {"since": "2024-01-01", "kind": "id_number",
                                    "value": "110105 19491231 002x", "ids": " S9 , S8,"})
    assert bound["value"] == "11010519491231002X" and bound["ids"] == ["S9", "S8"]
    assert bound["value"] is not None and bound["kind"] == "id_document"


@pytest.mark.parametrize(("given", "named"), [
    ({}, "missing parameter 'since'"),
    ({"since": "2024-01-01", "limit": "3"}, "unknown parameter 'limit'"),
    ({"since": "yesterday"}, "parameter 'since'"),
    ({"since": "2024-01-01", "n": "9"}, "parameter 'n'"),
    ({"since": "2024-01-01", "n": "two"}, "parameter 'n'"),
    ({"since": "2024-01-01", "kind": "fax"}, "parameter 'kind'"),
    ({"since": "2024-01-01", "kind": "email", "value": "no at sign"}, "parameter 'value'"),
    ({"since": "2024-01-01", "flag": "maybe"}, "parameter 'flag'"),
])
def test_bad_parameters_are_errors_that_name_them(given, named):
    with pytest.raises(ParameterError, match=named):
        bind_parameters(parse_query(HEADER), given)


def test_parameters_the_driver_cannot_send_are_usage_errors():
    """REPORT7 items 4 and 5: bytes that are not UTF-8 (as a terminal of another encoding
    passes them) and an integer beyond 64 bits stopped the driver with a traceback."""
    query = parse_query("// name: x\n// param: n int[0..99999999999999999999999]\nRETURN $n")
    with pytest.raises(ParameterError, match="parameter 'n'.*64 bits"):
        bind_parameters(query, {"n": "99999999999999999999"})
    assert bind_parameters(query, {"n": str((1 << 63) - 1)}) == {"n": (1 << 63) - 1}
    result = CliRunner().invoke(main, ["query", "cluster-members", "-p",
                                       "cluster_id=\udcff\udcfe"])
    assert result.exit_code == 2, result.output
    assert "parameter 'cluster_id'" in result.output and "not UTF-8" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("seconds", ["nan", "inf", "1e300"])
def test_a_timeout_the_driver_cannot_send_is_a_usage_error(seconds):
    """REPORT7 item 9: `--timeout nan` (which passes every FloatRange), `inf` and `1e300`
    stopped the driver with a traceback (ValueError, OverflowError)."""
    result = CliRunner().invoke(main, ["query", "riskiest-clusters", "--timeout", seconds])
    assert result.exit_code == 2, result.output
    assert "'--timeout'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("text", "message"), [
    ("// name: x\nRETURN $y", "undeclared parameter"),
    ("// name: x\n// param: n integer\nRETURN $n", "unknown type"),
    ("// name: x\n// param: n int = \nRETURN $n", "without a default"),
    ("// name: x\n// param: v identifier(k)\nRETURN $v", "not declared"),
    ("// name: x\nRETURN 1; RETURN 2", "more than one statement"),
    ("// name: x\n// nothing else", "no query"),
])
def test_malformed_headers_are_refused(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_a_file_without_header_takes_the_parameters_it_uses(tmp_path):
    path = tmp_path / "mine.cypher"
    path.write_text("MATCH (s:Store {store_id: $sid}) // not $this\nRETURN s, '$not_that'\n")
    query = find_query(str(path))
    assert query.name == "mine" and [p.name for p in query.params] == ["sid"]
    with pytest.raises(ParameterError, match="missing parameter 'sid'"):
        bind_parameters(query, {})


def test_unknown_query_names_the_closest():
    with pytest.raises(ParameterError, match="path-between"):
        find_query("path")


def test_masking_rules():
    row = {"kind": "id_document", "identifier": "44030119900101123X",
           "raw": ["4403 0119 9001 0112 3x"], "store_ids": ["S1"],
           "phone": "+8613800138000",
           "links": [{"kind": "payment", "key": "6222020200112233445"}],
           "node": {"_labels": ["Email"], "key": "li.na@example.com"},
           "rel": {"_type": "PAID_TO", "raw": "6222-0202-0011-2233-445"}}
    masked = mask_row(row)
    assert masked["identifier"].startswith("****123X #")
    assert masked["raw"] == ["**** **** **** **12 3x"]
    assert masked["store_ids"] == ["S1"]
    assert masked["phone"].startswith("+86****000 #")
    assert masked["links"][0]["key"].startswith("**** 3445 #")
    assert masked["node"]["key"].startswith("l***@example.com #")
    assert masked["rel"]["raw"] == "****-****-****-***3-445"
    address = {"kind": "address", "identifier": "room 1 building 2", "raw": "Rm 1 Bldg 2"}
    assert mask_row(address) == address


def test_free_text_holding_a_phone_is_scrubbed_not_starred_as_a_spelling():
    """REPORT8 item 5: a status reason holding a phone of the graph (`刷单 联系 13800138000`)
    was found as a spelling of that phone and masked whole, `** ** ********000`, where the
    report shows it scrubbed. Text with words is scrubbed; a spelling is still one, masked as
    it was; the phone is in clear in neither."""
    reason, spelling = "刷单 联系 13800138000", "+86 138-0013-8000"
    known = {reason: ("phone", False), spelling: ("phone", False),
             "Tel. 138 0013 8000 office": ("phone", False)}
    masked = mask_row({"status_reason": reason, "written": spelling,
                       "note": "Tel. 138 0013 8000 office"}, known=known, secret=b"k" * 32)
    assert masked["status_reason"] == scrub(reason) == "刷单 联系 ****8000"
    assert masked["written"] == "+** ***-****-*000"
    assert masked["note"] == scrub("Tel. 138 0013 8000 office")
    assert all("0013" not in text for text in masked.values())


def test_a_key_inside_a_longer_string_is_masked_as_the_key():
    """REPORT9 item 7: `'id ' + d.key` came out `id TZ1234567`, a passport's key in clear (the
    value as a whole is no key, and seven digits pass the scrub). Each word of a returned
    string that is a key of the graph is looked up, and masked as that key, with its tag; the
    rest is scrubbed; a word that is no key (a store id) stays."""
    from graphaudit.queries.run import _strings

    secret = b"k" * 32
    label, other = "id A1234567 of S0000041, tel 138 0013 8000", "id A1234568"
    strings: set[str] = set()
    _strings({"a": label, "b": [other], "c": "A1234567"}, strings)
    assert {"A1234567", "A1234568", "S0000041"} <= strings  # the words are looked up
    known = {"A1234567": ("id_document", True), "S0000041": ("store_id", True)}
    masked = mask_row({"label": label, "others": [other], "key": "A1234567"}, known=known,
                      secret=secret)
    tag = pseudonym("id_document", "A1234567", secret)
    assert masked["label"] == f"id ****4567 {tag} of S0000041, tel ****8000"
    assert masked["others"] == ["id A1234568"]  # no key of the graph: scrubbed, nothing found
    assert masked["key"] == f"****4567 {tag}"
    # a word that is only a spelling of a key is left to the scrub, as free text is
    spelled = mask_row({"r": "same as 13800138000 here"},
                       known={"13800138000": ("phone", False)}, secret=secret)
    assert spelled["r"] == "same as ****8000 here"


def test_output_formats():
    rows = [{"a": 1, "b": ["x", "y"], "c": None, "d": True}]
    assert format_result(["a", "b", "c", "d"], rows, "csv") == "a,b,c,d\n1,x;y,,true\n"
    assert format_result(["a"], [], "csv") == "a\n"
    assert json.loads(format_result(["a", "b", "c", "d"], rows, "json")) == rows
    assert format_result(["a"], [], "table") == "a\n(no rows)\n"


def test_list_prints_every_query_without_a_server():
    runner = CliRunner()
    table = runner.invoke(main, ["query", "--list"])
    assert table.exit_code == 0, table.output
    json_out = runner.invoke(main, ["query", "--list", "--format", "json"])
    listed = json.loads(json_out.output)
    assert {q["name"] for q in listed} == set(load_library())
    for entry in listed:
        assert set(entry) == {"name", "description", "parameters"}
        assert entry["name"] in table.output
        for p in entry["parameters"]:
            assert {"name", "type", "required", "default", "example"} <= set(p)
    path = next(q for q in listed if q["name"] == "path-between")
    assert [p["name"] for p in path["parameters"]][:3] == ["a", "b", "max_hops"]


@pytest.mark.parametrize(("args", "named"), [
    (["query", "no-such-query"], "unknown query 'no-such-query'"),
    (["query", "path-between", "-p", "a=S1"], "missing parameter 'b'"),
    (["query", "path-between", "-p", "a=S1", "-p", "b=S2", "-p", "hops=2"],
     "unknown parameter 'hops'"),
    (["query", "path-between", "-p", "a=S1", "-p", "b=S2", "-p", "max_hops=99"],
     "parameter 'max_hops'"),
    (["query", "path-between", "-p", "a"], "write -p NAME=VALUE"),
    (["query"], "give a query NAME or FILE"),
])
def test_usage_errors_exit_2_and_name_the_problem(args, named):
    result = CliRunner().invoke(main, args, env={"NEO4J_URI": "bolt://127.0.0.1:1"})
    assert result.exit_code == 2, result.output
    assert named in result.output


# ---------------------------------------------------------------------------------------------
# Against the real server: sample_data/, loaded and clustered once


@pytest.fixture(scope="module")
def env(neo4j_settings):
    return {"NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
            "NEO4J_PASSWORD": neo4j_settings.password,
            "NEO4J_DATABASE": neo4j_settings.database}


@pytest.fixture(scope="module")
def loaded(graph_store, env, tmp_path_factory):
    """sample_data/ loaded and clustered, from an empty database; yields the store."""
    if not (SAMPLE_DATA / "truth.csv").exists():
        pytest.fail("sample_data/ is missing: run `graphaudit sample` (see README)")
    graph_store.delete_all()
    runner = CliRunner()
    rejects = tmp_path_factory.mktemp("queries") / "rejects.csv"
    result = runner.invoke(main, ["load", str(SAMPLE_DATA), "-q", "--rejects", str(rejects)],
                           env=env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["cluster", "-q"], env=env)
    assert result.exit_code == 0, result.output
    return graph_store


@pytest.fixture(scope="module")
def truth() -> list[dict]:
    with open(SAMPLE_DATA / "truth.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def operators(truth) -> dict[str, list[dict]]:
    by_operator: dict[str, list[dict]] = defaultdict(list)
    for row in truth:
        by_operator[row["operator_id"]].append(row)
    return by_operator


@pytest.fixture(scope="module")
def cluster_of(loaded) -> dict[str, str]:
    rows = loaded.run_read("MATCH (s:Store) RETURN s.store_id AS s, s.cluster_id AS c")
    return {row["s"]: row["c"] for row in rows}


@pytest.fixture(scope="module")
def query(loaded, env):
    """Run ``graphaudit query NAME -p k=v ...``; return the parsed JSON rows."""
    runner = CliRunner()

    def run(name: str, *extra: str, show_pii: bool = False, **params: object) -> list[dict]:
        args = ["query", name, "--format", "json", *extra]
        for key, value in params.items():
            args += ["-p", f"{key}={value}"]
        if show_pii:
            args.append("--show-pii")
        result = runner.invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run


def _planted(row: dict, prefix: str) -> list[str]:
    return [f.split(":", 1)[1] for f in row["planted"].split(";") if f.startswith(prefix + ":")]


def _evaders(truth) -> list[dict]:
    return [row for row in truth if row["is_evader"] == "true"]



@pytest.mark.neo4j
def test_every_query_runs_with_its_examples_or_real_values(query, loaded, cluster_of, truth):
    """A smoke run of the whole library with values taken from the graph."""
    evader = _evaders(truth)[0]["store_id"]
    values = {"store_id": evader, "a": evader, "b": evader, "cluster_id": cluster_of[evader],
              "brand": "anything", "kind": "phone", "value": "13800138000"}
    for name, q in load_library().items():
        given = {p.name: values[p.name] for p in q.params if p.required}
        query(name, **given)  # exit 0 and JSON, asserted inside


@pytest.mark.neo4j
def test_path_between_two_stores_of_one_operator_and_none_to_a_stranger(
        query, operators, cluster_of):
    operator = next(
        rows for rows in operators.values()
        if 3 <= len(rows) <= 30 and all(r["planted"] == "" for r in rows)
        and len({cluster_of[r["store_id"]] for r in rows}) == 1
    )
    a, b = operator[0]["store_id"], operator[-1]["store_id"]
    path = query("path-between", a=a, b=b, max_hops=10)
    assert path, f"no path between {a} and {b}"
    assert [r["step"] for r in path] == list(range(len(path)))
    assert path[0]["identifier"] == a and path[-1]["identifier"] == b
    assert path[0]["kind"] == path[-1]["kind"] == "store"
    stores = [r["identifier"] for r in path if r["kind"] == "store"]
    assert {cluster_of[s] for s in stores} == {cluster_of[a]}
    for row in path[1:]:
        assert row["link"]
    for row in path:
        if row["kind"] in ("id_document", "payment", "phone", "email"):
            assert "*" in row["identifier"] and "#" in row["identifier"]

    stranger = next(
        rows[0]["store_id"] for rows in operators.values()
        if len(rows) == 1 and rows[0]["planted"] == ""
        and sum(c == cluster_of[rows[0]["store_id"]] for c in cluster_of.values()) == 1
    )
    assert query("path-between", a=a, b=stranger) == []
    assert query("path-between", a=stranger, b=a, max_hops=10) == []


@pytest.mark.neo4j
def test_path_between_goes_through_a_hub_only_when_asked(query, truth, operators, cluster_of):
    """Two unrelated operators served by one 3PL or agency are tied only through that hub."""
    by_hub: dict[str, list[dict]] = defaultdict(list)
    for row in truth:
        for hub in _planted(row, "hub"):
            by_hub[hub].append(row)
    for rows in by_hub.values():
        ops = {r["operator_id"] for r in rows}
        if len(ops) < 3:
            continue
        a = rows[0]
        b = next(r for r in rows if r["operator_id"] != a["operator_id"])
        if cluster_of[a["store_id"]] == cluster_of[b["store_id"]]:
            continue
        assert query("path-between", a=a["store_id"], b=b["store_id"], max_hops=10) == []
        via_hub = query("path-between", a=a["store_id"], b=b["store_id"], max_hops=10,
                        include_hubs="true")
        assert via_hub and via_hub[-1]["identifier"] == b["store_id"]
        return
    pytest.fail("sample_data has no hub shared by unrelated operators")


@pytest.mark.neo4j
def test_reopened_after_ban_finds_the_planted_evaders(query, truth, operators):
    rows = query("reopened-after-ban", days=365)
    found = {r["store_id"] for r in rows}
    evaders = {r["store_id"] for r in _evaders(truth)}
    assert evaders, "sample_data plants no evaders"
    assert evaders <= found, f"missed evaders: {sorted(evaders - found)}"
    operator_of = {r["store_id"]: r["operator_id"] for r in truth}
    suspended_operators = {r["operator_id"] for r in truth if r["is_suspended"] == "true"}
    for row in rows:
        assert 1 <= row["days_after"] <= 365
        assert row["suspended_on"] < row["opened_on"]
        # Every hit is a store of an operator that really had a store suspended.
        assert operator_of[row["store_id"]] in suspended_operators, row
    evader_rows = [r for r in rows if r["store_id"] in evaders]
    assert any(r["shared_with_banned"] for r in evader_rows)
    # A tight window keeps only the quick comebacks.
    quick = query("reopened-after-ban", days=30)
    assert {r["store_id"] for r in quick} <= found
    assert all(r["days_after"] <= 30 for r in quick)


@pytest.mark.neo4j
def test_store_neighbourhood_stays_in_the_cluster_unless_hubs_are_included(
        query, truth, cluster_of):
    hub_user = next(r for r in truth if _planted(r, "hub") and int(r["operator_size"]) >= 3)
    store = hub_user["store_id"]
    near = query("store-neighbourhood", store_id=store, hops=1)
    wider = query("store-neighbourhood", store_id=store, hops=3)
    assert near and {r["store_id"] for r in near} <= {r["store_id"] for r in wider}
    assert all(r["hops"] == 1 and r["via"] and r["from"] == [store] for r in near)
    hops_of = {r["store_id"]: r["hops"] for r in wider} | {store: 0}
    for row in wider:
        assert row["same_cluster"] and cluster_of[row["store_id"]] == cluster_of[store]
        assert 1 <= row["hops"] <= 3 and row["via"]
        assert all(hops_of[f] == row["hops"] - 1 for f in row["from"])
    assert [r["hops"] for r in wider] == sorted(r["hops"] for r in wider)
    assert len({r["store_id"] for r in wider}) == len(wider)
    with_hubs = query("store-neighbourhood", store_id=store, hops=1, include_hubs="true")
    assert any(not r["same_cluster"] for r in with_hubs)


@pytest.mark.neo4j
def test_store_neighbourhood_through_hubs_is_cut_at_its_limit_and_says_so(query, truth):
    """Through hubs, a few hops reach most of a big graph and ran the server out of transaction
    memory. A level follows identifiers only while the stores they reach add up to 4 x limit
    (the widest are skipped by their degree, not expanded), and the search stops at the level
    where it passes ``limit`` stores; either way it lists the nearest stores it found and ends
    with a row that says why it was cut; under the limit there is no such row."""
    hub_user = next(r for r in truth if _planted(r, "hub") and int(r["operator_size"]) >= 3)
    store = hub_user["store_id"]
    whole = query("store-neighbourhood", store_id=store, hops=3, include_hubs="true")
    assert len(whole) > 12 and all(r["store_id"] for r in whole)
    nearest = {r["store_id"]: r["hops"] for r in whole}
    for limit in (3, 10):
        cut = query("store-neighbourhood", store_id=store, hops=3, include_hubs="true",
                    limit=limit)
        *listed, last = cut
        assert 1 <= len(listed) <= limit and all(r["store_id"] for r in listed)
        assert last["store_id"] is None and last["name"].startswith("cut: ")
        assert 1 <= last["hops"] <= 3
        assert all(nearest[r["store_id"]] == r["hops"] <= last["hops"] for r in listed)
        assert [r["hops"] for r in listed] == sorted(r["hops"] for r in listed)
        skipped = re.search(r"(\d+) identifiers shared by more than (\d+) stores "
                            r"\(the widest by (\d+)\)", last["name"])
        assert skipped, last["name"]  # the hub would pass 4 x limit store links: not followed
        count, top, widest = (int(g) for g in skipped.groups())
        assert count >= 1 and top < widest and top <= 4 * limit
        # the stores of the skipped identifiers are missing, not listed at a later hop
        assert len(listed) < len([r for r in whole if r["hops"] <= last["hops"]])
    assert query("store-neighbourhood", store_id=store, hops=3, include_hubs="true",
                 limit=len(whole)) == whole


@pytest.mark.neo4j
def test_shared_identifiers_show_the_evaders_link_masked_unless_asked(query, truth, operators):
    evader = next(r for r in _evaders(truth) if _planted(r, "evader_link") == ["id"])
    old = {r["store_id"] for r in operators[evader["operator_id"]] if r["is_evader"] == "false"}
    rows = query("shared-identifiers", store_id=evader["store_id"])
    ids = [r for r in rows if r["kind"] == "id_document"]
    assert any(old & set(r["store_ids"]) for r in ids)
    for row in rows:
        assert row["other_stores"] == row["in_cluster"] + row["outside_cluster"]
        if row["kind"] != "address":
            assert "*" in row["identifier"]
            assert all("*" in raw for raw in row["raw"])
    plain = query("shared-identifiers", store_id=evader["store_id"], show_pii=True)
    keys = {r["identifier"] for r in plain if r["kind"] == "id_document"}
    assert all("*" not in k for k in keys)
    assert any(len(k) == 18 and normalize.id_document_key(k)[0] == k for k in keys)


@pytest.mark.neo4j
def test_cluster_members_and_riskiest_clusters(query, loaded, cluster_of):
    top = query("riskiest-clusters", limit=5)
    assert 1 <= len(top) <= 5
    scores = [r["risk_score"] for r in top]
    assert scores == sorted(scores, reverse=True)
    best = loaded.run_read("MATCH (c:Cluster) WHERE c.size >= 2 RETURN max(c.risk_score) AS m")
    assert scores[0] == best[0]["m"]
    for row in top:
        assert row["size"] >= 2 and row["suspended"] + row["active"] <= row["size"]
        members = query("cluster-members", cluster_id=row["cluster_id"])
        assert len(members) == row["size"]
        assert {m["store_id"] for m in members} == {
            s for s, c in cluster_of.items() if c == row["cluster_id"]}
        opened = [m["opened_on"] for m in members]
        assert opened == sorted(opened)
        assert sum(m["status"] == "suspended" for m in members) == row["suspended"]
    assert all(r["size"] >= 10 for r in query("riskiest-clusters", limit=50, min_size=10))
    assert query("cluster-members", cluster_id="no-such-cluster") == []


@pytest.mark.neo4j
def test_linked_to_suspended_matches_the_definition(query, loaded, truth):
    rows = query("linked-to-suspended", limit=100000)
    stores = loaded.run_read("MATCH (s:Store) RETURN s.store_id AS id, s.status AS status, "
                             "s.cluster_id AS c")
    banned_clusters = {s["c"] for s in stores if s["status"] == "suspended"}
    expected = {s["id"] for s in stores if s["status"] != "suspended" and s["c"] in banned_clusters}
    assert {r["store_id"] for r in rows} == expected
    assert {r["store_id"] for r in _evaders(truth)} <= expected
    assert all(r["suspended_in_cluster"] >= 1 for r in rows)
    assert len(query("linked-to-suspended", limit=3)) == 3


@pytest.mark.neo4j
def test_brand_variants_find_the_comeback_brands(query, truth, operators):
    from graphaudit.scoring import brand_relation

    with open(SAMPLE_DATA / "stores.csv", encoding="utf-8", newline="") as handle:
        brands = {row["store_id"]: row["brand"] for row in csv.DictReader(handle)}
    comebacks = 0
    for operator_id in {r["operator_id"] for r in _evaders(truth)}:
        rows = operators[operator_id]
        banned_brand = _planted(next(r for r in rows if r["is_evader"] == "true"),
                                "brand_variant")[0]
        found = query("brand-variants", brand=f"  {banned_brand.upper()}™ ")
        by_store = {r["store_id"]: r for r in found}
        key = normalize.brand_key(banned_brand)
        for row in rows:
            if row["is_evader"] == "true":
                # the scoring's rule decides (graphaudit.scoring.brand_relation): a planted
                # one-edit variant of a 4-letter brand is below its 5-letter minimum
                relation = brand_relation(normalize.brand_key(brands[row["store_id"]]), key)
                assert by_store.get(row["store_id"], {}).get("relation") == relation, row
                assert relation != "same"
                comebacks += relation is not None
        assert any(r["relation"] == "same" and r["status"] == "suspended" for r in found)
        for r in found:
            assert (r["relation"] == "same") == (r["brand_key"] == key)
    assert comebacks >= len({r["operator_id"] for r in _evaders(truth)}) // 2


@pytest.mark.neo4j
def test_suspended_brand_reuse_agrees_with_the_scoring(query, loaded):
    """The query lists what the scoring decided (one rule, graphaudit/scoring.py): the stores
    opened under a suspended brand or a variant of it within the window after one of its bans;
    the variants are exactly the stores of the "brand variant" factor. Sorted by opening."""
    from graphaudit.analysis import analyze
    from graphaudit.identifiers import extract_identifiers
    from graphaudit.normalize import brand_key
    from graphaudit.records import RejectsWriter, read_records
    from graphaudit.scoring import VARIANT_WINDOW_DAYS

    rows = query("suspended-brand-reuse", limit=100000)
    records = read_records(SAMPLE_DATA, RejectsWriter(None))
    scored = analyze(records.stores, extract_identifiers(records, RejectsWriter(None)).links)
    flags = scored.stores
    reused = flags[flags["brand_reuse_of"] != ""]
    assert len(reused) and (reused["brand_reuse"] != "same").any()
    assert {(r["store_id"], r["suspended_brand"], r["relation"]) for r in rows} == set(
        zip(reused["store_id"], reused["brand_reuse_of"], reused["brand_reuse"], strict=True))
    assert {r["store_id"] for r in rows if r["relation"] != "same"} == set(
        flags.loc[flags["variant_of"] != "", "store_id"])
    assert [(r["opened_on"], r["store_id"]) for r in rows] == sorted(
        (r["opened_on"], r["store_id"]) for r in rows)
    # days_after_ban counts from the ban whose window holds the store: the brand's last
    # suspension before the store opened (a brand banned twice has two windows)
    banned = records.stores[records.stores["status"] == "suspended"]
    bans = banned.groupby(banned["brand"].map(brand_key))["suspended_on"].agg(list)
    for r in rows:
        last = max(day for day in bans[r["suspended_brand"]] if day < r["opened_on"])
        gap = dt.date.fromisoformat(r["opened_on"]) - dt.date.fromisoformat(last)
        assert 0 < gap.days == r["days_after_ban"] <= VARIANT_WINDOW_DAYS
        assert r["first_suspended_on"] <= last
        assert r["suspended_stores"]


@pytest.mark.neo4j
def test_hub_identifiers_tell_hubs_from_an_operators_own(query, operators):
    rows = query("hub-identifiers", min_stores=10, limit=1000, show_pii=True)
    assert rows and all(r["stores"] >= 10 for r in rows)
    assert [r["stores"] for r in rows] == sorted((r["stores"] for r in rows), reverse=True)
    operator_of = {r["store_id"]: op for op, rs in operators.items() for r in rs}
    hubs = [r for r in rows if r["clusters"] >= 3]
    own = [r for r in rows if r["clusters"] == 1]
    assert hubs and own
    for row in hubs[:3] + own[:3]:
        stores = query("identifier-stores", kind=row["kind"], value=row["identifier"])
        exact = {s["store_id"] for s in stores if s["match"] == "exact"}
        assert len(exact) == row["stores"]
        owners = {operator_of[s] for s in exact}
        assert (len(owners) >= 3) if row in hubs else (len(owners) == 1), row
    assert len(query("hub-identifiers", min_stores=10, limit=2)) == 2


@pytest.mark.neo4j
def test_identifier_stores_normalizes_a_pasted_phone_id_and_account(query):
    with open(SAMPLE_DATA / "identities.csv", encoding="utf-8-sig", newline="") as handle:
        identity = next(r for r in csv.DictReader(handle)
                        if r["phone"] and r["id_type"] == "CN_RESIDENT_ID")
    key = normalize.phone_key(identity["phone"])
    assert key.startswith("+86") and len(key) == 14
    national = key[3:]
    expected = None
    for pasted in (key, f"(+86) {national[:3]}-{national[3:7]}-{national[7:]}",
                   f"{national[:3]} {national[3:7]} {national[7:]}", f"0086{national}"):
        rows = query("identifier-stores", kind="phone", value=pasted)
        stores = {r["store_id"] for r in rows}
        assert identity["store_id"] in stores, pasted
        expected = expected or stores
        assert stores == expected, pasted
        assert all(r["kind"] == "phone" and "*" in r["identifier"] for r in rows)
    doc = normalize.id_document_key(identity["id_number"])[0]
    spaced = f" {doc[:6]} {doc[6:14]} {doc[14:].lower()} "
    rows = query("identifier-stores", kind="id", value=spaced, show_pii=True)
    assert identity["store_id"] in {r["store_id"] for r in rows}
    assert {r["identifier"] for r in rows} == {doc}
    assert query("identifier-stores", kind="email", value="nobody@nowhere.invalid") == []


@pytest.mark.neo4j
def test_identifier_stores_lists_near_duplicate_addresses(query, loaded):
    pair = loaded.run_read("MATCH (a:Address)-[:SIMILAR_TO]->(b:Address) "
                           "RETURN a.key AS a, b.key AS b ORDER BY a, b LIMIT 1")
    if not pair:
        pytest.skip("no near-duplicate addresses in this sample")
    rows = query("identifier-stores", kind="address", value=pair[0]["a"].upper())
    matches = {r["match"] for r in rows}
    assert matches == {"exact", "similar"}
    assert all(r["score"] for r in rows if r["match"] == "similar")


@pytest.mark.neo4j
def test_store_timeline_tells_the_ban_and_the_comeback(query, truth):
    evader = _evaders(truth)[0]
    rows = query("store-timeline", store_id=evader["store_id"])
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates)
    mine = [r for r in rows if r["this_store"]]
    assert {r["store_id"] for r in mine} == {evader["store_id"]}
    opened = next(r["date"] for r in mine if r["event"] == "opened")
    assert any(r["event"] == "suspended" and r["date"] < opened and r["reason"] for r in rows)


@pytest.mark.neo4j
def test_cluster_evidence_ties_the_evaders_to_their_old_stores(query, truth, cluster_of):
    for evader in (r for r in _evaders(truth) if _planted(r, "evader_link")):
        rows = query("cluster-evidence", cluster_id=cluster_of[evader["store_id"]])
        evidence = [r for r in rows if r["status"].startswith("evidence")]
        assert any(evader["store_id"] in r["store_ids"] for r in evidence), evader
        for row in rows:
            assert row["stores"] >= 2
            assert (row["outside"] == 0) == row["status"].startswith("evidence")
            if row["kind"] != "address":
                assert "*" in row["identifier"]


@pytest.mark.neo4j
def test_burst_openings(query, truth, cluster_of, operators):
    rows = query("burst-openings", days=7, min_stores=3, limit=100000)
    assert rows
    for row in rows:
        first, last = dt.date.fromisoformat(row["first_opened"]), dt.date.fromisoformat(
            row["last_opened"])
        assert (last - first).days <= 7
        assert row["openings"] == len(row["store_ids"]) >= 3
        assert {cluster_of[s] for s in row["store_ids"]} == {row["cluster_id"]}
    counts = [r["openings"] for r in rows]
    assert counts == sorted(counts, reverse=True)
    # Evaders reopen within a few days of each other.
    bursty = {cluster_of[r["store_id"]] for op in {e["operator_id"] for e in _evaders(truth)}
              for r in operators[op]
              if sum(x["is_evader"] == "true" for x in operators[op]) >= 3}
    assert bursty <= {r["cluster_id"] for r in rows}


@pytest.mark.neo4j
def test_invalid_identifiers_include_the_planted_id_typos(query, truth):
    rows = query("invalid-identifiers", limit=100000, show_pii=True)
    typos = {r["store_id"] for r in truth if "id_typo" in r["planted"].split(";")}
    listed = {s for r in rows if r["kind"] == "id_document" for s in r["store_ids"]}
    assert typos <= listed
    for row in rows:
        if row["kind"] == "id_document" and row["type"] == "CN_RESIDENT_ID":
            assert not normalize.id_document_key(row["identifier"])[1]


# ---------------------------------------------------------------------------------------------
# Read-only, formats, own files


def _probe_count(store) -> int:
    return store.run_read("MATCH (n:QueryProbe) RETURN count(n) AS n")[0]["n"]


@pytest.mark.neo4j
@pytest.mark.parametrize("text", [
    "CREATE (:QueryProbe {at: $at}) RETURN 1 AS done",
    "MATCH (s:Store) WITH s LIMIT 1 SET s.probe = $at RETURN s.store_id AS id",
    "MATCH (s:Store) WITH s LIMIT 1 DETACH DELETE s",
    "CREATE INDEX query_probe IF NOT EXISTS FOR (n:QueryProbe) ON (n.at)",
])
def test_a_writing_query_is_refused_without_write_and_changes_nothing(
        loaded, env, tmp_path, text):
    before = loaded.counts()
    path = tmp_path / "writes.cypher"
    path.write_text(text)
    args = ["query", str(path)] + (["-p", "at=now"] if "$at" in text else [])
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, result.output
    assert "--write" in result.output and "nothing was changed" in result.output
    assert loaded.counts() == before
    assert loaded.run_read("MATCH (s:Store) WHERE s.probe IS NOT NULL RETURN count(s) AS n"
                           )[0]["n"] == 0
    assert not loaded.run_read("SHOW INDEXES YIELD name WHERE name = 'query_probe' RETURN name")


@pytest.mark.neo4j
def test_a_writing_query_runs_with_write(loaded, env, tmp_path):
    create, delete = tmp_path / "create.cypher", tmp_path / "delete.cypher"
    create.write_text("CREATE (p:QueryProbe {at: $at}) RETURN p.at AS at")
    delete.write_text("MATCH (p:QueryProbe) DELETE p")
    runner = CliRunner()
    result = runner.invoke(main, ["query", str(create), "-p", "at=x", "--write"], env=env)
    assert result.exit_code == 0, result.output
    assert "nodes created: 1" in result.stderr
    assert _probe_count(loaded) == 1
    result = runner.invoke(main, ["query", str(delete), "--write"], env=env)
    assert result.exit_code == 0, result.output
    assert _probe_count(loaded) == 0


@pytest.mark.neo4j
def test_formats_and_own_files_with_headers(loaded, env, tmp_path):
    path = tmp_path / "mine.cypher"
    path.write_text(
        "// name: opened-since\n"
        "// description: Stores opened on or after a day.\n"
        "// param: since date (required) example 2024-01-01 -- the day\n"
        "// param: statuses list = active,closed example active -- statuses\n"
        "MATCH (s:Store) WHERE s.opened_on >= $since AND s.status IN $statuses\n"
        "RETURN s.store_id AS store_id, s.opened_on AS opened_on, s.status AS status\n"
        "ORDER BY store_id\n")
    runner = CliRunner()
    args = ["query", str(path), "-p", "since=2024-06-01"]
    as_json = runner.invoke(main, [*args, "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert rows and all(r["opened_on"] >= "2024-06-01" for r in rows)
    assert {r["status"] for r in rows} <= {"active", "closed"}
    as_csv = runner.invoke(main, [*args, "--format", "csv"], env=env)
    lines = as_csv.stdout.splitlines()
    assert lines[0] == "store_id,opened_on,status" and len(lines) == len(rows) + 1
    table = runner.invoke(main, args, env=env)
    assert table.stdout.splitlines()[0].split() == ["store_id", "opened_on", "status"]
    bad = runner.invoke(main, ["query", str(path), "-p", "since=June"], env=env)
    assert bad.exit_code == 2 and "parameter 'since'" in bad.output


@pytest.mark.neo4j
def test_a_cypher_error_is_reported_against_the_query(loaded, env, tmp_path):
    path = tmp_path / "broken.cypher"
    path.write_text("MATCH (s:Store)\nRETURN s.store_id AS id LIMIT\n")
    result = CliRunner().invoke(main, ["query", str(path)], env=env)
    assert result.exit_code == 1
    assert "line 2" in result.output and "EXPLAIN" not in result.output


def test_the_library_ships_inside_the_package_and_has_one_copy():
    assert Path(str(QUERY_DIR)) == ROOT / "graphaudit" / "cypher"
    assert (QUERY_DIR / "schema.cypher").is_file()
    # the analysts' top-level cypher/ is the same folder, not a second copy
    top = ROOT / "cypher"
    assert not top.exists() or top.resolve() == ROOT / "graphaudit" / "cypher"


@pytest.mark.neo4j
def test_a_query_past_its_timeout_is_stopped(loaded, env, tmp_path):
    path = tmp_path / "slow.cypher"
    path.write_text("UNWIND range(1, 500000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x) AS n")
    result = CliRunner().invoke(main, ["query", str(path), "--timeout", "1"], env=env)
    assert result.exit_code == 1
    assert "did not finish within 1 s" in result.output


@pytest.mark.neo4j
def test_possible_links_are_in_the_graph_as_in_possible_links_csv(loaded, query, env, tmp_path):
    """`cluster` writes the middle match level (two clusters that share evidence, not merged)
    as POSSIBLE_LINK between :Cluster nodes: the rows of the possible_links.csv it writes,
    no more (a second run leaves no stale or doubled link), and possible-links finds them from
    either cluster."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["cluster", "-q", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    with open(out / "possible_links.csv", encoding="utf-8", newline="") as handle:
        expected = {(r["cluster_a"], r["cluster_b"], r["store_a"], r["store_b"], r["evidence"])
                    for r in csv.DictReader(handle)}
    assert len(expected) >= 10
    rows = loaded.run_read(
        "MATCH (a:Cluster)-[r:POSSIBLE_LINK]->(b:Cluster) RETURN a.cluster_id AS a, "
        "b.cluster_id AS b, r.store_a AS store_a, r.store_b AS store_b, r.evidence AS evidence, "
        "r.score AS score, r.threshold AS threshold")
    assert {(r["a"], r["b"], r["store_a"], r["store_b"], r["evidence"]) for r in rows} == expected
    assert len(rows) == len(expected)
    assert all(r["score"] is not None and r["threshold"] is not None for r in rows)
    member_of = {r["s"]: r["c"] for r in loaded.run_read(
        "MATCH (s:Store)-[:MEMBER_OF]->(c:Cluster) RETURN s.store_id AS s, c.cluster_id AS c")}
    assert all(member_of[a] == ca and member_of[b] == cb for ca, cb, a, b, _ in expected)
    cluster_a, cluster_b, store_a, store_b, evidence = sorted(expected)[0]
    for this, other, mine, theirs in ((cluster_a, cluster_b, store_a, store_b),
                                      (cluster_b, cluster_a, store_b, store_a)):
        found = query("possible-links", cluster_id=this)
        row = next(r for r in found if r["other_cluster"] == other)
        assert (row["store"], row["other_store"]) == (mine, theirs)
        assert row["evidence"]


@pytest.mark.neo4j
def test_query_output_keeps_timestamps_whole(loaded, env, tmp_path):
    """New-user report item 10: the free-text scrub read the seconds and fraction of a
    DataSet's loaded_at as a run of digits (`19:08:****0000+00:00`)."""
    path = tmp_path / "ds2.cypher"
    path.write_text("MATCH (d:DataSet) RETURN properties(d) AS p\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["query", str(path), "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    shown = sorted(row["p"]["loaded_at"] for row in json.loads(result.stdout))
    stored = sorted(row["t"].iso_format() for row in
                    loaded.run_read("MATCH (d:DataSet) RETURN d.loaded_at AS t"))
    assert shown == stored and all(":" in t and "*" not in t for t in shown)


def test_library_queries_do_not_warn_about_optional_parts_of_the_graph(clean_graph, neo4j_env,
                                                                       tmp_path, monkeypatch):
    """REPORT2 item 9: a graph with no near-duplicate addresses has no SIMILAR_TO relationship
    (nor its score); the library's queries name them and must not print Neo4j's "does not
    exist" warnings on such a valid graph. A user's own file still gets them (a typo). The
    server keeps a type's name once made, so the test names one no graph ever held."""
    import dataclasses

    from conftest import write_warehouse_world

    from graphaudit.queries import library

    absent = "HFX2_NEVER_CREATED"
    real = library.load_library()
    patched = dataclasses.replace(real["path-between"], statement=real[
        "path-between"].statement.replace("SIMILAR_TO", absent))
    monkeypatch.setattr(library, "load_library",
                        lambda directory=None: {**real, "path-between": patched})
    data = write_warehouse_world(tmp_path / "data", stores=5)
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(data), "-q", "--rejects", str(tmp_path / "r.csv")])
    assert loaded.exit_code == 0, loaded.stderr
    assert runner.invoke(main, ["cluster", "-q"]).exit_code == 0
    result = runner.invoke(main, ["query", "path-between", "-p", "a=S4", "-p", "b=S5"])
    assert result.exit_code == 0, result.stderr
    assert "S5" in result.stdout and "Warning from Neo4j" not in result.stderr
    own = tmp_path / "own.cypher"
    own.write_text(f"MATCH ()-[r:{absent}]-() RETURN count(r) AS n\n", encoding="utf-8")
    result = runner.invoke(main, ["query", str(own)])
    assert result.exit_code == 0 and f"Warning from Neo4j: warn: relationship type does not " \
        f"exist. The relationship type `{absent}`" in result.stderr
