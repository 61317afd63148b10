"""The probes of issue 13, kept as regression tests (docs/security.md says what they protect).

Read-only means read-only (against the real server), the local server's hardening (file
permissions, the password never on a command line, LOAD CSV kept from files and the network),
hostile input files, and the sharp edges of the command line. The probes that held when the
tool was attacked are here too: script payloads in the browser, parameter break-outs, and a
``kill -9`` of Neo4j in the middle of a load.
"""

from __future__ import annotations

import gzip
import http.server
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphaudit.cli import main
from graphaudit.readonly import ReadOnlyRefused, check_plan, check_statement

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# Helpers


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        type(self).requests.append(self.path)
        body = b"a,b\n1,2\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_port():
    """A local HTTP server that records every request it gets; yields (port, requests)."""
    handler = type("Recorder", (_Recorder,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], handler.requests
    server.shutdown()
    server.server_close()


def run_cypher(tmp_path: Path, text: str, *args: str) -> object:
    path = tmp_path / "probe.cypher"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["query", str(path), *args])


def no_traceback(result) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


# ---------------------------------------------------------------------------------------------
# 3. Read-only means read-only


REFUSED = {
    "show transactions": "SHOW TRANSACTIONS YIELD parameters",
    "show after a match": "MATCH (n) WITH count(n) AS c SHOW TRANSACTIONS",
    "terminate": "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "show and terminate": "SHOW TRANSACTIONS YIELD transactionId AS t "
                          "TERMINATE TRANSACTIONS t",
    "load csv": "LOAD CSV FROM 'http://127.0.0.1:9/x.csv' AS r RETURN r",
    "load csv later": "WITH 1 AS x LOAD /* */ CSV FROM 'file:///etc/passwd' AS r RETURN r",
    "use system": "USE system MATCH (n) RETURN n",
    "in transactions": "UNWIND [1] AS x CALL (x) { RETURN x AS y } IN TRANSACTIONS RETURN y",
    "dbms procedure": "CALL dbms.listConfig() YIELD name RETURN name",
    "components": "MATCH (n) WITH count(n) AS c CALL dbms.components() YIELD name RETURN name",
    "show settings": "SHOW SETTINGS",
    "show users": "SHOW USERS",
    "write": "MATCH (s) SET s.x = 1",
    "foreach": "MATCH (n) FOREACH (x IN [1] | SET n.a = x)",
    "profile": "PROFILE MATCH (n) RETURN n",
}


@pytest.mark.parametrize("text", REFUSED.values(), ids=REFUSED.keys())
def test_the_statement_check_refuses_what_is_not_a_plain_read(text):
    with pytest.raises(ReadOnlyRefused, match="--write"):
        check_statement(text)


@pytest.mark.parametrize("text", [
    "MATCH (s:Store {store_id: $id}) RETURN s.name AS `show`, s.set AS load",
    "OPTIONAL MATCH (s:Store) WHERE s.name = 'SHOW TRANSACTIONS; LOAD CSV' RETURN s",
    "CALL db.labels() YIELD label RETURN label",
    "MATCH (a:Store) CALL (a) { MATCH (a)--(b) RETURN count(b) AS c } RETURN a.store_id, c",
    "WITH {use: 1, create: 2} AS m RETURN m.use // DELETE everything",
])
def test_the_statement_check_lets_reads_through(text):
    check_statement(text)


def test_the_plan_check_is_an_allow_list():
    read = {"operatorType": "ProduceResults@neo4j", "children": [
        {"operatorType": "Expand(All)@neo4j", "children": [
            {"operatorType": "NodeByLabelScan@neo4j", "children": []}]}]}
    check_plan(read)
    for operator in ("LoadCSV", "ShowTransactions", "TerminateTransactions",
                     "TransactionApply", "Create", "SomethingNewInNeo4j6"):
        plan = {"operatorType": "ProduceResults@neo4j",
                "children": [{"operatorType": f"{operator}@neo4j", "children": []}]}
        with pytest.raises(ReadOnlyRefused, match=operator):
            check_plan(plan)


@pytest.mark.neo4j
@pytest.mark.parametrize("name", ["show transactions", "terminate", "show and terminate",
                                  "use system", "in transactions", "dbms procedure",
                                  "show users"])
def test_read_only_refuses_administration_on_the_real_server(
        clean_graph, neo4j_env, tmp_path, name):
    result = run_cypher(tmp_path, REFUSED[name])
    assert result.exit_code == 1, result.output
    assert "refused" in result.stderr and "--write" in result.stderr
    no_traceback(result)


