"""An operator that is most of its export (docs/trials/new-user-trial-4.md item 3): its own
accounts, phones, e-mails and office are used together, so they are not hubs; a service that
unrelated operators choose independently still is. docs/linkage.md, co-used hubs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import big_operator  # noqa: E402

from graphaudit.analysis import Analysis, analyze  # noqa: E402
from graphaudit.identifiers import extract_identifiers  # noqa: E402
from graphaudit.linkage import link_stores  # noqa: E402
from graphaudit.records import RejectsWriter, read_records  # noqa: E402

SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="module")
def operator() -> dict[str, pd.DataFrame]:
    return big_operator.operator_tables()


def _analysis(folder: Path) -> Analysis:
    records = read_records(folder, RejectsWriter(None))
    return analyze(records.stores, extract_identifiers(records, RejectsWriter(None)).links)


def _assert_one_cluster_beside_sample(result: Analysis, operator: dict[str, pd.DataFrame]):
    clusters = result.cluster_of
    mine = clusters.index.str.startswith("B")
    assert clusters[mine].nunique() == 1
    assert not clusters[~mine].isin(clusters[mine].unique()).any()
    # the operator's accounts are no hubs; sample_data's operators are not mixed
    accounts = set(operator["payments"]["account_number"])
    assert not result.hubs["key"].isin(accounts).any()
    truth = pd.read_csv(SAMPLE / "truth.csv", dtype=str).set_index("store_id")["operator_id"]
    theirs = pd.DataFrame({"c": clusters[~mine], "o": truth.loc[clusters[~mine].index]})
    assert (theirs.groupby("c")["o"].nunique() == 1).all()


def test_an_operator_of_3000_stores_beside_sample_data_is_one_cluster(tmp_path, operator):
    folder = big_operator.write_world(tmp_path / "mix3", operator, beside=SAMPLE)
    _assert_one_cluster_beside_sample(_analysis(folder), operator)


def test_its_first_300_stores_beside_sample_data_are_one_cluster(tmp_path, operator):
    folder = big_operator.write_world(tmp_path / "mix", operator, first=300, beside=SAMPLE)
    _assert_one_cluster_beside_sample(_analysis(folder), operator)


def test_an_export_of_one_network_keeps_its_exact_valid_same_holder_id_links(tmp_path,
                                                                                operator):
    # 100 stores, all one operator: every random pair is a match, so u counts the network's
    # own pairs and EM finds no match at all; the documented defaults decide instead.
    result = _analysis(big_operator.write_world(tmp_path / "bigc3_100", operator, first=100))
    clusters = result.cluster_of
    assert clusters["B00000"] == clusters["B00001"]
    cards = operator["identities"].set_index("store_id")["id_number"].loc[clusters.index]
    assert (pd.DataFrame({"c": clusters, "id": cards}).groupby("id")["c"].nunique() == 1).all()
    assert result.linkage.resolution.model.source == "defaults"
    assert "no matching pair" in result.linkage.resolution.model.message


def _services_world(office_for_all: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """200 unrelated operators of 1-4 stores, each with its own ID card, account and phone; a
    payment agent's account on 30 of them and a registered agent's address on 40, chosen
    independently (or, with ``office_for_all``, that address on every store: an export of one
    virtual office's tenants)."""
    rng = np.random.default_rng(7)
    rows, owner = [], {}
    agent = set(rng.choice(200, 30, replace=False).tolist())
    office = set(range(200)) if office_for_all else \
        set(rng.choice(200, 40, replace=False).tolist())
    for op in range(200):
        for k in range(int(rng.integers(1, 5))):
            store = f"S{op:03d}{k}"
            owner[store] = op
            rows += [(store, "id_document", f"ID{op:06d}", f"Holder {op}"),
                     (store, "payment", "ACC-AGENT" if op in agent else f"ACC{op}", ""),
                     (store, "phone", f"+86139{op:08d}", "")]
            if op in office:
                rows.append((store, "address", "room 8 cluster registration centre", ""))
    links = pd.DataFrame([(s, kind, key, name, key) for s, kind, key, name in rows],
                         columns=["store_id", "kind", "key", "holder_name", "raw"])
    stores = pd.DataFrame({"store_id": sorted(owner), "status": "active", "opened_on": "",
                           "suspended_on": "", "brand": ""})
    return stores, links, pd.Series(owner)


@pytest.mark.parametrize("office_for_all", [False, True])
def test_services_chosen_independently_by_unrelated_operators_stay_hubs(office_for_all):
    stores, links, owner = _services_world(office_for_all)
    result = link_stores(stores, links)
    clusters = pd.Series(result.cluster_id.to_numpy(), index=result.graph.stores["store_id"])
    frame = pd.DataFrame({"c": clusters, "o": owner.loc[clusters.index]})
    assert (frame.groupby("c")["o"].nunique() == 1).all()
    assert (frame.groupby("o")["c"].nunique() == 1).all()
    hubs = result.decisions[result.decisions["status"] == "hub"]
    assert {"ACC-AGENT", "room 8 cluster registration centre"} <= set(hubs["key"])
    assert not (result.resolution.merges["decided"] == "co-used hubs").any()
