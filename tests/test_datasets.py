"""Loading a second data set, and `graphaudit reset`, on the real Neo4j server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA

from graphaudit.cli import main

pytestmark = pytest.mark.neo4j
GRAPHAUDIT = str(Path(sys.executable).parent / "graphaudit")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def load(data, tmp_path, *args: str):
    return run("load", str(data), "--rejects", str(tmp_path / "r.csv"), "-q", *args)


def small_world(folder, prefix: str, stores: int = 3):
    folder.mkdir()
    (folder / "stores.csv").write_text(
        "store_id,name,brand,status\n"
        + "".join(f"{prefix}{i},Store {i},b{i},active\n" for i in range(stores)),
        encoding="utf-8")
    (folder / "payments.csv").write_text(
        "store_id,account_number\n"
        + "".join(f"{prefix}{i},62220202001122{len(prefix)}{i}\n" for i in range(stores)),
        encoding="utf-8")
    return folder


def store_ids(graph) -> set[str]:
    return {r["s"] for r in graph.run_read("MATCH (s:Store) RETURN s.store_id AS s")}


def test_load_json_is_one_document_and_records_the_data_set(clean_graph, neo4j_env, tmp_path):
    result = load(SAMPLE_DATA, tmp_path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)  # all of stdout
    assert {f["file"] for f in document["files"]} >= {"stores.csv", "payments.csv"}
    (data_set,) = clean_graph.data_sets()
    for key in ("data_set_id", "source", "mode", "stores", "loaded_at"):
        assert data_set[key] == document["data_set"][key], key
    assert data_set["source"] == str(SAMPLE_DATA.resolve()) and data_set["stores"] == 2000
    props = clean_graph.run_read("MATCH (d:DataSet) RETURN properties(d) AS p")[0]["p"]
    assert props["stores_read"] == 2000 and props["stores_accepted"] == 2000
    assert props["payments_read"] > 1000 and props["loaded_at"]


def test_a_second_data_set_is_refused_without_append_or_replace(clean_graph, neo4j_env,
                                                                tmp_path):
    first, second = small_world(tmp_path / "a", "A"), small_world(tmp_path / "b", "B")
    assert load(first, tmp_path).exit_code == 0
    assert load(first, tmp_path).exit_code == 0  # the same source again: a harmless rerun
    refused = load(second, tmp_path, "--format", "json")
    assert refused.exit_code == 1
    assert "--append" in refused.stderr and "--replace" in refused.stderr
    assert str(first.resolve()) in refused.stderr
    assert json.loads(refused.stdout)["exit_code"] == 1
    assert store_ids(clean_graph) == {"A0", "A1", "A2"}  # nothing of the second was loaded

    assert load(second, tmp_path, "--append").exit_code == 0
    assert store_ids(clean_graph) == {"A0", "A1", "A2", "B0", "B1", "B2"}
    assert [d["mode"] for d in clean_graph.data_sets()] == ["new", "append"]
    loads = clean_graph.run_read("MATCH (d:DataSet) RETURN d.loads AS n ORDER BY d.loaded_at")
    assert [r["n"] for r in loads] == [2, 1]

    replaced = load(first, tmp_path, "--replace")
    assert replaced.exit_code == 0, replaced.stderr
    assert store_ids(clean_graph) == {"A0", "A1", "A2"}
    assert [(d["source"], d["mode"]) for d in clean_graph.data_sets()] == [
        (str(first.resolve()), "replace")]


def test_append_counts_the_stores_it_merged_into_another_data_sets(clean_graph, neo4j_env,
                                                                    tmp_path):
    """REPORT7 item 2: `load exp2 --append`, where one store id of exp2 was the first export's,
    merged the two stores (this load's name and status, both loads' identifiers) and said
    nothing: exports of two marketplaces that number their stores alike merge unrelated
    sellers."""
    assert load(small_world(tmp_path / "a", "A"), tmp_path).exit_code == 0
    second = small_world(tmp_path / "b", "B")
    with open(second / "stores.csv", "a", encoding="utf-8") as handle:
        handle.write("A1,Another seller,zz,suspended\n")
    result = load(second, tmp_path, "--append")
    assert result.exit_code == 0, result.output
    assert "1 store id(s) of" in result.stderr and "merged" in result.stderr
    name = clean_graph.run_read("MATCH (s:Store {store_id: 'A1'}) RETURN s.name AS n")
    assert name[0]["n"] == "Another seller"
    again = load(second, tmp_path, "--append", "--format", "json")  # its own stores now
    assert json.loads(again.stdout)["merged_stores"] == 0


def test_a_folder_named_in_gbk_bytes_is_analyzed_and_loaded(clean_graph, neo4j_env, tmp_path):
    """REPORT7 item 7: a folder unzipped from a GBK archive (导出, bytes that are not UTF-8)
    stopped `analyze` writing the report and `load` recording its :DataSet (after writing the
    graph) with a UnicodeEncodeError traceback."""
    data = small_world(tmp_path / os.fsdecode(b"\xb5\xbc\xb3\xf6"), "A")
    analyzed = run("analyze", str(data), "--out", str(tmp_path / "out"), "-q")
    assert analyzed.exit_code == 0, analyzed.output
    assert "\\xb5\\xbc\\xb3\\xf6" in (tmp_path / "out" / "index.html").read_text("utf-8")
    for _ in range(2):  # the second a harmless rerun of the data set recorded
        loaded = load(data, tmp_path)
        assert loaded.exit_code == 0, loaded.output
    (data_set,) = clean_graph.data_sets()
    assert data_set["source"].endswith("\\xb5\\xbc\\xb3\\xf6")
    assert clean_graph.run_read("MATCH (d:DataSet) RETURN d.loads AS n")[0]["n"] == 2


def test_an_appended_stores_file_does_not_make_the_report_deny_the_graphs_links(
        clean_graph, neo4j_env, tmp_path):
    """REPORT7 item 6: `load exp3 --append`, a stores file alone (two status changes) over a
    full export, made the report's index say "no payments file: cannot assess links through
    shared payment accounts ... their absence below means nothing" above 276 clusters made of
    those links."""
    assert load(small_world(tmp_path / "a", "A"), tmp_path).exit_code == 0
    update = tmp_path / "b"
    update.mkdir()
    (update / "stores.csv").write_text("store_id,name,brand,status\nA1,Store 1,b1,suspended\n",
                                       encoding="utf-8")
    appended = load(update, tmp_path, "--append")
    assert appended.exit_code == 0, appended.output
    assert "no payments file: cannot assess links through shared payment accounts (of this " \
        "data set's stores: the graph keeps what earlier loads wrote)" in appended.stderr
    report = run("report", "--out", str(tmp_path / "out"), "-q")
    assert report.exit_code == 0, report.output
    said = "no payments file: cannot assess links through shared payment accounts"
    assert f"{said} (in the files of 1 of the 2 data sets loaded" in report.stderr
    assert "no identities file: cannot assess links through shared ID documents, phones and " \
        "e-mails, and distinct ID holders\n" in report.stderr  # neither data set had one


def test_a_rerun_keeps_the_data_sets_id_and_mode(clean_graph, neo4j_env, tmp_path):
    """`load w3k --replace` then `load w3k`: the same data set, the same id, mode replace."""
    first = small_world(tmp_path / "a", "A")
    replaced = load(first, tmp_path, "--replace", "--format", "json")
    assert replaced.exit_code == 0, replaced.stderr
    data_set_id = json.loads(replaced.stdout)["data_set"]["data_set_id"]
    again = load(first, tmp_path, "--format", "json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["data_set"]["data_set_id"] == data_set_id
    assert f"as data set {data_set_id}" in again.stderr
    (data_set,) = clean_graph.data_sets()
    assert (data_set["data_set_id"], data_set["mode"]) == (data_set_id, "replace")
    assert load(first, tmp_path, "--append").exit_code == 0  # a mode given is recorded
    assert [(d["data_set_id"], d["mode"]) for d in clean_graph.data_sets()] == [
        (data_set_id, "append")]


def test_a_load_that_rejects_nothing_keeps_another_data_sets_rejects(clean_graph, neo4j_env,
                                                                     tmp_path):
    """`load w3k` writes rejects.csv; `load qk/inject --append` in the same folder rejects
    nothing: the first data set's rejects stay, and the run says they are not its own."""
    first = small_world(tmp_path / "a", "A")
    (first / "identities.csv").write_text("store_id,id_number,id_type,email\n"
                                          "A0,P1234567,PASSPORT,not-an-email\n",
                                          encoding="utf-8")
    assert load(first, tmp_path).exit_code == 0
    rejects = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "not-an-email" in rejects or "email" in rejects
    second = load(small_world(tmp_path / "b", "B"), tmp_path, "--append")
    assert second.exit_code == 0, second.stderr
    assert (tmp_path / "r.csv").read_text(encoding="utf-8") == rejects
    assert "holds the rejects of an earlier run, not this one's" in second.stderr


