"""A cluster page's template context: a pure function of the prepared data and a cluster id.

:func:`cluster_context` reads :class:`~.data.ReportData` and returns plain values for
``cluster.html``; it keeps no state between pages, so pages can be built in any order, in any
process. Every text from the data is scrubbed here (:meth:`~.data.ReportData.text`) and escaped
where it lands (Jinja's autoescape, :func:`~.text.json_for_script`).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache, lru_cache
from importlib import resources

import pandas as pd
from markupsafe import Markup, escape

from ..scoring import BURST_DAYS, BURST_STORES, RISK_FACTORS
from .data import Evidence, ReportData
from .graph import (
    EDGE_KINDS,
    FOLD_NODES,
    KIND_NAMES,
    KIND_STYLE,
    STORE_STYLE,
    SUMMARY_STORES,
    IdentNode,
    StoreNode,
    build_cluster_graph,
    graph_options,
    store_groups,
)
from .text import json_for_script, row_template, shorten
from .timeline import timeline

__all__ = ["KIND_NAMES", "STORE_ROWS", "cluster_context", "cluster_query", "cypher_box",
           "risk_class"]

#: at most this many rows in a page's stores table
STORE_ROWS = 5_000
FACTOR_HELP = {
    "suspended member": "{suspended} store(s) of the cluster are suspended",
    "reopened after ban": "{reopened} active store(s) opened after the cluster's first "
                          "suspension{first_ban}",
    "brand variant": "brands varying a suspended brand: {variants}",
    "burst": f"up to {{burst}} stores opened within {BURST_DAYS} days "
             f"(scores at {BURST_STORES} or more)",
    "size": "{size} stores (10 x log10(size) / 3)",
    "distinct ID holders": "{holders} distinct ID documents opened its stores",
}


def risk_class(risk: int) -> str:
    return "high" if risk >= 70 else "mid" if risk >= 40 else ""


@cache
def cluster_query() -> str:
    """The query of a cluster's "reproduce in Neo4j" box (``cluster.cypher``): a constant, the
    cluster id a parameter."""
    return resources.files(__package__).joinpath("cluster.cypher").read_text("utf-8").strip()


def cypher_box(cluster_id: str) -> str:
    """The cluster's query for Neo4j Browser or cypher-shell: a ``:param`` line, then
    :func:`cluster_query`, which holds no data. The id is a JSON string, which Cypher reads as
    a string literal: ASCII only, every quote, backslash, newline and control character escaped,
    so no id can end the literal or the line.

    >>> print(cypher_box("C1").splitlines()[0])
    :param cluster_id => "C1"
    """
    return f":param cluster_id => {json.dumps(cluster_id, ensure_ascii=True)}\n{cluster_query()}"


class _Links:
    """Per identifier of one page: its holder names; per link: the holder and role the
    records give."""

    def __init__(self, data: ReportData, members: list[int]) -> None:
        self.detail: dict[tuple[int, int], list[str]] = {}
        self.holders: dict[int, list[str]] = {}
        for s in members:
            for i, holder, who, where, _ in data.store_links(s):
                if holder:
                    names = self.holders.setdefault(i, [])
                    if holder not in names and len(names) < 6:
                        names.append(holder)
                if who or where:
                    self.detail.setdefault((s, i), []).extend(d for d in (who, where) if d)


def cluster_context(data: ReportData, cluster_id: str) -> dict:
    """The template context of one cluster's page."""
    code = data.code_of[cluster_id]
    cluster = data.cluster_rows[cluster_id]
    # a cluster's stores in the order of their rows (prepare sorted them so)
    members = data.members[data.bounds[code]:data.bounds[code + 1]].tolist()
    low, high = data.pair_bounds[code], data.pair_bounds[code + 1]
    if data.drawings.whole[code]:
        graph_json, count, notes, summary = _whole_graph(data, code, len(members), \
            int(high - low)), int(data.drawings.ident_count[code]), [], False
        kinds = sorted({data.idents[i].kind for i in data.pair_ident[low:high].tolist()},
                       key=list(KIND_STYLE).index)
        legend = _legend_rows(tuple(kinds), bool(data.drawings.bridged[code]), False)
    else:
        graph_json, count, notes, summary, legend = _folded_graph(data, code, members, low,
                                                                  high)
    risk = int(cluster["risk_score"])
    line = timeline([(data.stores[s].opened, data.stores[s].suspended_on, data.stores[s].store_id)
                     for s in members])
    return {
        "c": {
            "id": cluster_id,
            "size": f"{int(cluster['size']):,}",
            "risk": risk,
            "risk_class": risk_class(risk),
            "idents": f"{count:,}",
            "suspended": int(cluster["suspended"]),
            "linked": int(cluster["linked_to_suspended"]),
            "reopened": int(cluster["reopened_after_ban"]),
            "variants": data.text(str(cluster.get("brand_variants") or "").replace(";", ", ")),
            "bridges": int(cluster.get("bridges", 0) or 0),
            "brands": data.text(str(cluster.get("brands") or "").replace(";", ", "), 400),
            "change": str(cluster.get("change") or ""),
            "previous_ids": data.text(str(cluster.get("previous_ids") or ""), 200),
        },
        "legend": legend,
        "graph_notes": notes,
        "summary_view": summary,
        "graph_json": graph_json,
        "factors": _factors(data, cluster),
        "evidence": Markup(data.evidence_rows.of(code)),
        "weakest_merges": Markup(data.merge_rows.of(code)),
        "possible_links": Markup(data.possible_rows.of(code)),
        "timeline": line,
        "marks": _marks(line),
        "stores": _store_rows(data, code),
        "stores_omitted": f"{len(members) - STORE_ROWS:,}" if len(members) > STORE_ROWS
        else "",
        "cypher": cypher_box(cluster_id),
    }


