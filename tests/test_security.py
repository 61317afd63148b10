"""The probes of issue 13, kept as regression tests (docs/security.md says what they protect).

Read-only means read-only (against the real server), the local server's hardening (file
permissions, the password never on a command line, LOAD CSV kept from files and the network),
hostile input files, the sharp edges of the command line, and privacy (pseudonyms that cannot
be reversed, masks, scrubbing, formula cells, hashed identifiers). The probes that held when the
tool was attacked are here too: script payloads in the browser, parameter break-outs, and a
``kill -9`` of Neo4j in the middle of a load.
"""

from __future__ import annotations

import csv
import datetime
import gzip
import hashlib
import http.server
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from graphaudit.cli import main
from graphaudit.normalize import DIGIT_LOOKALIKES
from graphaudit.privacy import DIGIT_FORMS
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
    "backquoted procedure": "CALL `dbms`.`components`() YIELD name RETURN name",
    "spaced procedure": "MATCH (n) WITH 1 AS x CALL dbms . components() YIELD name RETURN name",
    "components": "MATCH (n) WITH count(n) AS c CALL dbms.components() YIELD name RETURN name",
    "show settings": "SHOW SETTINGS",
    "show users": "SHOW USERS",
    "write": "MATCH (s) SET s.x = 1",
    "foreach": "MATCH (n) FOREACH (x IN [1] | SET n.a = x)",
    "profile": "PROFILE MATCH (n) RETURN n",
    # Neo4j decodes \uXXXX before it reads the query: \u0027 closes the string, \u000a the
    # comment, that the text check reads as open (REPORT7 item 3)
    "escaped quote": r"WITH 'a\u0027 AS x CALL { LOAD CSV FROM 'file:///etc/passwd' AS r "
                     r"RETURN r } RETURN x, r //'",
    "escaped line end": r"MATCH (n) RETURN n // \u000a CALL dbms.listConfig() YIELD name",
    "escaped keyword": r"MATCH (n) \u0053ET n.x = 1",
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
    r"RETURN 'C:\\users\\' AS path",  # an escaped backslash before a u is no \u escape
])
def test_the_statement_check_lets_reads_through(text):
    check_statement(text)


def test_every_library_query_passes_the_statement_check():
    from graphaudit.queries import load_library

    for query in load_library().values():
        check_statement(query.statement, query.name)


def test_the_plan_check_is_an_allow_list():
    read = {"operatorType": "ProduceResults@neo4j", "children": [
        {"operatorType": "Expand(All)@neo4j", "children": [
            {"operatorType": "NodeByLabelScan@neo4j", "children": []}]}]}
    check_plan(read)
    calls = {"operatorType": "ProduceResults@neo4j", "children": [
        {"operatorType": "ProcedureCall@neo4j", "args": {"Details": "db.labels() :: (label)"}}]}
    check_plan(calls)
    calls["children"][0]["args"]["Details"] = "dbms.components() :: (name :: STRING)"
    with pytest.raises(ReadOnlyRefused, match="dbms.components"):
        check_plan(calls)
    for operator in ("LoadCSV", "ShowTransactions", "TerminateTransactions",
                     "TransactionApply", "Create", "SomethingNewInNeo4j6"):
        plan = {"operatorType": "ProduceResults@neo4j",
                "children": [{"operatorType": f"{operator}@neo4j", "children": []}]}
        with pytest.raises(ReadOnlyRefused, match=operator):
            check_plan(plan)


@pytest.mark.neo4j
@pytest.mark.parametrize("name", ["show transactions", "terminate", "show and terminate",
                                  "use system", "in transactions", "dbms procedure",
                                  "backquoted procedure", "show users"])
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


def test_a_query_file_or_option_file_that_is_a_fifo_or_device_is_refused_without_blocking(
        tmp_path, monkeypatch):
    """REPORT3 items 8 and 9: `query ./f.cypher` on a FIFO, `query /dev/zero` and every option
    file (--hubs, --columns, --previous, --pseudonym-key) on /dev/zero or a FIFO hung (and
    /dev/zero grew memory without end); a 3 MB query file was quoted whole in the error."""
    import signal

    from graphaudit.readonly import ReadOnlyRefused, check_statement

    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "f.cypher", 0o600)
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("blocked on a FIFO or a device"))
    signal.alarm(60)
    try:
        for target in ("./f.cypher", "/dev/zero"):
            result = CliRunner().invoke(main, ["query", target, "--uri", "bolt://127.0.0.1:1"])
            assert result.exit_code == 2, result.output
            assert "not a regular file" in result.stderr, result.stderr
        (tmp_path / "big.cypher").write_text("a" * 3_000_000, encoding="utf-8")
        result = CliRunner().invoke(main, ["query", "./big.cypher", "--uri", "bolt://127.0.0.1:1"])
        assert result.exit_code == 2 and len(result.output) < 500, result.output[:500]
        data = tmp_path / "data"
        data.mkdir()
        (data / "stores.csv").write_text("store_id\nS1\n", encoding="utf-8")
        for option in ("--hubs", "--columns", "--previous", "--pseudonym-key"):
            for target in ("/dev/zero", str(tmp_path / "f.cypher")):
                result = CliRunner().invoke(main, ["analyze", str(data), "--out",
                                                   str(tmp_path / "out"), "-q", option, target])
                assert result.exit_code == 2, (option, target, result.output)
                assert option in result.stderr and "not a regular file" in result.stderr
    finally:
        signal.alarm(0)
    with pytest.raises(ReadOnlyRefused) as refused_long:
        check_statement("A" * 100_000)
    assert len(str(refused_long.value)) < 400


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
    # one of the three dates is dropped: past validate's 10% limit of lost values (exit 1)
    assert result.exit_code == 1 and "past the 10% limit" in result.output, result.output
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


def test_rejects_named_like_an_input_of_the_data_folder_are_refused(data):
    """REPORT5 item 5: `--rejects DATA/payments.csv` (the data had no payments file) was
    written, and the next run stopped on it as a payments file without store_id (exit 1)."""
    (data / "stores.csv").write_text("store_id,opened_on\nS1,bad\n", encoding="utf-8")
    for name in ("payments.csv", "Addresses.TSV.gz"):
        result = CliRunner().invoke(main, ["validate", str(data), "--rejects",
                                           str(data / name)])
        assert result.exit_code == 2 and "named like an input file" in result.stderr, \
            result.output
        assert not (data / name).exists()
    result = CliRunner().invoke(main, ["validate", str(data), "--rejects",
                                       str(data / "rejects.csv")])
    assert result.exit_code == 1 and (data / "rejects.csv").exists(), result.output


def test_rejects_never_written_through_a_link_nor_over_a_file_graphaudit_did_not_write(
        data, monkeypatch):
    """REPORT2 item 3: a link at the rejects path is replaced by a file of our own (its target
    kept); a file there that is not a rejects file is refused when the first reject arrives
    (exit 2) and kept; an earlier rejects file or an empty file is replaced."""
    rows = "".join(f"S{k},2020-01-01\n" for k in range(2, 40))
    (data / "stores.csv").write_text(f"store_id,opened_on\nS1,bad\n{rows}", encoding="utf-8")
    victim = data.parent / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = data.parent / "rj.csv"
    link.symlink_to(victim)
    result = CliRunner().invoke(main, ["validate", str(data), "--rejects", str(link)])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not link.is_symlink() and link.read_text(encoding="utf-8").startswith("file,line")
    work = data.parent / "sub"
    work.mkdir()
    monkeypatch.chdir(work)
    notes = work / "rejects.csv"  # validate's default --rejects
    notes.write_text("my own notes\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(data)])
    assert result.exit_code == 2 and "not a rejects file" in result.stderr, result.output
    assert notes.read_text(encoding="utf-8") == "my own notes\n"
    for earlier in ("", link.read_text(encoding="utf-8")):
        notes.write_text(earlier, encoding="utf-8")
        result = CliRunner().invoke(main, ["validate", str(data)])
        assert result.exit_code == 0, result.output
        assert notes.read_text(encoding="utf-8").startswith("file,line,field,reason,value")


def test_rejects_naming_the_runs_other_files_or_outputs_are_refused(data, tmp_path):
    """REPORT2 item 3's addendum: --rejects naming the column map, the hubs file, the pseudonym
    key or one of the outputs in --out was overwritten (the key silently replaced by a CSV)."""
    rows = "".join(f"S{k},2020-01-01\n" for k in range(2, 40))
    (data / "stores.csv").write_text(f"store_id,opened_on\nS1,bad\n{rows}", encoding="utf-8")
    key = tmp_path / "case.key"
    assert CliRunner().invoke(main, ["new-key", str(key)]).exit_code == 0
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("kind,identifier,action,note\n", encoding="utf-8")
    out = tmp_path / "out"
    for extra, target in ((["--pseudonym-key", str(key)], key), (["--hubs", str(hubs)], hubs),
                          ([], out / "clusters.csv"), ([], out / "clusters" / "x.html")):
        before = target.read_bytes() if target.exists() else None
        result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q",
                                           "--rejects", str(target), *extra])
        assert result.exit_code == 2, (target, result.output)
        assert (target.read_bytes() if target.exists() else None) == before, target


# ---------------------------------------------------------------------------------------------
# 1, 2, 4, 5, 7 (privacy, graphaudit/privacy.py): pseudonyms that cannot be reversed, a graph
# that can hold keyed hashes only, cells safe to open in a spreadsheet, personal data scrubbed
# from free text in every output, the report's Neo4j snippet built from parameters only

#: the personal data of the privacy world: none may appear in an output without --show-pii
PRIVATE = {
    "id": "11010519491231002X", "id_spaced": "1101.0519.4912.3100.2X",
    "account": "6222020200112233445", "account_spaced": "6222_0202_0011_2233_445",
    "phone": "13800138000", "phone_e164": "+8613800138000", "email": "boss@evil-corp.example",
    "holder": "Zhang Wei Holder", "in_address_phone": "13900139000",
    "in_address_id": "440301199001011234", "in_address_email": "li.na@example.com",
}
FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(1+1)", "\tTAB", "\rCR"]


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def privacy_world(folder: Path) -> Path:
    """Two operators: one shares an ID, an account, a phone and an address that has a phone,
    an ID and an e-mail written into it; the other has store ids and brands that spreadsheets
    would run as formulas. Some values are malformed, so that rejects.csv has rows."""
    folder.mkdir(parents=True, exist_ok=True)
    p = PRIVATE
    address = (f"Room 5, Bldg 3, Nanshan Rd 12, call {p['in_address_phone'][:3]} "
               f"{p['in_address_phone'][3:7]} {p['in_address_phone'][7:]}, ID "
               f"{p['in_address_id']}, mail {p['in_address_email']}")
    stores = [{"store_id": f"S{k}", "name": f"Shop {k}", "brand": "mpow",
               "marketplace": "tmall", "opened_on": f"2022-0{k}-01", "status": "active",
               "suspended_on": "", "status_reason": ""} for k in range(1, 4)]
    stores += [{"store_id": f, "name": "x", "brand": f, "marketplace": "jd",
                "opened_on": "2022-05-01", "status": "active", "suspended_on": "",
                "status_reason": f} for f in FORMULAS]
    stores.append({"store_id": "S9", "name": "bad date", "brand": "b", "marketplace": "jd",
                   "opened_on": "=1+1", "status": "active", "suspended_on": "",
                   "status_reason": ""})
    _write(folder / "stores.csv", stores)
    _write(folder / "identities.csv", [
        {"store_id": "S1", "id_number": p["id"], "holder_name": p["holder"], "role": "",
         "phone": p["phone"], "email": p["email"]},
        {"store_id": "S2", "id_number": p["id_spaced"], "holder_name": p["holder"], "role": "",
         "phone": "138 0013 8000", "email": "not-an-email_" + p["account"]},
        {"store_id": "S3", "id_number": "PASS0003", "holder_name": "", "role": "",
         "phone": "no digits here", "email": p["email"]},
        *({"store_id": f, "id_number": f"PASS100{k}", "holder_name": "", "role": "",
           "phone": "13700137000", "email": ""} for k, f in enumerate(FORMULAS)),
    ])
    _write(folder / "payments.csv", [
        {"store_id": "S1", "account_number": p["account"], "account_type": "bank",
         "institution": "", "holder_name": p["holder"]},
        {"store_id": "S3", "account_number": p["account_spaced"], "account_type": "bank",
         "institution": "", "holder_name": p["holder"]},
    ])
    _write(folder / "addresses.csv", [
        {"store_id": s, "address": address, "address_type": "registered", "city": "Shenzhen"}
        for s in ("S1", "S2")
    ] + [{"store_id": FORMULAS[0], "address": "=1+1 Formula Street 9",
          "address_type": "registered", "city": ""},
         {"store_id": FORMULAS[1], "address": "=1+1 Formula Street 9",
          "address_type": "registered", "city": ""}])
    with open(folder / "identities.csv", "a", encoding="utf-8") as handle:
        handle.write(f"S1,{p['id_spaced'].replace('.', '/')},too,many,fields,here,x\n")
    return folder


