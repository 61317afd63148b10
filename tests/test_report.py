"""The HTML report: escaping, masking, folding, self-containment, and real headless Chromium.

Unit tests read the written files. Browser tests (``-m browser``) open them in Debian's
``chromium``, driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: no
websocket library needed), with the network blocked; they record every request, console message,
exception and CSP violation of the page.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import html
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphaudit.cli import main
from graphaudit.errors import DataError
from graphaudit.privacy import scrub
from graphaudit.report import build_cluster_graph, page_name, write_report
from graphaudit.report.graph import (
    FOLD_NODES,
    FOLD_STORES,
    MAX_NODES,
    IdentNode,
    StoreNode,
    graph_options,
)
from graphaudit.report.text import json_for_script, shorten

ROOT = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------------------------------------
# Test data


PAYLOADS = {
    "img": '<img src=x onerror="window.__pwned=1">',
    "script": "</script><script>window.__pwned=2</script>",
    "href": '<a href="javascript:window.__pwned=3">href</a>',
    "svg": "<svg onload=window.__pwned=4>",
    "attr": '" onmouseover="window.__pwned=5" data-x="',
    "comment": "<!-- <script>window.__pwned=6</script> -->",
    "style": "<style>body{display:none}</style>",
}
#: raw personal data of the hostile world: none may appear in any output without --show-pii
RAW_PII = [
    "11010519491231002X", "110105194912310021", "440301199001011234", "44030119900101123",
    "6222020200112233445", "6222 0202 0011 2233 445", "4111111111111111",
    "6212260200001234567", "6212-2602-0000-1234-567",
    "13800138000", "+8613800138000", "13900139000", "+8613900139000",
    "boss@evil-corp.example", "zhang.wei@example.com",
]


def write_csv(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def hostile_world(folder: Path) -> Path:
    """Stores of one operator and a ban evader, with script payloads in every free-text field."""
    p = PAYLOADS
    write_csv(folder / "stores.csv", [
        {"store_id": "S1", "name": p["img"], "brand": "mpow", "marketplace": p["svg"],
         "opened_on": "2021-01-04", "status": "suspended", "suspended_on": "2022-03-01",
         "status_reason": p["script"] + " same owner as 110105194912310021, "
                                        "contact zhang.wei@example.com"},
        {"store_id": "S2", "name": p["script"], "brand": "x" + p["img"] + "mpow",
         "marketplace": "tmall", "opened_on": "2022-05-01", "status": "active",
         "suspended_on": "", "status_reason": p["comment"]},
        {"store_id": "S3", "name": p["href"], "brand": p["style"], "marketplace": "jd",
         "opened_on": "2022-05-03", "status": "active", "suspended_on": "",
         "status_reason": ""},
        {"store_id": "S4", "name": p["attr"], "brand": "mpow pro", "marketplace": "jd",
         "opened_on": "2022-05-04", "status": "closed", "suspended_on": "",
         "status_reason": p["attr"]},
        {"store_id": "S5", "name": "Plain", "brand": "solo", "marketplace": "jd",
         "opened_on": "2020-02-01", "status": "active", "suspended_on": "",
         "status_reason": ""},
        {"store_id": "S6", "name": p["svg"], "brand": p["comment"], "marketplace": "jd",
         "opened_on": "2023-02-01", "status": "active", "suspended_on": "",
         "status_reason": ""},
        {"store_id": "S7", "name": p["style"], "brand": "other", "marketplace": "jd",
         "opened_on": "2023-02-02", "status": "active", "suspended_on": "",
         "status_reason": ""},
    ])
    write_csv(folder / "identities.csv", [
        {"store_id": "S1", "id_number": "11010519491231002X", "holder_name": p["img"],
         "role": p["script"], "phone": "13800138000", "email": "boss@evil-corp.example"},
        {"store_id": "S2", "id_number": "11010519491231002X", "holder_name": p["attr"],
         "role": "", "phone": "13900139000", "email": ""},
        {"store_id": "S3", "id_number": "440301199001011234", "holder_name": p["href"],
         "role": "", "phone": "13900139000", "email": ""},
    ])
    write_csv(folder / "payments.csv", [
        {"store_id": "S3", "account_number": "6222 0202 0011 2233 445", "account_type": "bank",
         "institution": p["img"], "holder_name": p["svg"]},
        {"store_id": "S4", "account_number": "6222020200112233445", "account_type": "bank",
         "institution": "", "holder_name": p["script"]},
        {"store_id": "S5", "account_number": "4111111111111111", "account_type": "card",
         "institution": "", "holder_name": ""},
        {"store_id": "S6", "account_number": "6212260200001234567", "account_type": "bank",
         "institution": "", "holder_name": p["img"]},
        {"store_id": "S7", "account_number": "6212-2602-0000-1234-567", "account_type": "bank",
         "institution": "", "holder_name": p["href"]},
    ])
    write_csv(folder / "addresses.csv", [
        {"store_id": "S1", "address": p["script"] + " Room 5 Bldg 3 Nanshan Rd 12",
         "address_type": "registered", "city": p["img"]},
        {"store_id": "S2", "address": p["script"] + " Room 5 Bldg 3 Nanshan Rd 12",
         "address_type": "registered", "city": "Shenzhen"},
        {"store_id": "S4", "address": p["img"] + " 9 Warehouse St", "address_type": "return",
         "city": ""},
        {"store_id": "S5", "address": p["img"] + " 9 Warehouse St", "address_type": "return",
         "city": ""},
    ])
    return folder


def demo_world(folder: Path) -> Path:
    """A readable operator for the screenshot: a banned brand, its evasion, a bridge."""
    stores, identities, payments, addresses = [], [], [], []
    names = ["Mpow Official", "Mpow Audio", "Mpow Outlet", "Mpow Direct", "XMpow Store",
             "Mpaw Sound", "MpowPro Shop", "Soundcore Deals", "Audio Hub", "Tech Corner"]
    for k, name in enumerate(names, start=1):
        sid = f"S{k:04d}"
        banned = k <= 3
        stores.append({
            "store_id": sid, "name": name,
            "brand": ["mpow", "mpow", "mpow", "mpow", "xmpow", "mpaw", "mpowpro", "soundcore",
                      "audiohub", "techcorner"][k - 1],
            "marketplace": "tmall" if k % 2 else "jd",
            "opened_on": f"202{1 if banned else 2}-0{1 + k % 8}-1{k % 9}",
            "status": "suspended" if banned else "active",
            "suspended_on": "2022-01-15" if banned else "",
            "status_reason": "counterfeit listings" if banned else "",
        })
    people = ["11010519491231002X", "440301199001011234", "440301198001011238",
              "320102198501011233"]
    for k in range(1, 11):
        sid = f"S{k:04d}"
        person = people[0] if k <= 3 else people[1] if k <= 7 else people[2]
        identities.append({"store_id": sid, "id_number": person,
                           "holder_name": ["张伟", "李娜", "王芳"][min((k - 1) // 4, 2)],
                           "role": "legal representative", "phone": f"1380013{8000 + k % 3}",
                           "email": ""})
    for k in (1, 2, 5):
        payments.append({"store_id": f"S{k:04d}", "account_number": "6222020200112233445",
                         "account_type": "bank", "institution": "ICBC", "holder_name": "张伟"})
    for k in (6, 7, 8, 9):
        payments.append({"store_id": f"S{k:04d}", "account_number": "6222020200998877665",
                         "account_type": "bank", "institution": "CMB", "holder_name": "李娜"})
    for k in (1, 4, 10):
        addresses.append({"store_id": f"S{k:04d}", "address": "Room 1203, Bldg 5, Keji Rd 18",
                          "address_type": "registered", "city": "Shenzhen"})
    write_csv(folder / "stores.csv", stores)
    write_csv(folder / "identities.csv", identities)
    write_csv(folder / "payments.csv", payments)
    write_csv(folder / "addresses.csv", addresses)
    return folder


def big_world(folder: Path, groups: int = 30, per_group: int = 16) -> Path:
    """One operator of 352 stores (above SUMMARY_STORES) in a chain of legal entities: each
    group of stores opened with its own ID document and account, and every group shares a
    phone, an e-mail and a warehouse with the next; the rest of the chain stays apart."""
    stores, identities, payments, addresses = [], [], [], []
    for g in range(groups):
        after = (g + 1) % groups
        for k in range(per_group):
            sid, odd = f"S{g:02d}{k:02d}", k % 2
            banned = g == 3 and k == 0
            stores.append({"store_id": sid, "name": f"Shop {g}-{k}", "brand": f"brand{g}",
                           "marketplace": "jd", "opened_on": f"2022-{1 + g % 12:02d}-{1 + k:02d}",
                           "status": "suspended" if banned else "active",
                           "suspended_on": "2022-06-01" if banned else "", "status_reason": ""})
            identities.append({"store_id": sid, "id_number": f"4403011990{g:02d}01{1000 + g}",
                               "holder_name": "张伟", "role": "",
                               "phone": f"1380013{after if odd else g:04d}",
                               "email": f"op{after if odd else g}@example.com"})
            payments.append({"store_id": sid, "account_number": f"62220202{g:03d}12233445",
                             "account_type": "bank", "institution": "", "holder_name": "张伟"})
            addresses.append({"store_id": sid, "address": f"Room {after if odd else g} Bldg 5 "
                              "Keji Rd 18", "address_type": "warehouse", "city": "Shenzhen"})
    write_csv(folder / "stores.csv", stores)
    write_csv(folder / "identities.csv", identities)
    write_csv(folder / "payments.csv", payments)
    write_csv(folder / "addresses.csv", addresses)
    return folder


def analyze_to(data: Path, out: Path, *args: str) -> Path:
    result = CliRunner().invoke(main, ["analyze", str(data), "--out", str(out), "-q", *args])
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return out


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    return analyze_to(hostile_world(base / "data"), base / "out")


@pytest.fixture(scope="module")
def hostile_report_pii(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile-pii")
    return analyze_to(hostile_world(base / "data"), base / "out", "--show-pii")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("demo")
    return analyze_to(demo_world(base / "data"), base / "out")


def read_summary(out: Path) -> list[dict]:
    with open(out / "cluster_summary.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cluster_pages(out: Path) -> list[Path]:
    return sorted((out / "clusters").glob("*.html"))


def all_outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self._text = []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def parse(path: Path) -> Tags:
    tags = Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


def without_library(text: str) -> str:
    """A page or asset without its packed scripts (random base64 may spell anything): the data
    blocks of a standalone page, the custom properties of assets/code.css."""
    text = re.sub(r'(<script type="application/octet-stream" id="pack-[a-z-]+">)[^<]*', r"\1",
                  text)
    return re.sub(r'(--ga-[a-z-]+:")[^"]*', r"\1", text)


# ---------------------------------------------------------------------------------------------
# Unit tests: text helpers


def test_json_for_script_round_trips_and_cannot_close_the_block():
    value = {"s": PAYLOADS["script"], "c": PAYLOADS["comment"], "u": "\u2028 & > 中文"}
    text = json_for_script(value)
    assert not set(text) & set("<>&\u2028\u2029")
    assert json.loads(text) == value


def test_scrub_masks_numbers_and_emails_but_keeps_dates():
    text = "owner 110105194912310021 paid from 6222 0202 0011 2233 445, mail boss@evil.example"
    scrubbed = scrub(text)
    assert "110105194912310021" not in scrubbed and "2233 445" not in scrubbed
    assert "boss@" not in scrubbed and "b***@evil.example" in scrubbed
    assert scrub("suspended 2022-03-01, reopened 2022-05-01") == \
        "suspended 2022-03-01, reopened 2022-05-01"
    assert scrub(text, show_pii=True) == text


def test_page_names_never_leave_the_folder():
    assert page_name("C4e2b3d8a9d0b") == "C4e2b3d8a9d0b.html"
    for hostile in ("../../etc/passwd", "a/b", "<script>", "", "C" * 200, "x\x00y"):
        name = page_name(hostile)
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.html", name), name


# ---------------------------------------------------------------------------------------------
# Unit tests: the graph and folding


def _star(stores: int, extra_idents: int = 0) -> tuple[list, list, list]:
    """``stores`` stores on one account, plus ``extra_idents`` phones each shared by two."""
    s = [StoreNode(f"s{k}", f"S{k}", f"S{k}", "suspended" if k == 0 else "active")
         for k in range(stores)]
    i = [IdentNode("i0", "payment", "**** 1111", "acct", store_count=stores)]
    links = [(k, 0, "") for k in range(stores)]
    for e in range(extra_idents):
        i.append(IdentNode(f"i{e + 1}", "phone", f"+86***{e}", "phone", store_count=2))
        links += [(e % stores, e + 1, ""), ((e + 1) % stores, e + 1, "")]
    return s, i, links


def test_small_cluster_is_drawn_whole_with_pyvis_node_and_edge_format():
    s, i, links = _star(3, extra_idents=2)
    graph = build_cluster_graph(s, i, links)
    assert not graph.folded and graph.notes == []
    assert {n["id"] for n in graph.nodes} == {"s0", "s1", "s2", "i0", "i1", "i2"}
    assert len(graph.edges) == len(links)
    node = next(n for n in graph.nodes if n["id"] == "s0")
    assert node["group"] == "store-suspended" and node["shape"] == "dot"
    assert {"from", "to", "label", "title"} <= set(graph.edges[0])


def test_big_cluster_folds_identifiers_that_tie_nothing_new_and_says_so():
    s, i, links = _star(200, extra_idents=200)  # 401 nodes > FOLD_NODES
    graph = build_cluster_graph(s, i, links)
    drawn = {n["id"] for n in graph.nodes}
    assert len(s) + len(i) > FOLD_NODES
    assert {store.node_id for store in s} <= drawn  # every store stays
    assert "i0" in drawn  # the account ties all of them
    assert graph.folded_idents == 200 and not any(f"i{e}" in drawn for e in range(1, 201))
    assert "200 of 201 identifiers are folded" in graph.notes[0]


def test_folding_keeps_bridges():
    s, i, links = _star(200, extra_idents=150)
    # store 200 hangs off the cluster by one phone only: that phone is a bridge
    s.append(StoreNode("s200", "S200", "S200", "active"))
    i.append(IdentNode("ibridge", "phone", "+86***b", "bridge", bridge=True, store_count=2))
    links += [(5, len(i) - 1, ""), (200, len(i) - 1, "")]
    graph = build_cluster_graph(s, i, links)
    drawn = {n["id"] for n in graph.nodes}
    assert {"s200", "ibridge"} <= drawn
    assert next(n for n in graph.nodes if n["id"] == "ibridge")["group"] == "phone-bridge"


def test_huge_cluster_folds_unflagged_leaf_stores_into_counted_nodes():
    stores = FOLD_STORES + 300
    s, i, links = _star(stores)
    graph = build_cluster_graph(s, i, links)
    folded = [n for n in graph.nodes if n.get("group") == "folded"]
    assert len(folded) == 1 and folded[0]["label"] == f"+{stores - 1:,} stores"
    assert "s0" in {n["id"] for n in graph.nodes}  # the suspended store is never folded
    assert graph.folded_stores == stores - 1
    assert len(graph.nodes) <= MAX_NODES and "folded" in graph.notes[-1]


def test_a_graph_that_cannot_be_folded_is_cut_at_max_nodes():
    n = MAX_NODES + 500  # a chain: every store has two identifiers, none foldable
    s = [StoreNode(f"s{k}", f"S{k}", f"S{k}", "active") for k in range(n)]
    i = [IdentNode(f"i{k}", "phone", f"p{k}", "", store_count=2) for k in range(n - 1)]
    links = [(k, k, "") for k in range(n - 1)] + [(k + 1, k, "") for k in range(n - 1)]
    graph = build_cluster_graph(s, i, links)
    assert len(graph.nodes) <= MAX_NODES and graph.omitted_stores > 0
    assert "not drawn" in graph.notes[-1]
    drawn = {node["id"] for node in graph.nodes}
    assert all(e["from"] in drawn and e["to"] in drawn for e in graph.edges)


def test_graph_options_are_fixed_and_stop_physics():
    options = graph_options(50, 60)
    assert options["layout"]["randomSeed"] == graph_options(5000, 9000)["layout"]["randomSeed"]
    assert options["physics"]["stabilization"]["enabled"] is True
    assert options["interaction"]["navigationButtons"] is False
    assert graph_options(2000, 4000)["physics"]["stabilization"]["iterations"] <= 1000


def test_summary_groups_by_entity_without_the_one_account_and_pools_the_smallest():
    """The summary view's groups: the stores opened with one ID document (else paid to one
    account), never chained, and no identifier that ties most of the cluster (it would make one
    group of everything); past SUMMARY_GROUPS the smallest groups and the stores that share
    neither are pooled into one."""
    from graphaudit.report.graph import SUMMARY_GROUPS, store_groups

    entities = SUMMARY_GROUPS + 20  # entities of 3 stores each (ID documents 1..), then 7 loners
    n = entities * 3 + 7
    kinds = ["payment"] + ["id_document"] * entities
    links = [(s, 0, "") for s in range(n)]  # one account pays for every store
    links += [(s, 1 + s // 3, "") for s in range(entities * 3)]
    group, pooled = store_groups(n, kinds, links)
    assert pooled == SUMMARY_GROUPS - 1 and max(group) == pooled
    assert group[:6] == [0, 0, 0, 1, 1, 1]  # biggest first, then by first store
    assert group.count(pooled) == 21 * 3 + 7  # 21 entities past the cap, and the loners
    few, none = store_groups(6, kinds[:3], links[:6] + [(0, 1, ""), (1, 1, ""), (2, 2, "")])
    assert (few, none) == ([0, 0, 1, 1, 1, 1], 1)  # the account ties all 6: it groups nothing
    # an account paying stores of two entities ties their groups; it does not merge them
    chain = [(0, 0, ""), (1, 0, ""), (2, 0, ""), (3, 1, ""), (4, 1, ""), (5, 1, ""),
             (2, 2, ""), (3, 2, "")]
    assert store_groups(8, ["id_document", "id_document", "payment"], chain) == (
        [0, 0, 0, 1, 1, 1, 2, 2], 2)


# ---------------------------------------------------------------------------------------------
# Unit tests: the written report


def test_analyze_writes_index_and_one_page_per_cluster(demo_report):
    summary = read_summary(demo_report)
    pages = cluster_pages(demo_report)
    assert len(pages) == len(summary) >= 1
    assert {p.name for p in pages} == {page_name(r["cluster_id"]) for r in summary}
    index = (demo_report / "index.html").read_text(encoding="utf-8")
    for row in summary:
        assert f'href="clusters/{page_name(row["cluster_id"])}"' in index
    page = pages[0].read_text(encoding="utf-8")
    for part in ('id="graph"', 'id="evidence"', 'id="risk-factors"', 'class="timeline"',
                 "MATCH (c:Cluster {cluster_id: $cluster_id})", 'id="stores"'):
        assert part in page


def test_pages_load_nothing_and_allow_only_their_own_scripts(hostile_report):
    for path in [hostile_report / "index.html", *cluster_pages(hostile_report)]:
        text = path.read_text(encoding="utf-8")
        tags = parse(path)
        names = [tag for tag, _ in tags.tags]
        forbidden = {"img", "iframe", "frame", "object", "embed", "base", "form"}
        assert not forbidden & set(names), path.name
        for tag, attrs in tags.tags:
            assert "src" not in attrs, (path.name, tag, attrs)
            assert not any(name.startswith("on") for name in attrs), (path.name, tag, attrs)
            href = attrs.get("href")
            if tag == "link":  # only the report's own stylesheets, beside the pages
                assert attrs["rel"] == "stylesheet", attrs
                assert re.fullmatch(r"(\.\./)?assets/(report|code)\.css", href), href
            elif href is not None:
                assert re.fullmatch(r"(\.\./index|clusters/[A-Za-z0-9_-]+)\.html", href), href
        assert not re.search(r"https?:|//[a-z]|cdn|node_modules", without_library(text)), \
            path.name
        # The policy comes first and lists the hash of every script that runs.
        head = text[:text.index("<title>")]
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', head)
        assert policy, path.name
        policy = policy.group(1).replace("&#39;", "'")
        assert "default-src 'none'" in policy and "unsafe" not in policy
        assert "style-src 'self';" in policy  # the shared stylesheets; nothing else loads
        running = [body for attrs, body in tags.scripts if "type" not in attrs]
        assert len(running) == 1
        for body in running:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy
        data = [attrs for attrs, _ in tags.scripts if "type" in attrs]
        assert {a["type"] for a in data} <= {"application/json", "application/octet-stream"}


def test_every_payload_is_escaped_text(hostile_report):
    for path in [hostile_report / "index.html", *cluster_pages(hostile_report)]:
        text = path.read_text(encoding="utf-8")
        for payload in PAYLOADS.values():
            assert payload not in text, (path.name, payload)
        running = [body for attrs, body in parse(path).scripts if "type" not in attrs]
        assert not any("__pwned" in body for body in running)
    page = next(p for p in cluster_pages(hostile_report)
                if "S1" in p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in text  # the table cell
    data = json.loads(dict((a.get("id"), b) for a, b in parse(page).scripts)["graph-data"])
    titles = " ".join(label + title for _, label, title, *_ in data["nodes"])
    assert PAYLOADS["img"] in titles  # as text in the tooltip data: vis renders it as text
    for script in ("cluster.js", "index.js", "loader.js"):
        assert "innerHTML" not in (ROOT / "graphaudit/report" / script).read_text()


def test_no_raw_personal_data_in_any_output(hostile_report):
    for path in all_outputs(hostile_report):
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".html", ".css"):
            text = without_library(text)
        for raw in RAW_PII:
            assert raw not in text, (path.name, raw)
    page = next(p for p in cluster_pages(hostile_report)
                if "S1" in p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    assert "****002X #" in text  # masked to its last 4 characters, with its pseudonym
    tags = re.findall(r"\*{4}002X (#[0-9a-f]{8})", text)
    assert tags and len(set(tags)) == 1  # the same tag wherever it appears


def test_show_pii_shows_identifiers(hostile_report_pii):
    text = "".join(p.read_text(encoding="utf-8") for p in cluster_pages(hostile_report_pii))
    assert "11010519491231002X" in text and "6222020200112233445" in text
    index = (hostile_report_pii / "index.html").read_text(encoding="utf-8")
    assert "shown unmasked (--show-pii)" in index


def test_only_cluster_writes_one_page_and_unknown_cluster_fails(hostile_report, tmp_path):
    import pandas as pd

    from graphaudit.analysis import analyze
    from graphaudit.identifiers import extract_identifiers
    from graphaudit.records import RejectsWriter, read_records

    rejects = RejectsWriter(None)
    records = read_records(hostile_report.parent / "data", rejects)
    result = analyze(records.stores, extract_identifiers(records, rejects).links)
    multi = result.clusters[result.clusters["size"] >= 2]["cluster_id"].tolist()
    assert len(multi) >= 2
    paths = write_report(result, tmp_path / "one", only_cluster=multi[0], source="test")
    assert [p.name for p in paths] == ["index.html", "report.css", "code.css",
                                       page_name(multi[0])]
    index = paths[0].read_text(encoding="utf-8")
    assert f'href="clusters/{page_name(multi[0])}"' in index
    assert f'href="clusters/{page_name(multi[1])}"' not in index
    with pytest.raises(DataError):
        write_report(result, tmp_path / "none", only_cluster="C-does-not-exist")
    # A full report into the same folder never removes a page it did not write (issue 13:
    # only files recorded in a manifest go, see graphaudit.outputs).
    stranger = tmp_path / "one" / "clusters" / "Cstale.html"
    stranger.write_text("old", encoding="utf-8")
    write_report(result, tmp_path / "one", rejects=0)
    assert stranger.read_text(encoding="utf-8") == "old"
    assert len(cluster_pages(tmp_path / "one")) == len(multi) + 1
    assert isinstance(result.clusters, pd.DataFrame)


def test_hostile_cluster_ids_from_a_previous_run_are_escaped_and_cannot_name_paths(tmp_path):
    data = hostile_world(tmp_path / "data")
    previous = tmp_path / "previous.csv"
    write_csv(previous, [
        {"store_id": "S1", "cluster_id": "../../" + PAYLOADS["img"]},
        {"store_id": "S2", "cluster_id": "../../" + PAYLOADS["img"]},
        {"store_id": "S6", "cluster_id": "x' }) DETACH DELETE n //"},
        {"store_id": "S7", "cluster_id": "x' }) DETACH DELETE n //"},
    ])
    out = analyze_to(data, tmp_path / "out", "--previous", str(previous))
    assert {p.parent for p in all_outputs(out)} <= {out, out / "clusters", out / "assets"}
    pages = cluster_pages(out)
    assert len(pages) == 2 and all(p.name.startswith("c-") for p in pages)
    text = "".join(p.read_text(encoding="utf-8") for p in [out / "index.html", *pages])
    assert PAYLOADS["img"] not in text
    assert "../../&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in text
    assert ':param cluster_id => "x\' }) DETACH DELETE n //"' in html.unescape(text)


def test_forked_children_write_the_same_pages(tmp_path):
    """Pages shared with forked children (graphaudit.parallel), each preparing its own pages'
    data, are the pages and the index written in one process, every page reported to the
    progress once."""
    import threading

    from graphaudit.parallel import Parallel, fork_is_safe

    # forking is unsafe while another thread lives: one left by an earlier test (test_store.py's
    # proxy did) would fail this test for a reason of its own, so it is named here
    assert threading.active_count() == 1, f"threads left by earlier tests: {threading.enumerate()}"
    result = analysis_of(hostile_world(tmp_path / "data"))
    started = []

    class Counted(Parallel):
        """A budget that records whether each job it starts runs in a forked child."""

        def start(self, *args, **kwargs):
            job = super().start(*args, **kwargs)
            started.append(job.forked)
            return job

    counts = {}
    for name, parallel in (("single", Counted()), ("forked", Counted(4, min_rows=0))):
        done = []
        write_report(result, tmp_path / name, source="test", made_at="T", parallel=parallel,
                     progress=done.append, pages_per_chunk=1)
        counts[name] = sum(done)
    assert fork_is_safe() and started and all(started), started  # children did write pages

    def pages(out: Path) -> dict[str, str]:
        return {p.name: re.sub(r"\d{4}-\d\d-\d\dT[\d:+]+", "T", p.read_text("utf-8"))
                for p in cluster_pages(out)}

    assert len(pages(tmp_path / "single")) >= 2
    assert pages(tmp_path / "forked") == pages(tmp_path / "single")
    # each process prepares the data of its own pages; the index, from the parent's, is whole
    index = {name: re.sub(r"\d{4}-\d\d-\d\dT[\d:+]+", "T",
                          (tmp_path / name / "index.html").read_text("utf-8"))
             for name in ("single", "forked")}
    assert index["forked"] == index["single"]
    assert counts["forked"] == counts["single"] == len(pages(tmp_path / "single"))


def test_a_link_at_a_page_name_is_replaced_and_its_target_left_alone(tmp_path):
    """A page is written as a file of its own: a symbolic link at its name (left by someone
    else, or pointing out of the folder) is replaced, never written through."""
    result = analysis_of(hostile_world(tmp_path / "data"))
    first = write_report(result, tmp_path / "out", source="test", made_at="T")
    page = next(p for p in first if p.parent.name == "clusters")
    expected = page.read_bytes()
    outside = tmp_path / "outside.html"
    outside.write_text("not a page", encoding="utf-8")
    page.unlink()
    page.symlink_to(outside)
    write_report(result, tmp_path / "out", source="test", made_at="T")
    assert not page.is_symlink()
    assert outside.read_text(encoding="utf-8") == "not a page"
    assert re.sub(rb"at \S+ from", b"", page.read_bytes()) == \
        re.sub(rb"at \S+ from", b"", expected)


def analysis_of(data: Path):
    from graphaudit.analysis import analyze
    from graphaudit.identifiers import extract_identifiers
    from graphaudit.records import RejectsWriter, read_records

    rejects = RejectsWriter(None)
    records = read_records(data, rejects)
    return analyze(records.stores, extract_identifiers(records, rejects).links)


def unpacked(css: str, name: str) -> str:
    """A script packed in assets/code.css, as the page's loader unpacks it."""
    import gzip

    packed = re.search(rf'--ga-{name}:"([^"]*)"', css).group(1)
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


