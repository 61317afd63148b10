"""Build the report pages from an :class:`~graphaudit.analysis.Analysis`.

The whole analysis is turned into plain per-store and per-identifier lists once; each cluster
page then takes its slice (stores and links grouped by cluster with one sort), so the cost of a
report grows with the data, not with clusters x stores.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import json
import math
import multiprocessing
import os
import re
import string
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..analysis import Analysis
from ..errors import DataError
from ..linkage.evidence import address_texts
from ..privacy import display_identifier, load_key, may_scrub, scrub
from ..privacy import escape_column as _escaped
from ..scoring import BURST_DAYS, BURST_STORES, RISK_FACTORS
from .assets import Assets, load_assets
from .graph import (
    BRIDGE_BORDER,
    FOLD_NODES,
    FOLDED_COLOR,
    KIND_STYLE,
    LINKED_BORDER,
    STORE_STYLE,
    GraphIdent,
    GraphStore,
    build_cluster_graph,
    graph_options,
)
from .text import json_for_script, shorten

__all__ = ["ReportInfo", "page_name", "write_report"]

#: at most this many rows in a page's stores table and in the index's hubs table
STORE_ROWS = 5_000
HUB_ROWS = 5_000
#: merges and possible links shown per cluster page (the weakest merges first)
LINK_ROWS = 20
#: remember at most this many scrubbed texts (see _World.text)
TEXT_CACHE = 200_000
#: tooltips list at most this many identifiers of a store
TOOLTIP_IDENTIFIERS = 12
KIND_NAMES = {kind: style[2] for kind, style in KIND_STYLE.items()}
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
_PLACEHOLDER = Markup("\x00vis-network\x00")
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


@dataclass
class ReportInfo:
    """Where a report came from, for its summary and footer."""

    source: str
    made_at: str
    show_pii: bool = False
    rejects: int | None = None
    #: what missing input columns left unassessed (graphaudit.coverage)
    not_assessed: tuple[str, ...] = ()


def page_name(cluster_id: str) -> str:
    """The file name of a cluster's page; ids that are not plain become a digest (no paths).

    >>> page_name("C4e2b3d8a9d0b"), page_name("../../etc/passwd")[:2]
    ('C4e2b3d8a9d0b.html', 'c-')
    """
    if _SAFE_NAME.fullmatch(cluster_id):
        return f"{cluster_id}.html"
    return "c-" + hashlib.sha256(cluster_id.encode("utf-8")).hexdigest()[:20] + ".html"


def write_report(
    analysis: Analysis,
    out_dir: Path,
    show_pii: bool = False,
    source: str = "",
    only_cluster: str | None = None,
    rejects: int | None = None,
    made_at: str | None = None,
    progress: Callable[[int], None] | None = None,
    max_pages: int | None = None,
    secret: bytes | None = None,
    not_assessed: Iterable[str] = (),
) -> list[Path]:
    """Write ``index.html`` and ``clusters/<cluster_id>.html`` for every cluster of 2+ stores.

    Parameters
    ----------
    analysis : the result of :func:`graphaudit.analysis.analyze`.
    out_dir : the output directory (created when missing).
    show_pii : show ID numbers, accounts, phones and e-mails unmasked.
    source : what the analysis was made from (a data directory, a Neo4j URI), for the summary.
        Default: the record files named in the data, or "Neo4j".
    only_cluster : write only this cluster's page (and an index that links only to it).
    rejects : how many input rows were rejected; default: the rows of ``out_dir/rejects.csv``.
    made_at : when the analysis ran (default ``analysis.computed_at``).
    progress : called with the number of pages written, as they are written.
    max_pages : write pages for only this many clusters, the riskiest (the index lists all).
    secret : the key of the pseudonyms (default: this installation's, :func:`.privacy.load_key`).
    not_assessed : what the input's missing columns leave unassessed, listed on the index.

    Returns
    -------
    The paths written: ``index.html`` first, then the cluster pages.

    Raises
    ------
    DataError : ``only_cluster`` is not a cluster of the analysis.

    Examples
    --------
    >>> result = analyze(stores, links)                        # doctest: +SKIP
    >>> write_report(result, Path("out"), source="data/")[0]   # doctest: +SKIP
    PosixPath('out/index.html')

    Notes
    -----
    Every page is self-contained (docs/design.md §5): vis-network, styles and scripts are inlined,
    a Content-Security-Policy allows nothing else, and every value from the data is escaped
    (HTML-escaped by Jinja's autoescape, JSON-escaped in data blocks, text-only tooltips).
    Files are written as files of their own, never through a symbolic link: a link at a page's
    name is replaced, and a linked ``out_dir/clusters`` is refused. Nothing else in the folder
    is removed here.
    """
    out_dir = Path(out_dir)
    pages_dir = out_dir / "clusters"
    if pages_dir.is_symlink():
        raise DataError(f"{pages_dir}: a symbolic link; refused (graphaudit writes its pages "
                        "only into a folder of its own, never through a link)")
    pages_dir.mkdir(parents=True, exist_ok=True)
    world = _World(analysis, show_pii, secret or load_key())
    clusters = analysis.clusters
    if only_cluster is not None:
        if only_cluster not in set(clusters["cluster_id"]):
            raise DataError(f"unknown cluster id {only_cluster!r}")
        selected = [only_cluster]
    else:
        selected = clusters.loc[clusters["size"] >= 2, "cluster_id"].tolist()
        if max_pages is not None and len(selected) > max_pages:
            ranked = clusters[clusters["size"] >= 2].sort_values(
                ["risk_score", "size", "cluster_id"], ascending=[False, False, True])
            selected = ranked["cluster_id"].head(max_pages).tolist()
    if rejects is None:
        rejects = _count_rejects(out_dir / "rejects.csv")
    info = ReportInfo(source=source or world.default_source(),
                      made_at=made_at or analysis.computed_at, show_pii=show_pii,
                      rejects=rejects, not_assessed=tuple(not_assessed))
    renderer = _Renderer(load_assets(), info)
    world.prepare(selected)
    names = {cluster_id: page_name(cluster_id) for cluster_id in selected}
    index = out_dir / "index.html"

    def write_index() -> None:
        if index.is_symlink():
            index.unlink()
        index.write_text(renderer.index(world.index_context(names, rejects, only_cluster)),
                         encoding="utf-8")

    _write_pages(world, renderer, selected, pages_dir, progress, meanwhile=write_index)
    written = [pages_dir / names[cluster_id] for cluster_id in selected]
    # Pages of an earlier report that this one did not write are removed by the caller, and
    # only when its manifest recorded them (graphaudit.outputs): never by a glob here.
    return [index, *written]


#: pages are written by this many forked processes (sharing the prepared analysis), while the
#: parent writes the index. Since only the pages' stores are prepared, two workers pay on two
#: CPUs too (1M stores, 1,000 pages: 9 s -> 6.5 s; 200,000 stores, all 28,000 pages: 36 s -> 20 s).
WORKERS = max(1, min(os.cpu_count() or 1, 4))
#: below this many pages one process is quicker than starting several
PARALLEL_PAGES = 400
_CHUNK = 100
_forked: tuple | None = None


def _write_pages(world: _World, renderer: _Renderer, selected: list[str], pages_dir: Path,
                 progress: Callable[[int], None] | None, meanwhile: Callable[[], None]) -> None:
    """Render and write each selected cluster's page, in forked worker processes when many.

    ``meanwhile`` (the index) runs in this process while the workers write the pages.
    """
    global _forked
    chunks = [selected[k:k + _CHUNK] for k in range(0, len(selected), _CHUNK)]
    workers = min(WORKERS, len(chunks))
    # The prepared analysis is long-lived: keep the collector from walking it again and again
    # (and, in forked workers, from touching and so copying its memory).
    gc.freeze()
    try:
        if workers > 1 and len(selected) >= PARALLEL_PAGES and \
                "fork" in multiprocessing.get_all_start_methods():
            _forked = (world, renderer, pages_dir)
            with warnings.catch_warnings():
                # 3.12+ warns about forking with threads; the workers only render and write.
                warnings.simplefilter("ignore", DeprecationWarning)
                pool = multiprocessing.get_context("fork").Pool(workers)
            with pool:
                results = pool.imap_unordered(_write_chunk, chunks)
                meanwhile()
                for done in results:
                    if progress:
                        progress(done)
            return
        for chunk in chunks:
            done = _write_chunk(chunk, (world, renderer, pages_dir))
            if progress:
                progress(done)
        meanwhile()
    finally:
        _forked = None
        gc.unfreeze()


def _write_chunk(cluster_ids: list[str], state: tuple | None = None) -> int:
    world, renderer, pages_dir = state or _forked
    for cluster_id in cluster_ids:
        parts = renderer.cluster(world.cluster_context(cluster_id))
        path = pages_dir / page_name(cluster_id)
        if path.is_symlink():
            path.unlink()
        with open(path, "wb") as handle:
            handle.writelines(parts)
    return len(cluster_ids)


def _count_rejects(path: Path) -> int | None:
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


# ---------------------------------------------------------------------------------------------
# Rendering


class _Environment(Environment):
    """Jinja2 that looks up ``row.field`` in a dict first (our contexts are dicts)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class _Renderer:
    """Jinja2 with autoescape on: every value is HTML-escaped unless it is our own Markup."""

    def __init__(self, assets: Assets, info: ReportInfo) -> None:
        self.assets = assets
        self.info = info
        env = _Environment(loader=FileSystemLoader(str(Path(__file__).parent)), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.cluster_template = env.get_template("cluster.html")
        self.index_template = env.get_template("index.html")
        self.written_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.common = {"version": __version__, "written_at": self.written_at, "info": info,
                       "css": Markup(assets.css)}
        self.cluster_policy = assets.cluster_policy()
        self.index_policy = assets.index_policy()
        self.vis_gz_bytes = assets.vis_js_gz_b64.encode("ascii")

    def cluster(self, context: dict) -> list[bytes]:
        """A cluster page as UTF-8 parts; the packed library is one shared bytes object.

        (Joining and encoding the 165 kB library into every page's string would cost more
        than everything else on the page.)
        """
        html = self.cluster_template.render(
            **self.common, **{**context, "graph_json": Markup(context["graph_json"])},
            policy=self.cluster_policy, script=Markup(self.assets.cluster_js),
            vis_gz=_PLACEHOLDER)
        head, _, tail = html.rpartition(_PLACEHOLDER)
        return [head.encode("utf-8"), self.vis_gz_bytes, tail.encode("utf-8")]

    def index(self, context: dict) -> str:
        return self.index_template.render(
            **self.common, **context, policy=self.index_policy,
            script=Markup(self.assets.index_js))


# ---------------------------------------------------------------------------------------------
# The analysis as plain values, for the stores and identifiers on the pages only


def _values(frame: pd.DataFrame, name: str, rows: np.ndarray) -> list[str]:
    """``frame[name]`` at ``rows`` as text ("" where missing or no such column)."""
    if name not in frame:
        return [""] * len(rows)
    return frame[name].take(rows).fillna("").astype(str).tolist()


def _flags(frame: pd.DataFrame, name: str, rows: np.ndarray) -> list[bool]:
    return frame[name].take(rows).fillna(False).astype(bool).tolist()


class _World:
    """Facts of the stores and identifiers on the pages, and the pages built from them.

    A million-store analysis has pages for a few thousand stores: :meth:`prepare` turns only
    those (and the identifiers they show) into Python values, keyed by store and identifier
    number; the rest of the analysis stays in its Arrow-backed frames and is summed there.
    """

    def __init__(self, analysis: Analysis, show_pii: bool, secret: bytes) -> None:
        self.analysis = analysis
        self.show_pii = show_pii
        self.secret = secret
        self.canonical = analysis.linkage.canonical
        self.ident_kind: dict[int, str] = {}
        self.ident_key: dict[int, str] = {}
        self.decision: dict[int, tuple[str, str]] = {}
        self.address_text: dict[int, str] = {}
        self._display: dict[int, str] = {}
        self._texts: dict[tuple[str, int], str] = {}

    # -- facts ---------------------------------------------------------------------------------

    def default_source(self) -> str:
        """The record files the stores came from, or Neo4j when they were read from a graph."""
        stores = self.analysis.linkage.graph.stores
        links = self.analysis.linkage.graph.links
        if "_file" not in stores:
            return "Neo4j"
        files = sorted({*map(str, stores["_file"].dropna().unique()),
                        *(map(str, links["_file"].dropna().unique()) if "_file" in links
                          else [])})
        return "data files " + ", ".join(files) if files else "data files"

    def display(self, ident: int) -> str:
        """The identifier as the report shows it: masked with a #tag, or an address's text."""
        text = self._display.get(ident)
        if text is None:
            if ident not in self.ident_kind:
                self._load_idents(np.array([ident], dtype=np.int64))
            kind = self.ident_kind[ident]
            key = self.ident_key[ident]
            if kind == "address":
                text = scrub(self.address_text.get(ident, "") or key, self.show_pii)
            else:
                text = display_identifier(kind, key, show_pii=self.show_pii,
                                          secret=self.secret)
            self._display[ident] = text
        return text

    def text(self, value: str, limit: int = 200) -> str:
        """Free text scrubbed of personal data and shortened; remembered, as brands,
        marketplaces and reasons come back on every page (at most TEXT_CACHE of them)."""
        key = (value, limit)
        shown = self._texts.get(key)
        if shown is None:
            if len(self._texts) >= TEXT_CACHE:
                self._texts.clear()
            shown = self._texts[key] = shorten(scrub(value, self.show_pii), limit)
        return shown

    def _load_stores(self, rows: np.ndarray) -> None:
        """Per-store facts of the stores ``rows`` (positions in the linkage's store table)."""
        stores = self.analysis.linkage.graph.stores
        keys = rows.tolist()
        for attribute, name in (("store_id", "store_id"), ("name", "name"), ("brand", "brand"),
                                ("marketplace", "marketplace"), ("opened", "opened_on"),
                                ("status", "status"), ("suspended_on", "suspended_on"),
                                ("reason", "status_reason")):
            setattr(self, attribute, dict(zip(keys, _values(stores, name, rows), strict=True)))
        flags, at = self.analysis.stores, rows
        if not _aligned(flags, stores):
            ids = [self.store_id[s] for s in keys]
            flags = flags.set_index("store_id").reindex(ids).reset_index()
            at = np.arange(len(rows))
        self.linked = dict(zip(keys, _flags(flags, "linked_to_suspended", at), strict=True))
        self.reopened = dict(zip(keys, _flags(flags, "reopened_after_ban", at), strict=True))
        self.variant_of = dict(zip(keys, _values(flags, "variant_of", at), strict=True))
        self.reasons = dict(zip(keys, _values(flags, "reasons", at), strict=True))

    def _load_idents(self, idents: np.ndarray) -> None:
        """Kind, key, hub decision and address text of ``idents`` (canonical numbers)."""
        idents = np.setdiff1d(np.asarray(idents, dtype=np.int64),
                              np.fromiter(self.ident_kind, dtype=np.int64))
        idents = idents[(idents >= 0) & (idents < len(self.analysis.linkage.graph.idents))]
        if not len(idents):
            return
        linkage = self.analysis.linkage
        table = linkage.graph.idents
        keys = idents.tolist()
        self.ident_kind.update(zip(keys, table["kind"].take(idents).tolist(), strict=True))
        self.ident_key.update(zip(keys, table["key"].take(idents).tolist(), strict=True))
        decisions = linkage.decisions
        chosen = decisions[np.isin(decisions["ident"].to_numpy(), idents)]
        self.decision.update(
            (int(i), (status, reason))
            for i, status, reason in zip(chosen["ident"].tolist(), chosen["status"].tolist(),
                                         chosen["reason"].tolist(), strict=True))
        addresses = idents[[self.ident_kind[i] == "address" for i in keys]]
        if len(addresses):
            found, texts = address_texts(linkage, addresses)
            self.address_text.update(
                zip(found.tolist(), (str(t) for t in texts.to_pylist()), strict=True))

    # -- per cluster -----------------------------------------------------------------------------

    def prepare(self, selected: list[str]) -> None:
        """Group the selected clusters' stores, links and evidence once, for the pages.

        Only these clusters' stores and identifiers (and the index's hubs) become Python values.
        """
        linkage = self.analysis.linkage
        self.n_stores = len(linkage.graph.stores)
        self.code_of = {cluster_id: code for code, cluster_id in enumerate(selected)}
        codes = pc.index_in(pa.array(linkage.cluster_id, from_pandas=True, type=pa.string()),
                            value_set=pa.array(selected, type=pa.string()))
        codes = codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        members = np.flatnonzero(codes >= 0)
        self._order = members[np.argsort(codes[members], kind="stable")]
        self._bounds = np.searchsorted(codes[self._order], np.arange(len(selected) + 1))
        pair_store, pair_ident = linkage.linking_pairs()
        pair_codes = codes[pair_store]
        pairs = np.flatnonzero(pair_codes >= 0)
        pairs = pairs[np.argsort(pair_codes[pairs], kind="stable")]
        self._pair_store = pair_store[pairs]
        self._pair_ident = pair_ident[pairs]
        self._pair_bounds = np.searchsorted(pair_codes[pairs], np.arange(len(selected) + 1))
        self._load_stores(self._order)
        self._index_links(self._order)
        self._evidence = self._evidence_by_cluster(set(selected))
        self._weighed = self._weighed_links(set(selected))
        evidence_idents = [int(row["ident"]) for rows in self._evidence.values() for row in rows]
        hubs = self.analysis.hubs.head(HUB_ROWS)
        self._load_idents(np.concatenate([
            self._pair_ident, self._link_ident, np.array(evidence_idents, dtype=np.int64),
            hubs["ident"].to_numpy(dtype=np.int64) if "ident" in hubs else []]))
        clusters = self.analysis.clusters
        rows = clusters[clusters["cluster_id"].isin(set(selected))].to_dict("records")
        self._cluster_rows = {row["cluster_id"]: row for row in rows}

    def cluster_context(self, cluster_id: str) -> dict:
        """The template context of one cluster's page (after :meth:`prepare`)."""
        code = self.code_of[cluster_id]
        members = self._order[self._bounds[code]:self._bounds[code + 1]]
        low, high = self._pair_bounds[code], self._pair_bounds[code + 1]
        return self._cluster_context(self._cluster_rows[cluster_id], members,
                                     self._pair_store[low:high], self._pair_ident[low:high],
                                     self._evidence.get(cluster_id, []))

    def _index_links(self, stores: np.ndarray) -> None:
        """The link rows of ``stores``, sorted by store, for :meth:`_cluster_links`."""
        graph = self.analysis.linkage.graph
        links = graph.links
        chosen = np.zeros(self.n_stores, dtype=bool)
        chosen[stores] = True
        rows = np.flatnonzero(chosen[graph.link_store])
        rows = rows[np.argsort(graph.link_store[rows], kind="stable")]
        self._link_bounds = np.searchsorted(graph.link_store[rows], np.arange(self.n_stores + 1))
        self._link_ident = self.canonical[graph.link_ident[rows]]
        self._link_columns = {
            name: np.array(_values(links, name, rows), dtype=object)
            for name in ("holder_name", "role", "address_type", "raw")
        }

    def _cluster_links(self, members: list[int]) -> None:
        """Per store of a cluster: its identifiers; per (store, identifier): holder and role."""
        self.store_links: dict[int, list[tuple[int, str]]] = {}
        self.link_detail: dict[tuple[int, int], list[str]] = {}
        self.holders: dict[int, list[str]] = {}
        bounds = self._link_bounds
        columns = self._link_columns
        for s in members:
            low, high = bounds[s], bounds[s + 1]
            if low == high:
                continue
            entries = self.store_links.setdefault(s, [])
            for i, h, r, a, w in zip(self._link_ident[low:high].tolist(),
                                     columns["holder_name"][low:high].tolist(),
                                     columns["role"][low:high].tolist(),
                                     columns["address_type"][low:high].tolist(),
                                     columns["raw"][low:high].tolist(), strict=True):
                entries.append((i, w if self.ident_kind[i] == "address" else ""))
                detail = []
                if h:
                    h = scrub(h, self.show_pii)
                    detail.append(f"holder: {h}" + (f" ({r})" if r else ""))
                    names = self.holders.setdefault(i, [])
                    if h not in names and len(names) < 6:
                        names.append(h)
                elif r:
                    detail.append(f"role: {r}")
                if a:
                    detail.append(f"address type: {a}")
                if detail:
                    self.link_detail.setdefault((s, i), []).extend(
                        self.text(d, 80) for d in detail)

    def _weighed_links(self, selected: set[str]) -> dict[str, dict[str, list[dict]]]:
        """Per selected cluster: its weakest merges and its possible links, each as a
        waterfall (evidence items and weights, prior, total, threshold), at most LINK_ROWS."""
        from ..analysis import describe_links
        from ..linkage.evidence import address_texts
        from ..linkage.waterfall import link_items, merge_table, possible_table

        linkage = self.analysis.linkage
        if linkage.resolution is None:
            return {}
        merges = merge_table(linkage)
        merges = merges[merges["cluster_id"].isin(selected) & ~merges["weak"]]
        merges = merges.sort_values(["cluster_id", "score"]).groupby("cluster_id").head(
            LINK_ROWS)
        possible = self.analysis.possible_links
        if possible is None:
            possible = possible_table(linkage)
        possible = possible[possible["cluster_a"].isin(selected)
                            | possible["cluster_b"].isin(selected)]
        edges = np.r_[merges["edge"].to_numpy(), possible["edge"].to_numpy()]
        if not len(edges):
            return {}
        items = link_items(linkage, edges)
        texts = address_texts(linkage, items.loc[items["ident"] >= 0, "ident"].to_numpy())
        described = describe_links(items, texts, self.show_pii, self.secret)
        out: dict[str, dict[str, list[dict]]] = {}
        for row in merges.itertuples():
            out.setdefault(row.cluster_id, {}).setdefault("merges", []).append({
                "a": row.store_a, "b": row.store_b, "score": f"{row.score:+.1f}",
                "prior": f"{row.prior:+.1f}", "chance": f"{-row.chance:+.1f}",
                "threshold": f"{row.threshold:+.1f}",
                "evidence": self.text(str(described.get(row.edge, "")), 600)})
        for row in possible.itertuples():
            for own, other in ((row.cluster_a, row.cluster_b), (row.cluster_b, row.cluster_a)):
                if own not in selected:
                    continue
                rows = out.setdefault(own, {}).setdefault("possible", [])
                if len(rows) < LINK_ROWS:
                    rows.append({
                        "other": other, "a": row.store_a, "b": row.store_b,
                        "score": f"{row.score:+.1f}", "prior": f"{row.prior:+.1f}",
                        "chance": f"{-row.chance:+.1f}", "threshold": f"{row.threshold:+.1f}",
                        "evidence": self.text(str(described.get(row.edge, "")), 600)})
        return out

    def _evidence_by_cluster(self, selected: set[str]) -> dict[str, list[dict]]:
        evidence = self.analysis.evidence
        if evidence.empty:
            return {}
        evidence = evidence[evidence["cluster_id"].isin(selected)]
        columns = ["cluster_id", "ident", "kind", "key", "store_count", "store_ids", "status",
                   "bridge", "splits_into", "spellings"]
        values = [evidence[c].to_numpy(dtype=object) if c in evidence
                  else np.full(len(evidence), None, dtype=object) for c in columns]
        grouped: dict[str, list[dict]] = {}
        for row in zip(*values, strict=True):
            grouped.setdefault(row[0], []).append(dict(zip(columns, row, strict=True)))
        return grouped

    def _cluster_context(self, cluster: dict, members: np.ndarray, pair_store: np.ndarray,
                         pair_ident: np.ndarray, evidence: list[dict]) -> dict:
        members = sorted(members.tolist())
        self._cluster_links(members)
        position = {s: k for k, s in enumerate(members)}
        ident_rows = {int(row["ident"]): row for row in evidence if int(row["ident"]) >= 0}
        idents = sorted(set(pair_ident.tolist()), key=lambda i: (
            not bool(ident_rows.get(i, {}).get("bridge", False)),
            -int(ident_rows.get(i, {}).get("store_count", 0)), self.ident_kind[i], i))
        ident_position = {i: k for k, i in enumerate(idents)}
        big = len(members) + len(idents) > FOLD_NODES

        graph_stores = [self._graph_store(s, big) for s in members]
        graph_idents = [self._graph_ident(i, ident_rows.get(i, {})) for i in idents]
        links = [
            (position[s], ident_position[i], self._edge_title(s, i))
            for s, i in zip(pair_store.tolist(), pair_ident.tolist(), strict=True)
        ]
        graph = build_cluster_graph(graph_stores, graph_idents, links)
        options = graph_options(len(graph.nodes), len(graph.edges))
        graph_json = json_for_script({"nodes": graph.nodes, "edges": graph.edges,
                                      "options": options})
        kinds = sorted({self.ident_kind[i] for i in idents}, key=list(KIND_STYLE).index)
        risk = int(cluster["risk_score"])
        cluster_id = str(cluster["cluster_id"])
        first_ban = cluster.get("first_suspension")
        return {
            "c": {
                "id": cluster_id,
                "size": f"{int(cluster['size']):,}",
                "risk": risk,
                "risk_class": _risk_class(risk),
                "idents": f"{len(idents):,}",
                "suspended": int(cluster["suspended"]),
                "linked": int(cluster["linked_to_suspended"]),
                "reopened": int(cluster["reopened_after_ban"]),
                "variants": self.text(str(cluster.get("brand_variants") or "").replace(";", ", ")),
                "bridges": int(cluster.get("bridges", 0) or 0),
                "brands": self.text(str(cluster.get("brands") or "").replace(";", ", "), 400),
                "change": str(cluster.get("change") or ""),
                "previous_ids": self.text(str(cluster.get("previous_ids") or ""), 200),
            },
            "legend": self._legend(kinds, graph),
            "graph_notes": graph.notes,
            "graph_json": graph_json,
            "factors": _factors(cluster, first_ban, self),
            "evidence": [self._evidence_row(row) for row in evidence],
            "weakest_merges": self._weighed.get(cluster_id, {}).get("merges", []),
            "possible_links": self._weighed.get(cluster_id, {}).get("possible", []),
            "timeline": _timeline([(self.opened[s], self.suspended_on[s], self.store_id[s])
                                   for s in members]),
            "stores": self._store_rows(members),
            "stores_omitted": f"{len(members) - STORE_ROWS:,}" if len(members) > STORE_ROWS
            else "",
            "cypher": _cypher(cluster_id),
        }

    def _graph_store(self, s: int, big: bool) -> GraphStore:
        sid = self.store_id[s]
        name = self.text(self.name[s], 60)
        label = sid if big or not name else f"{shorten(sid, 24)}\n{shorten(name, 22)}"
        status = self.status[s] or "active"
        flagged = status == "suspended" or self.reopened[s] or bool(self.variant_of[s])
        return GraphStore(node_id=f"s{s}", label=label, title=self._store_title(s),
                          status=status, linked_to_suspended=self.linked[s], flagged=flagged)

    def _store_title(self, s: int) -> str:
        lines = [f"Store {self.store_id[s]}" + (f" \u00b7 {self.text(self.name[s], 80)}"
                                                if self.name[s] else "")]
        lines.append(f"brand: {self.text(self.brand[s], 60) or '-'} \u00b7 marketplace: "
                     f"{self.text(self.marketplace[s], 40) or '-'}")
        lines.append(f"opened: {self.opened[s] or 'unknown'}")
        status = self.status[s] or "active"
        if status == "suspended":
            when = f" on {self.suspended_on[s]}" if self.suspended_on[s] else ""
            why = f": {self.text(self.reason[s], 120)}" if self.reason[s] else ""
            lines.append(f"status: SUSPENDED{when}{why}")
        else:
            why = f" ({self.text(self.reason[s], 120)})" if self.reason[s] else ""
            lines.append(f"status: {status}{why}")
        if self.linked[s]:
            lines.append("! linked to a suspended store of this cluster")
        if self.reopened[s]:
            lines.append("! opened after a suspension in this cluster (reopened after a ban)")
        if self.variant_of[s]:
            lines.append(f"! brand varies the suspended brand \"{self.text(self.variant_of[s])}\"")
        entries = self.store_links.get(s, [])
        if entries:
            lines.append("identifiers:")
        seen: set[int] = set()
        for i, own in entries:
            if i in seen:
                continue
            seen.add(i)
            if len(seen) > TOOLTIP_IDENTIFIERS:
                lines.append(f"  \u2026 and {len({e[0] for e in entries}) - TOOLTIP_IDENTIFIERS}"
                             " more")
                break
            kind = self.ident_kind[i]
            shown = self.text(own, 80) if own else shorten(self.display(i), 80)
            status = self.decision.get(i, ("", ""))[0]
            mark = " (hub: links nobody)" if status in ("hub", "denied") else ""
            detail = "; ".join(self.link_detail.get((s, i), [])[:2])
            lines.append(f"  {KIND_NAMES.get(kind, kind)}: {shown}{mark}"
                         + (f" [{detail}]" if detail else ""))
        return "\n".join(lines)

    def _graph_ident(self, i: int, row: dict) -> GraphIdent:
        kind = self.ident_kind[i]
        shown = self.display(i)
        status, reason = self.decision.get(i, ("", ""))
        count = int(row.get("store_count", 0) or 0)
        lines = [f"{KIND_NAMES.get(kind, kind)}: {shown}",
                 f"shared by {count:,} stores of this cluster"]
        if reason:
            lines.append(f"why it links: {self.text(reason, 160)}")
        bridge = bool(row.get("bridge", False))
        if bridge:
            lines.append(f"BRIDGE: removing it splits the cluster ({row.get('splits_into', '')})")
        spellings = int(row.get("spellings", 1) or 1)
        if spellings > 1:
            lines.append(f"written {spellings} different ways, merged as one")
        holders = self.holders.get(i, [])
        if holders:
            lines.append("holder names: " + ", ".join(self.text(h, 40) for h in holders[:5])
                         + (" \u2026" if len(holders) > 5 else ""))
        label = shorten(shown, 28)
        return GraphIdent(node_id=f"i{i}", kind=kind, label=label, title="\n".join(lines),
                          bridge=bridge, store_count=count)

    def _edge_title(self, s: int, i: int) -> str:
        kind = self.ident_kind[i]
        detail = "; ".join(self.link_detail.get((s, i), [])[:3])
        return (f"{self.store_id[s]} \u2014 {KIND_NAMES.get(kind, kind)} "
                f"{shorten(self.display(i), 60)}" + (f"\n{detail}" if detail else ""))

    def _evidence_row(self, row: dict) -> dict:
        ident = int(row["ident"])
        ids = str(row.get("store_ids") or "").split(";")
        shown = ", ".join(ids[:60]) + (f" \u2026 and {len(ids) - 60:,} more"
                                        if len(ids) > 60 else "")
        if row["kind"] == "brand" or ident < 0:
            return {"node": None, "kind": "brand variant",
                    "identifier": self.text(str(row["key"]).replace(";", ", ")),
                    "spellings": 1, "stores": int(row["store_count"]), "store_ids": shown,
                    "status": self.text(str(row.get("status") or "").replace(";", ", ")),
                    "bridge": False, "splits": ""}
        status, reason = self.decision.get(ident, (str(row.get("status") or ""), ""))
        reason = self.text(reason)
        return {
            "node": f"i{ident}",
            "kind": KIND_NAMES.get(row["kind"], str(row["kind"])),
            "identifier": self.display(ident),
            "spellings": int(row.get("spellings", 1) or 1),
            "stores": int(row["store_count"]),
            "store_ids": shown,
            "status": (reason if status in reason else f"{status}: {reason}") if reason
            else status,
            "bridge": bool(row.get("bridge", False)),
            "splits": str(row.get("splits_into") or ""),
        }

    def _store_rows(self, members: list[int]) -> list[dict]:
        ordered = sorted(members, key=lambda s: (self.opened[s] == "", self.opened[s],
                                                 self.store_id[s]))
        rows = []
        for s in ordered[:STORE_ROWS]:
            rows.append({
                "node": f"s{s}",
                "opened": self.opened[s],
                "id": self.store_id[s],
                "name": self.text(self.name[s], 120),
                "brand": self.text(self.brand[s], 80),
                "marketplace": self.text(self.marketplace[s], 40),
                "status": self.status[s] or "active",
                "suspended_on": self.suspended_on[s],
                "reason": self.text(self.reason[s], 300),
                "flags": self.text(self.reasons[s], 300),
            })
        return rows

    def _legend(self, kinds: list[str], graph) -> list[dict]:
        items = []
        for fill, name in STORE_STYLE.values():
            items.append({"shape": "dot", "fill": fill, "stroke": "#555555", "width": 1,
                          "name": name})
        items.append({"shape": "dot", "fill": STORE_STYLE["active"][0], "stroke": LINKED_BORDER,
                      "width": 3, "name": "linked to a suspended store"})
        for kind in kinds:
            shape, fill, name, _ = KIND_STYLE[kind]
            items.append({"shape": shape, "fill": fill, "stroke": "#555555", "width": 1,
                          "name": name})
        if any(str(node.get("group", "")).endswith("-bridge") for node in graph.nodes):
            items.append({"shape": "square", "fill": "#ffffff", "stroke": BRIDGE_BORDER,
                          "width": 3, "name": "bridge (thick border)"})
        if graph.folded_stores:
            items.append({"shape": "dot", "fill": FOLDED_COLOR, "stroke": "#8a8a8a", "width": 1,
                          "name": "folded stores"})
        return items

    # -- index ---------------------------------------------------------------------------------

    def index_context(self, pages: dict[str, str], rejects: int | None,
                      only_cluster: str | None) -> dict:
        clusters = self.analysis.clusters
        multi = clusters[clusters["size"] >= 2]
        risk_counts = [0] * 11
        for risk in multi["risk_score"].astype(int).tolist():
            risk_counts[min(max(risk, 0) // 10, 10)] += 1
        hubs = self.analysis.hubs
        hub_rows = []
        for row in hubs.head(HUB_ROWS).to_dict("records"):
            ident = int(row["ident"])
            hub_rows.append({
                "kind": KIND_NAMES.get(row["kind"], str(row["kind"])),
                "identifier": self.display(ident),
                "stores": f"{int(row['store_count']):,}",
                "groups": int(row.get("groups", 0) or 0),
                "status": str(row.get("status") or ""),
                "reason": self.text(str(row.get("reason") or ""), 300),
            })
        stores = self.analysis.linkage.graph.stores
        store_count = len(stores)
        in_clusters = int(multi["size"].sum())
        suspended = int((stores["status"].fillna("").astype(str) == "suspended").sum()) \
            if "status" in stores else 0
        return {
            "summary": {
                "stores": f"{store_count:,}",
                "clusters": f"{len(multi):,}",
                "stores_in_clusters": f"{in_clusters:,}",
                "singletons": f"{store_count - in_clusters:,}",
                "largest": f"{int(multi['size'].max()) if len(multi) else 0:,}",
                "suspended": f"{suspended:,}",
                "linked": f"{self._linked_count():,}",
                "hubs": f"{len(hubs):,}",
                "rejects": "not recorded with this report" if rejects is None
                else f"{rejects:,} (see rejects.csv)" if rejects else "none",
            },
            "cluster_rows": Markup("".join(self._index_rows(multi, pages))),
            "cluster_count": len(multi),
            "risk_counts": risk_counts,
            "risk_json": Markup(json_for_script(risk_counts)),
            "hubs": hub_rows,
            "hubs_omitted": f"{len(hubs) - HUB_ROWS:,}" if len(hubs) > HUB_ROWS else "",
            "only_cluster": only_cluster or "",
            "pages_limited": f"{len(pages):,}" if not only_cluster and len(pages) < len(multi)
            else "",
        }

    def _member_ids(self, cluster_ids: pa.Array) -> pa.Array:
        return _member_ids_of(self.analysis.stores, cluster_ids)

    def _linked_count(self) -> int:
        """Stores linked to a suspended store, counted over the linkage's stores."""
        stores, flags = self.analysis.linkage.graph.stores, self.analysis.stores
        if not _aligned(flags, stores):
            flags = flags.set_index("store_id").reindex(stores["store_id"]).reset_index()
        return int(flags["linked_to_suspended"].fillna(False).astype(bool).sum())

    def _index_rows(self, multi: pd.DataFrame, pages: dict[str, str]) -> list[str]:
        """The index's table rows, as HTML: a Jinja loop over 100,000+ clusters costs seconds,
        so the rows are put together a column at a time in Arrow.

        Every value is escaped here as autoescape would (:func:`markupsafe.escape`); brands
        that scrubbing could change (digits, ``@``, non-ASCII) go through :meth:`text`.
        """
        if multi.empty:
            return []

        def column(name: str, default: object = "") -> pd.Series:
            return multi[name] if name in multi else pd.Series(default, index=multi.index)

        def number(name: str) -> pa.Array:
            return pa.array(column(name, 0).astype(int).to_numpy()).cast(pa.string())

        cid = pa.array(column("cluster_id").astype(str).tolist(), pa.string())
        brands = pa.array([str(b or "").replace(";", ", ") for b in column("brands").tolist()],
                          pa.string())
        scrubbed = np.flatnonzero(pc.or_(may_scrub(brands),
                                         pc.greater(pc.utf8_length(brands), 2_000))
                                  .to_numpy(zero_copy_only=False))
        if len(scrubbed):
            texts = brands.to_pylist()
            for row in scrubbed.tolist():
                texts[row] = self.text(texts[row], 2_000)
            brands = pa.array(texts, pa.string())
        risk = column("risk_score", 0).astype(int).to_numpy()
        page = pa.array([pages.get(c) for c in cid.to_pylist()], pa.string())
        link = pc.if_else(page.is_valid(), _joined('<a href="', _escaped(
            pc.binary_join_element_wise("clusters/", page, "")), '">', _escaped(cid), "</a>"),
            _escaped(cid))
        parts = {
            "id": _escaped(cid), "link": link, "size": number("size"),
            "risk": pa.array(risk).cast(pa.string()),
            "risk_class": pa.array(np.where(risk >= 70, "high", np.where(risk >= 40, "mid", ""))),
            "suspended": number("suspended"), "linked": number("linked_to_suspended"),
            "reopened": number("reopened_after_ban"), "brands": _escaped(brands),
            "brands_short": _escaped(_shortened(brands, 80)),
            "factors": _escaped(pa.array([str(f or "") for f in column("risk_factors")],
                                         pa.string())),
            "change": _escaped(pa.array([str(c or "") for c in column("change")], pa.string())),
            "stores": _escaped(self._member_ids(cid)),
        }
        pieces = [parts[value] if kind == "field" else value for kind, value in _INDEX_ROW_PIECES]
        return _joined(*pieces).to_pylist()


def _member_ids_of(stores: pd.DataFrame, cluster_ids: pa.Array) -> pa.Array:
    """The store ids of each of ``cluster_ids``, sorted and joined by spaces, in Arrow: the
    index's filter finds a cluster by any of its stores (an investigator starts from one)."""
    table = pa.table({"c": pa.array(stores["cluster_id"].astype(str), pa.string()),
                      "s": pa.array(stores["store_id"].astype(str), pa.string())})
    table = table.sort_by([("c", "ascending"), ("s", "ascending")])
    clusters = table["c"].combine_chunks()
    ids = table["s"].combine_chunks()
    starts = np.flatnonzero(np.r_[True, pc.not_equal(clusters[1:], clusters[:-1]).to_numpy(
        zero_copy_only=False)]) if len(clusters) else np.array([], dtype=np.int64)
    offsets = pa.array(np.r_[starts, len(ids)].astype(np.int32))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, ids), " ")
    at = pc.index_in(cluster_ids, value_set=clusters.take(pa.array(starts)))
    return pc.fill_null(joined.take(at), "")


def _shortened(values: pa.Array, limit: int) -> pa.Array:
    """:func:`~.text.shorten` of every value, in Arrow (lengths in code points, as Python's)."""
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(values, 0, limit - 1), "\u2026",
                                      "")
    return pc.if_else(pc.greater(pc.utf8_length(values), limit), cut, values)


def _joined(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


#: a row of the index's clusters table (index.html); every value is escaped before it goes in
_INDEX_ROW = (
    '<tr data-id="{id}" data-size="{size}" data-risk="{risk}" data-suspended="{suspended}" '
    'data-linked="{linked}" data-reopened="{reopened}" data-brands="{brands}" '
    'data-change="{change}" data-stores="{stores}">\n'
    "<td>{link}</td>\n"
    '<td class="num">{size}</td>\n'
    '<td class="num risk {risk_class}">{risk}</td>\n'
    '<td class="num">{suspended}</td>\n'
    '<td class="num">{linked}</td>\n'
    '<td class="num">{reopened}</td>\n'
    '<td class="wrap">{brands_short}</td>\n'
    '<td class="wrap">{factors}</td>\n'
    "<td>{change}</td>\n"
    "</tr>\n"
)
#: the same row as pieces: ("text", literal) and ("field", name of a value)
_INDEX_ROW_PIECES = [piece for literal, name, _, _ in string.Formatter().parse(_INDEX_ROW)
                     for piece in (("text", literal), ("field", name)) if piece[1]]


def _aligned(flags: pd.DataFrame, stores: pd.DataFrame) -> bool:
    """Whether the per-store flags are in the linkage's store order (they are after analyze)."""
    if len(flags) != len(stores):
        return False
    ours, theirs = (pa.array(frame["store_id"], from_pandas=True).cast(pa.large_string())
                    for frame in (flags, stores))
    return bool(pc.all(pc.equal(ours, theirs).fill_null(False)).as_py() is not False)


# ---------------------------------------------------------------------------------------------
# Page parts


def _risk_class(risk: int) -> str:
    return "high" if risk >= 70 else "mid" if risk >= 40 else ""


def _factors(cluster: dict, first_ban, world: _World) -> list[dict]:
    points: dict[str, str] = {}
    for part in str(cluster.get("risk_factors") or "").split(";"):
        name, _, value = part.strip().rpartition(" +")
        if name:
            points[name] = value
    when = ""
    if first_ban is not None and not pd.isna(first_ban):
        when = f" ({pd.Timestamp(first_ban).date().isoformat()})"
    facts = {
        "suspended": int(cluster.get("suspended", 0) or 0),
        "reopened": int(cluster.get("reopened_after_ban", 0) or 0),
        "first_ban": when,
        "variants": world.text(str(cluster.get("brand_variants") or "").replace(";", ", "))
        or "none",
        "burst": int(cluster.get("burst", 0) or 0),
        "size": f"{int(cluster.get('size', 0) or 0):,}",
        "holders": int(cluster.get("holders", 0) or 0),
    }
    rows = []
    for name, maximum in RISK_FACTORS.items():
        rows.append({"name": name, "points": points.get(name, "0"), "max": maximum,
                     "why": FACTOR_HELP.get(name, "").format(**facts)})
    return rows


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _timeline(stores: list[tuple[str, str, str]]) -> dict:
    """An SVG strip of openings (above the axis) and suspensions (below), binned by pixel."""
    width, height, left, right, mid = 900, 100, 30, 870, 46
    events = []
    for opened, suspended, store_id in stores:
        for text, kind in ((opened, "opened"), (suspended, "suspended")):
            day = _date(text)
            if day:
                events.append((day, kind, store_id))
    if not events:
        return {"ticks": []}
    low = min(e[0] for e in events).toordinal()
    high = max(e[0] for e in events).toordinal()
    if high - low < 30:
        low, high = low - 15, high + 15
    span = high - low
    bins: dict[tuple[int, str], list] = {}
    for day, kind, store_id in events:
        x = int(left + (day.toordinal() - low) / span * (right - left))
        bins.setdefault((x // 3 * 3, kind), []).append((day, store_id))
    ticks = []
    for (x, kind), items in sorted(bins.items()):
        items.sort()
        h = min(14 + 8 * math.log2(len(items)), 40)
        ids = ", ".join(s for _, s in items[:12]) + (f" \u2026 +{len(items) - 12}"
                                                     if len(items) > 12 else "")
        days = items[0][0].isoformat() + (f" to {items[-1][0].isoformat()}"
                                           if items[-1][0] != items[0][0] else "")
        ticks.append({"kind": kind, "x": x, "w": 3, "h": round(h, 1),
                      "y": round(mid - h, 1) if kind == "opened" else mid,
                      "title": f"{days}: {len(items)} {kind} ({ids})"})
    labels = []
    first, last = date.fromordinal(low), date.fromordinal(high)
    years = range(first.year + (first.month > 1 or first.day > 1), last.year + 1)
    if len(years) >= 2:
        step = max(1, math.ceil(len(years) / 10))
        marks = [(date(y, 1, 1), str(y)) for y in years[::step]]
    else:
        marks = []
        y, m = first.year, first.month
        while date(y, m, 1) <= last:
            if date(y, m, 1) >= first:
                marks.append((date(y, m, 1), f"{y}-{m:02d}"))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        marks = marks[::max(1, math.ceil(len(marks) / 10))]
    for day, text in marks:
        labels.append({"x": round(left + (day.toordinal() - low) / span * (right - left), 1),
                       "text": text})
    return {"ticks": ticks, "labels": labels, "width": width, "height": height, "left": left,
            "right": right, "mid": mid}


#: the query of a cluster's "reproduce in Neo4j" box: a constant, the cluster id a parameter
CLUSTER_QUERY = (
    "MATCH (c:Cluster {cluster_id: $cluster_id})<-[:MEMBER_OF]-(s:Store)\n"
    "OPTIONAL MATCH p = (s)-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]->(i)\n"
    "      <-[:OPENED_WITH|PAID_TO|HAS_PHONE|HAS_EMAIL|LOCATED_AT]-(t:Store)"
    "-[:MEMBER_OF]->(c)\n"
    "WHERE t <> s\n"
    "WITH c, s, collect(p) AS shared\n"
    "OPTIONAL MATCH q = (s)-[:LOCATED_AT]->(:Address)-[:SIMILAR_TO]-(:Address)\n"
    "      <-[:LOCATED_AT]-(:Store)-[:MEMBER_OF]->(c)\n"
    "RETURN c, s, shared, collect(q) AS similar_addresses"
)


def _cypher(cluster_id: str) -> str:
    """The cluster's query for Neo4j Browser or cypher-shell: a ``:param`` line, then
    :data:`CLUSTER_QUERY`, which holds no data. The id is a JSON string, which Cypher reads as
    a string literal: ASCII only, every quote, backslash, newline and control character escaped,
    so no id can end the literal or the line.

    >>> print(_cypher("C1").splitlines()[0])
    :param cluster_id => "C1"
    """
    return f":param cluster_id => {json.dumps(cluster_id, ensure_ascii=True)}\n{CLUSTER_QUERY}"
