"""Empty answers say why: unknown or lower-case ids, no clusters yet, an empty graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA, write_warehouse_world

from graphaudit.cli import main
from graphaudit.queries import load_library

pytestmark = pytest.mark.neo4j


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_explained(result, *phrases: str) -> None:
    """The answer is empty and says why: never a bare "(no rows)"."""
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] != "(no rows)", result.stdout
    for phrase in phrases:
        assert phrase in result.stdout, (phrase, result.stdout)


@pytest.fixture
def loaded(clean_graph, neo4j_env, tmp_path):
    result = run("load", str(SAMPLE_DATA), "-q", "--rejects", str(tmp_path / "r.csv"))
    assert result.exit_code == 0, result.stderr
    return clean_graph


def test_an_empty_graph_says_load_first(clean_graph, neo4j_env):
    assert_explained(run("query", "shared-identifiers", "-p", "store_id=S0000001"),
                     "no stores", "graphaudit load")
    result = run("explain", "S0000001")
    assert result.exit_code == 1 and "no stores" in result.stderr
    assert "graphaudit load" in result.stderr


def test_cluster_queries_before_cluster_say_run_cluster(loaded):
    assert_explained(run("query", "riskiest-clusters"), "no clusters yet",
                     "graphaudit cluster")
    assert_explained(run("query", "cluster-members", "-p", "cluster_id=C4e2b3d8a9d0b"),
                     "no clusters yet")


def test_unknown_and_lower_case_store_ids_get_a_hint(loaded):
    assert run("cluster", "-q").exit_code == 0
    assert_explained(run("query", "shared-identifiers", "-p", "store_id=s0000001"),
                     "there is no store 's0000001'", "did you mean 'S0000001'?")
    assert_explained(run("query", "store-timeline", "-p", "store_id=S9999999"),
                     "there is no store 'S9999999' in the graph", "ids look like")
    assert_explained(run("query", "path-between", "-p", "a=S0000001", "-p", "b=s0000002"),
                     "parameter 'b'", "did you mean 'S0000002'?")
    result = run("explain", "s0000001")
    assert result.exit_code == 1 and "did you mean 'S0000001'?" in result.stderr


def test_unknown_and_lower_case_cluster_ids_get_a_hint(loaded):
    assert run("cluster", "-q").exit_code == 0
    real = loaded.run_read("MATCH (c:Cluster) RETURN c.cluster_id AS c ORDER BY c LIMIT 1")
    real = real[0]["c"]
    assert_explained(run("query", "cluster-members", "-p", f"cluster_id={real.lower()}"),
                     f"did you mean {real!r}?")
    assert_explained(run("query", "cluster-evidence", "-p", "cluster_id=Cnope"),
                     "there is no cluster 'Cnope'")


def test_hints_leave_json_and_csv_clean(loaded):
    result = run("query", "riskiest-clusters", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert "Hint: the graph holds no clusters yet" in result.stderr
    result = run("query", "identifier-stores", "-p", "kind=phone", "-p", "value=138 0000 0000",
                 "--format", "csv")
    assert result.stdout.count("\n") == 1  # the header only
    assert "no phone of that value is in the graph" in result.stderr


def test_every_id_parameter_of_the_library_is_typed():
    """Store and cluster ids are typed, so an empty answer can say whether the id exists."""
    for query in load_library().values():
        for p in query.params:
            if p.name in ("store_id", "a", "b"):
                assert p.type == "store_id", (query.name, p.name)
            if p.name == "cluster_id":
                assert p.type == "cluster_id", (query.name, p.name)


def _hub_world(folder: Path) -> Path:
    """S1 and S2 share only a warehouse address that four separate operators use (as in the
    new user's qk/shared5, where the stores shared an e-mail across clusters); S4 and S5 share
    an ID document; S6 shares nothing."""
    return write_warehouse_world(folder, stores=6)


def test_a_path_only_through_hubs_says_so_and_suggests_include_hubs(clean_graph, neo4j_env,
                                                                   tmp_path):
    """New-user report item 7: path-between answered "nothing in the graph matches" when the
    only paths ran through hubs."""
    data = _hub_world(tmp_path / "data")
    result = run("load", str(data), "-q", "--rejects", str(tmp_path / "r.csv"))
    assert result.exit_code == 0, result.stderr
    assert run("cluster", "-q").exit_code == 0
    empty = run("query", "path-between", "-p", "a=S1", "-p", "b=S2")
    assert_explained(empty, "only answers run through hubs", "-p include_hubs=true")
    assert "nothing in the graph" not in empty.stdout
    found = run("query", "path-between", "-p", "a=S1", "-p", "b=S2",
                "-p", "include_hubs=true", "--format", "json")
    assert found.exit_code == 0 and json.loads(found.stdout)
    # a pair with no path at all keeps the plain sentence
    none = run("query", "path-between", "-p", "a=S1", "-p", "b=S6")
    assert_explained(none, "nothing in the graph")