def policy_of(text: str) -> str:
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    return html.unescape(found.group(1))


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def test_a_full_report_shares_one_copy_of_its_code(demo_report):
    """Issue 15: vis-network and our scripts and styles are written once, in assets/; a page
    refers to them and its policy runs exactly those scripts: the loader in the page and the
    two scripts packed in code.css, each by the hash of its text."""
    import pyvis

    from graphaudit.report.assets import load_assets

    assets = demo_report / "assets"
    assert sorted(p.name for p in assets.iterdir()) == ["code.css", "report.css"]
    code = (assets / "code.css").read_text(encoding="utf-8")
    vis = (Path(pyvis.__file__).parent / "templates/lib/vis-9.1.2/vis-network.min.js").read_text(
        encoding="utf-8")
    assert unpacked(code, "vis-network") == vis
    assert "window.graphauditCluster" in unpacked(code, "cluster")
    assert {p.name: p.read_text(encoding="utf-8") for p in assets.iterdir()} == \
        load_assets().files()
    for page in cluster_pages(demo_report):
        text = page.read_text(encoding="utf-8")
        assert len(text.encode()) < 40_000 and "vis.Network" not in text, page.name
        [(_, loader)] = [(a, b) for a, b in parse(page).scripts if "type" not in a]
        script_src = re.search(r"script-src ([^;]+);", policy_of(text)).group(1).split()
        assert sorted(script_src) == sorted([
            sha256_source(loader), sha256_source(vis), sha256_source(unpacked(code, "cluster"))])


