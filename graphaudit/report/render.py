"""Write the report: the shared assets, ``index.html`` and one page per cluster.

Pages are rendered by Jinja (autoescape on: every value is HTML-escaped unless it is our own
Markup) from the contexts of :mod:`.context` and :mod:`.index`, which read the prepared data of
:mod:`.data`. All HTML is in the templates beside this module.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..analysis import Analysis
from ..errors import DataError
from ..parallel import Parallel
from ..privacy import load_key
from .assets import ASSET_DIR, Assets, load_assets
from .context import cluster_context
from .data import ReportData, cluster_codes, prepare
from .index import index_context

__all__ = ["ReportInfo", "page_name", "write_report"]

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


@dataclass(frozen=True)
class ReportInfo:
    """Where a report came from, for its summary and footer."""

    source: str
    made_at: str
    show_pii: bool = False
    rejects: int | None = None
    #: what missing input columns left unassessed (graphaudit.coverage)
    not_assessed: tuple[str, ...] = ()
    #: the graph's loads that stopped before their end, as read_graph says them
    incomplete: tuple[str, ...] = ()


def page_name(cluster_id: str) -> str:
    """The file name of a cluster's page; ids that are not plain become a digest (no paths).

    >>> page_name("C4e2b3d8a9d0b"), page_name("../../etc/passwd")[:2]
    ('C4e2b3d8a9d0b.html', 'c-')
    """
    if _SAFE_NAME.fullmatch(cluster_id):
        return f"{cluster_id}.html"
    return "c-" + hashlib.sha256(cluster_id.encode("utf-8")).hexdigest()[:20] + ".html"


def refuse_linked_folders(out_dir: Path) -> None:
    """Refuse (DataError) an ``out_dir/clusters`` or ``out_dir/assets`` that is a symbolic
    link: pages are written only into a folder of their own. Checked before any file of the
    folder is touched (a link at ``index.html`` was removed first: REPORT4 item 17)."""
    for folder in (Path(out_dir) / "clusters", Path(out_dir) / ASSET_DIR):
        if folder.is_symlink():
            raise DataError(f"{folder}: a symbolic link; refused (graphaudit writes its pages "
                            "only into a folder of its own, never through a link)")


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
    incomplete: Iterable[str] = (),
    standalone: bool = False,
    parallel: Parallel | None = None,
    pages_per_chunk: int = 100,
) -> list[Path]:
    """Write ``index.html``, ``clusters/<cluster_id>.html`` for every cluster of 2+ stores, and
    the files they share in ``assets/``.

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
    incomplete : what to say of each load of the graph that stopped before its end (its stores
        and links may be missing), shown at the top of the index.
    standalone : every page written carries its scripts and styles inside (no ``assets/``):
        for one cluster's page to hand over (with ``only_cluster``).
    parallel : the budget of workers (:mod:`graphaudit.parallel`); pages are shared with forked
        children while it has workers to spare. Default: everything in this process.
    pages_per_chunk : how many pages a forked child is handed at a time (the unit of sharing).

    Returns
    -------
    The paths written: ``index.html`` first, then the assets (unless standalone), then the
    cluster pages.

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
    Pages load nothing from a network (docs/report.md): a Content-Security-Policy allows only
    the report's own scripts, by hash, and every value from the data is escaped (HTML-escaped by
    Jinja's autoescape, JSON-escaped in data blocks, text-only tooltips). Files are written as
    files of their own, never through a symbolic link: a link at a page's name is replaced, and
    a linked ``out_dir/clusters`` or ``out_dir/assets`` is refused. Nothing else in the folder
    is removed here.
    """
    out_dir = Path(out_dir)
    pages_dir = out_dir / "clusters"
    refuse_linked_folders(out_dir)
    pages_dir.mkdir(parents=True, exist_ok=True)
    selected = _selected(analysis, only_cluster, max_pages)
    # Each process that writes pages prepares the data of its own pages (after the fork), so
    # that the preparation is shared among the page writers too, not done before they start.
    prepared = partial(prepare, analysis, show_pii=show_pii, secret=secret or load_key())
    if rejects is None:
        rejects = _count_rejects(out_dir / "rejects.csv")
    info = ReportInfo(source=source or _default_source(analysis),
                      made_at=made_at or analysis.computed_at, show_pii=show_pii,
                      rejects=rejects, not_assessed=tuple(not_assessed),
                      incomplete=tuple(incomplete))
    renderer = Renderer(load_assets(), info, standalone)
    names = {cluster_id: page_name(cluster_id) for cluster_id in selected}
    index = out_dir / "index.html"
    assets = [] if standalone else _write_assets(renderer.assets, out_dir / ASSET_DIR)

    def write_index(data: ReportData) -> None:
        _write(index, renderer.index(index_context(data, names, rejects, only_cluster)))

    _write_pages(prepared, _page_rows(analysis, selected), renderer, selected, pages_dir,
                 progress, meanwhile=write_index, parallel=parallel or Parallel(),
                 pages_per_chunk=pages_per_chunk)
    written = [pages_dir / names[cluster_id] for cluster_id in selected]
    # Pages of an earlier report that this one did not write are removed by the caller, and
    # only when its manifest recorded them (graphaudit.outputs): never by a glob here.
    return [index, *assets, *written]


def _selected(analysis: Analysis, only_cluster: str | None, max_pages: int | None
              ) -> list[str]:
    clusters = analysis.clusters
    if only_cluster is not None:
        if only_cluster not in set(clusters["cluster_id"]):
            raise DataError(f"unknown cluster id {only_cluster!r}")
        return [only_cluster]
    selected = clusters.loc[clusters["size"] >= 2, "cluster_id"].tolist()
    if max_pages is not None and len(selected) > max_pages:
        ranked = clusters[clusters["size"] >= 2].sort_values(
            ["risk_score", "size", "cluster_id"], ascending=[False, False, True])
        selected = ranked["cluster_id"].head(max_pages).tolist()
    return selected


def _default_source(analysis: Analysis) -> str:
    """The record files the stores came from, or Neo4j when they were read from a graph."""
    stores = analysis.linkage.graph.stores
    links = analysis.linkage.graph.links
    if "_file" not in stores:
        return "Neo4j"
    files = sorted({*map(str, stores["_file"].dropna().unique()),
                    *(map(str, links["_file"].dropna().unique()) if "_file" in links else [])})
    return "data files " + ", ".join(files) if files else "data files"


#: open for writing a file of its own: a symbolic link at the name is not followed (ELOOP)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) \
    | getattr(os, "O_BINARY", 0)


def _write(path: Path, text: str) -> None:
    """``text`` into ``path`` as a file of its own (a link at its name is replaced).

    One ``open`` that refuses to follow a link, and the link removed only when there is one
    (a ``stat`` and a text wrapper per page before: a tenth of a page's time)."""
    data = text.encode("utf-8")
    try:
        fd = os.open(path, _WRITE_FLAGS, 0o666)
    except OSError as error:
        if not os.path.islink(path):
            raise error
        os.unlink(path)
        fd = os.open(path, _WRITE_FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _write_assets(assets: Assets, folder: Path) -> list[Path]:
    folder.mkdir(exist_ok=True)
    written = []
    for name, text in assets.files().items():
        _write(folder / name, text)
        written.append(folder / name)
    return written


def _write_pages(prepared: Callable[[list[str]], ReportData], rows: dict[str, int],
                 renderer: Renderer, selected: list[str], pages_dir: Path,
                 progress: Callable[[int], None] | None,
                 meanwhile: Callable[[ReportData], None], parallel: Parallel,
                 pages_per_chunk: int = 100) -> None:
    """Render and write each selected cluster's page, sharing the work with forked children
    as ``parallel`` allows (:mod:`graphaudit.parallel`); ``meanwhile`` (the index, given this
    process's prepared data) runs here.

    A child is handed every other chunk of pages and prepares their data itself (``prepared``
    of their cluster ids); it reports its pages when it is done, this process as it goes.
    ``rows`` is each page's size for the parallel policy (:func:`_page_rows`).
    """
    chunks = [selected[k:k + pages_per_chunk]
              for k in range(0, len(selected), pages_per_chunk)]
    # The analysis is long-lived too: forked children leave its memory alone (see below).
    gc.freeze()
    try:
        done = _write_chunks(chunks, prepared, rows, renderer, pages_dir, parallel, progress,
                             meanwhile)
    finally:
        gc.unfreeze()
    if progress and done:
        progress(done)


def _write_chunks(chunks: list[list[str]], prepared: Callable[[list[str]], ReportData],
                  rows: dict[str, int], renderer: Renderer, pages_dir: Path,
                  parallel: Parallel, progress: Callable[[int], None] | None = None,
                  meanwhile: Callable[[ReportData], None] | None = None) -> int:
    """Write the pages of ``chunks``; half of them in a forked child while the budget has a
    worker to spare (recursively, within the child's share). Returns the pages not yet
    reported to ``progress``."""
    size = sum(rows[cluster_id] for chunk in chunks for cluster_id in chunk) \
        if len(chunks) > 1 else 0
    if len(chunks) < 2 or not parallel.forks(size):
        data = prepared([cluster_id for chunk in chunks for cluster_id in chunk])
        # The prepared data is long-lived: keep the collector from walking it again and again
        # (and, in forked children, from touching and so copying its memory).
        gc.freeze()
        if meanwhile:
            meanwhile(data)
        for chunk in chunks:
            _write_chunk(chunk, data, renderer, pages_dir)
            if progress:
                progress(len(chunk))
        return 0 if progress else sum(len(chunk) for chunk in chunks)
    with parallel.start(_write_chunks, chunks[1::2], prepared, rows, renderer, pages_dir,
                        parallel, rows=size) as child:
        unreported = _write_chunks(chunks[::2], prepared, rows, renderer, pages_dir, parallel,
                                   progress, meanwhile)
        return unreported + child.result()


def _page_rows(analysis: Analysis, selected: list[str]) -> dict[str, int]:
    """The size of each selected cluster's page for the parallel policy: its stores and the
    identifier links of those stores."""
    codes = cluster_codes(analysis, selected)
    links = analysis.linkage.graph.link_store
    per_store = 1 + np.bincount(links, minlength=len(codes))[:len(codes)]
    chosen = codes >= 0
    sizes = np.bincount(codes[chosen], weights=per_store[chosen], minlength=len(selected))
    return dict(zip(selected, sizes.astype(np.int64).tolist(), strict=True))


def _write_chunk(cluster_ids: list[str], data: ReportData, renderer: Renderer,
                 pages_dir: Path) -> None:
    for cluster_id in cluster_ids:
        _write(pages_dir / page_name(cluster_id),
               renderer.cluster(cluster_context(data, cluster_id)))


def _count_rejects(path: Path) -> int | None:
    if not path.exists():
        return None
    with open(path, encoding="utf-8", newline="") as handle:
        return max(sum(1 for _ in csv.reader(handle)) - 1, 0)


class _Environment(Environment):
    """Jinja2 that looks up ``row.field`` in a dict first (our contexts are dicts)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


class Renderer:
    """The report's templates with what every page shares (assets, policy, footer)."""

    def __init__(self, assets: Assets, info: ReportInfo, standalone: bool = False) -> None:
        self.assets = assets
        env = _Environment(loader=FileSystemLoader(str(Path(__file__).parent)), autoescape=True,
                           undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.cluster_template = env.get_template("cluster.html")
        self.index_template = env.get_template("index.html")
        self.common = {
            "version": __version__, "info": info, "standalone": standalone,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "css": Markup(assets.css) if standalone else "",
        }
        self.cluster_policy = assets.cluster_policy(standalone)
        self.index_policy = assets.index_policy(standalone)
        self.packs = {name: Markup(text) for name, text in assets.packs.items()} \
            if standalone else {}

    def cluster(self, context: dict) -> str:
        """A cluster page."""
        return self.cluster_template.render(
            **self.common, **{**context, "graph_json": Markup(context["graph_json"])},
            policy=self.cluster_policy, loader=Markup(self.assets.loader_js), packs=self.packs)

    def index(self, context: dict) -> str:
        return self.index_template.render(
            **self.common, **context, policy=self.index_policy,
            script=Markup(self.assets.index_js))
