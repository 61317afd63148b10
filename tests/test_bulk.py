"""`graphaudit load --bulk`: Neo4j's importer gives the graph a MERGE load gives.

Each bulk load stops and starts the suite's server (scripts/neo4j.sh import), so these tests
need a local server of `make neo4j-start`, found as the CLI finds it (conftest's ``neo4j_home``);
they are skipped when NEO4J_URI or the connection file name another server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
#: volatile properties of a :DataSet node (when and which load)
WHEN = {"loaded_at", "first_loaded_at", "data_set_id", "loads"}


def snapshot(store) -> dict:
    """Everything the graph holds, comparable: nodes with labels and properties, relationships
    by their ends' keys, the data set less its times, the schema."""
    nodes = store.run_read("MATCH (n) WHERE NOT n:DataSet "
                           "RETURN labels(n) AS labels, properties(n) AS p")
    rels = store.run_read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, coalesce(a.store_id, a.key) AS a, "
        "coalesce(b.store_id, b.key) AS b, properties(r) AS p")
    data_sets = [{k: v for k, v in row["p"].items() if k not in WHEN}
                 for row in store.run_read("MATCH (d:DataSet) RETURN properties(d) AS p")]
    schema = store.run_read("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
                            "RETURN name, type, labelsOrTypes, properties ORDER BY name")
    indexes = store.run_read("SHOW INDEXES YIELD name, type, labelsOrTypes, properties "
                             "WHERE type = 'RANGE' RETURN name, labelsOrTypes, properties "
                             "ORDER BY name")
    def key(row: dict) -> str:
        return repr(sorted({**row, "p": sorted(row["p"].items())}.items()))

    return {"nodes": sorted(map(key, nodes)), "relationships": sorted(map(key, rels)),
            "data_sets": data_sets, "constraints": schema, "indexes": indexes,
            "counts": store.counts()}


def load(*args: str, tmp_path: Path, data: Path = SAMPLE_DATA):
    return CliRunner().invoke(main, ["load", str(data), "-q", "--rejects",
                                     str(tmp_path / "rejects.csv"), *args])


def with_line_break(folder: Path) -> Path:
    """``folder`` with a line break and quotes in a store's name: the importer reads that file
    as multiline (the other files are not)."""
    stores = folder / "stores.csv"
    text = stores.read_text(encoding="utf-8")
    stores.write_text(text.replace("Broovoon Official Store", '"Broovoon\nOfficial ""Store"""',
                                   1), encoding="utf-8")
    return folder


@pytest.mark.neo4j
@pytest.mark.parametrize("hashed", [[], ["--hash-identifiers"]], ids=["clear", "hashed"])
def test_bulk_and_merge_loads_give_the_same_graph(neo4j_home, clean_graph, neo4j_env, tmp_path,
                                                  monkeypatch, hashed, sample_copy):
    """Clear: sample_data as it is; hashed: with a line break in a value (a multiline file)."""
    data = with_line_break(sample_copy) if hashed else SAMPLE_DATA
    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    # the caller saved no connection (NEO4J_* name the server): the restart saves none either
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    merged = load(*hashed, tmp_path=tmp_path, data=data)
    assert merged.exit_code == 0, merged.stderr
    by_merge = snapshot(clean_graph)
    assert by_merge["counts"][0]["Store"] > 0
    bulk = load("--bulk", "--replace", "--format", "json", *hashed, tmp_path=tmp_path, data=data)
    assert bulk.exit_code == 0, (bulk.stderr, bulk.exception)
    assert "Stopping the local Neo4j server" in bulk.stderr
    assert "running again" in bulk.stderr
    assert not (tmp_path / "xdg" / "graphaudit" / "connection.env").exists()
    by_bulk = snapshot(clean_graph)
    # the counts it tells are the importer's (not counted again): those the graph holds, less
    # the :DataSet node recorded after
    told = {(row["created"], row["name"]): row["count"]
            for row in json.loads(bulk.stdout)["created"]}
    nodes, relationships = by_bulk["counts"]
    assert told == {**{("nodes", k): v for k, v in nodes.items() if v and k != "DataSet"},
                    **{("relationships", k): v for k, v in relationships.items() if v}}
    for part in by_merge:
        if part == "data_sets":
            continue
        assert by_bulk[part] == by_merge[part], part
    assert [{**d, "mode": "x"} for d in by_bulk["data_sets"]] == \
        [{**d, "mode": "x"} for d in by_merge["data_sets"]]
    assert by_bulk["data_sets"][0]["mode"] == "replace"
    # later loads use MERGE: a rerun of the same folder changes nothing
    again = load(*hashed, tmp_path=tmp_path, data=data)
    assert again.exit_code == 0, again.stderr
    assert snapshot(clean_graph)["relationships"] == by_merge["relationships"]