def test_summary_says_what_and_when(hostile_report):
    index = (hostile_report / "index.html").read_text(encoding="utf-8")
    data_dir = hostile_report.parent / "data"
    for part in ("Stores</dt><dd>7</dd>", "Hubs</dt>", "Rejected rows</dt>",
                 f"Made from</dt><dd>{data_dir}", "Analysed at</dt>"):
        assert part in index


# ---------------------------------------------------------------------------------------------
# Headless Chromium over the DevTools protocol (pipe transport)


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>", "--remote-debugging-pipe",
]
READY = ("(() => { const s = document.getElementById('graph-status') || "
         "document.getElementById('page-status'); const state = s && s.getAttribute('data-state');"
         " return ['ready', 'error', 'unsupported'].includes(state) ? state : ''; })()")


class Chromium:
    """One headless Chromium; :meth:`open` loads a page and returns what happened on it."""

    def __init__(self, binary: str, width: int = 1400, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="graphaudit-chromium-")
        to_browser, self._send = os.pipe()
        self._receive, from_browser = os.pipe()

        def child_fds() -> None:  # the DevTools pipe is fds 3 (commands) and 4 (replies)
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=child_fds)
        os.close(to_browser)
        os.close(from_browser)
        self._id = 0
        self._replies: dict[int, dict] = {}
        self._cond = threading.Condition()
        self.events: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=height, deviceScaleFactor=1, mobile=False)

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._receive, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._cond:
                        self._replies[message["id"]] = message
                        self._cond.notify_all()
                else:
                    self.events.put(message)

    def call(self, method: str, session: bool = False, timeout: float = 30, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._id not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"chromium did not answer {method}")
                self._cond.wait(left)
            reply = self._replies.pop(self._id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:500])
        return result["result"].get("value")

    def _drain(self) -> list[dict]:
        found = []
        while True:
            try:
                found.append(self.events.get_nowait())
            except queue.Empty:
                return found

    def open(self, path: Path, timeout: float = 30) -> dict:
        """Load ``path`` and wait until its script reports a final state."""
        self._drain()
        url = path.resolve().as_uri()
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline and not state:
            time.sleep(0.1)
            try:
                state = self.evaluate(READY) or ""
            except RuntimeError:
                state = ""
        time.sleep(0.3)  # let late console messages and violations arrive
        events = self._drain()
        return {
            "url": url,
            "state": state,
            "requests": [e["params"]["request"]["url"] for e in events
                         if e["method"] == "Network.requestWillBeSent"],
            "exceptions": [e["params"] for e in events if e["method"] == "Runtime.exceptionThrown"],
            "console": [e["params"] for e in events
                        if e["method"] == "Runtime.consoleAPICalled"
                        and e["params"]["type"] in ("error", "warning", "assert")],
            "log": [e["params"]["entry"] for e in events if e["method"] == "Log.entryAdded"
                    and e["params"]["entry"]["level"] in ("error", "warning")],
        }

    def hover(self, x: float, y: float) -> None:
        for dx in (-3, 0):
            self.call("Input.dispatchMouseEvent", session=True, type="mouseMoved", x=x + dx, y=y)
            time.sleep(0.2)

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y,
                      button="left", clickCount=1)
            time.sleep(0.05)

    def wait_until(self, expression: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(expression)
            time.sleep(0.1)

    def screenshot(self, path: Path, width: int = 1400, height: int = 1000) -> None:
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                  height=height, deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, RuntimeError, OSError):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._send)
        os.close(self._receive)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        pytest.skip("chromium is not installed (`make chromium` installs Debian's)")
    browser = Chromium(binary)
    yield browser
    browser.close()