@pytest.mark.neo4j
def test_a_running_load_survives_a_terminate_probe(clean_graph, neo4j_env, tmp_path):
    """The probe that killed a concurrent load: TERMINATE TRANSACTIONS every other one."""
    blocker = threading.Event()

    def long_transaction() -> None:
        with clean_graph.driver.session(database=neo4j_env.database) as session:
            tx = session.begin_transaction()
            tx.run("CREATE (:SecurityProbe {at: 1})").consume()
            blocker.wait(30)
            tx.commit()

    thread = threading.Thread(target=long_transaction)
    thread.start()
    try:
        time.sleep(1)
        text = ("SHOW TRANSACTIONS YIELD transactionId AS t, currentQuery AS q "
                "WHERE NOT q CONTAINS 'SHOW' TERMINATE TRANSACTIONS t")
        result = run_cypher(tmp_path, text)
        assert result.exit_code == 1 and "refused" in result.stderr
    finally:
        blocker.set()
        thread.join()
    n = clean_graph.run_read("MATCH (p:SecurityProbe) RETURN count(p) AS n")[0]["n"]
    assert n == 1  # the other transaction committed: nothing terminated it
    clean_graph.run_write("MATCH (p:SecurityProbe) DELETE p")


@pytest.mark.neo4j
def test_show_transactions_does_not_reveal_other_sessions_parameters(
        clean_graph, neo4j_env, tmp_path):
    secret = "440301199001011234"
    stop = threading.Event()

    def other_session() -> None:
        with clean_graph.driver.session(database=neo4j_env.database) as session:
            tx = session.begin_transaction()
            tx.run("MATCH (n) WHERE n.key = $secret RETURN count(n)", secret=secret).consume()
            stop.wait(30)
            tx.rollback()

    thread = threading.Thread(target=other_session)
    thread.start()
    try:
        time.sleep(1)
        result = run_cypher(tmp_path, "SHOW TRANSACTIONS YIELD parameters RETURN parameters",
                            "--show-pii")
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 1 and secret not in result.output


@pytest.mark.neo4j
def test_read_only_load_csv_never_fetches(clean_graph, neo4j_env, tmp_path, http_port):
    port, requests = http_port
    result = run_cypher(tmp_path, f"LOAD CSV FROM 'http://127.0.0.1:{port}/x.csv' AS r "
                                  "RETURN r")
    assert result.exit_code == 1 and "LOAD" in result.stderr and "--write" in result.stderr
    assert requests == []


def _local_server_settings(neo4j_env) -> dict[str, str]:
    conf = ROOT / ".neo4j" / "conf" / "neo4j.conf"
    port = (ROOT / ".neo4j" / "port").read_text().strip() if conf.exists() else ""
    if not conf.exists() or not neo4j_env.uri.endswith(f":{port}"):
        pytest.skip("the suite runs against a server that scripts/neo4j.sh did not start")
    return dict(line.split("=", 1) for line in conf.read_text().splitlines()
                if "=" in line and not line.startswith("#"))


@pytest.mark.neo4j
def test_the_local_server_keeps_load_csv_from_the_network_and_files(
        clean_graph, neo4j_env, tmp_path, http_port):
    settings = _local_server_settings(neo4j_env)
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    port, requests = http_port
    network = run_cypher(tmp_path, f"LOAD CSV FROM 'http://127.0.0.1:{port}/x.csv' AS r "
                                   "RETURN r", "--write")
    assert network.exit_code == 1, network.output
    assert "blocked" in network.stderr, network.stderr
    assert requests == []  # the server never connected
    files = run_cypher(tmp_path, "LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r", "--write")
    assert files.exit_code == 1 and "root:" not in files.output
    assert "allow_csv_import_from_file_urls" in files.stderr, files.stderr
    no_traceback(network)
    no_traceback(files)


# ---------------------------------------------------------------------------------------------
# 7. A library name is never shadowed by a file in the current directory


def test_a_file_named_like_a_library_query_does_not_shadow_it(tmp_path, monkeypatch):
    from graphaudit.queries import find_query

    monkeypatch.chdir(tmp_path)
    (tmp_path / "path-between").write_text("MATCH (n) DETACH DELETE n", encoding="utf-8")
    (tmp_path / "mine").write_text("RETURN 1 AS one", encoding="utf-8")
    assert find_query("path-between").path.parent.name == "cypher"
    assert find_query("./mine").statement == "RETURN 1 AS one"
    result = CliRunner().invoke(main, ["query", "mine"])
    assert result.exit_code == 2 and "./mine" in result.stderr


# ---------------------------------------------------------------------------------------------
# 6. Hostile files: a clean error naming the file, exit 1, bounded memory, no traceback


def validate(data: Path, *args: str):
    return CliRunner().invoke(main, ["validate", str(data), "--rejects",
                                     str(data.parent / "rejects.csv"), *args])


def refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    no_traceback(result)
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def test_a_symlink_out_of_the_data_directory_is_refused_and_its_target_never_shown(data):
    secret = data.parent / "secret.txt"
    secret.write_text("TOP-SECRET first line\nstore_id\n", encoding="utf-8")
    (data / "stores.csv").symlink_to(secret)
    result = validate(data)
    refused(result, "stores.csv", "symbolic link out of the data directory")
    assert "TOP-SECRET" not in result.output and "secret.txt" not in result.output


