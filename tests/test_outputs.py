"""Output folders: a rerun says what the folder will lose, replaces the tool's own files, removes
the ones it no longer writes (an old rejects.csv), and never anything else."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner

from graphaudit.cli import main
from graphaudit.outputs import MANIFEST, OutputRecord, is_own_name, survey

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"


def small_data(folder: Path, bad_row: bool) -> Path:
    """Four stores, two of them sharing a phone; with ``bad_row``, one more that is rejected."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["store_id,name,brand,marketplace,opened_on,status",
            "S1,One,Acme,amazon.com,2020-01-01,active",
            "S2,Two,Acme,amazon.com,2020-01-02,active",
            "S3,Three,Bolt,amazon.com,2020-01-03,active",
            "S4,Four,Bolt,amazon.com,2020-01-04,active"]
    if bad_row:
        rows.append(",no id,Acme,amazon.com,2020-01-05,active")
    (folder / "stores.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "identities.csv").write_text(
        "store_id,id_type,id_number,holder_name,phone\n"
        "S1,PASSPORT,X1234567,Ann Lee,+44 20 7946 0001\n"
        "S2,PASSPORT,X7654321,Bob Lee,+44 20 7946 0001\n", encoding="utf-8")
    return folder


def analyze(data: Path, out: Path):
    return CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q"])


def test_a_rerun_removes_the_old_rejects_and_keeps_everything_else(tmp_path):
    out = tmp_path / "out"
    first = analyze(small_data(tmp_path / "bad", bad_row=True), out)
    assert first.exit_code == 0, first.output
    assert (out / "rejects.csv").is_file()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "clusters" / "my-page.html").write_text("mine", encoding="utf-8")

    second = analyze(small_data(tmp_path / "good", bad_row=False), out)
    assert second.exit_code == 0, second.output
    # said before writing: what the folder holds and what happens to it
    assert "holds the output of an earlier run (`graphaudit analyze`" in second.output
    assert "rejects.csv" in second.output.split("Removed")[0]
    assert "holds 2 files graphaudit has no record of writing: they are kept" in second.output
    # the old rejects.csv, which would now be wrong, is gone, and it says so
    assert not (out / "rejects.csv").exists()
    assert "Removed 1 file an earlier run wrote" in second.output
    # nothing of anyone else's is touched
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    recorded = {f["path"] for f in manifest["files"]}
    assert {"clusters.csv", "index.html", "evidence.csv"} <= recorded
    assert "rejects.csv" not in recorded and "notes.txt" not in recorded


def test_a_file_changed_since_the_tool_wrote_it_is_kept(tmp_path):
    out = tmp_path / "out"
    assert analyze(small_data(tmp_path / "bad", bad_row=True), out).exit_code == 0
    (out / "rejects.csv").write_text("my annotated copy\n", encoding="utf-8")
    second = analyze(small_data(tmp_path / "good", bad_row=False), out)
    assert second.exit_code == 0
    assert (out / "rejects.csv").read_text(encoding="utf-8") == "my annotated copy\n"
    assert "changed since" in second.output and "Kept 1 file" in second.output