def assert_clean(result: dict) -> None:
    """Loaded, drew, requested nothing but itself and its report's stylesheets, and logged no
    error or CSP violation."""
    assert result["state"] == "ready", result
    page = result["url"]
    report = page.rsplit("/", 2)[0] if "/clusters/" in page else page.rsplit("/", 1)[0]
    allowed = {page, f"{report}/assets/report.css", f"{report}/assets/code.css"}
    assert result["requests"][0] == page and set(result["requests"]) <= allowed, \
        result["requests"]
    assert result["exceptions"] == [], result["exceptions"]
    assert result["console"] == [], result["console"]
    assert result["log"] == [], result["log"]


CANVAS_DRAWN = """(() => {
  const canvas = document.querySelector('#graph canvas') || document.getElementById('risk-chart');
  if (!canvas || !canvas.width) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let k = 3; k < data.length; k += 4) { if (data[k] !== 0) painted += 1; }
  return painted;
})()"""
PAGE_STATE = """(() => {
  const s = document.getElementById('graph-status') || document.getElementById('page-status');
  return {pwned: typeof window.__pwned, violations: s.getAttribute('data-violations'),
          errors: s.getAttribute('data-errors'),
          foreign: Array.from(document.querySelectorAll('img, iframe, object, embed, link, svg'))
            .filter(e => !e.closest('.legend') && !e.matches('svg.timeline')
                    && !e.matches('head > link[rel=stylesheet][href$="assets/report.css"], '
                                  + 'head > link[rel=stylesheet][href="../assets/code.css"]'))
            .map(e => e.outerHTML.slice(0, 80)),
          scripts: document.scripts.length};
})()"""


