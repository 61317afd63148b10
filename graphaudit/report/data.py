"""The report's prepared data set: the facts every page draws on, made once and never changed.

A million-store analysis has pages for a few hundred thousand stores at most. :func:`prepare`
turns only those stores (and the identifiers they show) into Python values, grouped by cluster
with one sort, so the cost of a report grows with the data, not with clusters x stores. The
result, :class:`ReportData`, is read by the page contexts (:mod:`.context`) and the index
(:mod:`.index`) and written to by nobody: forked page writers share it without copying.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..analysis import Analysis
from ..linkage.evidence import address_texts
from ..privacy import display_identifiers, escape_column, scrub, scrub_column
from .text import filled, shorten, shortened

__all__ = ["HUB_ROWS", "LINK_ROWS", "Ident", "ReportData", "Store", "prepare", "shown_text"]

#: at most this many rows in the index's hubs table
HUB_ROWS = 5_000
#: merges and possible links shown per cluster page (the weakest merges first)
LINK_ROWS = 20
#: remember at most this many scrubbed texts (brands, marketplaces and reasons recur)
TEXT_CACHE = 200_000


class Store(NamedTuple):
    """One store of a page, its fields as text ("" where missing); the free text (name, brand,
    marketplace, reason, variant_of, reasons) already scrubbed (:func:`prepare`), so a page only
    shortens it."""

    store_id: str
    name: str
    brand: str
    marketplace: str
    opened: str
    status: str
    suspended_on: str
    reason: str
    linked: bool
    reopened: bool
    variant_of: str
    reasons: str


class Ident(NamedTuple):
    """One identifier (canonical number) as the pages show it."""

    kind: str
    display: str  # masked with its #tag, or an address's scrubbed text
    status: str  # the hub decision ("" when none)
    reason: str
    decided: bool  # whether the linkage decided on it (else the evidence row's status stands)


class Links(NamedTuple):
    """The store-identifier link rows of a report's stores, a list per column (a tuple per
    row would be millions of objects at 1,000,000 stores): what the records said about each
    link, the holder name and the raw text scrubbed."""

    ident: list[int]
    holder: list[str]
    role: list[str]
    address_type: list[str]
    raw: list[str]


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the pages of one report show, keyed by store and identifier number.

    Built by :func:`prepare`; nothing here changes afterwards.
    """

    analysis: Analysis
    show_pii: bool
    selected: tuple[str, ...]
    code_of: dict[str, int]
    #: store rows of the selected clusters, cluster by cluster (``bounds`` per cluster code)
    members: np.ndarray
    bounds: np.ndarray
    #: linking (store, identifier) pairs, cluster by cluster (``pair_bounds``)
    pair_store: np.ndarray
    pair_ident: np.ndarray
    pair_bounds: np.ndarray
    stores: dict[int, Store]
    #: each store's row of a page's stores table, as HTML (``cluster-store-row.html``)
    store_rows: dict[int, str]
    idents: dict[int, Ident]
    #: every link of a page's stores, store by store: rows link_bounds[s]:link_bounds[s + 1]
    links: Links
    link_bounds: np.ndarray
    evidence: dict[str, list[dict]]
    weighed: dict[str, dict[str, list[dict]]]
    cluster_rows: dict[str, dict]

    def text(self, value: str, limit: int = 200) -> str:
        """Free text scrubbed of personal data (unless show_pii) and shortened."""
        return shown_text(value, limit, self.show_pii)

    def store_links(self, s: int) -> Iterator[tuple[int, str, str, str, str]]:
        """Store ``s``'s links as ``(ident, holder, role, address_type, raw)``."""
        low, high = self.link_bounds[s], self.link_bounds[s + 1]
        return zip(*(column[low:high] for column in self.links), strict=True)


@lru_cache(maxsize=TEXT_CACHE)
def shown_text(value: str, limit: int, show_pii: bool) -> str:
    """:func:`~graphaudit.privacy.scrub` then :func:`~.text.shorten`; remembered, as brands,
    marketplaces and reasons come back on every page."""
    return shorten(scrub(value, show_pii), limit)


def _values(frame: pd.DataFrame, name: str, rows: np.ndarray) -> list[str]:
    """``frame[name]`` at ``rows`` as text ("" where missing or no such column)."""
    if name not in frame:
        return [""] * len(rows)
    return frame[name].take(rows).fillna("").astype(str).tolist()