def _whole_graph(data: ReportData, code: int, stores: int, edges: int) -> str:
    """The graph data of a cluster drawn whole: its nodes and edges as prepared
    (:mod:`.drawing`), the options of its size."""
    drawings = data.drawings
    nodes = drawings.stores.of(code) + drawings.idents.of(code)
    return (f'{{"nodes":[{nodes[:-1]}],"edges":[{drawings.edges.of(code)[:-1]}],"options":'
            f'{_options_json(stores + int(drawings.ident_count[code]), edges)}}}')


@lru_cache(maxsize=4_096)
def _options_json(nodes: int, edges: int) -> str:
    return json_for_script(_own_options(nodes, edges))


def _folded_graph(data: ReportData, code: int, members: list[int], low: int, high: int
                  ) -> tuple[str, int, list[str], bool, Markup]:
    """The graph data of a cluster too big to draw whole (:func:`.graph.build_cluster_graph`
    folds it), its number of identifiers, its notes, whether it opens on its summary, and its
    legend."""
    pair_store = data.pair_store[low:high].tolist()
    pair_ident = data.pair_ident[low:high].tolist()
    links = _Links(data, members)
    position = {s: k for k, s in enumerate(members)}
    ident_rows = _ident_rows(data.evidence, code)
    idents = sorted(set(pair_ident), key=lambda i: (
        not bool(ident_rows.get(i, {}).get("bridge", False)),
        -int(ident_rows.get(i, {}).get("store_count", 0)), data.idents[i].kind, i))
    ident_position = {i: k for k, i in enumerate(idents)}
    big = len(members) + len(idents) > FOLD_NODES
    pairs = [(position[s], ident_position[i], _edge_detail(links, s, i))
             for s, i in zip(pair_store, pair_ident, strict=True)]
    graph = build_cluster_graph(
        [_graph_store(data, s, title, big) for s, title in zip(
            members, data.store_titles.listed(code),
            strict=True)],
        [_graph_ident(data, links, i, ident_rows.get(i, {})) for i in idents], pairs)
    names = {f"s{s}": data.stores[s].store_id for s in members}
    names.update((f"i{i}", shorten(data.idents[i].display, 60)) for i in idents)
    details = {(f"s{members[s]}", f"i{idents[i]}"): detail for s, i, detail in pairs}
    graph_data = _graph_data(graph, names, details)
    if len(members) > SUMMARY_STORES:
        graph_data["summary"] = _summary(data, members, idents, pairs, graph_data["nodes"])
    kinds = sorted({data.idents[i].kind for i in idents}, key=list(KIND_STYLE).index)
    return (json_for_script(graph_data), len(idents), graph.notes, "summary" in graph_data,
            _legend(kinds, graph))


def _graph_data(graph, names: dict[str, str], details: dict[tuple[str, str], str]) -> dict:
    """The drawing as compact lists, which the page's script expands into vis-network's nodes
    and edges (cluster.js): nodes ``[id, label, tooltip, group, name]``, edges
    ``[from, to, kind, detail]`` with the kind a position in :data:`EDGE_KINDS`; an edge's
    tooltip is "<store> — <kind> <identifier>" and its detail (holder, role, address type).
    The options are those that differ from the shared ones (:func:`base_options`)."""
    kind_code = {kind: k for k, kind in enumerate(EDGE_KINDS)}
    colour_kind = {style[1]: kind for kind, style in KIND_STYLE.items()}
    nodes = [[n["id"], n.get("label", ""), n.get("title", ""), n.get("group", ""),
              names.get(n["id"], "")] for n in graph.nodes]
    edges = []
    for e in graph.edges:
        if str(e["from"]).startswith("f"):
            edges.append([e["from"], e["to"], kind_code["folded"], e.get("title", "")])
            continue
        kind = colour_kind.get(e.get("color"))
        edges.append([e["from"], e["to"], kind_code.get(kind, len(EDGE_KINDS)),
                      details.get((e["from"], e["to"]), "")])
    return {"nodes": nodes, "edges": edges,
            "options": _own_options(len(graph.nodes), len(graph.edges))}


