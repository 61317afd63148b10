"""The steps of a run, callable one by one from a notebook or a script.

    read -> extract -> link -> score -> write

Each step takes the previous one's result and returns plain tables keyed by store id (a
``store_id`` column, or an index of store ids): no result is aligned with another by position.
The commands of :mod:`graphaudit.cli` are these steps with options parsed and results printed;
``cluster`` and ``report`` share :func:`read_graph` and :func:`analyze_graph` (the graph
read back from Neo4j, analyzed with the cluster ids stored there) and ``cluster`` adds
:func:`write_back`. :func:`run_check`, :func:`run_files`, :func:`run_load`,
:func:`run_cluster`, :func:`run_report` and :func:`run_explain` are the whole of ``graphaudit
validate``, ``analyze``, ``load``, ``cluster``, ``report`` and ``explain``, each in one call:
the command
parses its options into a :class:`~graphaudit.settings.Settings` and prints what the run tells
its :class:`Events`.

Every step runs in one process unless given a ``parallel`` budget
(:class:`graphaudit.parallel.Parallel`; ``Parallel.auto()`` uses every usable core), and masks
personal data in what it writes unless told otherwise. Nothing here prints or exits: progress
goes to the ``stage`` and ``progress`` callbacks, problems are raised as
:class:`graphaudit.errors.GraphauditError`.

>>> from graphaudit import pipeline
>>> records = pipeline.read("sample_data")                       # doctest: +SKIP
>>> identifiers = pipeline.extract(records)                      # doctest: +SKIP
>>> linkage = pipeline.link(records.stores, identifiers.links)   # doctest: +SKIP
>>> analysis = pipeline.score(linkage)                           # doctest: +SKIP
>>> analysis.cluster_of["S0000001"]                              # doctest: +SKIP
'C...'
>>> pipeline.write(analysis, "out")                              # doctest: +SKIP
>>> run = pipeline.run_files("sample_data", "out", Settings())   # doctest: +SKIP
>>> run.written["clusters.csv"]                                  # doctest: +SKIP
PosixPath('out/clusters.csv')
"""

from __future__ import annotations

import collections
import os
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .analysis import (
    Analysis,
    analyze,
    evidence_graph,
    link,
    link_graph,
    read_previous,
    score,
)
from .coverage import gaps
from .errors import DataError, Interrupted
from .identifiers import Identifiers, extract_identifiers
from .linkage.hubs import HubOverrides, read_hub_overrides, unmatched_lines
from .linkage.waterfall import possible_table
from .normalize import store_id_key
from .outputs import (
    OutputRecord,
    Removal,
    check_rejects_not_an_output,
    ensure_output_folder,
    private_outputs,
    survey,
)
from .parallel import Parallel, reuse_freed_memory
from .privacy import load_key, mask_field
from .records import (
    MAX_LOSS_SHARE,
    FileReport,
    RecordSet,
    RejectsWriter,
    fingerprint,
    read_records,
)
from .results import possible_links, write_outputs
from .settings import Settings

if TYPE_CHECKING:
    from .store import GraphStore, LoadSummary

__all__ = ["CheckRun", "Events", "FilesRun", "GraphInput", "GraphRun", "LoadRun", "analyze",
           "analyze_graph", "close_rejects", "extract", "link", "losses", "open_rejects", "read",
           "read_graph", "reading_notes", "run_check", "run_cluster", "run_explain", "run_files",
           "run_load", "run_report", "score", "write", "write_back", "write_back_size"]