@pytest.mark.neo4j
def test_bulk_refuses_a_database_that_holds_a_graph(neo4j_home, clean_graph, neo4j_env, tmp_path,
                                                   monkeypatch):
    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    clean_graph.run_write("CREATE (:Store {store_id: 'X1'})")
    refused = load("--bulk", tmp_path=tmp_path)
    assert refused.exit_code == 1
    assert "--replace" in refused.stderr and "empty database" in refused.stderr


def test_bulk_needs_the_local_server(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("GRAPHAUDIT_NEO4J_HOME", raising=False)
    result = CliRunner().invoke(main, ["load", str(SAMPLE_DATA), "--bulk", "--uri",
                                       "bolt://db.example.internal:7687", "--password", "x"])
    assert result.exit_code == 2
    assert "needs file access to the server" in result.stderr
    assert "Load without --bulk" in result.stderr


def test_the_suite_finds_its_server_and_its_files_as_the_cli_does(tmp_path):
    """NEO4J_URI first, then the user's connection file (and the GRAPHAUDIT_NEO4J_HOME line in
    it, where `load --bulk` finds the server's files), the checkout's own server only when
    neither names one; a server elsewhere is not local, so the bulk tests skip it."""
    from conftest import suite_environ

    from graphaudit.bulk import local_server
    from graphaudit.errors import ConfigError
    from graphaudit.settings import resolve_settings

    def server(folder: Path, port: int) -> Path:
        """A .neo4j of a checkout of scripts/neo4j.sh that serves ``port``."""
        state = folder / ".neo4j"
        (folder / "scripts").mkdir(parents=True)
        (folder / "scripts" / "neo4j.sh").touch()
        state.mkdir()
        (state / "port").write_text(f"{port}\n")
        (state / "connection.env").write_text(
            f"NEO4J_URI=bolt://127.0.0.1:{port}\nNEO4J_PASSWORD=p{port}\n"
            f"GRAPHAUDIT_NEO4J_HOME={state}\n")
        return state

    checkout, own = server(tmp_path / "checkout", 7001), server(tmp_path / "own", 7002)
    xdg = tmp_path / "xdg"
    environ = {"XDG_CONFIG_HOME": str(xdg)}
    found = suite_environ(environ, checkout / "connection.env")
    assert resolve_settings(environ=found).password == "p7001"
    assert local_server(resolve_settings(environ=found), found) == checkout

    (xdg / "graphaudit").mkdir(parents=True)
    (xdg / "graphaudit" / "connection.env").write_text((own / "connection.env").read_text())
    found = suite_environ(environ, checkout / "connection.env")
    assert resolve_settings(environ=found).password == "p7002"
    assert local_server(resolve_settings(environ=found), found) == own

    elsewhere = {**environ, "NEO4J_URI": "bolt://db.example:7687", "NEO4J_PASSWORD": "x"}
    found = suite_environ(elsewhere, checkout / "connection.env")
    assert resolve_settings(environ=found).uri == "bolt://db.example:7687"
    with pytest.raises(ConfigError):
        local_server(resolve_settings(environ=found), found)


@pytest.mark.neo4j
def test_bulk_restart_leaves_the_callers_connection_file_as_it_was(
        neo4j_home, clean_graph, neo4j_settings, tmp_path, monkeypatch):
    """The credentials come from the caller's own connection file (a comment of theirs in it):
    stopping and starting the server around the import neither removes nor rewrites it."""
    for name in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    saved = tmp_path / "xdg" / "graphaudit" / "connection.env"
    saved.parent.mkdir(parents=True)
    server_copy = neo4j_home / "connection.env"
    saved.write_text("# saved by the analyst\n" + server_copy.read_text(encoding="utf-8"),
                     encoding="utf-8")
    saved.chmod(0o600)
    before = saved.read_bytes(), saved.stat().st_mtime_ns, saved.stat().st_ino
    server_before = server_copy.read_bytes()
    bulk = load("--bulk", "--replace", tmp_path=tmp_path)
    assert bulk.exit_code == 0, (bulk.stderr, bulk.exception)
    assert "running again" in bulk.stderr
    assert (saved.read_bytes(), saved.stat().st_mtime_ns, saved.stat().st_ino) == before
    assert server_copy.read_bytes() == server_before
    assert clean_graph.counts()[0]["Store"] > 0


@pytest.mark.neo4j
def test_bulk_that_fails_while_writing_its_files_leaves_the_graph_and_a_running_server(neo4j_home,
        clean_graph, neo4j_env, tmp_path, monkeypatch):
    """The server stops while the import files are written: when writing them fails (here: a
    full disk), nothing is imported, the server runs again and the graph is the one before."""
    from graphaudit import bulk

    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    clean_graph.run_write("CREATE (:Store {store_id: 'X1'})")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bulk, "write_import_files", full_disk)
    failed = load("--bulk", "--replace", tmp_path=tmp_path)
    assert failed.exit_code != 0
    assert "No space left on device" in (failed.stderr + repr(failed.exception))
    clean_graph.verify()
    assert clean_graph.run_read("MATCH (s:Store) RETURN s.store_id AS id") == [{"id": "X1"}]