def run_cli(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def analyze_privacy(tmp_path: Path, *args: str) -> Path:
    data = privacy_world(tmp_path / "data")
    out = tmp_path / "out"
    result = run_cli("analyze", str(data), "--out", str(out), "-q", *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return out


def _texts(out: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        # the packed scripts (a standalone page's blocks, assets/code.css) may spell anything
        text = re.sub(r'(id="pack-[a-z-]+">)[^<]*', r"\1", text)
        text = re.sub(r'(--ga-[a-z-]+:")[^"]*', r"\1", text)
        # the manifest's file sizes and nanosecond times are digits that may spell anything
        text = re.sub(r'"(size|mtime_ns)": \d+', "", text)
        texts[str(path.relative_to(out))] = text
    return texts


def _windows(value: str, size: int = 5) -> set[str]:
    """Every run of ``size`` characters of ``value`` but its last four (what masks may show)."""
    head = value[:-4]
    return {head[i:i + size] for i in range(len(head) - size + 1)} | {value[-size:]}


@pytest.fixture(scope="module")
def privacy_out(tmp_path_factory) -> Path:
    return analyze_privacy(tmp_path_factory.mktemp("privacy"))


def test_no_output_holds_personal_data_or_more_than_four_characters_of_it(privacy_out):
    texts = _texts(privacy_out)
    assert {"evidence.csv", "hubs.csv", "clusters.csv", "rejects.csv", "index.html"} <= set(texts)
    for name, text in texts.items():
        for label, value in PRIVATE.items():
            if label != "holder":  # names are shown (docs/security.md): only hashed in the graph
                assert value not in text, (name, label)
        for value in (PRIVATE["id"], PRIVATE["account"], PRIVATE["phone"]):
            shown = [w for w in _windows(value) if w in text and not w.isalpha()]
            assert not shown, (name, value, shown)
    evidence = texts["evidence.csv"]
    assert "****002X #" in evidence and "**** 3445 #" in evidence and "+86****000 #" in evidence


def test_free_text_is_scrubbed_in_evidence_hubs_and_the_report(privacy_out):
    texts = _texts(privacy_out)
    evidence = list(csv.DictReader(texts["evidence.csv"].splitlines()))
    address = next(r["identifier"] for r in evidence if r["kind"] == "address"
                   and "Nanshan" in r["identifier"])
    assert "call ****0139" not in address and "****9000" in address  # the phone, last 4 only
    assert "****1234" in address and "l***@example.com" in address
    page = next(t for n, t in texts.items() if n.startswith("clusters/") and "Nanshan" in t)
    assert "****9000" in page and PRIVATE["in_address_phone"] not in page


def test_pseudonyms_cannot_be_reversed_without_the_key(privacy_out, tmp_path):
    """The probe of issue 13: hash every candidate ID with the right last four characters and
    compare with the #tag in evidence.csv. It recovered 4 of 4 IDs from the unkeyed tags; with
    HMAC under the user's key, no candidate matches unless the key is known."""
    from graphaudit.privacy import installation_key_path, load_key

    evidence = list(csv.DictReader(
        (privacy_out / "evidence.csv").read_text(encoding="utf-8").splitlines()))
    shown = next(r["identifier"] for r in evidence if r["kind"] == "id_document")
    masked, tag = shown.split(" ")
    assert masked == "****002X" and re.fullmatch(r"#[0-9a-f]{8}", tag)
    # Candidates: Beijing Dongcheng, born 1949, any day and sequence ending in 002X: the truth
    # is among them, as it would be in a real attack by enumeration.
    candidates = [f"110105{year}{month:02d}{day:02d}{tail}"
                  for year in (1948, 1949, 1950) for month in range(1, 13)
                  for day in range(1, 32) for tail in ("002X",)]
    assert PRIVATE["id"] in candidates

    def unkeyed(key: str) -> set[str]:
        data = f"id_document\x00{key}".encode()
        return {"#" + hashlib.blake2s(data, digest_size=3).hexdigest(),
                "#" + hashlib.sha256(data).hexdigest()[:8],
                "#" + hashlib.sha256(key.encode()).hexdigest()[:8],
                "#" + hashlib.md5(key.encode()).hexdigest()[:8]}  # noqa: S324 (an attack)

    assert not [c for c in candidates if tag in unkeyed(c)]
    other_key = b"0" * 64
    import hmac

    assert not [c for c in candidates
                if "#" + hmac.new(other_key, f"id_document\x00{c}".encode(),
                                  "sha256").hexdigest()[:8] == tag]
    # The key's owner can: the attack fails for want of the key, not of the method.
    owner = load_key(installation_key_path())
    found = [c for c in candidates
             if "#" + hmac.new(owner, f"id_document\x00{c}".encode(),
                               "sha256").hexdigest()[:8] == tag]
    assert found == [PRIVATE["id"]]


def test_the_key_is_made_once_private_and_tags_follow_the_key(tmp_path, monkeypatch):
    from graphaudit.privacy import KEY_FILE, load_key

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    first = analyze_privacy(tmp_path / "a")
    key = tmp_path / "cfg" / "graphaudit" / KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.parent.stat().st_mode & 0o777 == 0o700
    made = key.read_bytes()
    again = analyze_privacy(tmp_path / "b")
    assert key.read_bytes() == made  # made once, never replaced
    assert (first / "evidence.csv").read_bytes() == (again / "evidence.csv").read_bytes()
    # A new key (for a case that must not link to others): other tags, same masks.
    case_key = tmp_path / "case.key"
    result = run_cli("new-key", str(case_key))
    assert result.exit_code == 0 and case_key.stat().st_mode & 0o777 == 0o600
    assert run_cli("new-key", str(case_key)).exit_code == 1  # never overwritten
    assert case_key.read_text() != made.decode()
    other = analyze_privacy(tmp_path / "c", "--pseudonym-key", str(case_key))
    ours, theirs = ((out / "evidence.csv").read_text() for out in (first, other))
    tags = re.compile(r"#[0-9a-f]{8}")
    assert tags.sub("#", ours) == tags.sub("#", theirs)
    assert set(tags.findall(ours)).isdisjoint(tags.findall(theirs))
    # The same key file on another machine gives the same tags (consistent across cases).
    monkeypatch.setenv("GRAPHAUDIT_PSEUDONYM_KEY_FILE", str(case_key))
    shared = analyze_privacy(tmp_path / "d")
    assert (shared / "evidence.csv").read_text() == theirs
    assert load_key(case_key) != made.strip()


def test_the_key_is_a_file_never_a_value_on_the_command_line(tmp_path):
    data = privacy_world(tmp_path / "data")
    result = run_cli("analyze", str(data), "--out", str(tmp_path / "out"),
                     "--pseudonym-key", "correct horse battery staple and more words")
    assert result.exit_code == 2 and "does not exist" in result.stderr
    short = tmp_path / "short.key"
    short.write_text("abc\n")
    short.chmod(0o600)
    result = run_cli("analyze", str(data), "--out", str(tmp_path / "out"),
                     "--pseudonym-key", str(short))
    assert result.exit_code == 2 and "at least 32 characters" in result.stderr


#: 32 random hex digits (``openssl rand -hex 16``, 128 bits): the shortest strong key
HEX_128 = "9f86d081884c7d659a2feaa0c55ad015"


def _key(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_a_weak_key_file_is_refused_and_a_strong_one_taken(tmp_path):
    """hfx item 1: any file of 32 characters was a key: 64 times "k", "password" four times,
    the alphabet. A key that weak lets whoever guesses it reverse every tag by hashing
    candidates; it is a usage error now (exit 2), before anything is written."""
    data = privacy_world(tmp_path / "data")
    out = tmp_path / "out"
    for name, text in (("short", "0123456789abcdef"), ("repeated", "k" * 64),
                       ("password", "password" * 4), ("sequence", "0123456789abcdef" * 2),
                       ("alphabet", "abcdefghijklmnopqrstuvwxyzabcdef"),
                       ("digits", "31415926535897932384626433832795")):
        key = _key(tmp_path / f"{name}.key", text)
        result = run_cli("analyze", str(data), "--out", str(out), "-q", "--pseudonym-key",
                         str(key))
        assert result.exit_code == 2, (name, result.output)
        assert str(key) in result.stderr and "new-key" in result.stderr, name
        assert "Traceback" not in result.output and not out.exists(), name
        # the variable names a key file as the option does, and is checked the same way
        by_env = run_cli("analyze", str(data), "--out", str(out), "-q",
                         env={"GRAPHAUDIT_PSEUDONYM_KEY_FILE": str(key)})
        assert by_env.exit_code == 2 and str(key) in by_env.stderr, name
    for name, text in (("hex", HEX_128), ("phrase", "correct horse battery staple, now")):
        key = _key(tmp_path / f"{name}.key", text)
        assert run_cli("analyze", str(data), "--out", str(out), "-q", "--pseudonym-key",
                       str(key)).exit_code == 0, name


def test_a_key_file_others_may_read_is_refused(tmp_path):
    """hfx item 1: a key file of mode 644 was taken; whoever can read it can reverse the tags of
    every report made with it (as ssh refuses a private key others can read)."""
    data = privacy_world(tmp_path / "data")
    out = tmp_path / "out"
    for mode in (0o644, 0o640, 0o604, 0o620):
        key = _key(tmp_path / "case.key", HEX_128, mode)
        for extra, env in ((["--pseudonym-key", str(key)], None),
                           ([], {"GRAPHAUDIT_PSEUDONYM_KEY_FILE": str(key)})):
            result = run_cli("analyze", str(data), "--out", str(out), "-q", *extra, env=env)
            assert result.exit_code == 2, (oct(mode), result.output)
            assert f"chmod 600 {key}" in result.stderr and not out.exists()
    key.chmod(0o400)
    assert run_cli("analyze", str(data), "--out", str(out), "-q", "--pseudonym-key",
                   str(key)).exit_code == 0


def test_a_key_file_that_is_an_input_or_an_output_of_the_run_is_refused(tmp_path):
    """hfx item 1: --pseudonym-key data/stores.csv was taken as a key (tags keyed on data that
    every holder of the export has); a key inside --out goes wherever the report goes."""
    data = privacy_world(tmp_path / "data")
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("kind,identifier,action,note\nphone,+8613800138000,hub," + HEX_128 + "\n",
                    encoding="utf-8")
    columns = tmp_path / "columns.toml"
    columns.write_text(f'[stores]\n"shop_{HEX_128}" = "store_id"\n', encoding="utf-8")
    (data / "stores.csv").chmod(0o600)
    (data / "identities.csv").chmod(0o600)
    link = tmp_path / "innocent.key"
    link.symlink_to(data / "identities.csv")
    out = tmp_path / "out"
    for key, extra in ((data / "stores.csv", []), (link, []), (hubs, ["--hubs", str(hubs)]),
                       (columns, ["--columns", str(columns)])):
        key.chmod(0o600)
        result = run_cli("analyze", str(data), "--out", str(out), "-q", "--pseudonym-key",
                         str(key), *extra)
        assert result.exit_code == 2, (key, result.output)
        assert "is the input file" in result.stderr and not out.exists(), key
    explained = run_cli("explain", "S1", "--data", str(data), "--pseudonym-key",
                        str(data / "stores.csv"))
    assert explained.exit_code == 2 and "is the input file" in explained.stderr
    out.mkdir()
    inside = _key(out / "case.key", HEX_128)
    result = run_cli("analyze", str(data), "--out", str(out), "-q", "--pseudonym-key",
                     str(inside))
    assert result.exit_code == 2 and "inside the output folder" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["case.key"]


def _modes(folder: Path) -> dict[str, int]:
    """Every file and folder under ``folder`` (itself as "."), by relative path: its mode."""
    found = {".": folder.stat().st_mode & 0o777}
    found.update({str(p.relative_to(folder)): p.lstat().st_mode & 0o777
                  for p in folder.rglob("*") if not p.is_symlink()})
    return found


@pytest.fixture
def umask_022():
    """The usual umask, whatever the test runner's: files 644 and folders 755 by default."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_show_pii_outputs_are_the_users_alone(tmp_path, umask_022):
    """hfx item 5: --show-pii wrote evidence.csv, the pages and rejects.csv, which hold ID
    numbers, accounts and phones unmasked, world-readable (644 in a 755 folder). Now every
    file they write is 600, and a folder graphaudit makes for them 700; files an earlier,
    masked run left there are made 600 before they are overwritten."""
    data = privacy_world(tmp_path / "data")
    out = tmp_path / "made" / "out"
    result = run_cli("-j", "2", "analyze", str(data), "--out", str(out), "-q", "--show-pii")
    assert result.exit_code == 0, result.output
    assert PRIVATE["phone_e164"] in (out / "evidence.csv").read_text(encoding="utf-8")
    modes = _modes(out)
    assert {"evidence.csv", "rejects.csv", "index.html", "clusters", "assets"} <= set(modes)
    assert any(name.startswith("clusters/") for name in modes)
    wrong = {name: oct(mode) for name, mode in modes.items()
             if mode != (0o700 if (out / name).is_dir() else 0o600)
             and name != ".graphaudit-manifest.json"}
    assert not wrong
    assert (tmp_path / "made").stat().st_mode & 0o777 == 0o700  # made for it too
    # a masked run into an existing folder: the usual modes; then --show-pii over it
    shared = tmp_path / "shared"
    shared.mkdir()
    assert run_cli("analyze", str(data), "--out", str(shared), "-q").exit_code == 0
    assert (shared / "evidence.csv").stat().st_mode & 0o777 == 0o644
    assert (shared / "clusters").stat().st_mode & 0o777 == 0o755
    (shared / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert run_cli("analyze", str(data), "--out", str(shared), "-q",
                   "--show-pii").exit_code == 0
    modes = _modes(shared)
    assert modes["."] == 0o755 and modes["notes.txt"] == 0o644  # not made by graphaudit
    for name in ("evidence.csv", "clusters.csv", "rejects.csv", "index.html", "model.json"):
        assert modes[name] == 0o600, name
    assert modes["clusters"] == modes["assets"] == 0o700
    assert {mode for name, mode in modes.items() if name.startswith("clusters/")} == {0o600}
    # the rejects file of validate and load, also over an earlier one
    rejects = tmp_path / "rejects.csv"
    run_cli("validate", str(data), "--rejects", str(rejects))  # exit 1: it loses >10%
    assert rejects.stat().st_mode & 0o777 == 0o644
    run_cli("validate", str(data), "--rejects", str(rejects), "--show-pii")
    assert PRIVATE["account"] in rejects.read_text(encoding="utf-8")
    assert rejects.stat().st_mode & 0o777 == 0o600
    assert os.umask(0o022) == 0o022  # the process's umask is restored


def _cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


_NUMBER = re.compile("[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?")


def test_no_csv_cell_starts_like_a_formula(privacy_out):
    """OWASP "CSV injection": every cell that starts with = + - @ tab or CR is prefixed with
    a single quote, and quoted, in every CSV file the tool writes (a plain number is left as
    it is: a spreadsheet reads it as a number)."""
    seen = set()
    for name in ("clusters.csv", "cluster_summary.csv", "evidence.csv", "hubs.csv",
                 "rejects.csv"):
        path = privacy_out / name
        raw = path.read_text(encoding="utf-8")
        for row in _cells(path):
            for cell in row:
                assert not cell[:1] or cell[0] not in "=+-@\t\r" or _NUMBER.fullmatch(cell), \
                    (name, cell)
                if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                    seen.add(cell[1:])
                    assert '"' + cell.replace('"', '""') + '"' in raw  # quoted, too
    assert {FORMULAS[0], FORMULAS[2], "=1+1"} <= seen


def test_a_previous_run_with_neutralised_ids_keeps_them(privacy_out, tmp_path):
    data = privacy_world(tmp_path / "data")
    out = tmp_path / "again"
    result = run_cli("analyze", str(data), "--out", str(out), "-q", "--previous",
                     str(privacy_out / "clusters.csv"))
    assert result.exit_code == 0, result.output
    before = {r[0]: r[1] for r in _cells(privacy_out / "clusters.csv")[1:]}
    after = {r[0]: r[1] for r in _cells(out / "clusters.csv")[1:]}
    assert before == after and "'" + FORMULAS[0] in after


def test_rejects_mask_values_and_reasons_never_repeat_them(privacy_out):
    rows = _cells(privacy_out / "rejects.csv")
    header, rows = rows[0], rows[1:]
    assert header == ["file", "line", "field", "reason", "value"]
    text = (privacy_out / "rejects.csv").read_text(encoding="utf-8")
    for secret in ("no digits here", "not-an-email_", PRIVATE["account"],
                   PRIVATE["id_spaced"].replace(".", "/"), "4912"):
        assert secret not in text, secret
    reasons = {r[2]: r[3] for r in rows}
    assert reasons["phone"].startswith("no digits in phone number")
    assert reasons["email"].startswith("not an e-mail address")
    row = next(r for r in rows if r[2] == "row")
    assert "****002X" in row[4]  # the ID separated by "/" in a malformed row


def test_report_snippet_has_no_data_in_the_query_text(tmp_path):
    """The "reproduce in Neo4j" box: the same query text for every cluster, the id given only
    in a :param line whose literal cannot end early, whatever the id holds."""
    from graphaudit.report.context import cluster_query
    from graphaudit.report.context import cypher_box as _cypher

    for hostile in ("C1", "x' }) DETACH DELETE n //", 'x"\n:param evil => 1\nMATCH (n) DETACH '
                    "DELETE n //", "\\'; \u2028\u0000 中文 😀"):
        snippet = _cypher(hostile)
        first, rest = snippet.split("\n", 1)
        assert rest == cluster_query() and first.startswith(":param cluster_id => \"")
        assert first.isascii() and "\n" not in first and "\r" not in first
        assert json.loads(first.removeprefix(":param cluster_id => ")) == hostile


@pytest.mark.neo4j
def test_report_snippet_parameter_is_read_back_exactly_by_neo4j(clean_graph):
    from graphaudit.report.context import cypher_box as _cypher

    for hostile in ('x"\n:param evil => 1\nMATCH (n) DETACH DELETE n //', "\\'\u2028 😀"):
        literal = _cypher(hostile).split("\n", 1)[0].removeprefix(":param cluster_id => ")
        # what Browser and cypher-shell do with a :param line: evaluate the expression
        assert clean_graph.run_read(f"RETURN {literal} AS v")[0]["v"] == hostile


def _load(data: Path, *args: str):
    return run_cli("load", str(data), "-q", "--rejects", str(data.parent / "rejects.csv"),
                   *args)


def _everything(store) -> str:
    """Every property of every node and relationship, as one text."""
    nodes = store.run_read("MATCH (n) RETURN properties(n) AS p")
    rels = store.run_read("MATCH ()-[r]->() RETURN properties(r) AS p")
    return json.dumps([r["p"] for r in nodes + rels], default=str, ensure_ascii=False)


@pytest.mark.neo4j
def test_hash_identifiers_keeps_personal_data_out_of_the_graph_and_queries_work(
        clean_graph, neo4j_env, tmp_path):
    data = privacy_world(tmp_path / "data")
    result = _load(data, "--hash-identifiers")
    assert result.exit_code == 0, (result.output, result.exception)
    stored = _everything(clean_graph)
    for label in ("id", "account", "phone_e164", "email", "holder"):
        assert PRIVATE[label] not in stored, label
    for spelling in ("138 0013 8000", PRIVATE["id_spaced"], PRIVATE["account_spaced"]):
        assert spelling not in stored
    assert re.search(r'"key": "#[0-9a-f]{32}"', stored)
    # Queries hash their identifier parameters the same way: a phone pasted as seen is found.
    result = run_cli("query", "identifier-stores", "-p", "kind=phone",
                     "-p", "value=138 0013 8000", "--format", "json")
    assert result.exit_code == 0, (result.output, result.exception)
    rows = json.loads(result.stdout)
    assert {r["store_id"] for r in rows} == {"S1", "S2"}
    tag = rows[0]["identifier"]
    assert re.fullmatch(r"#[0-9a-f]{8}", tag)
    # ...with the tag that analyze shows next to the masked value (same key)
    out = analyze_privacy(tmp_path / "files")
    assert f"+86****000 {tag}" in (out / "evidence.csv").read_text(encoding="utf-8")
    # A load without the option into a hashed graph stays hashed; another key is refused.
    assert _load(data).exit_code == 0
    assert PRIVATE["phone_e164"] not in _everything(clean_graph)
    other = tmp_path / "other.key"
    run_cli("new-key", str(other))
    refused_load = _load(data, "--hash-identifiers", "--pseudonym-key", str(other))
    assert refused_load.exit_code == 1 and "another pseudonym key" in refused_load.stderr
    refused_query = run_cli("query", "identifier-stores", "-p", "kind=phone",
                            "-p", "value=138 0013 8000", "--pseudonym-key", str(other))
    assert refused_query.exit_code == 1 and "another pseudonym key" in refused_query.stderr
    # cluster and report work on the hashed graph and show tags, never hashes or values; a
    # --hubs file names identifiers in the clear and is hashed to match
    hubs = tmp_path / "hubs.csv"
    _write(hubs, [{"kind": "phone", "identifier": "(+86) 138-0013-8000", "action": "hub",
                   "note": "an agency's phone"}])
    clustered = run_cli("cluster", "-q", "--hubs", str(hubs), "--out", str(tmp_path / "c"))
    assert clustered.exit_code == 0, clustered.output
    with open(tmp_path / "c" / "hubs.csv", encoding="utf-8", newline="") as handle:
        denied = [r for r in csv.DictReader(handle) if r["status"] == "denied"]
    assert [(r["kind"], r["identifier"]) for r in denied] == [("phone", tag)]
    report = run_cli("report", "--out", str(tmp_path / "report"), "-q")
    assert report.exit_code == 0, report.output
    for name, text in _texts(tmp_path / "report").items():
        assert not re.search(r"#[0-9a-f]{32}", text), name
        for label in ("id", "account", "phone_e164", "email", "holder"):
            assert PRIVATE[label] not in text, (name, label)


def test_the_hashed_graph_is_one_rule_of_privacy():
    """hfx item 7a: load and load --bulk each scrubbed and hashed the tables (store.py and
    bulk.py); now both call privacy.hashed_graph_table, the one rule of what a hashed graph
    holds: keys, spellings and holder names of personal kinds hashed, reasons scrubbed,
    addresses kept."""
    import pandas as pd

    from graphaudit.privacy import hashed_graph_table, is_hashed

    secret = b"9f86d081884c7d659a2feaa0c55ad015" * 2
    links = pd.DataFrame({
        "store_id": ["S1", "S2", "S3"], "kind": ["phone", "phone", "address"],
        "key": ["+8613800138000", "+8613800138000", "room 5 nanshan rd 12"],
        "raw": ["138 0013 8000", "13800138000", "Room 5, Nanshan Rd 12"],
        "holder_name": ["Zhang Wei", "", None]})
    before = links.copy()
    hashed = hashed_graph_table(links, secret, links["kind"])
    pd.testing.assert_frame_equal(links, before)  # the caller's table is not changed
    assert all(is_hashed(v) for v in hashed.loc[:1, "key"]) and len(set(hashed.loc[:1, "key"])) == 1
    assert all(is_hashed(v) for v in hashed.loc[:1, "raw"])
    assert hashed.loc[0, "raw"] != hashed.loc[1, "raw"] != hashed.loc[0, "key"]
    assert hashed.loc[2, ["key", "raw"]].tolist() == before.loc[2, ["key", "raw"]].tolist()
    assert is_hashed(hashed.loc[0, "holder_name"])
    assert hashed.loc[1:, "holder_name"].tolist() == ["", ""]
    stores = pd.DataFrame({"store_id": ["S1"], "name": ["Shop 13800138000"],
                           "status_reason": ["banned, call 13800138000"]})
    kept = hashed_graph_table(stores, secret)
    assert kept.loc[0, "status_reason"] == "banned, call ****8000"
    assert kept.loc[0, "name"] == "Shop 13800138000"  # store names are not scrubbed
    part = pd.DataFrame({"key": ["+8613800138000"], "valid": [True]})
    assert hashed_graph_table(part, secret, "phone").loc[0, "key"] == hashed.loc[0, "key"]


@pytest.mark.neo4j
def test_hash_identifiers_refuses_a_graph_that_holds_raw_values(clean_graph, neo4j_env,
                                                                tmp_path):
    data = privacy_world(tmp_path / "data")
    assert _load(data).exit_code == 0
    result = _load(data, "--append", "--hash-identifiers")
    assert result.exit_code == 1 and "in the clear" in result.stderr


def _loaded_with_query(tmp_path: Path, name: str, cypher: str) -> Path:
    """The privacy world loaded, and a query file of the analyst's own beside it."""
    assert _load(privacy_world(tmp_path / "data")).exit_code == 0
    custom = tmp_path / name
    custom.write_text(cypher, encoding="utf-8")
    return custom


@pytest.mark.neo4j
def test_query_output_is_masked_by_the_type_of_value_not_the_column_name(
        clean_graph, neo4j_env, tmp_path):
    custom = _loaded_with_query(tmp_path, "mine.cypher",
        "MATCH (s:Store)-[r:OPENED_WITH]->(d:IdDocument) WHERE s.store_id IN ['S1', 'S2']\n"
        "MATCH (s)-[:HAS_PHONE]->(p:Phone)\n"
        "OPTIONAL MATCH (s)-[pay:PAID_TO]->(:PaymentAccount)\n"
        "OPTIONAL MATCH (s)-[:LOCATED_AT]->(a:Address)\n"
        "RETURN s.store_id AS k0, d.key AS k, r.raw AS spelled, [p.key] AS l,\n"
        "       {v: p.key, e: 'x'} AS m, pay.raw AS acct, a.text AS where, '=1+1' AS f\n"
        "ORDER BY k0\n")
    for fmt in ("json", "csv", "table"):
        result = run_cli("query", str(custom), "--format", fmt)
        assert result.exit_code == 0, (result.output, result.exception)
        for label, value in PRIVATE.items():
            if label != "holder":
                assert value not in result.stdout, (fmt, label)
        assert "138 0013 8000" not in result.stdout
    rows = json.loads(run_cli("query", str(custom), "--format", "json").stdout)
    by_store = {r["k0"]: r for r in rows}
    assert set(by_store) == {"S1", "S2"}  # store ids shown as they are
    assert re.fullmatch(r"\*\*\*\*002X #[0-9a-f]{8}", by_store["S1"]["k"])
    assert by_store["S2"]["spelled"] == "****.****.****.**00.2X"
    assert re.fullmatch(r"\+86\*\*\*\*000 #[0-9a-f]{8}", by_store["S1"]["l"][0])
    assert by_store["S1"]["m"]["v"] == by_store["S1"]["l"][0] and by_store["S1"]["m"]["e"] == "x"
    assert re.fullmatch(r"\*\*\*\* 3445 #[0-9a-f]{8}", by_store["S1"]["acct"])  # raw == key
    assert "****9000" in by_store["S1"]["where"]
    table = run_cli("query", str(custom), "--format", "csv").stdout
    assert "\"'=1+1\"" in table and not re.search(r"(^|,)=1\+1", table, re.M)
    shown = run_cli("query", str(custom), "--format", "json", "--show-pii")
    assert PRIVATE["id"] in shown.stdout


@pytest.mark.neo4j
def test_query_masks_a_key_turned_into_a_number_and_a_spelling_one_way(
        clean_graph, neo4j_env, tmp_path):
    """REPORT2 item 2: ``toInteger(p.key)`` is the key's digits as a number, masked like the
    key; the same ``raw`` is masked the same way whether it comes inside its relationship or
    through ``properties(r)``. (Pieces a query computes out of a key are not masked: the limit
    docs/security.md states.)"""
    custom = _loaded_with_query(tmp_path, "numbers.cypher",
        "MATCH (s:Store {store_id: 'S1'})-[r:OPENED_WITH]->(:IdDocument)\n"
        "MATCH (s)-[:HAS_PHONE]->(p:Phone) MATCH (s)-[:PAID_TO]->(a:PaymentAccount)\n"
        "RETURN toInteger(p.key) AS n, [toInteger(a.key)] AS l, r AS rel,\n"
        "       properties(r) AS props, size(p.key) AS small, 'acct ' + a.key AS labelled\n")
    result = run_cli("query", str(custom), "--format", "json")
    assert result.exit_code == 0, (result.output, result.exception)
    assert "8613800138000" not in result.stdout and PRIVATE["account"] not in result.stdout
    row = json.loads(result.stdout)[0]
    assert re.fullmatch(r"\+86\*\*\*\*000 #[0-9a-f]{8}", str(row["n"])), row["n"]
    assert re.fullmatch(r"\*\*\*\* 3445 #[0-9a-f]{8}", row["l"][0]), row["l"]
    assert row["rel"]["raw"] == row["props"]["raw"], (row["rel"], row["props"])
    assert row["small"] == len(PRIVATE["phone_e164"])  # a count stays a number
    # REPORT9 item 7: a key inside a longer string is masked as the key, with its tag
    assert re.fullmatch(r"acct \*\*\*\* 3445 #[0-9a-f]{8}", row["labelled"]), row["labelled"]
    shown = json.loads(run_cli("query", str(custom), "--format", "json", "--show-pii").stdout)
    assert shown[0]["n"] == 8613800138000


def test_a_server_error_quoting_a_value_is_scrubbed(clean_graph, neo4j_env, tmp_path):
    """REPORT2 item 19: Neo4j's message quotes the value a function failed on ("Text cannot be
    parsed to a Date "11010519491231002X""); graphaudit printed it whole, in every format."""
    data = privacy_world(tmp_path / "data")
    assert _load(data).exit_code == 0
    custom = tmp_path / "er.cypher"
    custom.write_text("MATCH (p:PaymentAccount) RETURN date(p.key) AS x\n", encoding="utf-8")
    for fmt in ("table", "json"):
        result = run_cli("query", str(custom), "--format", fmt)
        assert result.exit_code == 1 and "failed" in result.output, result.output
        assert PRIVATE["account"] not in result.output and "3445" in result.output


_TEXT = "0123456789１２ .-/_xX@ab.c-é😀\n"


@pytest.mark.parametrize("seed", range(3))
def test_the_arrow_forms_of_the_rules_match_the_scalar_ones(seed):
    """scrub_column, mask_column, display_identifiers and formula_cells do what their scalar
    twins do, value for value, on awkward text (full-width digits, separators, e-mails, dates,
    stored hashes, empty values)."""
    import random

    import pyarrow as pa

    from graphaudit.privacy import (
        PII_KINDS,
        display_identifier,
        display_identifiers,
        formula_cells,
        hash_value,
        neutralise,
        scrub,
        scrub_column,
    )

    rng = random.Random(seed)
    secret = b"s" * 32
    values = ["", "2022-03-01 2022/04/01", "call 138 0013 8000", "a.b@c.de x",
              hash_value("phone", "+8613800138000", secret), "=1+1", "\t", "-",
              "-1.5", "+3", "-2e-05", "-1+2", "-.5", "-1.5\n", "-１"]
    values += ["".join(rng.choice(_TEXT) for _ in range(rng.randrange(0, 30)))
               for _ in range(400)]
    column = pa.array(values, pa.string())
    assert scrub_column(column).to_pylist() == [scrub(v) for v in values]
    from markupsafe import escape

    from graphaudit.privacy import escape_column

    html = [v + "<a href='x'>&amp;\"</a>" for v in values]
    assert escape_column(pa.array(html)).to_pylist() == [str(escape(v)) for v in html]
    assert formula_cells(column).to_pylist() == [neutralise(v) != v for v in values]
    kinds = [rng.choice([*sorted(PII_KINDS), "address", "brand"]) for _ in values]
    texts = [rng.choice(["", v]) for v in values]
    for show_pii in (False, True):
        got = display_identifiers(pa.array(kinds), column, pa.array(texts), show_pii, secret)
        assert got.to_pylist() == [display_identifier(k, v, t, show_pii, secret)
                                   for k, v, t in zip(kinds, values, texts, strict=True)]


@pytest.mark.parametrize("seed", range(3))
def test_masked_e_mails_are_looked_past_only_where_scrub_keeps_them(seed):
    """may_scrub looks past e-mails already masked (``z***@qq.com``: scrub masks them into
    themselves), and still flags every value scrub changes: awkward neighbours of a masked
    address (a digit run it ends, a letter or a non-ASCII space before it, more stars, a
    second address) included."""
    import random

    import pyarrow as pa

    from graphaudit.privacy import may_scrub, scrub, scrub_column

    rng = random.Random(seed)
    pieces = ["z***@qq.com", "9***@163.com", "****@x.cn", ".***@a.b", "*****@x.cn", "a***@b",
              "@", "***@c.de", "\xa0", " ", ";", "x", "9", "12345678 ", "2022-03-01", "\u3000",
              "é", "#", "a.b@c.de", "+86****000", "**** 3445", "(", "\v", "-", "１２３"]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 8)))
              for _ in range(3_000)]
    column = pa.array(values, pa.string())
    flagged = may_scrub(column).to_pylist()
    assert all(flag for value, flag in zip(values, flagged, strict=True)
               if scrub(value) != value)
    assert scrub_column(column).to_pylist() == [scrub(v) for v in values]
    looked_past = ["same as z***@qq.com #7b9fe8d6 (+13.5)", "9***@163.com; x***@a.b"]
    assert may_scrub(pa.array(looked_past)).to_pylist() == [False, False]


