"""The graphs of every page drawn whole, at once: vis-network nodes and edges as JSON text.

Most clusters are small enough to be drawn whole (:func:`.graph.build_cluster_graph` folds
nothing below :data:`.graph.FOLD_NODES` nodes). For those, :func:`drawn_whole` writes each
store's node, each identifier's node and each link's edge once per report, a column at a time
in Arrow, as the JSON a page's graph data holds (:func:`.context._graph_data`); a page joins its
slices. Bigger clusters are folded and drawn by :mod:`.graph` page by page from the same
tooltips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .graph import EDGE_KINDS, FOLD_NODES, KIND_NAMES, KIND_STYLE, STORE_STYLE
from .text import json_strings, shortened

__all__ = ["Drawings", "drawn_whole", "ident_facts", "joined_details"]


@dataclass(frozen=True, eq=False)
class Drawings:
    """The JSON of every page's nodes and edges, cluster by cluster (``PageRows``: each a JSON
    value followed by a comma), with what a page needs beside them."""

    #: store nodes in the order of the cluster's store rows
    stores: object
    #: identifier nodes in the order a page draws them (bridges, most stores, kind, number)
    idents: object
    #: edges in the order of the cluster's linking pairs
    edges: object
    #: per cluster code: its linking identifiers, whether one is a bridge, whether it is drawn
    #: whole (no folding: fewer than FOLD_NODES nodes)
    ident_count: np.ndarray
    bridged: np.ndarray
    whole: np.ndarray


def joined_details(link_keys: np.ndarray, who: pa.Array, where: pa.Array, wanted: np.ndarray,
                   most: int) -> pa.Array:
    """For each key of ``wanted``: the first ``most`` details of the links of that key (each
    link's ``who`` then ``where``, the empty ones left out), in the order of the links, joined
    by "; "; "" for a key without any."""
    with_who, with_where = (np.flatnonzero(pc.not_equal(column, "").to_numpy(False))
                            for column in (who, where))
    items = np.concatenate([with_who, with_where])
    kinds = np.repeat([0, 1], [len(with_who), len(with_where)])
    order = np.lexsort((kinds, items, link_keys[items]))
    items, kinds = items[order], kinds[order]
    texts = pa.concat_arrays([who, where]).take(pa.array(
        np.where(kinds == 0, items, items + len(link_keys))))
    item_keys = link_keys[items]
    start = np.searchsorted(item_keys, wanted, "left")
    taken = np.minimum(np.searchsorted(item_keys, wanted, "right") - start, most)
    offsets = np.zeros(len(wanted) + 1, dtype=np.int64)
    np.cumsum(taken, out=offsets[1:])
    picks = np.repeat(start - offsets[:-1], taken) + np.arange(int(offsets[-1]))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                                   texts.take(pa.array(picks))), "; ")


def ident_facts(idents: dict, wanted: np.ndarray) -> tuple[list, pa.Array]:
    """The facts (``Ident``) of the distinct identifiers of ``wanted``, and the position of
    each value of ``wanted`` among them: per-identifier columns are then made once per
    identifier and taken for every row."""
    distinct, at = np.unique(wanted, return_inverse=True)
    return [idents[i] for i in distinct.tolist()], pa.array(at.reshape(-1))


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _counted(values: np.ndarray) -> pa.Array:
    """Whole numbers with thousands separators (``f"{n:,}"``), each distinct one formatted
    once."""
    distinct, at = np.unique(values, return_inverse=True)
    return pa.array([f"{v:,}" for v in distinct.tolist()], pa.string()).take(pa.array(at))


def drawn_whole(data_codes: np.ndarray, members: np.ndarray, bounds: np.ndarray,
                columns: list[list], titles: pa.Array, pair_store: np.ndarray,
                pair_ident: np.ndarray, pair_bounds: np.ndarray, link_store: np.ndarray,
                link_ident: np.ndarray, details: dict[str, pa.Array], evidence, idents: dict,
                text, page_rows) -> Drawings:
    """The nodes and edges of every cluster's graph drawn whole (see the module).

    ``members``/``bounds`` are the stores of each cluster code (``columns`` their facts and
    ``titles`` their tooltips, aligned), ``pair_*`` the linking (store, identifier) pairs,
    ``link_*`` and ``details`` every link of those stores (``who``, ``where``, ``holder``),
    ``evidence`` the clusters' evidence rows, ``idents`` the identifiers as pages show them,
    ``text`` the pages' scrub-and-shorten of free text and ``page_rows`` the maker of page
    slices (:meth:`.data.PageRows.made`).
    """
    clusters = len(bounds) - 1
    pair_code = np.repeat(np.arange(clusters), np.diff(pair_bounds))
    width = int(max(pair_ident.max(initial=0), link_ident.max(initial=0),
                    evidence.ident.max(initial=0))) + 1
    # the identifiers of each cluster: one node per (cluster, identifier)
    keys = np.unique(pair_code * width + pair_ident)
    node_code, node_ident = keys // width, keys % width
    ident_count = np.bincount(node_code, minlength=clusters)
    whole = np.diff(bounds) + ident_count <= FOLD_NODES
    # each node's evidence row (the last of its cluster and identifier, as a dict keeps it)
    ev_code = np.repeat(np.arange(len(evidence.bounds) - 1), np.diff(evidence.bounds))
    ev_key = np.where(evidence.ident >= 0, ev_code * width + evidence.ident, -1)
    ev_order = np.argsort(ev_key, kind="stable")
    at = np.searchsorted(ev_key[ev_order], keys, "right") - 1
    found = (at >= 0) & (ev_key[ev_order][np.maximum(at, 0)] == keys) if len(ev_order) else \
        np.zeros(len(keys), dtype=bool)
    # a row past the end stands for "no evidence row" (a dict's defaults)
    row = np.where(found, ev_order[np.maximum(at, 0)] if len(ev_order) else 0, len(ev_key))
    count = np.append(evidence.store_count, 0)[row]
    bridge = np.append(evidence.bridge, False)[row].astype(bool)
    merged = np.append(evidence.merged_keys, 1)[row]
    merged = np.where(merged == 0, 1, merged)
    splits = pa.array([*evidence.splits, ""], pa.string()).take(pa.array(row))
    bridged = np.bincount(node_code, weights=bridge, minlength=clusters) > 0

    # per identifier: its kind's name, display, reason, group and edge kind
    facts, which = ident_facts(idents, node_ident)

    def per_ident(values: list) -> pa.Array:
        return pa.array(values, pa.string()).take(which)

    kind = per_ident([f.kind for f in facts])
    display = per_ident([f.display for f in facts])
    named = per_ident([KIND_NAMES.get(f.kind, f.kind) for f in facts])
    reason = per_ident([text(f.reason, 160) if f.reason else "" for f in facts])
    holders = _holder_lines(keys, width, data_codes, link_store, link_ident,
                            details["holder"], text)
    title = _join(
        named, ": ", display, "\nshared by ", _counted(count), " stores of this cluster",
        pc.if_else(pc.not_equal(reason, ""), _join("\nwhy it links: ", reason), ""),
        pc.if_else(pa.array(bridge), _join("\nBRIDGE: removing it splits the cluster (",
                                           splits, ")"), ""),
        pc.if_else(pa.array(merged > 1), _join("\n", pc.cast(
            pa.array(merged), pa.string()), " near-duplicate keys, merged as one"), ""),
        holders)
    group = _join(pc.if_else(pc.is_in(kind, value_set=pa.array(list(KIND_STYLE))), kind,
                             "other"), pc.if_else(pa.array(bridge), "-bridge", ""))
    ident_nodes = _join('["i', pc.cast(pa.array(node_ident), pa.string()), '",',
                        json_strings(shortened(display, 28)), ",", json_strings(title), ",",
                        json_strings(group), ",", json_strings(shortened(display, 60)), "],")
    kind_rank = np.unique(np.asarray(kind.to_numpy(zero_copy_only=False), dtype=object),
                          return_inverse=True)[1]
    order = np.lexsort((node_ident, kind_rank, -count, ~bridge, node_code))
    ident_rows = page_rows(node_code[order], ident_nodes.take(pa.array(order)), clusters)

    # stores: one node each, in the order of their rows within the cluster
    store_id, name, status = (pa.array(columns[k], pa.string()) for k in (0, 1, 5))
    status = pc.if_else(pc.is_in(status, value_set=pa.array(list(STORE_STYLE))), status,
                        "active")
    label = pc.if_else(pc.equal(name, ""), store_id,
                       _join(shortened(store_id, 24), "\n", shortened(name, 22)))
    group = _join("store-", status, pc.if_else(pa.array(columns[8], pa.bool_()), "-linked", ""))
    store_nodes = _join('["s', pc.cast(pa.array(members), pa.string()), '",',
                        json_strings(label), ",", json_strings(titles), ",",
                        json_strings(group), ",", json_strings(store_id), "],")
    store_rows = page_rows(np.repeat(np.arange(clusters), np.diff(bounds)), store_nodes,
                           clusters)

    # edges: one per linking pair, with the first three details of its links
    detail = joined_details(link_store * width + link_ident, details["who"], details["where"],
                            pair_store * width + pair_ident, 3)
    code_of_kind = {k: n for n, k in enumerate(EDGE_KINDS)}
    facts, which = ident_facts(idents, pair_ident)
    edge_kind = np.array([code_of_kind.get(f.kind, len(EDGE_KINDS)) for f in facts],
                         dtype=np.int64)[which.to_numpy()]
    edges = _join('["s', pc.cast(pa.array(pair_store), pa.string()), '","i',
                  pc.cast(pa.array(pair_ident), pa.string()), '",',
                  pc.cast(pa.array(edge_kind), pa.string()), ",", json_strings(detail), "],")
    edge_rows = page_rows(pair_code, edges, clusters)
    return Drawings(store_rows, ident_rows, edge_rows, ident_count, bridged, whole)


def _holder_lines(keys: np.ndarray, width: int, codes: np.ndarray, link_store: np.ndarray,
                  link_ident: np.ndarray, holder: pa.Array, text) -> pa.Array:
    """Per (cluster, identifier) key of ``keys``: "\\nholder names: A, B" (the first five
    distinct holder names of its links in the cluster, in link order, then " …" when there
    are more), or "" when none."""
    named = np.flatnonzero(pc.not_equal(holder, "").to_numpy(False))
    link_key = codes[link_store[named]] * width + link_ident[named]
    inside = codes[link_store[named]] >= 0
    named, link_key = named[inside], link_key[inside]
    name_id = np.asarray(pc.dictionary_encode(holder.take(pa.array(named))).indices)
    order = np.lexsort((named, name_id, link_key))
    distinct = np.ones(len(order), dtype=bool)
    distinct[1:] = (link_key[order][1:] != link_key[order][:-1]) | \
        (name_id[order][1:] != name_id[order][:-1])
    firsts = order[distinct]
    firsts = firsts[np.lexsort((named[firsts], link_key[firsts]))]
    first_keys = link_key[firsts]
    start = np.searchsorted(first_keys, keys, "left")
    total = np.searchsorted(first_keys, keys, "right") - start
    shown = np.minimum(total, 5)
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(shown, out=offsets[1:])
    picks = np.repeat(start - offsets[:-1], shown) + np.arange(int(offsets[-1]))
    names = holder.take(pa.array(named[firsts[picks]]))
    names = pa.array([text(n, 40) for n in names.to_pylist()], pa.string())
    listed = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), names),
                            ", ")
    return pc.if_else(pa.array(total > 0), _join(
        "\nholder names: ", listed, pc.if_else(pa.array(total > 5), " \u2026", "")), "")