def test_a_planted_manifest_cannot_remove_anything_else(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "precious.csv"
    out.mkdir()
    outside.write_text("keep", encoding="utf-8")
    (out / "report.docx").write_text("keep", encoding="utf-8")
    os.symlink(outside, out / "rejects.csv")
    entries = []
    for name in ("../precious.csv", "report.docx", "rejects.csv", str(outside)):
        info = (out / name).lstat() if not name.startswith("/") else outside.lstat()
        entries.append({"path": name, "size": info.st_size, "mtime_ns": info.st_mtime_ns})
    (out / MANIFEST).write_text(json.dumps({"command": "x", "files": entries}), encoding="utf-8")

    result = analyze(small_data(tmp_path / "good", bad_row=False), out)
    assert result.exit_code == 0, result.output
    assert outside.read_text(encoding="utf-8") == "keep"
    assert (out / "report.docx").read_text(encoding="utf-8") == "keep"
    assert (out / "rejects.csv").is_symlink()


def test_a_folder_without_a_manifest_loses_only_the_names_it_rewrites(tmp_path):
    out = tmp_path / "out"
    (out / "clusters").mkdir(parents=True)
    (out / "rejects.csv").write_text("someone's\n", encoding="utf-8")
    (out / "hubs.csv").write_text("old\n", encoding="utf-8")
    result = analyze(small_data(tmp_path / "good", bad_row=False), out)
    assert result.exit_code == 0
    assert "no record of writing" in result.output and "hubs.csv" in result.output
    assert (out / "rejects.csv").read_text(encoding="utf-8") == "someone's\n"
    assert (out / "hubs.csv").read_text(encoding="utf-8") != "old\n"


def test_a_partial_run_keeps_the_earlier_files_recorded(tmp_path):
    out = tmp_path / "out"
    (out / "clusters").mkdir(parents=True)
    for name in ("index.html", "clusters/C1.html", "clusters/C2.html"):
        (out / name).write_text(name, encoding="utf-8")
    full = OutputRecord(out, "full")
    full.add(out / "index.html", out / "clusters" / "C1.html", out / "clusters" / "C2.html")
    assert full.commit().removed == []

    (out / "clusters" / "C1.html").write_text("again", encoding="utf-8")
    one = OutputRecord(out, "one page")
    one.keep_earlier = True
    one.add(out / "clusters" / "C1.html")
    assert one.commit().removed == []
    assert (out / "clusters" / "C2.html").is_file()
    assert set(survey(out).earlier) == {"index.html", "clusters/C1.html", "clusters/C2.html"}

    whole = OutputRecord(out, "full again")
    whole.add(out / "index.html", out / "clusters" / "C1.html")
    assert whole.commit().removed == ["clusters/C2.html"]


def test_only_names_the_tool_writes_are_its_own():
    assert is_own_name("rejects.csv") and is_own_name("clusters/C0001.html")
    for name in ("notes.txt", "../rejects.csv", "clusters/../../x.html", "sub/rejects.csv",
                 "clusters/a/b.html", "/etc/passwd"):
        assert not is_own_name(name), name


def test_sample_replaces_its_own_files_and_analyze_into_the_same_folder_keeps_them(tmp_path):
    world = tmp_path / "world"
    first = CliRunner().invoke(main, ["sample", "--stores", "60", "--out", str(world), "-q"])
    assert first.exit_code == 0, first.output
    assert (world / "truth_shared.csv").is_file()
    # the legacy generator writes no truth_shared.csv: the old one would describe another world
    second = CliRunner().invoke(main, ["sample", "--stores", "60", "--profile", "legacy",
                                       "--out", str(world), "-q"])
    assert second.exit_code == 0, second.output
    assert "holds the output of an earlier run (`graphaudit sample`" in second.output
    assert not (world / "truth_shared.csv").exists() and not (world / "world.json").exists()
    assert "truth_shared.csv" in second.output.split("Removed")[1]
    inputs = {p.name: p.read_bytes() for p in world.glob("*.csv")}
    # analyze writes its report into the data directory: the data stays
    result = analyze(world, world)
    assert result.exit_code == 0, result.output
    assert "another graphaudit command wrote" in result.output
    assert {p.name: p.read_bytes() for p in world.glob("*.csv") if p.name in inputs} == inputs
    again = analyze(world, world)
    assert again.exit_code == 0 and "Removed" not in again.output
    assert {p.name: p.read_bytes() for p in world.glob("*.csv") if p.name in inputs} == inputs


def test_an_analyze_into_its_data_folder_does_not_say_it_may_overwrite_the_inputs(tmp_path):
    """REPORT4 item 11: `analyze DIR --out DIR` noted that stores.csv and the other inputs
    "are overwritten if this run writes them", which analyze never does (only sample)."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("stores.csv", "identities.csv", "index.html"):
        (folder / name).write_text("x", encoding="utf-8")
    report_note = " ".join(survey(folder).notes())
    assert "(index.html)" in report_note and "stores.csv" not in report_note
    assert "identities.csv, index.html, stores.csv" in " ".join(survey(folder, "sample").notes())


def test_a_linked_pages_folder_is_refused_before_anything_in_out_is_touched(tmp_path):
    """REPORT4 item 17: with OUT/clusters a link, analyze was refused (right), but only after
    it had removed the user's link at OUT/index.html."""
    from click.testing import CliRunner

    from graphaudit.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text("store_id\nS1\nS2\n", encoding="utf-8")
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "clusters").symlink_to(elsewhere)
    (out / "index.html").symlink_to(tmp_path / "mine.html")
    result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q"])
    assert result.exit_code == 1 and "a symbolic link; refused" in result.stderr, result.output
    assert (out / "index.html").is_symlink() and not any(elsewhere.iterdir())
