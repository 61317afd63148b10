"""The graph of one cluster as vis-network data: nodes, edges, styles and folding.

A cluster page draws its stores and the identifiers that tie them, as pyvis's node and edge
dictionaries (built with its ``Node`` and ``Edge`` classes: ``Network.add_edge`` scans every edge
added before, which is quadratic in a big cluster). Above
:data:`FOLD_NODES` nodes the drawing keeps every store and only the identifiers that tie them
(a spanning set: bridges first, then personal evidence), and folds the rest, which stay in the
evidence table. A cluster too big to draw even so folds its unflagged stores that hang off a
single identifier into one "+N stores" node per identifier.

Everything here is plain data; the page escapes it (JSON in a data block, text tooltips).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyvis.edge import Edge
from pyvis.node import Node

__all__ = ["EDGE_KINDS", "FOLD_NODES", "GROUPS", "KIND_NAMES", "KIND_STYLE", "STORE_STYLE",
           "SUMMARY_STORES",
           "ClusterGraph", "IdentNode", "StoreNode", "build_cluster_graph", "graph_options",
           "legend_css", "store_groups"]

#: above this many nodes, identifiers that tie nothing new are folded
FOLD_NODES = 300
#: above this many stores, unflagged stores hanging off one identifier are folded into one node
FOLD_STORES = 1_200
#: never draw more than this many nodes
MAX_NODES = 2_000
#: a cluster of more stores than this opens on its summary view: groups of stores as nodes
SUMMARY_STORES = 300
#: at most this many groups in a summary view (the smallest are pooled into one)
SUMMARY_GROUPS = 100
#: identifier kinds that make stores one group of the summary view (one legal entity and its
#: money: the same ID document, or the same payment account)
GROUP_KINDS = ("id_document", "payment")

#: identifier kind -> (vis shape, colour, legend name, edge label)
KIND_STYLE = {
    "id_document": ("square", "#59a14f", "ID document", "ID"),
    "payment": ("diamond", "#edc948", "payment account", "pays to"),
    "phone": ("triangle", "#b07aa1", "phone", "phone"),
    "email": ("triangleDown", "#ff9da7", "e-mail", "e-mail"),
    "address": ("hexagon", "#9c755f", "address", "address"),
}
#: identifier kind -> its name on the pages
KIND_NAMES = {kind: style[2] for kind, style in KIND_STYLE.items()}
#: edge kinds of a page's graph data, by position (the page's script styles edges by kind)
EDGE_KINDS = (*KIND_STYLE, "folded")
#: store status -> (colour, legend name); stores are dots
STORE_STYLE = {
    "active": ("#4e79a7", "active store"),
    "closed": ("#bab0ac", "closed store"),
    "suspended": ("#e15759", "suspended store"),
}
LINKED_BORDER = "#f28e2b"
BRIDGE_BORDER = "#222222"
FOLDED_COLOR = "#d7d7d7"
_KIND_ORDER = {"id_document": 0, "payment": 1, "address": 2, "phone": 3, "email": 4}


@dataclass
class StoreNode:
    """A store as the drawing needs it (text is plain, escaped by the page)."""

    node_id: str
    label: str
    title: str
    status: str
    linked_to_suspended: bool = False
    flagged: bool = False  # suspended, reopened after a ban or a brand variant: never folded


@dataclass
class IdentNode:
    """A linking identifier of the cluster."""

    node_id: str
    kind: str
    label: str
    title: str
    bridge: bool = False
    store_count: int = 0


@dataclass
class ClusterGraph:
    """vis-network nodes and edges of one cluster, with what was folded."""

    nodes: list[dict]
    edges: list[dict]
    total_stores: int
    total_idents: int
    folded_idents: int = 0
    folded_stores: int = 0
    omitted_stores: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def folded(self) -> bool:
        return bool(self.folded_idents or self.folded_stores or self.omitted_stores)


def build_cluster_graph(
    stores: list[StoreNode],
    idents: list[IdentNode],
    links: list[tuple[int, int, str]],
) -> ClusterGraph:
    """Nodes and edges for a cluster, folded when it is too big to read.

    Parameters
    ----------
    stores, idents : the cluster's stores and linking identifiers.
    links : ``(store position, identifier position, edge tooltip)`` per store-identifier link.

    Returns
    -------
    ClusterGraph with node and edge dictionaries in vis-network's format.

    Examples
    --------
    >>> s = [StoreNode("s0", "S1", "S1", "active"), StoreNode("s1", "S2", "S2", "suspended")]
    >>> i = [IdentNode("i0", "payment", "**** 3445", "an account", store_count=2)]
    >>> g = build_cluster_graph(s, i, [(0, 0, ""), (1, 0, "")])
    >>> [n["id"] for n in g.nodes], len(g.edges), g.folded
    (['s0', 's1', 'i0'], 2, False)

    Notes
    -----
    Folding is linear in links after sorting the identifiers (union-find over the stores).
    """
    total_stores, total_idents = len(stores), len(idents)
    keep_ident = [True] * len(idents)
    notes: list[str] = []
    folded_idents = 0
    if total_stores + total_idents > FOLD_NODES:
        keep_ident = _tying_identifiers(len(stores), idents, links)
        folded_idents = keep_ident.count(False)
        if folded_idents:
            notes.append(f"{folded_idents:,} of {total_idents:,} identifiers are folded: the "
                         "stores they link are already tied by the identifiers drawn. All are in "
                         "the evidence table.")
    links = [link for link in links if keep_ident[link[1]]]

    keep_store = [True] * len(stores)
    folds: dict[int, list[int]] = {}
    if total_stores > FOLD_STORES:
        folds = _foldable_stores(stores, links)
        for members in folds.values():
            for s in members:
                keep_store[s] = False
    folded_stores = sum(len(m) for m in folds.values())
    if folded_stores:
        notes.append(f"{folded_stores:,} stores that hang off a single identifier and carry no "
                     "suspension, ban-evasion or brand flag are folded into \"+N stores\" nodes. "
                     "All are in the stores table.")

    omitted = 0
    drawn = sum(keep_store) + len(folds) + sum(keep_ident)
    if drawn > MAX_NODES:
        keep_store, keep_ident, omitted = _truncate(stores, idents, links, keep_store,
                                                    keep_ident, folds)
        notes.append(f"{omitted:,} more stores are not drawn (the graph would be unreadable). "
                     "All are in the stores table.")

    nodes: list[dict] = []
    edges: list[dict] = []
    for s, store in enumerate(stores):
        if keep_store[s]:
            nodes.append(_store_node(store))
    for i, ident in enumerate(idents):
        if keep_ident[i]:
            nodes.append(_ident_node(ident))
    for i, members in sorted(folds.items()):
        if keep_ident[i]:
            nodes.append(_folded_node(idents[i], [stores[s] for s in members]))
            edges.append(_edge(f"f{idents[i].node_id}", idents[i].node_id, idents[i].kind,
                               f"{len(members):,} stores, each linked only through this "
                               "identifier", width=3))
    for s, i, title in links:
        if keep_store[s] and keep_ident[i]:
            edges.append(_edge(stores[s].node_id, idents[i].node_id, idents[i].kind, title))

    return ClusterGraph(nodes, edges, total_stores, total_idents, folded_idents, folded_stores,
                        omitted, notes)


def store_groups(n_stores: int, kinds: list[str], links: list[tuple[int, int, str]]
                 ) -> tuple[list[int], int]:
    """The summary view's group of each store, and the number of the pooled group (-1 if none).

    A store's group is the legal entity that opened it: the ID document it shares with other
    stores of the cluster (the one shared by the most, if several); failing that, the payment
    account it shares (:data:`GROUP_KINDS`). Each store is in one group and groups are not
    chained: an account paying several entities' stores ties their groups, it does not merge
    them. An identifier that alone ties more than half of the cluster groups nothing (it would
    make the summary one node): the page draws it as itself, tied to the groups. The
    :data:`SUMMARY_GROUPS` - 1 biggest groups are kept; the stores of the others, and those that
    share neither, are pooled into one group. Groups are numbered biggest first (ties by first
    store), the pooled one last.

    >>> store_groups(5, ["id_document", "phone"], [(0, 0, ""), (1, 0, ""), (2, 1, ""), (3, 1, "")])
    ([0, 0, 1, 1, 1], 1)
    """
    stores_of: dict[int, set[int]] = {}
    for s, i, _ in links:
        if kinds[i] in GROUP_KINDS:
            stores_of.setdefault(i, set()).add(s)
    rank = {kind: k for k, kind in enumerate(GROUP_KINDS)}
    best: dict[int, tuple] = {}
    for i, members in stores_of.items():
        if len(members) < 2 or len(members) * 2 > n_stores:
            continue
        key = (rank[kinds[i]], -len(members), i)
        for s in members:
            if s not in best or key < best[s]:
                best[s] = key
    by_ident: dict[int, list[int]] = {}
    for s in range(n_stores):
        if s in best:
            by_ident.setdefault(best[s][2], []).append(s)
    ranked = sorted((m for m in by_ident.values() if len(m) > 1),
                    key=lambda members: (-len(members), members[0]))
    kept = ranked[:SUMMARY_GROUPS - 1]
    group = [len(kept)] * n_stores
    for number, members in enumerate(kept):
        for s in members:
            group[s] = number
    return group, (len(kept) if sum(map(len, kept)) < n_stores else -1)


def graph_options(node_count: int, edge_count: int) -> dict:
    """vis-network options: a fixed seed, physics that stops after stabilization, no widgets.

    Nothing from the data goes into the options. The node styles (:data:`GROUPS`) are the same
    on every page, so they travel with the page's script (:mod:`.assets`), not in each page.
    """
    big = node_count > FOLD_NODES or edge_count > 2 * FOLD_NODES
    iterations = max(100, min(1_000, 200_000 // max(node_count, 1)))
    return {
        "autoResize": True,
        "layout": {"randomSeed": 7, "improvedLayout": node_count <= 150},
        "physics": {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -45, "centralGravity": 0.01,
                                 "springLength": 80, "springConstant": 0.08, "damping": 0.5,
                                 "avoidOverlap": 0.3},
            "stabilization": {"enabled": True, "iterations": iterations, "updateInterval": 50,
                              "fit": True},
            "minVelocity": 1.0,
            "timestep": 0.5,
        },
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False,
                        "keyboard": False, "multiselect": False, "hideEdgesOnDrag": big,
                        "hideEdgesOnZoom": big},
        "nodes": {"size": 14, "borderWidth": 1.5,
                  "font": {"size": 11 if big else 12, "face": "sans-serif", "color": "#222222"}},
        "edges": {"smooth": False if big else {"enabled": True, "type": "continuous",
                                               "roundness": 0.3},
                  "width": 1.2, "selectionWidth": 2,
                  "font": {"size": 0 if big else 9, "face": "sans-serif", "color": "#555555",
                           "strokeWidth": 3, "align": "middle"}},
    }


# -- folding -----------------------------------------------------------------------------------


def _tying_identifiers(n_stores: int, idents: list[IdentNode],
                       links: list[tuple[int, int, str]]) -> list[bool]:
    """A spanning set: each kept identifier ties stores that no identifier before it tied."""
    from scipy.cluster.hierarchy import DisjointSet

    sets = DisjointSet(range(n_stores))
    stores_of: list[list[int]] = [[] for _ in idents]
    for s, i, _ in links:
        stores_of[i].append(s)
    order = sorted(range(len(idents)), key=lambda i: (
        not idents[i].bridge, _KIND_ORDER.get(idents[i].kind, 9), -len(stores_of[i]), i))
    keep = [False] * len(idents)
    for i in order:
        members = stores_of[i]
        if not members:
            continue
        for s in members[1:]:
            if sets.merge(members[0], s):  # True when it joins two groups of stores
                keep[i] = True
    return keep


def _foldable_stores(stores: list[StoreNode],
                     links: list[tuple[int, int, str]]) -> dict[int, list[int]]:
    """Unflagged stores with a single drawn identifier, grouped by it (groups of 3 or more)."""
    degree = [0] * len(stores)
    only: list[int] = [-1] * len(stores)
    for s, i, _ in links:
        degree[s] += 1
        only[s] = i
    groups: dict[int, list[int]] = {}
    for s, store in enumerate(stores):
        if degree[s] == 1 and not (store.flagged or store.linked_to_suspended
                                   or store.status == "suspended"):
            groups.setdefault(only[s], []).append(s)
    return {i: members for i, members in groups.items() if len(members) >= 3}


def _truncate(stores, idents, links, keep_store, keep_ident, folds):
    """Keep the first MAX_NODES nodes in breadth-first order from the flagged stores."""
    from collections import deque

    neighbours: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for s, i, _ in links:
        if keep_store[s] and keep_ident[i]:
            neighbours.setdefault(("s", s), []).append(("i", i))
            neighbours.setdefault(("i", i), []).append(("s", s))
    starts = [("s", s) for s, st in enumerate(stores) if keep_store[s] and st.flagged]
    starts += [("s", s) for s in range(len(stores)) if keep_store[s]]
    seen: set = set()
    budget = MAX_NODES - len(folds)
    queue: deque = deque()
    for start in starts:
        if len(seen) >= budget:
            break
        if start in seen:
            continue
        seen.add(start)
        queue.append(start)
        while queue and len(seen) < budget:
            for nxt in neighbours.get(queue.popleft(), ()):
                if nxt not in seen and len(seen) < budget:
                    seen.add(nxt)
                    queue.append(nxt)
    new_store = [keep_store[s] and ("s", s) in seen for s in range(len(stores))]
    new_ident = [keep_ident[i] and (("i", i) in seen or i in folds) for i in range(len(idents))]
    omitted = sum(keep_store) - sum(new_store)
    return new_store, new_ident, omitted


# -- nodes and edges ---------------------------------------------------------------------------


def _store_group(store: StoreNode) -> str:
    status = store.status if store.status in STORE_STYLE else "active"
    return f"store-{status}" + ("-linked" if store.linked_to_suspended else "")


def _store_node(store: StoreNode) -> dict:
    return Node(store.node_id, "dot", label=store.label, title=store.title,
                group=_store_group(store)).options


def _ident_node(ident: IdentNode) -> dict:
    shape = KIND_STYLE.get(ident.kind, ("dot",))[0]
    group = ident.kind if ident.kind in KIND_STYLE else "other"
    return Node(ident.node_id, shape, label=ident.label, title=ident.title,
                group=group + ("-bridge" if ident.bridge else "")).options


def _folded_node(ident: IdentNode, members: list[StoreNode]) -> dict:
    shown = ", ".join(m.label.split("\n")[0] for m in members[:40])
    more = f" and {len(members) - 40:,} more" if len(members) > 40 else ""
    return Node(f"f{ident.node_id}", "dot", label=f"+{len(members):,} stores",
                title=f"{len(members):,} folded stores linked only through this identifier:\n"
                      f"{shown}{more}", group="folded").options


def _edge(source: str, target: str, kind: str, title: str, width: float = 1.2) -> dict:
    _, colour, _, label = KIND_STYLE.get(kind, ("dot", "#888888", "", kind))
    return Edge(source, target, directed=False, label=label, title=title or label,
                color=colour, width=width).options


def _darker(colour: str) -> str:
    value = int(colour[1:], 16)
    r, g, b = (value >> 16) & 255, (value >> 8) & 255, value & 255
    return "#{:02x}{:02x}{:02x}".format(*(int(c * 0.7) for c in (r, g, b)))


def _group(shape: str, fill: str, border: str, width: float, size: int) -> dict:
    return {"shape": shape, "size": size, "borderWidth": width,
            "color": {"background": fill, "border": border,
                      "highlight": {"background": fill, "border": "#000000"},
                      "hover": {"background": fill, "border": "#000000"}}}


def _groups() -> dict[str, dict]:
    groups: dict[str, dict] = {}
    for status, (fill, _) in STORE_STYLE.items():
        size = 16 if status == "suspended" else 13
        groups[f"store-{status}"] = _group("dot", fill, _darker(fill), 1.5, size)
        groups[f"store-{status}-linked"] = _group("dot", fill, LINKED_BORDER, 4, size)
    for kind, (shape, fill, _, _) in KIND_STYLE.items():
        groups[kind] = _group(shape, fill, _darker(fill), 1.5, 11)
        groups[f"{kind}-bridge"] = _group(shape, fill, BRIDGE_BORDER, 3.5, 11)
    groups["other"] = _group("dot", "#888888", "#555555", 1.5, 11)
    groups["other-bridge"] = _group("dot", "#888888", BRIDGE_BORDER, 3.5, 11)
    groups["folded"] = _group("dot", FOLDED_COLOR, "#8a8a8a", 1.5, 20)
    groups["summary"] = _group("dot", "#a0cbe8", "#4e79a7", 2, 24)
    groups["summary-flagged"] = _group("dot", "#ff9d9a", "#e15759", 3, 26)
    return groups


#: vis-network groups: the style of every kind of node, sent once per page
GROUPS = _groups()


#: CSS clip paths of the legend's shapes (a dot is a circle, a square needs none)
_CLIP = {
    "diamond": "polygon(50% 0, 100% 50%, 50% 100%, 0 50%)",
    "triangle": "polygon(50% 0, 100% 100%, 0 100%)",
    "triangleDown": "polygon(0 0, 100% 0, 50% 100%)",
    "hexagon": "polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)",
}


def legend_css() -> str:
    """The legend's symbols as CSS classes (``lg-<group>``), from the same styles as the graph,
    so a page's legend is a class name per item."""
    rules = [".lg{display:inline-block;width:13px;height:13px;border:1px solid #555;"
             "flex:none}", ".lg-dot{border-radius:50%}"]
    rules += [f".lg-{shape}{{clip-path:{clip};border:0}}" for shape, clip in _CLIP.items()]
    rules.append(f".lg-bridge{{background:#fff;border:3px solid {BRIDGE_BORDER}}}")
    for name, style in GROUPS.items():
        colour, width = style["color"], min(style["borderWidth"], 3)
        rules.append(f".lg-{name}{{background:{colour['background']};"
                     f"border-color:{colour['border']};border-width:{width}px}}")
    return "\n".join(rules) + "\n"