@lru_cache(maxsize=4_096)
def _own_options(nodes: int, edges: int) -> dict:
    """The options of a graph of this size that differ from the shared ones (the same for
    every page of a size: made once; nobody changes them)."""
    return _difference(graph_options(nodes, edges), base_options())


@cache
def base_options() -> dict:
    """The vis-network options of a small graph, shared by every page (:mod:`.assets`)."""
    return graph_options(1, 0)


def _difference(options: dict, base: dict) -> dict:
    """The entries of ``options`` that ``base`` lacks or differs in, nested dicts compared
    key by key (the page's script merges them over the base).

    >>> _difference({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"b": 1, "c": 0}, "d": 3})
    {'a': {'c': 2}}
    """
    out = {}
    for key, value in options.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            inner = _difference(value, base[key])
            if inner:
                out[key] = inner
        elif key not in base or base[key] != value:
            out[key] = value
    return out


def _summary(data: ReportData, members: list[int], idents: list[int],
             pairs: list[tuple[int, int, str]], nodes: list[list]) -> dict:
    """The summary view of a big cluster (:func:`.graph.store_groups`): each drawn store's
    group (``group_of``, aligned with the nodes, -1 for identifiers and folded stores) and each
    group's ``[label, tooltip, size, holds a suspended store]``."""
    kinds = [data.idents[i].kind for i in idents]
    group, pooled = store_groups(len(members), kinds, pairs)
    sizes = Counter(group)
    suspended = Counter(g for g, s in zip(group, members, strict=True)
                        if data.stores[s].status == "suspended")
    keys: dict[int, str] = {}
    for s, i, _ in pairs:
        if kinds[i] == "id_document" and group[s] not in keys and group[s] != pooled:
            keys[group[s]] = data.idents[idents[i]].display
    ids: dict[int, list[str]] = {}
    for g, s in zip(group, members, strict=True):
        shown = ids.setdefault(g, [])
        if len(shown) < 20:
            shown.append(data.stores[s].store_id)
    groups = []
    for g in range(len(sizes)):
        more = f" \u2026 and {sizes[g] - 20:,} more" if sizes[g] > 20 else ""
        if g == pooled:
            label = f"{sizes[g]:,} other stores"
            what = (f"{sizes[g]:,} store(s) sharing no ID document or payment account with "
                    "another store of the cluster, or in its smallest groups")
        else:
            label = f"{sizes[g]:,} stores" + (f"\n{shorten(keys[g], 24)}" if g in keys else "")
            what = f"{sizes[g]:,} stores" + (f" opened with ID {keys[g]}" if g in keys else
                                             " paid to one account")
        title = (what + (f"; {suspended[g]:,} suspended" if suspended[g] else "")
                 + f"\n{', '.join(ids[g])}{more}\nClick to show its stores.")
        groups.append([label, title, sizes[g], bool(suspended[g])])
    node_group = {f"s{s}": g for s, g in zip(members, group, strict=True)}
    return {"groups": groups, "group_of": [node_group.get(n[0], -1) for n in nodes]}


def _graph_store(data: ReportData, s: int, title: str, big: bool) -> StoreNode:
    store = data.stores[s]
    name = shorten(store.name, 60)
    label = store.store_id if big or not name else \
        f"{shorten(store.store_id, 24)}\n{shorten(name, 22)}"
    status = store.status or "active"
    flagged = status == "suspended" or store.reopened or bool(store.variant_of)
    return StoreNode(node_id=f"s{s}", label=label, title=title,
                      status=status, linked_to_suspended=store.linked, flagged=flagged)


def _graph_ident(data: ReportData, links: _Links, i: int, row: dict) -> IdentNode:
    ident = data.idents[i]
    count = int(row.get("store_count", 0) or 0)
    lines = [f"{KIND_NAMES.get(ident.kind, ident.kind)}: {ident.display}",
             f"shared by {count:,} stores of this cluster"]
    if ident.reason:
        lines.append(f"why it links: {data.text(ident.reason, 160)}")
    bridge = bool(row.get("bridge", False))
    if bridge:
        lines.append(f"BRIDGE: removing it splits the cluster ({row.get('splits_into', '')})")
    merged = int(row.get("merged_keys", 1) or 1)
    if merged > 1:
        lines.append(f"{merged} near-duplicate keys, merged as one")
    holders = links.holders.get(i, [])
    if holders:
        lines.append("holder names: " + ", ".join(data.text(h, 40) for h in holders[:5])
                     + (" \u2026" if len(holders) > 5 else ""))
    return IdentNode(node_id=f"i{i}", kind=ident.kind, label=shorten(ident.display, 28),
                      title="\n".join(lines), bridge=bridge, store_count=count)