@pytest.mark.parametrize("key", [b"k" * 32, b"0123456789abcdef" * 4, b"long key " * 20])
def test_pseudonyms_are_hmac_sha256_as_the_standard_library_computes_it(key):
    import hmac

    from graphaudit.privacy import hash_value, pseudonym

    for kind, value in (("phone", "+8613800138000"), ("email", "é@例え.jp"), ("payment", "")):
        expected = hmac.new(key, f"{kind}\x00{value}".encode(), "sha256").hexdigest()
        assert pseudonym(kind, value, key) == "#" + expected[:8]
        if value:
            assert hash_value(kind, value, key) == "#" + expected[:32]

# 7. Sharp edges of the command line


GRAPHAUDIT = str(Path(sys.executable).parent / "graphaudit")


@pytest.mark.parametrize("uri", ["bolt://neo4j:Sup3rSecret@127.0.0.1:9",
                                 "neo4j+s://ana:Sup3rSecret@db.example:7687",
                                 "bolt://127.0.0.1:9/?password=Sup3rSecret"])
def test_a_password_in_a_uri_is_never_echoed(uri):
    result = CliRunner().invoke(main, ["query", "riskiest-clusters", "--uri", uri])
    assert result.exit_code in (2, 3), result.output
    assert "Sup3rSecret" not in result.output
    no_traceback(result)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "https://db.example", "db:7687"])
