"""Every long command run as a person runs it: in a terminal (a pseudo-terminal from pexpect), so
the progress code, which is silent when stderr is not a terminal, runs too. Each test asserts
that the command succeeds and that it drew its progress to the end."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
GRAPHAUDIT = str(Path(sys.executable).parent / "graphaudit")
#: what the terminal shows, without colours and cursor codes
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def in_terminal(*args: str, cwd: Path) -> str:
    """Run graphaudit ARGS in a pseudo-terminal; return what it showed. Fails unless exit 0."""
    child = pexpect.spawn(GRAPHAUDIT, list(args), cwd=str(cwd), env=dict(os.environ),
                          encoding="utf-8", timeout=600, dimensions=(40, 160))
    child.expect(pexpect.EOF)
    child.close()
    shown = _ANSI.sub("", child.before)
    assert (child.exitstatus, child.signalstatus) == (0, None), shown[-3000:]
    assert "Traceback" not in shown, shown[-3000:]
    return shown


def test_sample_draws_its_progress(tmp_path):
    shown = in_terminal("sample", "--stores", "300", "--seed", "2", "--out", "world",
                        cwd=tmp_path)
    assert re.search(r"generating\s+\[#+\]\s+300/300.*stores/s", shown), shown
    assert (tmp_path / "world" / "stores.csv").is_file()


def test_validate_counts_the_rows_it_reads(tmp_path):
    shown = in_terminal("validate", str(SAMPLE_DATA), cwd=tmp_path)
    counts = [int(n.replace(",", "")) for n in re.findall(r"reading: ([\d,]+) rows", shown)]
    assert counts and counts[-1] > 2000  # stores and the rows attached to them
    assert re.search(r"stores\.csv\s+utf-8\s+2000\s+2000", shown), shown


def test_an_error_after_the_count_starts_a_line_of_its_own(tmp_path):
    """REPORT5 item 10: a file that stopped the run after others were counted printed its
    error on the count's line: `reading: 2,000 rows (21,794 rows/s)Error: ...`."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "stores.csv").write_text((SAMPLE_DATA / "stores.csv").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (data / "identities.csv").write_text("store_id,name\nS0000001,x\n", encoding="utf-8")
    child = pexpect.spawn(GRAPHAUDIT, ["validate", str(data)], cwd=str(tmp_path),
                          env=dict(os.environ), encoding="utf-8", timeout=600)
    child.expect(pexpect.EOF)
    child.close()
    lines = _ANSI.sub("", child.before).replace("\r\n", "\n").split("\n")
    error = next(line for line in lines if "Error:" in line)
    assert child.exitstatus == 1 and error.startswith("Error: "), lines
    assert any("reading: 2,000 rows" in line for line in lines), lines


def test_analyze_draws_its_stages_and_pages(tmp_path):
    shown = in_terminal("analyze", str(SAMPLE_DATA), "--out", "case", cwd=tmp_path)
    assert re.search(r"reading: [\d,]+ rows", shown)
    assert "writing the files and the report" in shown
    pages = len(list((tmp_path / "case" / "clusters").glob("*.html")))
    assert pages > 0
    assert re.search(rf"writing pages\s+\[#+\]\s+{pages}/{pages}.*pages/s", shown), shown


@pytest.mark.neo4j
def test_load_cluster_and_report_draw_their_progress(clean_graph, neo4j_env, tmp_path):
    shown = in_terminal("load", str(SAMPLE_DATA), "--rejects", "rejects.csv", cwd=tmp_path)
    assert re.search(r"loading\s+\[#+\]\s+(\d+)/\1.*rows/s", shown), shown

    shown = in_terminal("cluster", cwd=tmp_path)
    assert re.search(r"writing clusters\s+\[#+\]\s+(\d+)/\1.*rows/s", shown), shown
    assert "written back to Neo4j" in shown

    shown = in_terminal("report", "--out", "report", cwd=tmp_path)
    pages = len(list((tmp_path / "report" / "clusters").glob("*.html")))
    assert pages > 0
    assert re.search(rf"writing pages\s+\[#+\]\s+{pages}/{pages}.*pages/s", shown), shown


def _into_a_closed_pipe(*args: str, cwd: Path):
    """Run graphaudit ARGS with its stdout a pipe whose reader is gone, as
    `graphaudit ... | head -1` leaves it once head has its line."""
    import subprocess

    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([GRAPHAUDIT, *args], cwd=str(cwd), env=dict(os.environ),
                              stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=600, check=False)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [
    ("query", "--list"),
    ("query", "--list", "--format", "json"),
    ("--help",),
    ("validate", str(SAMPLE_DATA), "--format", "csv", "--rejects", "r.csv"),
    ("sample", "--stores", "50", "--out", "world"),
    ("explain", "S0000041", "--data", str(SAMPLE_DATA)),
])
def test_a_closed_pipe_ends_the_command_quietly(tmp_path, args):
    """hfx item 6: `graphaudit ... | head -1` ends quietly, as Unix tools do: no traceback, no
    "Exception ignored" at exit, nothing on stderr; the exit code is 1 (the output was cut)."""
    result = _into_a_closed_pipe(*args, cwd=tmp_path)
    assert result.returncode == 1 and result.stderr == "", result.stderr[-3000:]