@pytest.mark.browser
def test_cluster_pages_load_draw_and_log_nothing(chromium, demo_report):
    for page in cluster_pages(demo_report):
        result = chromium.open(page)
        assert_clean(result)
        assert chromium.evaluate(CANVAS_DRAWN) > 1000, page.name
        status = chromium.evaluate("document.getElementById('graph-status').textContent")
        assert status.startswith("Drawn:"), status
        assert chromium.evaluate(
            "window.graphaudit.network.physics.options.enabled") is False  # physics stopped


@pytest.mark.browser
def test_index_loads_sorts_filters_and_draws(chromium, demo_report):
    result = chromium.open(demo_report / "index.html")
    assert_clean(result)
    assert chromium.evaluate(CANVAS_DRAWN) > 100
    sizes = chromium.evaluate("""(() => {
      document.querySelector('th[data-key=size] button').click();
      return Array.from(document.querySelectorAll('#clusters tbody tr'))
        .map(r => Number(r.getAttribute('data-size')));
    })()""")
    assert sizes == sorted(sizes, reverse=True)
    shown = chromium.evaluate("""(() => {
      const input = document.getElementById('filter-text');
      input.value = 'no-such-cluster'; input.dispatchEvent(new Event('input'));
      return document.querySelectorAll('#clusters tbody tr:not([hidden])').length;
    })()""")
    assert shown == 0


@pytest.mark.browser
def test_hostile_data_runs_no_script(chromium, hostile_report):
    pages = [hostile_report / "index.html", *cluster_pages(hostile_report)]
    for page in pages:
        result = chromium.open(page)
        assert_clean(result)
        state = chromium.evaluate(PAGE_STATE)
        assert state["pwned"] == "undefined", (page.name, state)
        assert state["violations"] is None and state["errors"] is None, (page.name, state)
        assert state["foreign"] == [], (page.name, state)
        body = chromium.evaluate("document.body.innerText")
        if page.name != "index.html" and "Store S1" in page.read_text(encoding="utf-8"):
            assert PAYLOADS["img"] in body  # shown as text


@pytest.mark.browser
def test_the_neo4j_box_shows_a_constant_query_and_the_id_only_as_a_parameter(chromium,
                                                                             tmp_path):
    """Issue 13: the "reproduce in Neo4j" box escaped quotes but not newlines. As the browser
    shows it, the query is the same constant for every cluster, and an id with quotes and
    newlines is one JSON string on the :param line, read back exactly."""
    from graphaudit.report.context import cluster_query

    hostile = 'x"\n:param evil => 1\nMATCH (n) DETACH DELETE n // \' }) \u2028'
    data = hostile_world(tmp_path / "data")
    previous = tmp_path / "previous.csv"
    write_csv(previous, [{"store_id": "S1", "cluster_id": hostile},
                         {"store_id": "S2", "cluster_id": hostile}])
    out = analyze_to(data, tmp_path / "out", "--previous", str(previous))
    page = next(p for p in cluster_pages(out) if "Store S1" in p.read_text(encoding="utf-8"))
    assert_clean(chromium.open(page))
    shown = chromium.evaluate("document.querySelector('pre.cypher').innerText")
    first, rest = shown.split("\n", 1)
    assert rest.strip() == cluster_query()
    assert json.loads(first.removeprefix(":param cluster_id => ")) == hostile


@pytest.mark.browser
def test_tooltips_show_payloads_as_text(chromium, hostile_report):
    page = next(p for p in cluster_pages(hostile_report)
                if "S1" in p.read_text(encoding="utf-8"))
    assert_clean(chromium.open(page))
    chromium.evaluate("document.getElementById('graph').scrollIntoView()")
    node = chromium.evaluate("""(() => {
      const network = window.graphaudit.network;
      const data = JSON.parse(document.getElementById('graph-data').textContent);
      const store = data.nodes.find(n => n[2].startsWith('Store S1'));
      const dom = network.canvasToDOM(network.getPositions([store[0]])[store[0]]);
      const box = document.querySelector('#graph canvas').getBoundingClientRect();
      return {x: box.left + dom.x, y: box.top + dom.y};
    })()""")
    chromium.hover(node["x"], node["y"])
    tooltip = chromium.evaluate("""(() => {
      const t = document.querySelector('div.vis-tooltip');
      return t && {text: t.innerText, visible: t.style.visibility,
                   tags: Array.from(t.querySelectorAll('*')).map(e => e.tagName)};
    })()""")
    assert tooltip and tooltip["visible"] == "visible", tooltip
    assert PAYLOADS["img"] in tooltip["text"]  # shown as text...
    assert set(tooltip["tags"]) <= {"BR"}  # ...and never parsed into elements
    assert "****002X #" in tooltip["text"] and "11010519491231002X" not in tooltip["text"]
    assert chromium.evaluate("typeof window.__pwned") == "undefined"


@pytest.mark.browser
def test_screenshot_of_a_cluster_page(chromium, demo_report, tmp_path):
    """Writes docs/report-screenshot.png when REPORT_SCREENSHOT=1."""
    summary = read_summary(demo_report)
    page = demo_report / "clusters" / page_name(summary[0]["cluster_id"])
    assert_clean(chromium.open(page))
    shot = tmp_path / "cluster.png"
    chromium.screenshot(shot, height=int(os.environ.get("REPORT_SCREENSHOT_HEIGHT", "1000")))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("REPORT_SCREENSHOT"):
        shutil.copyfile(shot, ROOT / "docs" / "report-screenshot.png")


