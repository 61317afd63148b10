"""The report's prepared data set: the facts every page draws on, made once and never changed.

A million-store analysis has pages for a few hundred thousand stores at most. :func:`prepare`
turns only those stores (and the identifiers they show) into Python values, grouped by cluster
with one sort, so the cost of a report grows with the data, not with clusters x stores. The
result, :class:`ReportData`, is read by the page contexts (:mod:`.context`) and the index
(:mod:`.index`) and written to by nobody: forked page writers share it without copying.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..analysis import Analysis
from ..linkage.evidence import address_texts
from ..privacy import display_identifiers, escape_column, scrub, scrub_column
from .drawing import Drawings, drawn_whole, ident_facts, joined_details
from .graph import KIND_NAMES
from .text import filled, shorten, shortened

__all__ = ["HUB_ROWS", "LINK_ROWS", "Evidence", "Ident", "PageRows", "ReportData", "Store",
           "prepare", "shown_text"]

#: at most this many rows in the index's hubs table
HUB_ROWS = 5_000
#: merges and possible links shown per cluster page (the weakest merges first)
LINK_ROWS = 20
#: remember at most this many scrubbed texts (brands, marketplaces and reasons recur)
TEXT_CACHE = 200_000
#: a store's tooltip lists at most this many of its identifiers
TOOLTIP_IDENTIFIERS = 12


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
    link, scrubbed: the holder name, the link's details as a page shows them ("holder: NAME
    (ROLE)" or "role: ROLE", and "address type: TYPE"; "" when none), an address's raw text."""

    ident: list[int]
    holder: list[str]
    who: list[str]
    where: list[str]
    raw: list[str]


class Evidence(NamedTuple):
    """The evidence rows of a report's clusters, cluster by cluster (rows bounds[c]:bounds[c + 1]
    of cluster code c), a column each: what a page's graph needs of them."""

    ident: np.ndarray
    store_count: np.ndarray
    bridge: np.ndarray
    splits: list[str]
    merged_keys: np.ndarray
    bounds: np.ndarray