def test_an_http_uri_is_a_clean_error_naming_the_schemes(uri):
    result = CliRunner().invoke(main, ["cluster", "--uri", uri, "--password", "x"])
    assert result.exit_code == 2, result.output
    assert "bolt://" in result.stderr and "neo4j+s://" in result.stderr
    assert "ModuleNotFoundError" not in result.output
    no_traceback(result)


ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m\u202e\x9b"


def test_control_characters_in_the_data_never_reach_the_terminal(data):
    import pty

    (data / "stores.csv").write_text(f"store_id,name,x{ESCAPES}y\nS1,a,b\nS2,c,d\n",
                                     encoding="utf-8")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([GRAPHAUDIT, "validate", str(data), "--rejects",
                             str(data.parent / "r.csv")], stdin=follower, stdout=follower,
                            stderr=follower, cwd=data.parent)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, shown
    text = shown.decode("utf-8", "replace")
    assert "ignoring unknown columns" in text  # the header was printed...
    assert "x\\x1b]0;owned\\x07\\x1b[2J\\x1b[31m\\u202e\\x9by" in text  # ...as visible escapes
    for raw in ("\x1b]", "\x07", "\x1b[2J", "\x1b[31m", "\u202e", "\x9b"):
        assert raw not in text, repr(raw)


def test_printable_keeps_the_progress_bar_and_line_ends():
    from graphaudit.cli import printable

    assert printable("\r\x1b[?25lreading 3/9") == "\r\x1b[?25lreading 3/9"
    assert printable("done\x1b[?25h\n") == "done\x1b[?25h\n"
    assert printable("a\tb\nc\rd\x00") == "a\tb\nc\\x0dd\\x00"