@pytest.fixture(scope="module")
def big_report(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("big")
    return analyze_to(big_world(base / "data"), base / "out")


@pytest.mark.browser
def test_a_changed_asset_is_refused_and_runs_nothing(chromium, demo_report, tmp_path):
    """Each packed script runs only if its text is the one the page's policy names: a script
    changed in assets/code.css is refused by the browser (a CSP violation), and a page
    whose assets folder is missing says so; the tables stay."""
    import gzip

    report = tmp_path / "report"
    shutil.copytree(demo_report, report)
    page = cluster_pages(report)[0]
    original = (report / "assets" / "code.css").read_text(encoding="utf-8")
    for name in ("vis-network", "cluster"):
        changed = "window.__pwned = 9;\n" + unpacked(original, name)
        packed = base64.b64encode(gzip.compress(changed.encode())).decode()
        (report / "assets" / "code.css").write_text(
            re.sub(rf'(--ga-{name}:")[^"]*', lambda m, p=packed: m.group(1) + p, original),
            encoding="utf-8")
        chromium.open(page)
        state = chromium.evaluate(PAGE_STATE)
        status = chromium.evaluate("document.getElementById('graph-status').textContent")
        assert state["pwned"] == "undefined", (name, state)
        assert int(state["violations"] or 0) >= 1 and state["errors"], (name, state)
        assert "was refused" in status and "tables below are complete" in status, status
        assert chromium.evaluate("document.querySelectorAll('#stores tbody tr').length") >= 2
    shutil.rmtree(report / "assets")
    chromium.open(page)
    status = chromium.evaluate("document.getElementById('graph-status').textContent")
    assert "assets folder (../assets/) was not found" in status and "--standalone" in status


@pytest.mark.browser
def test_a_standalone_page_works_alone(chromium, tmp_path):
    """`report --cluster ID --standalone` writes one page to hand over: copied alone into an
    empty folder, it draws, requests nothing but itself and runs only its own scripts."""
    result = analysis_of(demo_world(tmp_path / "data"))
    cluster_id = result.clusters.sort_values("size")["cluster_id"].iloc[-1]
    paths = write_report(result, tmp_path / "out", only_cluster=cluster_id, standalone=True)
    assert [p.name for p in paths] == ["index.html", page_name(cluster_id)]
    assert not (tmp_path / "out" / "assets").exists()
    alone = tmp_path / "handed-over" / paths[1].name
    alone.parent.mkdir()
    shutil.copyfile(paths[1], alone)
    text = alone.read_text(encoding="utf-8")
    assert "<link" not in text and "'self'" not in policy_of(text)
    result = chromium.open(alone)
    assert_clean(result)
    assert result["requests"] == [result["url"]]
    assert chromium.evaluate(CANVAS_DRAWN) > 1000
    assert chromium.evaluate("getComputedStyle(document.querySelector('header.top'))"
                             ".borderBottomStyle") == "solid"  # its inline styles apply


@pytest.mark.browser
def test_a_big_cluster_opens_on_its_summary_and_a_click_shows_a_group(chromium, big_report):
    """A cluster of more than SUMMARY_STORES stores opens on one node per group of stores
    (an ID document or account and the stores opened with it) and the links between groups;
    clicking a group draws its stores; *All stores* draws every one."""
    from graphaudit.report.graph import SUMMARY_STORES

    summary = read_summary(big_report)
    big = max(summary, key=lambda r: int(r["size"]))
    size = int(big["size"])
    assert size > SUMMARY_STORES
    assert_clean(chromium.open(big_report / "clusters" / page_name(big["cluster_id"])))
    status = chromium.evaluate("document.getElementById('graph-status').textContent")
    assert status.startswith("Summary: ") and "0 shown as stores" in status, status
    shown = chromium.evaluate("window.graphaudit.view().nodes.map(n => n.id)")
    groups = [n for n in shown if re.fullmatch(r"g\d+", n)]
    assert len(groups) >= 10 and not [n for n in shown if n.startswith("s")]
    chromium.evaluate("document.getElementById('graph').scrollIntoView()")
    where = chromium.evaluate("""(() => {
      const network = window.graphaudit.network;
      const dom = network.canvasToDOM(network.getPositions(['g0'])['g0']);
      const box = document.querySelector('#graph canvas').getBoundingClientRect();
      return {x: box.left + dom.x, y: box.top + dom.y};
    })()""")
    chromium.click(where["x"], where["y"])
    chromium.wait_until("document.getElementById('graph-status').getAttribute('data-state')"
                        " === 'ready'")
    shown = chromium.evaluate("window.graphaudit.view().nodes.map(n => n.id)")
    stores = [n for n in shown if n.startswith("s")]
    assert "g0" not in shown and len(stores) == size // len(groups), (len(stores), shown[:5])
    assert [n for n in shown if n.startswith("i")]  # the identifiers of the stores shown
    assert "1 shown as stores" in chromium.evaluate(
        "document.getElementById('graph-status').textContent")
    chromium.evaluate("document.getElementById('graph-summary').click()")
    chromium.wait_until("document.getElementById('graph-status').getAttribute('data-state')"
                        " === 'ready'")
    shown = chromium.evaluate("window.graphaudit.view().nodes.map(n => n.id)")
    assert len([n for n in shown if n.startswith("s")]) == size
    assert chromium.evaluate(CANVAS_DRAWN) > 1000


# ---------------------------------------------------------------------------------------------
# The same report from Neo4j


@pytest.mark.neo4j
def test_report_from_neo4j_matches_analyze(clean_graph, neo4j_env, tmp_path):
    data = hostile_world(tmp_path / "data")
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(data), "--rejects", str(tmp_path / "r.csv"), "-q"])
    assert loaded.exit_code == 0, loaded.stderr
    clustered = runner.invoke(main, ["cluster", "-q"])
    assert clustered.exit_code == 0, clustered.stderr
    out = tmp_path / "neo"
    reported = runner.invoke(main, ["report", "--out", str(out), "-q"])
    assert reported.exit_code == 0, (reported.stderr, reported.exception)
    files = analyze_to(data, tmp_path / "files")
    assert {p.name for p in cluster_pages(out)} == {p.name for p in cluster_pages(files)}
    assert "Made from</dt><dd>Neo4j at bolt://" in (out / "index.html").read_text("utf-8")
    for path in all_outputs(out):
        text = path.read_text(encoding="utf-8")
        text = without_library(text) if path.suffix in (".html", ".css") else text
        assert not [raw for raw in RAW_PII if raw in text], path.name
    first = sorted(cluster_pages(out))[0].stem
    one = runner.invoke(main, ["report", "--out", str(tmp_path / "one"), "--cluster", first,
                               "-q"])
    assert one.exit_code == 0, one.stderr
    assert [p.stem for p in cluster_pages(tmp_path / "one")] == [first]
    missing = runner.invoke(main, ["report", "--out", str(tmp_path / "x"), "--cluster", "nope"])
    assert missing.exit_code == 1 and "unknown cluster id" in missing.stderr
    alone = runner.invoke(main, ["report", "--out", str(tmp_path / "alone"), "--cluster", first,
                                 "--standalone", "-q"])
    assert alone.exit_code == 0, alone.stderr
    page = tmp_path / "alone" / "clusters" / f"{first}.html"
    assert f"Standalone page: {page}" in alone.stdout
    assert not (tmp_path / "alone" / "assets").exists()
    assert 'id="pack-vis-network"' in page.read_text(encoding="utf-8")


def test_report_and_explain_refuse_clusters_other_than_those_cluster_stored(
        clean_graph, neo4j_env, tmp_path):
    """REPORT2 item 5: `cluster --hubs` split S4 from S5; a report (or an explanation) without
    the hub decision would put them together again, contradicting MEMBER_OF: refused."""
    from conftest import write_warehouse_world

    data = write_warehouse_world(tmp_path / "data", stores=5)
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("kind,identifier,action,note\nid_document,440301198001015678,hub,agency\n",
                    encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(data), "-q"]).exit_code == 0
    clustered = runner.invoke(main, ["cluster", "--hubs", str(hubs), "-q"])
    assert clustered.exit_code == 0, clustered.stderr
    refused = runner.invoke(main, ["report", "--out", str(tmp_path / "r1"), "-q"])
    assert refused.exit_code == 1 and "--hubs" in refused.stderr
    assert "stored in Neo4j" in refused.stderr and not (tmp_path / "r1").exists()
    explained = runner.invoke(main, ["explain", "S4", "S5"])
    assert explained.exit_code == 1 and "--hubs" in explained.stderr
    reported = runner.invoke(main, ["report", "--out", str(tmp_path / "r2"), "--hubs",
                                    str(hubs), "-q"])
    assert reported.exit_code == 0, reported.stderr
    with open(tmp_path / "r2" / "clusters.csv", encoding="utf-8", newline="") as f:
        clusters = {row["store_id"]: row["cluster_id"] for row in csv.DictReader(f)}
    assert clusters["S4"] != clusters["S5"]
    explained = runner.invoke(main, ["explain", "S4", "S5", "--hubs", str(hubs)])
    assert explained.exit_code == 0 and "are not linked" in explained.stdout


def test_standalone_needs_one_cluster(tmp_path):
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "x"), "--standalone"])
    assert result.exit_code == 2 and "--standalone writes one cluster's page" in result.stderr


# ---------------------------------------------------------------------------------------------
# Whole-column output helpers: the same bytes and masks as the one-value-at-a-time code


def test_write_csv_matches_to_csv(tmp_path):
    import pandas as pd

    from graphaudit.report.tables import write_csv

    frame = pd.DataFrame({
        "text": ["plain", 'say "hi"', "a,b", "line\nbreak", "cr\ronly", "", None, "é 😀",
                 " lead", "tab\tx"],
        "count": list(range(-5, 5)),
        "flag": [True, False] * 5,
        "mixed": ["x", None, "y", "z,", "", "q", "r", "s", "t", "u"],
    }).astype({"text": "str", "mixed": object})
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    write_csv(frame, ours)
    frame.to_csv(theirs, index=False)
    assert ours.read_bytes() == theirs.read_bytes()
    floats = frame.assign(ratio=[x / 3 for x in range(10)])  # left to pandas itself
    write_csv(floats, ours)
    floats.to_csv(theirs, index=False)
    assert ours.read_bytes() == theirs.read_bytes()


def test_mask_column_matches_mask():
    import random

    import pyarrow as pa

    from graphaudit.privacy import PII_KINDS, mask, mask_column

    rng = random.Random(3)
    kinds, values = [], []
    for kind in [*sorted(PII_KINDS), "address", "brand"]:
        for length in range(0, 24):
            for _ in range(12):
                kinds.append(kind)
                values.append("".join(rng.choice("0123456789+@.-xX é😀a\n")
                                      for _ in range(length)))
    got = mask_column(pa.array(kinds), pa.array(values)).to_pylist()
    assert got == [mask(k, v) for k, v in zip(kinds, values, strict=True)]


def test_display_identifiers_matches_display_identifier():
    import pandas as pd
    import pyarrow as pa

    from graphaudit.analysis import display_identifier
    from graphaudit.privacy import display_identifiers

    kind = pd.Series(["address", "address", "brand", "payment", "email", "phone", "id_document",
                      "other"], dtype="str")
    key = pd.Series(["1 main st", "2 main st", "acme", "6222020200112233445", "a@b.cn",
                     "+8613800138000", "44030119900101123X", "k"], dtype="str")
    text = ["1 Main St.", "", "", "", "", "", "", ""]
    for show_pii in (False, True):
        got = display_identifiers(kind, key, pa.array(text), show_pii).to_pylist()
        assert got == [display_identifier(k, v, t, show_pii)
                       for k, v, t in zip(kind, key, text, strict=True)]


