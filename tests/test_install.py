"""graphaudit as a user installs it: a wheel built from the checkout, installed into a fresh venv
outside the checkout, run from another directory. Nothing of the checkout is importable there,
so a file the package needs but does not ship (the Cypher library, the report's templates) fails
here, not on an investigator's machine."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphaudit.queries import load_library

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"

pytestmark = pytest.mark.install


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """A fresh venv (its bin/) with graphaudit installed from a wheel, a clean env, a cwd."""
    base = tmp_path_factory.mktemp("install")
    wheels, venv, source = base / "wheels", base / "venv", base / "source"
    # setuptools builds inside the source tree (build/, *.egg-info): build from a copy
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".neo4j", ".xdg", "build", "dist", "out", "*.egg-info", "__pycache__",
        ".pytest_cache", ".ruff_cache", ".hypothesis", "target", "results"))
    # The build uses the project venv's setuptools (pinned in the dev extras): no download.
    build = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                  "--quiet", "--wheel-dir", str(wheels), str(source)], cwd=base,
                 env=dict(os.environ))
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("graphaudit-*.whl")
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base,
                env=dict(os.environ))
    assert made.returncode == 0, made.stderr
    # This pip installs into the new venv (--python); the dependencies come from the index
    # through pip's cache. --no-compile: byte-compiling all of numpy/pandas doubles the time.
    install = _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "--quiet", "--no-compile", str(wheel)], cwd=base,
                   env=dict(os.environ))
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} and not k.startswith("NEO4J_")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CONFIG_HOME"] = str(base / "config")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return venv / "bin", env, elsewhere


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    bin_dir, env, elsewhere = installed
    result = _run([str(bin_dir / "python"), "-c", "import graphaudit; print(graphaudit.__file__)"],
                  cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    location = Path(result.stdout.strip())
    assert location.is_relative_to(bin_dir.parent)
    assert not location.is_relative_to(ROOT)


def test_help_runs_from_another_directory(installed):
    bin_dir, env, elsewhere = installed
    result = _run([str(bin_dir / "graphaudit"), "--help"], cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    for command in ("analyze", "validate", "load", "query"):
        assert command in result.stdout


def test_the_query_library_ships_with_the_wheel(installed):
    bin_dir, env, elsewhere = installed
    result = _run([str(bin_dir / "graphaudit"), "query", "--list", "--format", "json"],
                  cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr
    listed = {q["name"] for q in json.loads(result.stdout)}
    assert listed and listed == set(load_library())
    # the schema that `load` creates is read from the package too, and so are the statements
    # of store.py (cypher/store/) and of queries/run.py (queries/*.cypher)
    schema = _run([str(bin_dir / "python"), "-c",
                   "from graphaudit.store import CYPHER_DIR, statement; "
                   "from graphaudit.queries import run; "
                   "print((CYPHER_DIR / 'schema.cypher').read_text()); "
                   "print(statement('load-stores')); print(run.VALUE_KINDS)"],
                  cwd=elsewhere, env=env)
    assert schema.returncode == 0, schema.stderr
    assert "CREATE CONSTRAINT" in schema.stdout
    assert "MERGE (s:Store {store_id: $store_id[i]})" in schema.stdout
    assert "UNWIND $candidates AS c" in schema.stdout


def test_analyze_runs_from_another_directory(installed):
    bin_dir, env, elsewhere = installed
    result = _run([str(bin_dir / "graphaudit"), "analyze", str(SAMPLE_DATA), "--out", "case"],
                  cwd=elsewhere, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    out = elsewhere / "case"
    with open(out / "clusters.csv", encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle))
    assert "<html" in (out / "index.html").read_text(encoding="utf-8").lower()
    assert list((out / "clusters").glob("*.html"))