def _flags(frame: pd.DataFrame, name: str, rows: np.ndarray) -> list[bool]:
    return frame[name].take(rows).fillna(False).astype(bool).tolist()


def aligned(flags: pd.DataFrame, stores: pd.DataFrame) -> bool:
    """Whether the per-store flags are in the linkage's store order (they are after analyze)."""
    if len(flags) != len(stores):
        return False
    ours, theirs = (pa.array(frame["store_id"], from_pandas=True).cast(pa.large_string())
                    for frame in (flags, stores))
    return bool(pc.all(pc.equal(ours, theirs).fill_null(False)).as_py() is not False)


def prepare(analysis: Analysis, selected: list[str], show_pii: bool, secret: bytes
            ) -> ReportData:
    """The prepared data of the pages of ``selected`` clusters (and of the index's hubs).

    Only these clusters' stores and identifiers become Python values; the rest of the analysis
    stays in its Arrow-backed frames, which the index sums.
    """
    linkage = analysis.linkage
    n_stores = len(linkage.graph.stores)
    codes = cluster_codes(analysis, selected)
    members = np.flatnonzero(codes >= 0)
    members = members[np.argsort(codes[members], kind="stable")]
    bounds = np.searchsorted(codes[members], np.arange(len(selected) + 1))
    pair_store, pair_ident = linkage.linking_pairs()
    pair_codes = codes[pair_store]
    pairs = np.flatnonzero(pair_codes >= 0)
    pairs = pairs[np.argsort(pair_codes[pairs], kind="stable")]
    links, link_bounds, link_idents = _links(analysis, members, n_stores, show_pii)
    chosen = pa.array(selected, type=pa.string())
    evidence = _evidence_by_cluster(analysis, chosen)
    weighed = _weighed_links(analysis, chosen, show_pii, secret)
    evidence_idents = [int(row["ident"]) for rows in evidence.values() for row in rows]
    hubs = analysis.hubs.head(HUB_ROWS)
    idents = _idents(analysis, np.concatenate([
        pair_ident[pairs], link_idents, np.array(evidence_idents, dtype=np.int64),
        hubs["ident"].to_numpy(dtype=np.int64) if "ident" in hubs else []]), show_pii, secret)
    clusters = analysis.clusters
    rows = clusters[among(clusters["cluster_id"], chosen)].to_dict("records")
    stores, store_rows = _stores(analysis, members, show_pii)
    return ReportData(
        analysis=analysis, show_pii=show_pii, selected=tuple(selected),
        code_of={cluster_id: code for code, cluster_id in enumerate(selected)},
        members=members, bounds=bounds, pair_store=pair_store[pairs],
        pair_ident=pair_ident[pairs],
        pair_bounds=np.searchsorted(pair_codes[pairs], np.arange(len(selected) + 1)),
        stores=stores, store_rows=store_rows, idents=idents, links=links,
        link_bounds=link_bounds, evidence=evidence, weighed=weighed,
        cluster_rows={row["cluster_id"]: row for row in rows},
    )


def cluster_codes(analysis: Analysis, selected: list[str]) -> np.ndarray:
    """Per store of the linkage: the position of its cluster in ``selected``, or -1."""
    codes = pc.index_in(pa.array(analysis.linkage.cluster_id, from_pandas=True, type=pa.string()),
                        value_set=pa.array(selected, type=pa.string()))
    return codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def among(column: pd.Series, chosen: pa.Array) -> np.ndarray:
    """Which values of a text column are in ``chosen``, asked of Arrow (pandas' ``isin`` on an
    Arrow column makes a scalar per value of the set: seconds for a report's clusters)."""
    found = pc.is_in(pa.array(column, from_pandas=True, type=pa.string()), value_set=chosen)
    return found.to_numpy(zero_copy_only=False).astype(bool)


def _scrubbed(values: list[str], show_pii: bool) -> list[str]:
    """:func:`~graphaudit.privacy.scrub` of each value, a column at a time."""
    return scrub_column(pa.array(values, pa.string()), show_pii).to_pylist()


