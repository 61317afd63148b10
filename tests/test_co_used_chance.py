"""Two services that unrelated operators chose independently are not one organisation because
a few clients of a small one happen to use a large one too (docs/linkage.md, co-used hubs:
family seed 2008)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphaudit.linkage import link_stores
from graphaudit.linkage.levels import co_use_bits


def _chance_co_use_world() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """240 single-store sellers and 40 sellers of three stores (their own ID card, phone and
    account on each).

    An agency's phone is on every third single seller (80 of the 280 clusters, in place of
    their own phone). A 3PL's warehouse serves 12 single sellers, 8 of them the agency's
    clients: 2/3 of its clusters, twice what independent choice gives (12 x 80 / 280 = 3.4),
    a co-use that about one pair of hubs in 170 reaches by chance (7.4 bits). Thirty more
    services (15 warehouses, 15 payment agents' accounts) of 10 sellers each, none the
    agency's and no two of them on more than one seller, make 302 pairs of hubs of two kinds
    that could tie (8.2 bits)."""
    rows, owner = [], {}

    def name(op: int) -> str:
        return "Seller " + "".join(chr(ord("a") + int(d)) for d in f"{op:03d}")

    def store(op: int, k: int = 0) -> str:
        sid = f"S{op:03d}{k}"
        owner[sid] = op
        return sid

    agency = [op for op in range(240) if op % 3 == 1]
    others = [op for op in range(240) if op % 3 != 1]
    threepl = set(agency[:8]) | set(others[150:154])
    warehouse = {op: j for j in range(15) for op in others[10 * j:10 * j + 10]}
    account = {op: j for j in range(15) for op in others[j:150:15]}
    for op in range(240):
        sid = store(op)
        rows += [(sid, "id_document", f"ID{op:06d}", name(op)),
                 (sid, "phone", "+8613800000000" if op in agency else f"+86139{op:08d}", ""),
                 (sid, "payment", f"AGENT{account[op]}" if op in account else f"ACC{op}", "")]
        if op in threepl:
            rows.append((sid, "address", "building 15 baowan logistics park", ""))
        elif op in warehouse:
            rows.append((sid, "address", f"warehouse {warehouse[op]} gate 3 pinghu park", ""))
    for op in range(240, 280):
        for k in range(3):
            sid = store(op, k)
            rows += [(sid, "id_document", f"ID{op:06d}", name(op)),
                     (sid, "phone", f"+86139{op:08d}", ""), (sid, "payment", f"ACC{op}", "")]
    links = pd.DataFrame([(s, kind, key, name, key) for s, kind, key, name in rows],
                         columns=["store_id", "kind", "key", "holder_name", "raw"])
    stores = pd.DataFrame({"store_id": sorted(owner), "status": "active", "opened_on": "",
                           "suspended_on": "", "brand": ""})
    return stores, links, pd.Series(owner)


def test_a_small_service_whose_clients_happen_to_use_a_large_agency_is_no_organisation():
    stores, links, owner = _chance_co_use_world()
    result = link_stores(stores, links)
    clusters = pd.Series(result.cluster_id.to_numpy(), index=result.graph.stores["store_id"])
    frame = pd.DataFrame({"c": clusters, "o": owner.loc[clusters.index]})
    assert (frame.groupby("c")["o"].nunique() == 1).all()
    assert (frame.groupby("o")["c"].nunique() == 1).all()
    assert not (result.resolution.merges["decided"] == "co-used hubs").any()


def test_co_use_bits_is_the_hypergeometric_upper_tail():
    # 10 of a 15-cluster value's clusters use a value of 490 of 1,502 clusters (seed 2008);
    # every one of 4 clusters uses a value of 4: 1 / C(1502, 4)
    bits = co_use_bits(np.array([10, 4, 0]), np.array([15, 4, 5]), np.array([490, 4, 100]),
                       1502)
    assert bits[0] == pytest.approx(7.1756, abs=1e-3)
    assert bits[1] == pytest.approx(np.log2(1502 * 1501 * 1500 * 1499 / 24), abs=1e-6)
    assert bits[2] == pytest.approx(0.0, abs=1e-9)
