"""The library step by step, as a notebook uses it: inputs and results keyed by store id."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphaudit import pipeline
from graphaudit.linkage import link_stores

STORES = pd.DataFrame({"store_id": ["S3", "S1", "S2", "S4"]})
LINKS = pd.DataFrame({"store_id": ["S1", "S3", "S2", "S4"], "kind": ["payment"] * 4,
                      "key": ["6222001", "6222001", "6222999", "6222777"]})


def test_a_minimal_table_that_link_stores_accepts_is_analyzed():
    """Only store_id on the stores, no holder_name on the links: analyze fills in the rest
    (status active, no dates, no brand) instead of failing with KeyError: 'brand'."""
    link_stores(STORES, LINKS)  # the engine accepts it...
    result = pipeline.analyze(STORES, LINKS)  # ...and so does the whole analysis
    clusters = result.cluster_of
    assert clusters.index.name == "store_id" and sorted(clusters.index) == ["S1", "S2", "S3", "S4"]
    assert clusters["S1"] == clusters["S3"]
    assert len({clusters["S1"], clusters["S2"], clusters["S4"]}) == 3
    assert (result.stores["linked_to_suspended"] == False).all()  # noqa: E712 - no status given
    assert result.store("S3")["cluster_id"] == clusters["S3"]
    with pytest.raises(KeyError):
        result.store("S9")


@pytest.mark.parametrize("links", [
    pd.DataFrame({"store_id": [], "kind": [], "key": []}),  # pandas makes these float64
    pd.DataFrame({"store_id": pd.Series([], dtype=object), "kind": pd.Series([], dtype=object),
                  "key": pd.Series([], dtype=object)}),
])
def test_stores_without_links_are_clusters_of_one_whatever_the_empty_columns_dtype(links):
    """REPORT4 item 9: an empty links table built from lists crashed in Arrow (string and
    large_string chunks in linkage/graph.py); stores with no identifier are clusters of one."""
    result = pipeline.analyze(pd.DataFrame({"store_id": ["A1", "A2"]}), links)
    assert result.cluster_of["A1"] != result.cluster_of["A2"]


def test_results_are_keyed_by_store_id_not_by_the_order_of_the_input():
    shuffled = pipeline.analyze(STORES.iloc[::-1], LINKS.iloc[[2, 0, 3, 1]]).cluster_of
    assert shuffled.sort_index().equals(pipeline.analyze(STORES, LINKS).cluster_of.sort_index())


def test_score_takes_a_linkage_of_the_engine_alone():
    """link_stores' result (no brands weighed, minimal stores) can be scored as it is."""
    analysis = pipeline.score(link_stores(STORES, LINKS))
    assert len(analysis.clusters) == 3 and set(analysis.cluster_of.index) == set(STORES.store_id)