@pytest.mark.neo4j
def test_control_characters_from_the_graph_are_escaped_in_query_output(
        clean_graph, neo4j_env, tmp_path):
    clean_graph.run_write("CREATE (:Store {store_id: 'S1', name: $name})",
                          name=f"shop{ESCAPES}")
    for fmt in ("table", "csv", "json"):
        result = run_cypher(tmp_path, "MATCH (s:Store) RETURN s.name AS name", "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "shop" in result.stdout
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, repr(result.stdout)


def test_out_under_a_file_or_in_proc_is_a_clean_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    for out in (tmp_path / "afile" / "sub", tmp_path / "afile", Path("/proc/graphaudit-out")):
        result = CliRunner().invoke(main, ["analyze", str(ROOT / "sample_data"), "--out",
                                           str(out), "-q"])
        assert result.exit_code == 2, result.output
        assert "--out" in result.stderr and str(out) in result.stderr
        no_traceback(result)
    assert (tmp_path / "afile").read_text() == "x"


def test_a_command_that_fails_leaves_no_empty_out_folder_behind(tmp_path):
    """`analyze /nonexistent --out x1` (a usage error), an export that cannot be read (qk/semi)
    and --strict with rejects: the --out folder (and the parents) it made are removed when
    empty; one holding the rejects file, or one that existed before, stays."""
    semi = tmp_path / "semi"
    semi.mkdir()
    (semi / "stores.csv").write_text("store_id;name\nS1;One\n", encoding="utf-8")
    ml = tmp_path / "ml"
    ml.mkdir()
    (ml / "stores.csv").write_text("store_id,opened_on\nS1,01/02/2020\n", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    for data, out, code in ((tmp_path / "nonexistent", tmp_path / "x1", 2),
                            (semi, tmp_path / "x2" / "a" / "b", 1),
                            (tmp_path / "nonexistent", tmp_path / "mine", 2),
                            (ml, tmp_path / "x3", 1)):
        result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q",
                                           "--strict"])
        assert result.exit_code == code, result.output
        no_traceback(result)
    assert not (tmp_path / "x1").exists() and not (tmp_path / "x2").exists()
    assert (tmp_path / "mine").is_dir()
    assert [p.name for p in (tmp_path / "x3").iterdir()] == ["rejects.csv"]


def test_quiet_still_says_which_of_the_users_files_are_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "clusters.csv").write_text("my own,table\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(ROOT / "sample_data"), "--out", str(out),
                                       "-q"])
    assert result.exit_code == 0, result.output
    assert ("holds 1 file graphaudit has no record of writing: they are kept, except those "
            "named like its outputs (clusters.csv), which are overwritten") in result.stderr


def test_rejects_in_a_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    missing = tmp_path / "nonexist" / "dir"
    result = CliRunner().invoke(main, ["validate", str(ROOT / "sample_data"), "--rejects",
                                       str(missing / "r.csv")])
    assert result.exit_code == 2, result.output
    assert f"its folder {missing} does not exist" in result.stderr
    assert not missing.parent.exists()


def test_a_full_report_keeps_files_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    (out / "clusters").mkdir(parents=True)
    notes = out / "clusters" / "my-notes.html"
    notes.write_text("<p>mine</p>", encoding="utf-8")
    (out / "keep.html").write_text("mine too", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(ROOT / "sample_data"), "--out", str(out),
                                       "-q"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "clusters").glob("*.html"))) > 2
    assert notes.read_text(encoding="utf-8") == "<p>mine</p>"
    assert (out / "keep.html").read_text(encoding="utf-8") == "mine too"