def test_a_graph_of_an_unrecorded_load_is_refused_too(clean_graph, neo4j_env, tmp_path):
    clean_graph.run_write("CREATE (:Store {store_id: 'OLD1'})")
    result = load(small_world(tmp_path / "a", "A"), tmp_path)
    assert result.exit_code == 1 and "unrecorded load" in result.stderr


def test_the_refusal_of_an_unrecorded_load_says_how_to_complete_it(clean_graph, neo4j_env,
                                                                   tmp_path):
    """Stores of no data set (a killed load of a graphaudit before 2026-12-02, which recorded
    its data set at its end; REPORT7 item 8): the refusal says where they come from and that
    --append completes the load."""
    world = small_world(tmp_path / "a", "A")
    clean_graph.run_write("CREATE (:Store {store_id: 'A0'})")  # what the killed load wrote
    rerun = load(world, tmp_path)
    assert rerun.exit_code == 1 and "--append completes it" in rerun.stderr, rerun.output
    assert "before 2026-12-02" in rerun.stderr
    completed = load(world, tmp_path, "--append")
    assert completed.exit_code == 0, completed.output
    assert store_ids(clean_graph) == {"A0", "A1", "A2"}
    assert [d["source"] for d in clean_graph.data_sets()] == [str(world.resolve())]