def read(
    data_dir: str | Path,
    rejects: RejectsWriter | None = None,
    encoding: str | None = None,
    column_map: dict[str, dict[str, str]] | None = None,
    date_format: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> RecordSet:
    """Read and validate the record files of ``data_dir`` (docs/design.md §1).

    Rows that break the contract go to ``rejects`` (a :class:`~graphaudit.records.RejectsWriter`,
    which writes them to a CSV file); without one they are kept in ``records.rejects``.
    """
    return read_records(Path(data_dir), rejects, encoding=encoding, column_map=column_map,
                        progress=progress, date_format=date_format)


def extract(records: RecordSet, rejects: RejectsWriter | None = None,
            parallel: Parallel | None = None, shortcuts: bool = True) -> Identifiers:
    """Normalize every identifier of ``records``: ``.links`` has one row per (store_id, kind,
    key), ``.nodes`` one table of identifiers per kind. Values that cannot be normalized go
    to ``rejects``; without a writer they are kept in ``identifiers.rejects``. ``shortcuts``
    is :attr:`Settings.shortcuts`."""
    return extract_identifiers(records, rejects, parallel, shortcuts)


def write(analysis: Analysis, out: str | Path, **options) -> dict[str, Path]:
    """Write the output files of ``analysis`` into ``out`` (created when missing): the CSV
    tables, model.json and the HTML report. ``options`` are those of
    :func:`graphaudit.results.write_outputs` (``show_pii``, ``secret``, ``max_pages``,
    ``parallel``...). Returns the paths written, by name."""
    return write_outputs(analysis, Path(out), **options)


def open_rejects(path: Path | None, show_pii: bool = False) -> RejectsWriter:
    """A writer of rejected rows to ``path`` (None: kept in memory), their values masked
    unless ``show_pii`` (then the file is the user's alone, mode 600)."""
    return RejectsWriter(path, mask=partial(mask_field, show_pii=show_pii), private=show_pii)


def close_rejects(rejects: RejectsWriter, strict: bool = False,
                  tell: Callable[[str], None] | None = None) -> None:
    """Close ``rejects`` and ``tell`` where they went; under ``strict``, any reject fails the
    run (DataError)."""
    rejects.close()
    if rejects.count:
        where = rejects.path or "nowhere"
        (tell or _nothing)(f"{rejects.count} rejects written to {where}")
        if strict:
            raise DataError(f"{rejects.count} rejects (rows or dropped values) and --strict is "
                            f"on (see {where})")


def losses(reports: list[FileReport]) -> list[str]:
    """Files that lost more than MAX_LOSS_SHARE of their rows or of one column's values."""
    return [f"{loss} (more than {MAX_LOSS_SHARE:.0%}; see the rejects file)"
            for report in reports for loss in report.losses()]


def _column_names(names: list[str]) -> str:
    """Column names for a message: the ones with no name (a spreadsheet's empty cells after the
    last column) counted, not printed as nothing between commas (REPORT4 item 4)."""
    named = [name for name in names if name.strip()]
    unnamed = len(names) - len(named)
    return ", ".join(named + ([f"{unnamed} with no name in the header"] if unnamed else []))


def reading_notes(records: RecordSet, appending: bool = False) -> list[str]:
    """What the user should know about what was read, one line each: unknown columns, Excel's
    text markers taken off (per file and column), the optional columns the analysis misses
    (:mod:`graphaudit.coverage`; ``appending`` to a graph: of this data set's stores only, the
    graph keeping what earlier loads wrote, REPORT7 item 6), files that lost many rows or
    values, and nothing left to analyze."""
    lines = [f"Warning: {name} is not read: a data file is named stores, identities, payments "
             "or addresses, with .csv, .tsv, .jsonl or .parquet (.gz but for Parquet); rename "
             "it if it is one" for name in records.unread]
    lines += [f"Warning: {report.path}: ignoring unknown columns: "
             f"{_column_names(report.unknown_columns)}"
             for report in records.reports if report.unknown_columns]
    lines += [f"Warning: {report.path}: Excel's text marker (=\"...\" or a leading ') taken off "
              f"{count:,} {column} value{'s' if count > 1 else ''} (read as the text inside)"
              for report in records.reports for column, count in report.unmarked.items()]
    of_this = (" (of this data set's stores: the graph keeps what earlier loads wrote)"
               if appending else "")
    lines += [f"Warning: {gap.describe()}{of_this}" for gap in gaps(records.reports)]
    lines += [f"Warning: {loss}" for loss in losses(records.reports)]
    if records.reports and not records.reports[0].read:
        lines.append(f"Note: {records.reports[0].path} has no rows: there is nothing to analyze "
                     "(outputs are written empty)")
    elif not len(records.stores):
        lines.append(f"Warning: every row of {records.reports[0].path} was rejected: there is "
                     "nothing to analyze (outputs are written empty; see the rejects file)")
    return lines


def _nothing(*_args: object) -> None:
    return None


@contextmanager
def _uncounted(*_args: object) -> Iterator[Callable[[int], None]]:
    yield _nothing


#: a factory of progress counters: ``with counter(label) as advance: advance(rows)`` (rows of
#: unknown total), ``with bar(label, total, unit) as advance: advance(n)`` (a known total)
Counter = Callable[..., AbstractContextManager[Callable[[int], None]]]


@dataclass
class Events:
    """How a run tells its caller what it is doing. Each is optional (the default tells
    nothing): the library never prints, the command line passes functions that do.
    """

    #: the name of each stage as it starts ("linking", "writing the files and the report")
    stage: Callable[[str], None] = _nothing
    #: a line the user should read (warnings, notes, where rejects went), as it arises
    tell: Callable[[str], None] = _nothing
    #: ``counting(label)``: counts rows read, of unknown total
    counting: Counter = _uncounted
    #: ``progress(label, total, unit)``: counts pages written, of a known total
    progress: Counter = _uncounted


def path_text(path: str | Path) -> str:
    """``path`` as text every output can hold (HTML, JSON, a Neo4j string): bytes of its name
    that are not UTF-8 (a folder unzipped from a GBK archive) as ``\\xNN`` escapes, where
    they stopped the report and the :DataSet record with a traceback (REPORT7 item 7).

    >>> path_text(b"data-\\xb5\\xbc\\xb3\\xf6".decode("utf-8", "surrogateescape"))
    'data-\\\\xb5\\\\xbc\\\\xb3\\\\xf6'
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _read_and_extract(data_dir: str | Path, rejects: RejectsWriter, settings: Settings,
                      events: Events, appending: bool = False
                      ) -> tuple[RecordSet, Identifiers]:
    """:func:`read` (counting the rows, telling the :func:`reading_notes`) and :func:`extract`
    under ``settings``, rejects to ``rejects``: the start of every run from files."""
    with events.counting("reading") as advance:
        records = read(data_dir, rejects, settings.encoding, settings.column_map,
                       settings.date_format, progress=advance)
    identifiers = extract(records, rejects, settings.parallel, settings.shortcuts)
    _count_dropped(records.reports, identifiers)
    for line in reading_notes(records, appending):
        events.tell(line)
    return records, identifiers


def _count_dropped(reports: list[FileReport], identifiers: Identifiers) -> None:
    """Add the identifier values that could not be normalized (an e-mail without ``@``) to
    their file's dropped values, so that the summary and the 10 % rule count them as they
    count a bad date."""
    for report in reports:
        name = Path(report.path).name
        for (file, column), count in identifiers.dropped.items():
            if file == name:
                report.dropped[column] += count


@dataclass
class FilesRun:
    """What :func:`run_files` read, found and wrote."""

    analysis: Analysis
    reports: list[FileReport]  # one per record file read (rows read, accepted, rejected)
    rejects: int  # rows and values rejected
    rejects_path: Path | None  # where they were written (None when there were none)
    pages: int  # cluster pages written
    written: dict[str, Path]  # the output files, by name
    removal: Removal  # what an earlier run had written into the folder and was removed
    not_assessed: list[str] = field(default_factory=list)  # graphaudit.coverage


def run_files(
    data_dir: str | Path,
    out: str | Path,
    settings: Settings | None = None,
    *,
    hubs: str | Path | None = None,
    previous: str | Path | None = None,
    max_pages: int | None = None,
    rejects: str | Path | None = None,
    command: str = "graphaudit.pipeline.run_files",
    events: Events | None = None,
) -> FilesRun:
    """Data directory -> output folder: :func:`read`, :func:`extract`, :func:`analyze` and
    :func:`write`, as ``graphaudit analyze`` runs them (the same files, byte for byte).

    ``hubs`` is a CSV of hub decisions (:func:`~graphaudit.linkage.hubs.read_hub_overrides`),
    ``previous`` a previous run's clusters.csv whose ids the clusters keep, ``max_pages`` the
    number of cluster pages (the riskiest; default all) and ``rejects`` where rejected rows go
    (default ``out/rejects.csv``, left out when there are none). ``command`` is recorded in the
    folder's manifest (:mod:`graphaudit.outputs`), which also removes the files an earlier run
    wrote into ``out`` and this one did not. Raises DataError under ``settings.strict`` when
    anything was rejected, before the analysis.
    """
    settings = settings or Settings()
    with private_outputs(Path(out), settings.show_pii):
        return _run_files(data_dir, Path(out), settings, hubs, previous, max_pages, rejects,
                          command, events or Events())


def _run_files(data_dir: str | Path, out: Path, settings: Settings, hubs: str | Path | None,
               previous: str | Path | None, max_pages: int | None,
               rejects: str | Path | None, command: str, events: Events) -> FilesRun:
    """:func:`run_files`, its files private under ``--show-pii`` (:func:`private_outputs`)."""
    rejects = Path(rejects) if rejects else out / "rejects.csv"
    check_rejects_not_an_output(rejects, out)
    out = ensure_output_folder(out)
    overrides = read_hub_overrides(Path(hubs)) if hubs else None
    previous_ids = read_previous(Path(previous)) if previous else None
    record = _open_folder(out, command, events)
    parallel = settings.parallel
    # The linkage's large temporaries are freed and allocated again round after round: kept by
    # the allocator, their pages are not zeroed and faulted in anew each time.
    reuse_freed_memory()
    with open_rejects(rejects, settings.show_pii) as writer:
        records, identifiers = _read_and_extract(data_dir, writer, settings, events)
    close_rejects(writer, settings.strict, events.tell)
    reports, not_assessed = records.reports, [g.describe() for g in gaps(records.reports)]
    stores, links = records.stores, identifiers.links
    # The record rows and the identifier nodes are done with: about 1 GiB at a million stores.
    del records, identifiers
    # :func:`analyze` in its two halves: the graph holds its own copies of what the linkage
    # reads, so the stores and links go before it (the links alone are about 1 GiB at a
    # million stores, alive until the last page was written otherwise).
    _tell_unmatched(overrides, links, events)
    graph = evidence_graph(stores, links, events.stage, parallel)
    del stores, links
    result = score(link_graph(graph, overrides, previous_ids, events.stage, parallel=parallel),
                   events.stage, parallel)
    pages = _page_count(result, max_pages)
    events.stage("writing the files and the report")
    with events.progress("writing pages", pages, "pages") as advance:
        written = write(result, out, show_pii=settings.show_pii, parallel=parallel,
                        source=path_text(data_dir), rejects=writer.count, progress=advance,
                        max_pages=max_pages, secret=settings.secret, record=record,
                        not_assessed=not_assessed)
    rejects_path = writer.path if writer.count and writer.path else None
    if rejects_path is not None and rejects_path.is_file():
        record.add(rejects_path)
    removal = _close_folder(record, events)
    return FilesRun(result, reports, writer.count, rejects_path, pages, written, removal,
                    not_assessed)


@dataclass
class GraphInput:
    """What the analysis needs from the graph in Neo4j (:func:`read_graph`)."""

    stores: pd.DataFrame  # one row per store, as read_records gives them
    links: pd.DataFrame  # one row per (store_id, kind, key)
    #: store_id -> cluster_id that Neo4j holds (empty before the first ``graphaudit cluster``)
    previous: pd.Series
    #: the investigator's hub decisions, checked against the graph's hashing
    overrides: HubOverrides | None = None
    #: what the loaded data sets' missing columns leave unassessed (graphaudit.coverage)
    not_assessed: list[str] = field(default_factory=list)
    #: when the graph was read (ISO, milliseconds, as a load's loaded_at): the clusters written
    #: back describe the graph as of then, and a later load makes them stale
    read_at: str = ""
    #: what to say of the loads that stopped before their end (REPORT7 item 8)
    incomplete: list[str] = field(default_factory=list)


def read_graph(
    store: GraphStore,
    overrides: HubOverrides | None = None,
    secret: bytes | None = None,
    stage: Callable[[str], None] | None = None,
) -> GraphInput:
    """Read the stores, identifier links and stored cluster ids back from Neo4j: the first
    step of ``graphaudit cluster`` and ``graphaudit report`` (then :func:`analyze_graph`).

    ``overrides`` are checked against a graph loaded with hashed identifiers (under
    ``secret``). Raises DataError when the graph holds no stores. A load that stopped before
    its end is in ``incomplete``, which ``cluster`` and ``report`` tell and the report shows.
    """
    from . import store as graph_store

    (stage or (lambda name: None))("reading the graph")
    read_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    overrides = graph_store.graph_overrides(store, overrides, secret)
    stores, links, previous = graph_store.read_graph_and_clusters(store)
    if stores.empty:
        raise DataError("the graph has no stores: run `graphaudit load DATA_DIR` first")
    data_sets = store.data_sets()
    return GraphInput(stores, links, previous, overrides, _not_assessed(data_sets), read_at,
                      [graph_store.incomplete_text(s)
                       for s in graph_store.incomplete_loads(data_sets)])


def _not_assessed(data_sets: list[dict]) -> list[str]:
    """What the graph's data sets leave unassessed: a line every data set gave as it is, a line
    of some only with how many, since the others' files supplied it (a stores-only status
    update appended to a full export is no graph without links: REPORT7 item 6).

    >>> _not_assessed([{"not_assessed": ["no e-mail"]}, {"not_assessed": ["no e-mail", "no x"]}])
    ['no e-mail', 'no x (in the files of 1 of the 2 data sets loaded; the others supplied it)']
    """
    counts = collections.Counter(line for data_set in data_sets
                     for line in dict.fromkeys(data_set.get("not_assessed") or []))
    return [line if n == len(data_sets) else
            f"{line} (in the files of {n} of the {len(data_sets)} data sets loaded; the others "
            "supplied it)" for line, n in counts.items()]


def analyze_graph(graph: GraphInput, stage: Callable[[str], None] | None = None,
                  parallel: Parallel | None = None) -> Analysis:
    """:func:`analyze` the tables of :func:`read_graph`, keeping the cluster ids stored in
    Neo4j (so that the report's ids are those ``cluster`` wrote)."""
    previous = graph.previous if len(graph.previous) else None
    return analyze(graph.stores, graph.links, graph.overrides, previous, stage=stage,
                    parallel=parallel)


def _tell_incomplete(graph: GraphInput, events: Events) -> None:
    """Warn of each load that stopped before its end: the clusters of a graph it left half
    written may lack stores and links."""
    for line in graph.incomplete:
        events.tell(f"Warning: {line}")


def _tell_unmatched(overrides: HubOverrides | None, links: pd.DataFrame, events: Events) -> None:
    """Warn of each --hubs line that matches no identifier of ``links``."""
    for line in unmatched_lines(overrides, links["kind"], links["key"]):
        events.tell(f"Warning: {line}")


def check_stored_clusters(graph: GraphInput, analysis: Analysis) -> None:
    """Refuse an analysis of the graph whose clusters are not those ``graphaudit cluster``
    stored (MEMBER_OF), when the graph has not changed since: the hub decisions differ (a
    --hubs file given to one and not the other), and the report or explanation would show
    links the stored clusters, the analyst's hub call and ``query`` reject.

    Raises DataError naming a store whose cluster differs.
    """
    if not len(graph.previous):
        return
    computed = analysis.cluster_of.reindex(graph.previous.index)
    differ = computed.ne(graph.previous)
    if not differ.any():
        return
    store_id = differ.index[differ.to_numpy()][0]
    raise DataError(
        f"the clusters computed differ from those `graphaudit cluster` stored in Neo4j for "
        f"{int(differ.sum()):,} store(s) (e.g. {store_id}: stored in {graph.previous[store_id]},"
        f" computed in {computed[store_id]}): give the same --hubs file that `cluster` was "
        "given (or none), or run `graphaudit cluster` again")


def write_back(store: GraphStore, analysis: Analysis,
               progress: Callable[[int], None] | None = None,
               secret: bytes | None = None, computed_at: str | None = None) -> None:
    """Write the clusters of ``analysis`` into Neo4j (:Cluster nodes, MEMBER_OF, the stores'
    flags, SIMILAR_TO between near-duplicate addresses, POSSIBLE_LINK between clusters that
    share evidence but were not merged, its evidence masked under ``secret`` as
    possible_links.csv masks it); ``progress`` counts the :func:`write_back_size` items as
    they are written. ``computed_at`` (default the analysis's own time) is when the graph they
    describe was read (:attr:`GraphInput.read_at`)."""
    from .store import write_clusters

    write_clusters(store, analysis.clusters, analysis.stores,
                   computed_at or analysis.computed_at,
                   _similar_addresses(analysis), progress=progress,
                   possible=possible_links(analysis, secret=secret))


def write_back_size(analysis: Analysis) -> int:
    """How many items :func:`write_back` writes (clusters, stores, similar addresses, possible
    links)."""
    possible = (analysis.possible_links if analysis.possible_links is not None
                else possible_table(analysis.linkage))
    return (len(analysis.clusters) + len(analysis.stores) + len(_similar_addresses(analysis))
            + len(possible))


def _similar_addresses(analysis: Analysis) -> list[dict]:
    keys = analysis.linkage.graph.idents["key"]
    return [{"a": keys[m.a], "b": keys[m.b], "score": m.score}
            for m in analysis.linkage.matches
            if m.accepted and m.signal == "address_near_duplicate"]


@dataclass
class GraphRun:
    """What :func:`run_cluster` or :func:`run_report` read from Neo4j, found and wrote."""

    analysis: Analysis
    graph: GraphInput  # what was read back from Neo4j (stored cluster ids, not_assessed)
    pages: int = 0  # cluster pages written
    written: dict[str, Path] = field(default_factory=dict)  # the output files, by name
    removal: Removal | None = None  # what an earlier run had written into the folder


def run_cluster(
    settings: Settings | None = None,
    out: str | Path | None = None,
    *,
    hubs: str | Path | None = None,
    command: str = "graphaudit.pipeline.run_cluster",
    events: Events | None = None,
) -> GraphRun:
    """The graph in Neo4j -> clusters written back: :func:`read_graph`, :func:`analyze_graph`
    and :func:`write_back`, as ``graphaudit cluster`` runs them; with ``out``, also the files
    of :func:`write` (with every cluster page).

    ``hubs`` is the CSV of hub decisions (checked against a graph loaded with hashed
    identifiers, under ``settings.secret``). Raises DataError when the graph holds no stores,
    ConnectionFailed when Neo4j cannot be reached.
    """
    from .store import connect

    settings = settings or Settings()
    events = events or Events()
    overrides = read_hub_overrides(Path(hubs)) if hubs else None
    with connect(settings.connection) as store:
        graph = read_graph(store, overrides, settings.secret, events.stage)
        _tell_incomplete(graph, events)
        _tell_unmatched(graph.overrides, graph.links, events)
        result = analyze_graph(graph, events.stage, settings.parallel)
        with events.progress("writing clusters", write_back_size(result), "rows") as advance:
            write_back(store, result, progress=advance, secret=settings.secret,
                       computed_at=graph.read_at)
    run = GraphRun(result, graph)
    if out is not None:
        _write_folder(run, Path(out), settings, command, events)
    return run


def run_report(
    out: str | Path,
    settings: Settings | None = None,
    *,
    hubs: str | Path | None = None,
    only_cluster: str | None = None,
    max_pages: int | None = None,
    standalone: bool = False,
    command: str = "graphaudit.pipeline.run_report",
    events: Events | None = None,
) -> GraphRun:
    """The graph in Neo4j -> the files of :func:`write`, with the cluster ids that
    ``graphaudit cluster`` stored (computed afresh, with a warning told, when there are none),
    as ``graphaudit report`` runs it.

    ``only_cluster`` writes that cluster's page alone (``standalone``: with its scripts and
    styles inside); ``max_pages`` the riskiest clusters' pages only. Raises DataError for a
    cluster id the graph does not hold, before anything is written.
    """
    from .store import connect, stale_clusters

    settings = settings or Settings()
    events = events or Events()
    overrides = read_hub_overrides(Path(hubs)) if hubs else None
    with connect(settings.connection) as store:
        graph = read_graph(store, overrides, settings.secret, events.stage)
        stale = stale_clusters(store)
    _tell_incomplete(graph, events)
    _tell_unmatched(graph.overrides, graph.links, events)
    if not len(graph.previous):
        events.tell("Warning: Neo4j holds no clusters yet (run `graphaudit cluster`): "
                    "cluster ids are computed afresh")
    result = analyze_graph(graph, events.stage, settings.parallel)
    if not stale:
        check_stored_clusters(graph, result)
    if only_cluster is not None and only_cluster not in set(result.clusters["cluster_id"]):
        raise DataError(f"unknown cluster id {only_cluster!r} (see cluster_summary.csv or the "
                        "Cluster nodes in Neo4j)")
    connection = settings.connection
    events.stage("writing the report")
    run = GraphRun(result, graph)
    _write_folder(run, Path(out), settings, command, events, only_cluster=only_cluster,
                  max_pages=max_pages, standalone=standalone,
                  source=f"Neo4j at {connection.safe_uri}, database {connection.database}")
    return run


def _write_folder(run: GraphRun, out: Path, settings: Settings, command: str, events: Events,
                  only_cluster: str | None = None, max_pages: int | None = None,
                  **options) -> None:
    """:func:`write` ``run.analysis`` into ``out`` under the folder's record (what an earlier
    run wrote there is told first, and what it leaves is removed after)."""
    with private_outputs(out, settings.show_pii):
        record = _open_folder(ensure_output_folder(out), command, events)
        run.pages = 1 if only_cluster else _page_count(run.analysis, max_pages)
        with events.progress("writing pages", run.pages, "pages") as advance:
            run.written = write(run.analysis, out, show_pii=settings.show_pii,
                                parallel=settings.parallel, secret=settings.secret,
                                record=record, not_assessed=run.graph.not_assessed,
                                incomplete=run.graph.incomplete,
                                only_cluster=only_cluster, max_pages=max_pages,
                                progress=advance, **options)
        run.removal = _close_folder(record, events)


def _open_folder(out: Path, command: str, events: Events) -> OutputRecord:
    """Tell what an earlier run left in ``out`` (before anything is written) and start this
    run's record of the files it writes there."""
    for line in survey(out).notes():
        events.tell(line)
    return OutputRecord(out, command)


def _close_folder(record: OutputRecord, events: Events) -> Removal:
    """Write the folder's manifest, remove what an earlier run wrote and this one did not, and
    tell what was removed or kept."""
    removal = record.commit()
    for line in removal.notes(record.folder):
        events.tell(line)
    return removal


def _page_count(analysis: Analysis, max_pages: int | None) -> int:
    """Cluster pages :func:`write` writes: one per cluster of two or more stores, the riskiest
    ``max_pages`` of them when given."""
    multi = int((analysis.clusters["size"] >= 2).sum())
    return multi if max_pages is None else min(multi, max_pages)


@dataclass
class LoadRun:
    """What :func:`run_load` read and wrote into Neo4j."""

    reports: list[FileReport]  # one per record file read
    summary: LoadSummary  # nodes and relationships created, rows written
    data_set: dict  # the :DataSet node recorded for this load
    stale: int  # clusters in the graph older than this load
    seconds: float  # how long writing the graph took
    rejects: RejectsWriter  # closed: its count and path
    #: with ``--append`` of another source: its stores whose id was in the graph already, now
    #: one store with the properties of this load and the identifiers of both (REPORT7 item 2)
    merged: int = 0
    #: stores whose status in the graph this load changed (store_id, was, now, suspended_on)
    status_changes: list[dict] = field(default_factory=list)


#: store ids a note on status changes names before "and N more"
NAMED_CHANGES = 10


def status_change_notes(changes: list[dict]) -> list[str]:
    """One line per kind of status change of a load (REPORT9 item 4): ``1 store suspended in
    the graph is active in this file: KR001 (suspended 2024-02-01)``, the first
    :data:`NAMED_CHANGES` ids named."""
    grouped: dict[tuple[str, str], list[dict]] = {}
    for change in changes:
        grouped.setdefault((change["was"], change["now"]), []).append(change)
    lines = []
    for (was, now), rows in grouped.items():
        named = [row["store_id"] + (f" (suspended {row['suspended_on']})"
                                    if was == "suspended" and row.get("suspended_on") else "")
                 for row in rows[:NAMED_CHANGES]]
        more = f" and {len(rows) - NAMED_CHANGES:,} more" if len(rows) > NAMED_CHANGES else ""
        lines.append(f"{len(rows):,} store{'s' if len(rows) > 1 else ''} {was} in the graph "
                     f"{'are' if len(rows) > 1 else 'is'} {now} in this file: "
                     f"{', '.join(named)}{more}")
    return lines


def _check_status_changes(changes: list[dict], lift_suspensions: bool) -> None:
    """Refuse a load that would lift a suspension the graph holds, unless told
    (``lift_suspensions``): an export older than the ban says ``active`` (REPORT9 item 4)."""
    lifted = [c for c in changes if c["was"] == "suspended"]
    if lifted and not lift_suspensions:
        raise DataError(
            "; ".join(status_change_notes(lifted)) + ". Nothing was loaded: a file older "
            "than the ban would lift it. Give --lift-suspensions to load this file's status "
            "(the earlier one stays on the store as previous_status, previous_suspended_on "
            "and previous_status_reason), or take these stores out of the file")


def run_load(
    data_dir: str | Path,
    settings: Settings | None = None,
    *,
    mode: str | None = None,
    bulk: bool = False,
    hash_identifiers: bool = False,
    rejects: str | Path | None = None,
    events: Events | None = None,
    lift_suspensions: bool = False,
) -> LoadRun:
    """Data directory -> the graph in Neo4j, recorded as a :DataSet node, as ``graphaudit
    load`` runs it: :func:`read`, :func:`extract`, then the store's MERGE load (or, with
    ``bulk``, the local server's bulk importer into a new graph).

    ``mode`` is None (a new data set; a graph holding another one is refused), ``"append"``
    or ``"replace"`` (the graph is deleted first). Identifiers are stored as keyed hashes under
    ``settings.secret`` with ``hash_identifiers``, and always in a graph loaded that way.
    Rejects go to ``rejects`` (None: kept in memory); under ``settings.strict`` any reject
    fails the run before the graph is changed.

    A MERGE load into a graph that holds stores first reads their statuses: the stores whose
    status the files change are told (:func:`status_change_notes`) and returned, and a store
    suspended in the graph that the files give another status is refused (DataError, before
    the graph is changed) unless ``lift_suspensions``; the earlier status stays on the store
    as ``previous_status`` (REPORT9 item 4).
    """
    from .store import connect, data_set_props, read_hashing, stale_clusters

    settings = settings or Settings()
    events = events or Events()
    source = path_text(Path(data_dir).resolve())
    if bulk:
        from .bulk import local_server

        state = local_server(settings.connection)
    # what an interrupt (Ctrl-C) leaves, told by the Interrupted error (REPORT9 item 10)
    phase = "reading"
    try:
        with connect(settings.connection) as store, ExitStack() as stack:
            if bulk and mode != "replace" and store.node_count():
                raise DataError("--bulk writes a new graph into an empty database, and this one "
                                "holds a graph: give --replace to replace it, or load without "
                                "--bulk (MERGE adds to it)")
            files_now = fingerprint(Path(data_dir))
            loaded = store.check_load(source, mode, files_now)
            # the same files loaded again over the graph they made last: it cannot change it
            rerun_of_last = (mode is None and not bulk and bool(loaded)
                             and loaded[-1]["source"] == source)
            if bulk:
                from .bulk import bulk_load, server_stopping

                # the server stops while the records are read (a failure starts it again)
                events.tell("Stopping the local Neo4j server for the bulk import (neo4j-admin "
                            "database import full); it is started again after it")
                server = stack.enter_context(server_stopping(state))
            with open_rejects(Path(rejects) if rejects else None, settings.show_pii) as writer:
                records, identifiers = _read_and_extract(data_dir, writer, settings, events,
                                                         appending=mode == "append")
            if settings.strict and writer.count:
                close_rejects(writer, settings.strict, events.tell)
            changes: list[dict] = []
            kept = absent_store_columns(records)
            if not bulk and mode != "replace" and "status" not in kept and store.store_count():
                changes = store.status_changes(records.stores)
                _check_status_changes(changes, lift_suspensions)
                for line in status_change_notes(changes):
                    events.tell(f"Note: {line}")
            phase = "deleting" if mode == "replace" and not bulk else phase
            if mode == "replace" and not bulk:
                deleted = store.reset()
                events.tell(f"Deleted the graph ({deleted:,} nodes) before loading")
            files = {Path(r.path).name.split(".")[0]: {"read": r.read, "accepted": r.accepted,
                                                       "rejected": r.rejected_total}
                     for r in records.reports}
            props = data_set_props(source, files, len(records.stores),
                                   [g.describe() for g in gaps(records.reports)], files_now)
            total = len(records.stores) + len(identifiers.links)
            started = time.monotonic()
            if bulk:
                phase = "bulk"
                hash_with = (settings.secret or load_key()) if hash_identifiers else None
                # the import files hold the data set, incomplete: an import that finishes after
                # this process was stopped leaves a graph its plain rerun completes
                summary = bulk_load(store, state, records.stores, identifiers, hash_with, server,
                                    data_set={**props, "mode": mode or "new"})
                events.tell("Neo4j is running again")
            else:
                # recorded, incomplete, before the first store: a load stopped before its end is
                # one its plain rerun recognises and completes (REPORT7 item 8)
                phase = "writing"  # from here on, the graph holds an incomplete load of it
                data_set_id = store.begin_data_set(props, mode, changed=not rerun_of_last)
                store.ensure_schema()
                # a graph loaded with --hash-identifiers is always loaded hashed (store.load says
                # why)
                hashed_graph = read_hashing(store) is not None
                hash_with = (settings.secret or load_key()) if hash_identifiers or hashed_graph \
                    else None
                with events.progress("loading", total, "rows") as advance:
                    summary = store.load(records.stores, identifiers, progress=advance,
                                         hash_with=hash_with, kept=kept,
                                         data_set_id=data_set_id)
            elapsed = time.monotonic() - started
            # a rerun that created nothing leaves the clusters current (REPORT3 item 5)
            unchanged = (rerun_of_last and not summary.nodes_created
                         and not summary.relationships_created)
            data_set = store.record_data_set(props, mode, changed=not unchanged)
            stale = stale_clusters(store)
    except KeyboardInterrupt:
        raise Interrupted(interrupted_text(phase, data_dir, source, settings)) from None
    merged = 0
    if mode == "append" and not any(d["source"] == source for d in loaded):
        merged = len(records.stores) - summary.nodes_created.get("Store", 0)
    return LoadRun(records.reports, summary, data_set, stale, elapsed, writer, merged, changes)


def interrupted_text(phase: str, data_dir: str | Path, source: str, settings: Settings) -> str:
    """What a load interrupted in ``phase`` left, and the command that finishes it (REPORT9
    item 10): ``reading`` (the graph unchanged), ``deleting`` (``--replace`` stopped while
    deleting the graph), ``writing`` (the data set recorded incomplete, which the plain rerun
    completes) or ``bulk``."""
    command = " ".join(["graphaudit load", shlex.quote(str(data_dir)),
                        *([f"--encoding {shlex.quote(settings.encoding)}"]
                          * bool(settings.encoding)),
                        *([f"--date-format {shlex.quote(settings.date_format)}"]
                          * bool(settings.date_format)),
                        *([f"--database {shlex.quote(settings.connection.database)}"]
                          * (settings.connection.database != "neo4j"))])
    if settings.column_map:
        command += " --columns ..."
    if phase == "reading":
        return f"nothing of {data_dir} was loaded: the graph is as it was"
    if phase == "deleting":
        return (f"the graph was being deleted for --replace, and {data_dir} is not loaded; "
                f"`{command} --replace` loads it")
    if phase == "bulk":
        return (f"the bulk load of {data_dir} stopped: an import that had started leaves data "
                f"set {source} incomplete, which `{command}` completes; one stopped before it "
                "leaves the graph the server held (README, \"load --bulk\")")
    return f"data set {source} left incomplete; `{command}` completes it"


def absent_store_columns(records: RecordSet) -> tuple[str, ...]:
    """The columns the stores file of ``records`` does not have: a MERGE load leaves what the
    graph holds in them (status, its date and reason...) as earlier loads wrote it, where the
    reader's defaults (``active``, no date) would overwrite it (REPORT9 item 2)."""
    return next((r.absent_columns for r in records.reports if r.kind == "stores"), ())


@dataclass
class CheckRun:
    """What :func:`run_check` found in a data directory."""

    reports: list[FileReport]  # one per record file read (rows read, accepted, rejected)
    rejects: RejectsWriter  # closed: its count and path (:func:`close_rejects` tells them)
    lost: list[str]  # files past the limit of lost rows or values (:func:`losses`)


def run_check(data_dir: str | Path, settings: Settings | None = None,
              rejects: str | Path | None = None, events: Events | None = None) -> CheckRun:
    """Read and validate ``data_dir`` and normalize its identifiers, writing what is rejected
    to ``rejects`` (None: kept in memory), as ``graphaudit validate`` does; nothing is
    analyzed. The caller tells where the rejects went (:func:`close_rejects`, which applies
    ``settings.strict``) once it has shown the reports, so that the count comes after them."""
    settings = settings or Settings()
    events = events or Events()
    with open_rejects(Path(rejects) if rejects else None, settings.show_pii) as writer:
        records, _ = _read_and_extract(data_dir, writer, settings, events)
    return CheckRun(records.reports, writer, losses(records.reports))


def run_explain(store_ids: Sequence[str], settings: Settings | None = None,
                data_dir: str | Path | None = None, events: Events | None = None,
                hubs: str | Path | None = None) -> dict:
    """Why store ``store_ids[0]`` is in its cluster, or whether and how two stores are linked
    (:func:`graphaudit.explain.explain_stores`), as ``graphaudit explain`` runs it: from the
    record files of ``data_dir`` (read with ``settings``' encoding, column map and date format;
    rejects dropped; the reading notes told), or without one from the graph in Neo4j with the
    cluster ids stored there. ``hubs`` is the CSV of hub decisions the clusters were made with:
    without it, a value the investigator called a hub would link again.
    """
    from .explain import explain_stores

    settings = settings or Settings()
    events = events or Events()
    overrides = read_hub_overrides(Path(hubs)) if hubs else None
    if data_dir is not None:
        records, identifiers = _read_and_extract(data_dir, RejectsWriter(None), settings,
                                                 events)
        result = analyze(records.stores, identifiers.links, overrides,
                         parallel=settings.parallel)
    else:
        from .store import connect, stale_clusters

        # with the cluster ids the graph holds, so that they are those of clusters.csv
        with connect(settings.connection) as store:
            graph = read_graph(store, overrides, secret=settings.secret)
            stale = stale_clusters(store)
        result = analyze_graph(graph, parallel=settings.parallel)
        if not stale:
            check_stored_clusters(graph, result)
    store_ids = [store_id_key(s) for s in store_ids]  # as the records were read (NFKC)
    return explain_stores(result, *store_ids, show_pii=settings.show_pii,
                          secret=settings.secret)
