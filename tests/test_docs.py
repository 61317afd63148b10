"""Documentation that runs: every command block of README.md and docs/*.md, as a user types it.

The blocks are found when the tests run, so a block added tomorrow is run tomorrow. A command
block is a fenced block in ``sh``/``bash``/``shell``/``console``, or an untagged one whose lines
all start like a command (``graphaudit``, ``make``, ``python``...). A ``python`` block (the
library used from a script or a notebook) runs with the checkout's Python in the same kind of
scratch folder, without the server. Each runs as one bash script
(``set -e``) in a scratch folder holding a copy of ``sample_data/``, with the checkout's
``graphaudit`` on PATH, against the suite's Neo4j server, with its own ``XDG_CONFIG_HOME``.

Before each block, the graph holds ``sample_data`` loaded and clustered, or is empty when the
block loads data itself. A few lines cannot run inside the suite and are rewritten, each for a
reason (:data:`REWRITES`). A block that cannot run at all says so in the document, on the line
before it: ``<!-- docs-test: skip (the reason) -->``; the reason is required.

A block passes when it exits 0, prints no traceback, and names no id that does not exist.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SAMPLE_DATA

from graphaudit.cli import main

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND_LANGUAGES = {"sh", "bash", "shell", "console"}
PYTHON_LANGUAGES = {"python", "py"}
COMMAND_START = re.compile(r"^(graphaudit|make|python3?|\.venv/bin/|\. |export |cd |bash )")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w-]*)\s*$")
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->")
#: line rewrites, each with its reason: (pattern, replacement, why)
REWRITES = [
    (re.compile(r"^\s*\.\s+\.venv/bin/activate\b.*$"), ":",
     "the checkout's .venv/bin is on PATH already"),
    (re.compile(r"^\s*make\s+(test|test-unit)\b.*$"), ":",
     "the test command itself: running it here would recurse"),
    (re.compile(r"^\s*make\s+neo4j-(start|stop|status)\b.*$"), ":",
     "the suite's server runs already; starting it is tested in test_settings.py"),
    (re.compile(r"^\s*make\s+(\S+)(.*)$"),
     rf"make -f {ROOT}/Makefile VENV={ROOT}/.venv -o {ROOT}/.venv/.installed \1\2",
     "other make targets run from the scratch folder with the checkout's Makefile and venv, "
     "never reinstalling it (from the scratch folder, pip would point the checkout's editable "
     "install at the scratch copy, which has no package, when pyproject.toml is newer than "
     "the venv)"),
]
#: output that means a documented id or value does not exist
NOT_FOUND = ("there is no store", "there is no cluster", "unknown store id",
             "unknown cluster id", "Traceback (most recent call last)")


@dataclass(frozen=True)
class Block:
    document: Path
    line: int
    text: str
    skip: str | None

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"

    @property
    def loads(self) -> bool:
        """Whether the block loads data itself (it then starts from an empty graph)."""
        return bool(re.search(r"^\s*graphaudit\s+load\b", self.text, re.M))


def command_blocks(path: Path, python: bool = False) -> list[Block]:
    """The command blocks (``python`` blocks with ``python``) of one Markdown file, with their
    first line and skip marker."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, language = match.groups()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence[:3]):
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        commands = [line for line in body if line.strip() and not line.lstrip().startswith("#")]
        is_command = language in COMMAND_LANGUAGES or (
            not language and commands and all(COMMAND_START.match(c.lstrip()) for c in commands))
        if (language in PYTHON_LANGUAGES) if python else is_command:
            before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            skip = SKIP.search(before)
            blocks.append(Block(path, i + 1, "\n".join(body), skip["reason"] if skip else None))
        i = j + 1
    return blocks


def all_blocks(python: bool = False) -> list[Block]:
    return [block for path in DOCUMENTS for block in command_blocks(path, python)]


def script_of(block: Block) -> str:
    """The block as a bash script, with the rewrites of :data:`REWRITES` applied."""
    out = ["set -euo pipefail"]
    for line in block.text.splitlines():
        for pattern, replacement, _why in REWRITES:
            if pattern.match(line):
                line = pattern.sub(replacement, line)
                break
        out.append(line)
    return "\n".join(out) + "\n"


def test_blocks_are_found_and_every_skip_gives_a_reason():
    blocks = all_blocks()
    assert any(b.document.name == "README.md" for b in blocks)
    assert sum(b.skip is None for b in blocks) >= 10
    for block in blocks:
        assert block.skip is None or block.skip.strip(), block.name


