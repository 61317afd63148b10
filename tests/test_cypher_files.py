"""Cypher lives only in .cypher files (issue 14): the package's Python holds no statement, and
the statements written per identifier kind agree with the fixed lists of
:mod:`graphaudit.identifiers` (labels, relationship types, properties)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from graphaudit import store
from graphaudit.identifiers import KINDS, LABELS, LINK_PROPERTIES, NODE_PROPERTIES, RELATIONSHIPS

PACKAGE = Path(__file__).resolve().parents[1] / "graphaudit"
# a clause followed by what a statement puts after it: a node pattern, or an expression named
STATEMENT = re.compile(r"\b(MATCH|MERGE|CREATE)\s*\(\w*(:\w+)?(\s*\{[^}]*\})?\)"
                       r"|\b(UNWIND|RETURN)\s+[\w$(]+.*\bAS\b|\bDETACH DELETE \w")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def inline_cypher(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (docstrings aside) that read as Cypher statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docs):
            text = node.value
        else:
            continue
        if STATEMENT.search(text):
            found.append((node.lineno, text.strip().splitlines()[0]))
    return found


def test_the_package_python_holds_no_cypher_statement():
    found = {str(p.relative_to(PACKAGE)): hits for p in sorted(PACKAGE.rglob("*.py"))
             if (hits := inline_cypher(p))}
    assert not found, found


def test_the_check_finds_an_inline_statement(tmp_path):
    """The check above can fail: it finds the inline statements of the old store.py."""
    probe = tmp_path / "probe.py"
    probe.write_text('"""doc: MATCH (n) RETURN n AS n"""\n'
                     'Q = "MATCH (s:Store) RETURN count(s) AS n"\n'
                     'label = "X"\n'
                     'R = f"MATCH (n:{label}) RETURN count(n) AS n"\n'
                     'W = """\nUNWIND range(0, size($key) - 1) AS i\nMERGE (n:Phone)\n"""\n'
                     'KEYWORDS = ("MATCH", "MERGE", "UNWIND")\n', encoding="utf-8")
    assert sorted({line for line, _ in inline_cypher(probe)}) == [2, 4, 5]


def _parameters(statement: str) -> set[str]:
    return set(re.findall(r"\$(\w+)", statement))


@pytest.mark.parametrize("kind", KINDS)
def test_load_statements_follow_the_fixed_lists(kind):
    nodes, links = store.LOAD_NODES[kind], store.LOAD_LINKS[kind]
    assert f"(n:{LABELS[kind]} {{key: $key[i]}})" in nodes
    assert _parameters(nodes) == {"key", *NODE_PROPERTIES[kind]}
    assert f"[r:{RELATIONSHIPS[kind]}" in links
    assert f"(n:{LABELS[kind]} {{key: $key[i]}})" in links
    assert _parameters(links) == {"store_id", "key", "raw", *LINK_PROPERTIES[kind]}
    for prop in NODE_PROPERTIES[kind]:
        assert f"n.{prop} = ${prop}[i]" in nodes
    for prop in ("raw", *LINK_PROPERTIES[kind]):
        assert f"r.{prop} = ${prop}[i]" in links


def test_read_back_and_counts_name_every_label_and_type():
    read = re.search(r"\[r:([\w|]+)\]", store.READ_LINKS)
    assert read and read[1].split("|") == list(RELATIONSHIPS.values())
    counted = set(re.findall(r"AS (\w+) }", store.statement("counts")))
    assert counted == {"Store", *LABELS.values(), "Cluster", "DataSet",
                       *RELATIONSHIPS.values(), "SIMILAR_TO", "MEMBER_OF"}


def test_every_statement_file_is_used():
    """A .cypher file of cypher/store/ that no code reads would be a stale copy."""
    source = (PACKAGE / "store.py").read_text(encoding="utf-8")
    for path in (PACKAGE / "cypher" / "store").glob("*.cypher"):
        name = path.stem
        used = (f'statement("{name}")' in source
                or any(name == f"load-{what}-{kind}" for what in ("nodes", "links")
                       for kind in KINDS))
        assert used, name
    run = (PACKAGE / "queries" / "run.py").read_text(encoding="utf-8")
    for path in (PACKAGE / "queries").glob("*.cypher"):
        name, _, suffix = path.stem.partition("-")
        assert (f'_statement("{path.stem}")' in run
                or f'_statement(f"{{t}}-{suffix}")' in run and name in ("store_id", "cluster_id")
                ), path.stem
