"""The steps of a run, callable one by one from a notebook or a script.

    read -> extract -> link -> score -> write

Each step takes the previous one's result and returns plain tables keyed by store id (a
``store_id`` column, or an index of store ids): no result is aligned with another by position.
The commands of :mod:`graphaudit.cli` are these steps with options parsed and results printed;
``cluster`` and ``report`` share :func:`read_graph` and :func:`analyze_graph` (the graph
read back from Neo4j, analyzed with the cluster ids stored there) and ``cluster`` adds
:func:`write_back`.

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .analysis import Analysis, analyze, link, score
from .errors import DataError
from .identifiers import Identifiers, extract_identifiers
from .linkage.hubs import HubOverrides
from .parallel import Parallel
from .records import RecordSet, RejectsWriter, read_records
from .results import write_outputs

if TYPE_CHECKING:
    from .store import GraphStore

__all__ = ["GraphInput", "analyze", "analyze_graph", "extract", "link", "read", "read_graph",
           "score", "write", "write_back", "write_back_size"]


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
            parallel: Parallel | None = None) -> Identifiers:
    """Normalize every identifier of ``records``: ``.links`` has one row per (store_id, kind,
    key), ``.nodes`` one table of identifiers per kind. Values that cannot be normalized go
    to ``rejects``; without a writer they are kept in ``identifiers.rejects``."""
    return extract_identifiers(records, rejects, parallel)


def write(analysis: Analysis, out: str | Path, **options) -> dict[str, Path]:
    """Write the output files of ``analysis`` into ``out`` (created when missing): the CSV
    tables, model.json and the HTML report. ``options`` are those of
    :func:`graphaudit.results.write_outputs` (``show_pii``, ``secret``, ``max_pages``,
    ``parallel``...). Returns the paths written, by name."""
    return write_outputs(analysis, Path(out), **options)


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


def read_graph(
    store: GraphStore,
    overrides: HubOverrides | None = None,
    secret: bytes | None = None,
    stage: Callable[[str], None] | None = None,
) -> GraphInput:
    """Read the stores, identifier links and stored cluster ids back from Neo4j: the first
    step of ``graphaudit cluster`` and ``graphaudit report`` (then :func:`analyze_graph`).

    ``overrides`` are checked against a graph loaded with hashed identifiers (under
    ``secret``). Raises DataError when the graph holds no stores.
    """
    from . import store as graph_store

    (stage or (lambda name: None))("reading the graph")
    overrides = graph_store.graph_overrides(store, overrides, secret)
    stores, links, previous = graph_store.read_graph_and_clusters(store)
    if stores.empty:
        raise DataError("the graph has no stores: run `graphaudit load DATA_DIR` first")
    not_assessed = list(dict.fromkeys(line for data_set in store.data_sets()
                                      for line in data_set.get("not_assessed") or []))
    return GraphInput(stores, links, previous, overrides, not_assessed)


def analyze_graph(graph: GraphInput, stage: Callable[[str], None] | None = None,
                  parallel: Parallel | None = None) -> Analysis:
    """:func:`analyze` the tables of :func:`read_graph`, keeping the cluster ids stored in
    Neo4j (so that the report's ids are those ``cluster`` wrote)."""
    previous = graph.previous if len(graph.previous) else None
    return analyze(graph.stores, graph.links, graph.overrides, previous, stage=stage,
                    parallel=parallel)


def write_back(store: GraphStore, analysis: Analysis,
               progress: Callable[[int], None] | None = None) -> None:
    """Write the clusters of ``analysis`` into Neo4j (:Cluster nodes, MEMBER_OF, the stores'
    flags, SIMILAR_TO between near-duplicate addresses); ``progress`` counts the
    :func:`write_back_size` items as they are written."""
    from .store import write_clusters

    write_clusters(store, analysis.clusters, analysis.stores, analysis.computed_at,
                   _similar_addresses(analysis), progress=progress)


def write_back_size(analysis: Analysis) -> int:
    """How many items :func:`write_back` writes (clusters, stores, similar addresses)."""
    return len(analysis.clusters) + len(analysis.stores) + len(_similar_addresses(analysis))


def _similar_addresses(analysis: Analysis) -> list[dict]:
    keys = analysis.linkage.graph.idents["key"]
    return [{"a": keys[m.a], "b": keys[m.b], "score": m.score}
            for m in analysis.linkage.matches
            if m.accepted and m.signal == "address_near_duplicate"]
