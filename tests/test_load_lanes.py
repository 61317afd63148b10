"""The lanes of a concurrent load: links in different lanes must share no node."""

from __future__ import annotations

import pandas as pd
from conftest import SAMPLE_DATA

from graphaudit.identifiers import extract_identifiers
from graphaudit.records import RejectsWriter, read_records
from graphaudit.store import HUB_LANE, HUB_LINKS, link_lanes


def _shared_nodes(links: pd.DataFrame, lane) -> int:
    """How many stores or identifiers appear in more than one of the lanes 0, 1, ..."""
    rows = links.assign(lane=lane)[lane != HUB_LANE]
    stores = rows.groupby("store_id")["lane"].nunique()
    idents = rows.groupby(["kind", "key"])["lane"].nunique()
    return int((stores > 1).sum() + (idents > 1).sum())


def test_sample_lanes_share_no_node_and_are_balanced():
    records = read_records(SAMPLE_DATA, RejectsWriter(None))
    links = extract_identifiers(records, RejectsWriter(None)).links
    lane = link_lanes(links, 2)
    assert _shared_nodes(links, lane) == 0
    counts = pd.Series(lane).value_counts()
    assert counts.get(0, 0) > 0.3 * len(links) and counts.get(1, 0) > 0.3 * len(links)


def test_hub_links_get_the_hub_lane():
    hub = pd.DataFrame({"store_id": [f"s{i}" for i in range(HUB_LINKS + 1)], "kind": "phone",
                        "key": "+100"})
    pair = pd.DataFrame({"store_id": ["s0", "x"], "kind": "email", "key": "a@b"})
    links = pd.concat([hub, pair], ignore_index=True)
    lane = link_lanes(links, 2)
    assert (lane[: HUB_LINKS + 1] == HUB_LANE).all()
    assert lane[-2] == lane[-1] != HUB_LANE  # s0 and x share a@b: one lane
    assert _shared_nodes(links, lane) == 0


def test_no_links_no_lanes():
    assert len(link_lanes(pd.DataFrame(columns=["store_id", "kind", "key"]), 2)) == 0


def test_links_read_back_in_any_order_are_sorted_as_the_rule_says():
    """The server gives a page's links in no order (the sort moved out of read-links.cypher):
    whichever order they come in, grouped by store as the server gives them or shuffled,
    read_graph's links are kind after kind (KINDS order), then store_id, key, spelling,
    address type, role and holder name, the order extract_identifiers' consumers read."""
    import numpy as np

    from graphaudit.identifiers import KINDS
    from graphaudit.store import LINK_COLUMNS, sorted_links

    records = read_records(SAMPLE_DATA, RejectsWriter(None))
    links = extract_identifiers(records, RejectsWriter(None)).links
    links = links.reindex(columns=list(LINK_COLUMNS)).fillna("").astype(str)
    # two spellings of one key of one store: the spelling decides
    twice = links.iloc[[0]].assign(raw=lambda f: f["raw"] + " (again)")
    links = pd.concat([links, twice], ignore_index=True)
    rule = links.assign(rank=links["kind"].map(KINDS.index)).sort_values(
        ["rank", "store_id", "key", "raw", "address_type", "role", "holder_name"]
    ).drop(columns="rank").reset_index(drop=True)
    shuffled = links.sample(frac=1, random_state=7)
    by_store = shuffled.sort_values("store_id", kind="stable")
    for given in (shuffled, by_store):
        found = sorted_links(given.reset_index(drop=True))
        assert found.to_numpy().tolist() == rule.to_numpy().tolist()
    assert np.array_equal(sorted_links(links.iloc[:0]).columns, links.columns)
