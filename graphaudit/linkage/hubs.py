"""What each shared identifier did: tied one operator's stores, is evidence of a possible link,
or is a hub that links nobody; and the investigator's overrides (``--hubs``).

Nothing here decides a link: :mod:`.levels` does, on weights learned from the data. This module
reports the outcome per identifier, with the weight that identifier carries at its frequency,
so that ``hubs.csv`` says why a shared value linked nobody.
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
from .levels import Resolution
from .weights import COMMON, LinkageParams, band_level, common_tf_bits

__all__ = ["HubOverrides", "components", "decide_links", "listed_idents",
           "read_hub_overrides", "unmatched_lines"]


@dataclass
class HubOverrides:
    """Identifiers an investigator declared hubs (``deny``) or an operator's own (``allow``)."""

    deny: dict[tuple[str, str], str] = field(default_factory=dict)
    allow: dict[tuple[str, str], str] = field(default_factory=dict)
    #: where each entry was read ("hubs.csv: line 2"), to name a line that matches nothing
    lines: dict[tuple[str, str], str] = field(default_factory=dict)


def unmatched_lines(overrides: HubOverrides | None, kinds: pd.Series,
                    keys: pd.Series) -> list[str]:
    """One warning per hubs-file line whose identifier is not in the data (``kinds``/``keys``
    of its identifiers): a typo or a truncated ID would otherwise leave the investigator's
    decision without effect, silently. The identifier itself is not repeated (privacy)."""
    if overrides is None or not overrides.lines:
        return []
    chosen = keys.isin({key for _, key in overrides.lines}).to_numpy()
    present = set(zip(kinds[chosen].astype(str), keys[chosen].astype(str), strict=True))
    return [f"{where}: {kind} matches no identifier of the data (a typo?): the line has no "
            "effect" for (kind, key), where in overrides.lines.items()
            if (kind, key) not in present]


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
        overrides.lines[(kind, key)] = f"{path}: line {line}"
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
    resolution: Resolution,
    overrides: HubOverrides | None = None,
    params: LinkageParams | None = None,
) -> pd.DataFrame:
    """Say, for every identifier shared by two or more stores, what it did and why.

    ``canonical`` maps each identifier to the one it was merged into by the fuzzy signals;
    ``resolution`` is what :func:`~.levels.resolve` decided. Returns one row per shared
    canonical identifier: ``ident, kind, key, store_count, groups, links, status, reason,
    weight``. ``groups`` counts the final clusters among its stores; ``links`` is true when
    they are all in one cluster (status ``same operator``). Otherwise it is a ``possible link``
    (it is evidence of a possible link between clusters) or a ``hub`` (it links nobody: its
    weight at that frequency, with the rest of the evidence, stays below the threshold).
    """
    overrides = overrides or HubOverrides()
    params = params or LinkageParams()
    model = resolution.model
    idents = graph.idents
    ident, store = unique_pairs(canonical[graph.link_ident], graph.link_store, graph.n_stores)
    counts = np.bincount(ident, minlength=graph.n_idents)
    label = resolution.labels[store]
    cluster_ident, _ = unique_pairs(ident, label, graph.n_stores)
    clusters = np.bincount(cluster_ident, minlength=graph.n_idents)
    shared = np.nonzero(counts >= 2)[0]
    evidence = resolution.evidence
    # The comparison each identifier is weighed in (its first value's), and its weight alone.
    comp_of = np.full(graph.n_idents, -1, dtype=np.int64)
    is_ident = evidence.value_ident >= 0
    comp_of[evidence.value_ident[is_ident][::-1]] = evidence.comp[is_ident][::-1]
    k = clusters[shared]
    level = band_level(np.maximum(k, 2))
    comp = comp_of[shared]
    weight = np.where(comp >= 0, model.weights[np.maximum(comp, 0), level], 0.0)
    weight -= np.where(level == COMMON, common_tf_bits(k, params.common_tf), 0.0)
    in_possible = np.zeros(graph.n_idents, dtype=bool)
    items = resolution.items
    possible_values = items.loc[items["edge"] < 0, "value"].to_numpy()
    found = evidence.value_ident[possible_values]
    in_possible[found[found >= 0]] = True
    kinds = pa.array(idents["kind"])
    kind_of = kinds.take(shared).to_pylist()
    key_of = pa.array(idents["key"]).take(shared).to_pylist()
    comparisons = evidence.comparisons
    # Most shared identifiers tie one cluster: their status and reason are columns. The rest
    # (hubs, possible links, the investigator's overrides) are said one by one.
    store_count = counts[shared]
    status = np.full(len(shared), "same operator", dtype=object)
    reason = ("its " + pd.Series(store_count).astype(str) + " stores are one operator"
              ).to_numpy(dtype=object)
    listed = listed_idents(idents, {**overrides.deny, **overrides.allow})[shared]
    for i in np.flatnonzero(listed | (k > 1)).tolist():
        status[i], reason[i] = _decide(kind_of[i], key_of[i], int(store_count[i]), int(k[i]),
                                       float(weight[i]), int(comp[i]),
                                       bool(in_possible[shared[i]]), overrides, model.prior,
                                       params.merge_bits, comparisons)
    table = pd.DataFrame({
        "ident": shared,
        "kind": kind_of,
        "key": key_of,
        "store_count": store_count,
        "groups": k,
        "status": status,
        "reason": reason,
        "weight": np.round(weight, 2),
    })
    table["links"] = table["groups"].to_numpy() == 1
    return table


def listed_idents(idents: pd.DataFrame, listed: dict[tuple[str, str], str]) -> np.ndarray:
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


def _decide(kind: str, key: str, stores: int, clusters: int, weight: float, comp: int,
            possible: bool, overrides: HubOverrides, prior: float, threshold: float,
            comparisons: list[str]):
    if (kind, key) in overrides.deny:
        return "denied", f"hubs file: {overrides.deny[(kind, key)]}"
    if (kind, key) in overrides.allow:
        return "allowed", f"hubs file: {overrides.allow[(kind, key)]}"
    if clusters <= 1:
        return "same operator", f"its {stores} stores are one operator"
    name = comparisons[comp] if comp >= 0 else kind
    alone = (f"alone it weighs {weight:+.1f} ({name} shared by {clusters} groups), "
             f"{prior + weight:+.1f} with the prior {prior:+.1f}, "
             f"against the threshold {threshold:.1f}")
    if possible:
        return "possible link", (f"shared by {stores} stores in {clusters} clusters, evidence "
                                 f"of a possible link; {alone}")
    return "hub", (f"shared by {stores} stores in {clusters} otherwise separate clusters "
                   f"(a {_hub_kind(kind)}, not one operator); {alone}")


def _hub_kind(kind: str) -> str:
    return {"address": "shared warehouse or office address", "phone": "shared contact number",
            "email": "shared contact e-mail", "payment": "shared collection account",
            "id_document": "shared or rented ID document"}.get(kind, "shared identifier")