@dataclass(frozen=True, eq=False)
class PageRows:
    """Rows of a table of every page, as HTML, cluster by cluster in one UTF-8 text: a page's
    rows are one slice of it (a Python string per row would be millions at 1,000,000 stores)."""

    text: bytes
    #: where each row begins in ``text`` (and where the last ends)
    offsets: np.ndarray
    #: the first row of each cluster code (and the end of the last)
    bounds: np.ndarray

    def of(self, code: int, most: int | None = None) -> str:
        """The rows of cluster ``code`` (at most ``most``), one after another ("" if none)."""
        low, high = self.bounds[code], self.bounds[code + 1]
        if most is not None:
            high = min(high, low + most)
        return self.text[self.offsets[low]:self.offsets[high]].decode("utf-8")

    def listed(self, code: int) -> list[str]:
        """The rows of cluster ``code``, each apart."""
        low, high = self.bounds[code], self.bounds[code + 1]
        at = self.offsets[low:high + 1].tolist()
        return [self.text[a:b].decode("utf-8") for a, b in itertools.pairwise(at)]

    @classmethod
    def made(cls, codes: np.ndarray, rows: pa.Array, clusters: int) -> PageRows:
        """The rows ``rows`` of clusters ``codes`` (positions among ``clusters``; -1: none),
        each cluster's in the order given."""
        order = np.argsort(codes, kind="stable")
        order = order[codes[order] >= 0]
        bounds = np.searchsorted(codes[order], np.arange(clusters + 1))
        if not len(order):
            return cls(b"", np.zeros(1, dtype=np.int64), bounds)
        rows = _flat(rows).take(pa.array(order)).cast(pa.large_string())
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[
            rows.offset:rows.offset + len(rows) + 1]
        data = rows.buffers()[2]
        text = b"" if data is None else bytes(memoryview(data)[offsets[0]:offsets[-1]])
        return cls(text, offsets - offsets[0], bounds)


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
    #: the graph's tooltip of each store of the clusters too big to draw whole (folded by
    #: :mod:`.graph`), cluster by cluster (:func:`_store_titles`); those drawn whole have
    #: theirs in ``drawings`` already
    store_titles: PageRows
    #: the graphs of the pages drawn whole, as JSON (:mod:`.drawing`)
    drawings: Drawings
    #: each page's stores table, in the order the stores opened (``cluster-store-row.html``)
    store_rows: PageRows
    idents: dict[int, Ident]
    #: every link of the stores of the folded clusters' pages, store by store: rows
    #: link_bounds[s]:link_bounds[s + 1] (a page drawn whole has them in ``drawings``)
    links: Links
    link_bounds: np.ndarray
    evidence: Evidence
    #: the rows of each page's evidence, weakest merges and possible links tables, as HTML
    evidence_rows: PageRows
    merge_rows: PageRows
    possible_rows: PageRows
    cluster_rows: dict[str, dict]

    def text(self, value: str, limit: int = 200) -> str:
        """Free text scrubbed of personal data (unless show_pii) and shortened."""
        return shown_text(value, limit, self.show_pii)

    def store_links(self, s: int) -> Iterator[tuple[int, str, str, str, str]]:
        """Store ``s``'s links as ``(ident, holder, who, where, raw)`` (:class:`Links`)."""
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
    link_bounds, link_idents, details = _links(analysis, members, n_stores, show_pii)
    chosen = pa.array(selected, type=pa.string())
    evidence, evidence_texts = _evidence_by_cluster(analysis, chosen)
    merge_rows, possible_rows = _weighed_links(analysis, chosen, show_pii, secret)
    hubs = analysis.hubs.head(HUB_ROWS)
    idents = _idents(analysis, np.concatenate([
        pair_ident[pairs], link_idents, evidence.ident,
        hubs["ident"].to_numpy(dtype=np.int64) if "ident" in hubs else []]), show_pii, secret)
    clusters = analysis.clusters
    rows = clusters[among(clusters["cluster_id"], chosen)].to_dict("records")
    stores, store_rows, columns = _stores(analysis, members, codes[members], len(selected),
                                          show_pii)
    titles = _store_titles(columns, members, link_bounds, link_idents, details, idents)
    pair_bounds = np.searchsorted(pair_codes[pairs], np.arange(len(selected) + 1))
    link_store = np.repeat(np.arange(n_stores), np.diff(link_bounds))
    drawings = drawn_whole(
        codes, members, bounds, columns, titles, pair_store[pairs], pair_ident[pairs],
        pair_bounds, link_store, link_idents, details, evidence, idents,
        partial(shown_text, show_pii=show_pii), PageRows.made)
    # Only the folded clusters' pages draw from the tooltips and links one by one: the rest
    # are let go (at 1,000,000 stores they were about a gigabyte in each page writer).
    member_codes = codes[members]
    folded = np.where(drawings.whole[member_codes], -1, member_codes)
    titles = PageRows.made(folded, titles, len(selected))
    folded_store = np.zeros(n_stores, dtype=bool)
    folded_store[members[folded >= 0]] = True
    links, link_bounds = _folded_links(folded_store, link_store, link_idents, details)
    return ReportData(
        analysis=analysis, show_pii=show_pii, selected=tuple(selected),
        code_of={cluster_id: code for code, cluster_id in enumerate(selected)},
        members=members, bounds=bounds, pair_store=pair_store[pairs],
        pair_ident=pair_ident[pairs],
        pair_bounds=pair_bounds, stores=stores, store_titles=titles, drawings=drawings,
        store_rows=store_rows, idents=idents, links=links,
        link_bounds=link_bounds, evidence=evidence,
        evidence_rows=_evidence_rows(evidence, evidence_texts, idents, show_pii),
        merge_rows=merge_rows, possible_rows=possible_rows,
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


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _scrubbed(values: list[str], show_pii: bool) -> list[str]:
    """:func:`~graphaudit.privacy.scrub` of each value, a column at a time."""
    return scrub_column(pa.array(values, pa.string()), show_pii).to_pylist()


def _stores(analysis: Analysis, rows: np.ndarray, codes: np.ndarray, clusters: int,
            show_pii: bool) -> tuple[dict[int, Store], PageRows, list[list]]:
    """Per-store facts of the stores ``rows`` (positions in the linkage's store table), free
    text scrubbed a column at a time (each page scrubbed its stores' texts one by one), their
    rows of the stores table (:func:`_store_rows`), and the facts a column each (the fields
    of :class:`Store`)."""
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
    # each cluster's stores in the order they opened (undated last), then by id
    opened = pa.array(columns[4], pa.string())
    order = pa.table({"code": codes, "undated": pc.equal(opened, ""), "opened": opened,
                      "id": pa.array(columns[0], pa.string()), "row": rows,
                      "at": np.arange(len(rows))}).sort_by(
        [(name, "ascending") for name in ("code", "undated", "opened", "id", "row")])
    at = order["at"].to_numpy()
    return stores, PageRows.made(codes[at], _store_rows(rows, columns).take(pa.array(at)),
                                 clusters), columns


def _store_titles(columns: list[list], rows: np.ndarray, link_bounds: np.ndarray,
                  link_ident: np.ndarray, details: dict[str, pa.Array],
                  idents: dict[int, Ident]) -> pa.Array:
    """The graph's tooltip of each store of ``rows`` (its facts ``columns``, as
    :func:`_stores` gives them), put together a column at a time in Arrow (a Python string
    per store on every page was the costliest part of a page): its fields, its flags, and
    its identifiers in the order of its links, each once, at most TOOLTIP_IDENTIFIERS, with
    the raw text of an address, a hub mark and the link's first two details."""
    def text(k: int) -> pa.Array:
        return pa.array(columns[k], pa.string())

    def given(values: pa.Array) -> pa.Array:
        return pc.not_equal(values, "")

    def join(*parts) -> pa.Array:
        return pc.binary_join_element_wise(*parts, "")

    def flag(k: int, line: str) -> pa.Array:
        return pc.if_else(pa.array(columns[k], pa.bool_()), line, "")

    def either(values: pa.Array, empty: str) -> pa.Array:
        return pc.if_else(given(values), values, empty)

    name, reason, suspended_on = text(1), text(7), text(6)
    status = either(text(5), "active")
    why = shortened(reason, 120)
    suspended = join("SUSPENDED", pc.if_else(given(suspended_on), join(" on ", suspended_on),
                                             ""),
                     pc.if_else(given(reason), join(": ", why), ""))
    other = join(status, pc.if_else(given(reason), join(" (", why, ")"), ""))
    variant = text(10)
    head = join(
        "Store ", text(0), pc.if_else(given(name), join(" \u00b7 ", shortened(name, 80)), ""),
        "\nbrand: ", either(shortened(text(2), 60), "-"), " \u00b7 marketplace: ",
        either(shortened(text(3), 40), "-"), "\nopened: ", either(text(4), "unknown"),
        "\nstatus: ", pc.if_else(pc.equal(status, "suspended"), suspended, other),
        flag(8, "\n! linked to a suspended store of this cluster"),
        flag(9, "\n! opened after a suspension in this cluster (reopened after a ban)"),
        pc.if_else(given(variant), join('\n! brand varies the suspended brand "',
                                        shortened(variant, 200), '"'), ""))
    lines, owner = _identifier_lines(rows, link_bounds, link_ident, details, idents)
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=len(rows)), out=offsets[1:])
    listed = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), lines),
                            pa.scalar("\n", pa.string()))
    return join(head, pc.if_else(pc.equal(pa.array(offsets[1:] - offsets[:-1]), 0), "",
                                 join("\nidentifiers:\n", listed)))


