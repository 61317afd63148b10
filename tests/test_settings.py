"""Connection settings: options > NEO4J_* > the per-user file, and nothing else.

The per-user file lives in the XDG config folder (``graphaudit.settings.config_dir``); the
test session points XDG_CONFIG_HOME at a temporary folder (conftest), so nothing here touches
the real user's ``~/.config``.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from graphaudit.cli import main
from graphaudit.settings import connection_file, resolve_settings

CHECKOUT_CONNECTION = ROOT / ".neo4j" / "connection.env"


def write_connection(path: Path, uri: str, password: str = "from-file") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"NEO4J_URI={uri}\nNEO4J_USERNAME=neo4j\nNEO4J_PASSWORD={password}\n",
                    encoding="utf-8")
    return path


def test_a_file_planted_in_a_parent_folder_is_never_read(tmp_path, monkeypatch):
    write_connection(tmp_path / ".neo4j" / "connection.env", "bolt://evil.example:7687")
    child = tmp_path / "work" / "case"
    child.mkdir(parents=True)
    monkeypatch.chdir(child)
    settings = resolve_settings(environ={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert settings.uri == "bolt://127.0.0.1:7687" and settings.password == ""
    assert "evil" not in settings.origin
    assert str(tmp_path / "cfg" / "graphaudit" / "connection.env") in settings.origin


def test_the_per_user_file_is_read_from_any_directory(tmp_path, monkeypatch):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    path = write_connection(connection_file(env), "bolt://127.0.0.1:4242")
    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(environ=env)
    assert (settings.uri, settings.password, settings.origin) == (
        "bolt://127.0.0.1:4242", "from-file", str(path))


def test_options_and_environment_win_and_never_borrow_the_files_password(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    write_connection(connection_file(env), "bolt://127.0.0.1:4242")
    from_env = resolve_settings(environ={**env, "NEO4J_URI": "bolt://db:7687"})
    assert (from_env.uri, from_env.password, from_env.origin) == ("bolt://db:7687", "", "NEO4J_URI")
    from_option = resolve_settings(uri="bolt://other:7687", environ=env)
    assert (from_option.password, from_option.origin) == ("", "--uri")


def test_an_unreachable_server_names_the_places_tried(tmp_path, monkeypatch):
    for key in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    path = write_connection(connection_file(), "bolt://127.0.0.1:9")
    result = CliRunner().invoke(main, ["cluster"])
    assert result.exit_code == 3
    assert "cannot reach Neo4j at bolt://127.0.0.1:9" in result.stderr
    assert f"settings from {path}" in result.stderr
    path.unlink()
    result = CliRunner().invoke(main, ["cluster", "--uri", "bolt://127.0.0.1:9"])
    assert result.exit_code == 3 and "settings from --uri" in result.stderr


@pytest.mark.neo4j
def test_neo4j_start_writes_the_per_user_file_that_works_from_elsewhere(tmp_path,
                                                                        neo4j_settings):
    """`make neo4j-start` (here on the running server: it only rewrites the files) puts the
    connection in the per-user folder; graphaudit then finds it from an unrelated directory."""
    if not CHECKOUT_CONNECTION.is_file():
        pytest.skip("the suite runs against a server this checkout did not start")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    started = subprocess.run(["bash", str(ROOT / "scripts" / "neo4j.sh"), "start"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr
    user_file = tmp_path / "cfg" / "graphaudit" / "connection.env"
    assert user_file.read_text() == CHECKOUT_CONNECTION.read_text()
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(user_file.parent.stat().st_mode) == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    graphaudit = shutil.which("graphaudit", path=str(Path(sys.executable).parent))
    ran = subprocess.run([graphaudit, "query", "hub-identifiers", "--format", "json"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert not (tmp_path / "home" / ".config").exists()  # nothing written to ~/.config


@pytest.mark.neo4j
def test_a_refused_login_names_where_the_password_came_from(tmp_path, monkeypatch,
                                                            neo4j_settings):
    """New-user report item 8: with the address and password in connection.env and a wrong
    NEO4J_PASSWORD (or --password), the error blamed the file; it names the real source."""
    for key in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    # a user name of its own: the server locks a user for a while after three failed logins
    # (dbms.security.auth_max_failed_attempts), and the suite's user must stay usable
    monkeypatch.setenv("NEO4J_USERNAME", "login-test-settings")
    path = write_connection(connection_file(), neo4j_settings.uri, neo4j_settings.password)
    runner = CliRunner()
    by_env = runner.invoke(main, ["query", "riskiest-clusters"],
                           env={"NEO4J_PASSWORD": "wrong-one"})
    assert by_env.exit_code == 3 and "password from NEO4J_PASSWORD" in by_env.stderr
    by_option = runner.invoke(main, ["query", "riskiest-clusters", "--password", "wrong-two"])
    assert by_option.exit_code == 3 and "password from --password" in by_option.stderr
    write_connection(path, neo4j_settings.uri, "wrong-three")
    by_file = runner.invoke(main, ["query", "riskiest-clusters"])
    assert by_file.exit_code == 3 and f"password from {path}" in by_file.stderr
    for result in (by_env, by_option, by_file):
        assert "wrong-" not in result.output and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