@pytest.mark.neo4j
def test_bulk_that_fails_while_reading_starts_the_server_again_with_its_graph(neo4j_home,
        clean_graph, neo4j_env, tmp_path, monkeypatch):
    """The server stops while the records are read: a folder that cannot be read (a stores.csv
    without its store_id column) fails the load with the file's message, nothing is imported,
    and the server runs again with the graph it held."""
    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    clean_graph.run_write("CREATE (:Store {store_id: 'X1'})")
    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text("name,brand\nA,B\n", encoding="utf-8")
    failed = load("--bulk", "--replace", tmp_path=tmp_path, data=data)
    assert failed.exit_code == 1, (failed.stderr, failed.exception)
    assert "Stopping the local Neo4j server" in failed.stderr
    assert "stores.csv" in failed.stderr and "store_id" in failed.stderr
    clean_graph.verify()
    assert clean_graph.run_read("MATCH (s:Store) RETURN s.store_id AS id") == [{"id": "X1"}]


@pytest.mark.neo4j
def test_an_import_that_outlived_its_load_is_completed_by_a_plain_rerun(neo4j_home,
        clean_graph, neo4j_env, tmp_path, monkeypatch):
    """REPORT7 item 8, --bulk: the importer runs in a process of its own (scripts/neo4j.sh), so
    a load stopped while it imports leaves the imported graph, without its schema and the
    record of the load's end (here: the load fails creating the schema). The import files hold
    the data set, incomplete: the plain rerun (MERGE) recognises and completes it, to the graph
    of an uninterrupted load."""
    from graphaudit.store import GraphStore

    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load(tmp_path=tmp_path).exit_code == 0
    uninterrupted = snapshot(clean_graph)

    def stopped(*args, **kwargs):
        raise RuntimeError("stopped after the import")

    with monkeypatch.context() as patched:
        patched.setattr(GraphStore, "ensure_schema", stopped)
        failed = load("--bulk", "--replace", tmp_path=tmp_path)
    assert "stopped after the import" in repr(failed.exception), failed.output
    (begun,) = clean_graph.data_sets()
    assert begun["complete"] is False and begun["mode"] == "replace"
    assert begun["source"] == str(SAMPLE_DATA.resolve())
    rerun = load(tmp_path=tmp_path)
    assert rerun.exit_code == 0, rerun.output
    (data_set,) = clean_graph.data_sets()
    assert data_set["complete"] is True and data_set["data_set_id"] == begun["data_set_id"]
    completed = snapshot(clean_graph)
    for part in ("nodes", "relationships", "constraints", "indexes", "counts"):
        assert completed[part] == uninterrupted[part], part
    assert [{**d, "mode": "x"} for d in completed["data_sets"]] == \
        [{**d, "mode": "x"} for d in uninterrupted["data_sets"]]