def _identifier_lines(rows: np.ndarray, link_bounds: np.ndarray, link_ident: np.ndarray,
                      details: dict[str, pa.Array], idents: dict[int, Ident]
                      ) -> tuple[pa.Array, np.ndarray]:
    """The identifier lines of the tooltips of the stores ``rows`` (:func:`_store_titles`),
    store by store, and the position in ``rows`` of each line's store."""
    low, high = link_bounds[rows], link_bounds[rows + 1]
    count = high - low
    # the link rows of each store, store after store in the order of ``rows``
    at = np.repeat(low - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
    owner = np.repeat(np.arange(len(rows)), count)
    ident = link_ident[at]
    key = owner * (int(ident.max(initial=0)) + 1) + ident
    first = np.sort(np.unique(key, return_index=True)[1])  # each identifier's first link
    begins = np.searchsorted(owner[first], np.arange(len(rows) + 1))
    rank = np.arange(len(first)) - begins[owner[first]]
    kept = first[rank < TOOLTIP_IDENTIFIERS]
    # the first two details of the links of each store and identifier, in the order of links
    who, where = (details[name].take(pa.array(at)) for name in ("who", "where"))
    detail = joined_details(key, who, where, key[kept], 2)
    facts, which = ident_facts(idents, ident[kept])
    shown = pa.array([shorten(f.display, 80) for f in facts], pa.string())
    named = pa.array([KIND_NAMES.get(f.kind, f.kind) for f in facts], pa.string())
    hub = pa.array([" (hub: links nobody)" if f.status in ("hub", "denied") else ""
                    for f in facts], pa.string())
    raw = details["raw"].take(pa.array(at[kept]))
    lines = pc.binary_join_element_wise(
        "  ", named.take(which), ": ",
        pc.if_else(pc.not_equal(raw, ""), shortened(raw, 80), shown.take(which)),
        hub.take(which), pc.if_else(pc.not_equal(detail, ""),
                                    pc.binary_join_element_wise(" [", detail, "]", ""), ""), "")
    # "... and N more" after the listed identifiers of a store with more
    distinct = np.diff(begins)
    more = np.flatnonzero(distinct > TOOLTIP_IDENTIFIERS)
    more_lines = pc.binary_join_element_wise(
        "  \u2026 and ", pc.cast(pa.array(distinct[more] - TOOLTIP_IDENTIFIERS), pa.string()),
        " more", "")
    owners = np.concatenate([owner[kept], more])
    order = np.argsort(owners, kind="stable")
    return (pa.concat_arrays([lines, more_lines]).take(pa.array(order)),
            owners[order])


def _store_rows(rows: np.ndarray, columns: list[list]) -> pa.Array:
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
    return filled("cluster-store-row.html", parts)


def _links(analysis: Analysis, stores: np.ndarray, n_stores: int, show_pii: bool
           ) -> tuple[np.ndarray, np.ndarray, dict[str, pa.Array]]:
    """The link rows of ``stores``, sorted by store: bounds per store row, their identifiers,
    and a column each (Arrow) of their holder names and raw text, scrubbed, and their details
    (``holder``, ``raw``, ``who``, ``where``)."""
    linkage = analysis.linkage
    graph = linkage.graph
    chosen = np.zeros(n_stores, dtype=bool)
    chosen[stores] = True
    rows = np.flatnonzero(chosen[graph.link_store])
    rows = rows[np.argsort(graph.link_store[rows], kind="stable")]
    link_bounds = np.searchsorted(graph.link_store[rows], np.arange(n_stores + 1))
    link_ident = linkage.canonical[graph.link_ident[rows]]
    holder, role, kind = (pa.array(_values(graph.links, name, rows), pa.string())
                          for name in ("holder_name", "role", "address_type"))
    holder = scrub_column(holder, show_pii)
    # the details a page shows, scrubbed and shortened a column at a time (each page made and
    # scrubbed its links' details one by one)
    has_holder, has_role = pc.not_equal(holder, ""), pc.not_equal(role, "")
    who = pc.if_else(has_holder, pc.binary_join_element_wise(
        "holder: ", holder, pc.if_else(has_role, pc.binary_join_element_wise(" (", role, ")", ""),
                                       ""), ""),
        pc.if_else(has_role, pc.binary_join_element_wise("role: ", role, ""), ""))
    where = pc.if_else(pc.not_equal(kind, ""),
                       pc.binary_join_element_wise("address type: ", kind, ""), "")
    shown = [shortened(scrub_column(_flat(detail), show_pii), 80) for detail in (who, where)]
    # A page shows a link's raw text only for an address (the raw text of a phone, an ID or an
    # account is the identifier itself, shown masked from its key): the others are left "",
    # not scrubbed (at 200,000 stores they were most of the texts prepare scrubbed in Python).
    address = np.flatnonzero((graph.idents["kind"] == "address").to_numpy(dtype=bool)[link_ident])
    raw = np.full(len(rows), "", dtype=object)
    raw[address] = _scrubbed(_values(graph.links, "raw", rows[address]), show_pii)
    details = {"who": shown[0], "where": shown[1], "raw": pa.array(raw, pa.string()),
               "holder": holder}
    return link_bounds, link_ident, details


def _folded_links(chosen: np.ndarray, link_store: np.ndarray, link_ident: np.ndarray,
                  details: dict[str, pa.Array]) -> tuple[Links, np.ndarray]:
    """The :class:`Links` of the ``chosen`` stores (a mask of the linkage's stores), from the
    link rows :func:`_links` gives (``link_store`` the store of each), with their bounds per
    store."""
    kept = np.flatnonzero(chosen[link_store])
    taken = pa.array(kept)
    bounds = np.searchsorted(link_store[kept], np.arange(len(chosen) + 1))
    return Links(link_ident[kept].tolist(), *(details[name].take(taken).to_pylist()
                                              for name in ("holder", "who", "where", "raw"))
                 ), bounds


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


def _codes(column: pd.Series, selected: pa.Array) -> np.ndarray:
    """Per row: the position of its cluster (``column``) in ``selected``, or -1."""
    codes = pc.index_in(pa.array(column, from_pandas=True, type=pa.string()),
                        value_set=selected)
    return codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _evidence_by_cluster(analysis: Analysis, selected: pa.Array
                         ) -> tuple[Evidence, dict[str, list]]:
    """The evidence rows of the ``selected`` clusters, cluster by cluster: what the graph needs
    (:class:`Evidence`), and the texts the evidence table shows, as lists of the same rows."""
    evidence = analysis.evidence
    codes = _codes(evidence["cluster_id"], selected) if not evidence.empty \
        else np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(codes >= 0)
    rows = rows[np.argsort(codes[rows], kind="stable")]

    def column(name: str, default, kind=None) -> pd.Series:
        if name not in evidence:
            return pd.Series([default] * len(rows), dtype=kind)
        values = evidence[name].take(rows)
        return values.fillna(default) if kind is None else values.fillna(default).astype(kind)

    found = Evidence(
        ident=column("ident", -1, np.int64).to_numpy(np.int64),
        store_count=column("store_count", 0, np.int64).to_numpy(np.int64),
        bridge=column("bridge", False, bool).to_numpy(bool),
        splits=column("splits_into", "", str).tolist(),
        merged_keys=column("merged_keys", 1, np.int64).to_numpy(np.int64),
        bounds=np.searchsorted(codes[rows], np.arange(len(selected) + 1)))
    texts = {name: column(name, "", str).tolist()
             for name in ("kind", "key", "store_ids", "status")}
    return found, texts


def _evidence_rows(found: Evidence, texts: dict[str, list], idents: dict[int, Ident],
                   show_pii: bool) -> PageRows:
    """The evidence table's rows of every page (``cluster-evidence-row.html``): the texts made
    per row in Python, escaped and put together a column at a time in Arrow (a Jinja loop on
    every page escaped about 60 values)."""
    node, kind, identifier, status = [], [], [], []
    for i, k, key, said in zip(found.ident.tolist(), texts["kind"], texts["key"],
                               texts["status"], strict=True):
        if k == "brand" or i < 0:
            node.append("")
            kind.append("brand variant")
            identifier.append(shown_text(key.replace(";", ", "), 200, show_pii))
            status.append(shown_text(said.replace(";", ", "), 200, show_pii))
            continue
        known = idents[i]
        node.append(f' data-node="i{i}"')
        kind.append(KIND_NAMES.get(k, k))
        identifier.append(known.display)
        decided = known.status if known.decided else said
        reason = shown_text(known.reason, 200, show_pii)
        status.append((reason if decided in reason else f"{decided}: {reason}") if reason
                      else decided)
    variant = np.array([k == "brand" for k in texts["kind"]], dtype=bool) | (found.ident < 0)
    merged = pa.array(np.where(variant, 1, found.merged_keys))
    bridge = pa.array(found.bridge & ~variant)
    ids = pa.array(texts["store_ids"], pa.string())
    long = np.flatnonzero(pc.count_substring(ids, ";").to_numpy(zero_copy_only=False) >= 60)
    shown_ids = pc.replace_substring(ids, ";", ", ")
    if len(long):
        cut = [", ".join(part[:60]) + f" \u2026 and {len(part) - 60:,} more"
               for part in (texts["store_ids"][k].split(";") for k in long.tolist())]
        mask = np.zeros(len(ids), dtype=bool)
        mask[long] = True
        shown_ids = pc.replace_with_mask(shown_ids, pa.array(mask), pa.array(cut, pa.string()))
    parts = {
        "node": pa.array(node, pa.string()), "kind": escape_column(pa.array(kind, pa.string())),
        "identifier": escape_column(pa.array(identifier, pa.string())),
        "merged_keys": pc.if_else(pc.greater(merged, 1), pc.binary_join_element_wise(
            ' <span class="muted">(', pc.cast(merged, pa.string()), ' keys merged)</span>', ""),
            ""),
        "stores": pc.cast(pa.array(found.store_count), pa.string()),
        "store_ids": escape_column(shown_ids),
        "status": escape_column(pa.array(status, pa.string())),
        "bridge": pc.if_else(bridge, pc.binary_join_element_wise(
            '<span class="pill bad">bridge ', escape_column(pa.array(found.splits, pa.string())),
            "</span>", ""), ""),
    }
    codes = np.repeat(np.arange(len(found.bounds) - 1), np.diff(found.bounds))
    return PageRows.made(codes, filled("cluster-evidence-row.html", parts), len(found.bounds) - 1)


def _threshold_cells(thresholds: list[float], decided: list[str] | None) -> pa.Array:
    """A waterfall row's threshold, or what decided a merge other than its total (``held
    values``, ``return after a ban (+w)``: docs/linkage.md)."""
    cells = [f"{v:+.1f}" for v in thresholds]
    if decided is not None:
        cells = [c if d == "score" else d for c, d in zip(cells, decided, strict=True)]
    return pa.array(cells, pa.string())


def _weighed_links(analysis: Analysis, selected: pa.Array, show_pii: bool, secret: bytes
                   ) -> tuple[PageRows, PageRows]:
    """The rows of every page's weakest merges and possible links (``cluster-merge-row.html``,
    ``cluster-possible-row.html``), each a waterfall (evidence items and weights, prior, total,
    threshold), at most LINK_ROWS per page, put together a column at a time in Arrow."""
    from ..analysis import describe_links
    from ..linkage.waterfall import link_items, merge_table, possible_table

    linkage = analysis.linkage
    none = PageRows.made(np.zeros(0, dtype=np.int64), pa.array([], pa.string()), len(selected))
    if linkage.resolution is None:
        return none, none
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
        return none, none
    items = link_items(linkage, edges)
    texts = address_texts(linkage, items.loc[items["ident"] >= 0, "ident"].to_numpy())
    described = describe_links(items, texts, show_pii, secret)
    # scrubbed a column at a time (Arrow finds the few lines that may need it), then looked up
    # by edge in a dict: the rows below are a hundred thousand at 200,000 stores
    lines = scrub_column(pa.array(described.to_numpy(dtype=object), pa.string()), show_pii)
    evidence = {edge: shorten(line, 600) for edge, line in zip(
        described.index.tolist(), lines.to_pylist(), strict=True)}

    def weighed(frame: pd.DataFrame, take: np.ndarray | None = None) -> dict[str, pa.Array]:
        """The columns of a waterfall row of ``frame`` (at rows ``take``), escaped."""
        def at(name: str) -> list:
            values = frame[name].to_numpy()
            return (values if take is None else values[take]).tolist()

        def signed(values: list[float]) -> pa.Array:
            return pa.array([f"{v:+.1f}" for v in values], pa.string())

        return {"a": escape_column(pa.array(at("store_a"), pa.string())),
                "b": escape_column(pa.array(at("store_b"), pa.string())),
                "score": signed(at("score")), "prior": signed(at("prior")),
                "chance": signed([-v for v in at("chance")]),
                "threshold": _threshold_cells(at("threshold"), at("decided")
                                              if "decided" in frame else None),
                "evidence": escape_column(pa.array([evidence.get(e, "") for e in at("edge")],
                                                   pa.string()))}

    merge_rows = PageRows.made(_codes(merges["cluster_id"], selected),
                               filled("cluster-merge-row.html", weighed(merges)), len(selected))
    code_of = {cluster_id: code for code, cluster_id in enumerate(selected.to_pylist())}
    shown, own, other = [], [], []
    count: Counter = Counter()
    for k, (a, b) in enumerate(zip(possible["cluster_a"].tolist(), possible["cluster_b"].tolist(),
                                   strict=True)):
        for mine, theirs in ((a, b), (b, a)):
            code = code_of.get(mine)
            if code is not None and count[code] < LINK_ROWS:
                count[code] += 1
                shown.append(k)
                own.append(code)
                other.append(theirs)
    parts = weighed(possible, np.array(shown, dtype=np.int64))
    parts["other"] = escape_column(pa.array(other, pa.string()))
    possible_rows = PageRows.made(np.array(own, dtype=np.int64),
                                  filled("cluster-possible-row.html", parts), len(selected))
    return merge_rows, possible_rows