def _stores(analysis: Analysis, rows: np.ndarray, show_pii: bool
            ) -> tuple[dict[int, Store], dict[int, str]]:
    """Per-store facts of the stores ``rows`` (positions in the linkage's store table), free
    text scrubbed a column at a time (each page scrubbed its stores' texts one by one), and
    their rows of the stores table (:func:`_store_rows`)."""
    stores = analysis.linkage.graph.stores
    columns = [_values(stores, name, rows) for name in (
        "store_id", "name", "brand", "marketplace", "opened_on", "status", "suspended_on",
        "status_reason")]
    flags, at = analysis.stores, rows
    if not aligned(flags, stores):
        flags = flags.set_index("store_id").reindex(columns[0]).reset_index()
        at = np.arange(len(rows))
    columns += [_flags(flags, "linked_to_suspended", at), _flags(flags, "reopened_after_ban", at),
                _values(flags, "variant_of", at), _values(flags, "reasons", at)]
    for k in (1, 2, 3, 7, 10, 11):  # name, brand, marketplace, reason, variant_of, reasons
        columns[k] = _scrubbed(columns[k], show_pii)
    stores = {s: Store(*values) for s, *values in zip(rows.tolist(), *columns, strict=True)}
    return stores, _store_rows(rows, columns)


def _store_rows(rows: np.ndarray, columns: list[list]) -> dict[int, str]:
    """The stores table's row of each store, put together a column at a time in Arrow from
    ``cluster-store-row.html``, every value escaped as autoescape would (a Jinja loop over
    the rows of every page was a fifth of its rendering)."""
    def text(k: int, limit: int | None = None) -> pa.Array:
        values = pa.array(columns[k], pa.string())
        return escape_column(shortened(values, limit) if limit else values)

    status = pa.array(columns[5], pa.string())
    status = pc.if_else(pc.equal(status, ""), "active", status)
    parts = {
        "node": pa.array(rows).cast(pa.string()), "opened": text(4), "id": text(0),
        "name": text(1, 120), "brand": text(2, 80), "marketplace": text(3, 40),
        "status": pc.if_else(pc.equal(status, "suspended"),
                             '<span class="pill bad">suspended</span>', escape_column(status)),
        "suspended_on": text(6), "reason": text(7, 300), "flags": text(11, 300),
    }
    return dict(zip(rows.tolist(), filled("cluster-store-row.html", parts).to_pylist(),
                    strict=True))


def _links(analysis: Analysis, stores: np.ndarray, n_stores: int, show_pii: bool
           ) -> tuple[Links, np.ndarray, np.ndarray]:
    """The link rows of ``stores``, sorted by store, with bounds per store row; the holder
    names and the raw text scrubbed."""
    linkage = analysis.linkage
    graph = linkage.graph
    chosen = np.zeros(n_stores, dtype=bool)
    chosen[stores] = True
    rows = np.flatnonzero(chosen[graph.link_store])
    rows = rows[np.argsort(graph.link_store[rows], kind="stable")]
    link_bounds = np.searchsorted(graph.link_store[rows], np.arange(n_stores + 1))
    link_ident = linkage.canonical[graph.link_ident[rows]]
    columns = [_values(graph.links, name, rows) for name in ("holder_name", "role", "address_type")]
    columns[0] = _scrubbed(columns[0], show_pii)
    # A page shows a link's raw text only for an address (the raw text of a phone, an ID or an
    # account is the identifier itself, shown masked from its key): the others are left "",
    # not scrubbed (at 200,000 stores they were most of the texts prepare scrubbed in Python).
    address = np.flatnonzero((graph.idents["kind"] == "address").to_numpy(dtype=bool)[link_ident])
    raw = np.full(len(rows), "", dtype=object)
    raw[address] = _scrubbed(_values(graph.links, "raw", rows[address]), show_pii)
    return Links(link_ident.tolist(), *columns, raw.tolist()), link_bounds, link_ident