def test_a_symlinked_clusters_folder_is_refused_and_its_target_untouched(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.html").write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "clusters").symlink_to(elsewhere)
    result = CliRunner().invoke(main, ["analyze", str(ROOT / "sample_data"), "--out", str(out),
                                       "-q"])
    assert result.exit_code == 1 and "symbolic link" in result.stderr, result.output
    no_traceback(result)
    assert [p.name for p in elsewhere.iterdir()] == ["precious.html"]
    assert (elsewhere / "precious.html").read_text(encoding="utf-8") == "precious"


def test_a_link_at_an_output_file_name_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("do not overwrite", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("index.html", "clusters.csv"):
        (out / name).symlink_to(victim)
    result = CliRunner().invoke(main, ["analyze", str(ROOT / "sample_data"), "--out", str(out),
                                       "-q"])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "do not overwrite"
    assert not (out / "index.html").is_symlink() and (out / "index.html").stat().st_size > 1000


# ---------------------------------------------------------------------------------------------
# 2 and 7. The local server: files 700/600, the initial password never on a command line, and a
# kill -9 in the middle of a load (a private server of this checkout, started for these tests)


def _read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def _command_lines() -> dict[int, str]:
    found = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                    found[int(entry.name)] = handle.read().replace(b"\0", b" ").decode(
                        "utf-8", "replace")
            except OSError:
                continue
    return found


class PrivateServer:
    """A copy of scripts/neo4j.sh in a folder of its own, with this checkout's jars and venv."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.state = home / ".neo4j"
        for part in ("scripts/neo4j.sh", "neo4j/pom.xml"):
            (home / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / part, home / part)
        self.state.mkdir()
        (self.state / "lib").symlink_to(ROOT / ".neo4j" / "lib")
        (home / ".venv").symlink_to(ROOT / ".venv")
        self.env = {**os.environ, "XDG_CONFIG_HOME": str(home / "xdg"),
                    "GRAPHAUDIT_NEO4J_HEAP_INIT": "256m", "GRAPHAUDIT_NEO4J_HEAP_MAX": "640m",
                    "GRAPHAUDIT_NEO4J_PAGECACHE": "64m", "GRAPHAUDIT_NEO4J_TX_MEMORY": "300m"}
        for key in ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
            self.env.pop(key, None)

    def script(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(self.home / "scripts" / "neo4j.sh"), command],
                              env=self.env, capture_output=True, text=True, timeout=600)

    @property
    def cli_env(self) -> dict[str, str]:
        return {**self.env, **_read_env(self.state / "connection.env")}

    def graphaudit(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen([GRAPHAUDIT, *args], env=self.cli_env, cwd=self.home,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                **kwargs)

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        from graphaudit.settings import resolve_settings
        from graphaudit.store import GraphStore

        conn = _read_env(self.state / "connection.env")
        settings = resolve_settings(uri=conn["NEO4J_URI"], password=conn["NEO4J_PASSWORD"],
                                    environ={})
        with GraphStore(settings) as store:
            return store.counts()


@pytest.fixture(scope="module")
def private_server(tmp_path_factory):
    if not (ROOT / ".neo4j" / "lib" / ".pom.sha256").exists():
        pytest.skip("needs the Neo4j jars of this checkout (`make neo4j-start` fetches them)")
    server = PrivateServer(tmp_path_factory.mktemp("private-neo4j"))
    seen: set[str] = set()  # command lines, not by pid: pids are reused on a busy machine
    done = threading.Event()

    def watch() -> None:  # what `ps` would show while the server is set up and started
        while not done.is_set():
            seen.update(_command_lines().values())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = server.script("start")
    done.set()
    watcher.join()
    server.command_lines = seen
    assert started.returncode == 0, started.stdout + started.stderr
    yield server
    server.script("stop")


@pytest.mark.neo4j
def test_the_initial_password_never_shows_in_ps(private_server):
    password = (private_server.state / "password").read_text().strip()
    lines = private_server.command_lines
    assert len(password) >= 20
    assert any("admin.args" in line for line in lines)  # the watcher saw neo4j-admin run...
    assert not [line for line in lines if password in line]  # ...without the password


def _loose_modes(state: Path) -> list[str]:
    loose = []
    for top, dirs, names in os.walk(state):  # links (lib/) are not followed
        for name in dirs:
            path = Path(top) / name
            if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) != 0o700:
                loose.append(f"{path} {oct(path.stat().st_mode)}")
        for name in names:
            path = Path(top) / name
            if not path.is_symlink() and stat.S_IMODE(path.stat().st_mode) != 0o600:
                loose.append(f"{path} {oct(path.stat().st_mode)}")
    return loose


@pytest.mark.neo4j
def test_the_local_servers_files_are_700_and_600(private_server):
    state = private_server.state
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert (state / "data" / "dbms" / "auth.ini").exists()
    assert _loose_modes(state) == []
    conf = _read_env(private_server.home / "xdg" / "graphaudit" / "connection.env")
    assert conf["NEO4J_PASSWORD"]
    user_file = private_server.home / "xdg" / "graphaudit" / "connection.env"
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o600


@pytest.mark.neo4j
def test_the_first_start_writes_both_class_archives_and_the_next_start_maps_the_servers(
        private_server):
    """The first start with a jar set writes the server's and the importer's class archives
    (class data sharing, scripts/neo4j.sh) before it returns, so that neither the stop inside
    the first `load --bulk` nor its importer spends the time writing them; they are 600 like
    the other files, the server runs without writing one at exit, and the next start maps
    it (the JVM names the archive it maps in its command line)."""
    state = private_server.state
    for name in ("server.jsa", "importer.jsa"):
        assert (state / name).stat().st_size > 0, name
    assert _loose_modes(state) == []
    pid = (state / "neo4j.pid").read_text().strip()
    assert not [arg for arg in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if arg.startswith(b"-XX:ArchiveClassesAtExit")]
    assert not (state / "cds-scratch").exists()
    stopped = private_server.script("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    started = private_server.script("start")
    assert started.returncode == 0, started.stdout + started.stderr
    pid = (state / "neo4j.pid").read_text().strip()
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert f"-XX:SharedArchiveFile={state / 'server.jsa'}".encode() in command
    assert "Error" not in (state / "logs" / "console.log").read_text(errors="replace")


@pytest.mark.neo4j
def test_a_store_made_world_readable_before_is_fixed_on_start(private_server):
    state = private_server.state
    for path in (state / "data", state / "data" / "dbms"):
        path.chmod(0o755)
    for path in (state / "data" / "dbms" / "auth.ini", state / "password"):
        path.chmod(0o644)
    assert _loose_modes(state)
    again = private_server.script("start")
    assert again.returncode == 0 and "already running" in again.stdout, again.stdout
    assert _loose_modes(state) == []


#: a string the transaction memory limit does not track, doubled 40 times (REPORT6 item 1)
HEAP_EATER = "RETURN size(reduce(s = '', x IN range(1, 40) | s + s + 'xxxxxxxxxxxxxxxx')) AS n"


@pytest.mark.neo4j
def test_a_read_only_query_that_runs_the_heap_out_fails_alone_and_the_server_stays_up(
        private_server, tmp_path):
    """REPORT6 item 1: one read-only query ran the heap out and the server, started with
    -XX:+ExitOnOutOfMemoryError, exited, cutting every other session off. Now the query fails
    at once with what happened and what to do (the driver does not run it again), and the
    same server answers the next query."""
    pid = (private_server.state / "neo4j.pid").read_text().strip()
    (tmp_path / "mem2.cypher").write_text(HEAP_EATER)
    (tmp_path / "one.cypher").write_text("RETURN 41 + 1 AS answer")
    query = private_server.graphaudit("query", str(tmp_path / "mem2.cypher"), "--timeout", "60")
    _, err = query.communicate(timeout=300)
    assert query.returncode == 1, err
    assert "out of memory" in err and "not run again" in err and "still up" in err, err
    assert "Traceback" not in err and "retried" not in err, err
    status = private_server.script("status")
    assert status.returncode == 0 and f"(pid {pid})" in status.stderr, status.stderr
    after = private_server.graphaudit("query", str(tmp_path / "one.cypher"))
    out, err = after.communicate(timeout=120)
    assert after.returncode == 0 and "42" in out, err


@pytest.mark.neo4j
def test_start_restarts_a_server_started_with_other_jvm_flags(private_server):
    """The JVM flags are a line of neo4j.conf, so that a server an older neo4j.sh started
    (with -XX:+ExitOnOutOfMemoryError) is restarted with today's flags, not reused."""
    conf = private_server.state / "conf" / "neo4j.conf"
    lines = conf.read_text().splitlines(keepends=True)
    jvm = [i for i, line in enumerate(lines) if line.startswith("# JVM: ")]
    assert len(jvm) == 1 and "-Xmx640m" in lines[jvm[0]]
    lines[jvm[0]] = lines[jvm[0]].rstrip("\n") + " -XX:+ExitOnOutOfMemoryError\n"
    conf.write_text("".join(lines))
    old = (private_server.state / "neo4j.pid").read_text().strip()
    started = private_server.script("start")
    assert started.returncode == 0 and "restarting" in started.stdout, started.stdout
    pid = (private_server.state / "neo4j.pid").read_text().strip()
    assert pid != old
    assert b"-XX:+ExitOnOutOfMemoryError" not in Path(f"/proc/{pid}/cmdline").read_bytes()


@pytest.mark.parametrize("console, said", [
    ("Terminating due to java.lang.OutOfMemoryError: Java heap space\n",
     "died of an OutOfMemoryError (\"Terminating due to java.lang.OutOfMemoryError: Java heap "
     "space\""),
    ("INFO  Started.\n", "exited without `stop`")])
def test_status_says_why_the_last_server_is_gone(tmp_path, console, said):
    """A server gone without `stop` leaves its pid file; status says so, and names the
    OutOfMemoryError its console log ends with (how a query took the server down)."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "neo4j.sh", tmp_path / "scripts" / "neo4j.sh")
    (tmp_path / ".neo4j" / "logs").mkdir(parents=True)
    (tmp_path / ".neo4j" / "logs" / "console.log").write_text(console)
    (tmp_path / ".neo4j" / "neo4j.pid").write_text("4194304\n")  # above any pid_max
    status = subprocess.run(["bash", str(tmp_path / "scripts" / "neo4j.sh"), "status"],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 1
    assert f"the last server (pid 4194304) {said}" in status.stderr, status.stderr
    (tmp_path / ".neo4j" / "neo4j.pid").unlink()  # stopped with `stop`: nothing to say
    status = subprocess.run(["bash", str(tmp_path / "scripts" / "neo4j.sh"), "status"],
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 1 and "last server" not in status.stderr, status.stderr


@pytest.mark.neo4j
def test_kill_9_of_neo4j_mid_load_then_a_rerun_gives_identical_counts(private_server, tmp_path):
    """The probe that held: a load cut by kill -9, the server restarted, the load run again."""
    world = tmp_path / "world"
    made = CliRunner().invoke(main, ["sample", "--stores", "20000", "--seed", "7", "--out",
                                     str(world), "-q"])
    assert made.exit_code == 0, made.output
    rejects = str(tmp_path / "rejects.csv")
    load = private_server.graphaudit("load", str(world), "--rejects", rejects, "-q")
    pid = int((private_server.state / "neo4j.pid").read_text())
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and load.poll() is None:
        nodes, _ = private_server.counts()
        if nodes["Store"] > 0:
            break
        time.sleep(0.2)
    assert load.poll() is None, "the load finished before the kill: give it more stores"
    os.kill(pid, 9)
    _, err = load.communicate(timeout=300)
    assert load.returncode in (1, 3), err
    assert "Traceback" not in err and "Neo4j" in err, err
    assert private_server.script("start").returncode == 0  # recovers the store
    partial = private_server.counts()
    rerun = private_server.graphaudit("load", str(world), "--rejects", rejects, "-q")
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    after_rerun = private_server.counts()
    reference = private_server.graphaudit("load", str(world), "--rejects", rejects,
                                          "--replace", "-q")
    _, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err
    clean = private_server.counts()
    assert after_rerun == clean
    assert partial != clean  # the kill did cut the load short
    assert clean[0]["Store"] == 20000


# ---------------------------------------------------------------------------------------------
# Probes that held: script payloads in the browser, parameter break-outs


#: 25 script payloads, each setting window.__pwned if it ever runs
SCRIPT_PAYLOADS = [
    '<img src=x onerror="window.__pwned=1">',
    "</script><script>window.__pwned=2</script>",
    '<a href="javascript:window.__pwned=3">href</a>',
    "<svg onload=window.__pwned=4>",
    '" onmouseover="window.__pwned=5" data-x="',
    "<!-- <script>window.__pwned=6</script> -->",
    "<style>@import 'javascript:window.__pwned=7'</style>",
    '<iframe srcdoc="<script>parent.__pwned=8</script>">',
    "<body onload=window.__pwned=9>",
    "'><script>window.__pwned=10</script>",
    "<details open ontoggle=window.__pwned=11>",
    "<input autofocus onfocus=window.__pwned=12>",
    "<video><source onerror=window.__pwned=13>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=14>",
    "{{constructor.constructor('window.__pwned=15')()}}",
    "${window.__pwned=16}",
    "\u2028\u2029</script><script>window.__pwned=17</script>",
    '<object data="javascript:window.__pwned=18">',
    '<embed src="javascript:window.__pwned=19">',
    "<marquee onstart=window.__pwned=20>",
    '<base href="javascript:window.__pwned=21//">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=22">',
    "<form><button formaction=javascript:window.__pwned=23>x",
    '"];window.__pwned=24;//',
    "</textarea><img src=x onerror=window.__pwned=25>",
]


def payload_world(folder: Path) -> Path:
    """Pairs of stores sharing an ID number (so each pair is a cluster with a page), with one
    payload in every free-text field of each store and of its records."""
    folder.mkdir(parents=True)
    tables: dict[str, list[dict]] = {"stores": [], "identities": [], "payments": [],
                                     "addresses": []}
    for i, payload in enumerate(SCRIPT_PAYLOADS):
        sid, pair = f"S{i:02d}", min(i // 2, 11)  # the last three stores share one
        tables["stores"].append({
            "store_id": sid, "name": payload, "brand": payload, "marketplace": payload,
            "opened_on": f"2022-01-{i % 28 + 1:02d}", "status": "suspended" if i % 5 == 0
            else "active", "suspended_on": "2022-06-01" if i % 5 == 0 else "",
            "status_reason": payload})
        tables["identities"].append({
            "store_id": sid, "id_number": f"1101051949123{pair:04d}{'X' if pair % 2 else '1'}",
            "holder_name": payload, "role": payload, "phone": f"1380013{8000 + i:04d}",
            "email": f"owner{i}@example.com"})
        tables["payments"].append({
            "store_id": sid, "account_number": f"62220202001122{pair:05d}", "account_type": "bank",
            "institution": payload, "holder_name": payload})
        tables["addresses"].append({
            "store_id": sid, "address": f"{payload} Room {i} Bldg 3 Nanshan Rd",
            "address_type": "registered", "city": payload})
    for name, rows in tables.items():
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def payload_report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("payloads")
    data = payload_world(base / "data")
    out = base / "out"
    result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_every_payload_reaches_the_report_as_escaped_text(payload_report):
    pages = sorted((payload_report / "clusters").glob("*.html"))
    with open(payload_report / "clusters.csv", encoding="utf-8") as handle:
        sizes = [int(row["cluster_size"]) for row in csv.DictReader(handle)]
    assert len(sizes) == len(SCRIPT_PAYLOADS) and min(sizes) >= 2  # every store on a page
    assert len(pages) >= 6
    text = "".join(p.read_text(encoding="utf-8") for p in [payload_report / "index.html",
                                                           *pages])
    for payload in SCRIPT_PAYLOADS:
        # a "<" of the data is always escaped (&lt; in HTML, \u003c in JSON): no tag, no end of
        # a script; the others are checked in the browser (quotes are plain text in JSON)
        if "<" in payload:
            assert payload not in text, payload


@pytest.mark.browser
def test_script_payloads_run_nothing_in_the_browser(payload_report):
    from test_report import PAGE_STATE, Chromium, assert_clean

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        pytest.skip("chromium is not installed (`make chromium` installs Debian's)")
    browser = Chromium(binary)
    try:
        pages = [payload_report / "index.html",
                 *sorted((payload_report / "clusters").glob("*.html"))]
        for page in pages:
            result = browser.open(page)
            assert_clean(result)  # no request but the page itself, no error, no violation
            browser.evaluate("document.querySelectorAll('input, button, details')"
                             ".forEach(e => { e.focus && e.focus(); e.click && e.click(); })")
            time.sleep(0.2)
            state = browser.evaluate(PAGE_STATE)
            assert state["pwned"] == "undefined", (page.name, state)
            assert state["foreign"] == [], (page.name, state)
    finally:
        browser.close()


BREAK_OUTS = [
    "S1' OR '1'='1",
    'S2"}) MATCH (n) DETACH DELETE n //',
    "S3\\' }) DETACH DELETE s //",
    "S4 $other",
    "S5`) RETURN 1 //",
    "S6\nMATCH (n) DETACH DELETE n",
    "S7'; MATCH (n) DETACH DELETE n; //",
]


@pytest.mark.neo4j
def test_parameter_break_outs_are_plain_values(clean_graph, neo4j_env, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with open(data / "stores.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["store_id", "name", "brand", "opened_on"])
        writer.writerows([sid, f"name of {sid}", sid, "2022-01-01"] for sid in BREAK_OUTS)
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(data), "--rejects", str(tmp_path / "r.csv"),
                                  "-q"])
    assert loaded.exit_code == 0, loaded.output
    before = clean_graph.counts()
    stored = {r["id"] for r in clean_graph.run_read("MATCH (s:Store) RETURN s.store_id AS id")}
    assert stored == {s.strip() for s in BREAK_OUTS}  # stored as written, one store each
    for sid in sorted(stored):
        result = runner.invoke(main, ["query", "store-timeline", "-p", f"store_id={sid}",
                                      "--format", "json"])
        assert result.exit_code == 0, (sid, result.output)
        rows = json.loads(result.stdout)
        assert {r["store_id"] for r in rows} == {sid}, (sid, rows)
        brand = runner.invoke(main, ["query", "brand-variants", "-p", f"brand={sid}",
                                     "--format", "json"])
        assert brand.exit_code == 0, (sid, brand.output)
    assert clean_graph.counts() == before  # nothing was deleted or added


def test_new_key_help_names_the_variable_that_is_read_and_a_wrong_one_is_refused(tmp_path,
                                                                                 monkeypatch):
    """New-user report item 3: new-key's help named GRAPHAUDIT_PSEUDONYM_KEY, which nothing
    read, so a case ran under the installation's key while the user believed it had its own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.delenv("GRAPHAUDIT_PSEUDONYM_KEY_FILE", raising=False)
    helped = run_cli("new-key", "--help").output
    assert "GRAPHAUDIT_PSEUDONYM_KEY_FILE" in helped
    assert "GRAPHAUDIT_PSEUDONYM_KEY)" not in helped and "GRAPHAUDIT_PSEUDONYM_KEY " not in helped
    case_key = tmp_path / "case.key"
    assert run_cli("new-key", str(case_key)).exit_code == 0
    data = privacy_world(tmp_path / "data")
    wrong = run_cli("analyze", str(data), "--out", str(tmp_path / "o1"), "-q",
                    env={"GRAPHAUDIT_PSEUDONYM_KEY": str(case_key)})
    assert wrong.exit_code == 2
    assert "GRAPHAUDIT_PSEUDONYM_KEY_FILE" in wrong.stderr and "Traceback" not in wrong.output
    right = run_cli("analyze", str(data), "--out", str(tmp_path / "o2"), "-q",
                    env={"GRAPHAUDIT_PSEUDONYM_KEY_FILE": str(case_key)})
    given = run_cli("analyze", str(data), "--out", str(tmp_path / "o3"), "-q",
                    "--pseudonym-key", str(case_key))
    assert right.exit_code == given.exit_code == 0
    assert ((tmp_path / "o2" / "evidence.csv").read_text()
            == (tmp_path / "o3" / "evidence.csv").read_text())


# ---------------------------------------------------------------------------------------------
# New-user report item 4: phone and ID spellings in free text; dates, times and amounts kept

_SEPARATORS = ["", " ", "  ", "   ", "-", ".", "/", "_", " - ", "--",
               # REPORT2 item 6: as autocorrect and Chinese input methods write them
               "\u2013", "\u00b7", "\uff0d", "\u30fb", " \u2014 ", "\u2212", "\u3000"]


#: eight digits that read as a date (yyyymmdd), which the scrub keeps when they stand alone
_COMPACT_DATE = r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"


@st.composite
def _phone_or_id_spelling(draw) -> tuple[str, str]:
    """A phone or ID number as people write it: (its digits, the spelling)."""
    kind = draw(st.sampled_from(["cn_mobile", "cn_id", "passport", "hk_phone", "passport7",
                                 "hk_card"]))
    if kind == "cn_mobile":
        digits = "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9,
                                                                          max_size=9))
        a, b, c = digits[:3], digits[3:7], digits[7:]
        sep = draw(st.sampled_from(_SEPARATORS))
        first = draw(st.sampled_from([a + sep, f"({a})", f"({a}) ", f"({a})" + sep]))
        prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "(+86) ", "0086 "]))
        return digits, prefix + first + b + sep + c
    if kind == "cn_id":
        # a real resident ID has its holder's birth date in the middle (REPORT3 item 17: a
        # random middle never read as a date, so the date rule's hole went unseen)
        born = draw(st.dates(min_value=datetime.date(1900, 1, 1),
                             max_value=datetime.date(2025, 12, 31))).strftime("%Y%m%d")
        digits = draw(st.text("0123456789", min_size=6, max_size=6)) + born
        digits += draw(st.text("0123456789", min_size=3, max_size=3))
        digits += draw(st.sampled_from("0123456789X"))
        sep = draw(st.sampled_from(_SEPARATORS))
        inner = draw(st.sampled_from(["", sep, "-", "/", "."]))
        middle = born[:4] + inner + born[4:6] + inner + born[6:]
        return digits, digits[:6] + sep + middle + sep + digits[14:]
    if kind == "passport7":  # China's EA1234567, Japan's TZ1234567 (REPORT9 item 7)
        digits = draw(st.text("0123456789", min_size=7, max_size=7))
        return digits, draw(st.sampled_from(["EA", "EB", "EK", "TZ", "TK", "MU", "ea"])) + digits
    if kind == "hk_card":  # A123456(3), AB987654(A): a Hong Kong identity card
        digits = draw(st.text("0123456789", min_size=6, max_size=6))
        check = draw(st.sampled_from("0123456789A"))
        letters = draw(st.sampled_from(["A", "G", "Z", "AB", "XA"]))
        brackets = draw(st.sampled_from(["()", "（）"]))
        return (digits + check.strip("A"),
                f"{letters}{digits}{brackets[0]}{check}{brackets[1]}")
    digits = draw(st.text("0123456789", min_size=8, max_size=8))
    if kind == "passport":
        return digits, draw(st.sampled_from("EGDSPKH")) + digits
    digits = draw(st.sampled_from("235679")) + digits[1:]
    return digits, digits