def killed_load(world, tmp_path, graph, *args: str) -> subprocess.CompletedProcess:
    """`graphaudit load WORLD` in a process of its own, killed (SIGKILL) once it has written
    stores; its stderr."""
    load = subprocess.Popen([GRAPHAUDIT, "load", str(world), "-q", "--rejects",
                             str(tmp_path / "killed.csv"), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and load.poll() is None:
        if graph.counts()[0]["Store"]:
            break
        time.sleep(0.05)
    assert load.poll() is None, "the load finished before the kill: give it more stores"
    os.kill(load.pid, signal.SIGKILL)
    _, err = load.communicate(timeout=60)
    assert load.returncode == -signal.SIGKILL, err
    return err


def test_a_killed_first_load_is_completed_by_its_plain_rerun(clean_graph, neo4j_env, tmp_path):
    """REPORT7 item 8: `load out/world` killed midway (47,470 of 148,427 rows), then `load
    out/world` again was refused as "an unrecorded load", while README promised that a rerun
    completes an interrupted load. The load records its data set, incomplete, before it writes
    a store: the plain rerun completes it, to the counts of an uninterrupted load; another
    export is refused meanwhile, and queries, cluster and the report say the load is
    incomplete."""
    world = tmp_path / "world"
    made = run("sample", "--stores", "4000", "--seed", "7", "--out", str(world), "-q")
    assert made.exit_code == 0, made.output
    killed_load(world, tmp_path, clean_graph)
    partial = clean_graph.counts()
    (begun,) = clean_graph.data_sets()
    assert begun["source"] == str(world.resolve()) and begun["complete"] is False
    assert begun["stores"] == 4000
    incomplete = f"the graph holds an incomplete load of {world.resolve()}"
    queried = run("query", "riskiest-clusters")
    assert queried.exit_code == 0 and incomplete in queried.output, queried.output
    other = load(small_world(tmp_path / "b", "B"), tmp_path)
    assert other.exit_code == 1, other.output
    assert "an incomplete load: `graphaudit load` of it completes it" in other.stderr
    rerun = load(world, tmp_path)
    assert rerun.exit_code == 0, rerun.output
    completed = clean_graph.counts()
    (data_set,) = clean_graph.data_sets()
    assert data_set["complete"] is True and data_set["data_set_id"] == begun["data_set_id"]
    assert data_set["mode"] == "new"
    queried = run("query", "riskiest-clusters")
    assert incomplete not in queried.output
    reference = load(world, tmp_path, "--replace")
    assert reference.exit_code == 0, reference.output
    assert completed == clean_graph.counts()
    assert partial != completed and completed[0]["Store"] == 4000


def test_cluster_and_the_report_say_the_graph_holds_an_incomplete_load(clean_graph, neo4j_env,
                                                                      tmp_path):
    world = small_world(tmp_path / "a", "A")
    assert load(world, tmp_path).exit_code == 0
    clean_graph.run_write("MATCH (d:DataSet) SET d.complete = false")  # as a killed load
    said = f"the graph holds an incomplete load of {world.resolve()}"
    clustered = run("cluster", "-q")
    assert clustered.exit_code == 0 and said in clustered.stderr, clustered.output
    reported = run("report", "--out", str(tmp_path / "report"), "-q")
    assert reported.exit_code == 0 and said in reported.stderr, reported.output
    index = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert 'id="incomplete-load"' in index and "incomplete load of" in index


def test_a_data_set_recorded_before_complete_was_is_complete(clean_graph, neo4j_env, tmp_path):
    """A graph loaded before 2026-12-02 records its data sets at the end of their loads,
    without ``complete``: they are complete, and nothing warns."""
    world = small_world(tmp_path / "a", "A")
    assert load(world, tmp_path).exit_code == 0
    clean_graph.run_write("MATCH (d:DataSet) REMOVE d.complete")
    assert [d["complete"] for d in clean_graph.data_sets()] == [True]
    queried = run("query", "riskiest-clusters")
    assert queried.exit_code == 0 and "incomplete" not in queried.output
    assert load(world, tmp_path).exit_code == 0  # its rerun, as before
    refused = load(small_world(tmp_path / "b", "B"), tmp_path)
    assert refused.exit_code == 1 and "incomplete" not in refused.stderr


def test_a_changed_export_over_an_incomplete_load_is_refused(clean_graph, neo4j_env, tmp_path):
    """The incomplete record holds the files' fingerprint: the next export written into the
    folder is not merged over the half-loaded one without --replace or --append."""
    world = small_world(tmp_path / "a", "A")
    assert load(world, tmp_path).exit_code == 0
    clean_graph.run_write("MATCH (d:DataSet) SET d.complete = false")
    with (world / "stores.csv").open("a", encoding="utf-8") as file:
        file.write("A9,Store 9,b9,active\n")
    refused = load(world, tmp_path)
    assert refused.exit_code == 1, refused.output
    assert "its files changed since they were loaded (an incomplete load" in refused.stderr


def test_a_reset_deletes_the_data_sets_first(clean_graph, neo4j_env, tmp_path):
    """A reset (or --replace) stopped while deleting leaves stores of no data set, never a
    remnant recorded as a complete load."""
    assert load(small_world(tmp_path / "a", "A"), tmp_path).exit_code == 0
    statements = []
    real_run = clean_graph._session

    class Recorder:
        def __init__(self, session):
            self.session = session

        def __enter__(self):
            self.inner = self.session.__enter__()
            return self

        def __exit__(self, *exc):
            return self.session.__exit__(*exc)

        def run(self, query, **params):
            statements.append(query)
            return self.inner.run(query, **params)

    clean_graph._session = lambda: Recorder(real_run())
    try:
        deleted = clean_graph.reset()
    finally:
        del clean_graph._session
    assert "DataSet" in statements[0] and deleted == 3 + 3 + 1  # stores, accounts, data set


def test_clusters_older_than_a_load_are_announced_and_replaced(clean_graph, neo4j_env,
                                                               tmp_path):
    first = tmp_path / "first"
    shutil.copytree(SAMPLE_DATA, first)
    assert load(first, tmp_path).exit_code == 0
    assert run("cluster", "-q").exit_code == 0
    before = clean_graph.run_read("MATCH (c:Cluster) RETURN count(c) AS n")[0]["n"]
    appended = load(small_world(tmp_path / "b", "B"), tmp_path, "--append")
    assert appended.exit_code == 0
    assert f"{before:,} clusters in the graph predate this load" in appended.stderr
    assert run("cluster", "-q").exit_code == 0
    stale = clean_graph.run_read(
        "MATCH (d:DataSet) WITH max(d.loaded_at) AS last MATCH (c:Cluster) "
        "WHERE c.computed_at < last RETURN count(c) AS n")[0]["n"]
    assert stale == 0
    assert load(small_world(tmp_path / "c", "C"), tmp_path, "--replace").exit_code == 0
    assert clean_graph.run_read("MATCH (c:Cluster) RETURN count(c) AS n")[0]["n"] == 0


def test_a_rerun_that_changes_nothing_leaves_the_clusters_current(clean_graph, neo4j_env,
                                                                  tmp_path):
    """REPORT3 item 5: `load A`, `cluster`, `load A` again (the harmless rerun) said the
    clusters predate the load, and every query after it hinted to run `cluster` again. A rerun
    after another data set was appended may change the stores they share: that one still
    makes the clusters stale."""
    first = small_world(tmp_path / "a", "A")
    assert load(first, tmp_path).exit_code == 0
    assert run("cluster", "-q").exit_code == 0
    again = load(first, tmp_path)
    assert again.exit_code == 0, again.stderr
    assert "predate this load" not in again.stderr, again.stderr
    queried = run("query", "riskiest-clusters")
    assert queried.exit_code == 0 and "predate the last load" not in queried.stderr
    assert load(small_world(tmp_path / "b", "B"), tmp_path, "--append").exit_code == 0
    assert run("cluster", "-q").exit_code == 0
    rerun = load(first, tmp_path)  # B was loaded after A: A's rows may overwrite B's
    assert rerun.exit_code == 0 and "predate this load" in rerun.stderr, rerun.stderr


def test_reset_asks_and_deletes_in_batches(clean_graph, neo4j_env, tmp_path):
    assert load(small_world(tmp_path / "a", "A", stores=25), tmp_path).exit_code == 0
    declined = run("reset", input="n\n")
    assert declined.exit_code == 1 and "Nothing deleted" in declined.stderr
    assert len(store_ids(clean_graph)) == 25
    nodes = clean_graph.run_read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    assert clean_graph.reset(batch_size=7) == nodes  # several transactions
    assert clean_graph.run_read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    assert load(small_world(tmp_path / "b", "B"), tmp_path).exit_code == 0
    done = run("reset", "--yes")
    assert done.exit_code == 0 and "Deleted" in done.stdout
    assert clean_graph.run_read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    constraints = clean_graph.run_read("SHOW CONSTRAINTS YIELD name RETURN name")
    assert {"store_id", "cluster_id"} <= {c["name"] for c in constraints}  # schema kept


def test_a_changed_export_in_the_same_folder_is_not_merged_over_the_old_graph(
        clean_graph, neo4j_env, tmp_path):
    """REPORT2 item 4: the next day's export written into the same folder was taken for a rerun
    and MERGEd over the old graph, keeping the links it no longer has (an account a store
    dropped still linked it). A rerun on the same files is still a harmless rerun; changed
    files are refused (exit 1) pointing at --replace, which loads them cleanly."""
    data = small_world(tmp_path / "a", "A")
    assert load(data, tmp_path).exit_code == 0
    assert load(data, tmp_path).exit_code == 0  # the same files: a rerun
    payments = data / "payments.csv"
    payments.write_text("store_id,account_number\nA0,6222020200112299999\n", encoding="utf-8")
    changed = load(data, tmp_path)
    assert changed.exit_code == 1 and "--replace" in changed.stderr, changed.output
    old = "MATCH (:Store {store_id: 'A1'})-[r]->(:PaymentAccount) RETURN count(r) AS n"
    assert clean_graph.run_read(old)[0]["n"] == 1  # the graph is as it was
    assert load(data, tmp_path, "--replace").exit_code == 0
    assert clean_graph.run_read(old)[0]["n"] == 0
    assert load(data, tmp_path).exit_code == 0  # and a rerun of these files is one again


def test_a_touched_export_is_a_rerun_not_a_changed_one(clean_graph, neo4j_env, tmp_path):
    """REPORT4 item 15: `load A`, `touch A/stores.csv`, `load A` was refused as files that
    "changed since they were loaded"; the same bytes are a rerun, and the clusters stay
    current."""
    import os

    data = small_world(tmp_path / "a", "A")
    assert load(data, tmp_path).exit_code == 0
    assert run("cluster", "-q").exit_code == 0
    info = os.stat(data / "stores.csv")
    os.utime(data / "stores.csv", ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    touched = load(data, tmp_path)
    assert touched.exit_code == 0, touched.output
    assert "predate this load" not in touched.stderr, touched.stderr
    (data / "stores.csv").write_text((data / "stores.csv").read_text(encoding="utf-8")
                                     .replace("Store 1", "Store 9"), encoding="utf-8")
    changed = load(data, tmp_path)
    assert changed.exit_code == 1 and "contents differ" in changed.stderr, changed.output


def test_a_load_that_creates_nothing_does_not_say_nothing_changed(clean_graph, neo4j_env,
                                                                 tmp_path):
    """REPORT4 item 14: `load --append` of an export whose only change is a store's status
    updated the graph, and said "nothing new: every node and relationship was there
    already"."""
    world = small_world(tmp_path / "a", "A")
    assert load(world, tmp_path).exit_code == 0
    stores = world / "stores.csv"
    stores.write_text(stores.read_text(encoding="utf-8").replace("A1,Store 1,b1,active",
                                                                  "A1,Store 1,b1,suspended"),
                      encoding="utf-8")
    result = load(world, tmp_path, "--append")
    assert result.exit_code == 0, result.output
    assert "no new node or relationship" in result.stdout and "nothing new" not in result.stdout
    assert "in the graph already" not in result.stderr  # its own stores: no other data set's
    status = clean_graph.run_read("MATCH (s:Store {store_id: 'A1'}) RETURN s.status AS s")
    assert status[0]["s"] == "suspended"


def store_props(graph, store_id: str) -> dict:
    rows = graph.run_read("MATCH (s:Store {store_id: $id}) RETURN properties(s) AS p", id=store_id)
    return {k: (str(v) if k.endswith("_on") else v) for k, v in rows[0]["p"].items()}


def banned_world(folder):
    """KR1 suspended (its date and reason), KR2 active, with every store column."""
    folder.mkdir()
    (folder / "stores.csv").write_text(
        "store_id,name,brand,marketplace,opened_on,status,suspended_on,status_reason\n"
        "KR1,Seoul Shop,seoulb,coupang,2023-01-05,suspended,2024-02-01,counterfeits\n"
        "KR2,Busan Shop,busanb,gmarket,2023-03-01,active,,\n", encoding="utf-8")
    return folder


def test_an_appended_file_without_a_column_keeps_what_the_graph_holds_in_it(
        clean_graph, neo4j_env, tmp_path):
    """REPORT9 item 2: `load exp/e2 --append` of a stores file without a status column (a
    rename list) made a suspended store active and dropped its ban date and reason, while the
    warning said the graph keeps what earlier loads wrote. A column the file does not have
    leaves the graph's value; a new store gets the default (active)."""
    assert load(banned_world(tmp_path / "a"), tmp_path).exit_code == 0
    renames = tmp_path / "b"
    renames.mkdir()
    (renames / "stores.csv").write_text("store_id,name\nKR1,Seoul Shop 2\nKR3,New Shop\n",
                                        encoding="utf-8")
    appended = load(renames, tmp_path, "--append")
    assert appended.exit_code == 0, appended.output
    assert "the graph keeps what earlier loads wrote" in appended.stderr
    kr1 = store_props(clean_graph, "KR1")
    assert kr1["name"] == "Seoul Shop 2"  # the column the file has is written
    assert (kr1["status"], kr1["suspended_on"], kr1["status_reason"]) == (
        "suspended", "2024-02-01", "counterfeits")
    assert (kr1["brand"], kr1["brand_key"], kr1["marketplace"], kr1["opened_on"]) == (
        "seoulb", "seoulb", "coupang", "2023-01-05")
    assert "previous_status" not in kr1
    kr3 = store_props(clean_graph, "KR3")
    assert kr3["status"] == "active" and "suspended_on" not in kr3 and "brand" not in kr3
    # a file with a status column and no date: the status is the file's, the date the graph's
    statuses = tmp_path / "c"
    statuses.mkdir()
    (statuses / "stores.csv").write_text("store_id,status\nKR2,suspended\n", encoding="utf-8")
    assert load(statuses, tmp_path, "--append").exit_code == 0
    kr2 = store_props(clean_graph, "KR2")
    assert (kr2["status"], kr2["name"], kr2["opened_on"]) == ("suspended", "Busan Shop",
                                                               "2023-03-01")
    assert kr2["previous_status"] == "active"
    assert kr2["status_changed_by"] == clean_graph.data_sets()[-1]["data_set_id"]


def test_an_appended_older_export_does_not_lift_a_ban_without_a_word(clean_graph, neo4j_env,
                                                                     tmp_path):
    """REPORT9 item 4: `load exp/e3 --append`, a file older than KR001's ban (it says active),
    made KR001 active, its date and reason gone, with no word of it. The load names the change
    and refuses it before writing; --lift-suspensions loads it, the ban kept as previous_*."""
    assert load(banned_world(tmp_path / "a"), tmp_path).exit_code == 0
    older = tmp_path / "b"
    older.mkdir()
    (older / "stores.csv").write_text("store_id,name,status\nKR1,Seoul Shop,active\n"
                                      "KR2,Busan Shop,suspended\nKR9,Other,active\n",
                                      encoding="utf-8")
    refused = load(older, tmp_path, "--append")
    assert refused.exit_code == 1, refused.output
    assert ("1 store suspended in the graph is active in this file: KR1 (suspended 2024-02-01)"
            in refused.stderr)
    assert "--lift-suspensions" in refused.stderr
    assert store_props(clean_graph, "KR1")["status"] == "suspended"
    assert store_ids(clean_graph) == {"KR1", "KR2"}  # nothing of it was written
    lifted = load(older, tmp_path, "--append", "--lift-suspensions")
    assert lifted.exit_code == 0, lifted.output
    assert "1 store active in the graph is suspended in this file: KR2" in lifted.stderr
    assert "1 store suspended in the graph is active in this file: KR1" in lifted.stderr
    kr1 = store_props(clean_graph, "KR1")
    # the file has no suspended_on column: the date stays (REPORT9 item 2), the status goes
    assert (kr1["status"], kr1["suspended_on"]) == ("active", "2024-02-01")
    assert (kr1["previous_status"], kr1["previous_suspended_on"],
            kr1["previous_status_reason"]) == ("suspended", "2024-02-01", "counterfeits")


def test_an_interrupted_load_says_what_it_left_and_how_to_complete_it(clean_graph, neo4j_env,
                                                                      tmp_path):
    """REPORT9 item 10: Ctrl-C mid-load printed `Aborted!` and exited 1, saying nothing of the
    incomplete data set; with SIGINT to the process alone, `Transaction failed and will be
    retried` lines came after it. The load says what it left and what completes it, exit 130
    (the shells' code for SIGINT), and nothing after."""
    world = tmp_path / "world"
    made = run("sample", "--stores", "4000", "--seed", "7", "--out", str(world), "-q")
    assert made.exit_code == 0, made.output
    load = subprocess.Popen([GRAPHAUDIT, "load", str(world), "-q", "--rejects",
                             str(tmp_path / "r.csv")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and load.poll() is None:
        if clean_graph.counts()[0]["Store"]:
            break
        time.sleep(0.05)
    assert load.poll() is None, "the load finished before the interrupt: give it more stores"
    os.kill(load.pid, signal.SIGINT)  # the process alone, as `timeout -s INT` sends it
    _, err = load.communicate(timeout=120)
    assert load.returncode == 130, err
    lines = err.strip().splitlines()
    assert lines[-1] == (f"Interrupted: data set {world.resolve()} left incomplete; "
                         f"`graphaudit load {world}` completes it"), err
    assert "retried" not in err and "Aborted" not in err and "Traceback" not in err
    (data_set,) = clean_graph.data_sets()
    assert data_set["complete"] is False
    rerun = run("load", str(world), "-q", "--rejects", str(tmp_path / "r.csv"))
    assert rerun.exit_code == 0, rerun.output
    assert clean_graph.counts()[0]["Store"] == 4000
