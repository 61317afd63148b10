"""Which shared identifiers link stores, and which are innocent hubs.

A fixed degree cut-off cannot tell a 3PL warehouse shared by 40 unrelated sellers from an
operator's own office shared by 400 of its stores. What can is structure and the kind of
evidence:

* ID documents and payment accounts are personal: sharing one links stores.
* Contact phones, e-mails and addresses are often an agency's or a 3PL's. For each, we look at
  the groups its stores fall into by personal evidence alone. When they are all in one group the
  identifier is *corroborated*. When they fall into two groups it links them (an evader reopening
  with one old identifier looks like this). When they fall into :data:`HUB_GROUPS` or more
  otherwise separate groups, it is a *hub* and links nobody.
* An investigator's ``--hubs`` file overrides both ways.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import ConfigError
from ..identifiers import KINDS
from ..normalize import identifier_key
from .graph import EvidenceGraph, unique_pairs

__all__ = ["HUB_GROUPS", "PERSONAL_KINDS", "HubOverrides", "components", "decide_links",
           "read_hub_overrides"]

PERSONAL_KINDS = frozenset({"id_document", "payment"})
#: a contact identifier whose stores fall into this many separate groups is a hub
HUB_GROUPS = 3


@dataclass
class HubOverrides:
    """Identifiers an investigator declared hubs (``deny``) or an operator's own (``allow``)."""

    deny: dict[tuple[str, str], str] = field(default_factory=dict)
    allow: dict[tuple[str, str], str] = field(default_factory=dict)


def read_hub_overrides(path: Path) -> HubOverrides:
    """Read a ``--hubs`` CSV: ``kind,identifier,action[,note]`` with action ``hub`` or ``link``.

    Identifiers are normalized like the data, so they can be pasted as seen.
    """
    overrides = HubOverrides()
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the hubs file: {exc}") from exc
    for line, row in enumerate(rows, start=2):
        kind = (row.get("kind") or "").strip().lower()
        action = (row.get("action") or "").strip().lower()
        if kind not in KINDS or action not in ("hub", "link"):
            raise ConfigError(
                f"{path}: line {line}: need kind in {', '.join(KINDS)} and action "
                f"hub or link (got {kind!r}, {action!r})"
            )
        try:
            key = identifier_key(kind, row.get("identifier") or "")
        except ValueError as exc:
            raise ConfigError(f"{path}: line {line}: identifier: {exc}") from exc
        note = (row.get("note") or "").strip() or "listed in the hubs file"
        (overrides.deny if action == "hub" else overrides.allow)[(kind, key)] = note
    return overrides


def components(n_stores: int, n_idents: int, store: np.ndarray, ident: np.ndarray) -> np.ndarray:
    """Connected components of the bipartite store-identifier graph; one label per store.

    Never expands an identifier into a clique of its stores, so a hub of 100,000 stores costs
    100,000 edges, not 5·10⁹.
    """
    size = n_stores + n_idents
    edges = coo_matrix(
        (np.ones(len(store), dtype=np.int8), (store, n_stores + ident)), shape=(size, size)
    )
    _, labels = connected_components(edges, directed=False)
    return labels[:n_stores]


def decide_links(
    graph: EvidenceGraph,
    canonical: np.ndarray,
    overrides: HubOverrides | None = None,
) -> pd.DataFrame:
    """Decide, for every identifier shared by two or more stores, whether it links them.

    ``canonical`` maps each identifier to the one it was merged into by the fuzzy signals.
    Returns one row per shared canonical identifier: ``ident, kind, key, store_count, groups,
    links, status, reason``.
    """
    overrides = overrides or HubOverrides()
    idents = graph.idents
    ident, store = unique_pairs(canonical[graph.link_ident], graph.link_store, graph.n_stores)
    counts = np.bincount(ident, minlength=graph.n_idents)
    kinds = pa.array(idents["kind"])
    denied = _listed(idents, overrides.deny)
    personal = pc.is_in(kinds, value_set=pa.array(sorted(PERSONAL_KINDS), kinds.type))
    strong = personal.to_numpy(zero_copy_only=False)[ident] & ~denied[ident]
    group = components(graph.n_stores, graph.n_idents, store[strong], ident[strong])

    group_ident, _ = unique_pairs(ident, group[store], graph.n_stores)
    groups = np.bincount(group_ident, minlength=graph.n_idents)
    shared = np.nonzero(counts >= 2)[0]
    # Python values only for the shared identifiers, a fraction of them all.
    kind_of = kinds.take(shared).to_pylist()
    key_of = pa.array(idents["key"]).take(shared).to_pylist()
    decided = [_decide(kind, key, n, g, overrides) for kind, key, n, g in zip(
        kind_of, key_of, counts[shared].tolist(), groups[shared].tolist(), strict=True)]
    table = pd.DataFrame({
        "ident": shared,
        "kind": kind_of,
        "key": key_of,
        "store_count": counts[shared],
        "groups": groups[shared],
        "status": [status for status, _ in decided],
        "reason": [reason for _, reason in decided],
    })
    table["links"] = ~table["status"].isin(["hub", "denied"])
    return table


def _listed(idents: pd.DataFrame, listed: dict[tuple[str, str], str]) -> np.ndarray:
    """Which identifiers are in ``listed`` (keyed by kind and key)."""
    found = np.zeros(len(idents), dtype=bool)
    if not listed:
        return found
    keys = pa.array(idents["key"])
    near = np.flatnonzero(pc.is_in(keys, value_set=pa.array(sorted({k for _, k in listed}),
                                                            keys.type)).to_numpy(
        zero_copy_only=False))
    kinds = pa.array(idents["kind"]).take(near).to_pylist()
    found[near] = [(kind, key) in listed for kind, key in zip(
        kinds, keys.take(near).to_pylist(), strict=True)]
    return found


def _decide(kind: str, key: str, stores: int, groups: int, overrides: HubOverrides):
    if (kind, key) in overrides.deny:
        return "denied", f"hubs file: {overrides.deny[(kind, key)]}"
    if (kind, key) in overrides.allow:
        return "allowed", f"hubs file: {overrides.allow[(kind, key)]}"
    if kind in PERSONAL_KINDS:
        return "personal", f"personal identifier shared by {stores} stores"
    if groups <= 1:
        return "corroborated", f"its {stores} stores are already tied by personal evidence"
    if groups < HUB_GROUPS:
        return "link", f"ties {groups} groups of stores that nothing else ties"
    return "hub", (
        f"shared by {stores} stores in {groups} otherwise separate groups "
        f"(a {_hub_kind(kind)}, not one operator)"
    )


def _hub_kind(kind: str) -> str:
    return {"address": "shared warehouse or office address", "phone": "shared contact number",
            "email": "shared contact e-mail"}.get(kind, "shared identifier")