def test_a_symlink_inside_the_data_directory_is_read(data):
    (data / "real").mkdir()
    (data / "real" / "stores.csv").write_text("store_id\nS1\n", encoding="utf-8")
    (data / "stores.csv").symlink_to(data / "real" / "stores.csv")
    assert validate(data).exit_code == 0


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_a_symlink_to_a_device_is_refused(data, target):
    (data / "stores.csv").symlink_to(target)
    refused(validate(data), "stores.csv", "refused")


def test_a_fifo_is_refused_without_blocking(data):
    os.mkfifo(data / "stores.csv")
    refused(validate(data), "stores.csv", "a FIFO, not a regular file")


def test_a_device_inside_the_data_directory_is_refused(data):
    os.symlink("/dev/zero", data / "zero")
    (data / "stores.csv").symlink_to(data / "zero")  # in the folder, but a device in the end
    refused(validate(data), "stores.csv")


def test_a_gzip_whose_header_never_ends_is_refused(data):
    with gzip.open(data / "stores.csv.gz", "wb", compresslevel=9) as handle:
        for _ in range(200):  # 200 MiB of one line, 200 KB compressed
            handle.write(b"a" * (1 << 20))
    refused(validate(data), "stores.csv.gz", "line 1 is longer than 1 MiB")


def test_a_gzip_bomb_of_many_lines_is_refused_by_its_ratio(data):
    with gzip.open(data / "stores.csv.gz", "wb", compresslevel=9) as handle:
        handle.write(b"store_id,name\n")
        for _ in range(300):  # 300 MiB of blank lines, 300 KB compressed
            handle.write(b"\n" * (1 << 20))
    refused(validate(data), "stores.csv.gz", "expands more than 100 times")


def test_an_ordinary_gzip_file_is_read(data):
    with gzip.open(data / "stores.csv.gz", "wt", encoding="utf-8") as handle:
        handle.write("store_id,name\n" + "".join(f"S{i},shop {i}\n" for i in range(1000)))
    result = validate(data)
    assert result.exit_code == 0 and "1000" in result.stdout, result.output


def test_jsonl_nested_200000_deep_is_a_clean_error(data):
    deep = b"[" * 200_000 + b"]" * 200_000
    (data / "stores.jsonl").write_bytes(b'{"store_id": "S1"}\n{"store_id": ' + deep + b"}\n")
    refused(validate(data), "stores.jsonl", "line 2", "nested too deeply")


def test_a_jsonl_line_without_end_is_refused(data):
    (data / "stores.jsonl").write_bytes(b'{"store_id": "' + b"x" * (3 << 20) + b'"}\n')
    refused(validate(data), "stores.jsonl", "line 1 is longer than 1 MiB")


@pytest.mark.parametrize("name", ["stores.csv", "stores.jsonl"])
def test_cr_only_line_ends_are_read_with_the_right_line_numbers(data, name):
    if name.endswith(".csv"):
        text = "store_id,opened_on\rS1,2020-01-01\rS2,not-a-date\rS3,2020-02-02\r"
    else:
        text = ('{"store_id": "S1", "opened_on": "2020-01-01"}\r'
                '{"store_id": "S2", "opened_on": "not-a-date"}\r'
                '{"store_id": "S3", "opened_on": "2020-02-02"}\r')
    (data / name).write_bytes(text.encode())
    result = validate(data)
    assert result.exit_code == 0, result.output
    rejects = (data.parent / "rejects.csv").read_text(encoding="utf-8").splitlines()
    line = 3 if name.endswith(".csv") else 2
    assert rejects[1].startswith(f"{name},{line},opened_on,"), rejects
    assert " 3 " in result.stdout.replace("  ", " ")  # three rows read


def test_six_million_rejects_stop_at_the_cap_saying_so(data):
    from graphaudit.records import MAX_REJECTS

    with open(data / "stores.csv", "w", encoding="utf-8") as handle:
        handle.write("store_id,opened_on\n")
        handle.writelines(f"S{i},x\n" for i in range(6_000_000))
    result = validate(data)
    refused(result, "stores.csv", f"stopped after {MAX_REJECTS:,} rejected rows")
    with open(data.parent / "rejects.csv", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == MAX_REJECTS + 1  # with its header


def test_rejects_pointing_at_an_input_file_is_refused_and_the_file_kept(data):
    stores = data / "stores.csv"
    stores.write_text("store_id,opened_on\nS1,bad\n", encoding="utf-8")
    before = stores.read_bytes()
    result = CliRunner().invoke(main, ["validate", str(data), "--rejects", str(stores)])
    assert result.exit_code == 2 and "is the input file" in result.stderr, result.output
    assert stores.read_bytes() == before
    link = data.parent / "alias.csv"
    link.symlink_to(stores)
    result = CliRunner().invoke(main, ["validate", str(data), "--rejects", str(link)])
    assert result.exit_code == 2 and stores.read_bytes() == before