_WORDS = st.text(st.characters(codec="utf-8", exclude_categories=("Nd", "Cs"),
                               exclude_characters="@\uff20\ufe6b" + DIGIT_LOOKALIKES
                               + DIGIT_FORMS),
                 max_size=12)


@st.composite
def _spelt_with_lookalikes(draw) -> tuple[str, str]:
    """A phone or ID spelling with some digits written as Chinese numerals (一三八, 〇, the
    financial 壹叁捌) and some zeros as letter O: (its digits, the spelling)."""
    digits, written = draw(_phone_or_id_spelling())
    han = draw(st.sampled_from(["〇一二三四五六七八九", "零壹贰叁肆伍陆柒捌玖"]))
    chars = [han[int(c)] if c.isdigit() and draw(st.booleans()) else
             ("O" if c == "0" and draw(st.booleans()) else c) for c in written]
    return digits, "".join(chars)


def test_a_resident_id_written_in_its_groups_around_the_birth_date_is_scrubbed(tmp_path):
    """REPORT3 item 17: ``440305 19790102 3887``, the way resident IDs are written, kept its
    middle as a date, and the date stopped the run on both sides: the whole number reached the
    report, evidence and rejects in the clear (a store name, a status reason, an address)."""
    from graphaudit.privacy import scrub

    for written in ("440305 19790102 3887", "440305-19790102-388X", "440305 1979-01-02 3887",
                    "440305/1979/01/02/3887", "440305 19790102 388x"):
        scrubbed = scrub(f"身份证{written} 冒用")
        assert scrubbed == f"身份证****{written[-4:]} 冒用", (written, scrubbed)
    for kept in ("2022-03-01 2022-04-01 12", "20220301 20220401 0012", "S0000041 2022-03-01"):
        assert scrub(kept) == kept
    data = tmp_path / "idg"
    data.mkdir()
    (data / "stores.csv").write_text(
        "store_id,name,opened_on,status,suspended_on,status_reason\n"
        "S1,Shop 440305 19790102 3887,2022-01-01,suspended,2022-03-01,"
        "身份证 440305 19790102 388X 冒用\nS2,Shop two,2022-04-01,active,,\n", encoding="utf-8")
    (data / "identities.csv").write_text(
        "store_id,id_number\nS1,440305197901023887\nS2,440305197901023887\n", encoding="utf-8")
    (data / "addresses.csv").write_text(
        "store_id,address\nS1,\"Room 5, ID 440305-19790102-3887, Nanshan\"\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    for path in out.rglob("*"):
        if path.is_file():
            assert "19790102" not in path.read_text(encoding="utf-8"), path


def test_scrub_masks_full_width_e_mails_and_numbers_with_zero_width_spaces():
    """REPORT3 item 18: an e-mail typed with an input method's full-width at sign or dot
    (``li.na＠example．com``) and a phone with zero-width spaces between its groups passed the
    scrub whole."""
    import pyarrow as pa

    from graphaudit.privacy import scrub, scrub_column

    text = "mail li.na＠example．com or a@b。cn; call 138\u200b0013\u200b8000"
    scrubbed = scrub(text)
    assert scrubbed == "mail l***@example.com or ****@b.cn; call ****8000", scrubbed
    assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]
    assert scrub("x＠y and foo＠bar") == "x＠y and foo＠bar"  # no domain with a dot: no e-mail


def test_scrub_masks_numbers_written_with_unicode_dashes_and_dots():
    """REPORT2 item 6: an en dash, a middle dot or a full-width hyphen between the digit groups
    let a phone and a whole bank card through the scrub (and the cluster pages)."""
    import pyarrow as pa

    from graphaudit.privacy import scrub, scrub_column

    text = ("shop 138\u20130013\u20138000; owner 138\u00b70013\u00b78000; card "
            "6222\uff0d0212\uff0d3456\uff0d7890\uff0d123")
    scrubbed = scrub(text)
    assert scrubbed == "shop ****8000; owner ****8000; card ****0123", scrubbed
    assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]
    assert scrub("fined 1,234,567 yuan") == "fined 1,234,567 yuan"  # commas join no run


def test_scrub_masks_numbers_spelt_with_unicode_spaces_and_digit_forms():
    """REPORT6 item 5: a no-break or thin space between the digit groups (a web page's, Word's),
    a soft hyphen, or digits written superscript or circled let a phone and a card through the
    scrub, although the keys read every one of them as the number (docs/security.md promises
    that a number that links is masked as it)."""
    import pyarrow as pa

    from graphaudit.normalize import account_key, phone_key
    from graphaudit.privacy import scrub, scrub_column

    phones = ["138\u00a00013\u00a08000", "138\u20090013\u20098000", "138\u202f0013\u202f8000",
              "138\u00ad0013\u00ad8000", "\u2460\u2462\u2467\u24ea\u24ea\u2460\u2462\u2467"
              "\u24ea\u24ea\u24ea", "\u00b9\u00b3\u2078\u2070\u2070\u00b9\u00b3\u2078\u2070"
              "\u2070\u2070"]
    for written in phones:
        assert phone_key(written) == "+8613800138000", written  # it links as the number...
        text = f"owner {written} (from the web form)"
        scrubbed = scrub(text)
        assert scrubbed == "owner ****8000 (from the web form)", (text, scrubbed)  # ...so masked
        assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]
    card = "6222\u00a00202\u00a00011\u00a02233\u00a0445"
    assert account_key(card)[0] == "6222020200112233445"
    assert scrub(f"card {card}") == "card ****3445"
    kept = "room \u2460\u2461, floor \u00b3, 2022-03-01 10:30, fined 1,234,567 yuan"
    assert scrub(kept) == kept  # a few such digits are no number


def test_scrub_masks_digits_separated_by_bars_and_colons_and_keeps_times():
    """REPORT6 item 3's leftover: ``138|0013|8000`` and ``138:0013:8000`` (also full-width, as an
    IME types them) went through the scrub, although the phone keys read them as the number;
    times of day stay as they are, alone, in ranges and beside a number."""
    import pyarrow as pa

    from graphaudit.normalize import phone_key
    from graphaudit.privacy import scrub, scrub_column

    for written in ["138|0013|8000", "138:0013:8000", "138 | 0013 | 8000",
                    "138\uff5c0013\uff5c8000", "138\uff1a0013\uff1a8000"]:
        assert phone_key(written) == "+8613800138000", written
        text = f"owner {written} (from the web form)"
        assert scrub(text) == "owner ****8000 (from the web form)", text
        assert scrub_column(pa.array([text])).to_pylist() == [scrub(text)]
    assert scrub("card 6222|0202|0011|2233|445") == "card ****3445"
    kept = ["open 10:30, closed 10:30:15", "hours 09:00:00-18:00:00", "hours 09\uff1a00-18\uff1a00",
            "suspended 2022-03-01 10:30:15", "at 2026-11-30T19:08:01.5+00:00"]
    for text in kept:
        assert scrub(text) == text
        assert scrub_column(pa.array([text])).to_pylist() == [text]
    assert scrub("called 10:30 13800138000") == "called 10:30 ****8000"