def test_rejects_are_kept_when_no_writer_is_given(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text("store_id,opened_on\nS1,2020-01-01\nS2,not a date\nS1,\n",
                                     encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number,email\nS1,11010519491231002X,not-an-email\nS9,X1,\n",
        encoding="utf-8")
    records = pipeline.read(data)
    assert list(records.stores["store_id"]) == ["S1", "S2"]
    read_rejects = {(r.file, r.line, r.field) for r in records.rejects}
    assert ("stores.csv", 4, "store_id") in read_rejects  # the duplicate store id
    assert ("identities.csv", 3, "store_id") in read_rejects  # a store the stores lack
    identifiers = pipeline.extract(records)
    assert [(r.file, r.line, r.field) for r in identifiers.rejects] == [
        ("identities.csv", 2, "email")]
    assert list(identifiers.links["kind"]) == ["id_document"]


def test_the_steps_write_the_files_of_the_command(tmp_path):
    from click.testing import CliRunner
    from conftest import SAMPLE_DATA

    from graphaudit.cli import main

    command = tmp_path / "command"
    assert CliRunner().invoke(main, ["analyze", str(SAMPLE_DATA), "--out", str(command),
                                     "--max-pages", "3"]).exit_code == 0
    records = pipeline.read(SAMPLE_DATA)
    identifiers = pipeline.extract(records)
    linkage = pipeline.link(records.stores, identifiers.links)
    analysis = pipeline.score(linkage)
    paths = pipeline.write(analysis, tmp_path / "steps", max_pages=3, source=str(SAMPLE_DATA),
                           rejects=0)
    for name in ("clusters.csv", "cluster_summary.csv", "evidence.csv", "hubs.csv", "links.csv",
                 "possible_links.csv"):
        assert paths[name].read_bytes() == (command / name).read_bytes(), name


def test_jobs_is_the_budget_of_the_command(tmp_path):
    """``graphaudit --jobs N`` (or GRAPHAUDIT_JOBS) is the budget every step of the command
    gets; 0 is a usage error."""
    import click
    from click.testing import CliRunner
    from conftest import SAMPLE_DATA

    from graphaudit.cli import _parallel, main

    refused = CliRunner().invoke(main, ["--jobs", "0", "validate", str(SAMPLE_DATA)])
    assert refused.exit_code == 2 and "--jobs" in refused.stderr
    seen = []

    @main.command("budget-probe")
    def probe():
        seen.append(_parallel().workers)

    try:
        assert CliRunner().invoke(main, ["--jobs", "3", "budget-probe"]).exit_code == 0
        assert CliRunner().invoke(main, ["budget-probe"], env={"GRAPHAUDIT_JOBS": "1"}
                                  ).exit_code == 0
    finally:
        main.commands.pop("budget-probe")
    assert seen == [3, 1]
    with click.Context(main):
        assert _parallel().workers >= 1  # no --jobs: every usable core


def test_run_files_is_the_command_in_one_call_and_tells_what_it_does(tmp_path):
    """``run_files`` writes the files of the steps called one by one (byte for byte), says
    what it does through its events, and cleans up after an earlier run into the folder."""
    from conftest import SAMPLE_DATA

    from graphaudit.settings import Settings

    told, stages = [], []
    events = pipeline.Events(stage=stages.append, tell=told.append)
    out = tmp_path / "run"
    run = pipeline.run_files(SAMPLE_DATA, out, Settings(), max_pages=3, events=events)
    records = pipeline.read(SAMPLE_DATA)
    analysis = pipeline.analyze(records.stores, pipeline.extract(records).links)
    steps = pipeline.write(analysis, tmp_path / "steps", max_pages=3, source=str(SAMPLE_DATA),
                           rejects=0)
    for name in ("clusters.csv", "cluster_summary.csv", "evidence.csv", "links.csv"):
        assert run.written[name].read_bytes() == steps[name].read_bytes(), name
    assert run.analysis.cluster_of.equals(analysis.cluster_of)
    assert run.pages == 3 and run.rejects == 0 and run.rejects_path is None
    assert len(list((out / "clusters").glob("*.html"))) == 3
    assert len(stages) > 1  # the analysis names its stages too
    assert stages[-1] == "writing the files and the report"
    assert told == []  # a clean directory and a new folder: nothing to say

    again = pipeline.run_files(SAMPLE_DATA, out, Settings(), max_pages=1, events=events)
    assert told[0].startswith(f"Note: {out}/ holds the output of an earlier run")
    assert len(again.removal.removed) == 2 and told[-1].startswith("Removed 2 files")
    assert len(list((out / "clusters").glob("*.html"))) == 1


def test_run_files_under_strict_fails_on_a_reject_before_the_analysis(tmp_path):
    from graphaudit.errors import DataError
    from graphaudit.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\nS1\n", encoding="utf-8")
    told, stages = [], []
    events = pipeline.Events(stage=stages.append, tell=told.append)
    with pytest.raises(DataError, match="--strict"):
        pipeline.run_files(data, tmp_path / "out", Settings(strict=True), events=events)
    assert told[-1] == f"1 rejects written to {tmp_path / 'out' / 'rejects.csv'}"
    assert any(line.startswith("Warning: stores.csv: column status absent") for line in told)
    assert stages == [] and not (tmp_path / "out" / "clusters.csv").exists()
    run = pipeline.run_files(data, tmp_path / "out", Settings(), events=events)
    assert run.rejects == 1 and run.rejects_path == tmp_path / "out" / "rejects.csv"
    assert "rejects.csv" in (tmp_path / "out" / ".graphaudit-manifest.json").read_text()


@pytest.mark.neo4j
def test_run_cluster_and_run_report_are_the_graph_commands_in_one_call(clean_graph,
                                                                      neo4j_settings, tmp_path):
    """``run_report`` before any clustering warns that ids are computed afresh; ``run_cluster``
    writes the clusters back (the ids Neo4j then holds are the analysis's); a report after it
    keeps those ids, and an unknown cluster id fails before anything is written."""
    from conftest import SAMPLE_DATA

    from graphaudit.errors import DataError
    from graphaudit.settings import Settings

    settings = Settings(connection=neo4j_settings)
    told = []
    events = pipeline.Events(tell=told.append)
    loaded = pipeline.run_load(SAMPLE_DATA, settings, events=events)
    records = pipeline.read(SAMPLE_DATA)
    assert loaded.summary.nodes_created["Store"] == len(records.stores) == 2000
    assert loaded.stale == 0 and loaded.rejects.count == 0 and told == []
    assert loaded.data_set["stores"] == 2000
    early = pipeline.run_report(tmp_path / "early", settings, max_pages=2, events=events)
    assert told == ["Warning: Neo4j holds no clusters yet (run `graphaudit cluster`): "
                    "cluster ids are computed afresh"]
    assert early.pages == 2 and len(list((tmp_path / "early" / "clusters").iterdir())) == 2

    clustered = pipeline.run_cluster(settings, events=events)
    assert clustered.written == {} and clustered.removal is None  # no folder given
    stored = {r["store"]: r["cluster"] for r in clean_graph.run_read(
        "MATCH (s:Store)-[:MEMBER_OF]->(c:Cluster) "
        "RETURN s.store_id AS store, c.cluster_id AS cluster")}
    assert stored == clustered.analysis.cluster_of.to_dict()

    told.clear()
    riskiest = clustered.analysis.clusters["cluster_id"].iloc[0]
    page = pipeline.run_report(tmp_path / "page", settings, only_cluster=riskiest,
                               events=events)
    assert told == [] and page.pages == 1
    assert page.analysis.cluster_of.equals(clustered.analysis.cluster_of)
    assert len(page.graph.previous) == len(records.stores)
    with pytest.raises(DataError, match="unknown cluster id 'C-none'"):
        pipeline.run_report(tmp_path / "none", settings, only_cluster="C-none")
    assert not (tmp_path / "none").exists()

    a, b = "S0000041", "S0000189"  # the banned operator's two stores (README)
    found = pipeline.run_explain([a, b], settings)
    assert found["linked"] and found["clusters"][a] == clustered.analysis.cluster_of[a]
    from_files = pipeline.run_explain([a, b], Settings(), data_dir=SAMPLE_DATA)
    def chain(explained: dict) -> list[tuple[str, str, str]]:
        # the stores and what links them (an address's text is the graph's first rendering)
        return [(step["from"], step["shared"], step["to"]) for step in explained["path"]]

    assert from_files["linked"] and chain(from_files) == chain(found) != []

    again = pipeline.run_load(SAMPLE_DATA, settings, events=events)  # idempotent
    assert again.summary.nodes_created.get("Store", 0) == 0
    assert again.stale == 0  # a rerun that created nothing keeps them current (REPORT3 5)


def test_run_check_reads_and_keys_without_analyzing(tmp_path):
    from graphaudit.settings import Settings

    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text("store_id,colour\nS1,red\nS2,blue\n", encoding="utf-8")
    (data / "identities.csv").write_text("store_id,id_number,email\n"
                                         "S1,11010519491231002X,not-an-email\n"
                                         "S2,11010519491231002X,a@b.cn\n", encoding="utf-8")
    told = []
    run = pipeline.run_check(data, Settings(), tmp_path / "rejects.csv",
                             pipeline.Events(tell=told.append))
    accepted = {Path(r.path).name: r.accepted for r in run.reports if r.path}
    assert accepted == {"stores.csv": 2, "identities.csv": 2} and run.rejects.count == 1
    assert told[0] == f"Warning: {data / 'stores.csv'}: ignoring unknown columns: colour"
    assert "identities.csv,2,email" in (tmp_path / "rejects.csv").read_text(encoding="utf-8")