def _idents(analysis: Analysis, idents: np.ndarray, show_pii: bool, secret: bytes
            ) -> dict[int, Ident]:
    """Kind, display text and hub decision of ``idents`` (canonical numbers)."""
    linkage = analysis.linkage
    table = linkage.graph.idents
    idents = np.unique(np.asarray(idents, dtype=np.int64))
    idents = idents[(idents >= 0) & (idents < len(table))]
    kinds = table["kind"].take(idents).tolist()
    keys = table["key"].take(idents).tolist()
    decisions = linkage.decisions
    chosen = decisions[np.isin(decisions["ident"].to_numpy(), idents)]
    decided = {int(i): (str(status), str(reason)) for i, status, reason in zip(
        chosen["ident"].tolist(), chosen["status"].tolist(), chosen["reason"].tolist(),
        strict=True)}
    addresses = idents[[kind == "address" for kind in kinds]]
    written: dict[int, str] = {}
    if len(addresses):
        found, texts = address_texts(linkage, addresses)
        written = dict(zip(found.tolist(), (str(t) for t in texts.to_pylist()), strict=True))
    texts = [written.get(ident, "") for ident in idents.tolist()]
    shown = display_identifiers(kinds, keys, pa.array(texts, pa.string()), show_pii, secret)
    out = {}
    for ident, kind, display in zip(idents.tolist(), kinds, shown.to_pylist(), strict=True):
        status, reason = decided.get(ident, ("", ""))
        out[ident] = Ident(kind, display, status, reason, ident in decided)
    return out


def _evidence_by_cluster(analysis: Analysis, selected: pa.Array) -> dict[str, list[dict]]:
    evidence = analysis.evidence
    if evidence.empty:
        return {}
    evidence = evidence[among(evidence["cluster_id"], selected)]
    columns = ["cluster_id", "ident", "kind", "key", "store_count", "store_ids", "status",
               "bridge", "splits_into", "spellings"]
    values = [evidence[c].to_numpy(dtype=object) if c in evidence
              else np.full(len(evidence), None, dtype=object) for c in columns]
    grouped: dict[str, list[dict]] = {}
    for row in zip(*values, strict=True):
        grouped.setdefault(row[0], []).append(dict(zip(columns, row, strict=True)))
    return grouped


def _weighed_links(analysis: Analysis, selected: pa.Array, show_pii: bool, secret: bytes
                   ) -> dict[str, dict[str, list[dict]]]:
    """Per selected cluster: its weakest merges and its possible links, each as a waterfall
    (evidence items and weights, prior, total, threshold), at most LINK_ROWS."""
    from ..analysis import describe_links
    from ..linkage.waterfall import link_items, merge_table, possible_table

    linkage = analysis.linkage
    if linkage.resolution is None:
        return {}
    merges = merge_table(linkage)
    merges = merges[among(merges["cluster_id"], selected) & ~merges["weak"]]
    merges = merges.sort_values(["cluster_id", "score"]).groupby("cluster_id").head(LINK_ROWS)
    possible = analysis.possible_links
    if possible is None:
        possible = possible_table(linkage)
    possible = possible[among(possible["cluster_a"], selected)
                        | among(possible["cluster_b"], selected)]
    edges = np.r_[merges["edge"].to_numpy(), possible["edge"].to_numpy()]
    if not len(edges):
        return {}
    items = link_items(linkage, edges)
    texts = address_texts(linkage, items.loc[items["ident"] >= 0, "ident"].to_numpy())
    described = describe_links(items, texts, show_pii, secret)
    # scrubbed a column at a time (Arrow finds the few lines that may need it), then looked up
    # by edge in a dict: the rows below are a hundred thousand at 200,000 stores
    lines = scrub_column(pa.array(described.to_numpy(dtype=object), pa.string()), show_pii)
    evidence = {edge: shorten(line, 600) for edge, line in zip(
        described.index.tolist(), lines.to_pylist(), strict=True)}

    def weighed(row) -> dict:
        return {"a": row.store_a, "b": row.store_b, "score": f"{row.score:+.1f}",
                "prior": f"{row.prior:+.1f}", "chance": f"{-row.chance:+.1f}",
                "threshold": f"{row.threshold:+.1f}", "evidence": evidence.get(row.edge, "")}

    chosen = set(selected.to_pylist())
    out: dict[str, dict[str, list[dict]]] = {}
    for row in merges.itertuples():
        out.setdefault(row.cluster_id, {}).setdefault("merges", []).append(weighed(row))
    for row in possible.itertuples():
        for own, other in ((row.cluster_a, row.cluster_b), (row.cluster_b, row.cluster_a)):
            if own not in chosen:
                continue
            rows = out.setdefault(own, {}).setdefault("possible", [])
            if len(rows) < LINK_ROWS:
                rows.append({"other": other, **weighed(row)})
    return out
