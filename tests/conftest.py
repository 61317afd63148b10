"""Shared fixtures: a driver to the real Neo4j server, and a clean database per test.

The suite finds its server by the CLI's rules (:func:`graphaudit.settings.resolve_settings`),
applied to the environment it was started in: NEO4J_URI and the other NEO4J_* settings, else
the user's connection file (``$XDG_CONFIG_HOME/graphaudit/connection.env``, which `make
neo4j-start` writes), else this checkout's own server (its ``.neo4j/connection.env``). The
tests EMPTY that server's database, so they first check that it is empty or as the last test
session left it (:func:`refuse_someones_graph`; README). Then ``XDG_CONFIG_HOME`` points into a
temporary folder for the whole session, so no test reads or writes the real user's
configuration.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from graphaudit.errors import ConfigError, GraphauditError
from graphaudit.settings import connection_file, read_env_file, resolve_settings
from graphaudit.store import GraphStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
#: the checkout's own server, written by `bash scripts/neo4j.sh start`
CHECKOUT_CONNECTION = ROOT / ".neo4j" / "connection.env"
#: the environment the session was started in, before XDG_CONFIG_HOME is changed below
USER_ENVIRON = dict(os.environ)
#: the per-user config folder of the test session (set before any test runs)
TEST_XDG_CONFIG_HOME = tempfile.mkdtemp(prefix="graphaudit-xdg-")
os.environ["XDG_CONFIG_HOME"] = TEST_XDG_CONFIG_HOME


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """A test that reaches the server through any fixture is a ``neo4j`` test, marked or not,
    so that ``-m "not neo4j"`` never runs one that then fails for want of a server."""
    for item in items:
        if "neo4j_settings" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.neo4j)


def suite_environ(environ: dict[str, str] = USER_ENVIRON,
                  checkout_connection: Path = CHECKOUT_CONNECTION) -> dict[str, str]:
    """``environ`` as the CLI would read it (NEO4J_*, else the user's connection file), with
    this checkout's own connection file added when neither names a server."""
    environ = dict(environ)
    if (not environ.get("NEO4J_URI") and not connection_file(environ).is_file()
            and checkout_connection.is_file()):
        environ.update(read_env_file(checkout_connection))
    return environ


#: The node a test session leaves in its database as it ends, with how many other nodes it left:
#: the next session empties the database only when they are still all there is (README, "The
#: tests delete everything"), so an investigation loaded since is never deleted by a test run.
SUITE_END_LABEL = "GraphauditTestSessionEnd"
COUNT_OTHER_NODES = f"MATCH (n) WHERE NOT n:{SUITE_END_LABEL} RETURN count(n) AS n"
READ_SUITE_END = f"OPTIONAL MATCH (m:{SUITE_END_LABEL}) RETURN max(m.nodes) AS nodes"
WRITE_SUITE_END = f"MERGE (m:{SUITE_END_LABEL}) SET m.nodes = $nodes, m.at = datetime()"
DROP_SUITE_END = f"MATCH (m:{SUITE_END_LABEL}) DELETE m"
#: set to 1 to let the tests empty a database that does not look like an earlier session's
MAY_DELETE = "GRAPHAUDIT_TESTS_MAY_DELETE"


def not_a_test_database(store: GraphStore) -> str | None:
    """Why ``store``'s database looks like someone's graph rather than what an earlier test
    session left (None: empty, or just as the last session ended)."""
    nodes = store.run_read(COUNT_OTHER_NODES)[0]["n"]
    if nodes == 0:
        return None
    left = store.run_read(READ_SUITE_END)[0]["nodes"]
    if left is None:
        return f"it holds {nodes:,} nodes, and no test session ended in it"
    if left != nodes:
        return (f"it holds {nodes:,} nodes where the last test session left {left:,}: "
                "something was loaded or deleted since")
    return None


def refuse_someones_graph(settings, environ: dict[str, str] = USER_ENVIRON) -> None:
    """Stop the session before any test empties a database that holds someone's graph."""
    with GraphStore(settings) as store:
        store.verify()
        why = not_a_test_database(store)
        if why and environ.get(MAY_DELETE) != "1":
            pytest.exit(
                f"the tests delete everything in database {settings.database!r} of "
                f"{settings.safe_uri}, and {why}. Point them at a scratch server "
                f"(NEO4J_URI=...), or if this one is scratch, run `graphaudit reset --yes` "
                f"against it or set {MAY_DELETE}=1.", returncode=3)
        store.run_write(DROP_SUITE_END)


def mark_session_end(settings) -> None:
    """Leave the count of what the session left, for :func:`not_a_test_database`. A server
    that is gone by then gets no mark: the next session then asks before emptying it."""
    try:
        with GraphStore(settings, retry_seconds=5.0) as store:
            store.run_write(WRITE_SUITE_END, nodes=store.run_read(COUNT_OTHER_NODES)[0]["n"])
    except GraphauditError as error:
        print(f"\nthe test session's end was not marked in the database: {error}")


@pytest.fixture(scope="session")
def neo4j_settings():
    """Settings of the server the suite runs against (:func:`suite_environ`), once it is known
    not to hold someone's graph (:func:`refuse_someones_graph`)."""
    settings = resolve_settings(environ=suite_environ())
    if not settings.password:
        pytest.fail("no Neo4j to test against: run `make neo4j-start` or set NEO4J_URI/...")
    refuse_someones_graph(settings)
    yield settings
    mark_session_end(settings)


@pytest.fixture(scope="session")
def neo4j_home(neo4j_settings) -> Path:
    """The .neo4j folder of the suite's server, found as `load --bulk` finds it
    (GRAPHAUDIT_NEO4J_HOME, else the line of the connection file); the test is skipped when
    the server is not a local one of scripts/neo4j.sh, whose files the importer needs."""
    from graphaudit.bulk import local_server

    try:
        return local_server(neo4j_settings, suite_environ())
    except ConfigError as error:
        pytest.skip(f"the suite's server is not a local one of scripts/neo4j.sh: {error}")


@pytest.fixture(scope="session")
def graph_store(neo4j_settings):
    store = GraphStore(neo4j_settings)
    store.verify()
    store.ensure_schema()
    yield store
    store.close()


@pytest.fixture
def clean_graph(graph_store):
    """The store, with every node and relationship deleted first (constraints are kept), the
    way `graphaudit reset` does it."""
    graph_store.reset()
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


def write_warehouse_world(folder: Path, stores: int) -> Path:
    """A small export (too few pairs to weigh) in ``folder``: S1-S4 share a warehouse that four
    separate sellers use, S1 and S2 hold ID numbers one digit apart under different names (a
    near match below the threshold), S4 and S5 share an ID document; stores S1..S``stores``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stores.csv").write_text(
        "store_id,name,brand,opened_on,status\n"
        + "".join(f"S{i},Store {i},brand{i},2020-01-0{i},active\n" for i in range(1, stores + 1)),
        encoding="utf-8")
    (folder / "identities.csv").write_text(
        "store_id,id_number,holder_name\nS1,11010519491231002X,Wang Fang\n"
        "S2,11010519491231020X,Li Wei\nS3,440301198001011234,Zhao Lei\n"
        "S4,440301198001015678,Sun Li\nS5,440301198001015678,Sun Li\n", encoding="utf-8")
    (folder / "addresses.csv").write_text(
        "store_id,address,address_type\n"
        + "".join(f'S{i},"Room 1, 88 Keyuan Road, Shenzhen",warehouse\n' for i in range(1, 5)),
        encoding="utf-8")
    return folder