def test_index_rows_are_the_escaped_template_row_by_row():
    """The index rows, put together a column at a time, are what formatting each row with
    markupsafe's escape gives, also for markup, quotes, long and non-ASCII brands and PII."""
    from types import SimpleNamespace

    import pandas as pd
    import pyarrow as pa
    from markupsafe import escape

    from graphaudit.privacy import scrub
    from graphaudit.report.context import risk_class
    from graphaudit.report.index import index_rows, member_ids, row_template

    brands = ['<script>alert("x")</script>;b&b', "o'neil;" + "long" * 30, "日本;ｍｐｏｗ",
              "call 13800138000;mail li.na@example.com", None, "x" * 2_100, "plain;brand"]
    multi = pd.DataFrame({
        "cluster_id": [f"C{i}<&>" for i in range(len(brands))], "size": range(2, 9),
        "risk_score": [0, 39, 40, 69, 70, 100, 5], "suspended": [1] * 7,
        "linked_to_suspended": range(7), "reopened_after_ban": [0] * 7, "brands": brands,
        "risk_factors": ["size +1", "", 'a "b"', None, "x", "y", "z"],
        "change": ["new", "", "merged", "split", "", "grown", "same"],
    })
    pages = {"C0<&>": "C0.html", "C3<&>": "C3'.html"}
    members = pd.DataFrame([(f"S{k}{'<b>' if k % 3 else ''}", c) for i, c in enumerate(
        multi["cluster_id"]) for k in range(i + 2)] + [("S-lone", "C-lone")],
        columns=["store_id", "cluster_id"]).sample(frac=1, random_state=1)
    world = SimpleNamespace(text=lambda value, limit=200: shorten(scrub(value), limit),
                            analysis=SimpleNamespace(stores=members))
    expected = []
    for row in multi.to_dict("records"):
        cid, risk = row["cluster_id"], int(row["risk_score"])
        shown = world.text(str(row["brands"] or "").replace(";", ", "), 2_000)
        page = pages.get(cid)
        link = (f'<a href="{escape(f"clusters/{page}")}">{escape(cid)}</a>' if page
                else escape(cid))
        expected.append(row_template().format(
            id=escape(cid), link=link, size=row["size"], risk=risk,
            risk_class=risk_class(risk), suspended=row["suspended"],
            linked=row["linked_to_suspended"], reopened=row["reopened_after_ban"],
            brands=escape(shown), brands_short=escape(shorten(shown, 80)),
            factors=escape(str(row["risk_factors"] or "")), change=escape(row["change"]),
            stores=escape(" ".join(sorted(members.loc[members["cluster_id"] == cid,
                                                      "store_id"])))))
    assert index_rows(world, multi, pages) == expected
    assert member_ids(members, pa.array(["C-lone", "C-none"])).to_pylist() == ["S-lone", ""]


