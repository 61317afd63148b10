"""`graphaudit shell`: cypher-shell on the local server, logged in without a password on any
command line, and the report's reproduce snippet runs in it verbatim."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphaudit.cli import main
from graphaudit.report.context import cypher_box

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
GRAPHAUDIT = Path(sys.executable).parent / "graphaudit"
#: the launcher `make neo4j-start` writes
LAUNCHER = ROOT / ".neo4j" / "shell" / "cypher-shell"


def shell(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    """`graphaudit shell ARGS` in a child process (it execs cypher-shell), from another folder."""
    return subprocess.run([str(GRAPHAUDIT), "shell", *args], input=stdin, env=env, cwd="/",
                          capture_output=True, text=True, timeout=300)


def _fake_shell(tmp_path: Path) -> Path:
    fake = tmp_path / "cypher-shell"
    fake.write_text('#!/bin/sh\n{ echo "args: $*"; echo "uri: $NEO4J_URI";'
                    ' echo "user: $NEO4J_USERNAME"; echo "password: $NEO4J_PASSWORD";'
                    ' echo "database: $NEO4J_DATABASE"; } > "$SEEN"\nexit 7\n')
    fake.chmod(0o700)
    return fake


@pytest.mark.neo4j
def test_the_password_reaches_the_shell_in_its_environment_not_its_arguments(
        tmp_path, neo4j_settings):
    """A stand-in cypher-shell writes down its arguments and what NEO4J_* it was given (the
    server is real: the login is checked before the shell starts)."""
    seen = tmp_path / "seen.txt"
    s = neo4j_settings
    env = {**os.environ, "GRAPHAUDIT_CYPHER_SHELL": str(_fake_shell(tmp_path)),
           "SEEN": str(seen), "NEO4J_URI": s.uri, "NEO4J_USERNAME": s.user,
           "NEO4J_PASSWORD": s.password, "NEO4J_DATABASE": s.database,
           "NEO4J_ADDRESS": "bolt://elsewhere:7687"}
    done = shell("--format", "plain", "-f", "x.cypher", env=env)
    assert done.returncode == 7, done.stderr  # the shell's own exit code
    lines = seen.read_text().splitlines()
    assert lines == ["args: --format plain -f x.cypher", f"uri: {s.uri}", f"user: {s.user}",
                     f"password: {s.password}", f"database: {s.database}"]


@pytest.mark.neo4j
def test_the_shell_exits_3_when_neo4j_is_down_or_refuses_the_login(tmp_path, neo4j_settings):
    """New-user report item 12: cypher-shell exits 1 for both; docs/cli say 3, as every
    command that needs Neo4j does. The shell is not started then."""
    seen = tmp_path / "seen.txt"
    base = {**os.environ, "GRAPHAUDIT_CYPHER_SHELL": str(_fake_shell(tmp_path)),
            "SEEN": str(seen), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    down = shell(env={**base, "NEO4J_URI": "bolt://127.0.0.1:1", "NEO4J_PASSWORD": "x"})
    assert down.returncode == 3 and "cannot reach Neo4j" in down.stderr
    # a user name of its own: failed logins lock a user for a while (test_settings says why)
    refused = shell(env={**base, "NEO4J_URI": neo4j_settings.uri,
                         "NEO4J_USERNAME": "login-test-shell", "NEO4J_PASSWORD": "wrong-pw"})
    assert refused.returncode == 3 and "refused the credentials" in refused.stderr
    assert "wrong-pw" not in refused.stderr + refused.stdout and not seen.exists()


@pytest.mark.parametrize("args", [["-a", "bolt://127.0.0.1:47111"], ["--address=bolt://x:1"],
                                  ["--format", "plain", "--", "--uri", "neo4j://x"],
                                  ["-abolt://x:7687"], ["-u", "neo4j"],
                                  ["--format", "plain", "-d", "other"]])
def test_cypher_shell_options_naming_a_server_or_login_are_refused(tmp_path, args):
    """REPORT2 item 16: cypher-shell's -a/--uri (and -u, -d) would take the saved password to
    whatever they name; they are refused (exit 2) before anything connects or the shell runs."""
    seen = tmp_path / "seen.txt"
    cfg = tmp_path / "cfg" / "graphaudit"
    cfg.mkdir(parents=True)
    (cfg / "connection.env").write_text("NEO4J_PASSWORD=saved-secret-pw\n", encoding="utf-8")
    env = {**os.environ, "GRAPHAUDIT_CYPHER_SHELL": str(_fake_shell(tmp_path)),
           "SEEN": str(seen), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    for name in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_ADDRESS"):
        env.pop(name, None)
    done = shell(*args, env=env)
    assert done.returncode == 2 and "is refused" in done.stderr, (done.stdout, done.stderr)
    assert "saved-secret-pw" not in done.stdout + done.stderr and not seen.exists()


def test_without_a_cypher_shell_it_says_how_to_get_one(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
           "NEO4J_URI": "bolt://127.0.0.1:7999", "NEO4J_PASSWORD": "x"}
    env.pop("GRAPHAUDIT_CYPHER_SHELL", None)
    done = shell(env=env)
    assert done.returncode == 2
    assert "make neo4j-start" in done.stderr and "x" not in done.stdout


@pytest.mark.neo4j
def test_the_reports_reproduce_snippet_runs_verbatim_in_the_shell(clean_graph, neo4j_env,
                                                                   tmp_path):
    assert LAUNCHER.is_file(), "no cypher-shell: run `make neo4j-start` (scripts/neo4j.sh)"
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(SAMPLE_DATA), "-q", "--rejects",
                                  str(tmp_path / "r.csv")])
    assert loaded.exit_code == 0, loaded.output
    assert runner.invoke(main, ["cluster", "-q"]).exit_code == 0
    cluster_id, size = next(
        (r["id"], r["n"]) for r in clean_graph.run_read(
            "MATCH (c:Cluster) WHERE c.size >= 3 RETURN c.cluster_id AS id, c.size AS n "
            "ORDER BY c.risk_score DESC, id LIMIT 1"))
    members = {r["s"] for r in clean_graph.run_read(
        "MATCH (:Cluster {cluster_id: $c})<-[:MEMBER_OF]-(s:Store) RETURN s.store_id AS s",
        c=cluster_id)}
    env = {**os.environ, "GRAPHAUDIT_CYPHER_SHELL": str(LAUNCHER)}
    # the box exactly as the page shows it, pasted into the shell
    done = shell("--format", "plain", env=env, stdin=cypher_box(cluster_id))
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0].startswith("c, s, shared, similar_addresses")
    assert len(rows) == 1 + size
    assert {m for m in members if any(f'store_id: "{m}"' in row for row in rows)} == members
