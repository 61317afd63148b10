"""Shared fixtures: a driver to the real Neo4j server, and a clean database per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graphaudit.settings import resolve_settings
from graphaudit.store import GraphStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"


@pytest.fixture(scope="session")
def neo4j_settings():
    """Settings of the server the suite runs against (NEO4J_* or .neo4j/connection.env)."""
    settings = resolve_settings(start=ROOT)
    if not settings.password:
        pytest.fail("no Neo4j to test against: run `make neo4j-start` or set NEO4J_URI/...")
    return settings


@pytest.fixture(scope="session")
def graph_store(neo4j_settings):
    store = GraphStore(neo4j_settings)
    store.verify()
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture
def clean_graph(graph_store):
    """The store, with every node and relationship deleted first (constraints are kept)."""
    graph_store.delete_all()
    return graph_store


@pytest.fixture
def neo4j_env(neo4j_settings, monkeypatch):
    """Environment variables pointing the CLI at the test server."""
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.uri)
    monkeypatch.setenv("NEO4J_USERNAME", neo4j_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.password)
    monkeypatch.setenv("NEO4J_DATABASE", neo4j_settings.database)
    return neo4j_settings


@pytest.fixture
def sample_copy(tmp_path):
    """A private copy of sample_data/ that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(SAMPLE_DATA, target)
    return target
