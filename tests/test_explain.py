"""`graphaudit explain`: one JSON document in every case, and why two stores are not linked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA, write_warehouse_world

from graphaudit.cli import main


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """S1 and S2 share only a warehouse that four separate operators use (too few pairs to
    weigh: a possible link under the default weights), and hold ID numbers one digit apart
    under different names (a near match below the threshold); S4 and S5 share an ID document
    (linked)."""
    return write_warehouse_world(tmp_path_factory.mktemp("explain"), stores=5)


def explain(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["explain", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("ids", [("S4", "S5"), ("S1", "S2"), ("S1",), ("S9",), ("s1",),
                                 ("S1", "s2")])
def test_json_is_one_document_in_every_case(world, ids):
    code, out, err = explain("--data", str(world), *ids, "--format", "json")
    document = json.loads(out)  # the whole of stdout: one document, nothing before or after
    if code == 0:
        assert document["stores"] == list(ids) and set(document["clusters"]) == set(ids)
    else:
        assert code == 1 and document["exit_code"] == 1
        assert document["error"] in err


def test_linked_pair_gives_the_chain_as_json(world):
    code, out, _ = explain("--data", str(world), "S4", "S5", "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["linked"] is True
    assert [(s["from"], s["shared"], s["to"]) for s in found["path"]] == [
        ("S4", "id_document", "S5")]
    (step,) = found["path"]
    # The waterfall: items with their weights add up, with the prior, to the total.
    weights = [float(w) for w in re.findall(r"\(([+-][0-9.]+)\)", step["evidence"])]
    assert step["evidence"].startswith("id_document ") and len(weights) >= 1
    assert step["total"] == pytest.approx(step["prior"] + sum(weights) + step["chance"], abs=0.06)
    assert step["total"] >= step["threshold"]
    assert "440301198001015678" not in out  # masked


def test_not_linked_says_what_they_share_and_how_it_was_judged(world):
    code, out, _ = explain("--data", str(world), "S1", "S2", "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["linked"] is False
    assert found["clusters"]["S1"] != found["clusters"]["S2"]
    (shared,) = found["shared"]
    assert shared["kind"] == "address" and shared["judged"] == "possible link"
    assert shared["links"] is False and shared["stores"] == 4
    assert "shared by 4 stores in 4 clusters" in shared["reason"]
    assert "against the threshold" in shared["reason"]  # the weighing, not only the verdict
    (near,) = found["near_matches"]
    assert near["kind"] == "id_document" and near["judged"] == "below threshold"
    # one edit apart: a misread (the check character explains it) or a plain one-edit pair
    assert near["weight"] < 1 and near["evidence"] in {"id_misread", "id_one_edit"}
    code, text, _ = explain("--data", str(world), "S1", "S2")
    assert f"S1 is in cluster {found['clusters']['S1']}" in text
    assert "possible link" in text and "below threshold" in text


def test_stores_that_share_nothing_say_so(world):
    code, text, _ = explain("--data", str(world), "S3", "S4")
    assert code == 0 and "are not linked" in text and "share no identifier" not in text
    code, text, _ = explain("--data", str(world), "S5", "S1")
    assert "They share no identifier" in text


def test_unknown_and_lower_case_ids_get_a_hint(world):
    code, _, err = explain("--data", str(world), "s1")
    assert code == 1 and "case-sensitive; did you mean 'S1'?" in err
    code, _, err = explain("--data", str(world), "X9")
    assert code == 1 and "5 stores; ids look like 'S1'" in err


def test_sample_pair_of_one_operator_and_a_stranger(tmp_path):
    truth = pd.read_csv(SAMPLE_DATA / "truth.csv", dtype=str)
    big = truth[truth["operator_size"].astype(int) >= 5].groupby("operator_id")["store_id"]
    first = sorted(next(iter(big))[1])[0]
    lone = truth[truth["operator_size"] == "1"]["store_id"].iloc[0]
    code, out, _ = explain("--data", str(SAMPLE_DATA), first, lone, "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["linked"] is False
    assert found["clusters"][first] != found["clusters"][lone]


def test_explain_refuses_csv_as_a_usage_error_rather_than_printing_prose(world):
    """New-user report item 12: `explain A B --format csv` printed sentences ("S1 and S2 are
    not linked: ...") that no CSV reader takes. It is a usage error (exit 2), nothing on
    stdout; table and json still work."""
    code, out, err = explain("--data", str(world), "S1", "S2", "--format", "csv")
    assert code == 2 and out == "" and "'csv' is not one of 'table', 'json'" in err
    assert explain("--data", str(world), "S1", "S2", "--format", "table")[0] == 0
    assert explain("--data", str(world), "S1", "S2", "--format", "json")[0] == 0


def test_the_readmes_tour_stores_are_what_it_says():
    """README: S0000001 is linked to no other store (a cluster of one), S0000189 is linked to
    S0000041; the new user read "a store of no cluster" beside explain's "in cluster C...". """
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "S0000001 a store linked to no other (a cluster of one" in readme
    code, out, _ = explain("--data", str(SAMPLE_DATA), "S0000001", "--format", "json")
    assert code == 0 and json.loads(out)["evidence"] == [], out
    code, out, _ = explain("--data", str(SAMPLE_DATA), "S0000001")
    assert "no shared identifier links it to another store" in out


def test_explain_data_reads_and_links_with_the_options_analyze_was_given(tmp_path):
    """REPORT2 item 1: explain --data takes analyze's --columns, --date-format, --encoding and
    --hubs, so it explains the clusters analyze made (not others)."""
    world = write_warehouse_world(tmp_path / "w", stores=5)
    stores = world / "stores.csv"
    text = stores.read_text(encoding="utf-8").replace("store_id", "Shop ID", 1)
    stores.write_text(re.sub(r"2020-01-0(\d)", r"0\1/01/2020", text), encoding="utf-8")
    columns = tmp_path / "map.toml"
    columns.write_text('[stores]\n"Shop ID" = "store_id"\n', encoding="utf-8")
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("kind,identifier,action,note\nid_document,440301198001015678,hub,agency\n",
                    encoding="utf-8")
    reading = ["--columns", str(columns), "--date-format", "%d/%m/%Y", "--encoding", "utf-8"]
    code, _, err = explain("--data", str(world), "S4", "S5")
    assert code == 1 and "store_id" in err  # the renamed column is not read without the map
    code, out, _ = explain("--data", str(world), *reading, "S4", "S5", "--format", "json")
    assert code == 0 and json.loads(out)["linked"] is True
    out_dir = tmp_path / "out"
    analyzed = CliRunner().invoke(main, ["analyze", str(world), *reading, "--hubs", str(hubs),
                                         "--out", str(out_dir), "-q"])
    assert analyzed.exit_code == 0, analyzed.output
    clusters = pd.read_csv(out_dir / "clusters.csv").set_index("store_id")["cluster_id"]
    assert clusters["S4"] != clusters["S5"]
    code, out, _ = explain("--data", str(world), *reading, "--hubs", str(hubs), "S4", "S5",
                           "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["linked"] is False
    assert found["clusters"] == {"S4": clusters["S4"], "S5": clusters["S5"]}


def test_reading_options_without_data_are_a_usage_error():
    code, _, err = explain("S4", "S5", "--date-format", "%d/%m/%Y")
    assert code == 2 and "--data" in err


def test_the_same_store_twice_is_a_usage_error(world):
    """REPORT2 item 20: `explain A1 A1` said A1 and A1 are linked through 0 identifiers."""
    code, _, err = explain("--data", str(world), "S4", "S4")
    assert code == 2 and "two different store ids" in err


def test_a_chain_through_a_third_store_also_says_what_the_pair_shares_directly(tmp_path):
    """REPORT8 item 4: B and C hold one ID document (as A does); the cluster merged A with C
    (ID, e-mail, address) and then B with A (ID, phone), so explain B C gave the chain B -> A
    -> C and said they were linked "through 2 shared identifier(s)", the ID document they
    share directly unsaid, where `query path-between` shows it as the one link. The chain is
    named as merges, and the values the pair shares directly follow it."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "stores.csv").write_text("store_id,name\nA,Alpha\nB,Beta\nC,Gamma\n")
    (data / "identities.csv").write_text(
        "store_id,id_number,id_type,phone,email\n"
        "A,E12345678,PASSPORT,13800138000,ops@zentrix.example\n"
        "B,E12345678,PASSPORT,13800138000,\n"
        "C,E12345678,PASSPORT,,ops@zentrix.example\n")
    (data / "addresses.csv").write_text("store_id,address\nA,Room 504 Building B Tianan Park\n"
                                        "C,Room 504 Building B Tianan Park\n")
    code, out, _ = explain("--data", str(data), "B", "C", "--format", "json")
    found = json.loads(out)
    assert code == 0 and found["linked"] is True
    assert [(s["from"], s["to"]) for s in found["path"]] == [("B", "A"), ("A", "C")]
    assert [(s["kind"], s["links"]) for s in found["shared"]] == [("id_document", True)]
    code, out, _ = explain("--data", str(data), "B", "C")
    assert "by a chain of 2 merge(s)" in out and "shared identifier(s)" not in out
    assert "B and C also share directly" in out and "E12345678" not in out
    code, out, _ = explain("--data", str(data), "A", "C", "--format", "json")
    assert len(json.loads(out)["path"]) == 1 and "shared" not in json.loads(out)


def _city_world(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Stores with one address each: (store_id, address, city column); the first suspended."""
    folder.mkdir()
    (folder / "stores.csv").write_text(
        "store_id,name,opened_on,status,suspended_on\n" + "".join(
            f"{sid},Store {sid},2023-01-05,{'suspended' if i == 0 else 'active'},"
            f"{'2024-01-01' if i == 0 else ''}\n" for i, (sid, _, _) in enumerate(rows)),
        encoding="utf-8")
    (folder / "addresses.csv").write_text(
        "store_id,address,address_type,city\n"
        + "".join(f'{sid},"{text}",registered,{city}\n' for sid, text, city in rows),
        encoding="utf-8")
    return folder


def test_one_district_street_and_number_in_two_cities_is_two_places(tmp_path):
    """REPORT9 item 1: the key leaves the province and city out, so 鼓楼区中山路1号 of Nanjing
    (NJ1, suspended) and of Fuzhou (FZ1) were one address and FZ1 was linked to a banned store.
    Two addresses that name different cities (in the text or the city column) are two places;
    one that leaves the city out still links to the one that names it."""
    world = _city_world(tmp_path / "g", [
        ("NJ1", "江苏省南京市鼓楼区中山路1号", "南京"),
        ("FZ1", "福建省福州市鼓楼区中山路1号", "福州"),
        ("NJ2", "鼓楼区 中山路 1号", "南京市"),  # the city in the column only
        ("GZ1", "广州市白云区机场路100号", ""), ("GY1", "贵阳市白云区机场路100号", ""),
        ("TC1", "台中市北區三民路三段100號", ""), ("TN1", "台南市北區三民路三段100號", ""),
        ("EN1", "88 Zhongshan Road, Gulou District", "Nanjing"),
        ("EN2", "88 Zhongshan Rd., Gulou Dist.", "Fuzhou")])
    out = tmp_path / "out"
    analyzed = CliRunner().invoke(main, ["analyze", str(world), "--out", str(out), "-q"])
    assert analyzed.exit_code == 0, analyzed.output
    clusters = pd.read_csv(out / "clusters.csv").set_index("store_id")
    assert clusters.loc["NJ1", "cluster_id"] == clusters.loc["NJ2", "cluster_id"]
    assert clusters.loc["NJ2", "linked_to_suspended"]
    assert clusters["cluster_size"].drop(["NJ1", "NJ2"]).eq(1).all()
    assert not clusters.loc["FZ1", "linked_to_suspended"]
    for a, b in (("NJ1", "FZ1"), ("NJ2", "FZ1"), ("GZ1", "GY1"), ("TC1", "TN1"),
                 ("EN1", "EN2")):
        code, out_text, _ = explain("--data", str(world), a, b, "--format", "json")
        assert code == 0 and json.loads(out_text)["linked"] is False, (a, b)
    code, out_text, _ = explain("--data", str(world), "NJ1", "NJ2", "--format", "json")
    assert json.loads(out_text)["linked"] is True
    # Without a namesake in another city, the spelling without the city links as before.
    alone = _city_world(tmp_path / "nj", [("NJ1", "江苏省南京市鼓楼区中山路1号", "南京"),
                                           ("NJ3", "鼓楼区中山路1号", "")])
    code, out_text, _ = explain("--data", str(alone), "NJ1", "NJ3", "--format", "json")
    assert code == 0 and json.loads(out_text)["linked"] is True
