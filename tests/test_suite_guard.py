"""The suite never empties a database that holds someone's graph (conftest.py): it runs on an
empty database, or on one just as the last test session left it, and otherwise stops before any
test with exit code 3 and says how to go on (REPORT8 item 11: a trial's investigation graph was
replaced by a test world when focused tests ran in the same checkout)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import (
    MAY_DELETE,
    ROOT,
    WRITE_SUITE_END,
    not_a_test_database,
    refuse_someones_graph,
)

ADD_STORE = "CREATE (:Store {store_id: $store_id})"


def test_an_empty_database_or_the_last_sessions_leftovers_may_be_emptied(clean_graph):
    assert not_a_test_database(clean_graph) is None
    clean_graph.run_write(ADD_STORE, store_id="LEFT1")
    clean_graph.run_write(WRITE_SUITE_END, nodes=1)
    assert not_a_test_database(clean_graph) is None


def test_a_graph_loaded_after_the_last_session_is_someones(clean_graph):
    clean_graph.run_write(ADD_STORE, store_id="LEFT1")
    assert "no test session ended in it" in not_a_test_database(clean_graph)
    clean_graph.run_write(WRITE_SUITE_END, nodes=1)
    clean_graph.run_write(ADD_STORE, store_id="INVESTIGATED1")
    assert "where the last test session left 1" in not_a_test_database(clean_graph)


def test_the_session_stops_before_emptying_someones_graph(clean_graph, neo4j_settings):
    clean_graph.run_write(ADD_STORE, store_id="INVESTIGATED1")
    with pytest.raises(pytest.exit.Exception) as stopped:
        refuse_someones_graph(neo4j_settings, environ={})
    assert stopped.value.returncode == 3
    assert "holds 1 nodes" in str(stopped.value) and MAY_DELETE in str(stopped.value)
    refuse_someones_graph(neo4j_settings, environ={MAY_DELETE: "1"})  # asked for: goes on
    assert clean_graph.node_count() == 1  # (the tests' own clean_graph empties it later)


def test_a_test_run_on_someones_graph_exits_3_and_deletes_nothing(clean_graph, neo4j_settings):
    clean_graph.run_write(ADD_STORE, store_id="INVESTIGATED1")
    environ = {key: value for key, value in os.environ.items() if key != MAY_DELETE}
    environ.update(NEO4J_URI=neo4j_settings.uri, NEO4J_USERNAME=neo4j_settings.user,
                   NEO4J_PASSWORD=neo4j_settings.password,
                   NEO4J_DATABASE=neo4j_settings.database)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_suite_guard.py::test_an_empty_database_or_the_last_sessions_leftovers_"
         "may_be_emptied"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "the tests delete everything" in run.stdout + run.stderr
    assert clean_graph.run_read("MATCH (s:Store) RETURN collect(s.store_id) AS ids")[0]["ids"] \
        == ["INVESTIGATED1"]