@settings(deadline=None, max_examples=400)
@given(_phone_or_id_spelling(), _WORDS, _WORDS)
@example(("19870512", "E19870512"), "passport", "")  # a passport whose digits read as a date
def test_scrub_never_lets_a_phone_or_id_spelling_through(spelling, before, after):
    """At most the last four digits of a phone or ID survive, however it is spelt, in the
    scalar and the column form alike (the column form checks only what may_scrub flags)."""
    import pyarrow as pa

    from graphaudit.privacy import scrub, scrub_column

    digits, written = spelling
    # 8 digits alone that read as a date (a Hong Kong number 20001111) are kept: docs/security.md
    assume(written != digits or not re.fullmatch(_COMPACT_DATE, digits))
    text = f"{before} {written} {after}"
    scrubbed = scrub(text)
    left = re.sub(r"\D", "", scrubbed)
    assert len(left) <= 4 and digits.rstrip("X").endswith(left), (text, scrubbed)
    assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]


@settings(deadline=None, max_examples=300)
@given(_spelt_with_lookalikes(), _WORDS, _WORDS)
def test_scrub_masks_numbers_spelt_with_chinese_numerals_and_letter_o(spelling, before, after):
    """hfx item 2 (REPORT3 item 18's leftover): `tel 138OO138OOO` and `一三八〇〇一三八〇〇〇`
    passed the scrub whole where `13800138000` is masked. Scrub finds numbers on the same digit
    view the keys are taken on (normalize.digit_view): at most four digits, read so, survive,
    in the scalar and the column form alike."""
    import pyarrow as pa

    from graphaudit.normalize import digit_view
    from graphaudit.privacy import scrub, scrub_column

    digits, written = spelling
    # 8 digits that read as a date (a Hong Kong number 20001111) are kept: docs/security.md
    assume(not re.fullmatch(_COMPACT_DATE, digits))
    text = f"{before} {written} {after}"
    scrubbed = scrub(text)
    left = re.sub(r"\D", "", digit_view(scrubbed))
    assert len(left) <= 4 and digits.rstrip("X").endswith(left), (text, scrubbed)
    assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]


def test_passports_of_seven_digits_and_hong_kong_cards_are_scrubbed_not_store_ids():
    """REPORT9 item 7: `EA1234567` (China's passport) and `TZ1234567` (Japan's) passed the
    scrub, seven digits being no run, while `E12345678` was masked; the Hong Kong card
    `A123456(7)` did too. One letter and seven digits is a store id's shape (`S0000041`, the
    sample worlds' ids), which free text quotes: kept, as are longer words."""
    import pyarrow as pa

    from graphaudit.privacy import may_scrub, scrub, scrub_column

    reason = "same holder as passport EA1234567 and TZ1234567, card A123456(7)"
    assert scrub(reason) == "same holder as passport ****4567 and ****4567, card ****4567"
    assert scrub("E12345678") == "E****5678"  # eight digits together, as before
    for kept in ("S0000041 and S0000189", "ABC1234567", "EA12345", "order A1234567",
                 "A123456 (7 items)", "SKU EA12345 x2"):
        assert scrub(kept) == kept, kept
        assert scrub_column(pa.array([kept])).to_pylist() == [kept]
    assert may_scrub(pa.array([reason, "EA1234567", "A123456(3)", "S0000041"])).to_pylist() == [
        True, True, True, False]


def test_numbers_spelt_with_lookalikes_are_keyed_and_masked_as_their_digits():
    """Masking and matching agree: what scrub masks as a number, the keys read as that number
    (`138OO138OOO` was keyed +8613866138666 by the phone keypad's letters, a stranger's number,
    and Chinese numerals were no phone at all); words keep their letters."""
    from graphaudit.normalize import account_key, id_document_key, phone_key
    from graphaudit.privacy import scrub

    for phone in ("138OO138OOO", "一三八〇〇一三八〇〇〇", "壹叁捌零零壹叁捌零零零",
                  "幺三八 〇〇幺三 八〇〇〇"):
        assert phone_key(phone) == "+8613800138000", phone
        assert scrub(f"tel {phone} ok") == "tel ****8000 ok", phone
    assert id_document_key("1101O5 1949123100二X") == ("11010519491231002X", True)
    assert account_key("6222 O2O2 OO11 2200 001") == ("6222020200112200001", True)
    assert account_key("bob.o@x.cn", "wallet")[0] == "BOBO@XCN"  # a wallet is no number
    assert id_document_key("EO1234567", "PASSPORT")[0] == "EO1234567"  # a passport's letter
    assert phone_key("1-800-GO-FEDEX", "US") == phone_key("1-800-46-33339", "US")  # keypad
    kept = "ROOM 101, GOOD FOOD, 二〇二〇年一月五日 第一批"
    assert scrub(kept) == kept


_DAY = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2039, 12, 31))


@st.composite
def _kept_text(draw) -> str:
    """Text with dates, times and amounts in it, as reasons and notes hold them."""
    day = draw(_DAY)
    pieces = [
        day.strftime(draw(st.sampled_from(["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"]))),
        day.isoformat() + draw(st.sampled_from(
            ["T19:08:01.123456000+00:00", "T19:08:01Z", " 19:08", " 19:08:01", "T00:00:00+08:00",
             "T19:08:01.5"])),
        f"{draw(st.integers(0, 10**9 - 1)):,}",
        f"{draw(st.integers(0, 10**9 - 1)):,}.{draw(st.integers(0, 99)):02d}",
        f"{draw(st.integers(0, 10**9 - 1))}.{draw(st.integers(0, 99)):02d}",
        f"¥{draw(st.integers(0, 10**7 - 1))}",
        draw(_WORDS),
    ]
    chosen = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4))
    # joined by words or punctuation: numbers with only spaces between them read as one
    # (`100 100 100` is a phone's shape too; docs/security.md)
    return draw(st.sampled_from(["; ", ", ", " and ", ", paid ", " (on "])).join(chosen)


@settings(deadline=None, max_examples=400)
@given(_kept_text())
def test_scrub_keeps_ordinary_text_dates_times_and_amounts(text):
    from graphaudit.privacy import scrub

    assert scrub(text) == text


@st.composite
def _phone_ending_in_a_time(draw) -> tuple[str, str]:
    """A mainland mobile number whose last four digits read as a time of day, written so
    (``138 0013 20:00``, ``+86-138-0013-09：45``), maybe with seconds after it (``:15``): (its
    digits, the spelling, the seconds)."""
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    # prefixes mainland operators give out (phonenumbers finds 154 invalid, and so the keys)
    prefix3 = draw(st.sampled_from(["130", "135", "138", "139", "150", "152", "158", "186",
                                    "188", "189"]))
    digits = prefix3 + draw(st.text("0123456789", min_size=4, max_size=4)) + \
        f"{hour:02d}{minute:02d}"
    sep = draw(st.sampled_from([s for s in _SEPARATORS if s] + ["|", ":", " | "]))
    colon = draw(st.sampled_from([":", "\uff1a"]))
    first = draw(st.sampled_from([digits[:3] + sep, f"({digits[:3]})", f"({digits[:3]}) "]))
    last = draw(st.sampled_from([sep, " ", "-"]))
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "+86-", "(+86) ", "0086 "]))
    seconds = draw(st.sampled_from(["", f"{colon}{draw(st.integers(0, 59)):02d}"]))
    return digits, (prefix + first + digits[3:7] + last + f"{hour:02d}" + colon
                    + f"{minute:02d}"), seconds


@settings(deadline=None, max_examples=300)
@given(_phone_ending_in_a_time(), _WORDS, st.sampled_from(["", " now", ", open 09:30-21:00",
                                                            "; 20:00-22:00", "\u3002"]))
@example(("13800132000", "138 0013 20:00", ""), "call", "")
@example(("13800132000", "+86 138 0013 20:00", ""), "call", " now")
@example(("13800130930", "138|0013|09:30", ""), "", ", open 09:30-21:00")
@example(("13800132000", "138 0013 20:00", ":15"), "call", "")
def test_scrub_masks_a_phone_whose_last_groups_read_as_a_time(spelling, before, after):
    """``138 0013 20:00`` (and ``+86 138 0013 20:00``) went through the scrub whole, or with 0013
    and 2000 both shown: the time of day it ends in was kept, and the digits before it were too
    few for a run, or a run of their own. The phone keys read it as the number: at most its
    last four digits survive, in the scalar and the column form alike, and the times beside it
    stay."""
    import pyarrow as pa

    from graphaudit.normalize import is_phone_number, phone_key
    from graphaudit.privacy import scrub, scrub_column

    digits, number, seconds = spelling
    assert is_phone_number(number) and phone_key(number).endswith(digits), number
    text = f"{before} {number}{seconds}{after}"
    scrubbed = scrub(text)
    assert scrubbed.endswith(after), (text, scrubbed)
    left = re.sub(r"\D", "", scrubbed[:len(scrubbed) - len(after)])
    # at most four digits shown: the number's last, or (masked as one run with its seconds,
    # ``130:0000:00:00:01``) the run's
    shown = (digits, digits + re.sub(r"\D", "", seconds))
    assert len(left) <= 4 and any(tail.endswith(left) for tail in shown), (text, scrubbed)
    assert scrub_column(pa.array([text])).to_pylist() == [scrubbed]


@st.composite
def _text_with_times_of_day(draw) -> str:
    """Times of day as notes write them: alone, in ranges, after a date, a word or a small
    number (``room 101 20:00``)."""
    def clock() -> str:
        colon = draw(st.sampled_from([":", "\uff1a"]))
        return (f"{draw(st.integers(0, 23)):02d}{colon}{draw(st.integers(0, 59)):02d}"
                + (f":{draw(st.integers(0, 59)):02d}" if draw(st.booleans()) else ""))

    pieces = [f"opened {clock()}", f"{clock()}-{clock()}", f"{clock()} - {clock()}",
              f"{draw(_DAY).isoformat()} {clock()}", f"room {draw(st.integers(0, 9999))} {clock()}",
              f"{draw(_WORDS)} {clock()}", f"{clock()}\u81f3{clock()}"]
    chosen = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=3))
    return draw(st.sampled_from(["; ", ", ", " and "])).join(chosen)


@settings(deadline=None, max_examples=300)
@given(_text_with_times_of_day())
@example("opened 09:30")
@example("20:00-22:00")
@example("room 101 20:00; 2022-03-01 20:00")
@example("hours 09:00:00-18:00:00")
def test_scrub_keeps_times_of_day(text):
    """A time of day that ends no phone number is kept, as before."""
    import pyarrow as pa

    from graphaudit.privacy import scrub, scrub_column

    assert scrub(text) == text
    assert scrub_column(pa.array([text])).to_pylist() == [text]


def test_the_reported_spellings_and_a_one_letter_e_mail_are_masked_in_the_report(tmp_path):
    """The new user's inj3 (a copy of its store row): the cluster page showed
    `(138)0013-8000`, `138  0013  8000`, E12345678 and 61234567 in clear; a one-letter e-mail
    was shown whole by its mask."""
    from graphaudit.privacy import mask

    assert mask("email", "a@qq.com") == "****@qq.com"
    assert mask("email", "ab@qq.com") == "a***@qq.com"
    data = privacy_world(tmp_path / "data")
    stores = (data / "stores.csv").read_text(encoding="utf-8").splitlines()
    header = stores[0].split(",")
    row = dict(zip(header, stores[1].split(","), strict=True))
    row.update(name="Shop (138)0013-8000", status="suspended", suspended_on="2023-05-01",
               status_reason="owner phone 138  0013  8000 passport E12345678 HK 61234567")
    stores[1] = ",".join(row[c] for c in header)
    (data / "stores.csv").write_text("\n".join(stores) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("analyze", str(data), "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    texts = _texts(out)
    assert any("owner phone ****8000" in t for t in texts.values())
    for path, text in texts.items():
        for raw in ("0013-8000", "0013  8000", "12345678", "61234567", "(138)"):
            assert raw not in text, (path, raw)
