"""Why two stores are, or are not, one operator: the answer of ``graphaudit explain``.

One place assembles the explanation from an :class:`~graphaudit.analysis.Analysis`, as plain
data (lists and dicts) that the command line prints as text or as one JSON document:

* linked stores: the chain of shared identifiers between them, in their cluster;
* stores that are not linked: every value they share and how it was judged (a hub, an
  identifier the investigator's hubs file denied, or any other level the linkage gives a
  shared identifier that links nobody, such as a possible link), the near matches between
  their identifiers that were weighed and fell below the threshold, and the clusters each
  store is in.

The judgement of a shared identifier is read from the linkage's decision table (``status``,
``reason``, ``links``) as it stands, so a new level of the linkage shows here without a change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from .analysis import Analysis
from .errors import DataError
from .privacy import display_identifier

__all__ = ["explain_stores", "unknown_store_hint"]


def unknown_store_hint(store_id: str, known: pd.Series | list[str]) -> str:
    """What to say about a store id that is not in the data: the id as written in another case,
    or what ids look like.

    >>> unknown_store_hint("s0000001", ["S0000001", "S0000002"])
    "unknown store id 's0000001': store ids are case-sensitive; did you mean 'S0000001'?"
    >>> unknown_store_hint("X9", ["S0000001", "S0000002"])
    "unknown store id 'X9' (2 stores; ids look like 'S0000001')"
    >>> unknown_store_hint("X9", [])
    "unknown store id 'X9': there are no stores (load or give data first)"
    """
    ids = pd.Series(known, dtype=object)
    if ids.empty:
        return f"unknown store id {store_id!r}: there are no stores (load or give data first)"
    folded = ids[ids.str.casefold() == store_id.strip().casefold()]
    if len(folded):
        return (f"unknown store id {store_id!r}: store ids are case-sensitive; did you mean "
                f"{folded.iloc[0]!r}?")
    return f"unknown store id {store_id!r} ({len(ids):,} stores; ids look like {ids.min()!r})"


def explain_stores(analysis: Analysis, a: str, b: str | None = None,
                   show_pii: bool = False, secret: bytes | None = None) -> dict:
    """The explanation for store ``a`` (its cluster and the evidence around it) or for the pair
    ``a``, ``b``; raises DataError naming an unknown store id (with a hint).

    The result is plain data: ``{"stores": [...], "clusters": {store: cluster}, "linked": bool,
    ...}``, plus ``path`` (linked pair: the chain of merges that joined them), ``shared`` and
    ``near_matches`` (pair not linked) or ``evidence`` (one store). A linked pair whose chain
    passes other stores also gets ``shared``: the values the two share directly, which the
    chain need not show (it follows the cluster's merges, strongest evidence first; REPORT8
    item 4). Identifiers are shown as :func:`.privacy.display_identifier`
    shows them, with pseudonyms under ``secret`` (default: this installation's key).
    """
    shown = partial(display_identifier, show_pii=show_pii, secret=secret)
    linkage = analysis.linkage
    ids = linkage.graph.stores["store_id"]
    index = pd.Index(ids)
    for store_id in (a, b):
        if store_id is not None and store_id not in index:
            raise DataError(unknown_store_hint(store_id, ids))
    cluster = dict(zip(ids, linkage.cluster_id, strict=True))
    stores = [s for s in (a, b) if s is not None]
    out: dict = {"stores": stores, "clusters": {s: cluster[s] for s in stores}}
    if b is None:
        out["linked"] = None
        out["evidence"] = _store_evidence(analysis, a, cluster[a], shown)
        return out
    from .linkage.evidence import explain_link

    found = explain_link(linkage, a, b) if cluster[a] == cluster[b] else {"path": []}
    steps = found["path"]
    out["linked"] = bool(steps) or a == b
    if out["linked"]:
        out["path"] = _merge_steps(analysis, steps, show_pii, secret, shown)
        if len(out["path"]) > 1:  # the chain of merges passes other stores: what is direct
            out["shared"] = _shared_values(analysis, index.get_loc(a), index.get_loc(b), shown)
        return out
    out["shared"] = _shared_values(analysis, index.get_loc(a), index.get_loc(b), shown)
    out["near_matches"] = _near_matches(analysis, index.get_loc(a), index.get_loc(b), shown)
    return out


def _merge_steps(analysis: Analysis, steps: list, show_pii: bool, secret: bytes | None,
                 shown: Callable[[str, str], str]) -> list[dict]:
    """Each merge on the chain between two stores, weighed: its strongest shared value
    (``shared``, ``identifier``), every item with its weight (``evidence``), the prior, the
    chance correction, the total and the threshold."""
    from .analysis import describe_links
    from .linkage.evidence import address_texts
    from .linkage.waterfall import link_items, merge_table

    linkage = analysis.linkage
    edges = steps[1::2]
    if not edges:
        return []
    items = link_items(linkage, edges)
    texts = address_texts(linkage, items.loc[items["ident"] >= 0, "ident"].to_numpy())
    described = describe_links(items, texts, show_pii, secret)
    merges = merge_table(linkage, all_merges=True).set_index("edge")
    rows = []
    for i, edge in enumerate(edges):
        mine = items[items["edge"] == edge]
        top = mine.iloc[0] if len(mine) else None
        kind = str(top["kind"]) if top is not None else ""
        identifier = ""
        if top is not None and int(top["ident"]) >= 0:
            identifier = shown(kind, str(top["key"]))
        elif top is not None:
            identifier = str(top["key"]) if show_pii or kind == "brand" else "(agrees)"
        merge = merges.loc[edge]
        rows.append({
            "from": steps[2 * i], "shared": kind, "identifier": identifier,
            "to": steps[2 * i + 2],
            "evidence": str(described.get(edge, "")),
            "prior": float(merge["prior"]), "chance": -float(merge["chance"]),
            "total": float(merge["score"]), "threshold": float(merge["threshold"]),
            "decided": str(merge["decided"]),
        })
    return rows


def _store_evidence(analysis: Analysis, store_id: str, cluster_id: str,
                    shown: Callable[[str, str], str]) -> list[dict]:
    evidence = analysis.evidence
    mine = evidence[(evidence["cluster_id"] == cluster_id)
                    & evidence["store_ids"].astype(str).str.split(";").map(
                        lambda ids: store_id in ids)]
    return [
        {"kind": r.kind, "identifier": shown(r.kind, r.key),
         "stores": int(r.store_count), "bridge": bool(r.bridge), "store_ids": r.store_ids}
        for r in mine.itertuples()
    ]


def _idents_of(analysis: Analysis, store: int) -> np.ndarray:
    """The identifiers (as linked, before fuzzy merging) of one store."""
    graph = analysis.linkage.graph
    return np.unique(graph.link_ident[graph.link_store == store])


def _shared_values(analysis: Analysis, a: int, b: int,
                   shown: Callable[[str, str], str]) -> list[dict]:
    """The identifiers both stores have (after fuzzy merging), each with its judgement."""
    linkage = analysis.linkage
    canonical = linkage.canonical
    shared = np.intersect1d(canonical[_idents_of(analysis, a)],
                            canonical[_idents_of(analysis, b)])
    if not len(shared):
        return []
    decisions = linkage.decisions.set_index("ident")
    idents = linkage.graph.idents
    rows = []
    for ident in shared.tolist():
        kind, key = idents.at[ident, "kind"], idents.at[ident, "key"]
        row = {"kind": kind, "identifier": shown(kind, key)}
        if ident in decisions.index:
            decided = decisions.loc[ident]
            row.update({"judged": str(decided["status"]), "links": bool(decided["links"]),
                        "stores": int(decided["store_count"]), "reason": str(decided["reason"])})
        else:
            row.update({"judged": "not decided", "links": False, "stores": 2, "reason": ""})
        rows.append(row)
    return rows


def _near_matches(analysis: Analysis, a: int, b: int,
                  shown: Callable[[str, str], str]) -> list[dict]:
    """Fuzzy matches weighed between an identifier of ``a`` and one of ``b`` and not accepted:
    below the threshold (accepted ones would have merged the two into one shared value)."""
    mine, theirs = set(_idents_of(analysis, a).tolist()), set(_idents_of(analysis, b).tolist())
    idents = analysis.linkage.graph.idents
    rows = []
    for match in analysis.linkage.matches:
        if match.accepted or not ({match.a, match.b} & mine and {match.a, match.b} & theirs):
            continue
        kind = idents.at[match.a, "kind"]
        rows.append({
            "kind": kind, "signal": match.signal, "judged": "below threshold",
            "weight": round(float(match.weight), 3), "evidence": ", ".join(match.parts),
            "identifiers": [shown(kind, idents.at[i, "key"])
                            for i in (match.a, match.b)],
        })
    return rows