@pytest.mark.browser
def test_index_filter_finds_a_cluster_by_any_of_its_store_ids(chromium, demo_report):
    """The filter promises "cluster, brand, store, factor": an investigator starts from one
    store, whose id the row does not show."""
    with open(demo_report / "clusters.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    sizes = {c: sum(r["cluster_id"] == c for r in rows) for c in {r["cluster_id"] for r in rows}}
    members = sorted((r["store_id"], r["cluster_id"]) for r in rows if sizes[r["cluster_id"]] > 1)
    assert len(members) >= 2
    assert_clean(chromium.open(demo_report / "index.html"))
    for store_id, cluster_id in members:
        assert store_id not in chromium.evaluate(
            "document.getElementById('clusters').tBodies[0].innerText")
        for typed in (store_id, store_id.lower()):
            shown = chromium.evaluate(f"""(() => {{
              const input = document.getElementById('filter-text');
              input.value = {json.dumps(typed)}; input.dispatchEvent(new Event('input'));
              return Array.from(document.querySelectorAll('#clusters tbody tr:not([hidden])'))
                .map(r => r.getAttribute('data-id'));
            }})()""")
            assert shown == [cluster_id], (typed, shown)


def test_store_rows_put_together_in_arrow_are_what_jinja_would_write():
    """The stores table's rows are made a column at a time in Arrow (report.data): each is the
    row a Jinja loop with autoescape wrote, hostile text, long text and a suspension included
    (the old loop is written out here)."""
    import numpy as np
    from jinja2 import Environment

    from graphaudit.report.data import _store_rows

    loop = Environment(autoescape=True, trim_blocks=True).from_string(
        '{% for s in stores %}<tr data-node="{{ s.node }}"><td>{{ s.opened }}</td>'
        '<td>{{ s.id }}</td><td class="wrap">{{ s.name }}</td><td class="wrap">{{ s.brand }}'
        '</td><td>{{ s.marketplace }}</td><td>{% if s.status == "suspended" %}<span class="pill'
        ' bad">suspended</span>{% else %}{{ s.status }}{% endif %}</td><td>{{ s.suspended_on }}'
        '</td><td class="wrap">{{ s.reason }}</td><td class="wrap">{{ s.flags }}</td></tr>\n'
        '{% endfor %}')
    names = ['<script>alert("x")</script>', "o'neil & co", "日本" * 70, "", "ｍｐｏｗ"]
    statuses = ["suspended", "", "closed", "<b>", "active"]
    rows = np.array([7, 0, 12, 3, 99])
    columns = [[f"S{k}<&>" for k in range(5)], names, [n[:90] for n in names],
               ["amazon.de", "x" * 41, "", "'", '"'], ["2021-01-02", "", "2020-03-04", "", ""],
               statuses, ["2022-01-01", "", "", "", ""], ["r" * 301, "<i>", "", "", "ok"],
               [False] * 5, [False] * 5, [""] * 5, ["linked; <x>", "", "f" * 400, "", ""]]
    made = _store_rows(rows, columns).to_pylist()
    for k, s in enumerate(rows.tolist()):
        expected = loop.render(stores=[{
            "node": f"s{s}", "opened": columns[4][k], "id": columns[0][k],
            "name": shorten(columns[1][k], 120), "brand": shorten(columns[2][k], 80),
            "marketplace": shorten(columns[3][k], 40), "status": columns[5][k] or "active",
            "suspended_on": columns[6][k], "reason": shorten(columns[7][k], 300),
            "flags": shorten(columns[11][k], 300)}])
        assert made[k] == expected


def test_evidence_rows_put_together_in_arrow_are_what_jinja_would_write():
    """A page's evidence table is a slice of rows made a column at a time in Arrow
    (report.data): each cluster's rows are what the Jinja loop with autoescape wrote (written
    out here), hostile text, brand variants, bridges, merged keys and long store lists included."""
    import numpy as np
    from jinja2 import Environment

    from graphaudit.report.data import Evidence, Ident, _evidence_rows

    loop = Environment(autoescape=True, trim_blocks=True).from_string(
        '{% for e in evidence %}<tr{% if e.node %} data-node="{{ e.node }}"{% endif %}><td>'
        '{{ e.kind }}</td><td class="wrap">{{ e.identifier }}{% if e.merged_keys > 1 %} <span '
        'class="muted">({{ e.merged_keys }} keys merged)</span>{% endif %}</td><td class="num">'
        '{{ e.stores }}</td><td class="ids">{{ e.store_ids }}</td><td class="wrap">'
        '{{ e.status }}</td><td>{% if e.bridge %}<span class="pill bad">bridge {{ e.splits }}'
        '</span>{% endif %}</td></tr>\n{% endfor %}')
    idents = {3: Ident("payment", '**** 1234 #ab"cd', "", "", False),
              5: Ident("address", "<script>alert(1)</script> road", "hub", "a 3PL <b>", True),
              8: Ident("phone", "+86****000 #00ff", "hub", "denied: hub 'x'", True)}
    many = ";".join(f"S{k}" for k in range(75))
    texts = {"kind": ["payment", "brand", "address", "phone", "payment"],
             "key": ["k", "tropu (suspended) ~ t<r>ou;x", "k", "k", "k"],
             "store_ids": ["S1;S2", "S3", many, "S<4>;S'5", "S9"],
             "status": ["same operator", "variant & <i>", "", "hub", "shared"]}
    found = Evidence(ident=np.array([3, -1, 5, 8, 3]), store_count=np.array([2, 1, 75, 2, 1]),
                     bridge=np.array([True, True, False, True, False]),
                     splits=["2 + 1 <x>", "", "", "1 + 1", ""],
                     merged_keys=np.array([3, 4, 1, 2, 1]), bounds=np.array([0, 2, 2, 5]))
    made = _evidence_rows(found, texts, idents, show_pii=False)
    for code in range(3):
        rows = []
        for k in range(found.bounds[code], found.bounds[code + 1]):
            ident, ids = int(found.ident[k]), texts["store_ids"][k].split(";")
            shown = ", ".join(ids[:60]) + (f" \u2026 and {len(ids) - 60:,} more"
                                            if len(ids) > 60 else "")
            if ident < 0:
                rows.append({"node": None, "kind": "brand variant",
                             "identifier": scrub(texts["key"][k].replace(";", ", ")),
                             "merged_keys": 1, "stores": int(found.store_count[k]),
                             "store_ids": shown, "status": texts["status"][k], "bridge": False})
                continue
            known = idents[ident]
            status = known.status if known.decided else texts["status"][k]
            reason = known.reason
            rows.append({"node": f"i{ident}", "kind": {"payment": "payment account"}.get(
                texts["kind"][k], texts["kind"][k]), "identifier": known.display,
                "merged_keys": int(found.merged_keys[k]), "stores": int(found.store_count[k]),
                "store_ids": shown, "bridge": bool(found.bridge[k]), "splits": found.splits[k],
                "status": (reason if status in reason else f"{status}: {reason}") if reason
                else status})
        assert made.of(code) == loop.render(evidence=rows), code
    assert "<script>" not in made.of(2) and made.of(1) == ""


def test_store_tooltips_put_together_in_arrow_are_what_the_page_wrote():
    """The graph's store tooltips are made a column at a time in Arrow (report.data): each is
    the text a page made store by store (written out here): its fields and flags, and its
    identifiers in the order of its links, each once, at most 12 and then "... and N more",
    an address's raw text, the hub mark and the link's first two details."""
    import numpy as np
    import pyarrow as pa

    from graphaudit.report.data import Ident, _store_titles
    from graphaudit.report.graph import KIND_NAMES

    idents = {k: Ident(["payment", "phone", "address", "email", "id_document", "other"][k % 6],
                       f"shown <{k}> " + "x" * (k * 7), ["", "hub", "denied", "kept"][k % 4],
                       "", bool(k % 2)) for k in range(20)}
    # store row -> its links (identifier, who, where, raw), in the order of the links
    links = {
        4: [(k % 14, "holder: A (boss)" if k == 1 else "", "", "") for k in range(16)],
        9: [(2, "holder: B", "address type: warehouse", "Room 5 <b> " + "r" * 90),
            (2, "role: clerk", "", "other raw"), (7, "", "", ""), (2, "role: x", "", "")],
        11: [],
        30: [(19, "", "address type: return", "")],
    }
    rows = np.array([9, 4, 30, 11])
    columns = [
        ["S9", "S4<", "S30", "S11"], ["n" * 81, "", "Shop & co", "x"],
        ["mpow", "", "b" * 61, "y"], ["jd", "m" * 41, "", "z"],
        ["2021-01-02", "", "2020-03-04", ""], ["suspended", "", "closed", "suspended"],
        ["2022-01-01", "", "", ""], ["r" * 121, "", "dup", ""],
        [False, True, False, True], [True, False, False, False], ["", "mp0w", "", ""],
        [""] * 4]
    ordered = sorted(links)
    bounds = np.zeros(40, dtype=np.int64)
    for s in range(39):
        bounds[s + 1] = bounds[s] + len(links.get(s, []))
    flat = [link for s in ordered for link in links[s]]
    details = {name: pa.array([link[k] for link in flat], pa.string())
               for k, name in ((1, "who"), (2, "where"), (3, "raw"))}
    made = _store_titles(columns, rows, bounds, np.array([link[0] for link in flat]),
                         details, idents).to_pylist()

    def written(k: int, s: int) -> str:
        (store_id, name, brand, marketplace, opened, status, suspended_on, reason, linked,
         reopened, variant_of, _) = (column[k] for column in columns)
        lines = [f"Store {store_id}" + (f" \u00b7 {shorten(name, 80)}" if name else "")]
        lines.append(f"brand: {shorten(brand, 60) or '-'} \u00b7 marketplace: "
                     f"{shorten(marketplace, 40) or '-'}")
        lines.append(f"opened: {opened or 'unknown'}")
        status = status or "active"
        if status == "suspended":
            when = f" on {suspended_on}" if suspended_on else ""
            why = f": {shorten(reason, 120)}" if reason else ""
            lines.append(f"status: SUSPENDED{when}{why}")
        else:
            lines.append(f"status: {status}" + (f" ({shorten(reason, 120)})" if reason else ""))
        if linked:
            lines.append("! linked to a suspended store of this cluster")
        if reopened:
            lines.append("! opened after a suspension in this cluster (reopened after a ban)")
        if variant_of:
            lines.append(f"! brand varies the suspended brand \"{shorten(variant_of, 200)}\"")
        entries = links[s]
        if entries:
            lines.append("identifiers:")
        seen: list[int] = []
        for i, _, _, raw in entries:
            if i in seen:
                continue
            seen.append(i)
            if len(seen) > 12:
                lines.append(f"  \u2026 and {len({e[0] for e in entries}) - 12} more")
                break
            ident = idents[i]
            shown = shorten(raw, 80) if raw else shorten(ident.display, 80)
            mark = " (hub: links nobody)" if ident.status in ("hub", "denied") else ""
            detail = "; ".join([d for e in entries if e[0] == i for d in e[1:3] if d][:2])
            lines.append(f"  {KIND_NAMES.get(ident.kind, ident.kind)}: {shown}{mark}"
                         + (f" [{detail}]" if detail else ""))
        return "\n".join(lines)

    for k, s in enumerate(rows.tolist()):
        assert made[k] == written(k, s), s
    assert "and 2 more" in made[1] and made[1].count("\n  ") == 13


def test_json_strings_in_arrow_are_what_json_for_script_writes():
    """The drawings' JSON strings are escaped a column at a time in Arrow (report.text): each
    is what json_for_script writes of it, payloads, control characters and line breaks
    included."""
    import pyarrow as pa

    from graphaudit.report.text import json_strings

    values = [*PAYLOADS.values(), "a\"b\\c\nd\re\tf", "x\x01y\x08z\x0c\x1f", "\u2028\u2029",
              "", "é日本\x7f", "plain"]
    assert json_strings(pa.array(values, pa.string())).to_pylist() == [
        json_for_script(v) for v in values]
    assert json_strings(pa.array(["plain", "x\ny"], pa.string())).to_pylist() == [
        '"plain"', '"x\\ny"']


@pytest.mark.parametrize("world", ["hostile", "demo", "sample", "big"])
@pytest.mark.parametrize("show_pii", [False, True])
def test_graphs_drawn_whole_in_arrow_are_what_the_folding_path_draws(tmp_path, world,
                                                                     show_pii, monkeypatch):
    """A cluster small enough to draw whole takes its graph data from the nodes and edges
    prepared a column at a time (report.drawing); it is the JSON that the page-by-page path
    (build_cluster_graph, which folds nothing at that size) writes of the same cluster, and
    every page of the report was drawn one way or the other. The prepared data keeps the
    tooltips and links of the folded clusters only: the page-by-page path of every cluster is
    drawn from data prepared as if none could be drawn whole."""
    from graphaudit.report import drawing
    from graphaudit.report.context import _folded_graph, _whole_graph
    from graphaudit.report.data import prepare
    from graphaudit.report.render import _selected

    data_dir = {"hostile": hostile_world, "demo": demo_world, "big": big_world}[world](
        tmp_path / "data") if world != "sample" else ROOT / "sample_data"
    analysis = analysis_of(data_dir)
    selected = _selected(analysis, None, None)
    data = prepare(analysis, selected, show_pii=show_pii, secret=b"k" * 32)
    monkeypatch.setattr(drawing, "FOLD_NODES", -1)
    every = prepare(analysis, selected, show_pii=show_pii, secret=b"k" * 32)
    assert not every.drawings.whole.any()
    whole = 0
    for code in range(len(selected)):
        members = data.members[data.bounds[code]:data.bounds[code + 1]].tolist()
        low, high = int(data.pair_bounds[code]), int(data.pair_bounds[code + 1])
        folded = _folded_graph(every, code, members, low, high)
        if data.drawings.whole[code]:
            whole += 1
            assert _whole_graph(data, code, len(members), high - low) == folded[0], code
            assert int(data.drawings.ident_count[code]) == folded[1]
        else:
            assert folded[2] or folded[3]  # folded: notes, or the summary view
    assert whole >= len(selected) - 1  # sample_data and the big world: one cluster folded
