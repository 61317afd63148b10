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