def test_the_block_finder_reads_fences_languages_and_markers(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("text\n```sh\ngraphaudit --help\n```\n\n```toml\na = 1\n```\n"
                   "<!-- docs-test: skip (needs the network) -->\n```\nmake demo\n```\n"
                   "```\nOUT/index.html   the report\n```\n  ```bash\n  graphaudit x\n  ```\n",
                   encoding="utf-8")
    found = command_blocks(doc)
    assert [(b.line, b.text, b.skip) for b in found] == [
        (2, "graphaudit --help", None), (10, "make demo", "needs the network"),
        (16, "graphaudit x", None)]


CITATION = re.compile(r"design\.md\)?\s*§(\d+)(?:-(\d+))?")


def test_design_citations_point_at_sections_of_docs_design_md():
    """The contracts live in the repository (docs/design.md) and every citation names one of
    its sections; the old DESIGN.md outside the repository is cited nowhere."""
    design = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    sections = {int(n) for n in re.findall(r"^## (\d+)\.", design, re.M)}
    assert sections >= {1, 2, 3, 4, 5, 6}
    sources = [*DOCUMENTS, ROOT / "Makefile",
               *(p for p in (ROOT / "graphaudit").rglob("*") if p.suffix in
                 {".py", ".cypher", ".html", ".js"}),
               *(ROOT / "bench").glob("*.py"), *(ROOT / "scripts").glob("*.sh")]
    cited = 0
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path.name != "design.md":
            assert "DESIGN.md" not in text, path
        for first, last in CITATION.findall(text):
            for number in range(int(first), int(last or first) + 1):
                assert number in sections, (path, number)
                cited += 1
    assert cited >= 10


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A scratch folder with a copy of sample_data/ and the project file make needs."""
    folder = tmp_path_factory.mktemp("docs")
    shutil.copytree(SAMPLE_DATA, folder / "sample_data")
    shutil.copy2(ROOT / "pyproject.toml", folder / "pyproject.toml")  # keeps make's stamp fresh
    return folder


def prepare_graph(store, block: Block, tmp_path: Path) -> None:
    """Empty for a block that loads; else sample_data loaded and clustered (reused when the
    graph holds exactly that already)."""
    if block.loads:
        store.reset()
        return
    sets = store.data_sets()
    clusters = store.run_read("MATCH (c:Cluster) RETURN count(c) AS n")[0]["n"]
    if [d["source"] for d in sets] == [str(SAMPLE_DATA.resolve())] and clusters:
        return
    store.reset()
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(SAMPLE_DATA), "-q", "--rejects",
                                  str(tmp_path / "rejects.csv")])
    assert loaded.exit_code == 0, loaded.stderr
    clustered = runner.invoke(main, ["cluster", "-q"])
    assert clustered.exit_code == 0, clustered.stderr


@pytest.mark.neo4j
@pytest.mark.parametrize("block", all_blocks(), ids=lambda b: b.name)
def test_the_command_block_runs(block, sandbox, graph_store, neo4j_settings, neo4j_env,
                               tmp_path):
    if block.skip:
        pytest.skip(f"{block.name}: {block.skip}")
    prepare_graph(graph_store, block, tmp_path)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password, "NEO4J_DATABASE": neo4j_settings.database,
    }
    ran = subprocess.run(["bash", "-c", script_of(block)], cwd=sandbox, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, f"{block.name} exited {ran.returncode}:\n{output[-4000:]}"
    for phrase in NOT_FOUND:
        assert phrase not in output, f"{block.name}: {phrase!r} in\n{output[-4000:]}"


def test_python_blocks_are_found_and_the_readme_has_one(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("```python\nimport os\n```\n```sh\ngraphaudit --help\n```\n", encoding="utf-8")
    assert [(b.line, b.text) for b in command_blocks(doc, python=True)] == [(1, "import os")]
    assert any(b.document.name == "README.md" for b in all_blocks(python=True))


@pytest.mark.parametrize("block", all_blocks(python=True), ids=lambda b: b.name)
def test_the_python_block_runs(block, sandbox, tmp_path):
    """A library example runs as written, from a scratch folder holding sample_data/."""
    if block.skip:
        pytest.skip(f"{block.name}: {block.skip}")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    ran = subprocess.run([sys.executable, "-c", block.text], cwd=sandbox, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert ran.returncode == 0, f"{block.name} exited {ran.returncode}:\n{ran.stderr[-4000:]}"


def test_the_wheel_paragraph_names_every_make_target_of_the_tour():
    """REPORT4 item 6: README said its tour "runs from a wheel too", but the tour starts the
    server with `make neo4j-start`, which a wheel (no Makefile, no scripts/neo4j.sh) cannot."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    block, after = tour.split("```sh", 1)[1].split("```", 1)
    wheel = after.split("To install graphaudit elsewhere", 1)[1].split("\n\n", 1)[0]
    targets = set(re.findall(r"^make ([\w-]+)", block, flags=re.M))
    assert targets and all(f"make {target}" in wheel for target in targets), targets