def test_the_importers_totals_are_read_from_its_log(tmp_path):
    """The counts of a bulk load come from the importer's "Imported:" lines; a log without
    them (an import cut short) gives None, and the graph is counted instead."""
    from graphaudit.bulk import imported_totals

    log = tmp_path / "import.log"
    log.write_text("Node import COMPLETED in 1s\n\nIMPORT DONE in 3s 20ms. \nImported:\n"
                   "  4159413 nodes\n  6244722 relationships\n  26763815 properties\n"
                   "Peak memory usage: 1.071GiB\n", encoding="utf-8")
    assert imported_totals(log) == (4159413, 6244722)
    log.write_text("(1/4) Node import 2026-11-30\n", encoding="utf-8")
    assert imported_totals(log) is None
    assert imported_totals(tmp_path / "missing.log") is None


@pytest.mark.neo4j
def test_importer_jvm_options_reach_the_importer_and_a_refused_one_fails_the_load(neo4j_home,
        clean_graph, neo4j_env, tmp_path, monkeypatch):
    """GRAPHAUDIT_NEO4J_IMPORT_JVM goes to the importer's JVM (scripts/neo4j.sh import): one it
    refuses fails the load with its message, and the server runs again with the graph before."""
    monkeypatch.setenv("GRAPHAUDIT_NEO4J_HOME", str(neo4j_home))
    monkeypatch.setenv("GRAPHAUDIT_NEO4J_IMPORT_JVM", "-Xss2m -XX:+NoSuchGraphauditOption")
    clean_graph.run_write("CREATE (:Store {store_id: 'X1'})")
    failed = load("--bulk", "--replace", tmp_path=tmp_path)
    assert failed.exit_code == 1
    assert "NoSuchGraphauditOption" in failed.stderr
    clean_graph.verify()
    assert clean_graph.run_read("MATCH (s:Store) RETURN s.store_id AS id") == [{"id": "X1"}]


def test_import_files_keep_one_link_per_store_and_node_with_the_last_rows_values(tmp_path):
    """Links that repeat a (store, node) pair, and address type for an address, are one
    relationship with the last row's values, as MERGE writes them; each other link stays."""
    import csv

    import pandas as pd

    from graphaudit import pipeline
    from graphaudit.bulk import write_import_files

    records = pipeline.read(SAMPLE_DATA)
    identifiers = pipeline.extract(records)
    part = identifiers.parts["address"]
    first = part.iloc[0]
    identifiers.parts["address"] = pd.concat(
        [part, part.iloc[[0]].assign(raw="written again"),
         part.iloc[[0]].assign(raw="another type", address_type="warehouse2")],
        ignore_index=True)
    written = write_import_files(tmp_path, records.stores, identifiers)
    stores = {row[":ID"]: row["store_id"]
              for row in csv.DictReader((tmp_path / "stores.csv").open(encoding="utf-8"))}
    keys = {row[":ID"]: row["key"]
            for row in csv.DictReader((tmp_path / "address.csv").open(encoding="utf-8"))}
    links = [(stores[row[":START_ID"]], keys[row[":END_ID"]], row["address_type"], row["raw"])
             for row in csv.DictReader((tmp_path / "address-links.csv").open(encoding="utf-8"))]
    assert len(links) == len(part) + 1
    assert written.relationships["LOCATED_AT"] == len(links)
    assert written.nodes["Address"] == len(keys)
    assert written.nodes["Store"] == len(stores)
    pair = (part["store_id"] == first["store_id"]) & (part["key"] == first["key"])
    before = dict(zip(part["address_type"][pair], part["raw"][pair], strict=True))
    assert dict(link[2:] for link in links if link[:2] == (first["store_id"], first["key"])) \
        == {**before, first["address_type"]: "written again", "warehouse2": "another type"}