def _edge_detail(links: _Links, s: int, i: int) -> str:
    """What the records say of one store-identifier link (holder, role, address type)."""
    return "; ".join(links.detail.get((s, i), [])[:3])


def _ident_rows(evidence: Evidence, code: int) -> dict[int, dict]:
    """The evidence of each identifier of cluster ``code``: its stores, bridge, splits and
    merged keys."""
    low, high = evidence.bounds[code], evidence.bounds[code + 1]
    return {i: {"store_count": count, "bridge": bridge, "splits_into": splits,
                "merged_keys": merged}
            for i, count, bridge, splits, merged in zip(
                evidence.ident[low:high].tolist(), evidence.store_count[low:high].tolist(),
                evidence.bridge[low:high].tolist(), evidence.splits[low:high],
                evidence.merged_keys[low:high].tolist(), strict=True) if i >= 0}


def _store_rows(data: ReportData, code: int) -> Markup:
    """The stores table's rows (made by :func:`.data.prepare`), in the order the stores opened:
    at most STORE_ROWS."""
    return Markup(data.store_rows.of(code, STORE_ROWS))


def _legend(kinds: list[str], graph) -> Markup:
    """The legend's items (``cluster-legend-row.html``): a CSS symbol class
    (``lg-<shape> lg-<group>``) and a name each; made once per set of kinds."""
    bridge = any(str(node.get("group", "")).endswith("-bridge") for node in graph.nodes)
    return _legend_rows(tuple(kinds), bridge, bool(graph.folded_stores))


@cache
def _legend_rows(kinds: tuple[str, ...], bridge: bool, folded: bool) -> Markup:
    items = [(f"lg-dot lg-store-{status}", name) for status, (_, name) in STORE_STYLE.items()]
    items.append(("lg-dot lg-store-active-linked", "linked to a suspended store"))
    for kind in kinds:
        shape, _, name, _ = KIND_STYLE[kind]
        items.append((f"lg-{shape} lg-{kind}", name))
    if bridge:
        items.append(("lg-bridge", "bridge (thick border)"))
    if folded:
        items.append(("lg-dot lg-folded", "folded stores"))
    row = row_template("cluster-legend-row.html")
    return Markup("".join(row.format(symbol=escape(symbol), name=escape(name))
                          for symbol, name in items))


def _marks(line: dict) -> Markup:
    """The timeline's year or month marks and its ticks (``cluster-label-row.html``,
    ``cluster-tick-row.html``), from :func:`.timeline.timeline`; only the ticks' titles come
    from the data."""
    if not line["ticks"]:
        return Markup("")
    label, tick = row_template("cluster-label-row.html"), row_template("cluster-tick-row.html")
    low, high, bottom = line["mid"] - 3, line["mid"] + 3, line["height"] - 4
    rows = [label.format(x=mark["x"], low=low, high=high, bottom=bottom,
                         text=escape(mark["text"])) for mark in line["labels"]]
    rows += [tick.format(kind=t["kind"], x=t["x"], y=t["y"], h=t["h"], title=escape(t["title"]))
             for t in line["ticks"]]
    return Markup("".join(rows))


def _factors(data: ReportData, cluster: dict) -> Markup:
    """The risk factors table's rows (``cluster-factor-row.html``): each factor's points, its
    maximum and the facts behind it."""
    points: dict[str, str] = {}
    for part in str(cluster.get("risk_factors") or "").split(";"):
        name, _, value = part.strip().rpartition(" +")
        if name:
            points[name] = value
    first_ban = cluster.get("first_suspension")
    when = ""
    if first_ban is not None and not pd.isna(first_ban):
        when = f" ({pd.Timestamp(first_ban).date().isoformat()})"
    facts = {
        "suspended": int(cluster.get("suspended", 0) or 0),
        "reopened": int(cluster.get("reopened_after_ban", 0) or 0),
        "first_ban": when,
        "variants": data.text(str(cluster.get("brand_variants") or "").replace(";", ", "))
        or "none",
        "burst": int(cluster.get("burst", 0) or 0),
        "size": f"{int(cluster.get('size', 0) or 0):,}",
        "holders": int(cluster.get("holders", 0) or 0),
    }
    row = row_template("cluster-factor-row.html")
    return Markup("".join(
        row.format(name=escape(name), points=escape(points.get(name, "0")), max=maximum,
                   why=escape(FACTOR_HELP.get(name, "").format(**facts)))
        for name, maximum in RISK_FACTORS.items()))
