"""From stores and their links to results: link, score, gather the evidence.

This is the one place both sources meet: ``analyze`` gives it stores and links read from files,
``cluster`` and ``report`` give it the same tables read back from Neo4j. The output files are
written from its results by :mod:`graphaudit.results`; nothing here imports the outputs or
the report (docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ConfigError
from .identifiers import STORE_DATES, store_brand_keys, store_dates
from .linkage import Linkage, LinkageParams, link_stores
from .linkage.evidence import bridge_splits, cluster_evidence, text_lookup
from .linkage.graph import EvidenceGraph, build_graph
from .linkage.hubs import HubOverrides
from .linkage.waterfall import possible_table, string_array
from .normalize import store_id_keys
from .parallel import Parallel
from .privacy import display_identifier, display_identifiers, unneutralise
from .scoring import VARIANT_WINDOW_DAYS, brand_variant_bases, brand_windows, score_clusters

__all__ = ["STORE_DEFAULTS", "Analysis", "analyze", "describe_links", "display_identifier",
           "evidence_graph", "link", "link_graph", "model_report", "read_previous", "score",
           "with_return_window", "with_store_defaults"]


@dataclass
class Analysis:
    """The results of one run, as tables ready to write or to load back into Neo4j."""

    linkage: Linkage
    stores: pd.DataFrame  # one row per store: cluster, flags, reasons
    clusters: pd.DataFrame  # one row per cluster: size, factors, risk
    evidence: pd.DataFrame  # one row per (cluster, linking identifier), brand rows too
    hubs: pd.DataFrame  # identifiers judged hubs, with the reason
    computed_at: str
    possible_links: pd.DataFrame | None = None  # pairs of clusters: leads, never merged

    @property
    def cluster_of(self) -> pd.Series:
        """store_id -> cluster_id of every store."""
        return pd.Series(self.stores["cluster_id"].to_numpy(), name="cluster_id",
                         index=pd.Index(self.stores["store_id"].to_numpy(), name="store_id"))

    def store(self, store_id: str) -> pd.Series:
        """One store's row of :attr:`stores` (its cluster, flags and reasons), by its id.

        Raises KeyError for an id the analysis does not have.
        """
        found = np.flatnonzero((self.stores["store_id"] == store_id).to_numpy())
        if not len(found):
            raise KeyError(store_id)
        return self.stores.iloc[int(found[0])]


#: the store columns the analysis reads, with the value of a store that lacks one (docs/design.md
#: §1: a status defaults to active; a missing date or brand is empty)
STORE_DEFAULTS = {"status": "active", "opened_on": "", "suspended_on": "", "brand": ""}


def link(stores: pd.DataFrame, links: pd.DataFrame, overrides: HubOverrides | None = None,
         previous: pd.Series | None = None, stage: Callable[[str], None] | None = None,
         params: LinkageParams | None = None, parallel: Parallel | None = None) -> Linkage:
    """Cluster the stores by their links, weighing brand variants of suspended brands too:
    :func:`link_graph` of the :func:`evidence_graph`.

    ``stores`` needs store_id (the other columns of :data:`STORE_DEFAULTS` are filled in when
    missing); ``links`` needs store_id, kind and key (holder_name for ID documents), as
    :func:`graphaudit.identifiers.extract_identifiers` gives them. The clusters are
    ``Linkage.clusters`` (store_id -> cluster_id); :func:`score` takes it from here.
    """
    return link_graph(evidence_graph(stores, links, stage, parallel), overrides, previous,
                      stage, params, parallel)


def evidence_graph(stores: pd.DataFrame, links: pd.DataFrame,
                   stage: Callable[[str], None] | None = None,
                   parallel: Parallel | None = None) -> EvidenceGraph:
    """The first half of :func:`link`: stores and identifiers numbered and the links indexed
    (:func:`~graphaudit.linkage.graph.build_graph`), with the brand variants of suspended
    brands found beside it. The graph holds what the linkage reads, in copies of its own: a
    caller that owns ``stores`` and ``links`` can let them go before :func:`link_graph` (the
    links are the largest table of a run, about a gigabyte at a million stores).
    """
    say = stage or (lambda name: None)
    parallel = parallel or Parallel()
    stores = with_store_defaults(stores)
    # Brand variants need only the stores: a forked child finds them while the graph is built.
    # They are evidence (a variant of a suspended brand agrees with it at the "near" level), so
    # the linkage waits for them.
    with parallel.start(_suspended_brand_variants, stores, rows=len(links)) as finding_variants:
        say("building the evidence graph")
        graph = build_graph(stores, links, parallel)
        variants = finding_variants.result()
    _brand_windows(graph.stores, variants)
    return graph


def _brand_windows(stores: pd.DataFrame, variants: dict[str, tuple[str, ...]]) -> None:
    """The brand rule's windows as columns of ``stores``: the linkage weighs a variant only in
    the window after a ban (``brand_after``) and counts the window before it as the
    coincidences (``brand_before``, docs/linkage.md §3); the scoring shows the brand each
    store is or varies in its window (``brand_reuse_of``): one rule, one brand named."""
    windows = brand_windows(stores, variants)
    stores["brand_after"], stores["brand_before"] = windows.weighed(stores["brand_key"])
    stores["brand_reuse_of"] = windows.after


def link_graph(graph: EvidenceGraph, overrides: HubOverrides | None = None,
               previous: pd.Series | None = None, stage: Callable[[str], None] | None = None,
               params: LinkageParams | None = None,
               parallel: Parallel | None = None) -> Linkage:
    """The second half of :func:`link`: the stores of an :func:`evidence_graph` clustered,
    with the brand rule's window as the linkage's window of a banned operator's return
    (:func:`with_return_window`)."""
    params = with_return_window(params)
    return link_stores(graph.stores, graph.links, overrides, previous, stage, graph, params,
                       parallel)


def with_return_window(params: LinkageParams | None) -> LinkageParams:
    """``params`` (defaults when None) with the brand rule's window (``VARIANT_WINDOW_DAYS``)
    as ``return_days`` where none is set: one window decides both when a store counts as a
    banned operator's return, defined once, in the scoring."""
    params = params or LinkageParams()
    if params.return_days is None:
        params = replace(params, return_days=float(VARIANT_WINDOW_DAYS))
    return params


def score(linkage: Linkage, stage: Callable[[str], None] | None = None,
          parallel: Parallel | None = None) -> Analysis:
    """Score the clusters of ``linkage`` (from :func:`link`) and collect their evidence.

    Bridges need only the linkage: with a ``parallel`` budget to spare, a forked child finds
    them while this process scores the clusters.
    """
    say = stage or (lambda name: None)
    parallel = parallel or Parallel()
    ordered = linkage.graph.stores
    if not {*STORE_DEFAULTS, "brand_key"} <= set(ordered):  # stores given to link_stores
        ordered = with_store_defaults(ordered)
    if "brand_reuse_of" not in ordered:  # the linkage came from link_stores
        ordered = ordered.copy()
        _brand_windows(ordered, _suspended_brand_variants(ordered))
    say("collecting evidence and bridges, scoring clusters")
    with parallel.start(bridge_splits, linkage, rows=len(linkage.graph.link_store)) \
            as finding_bridges:
        store_table, clusters = score_clusters(ordered, linkage.cluster_id,
                                               _id_holders(linkage),
                                               ordered["brand_reuse_of"])
        # What does not need the bridges is done before waiting for them.
        brand_rows = _brand_evidence(store_table, ordered)
        clusters = _riskiest_first(clusters.merge(linkage.changes, on="cluster_id",
                                                  how="left"))
        hubs = linkage.decisions[linkage.decisions["status"].isin(["hub", "denied"])
                                 ].sort_values(["store_count", "kind", "key"],
                                               ascending=[False, True, True], ignore_index=True)
        possible = possible_table(linkage)
        evidence = cluster_evidence(linkage, finding_bridges.result())
    bridges = evidence.loc[evidence["bridge"].astype(bool), "cluster_id"].value_counts()
    clusters["bridges"] = clusters["cluster_id"].map(bridges).fillna(0).astype(int)
    leads = pd.concat([possible["cluster_a"], possible["cluster_b"]]).value_counts()
    clusters["possible_links"] = clusters["cluster_id"].map(leads).fillna(0).astype(int)
    evidence = pd.concat([evidence, brand_rows], ignore_index=True)
    return Analysis(linkage, store_table, clusters, evidence, hubs,
                    datetime.now(UTC).isoformat(timespec="seconds"), possible)


def analyze(
    stores: pd.DataFrame,
    links: pd.DataFrame,
    overrides: HubOverrides | None = None,
    previous: pd.Series | None = None,
    stage: Callable[[str], None] | None = None,
    params: LinkageParams | None = None,
    parallel: Parallel | None = None,
) -> Analysis:
    """Cluster the stores, score the clusters and collect the evidence: :func:`link`, then
    :func:`score`.

    ``stores`` needs store_id (status, opened_on, suspended_on and brand are read when present);
    ``links`` needs store_id, kind, key and holder_name (see :mod:`graphaudit.identifiers`).
    With a ``parallel`` budget of more than one worker, independent stages of big inputs run
    side by side in forked children (:mod:`graphaudit.parallel`); the results are the same.

    >>> stores = pd.DataFrame({"store_id": ["S1", "S2", "S3"]})
    >>> links = pd.DataFrame({"store_id": ["S1", "S2"], "kind": ["payment"] * 2,
    ...                       "key": ["6222", "6222"], "holder_name": ["", ""]})
    >>> clusters = analyze(stores, links).cluster_of
    >>> clusters["S1"] == clusters["S2"] != clusters["S3"]
    True
    """
    linkage = link(stores, links, overrides, previous, stage, params, parallel)
    return score(linkage, stage, parallel)


def with_store_defaults(stores: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``stores`` with every column of :data:`STORE_DEFAULTS` (filled in where
    missing), each store's brand key and its dates parsed (:data:`STORE_DATES`: the linkage
    and the scoring read them, parsed once)."""
    stores = stores.assign(**{column: value for column, value in STORE_DEFAULTS.items()
                              if column not in stores})
    if "brand_key" not in stores:
        stores["brand_key"] = store_brand_keys(stores["brand"])
    if not set(STORE_DATES.values()) <= set(stores):
        for parsed, dates in zip(STORE_DATES.values(), store_dates(stores), strict=True):
            stores[parsed] = dates
    return stores


def _riskiest_first(clusters: pd.DataFrame) -> pd.DataFrame:
    """Clusters by risk, then size (both descending), then cluster id."""
    order = pc.sort_indices(pa.table({
        "risk": clusters["risk_score"].to_numpy(), "size": clusters["size"].to_numpy(),
        "id": pa.array(clusters["cluster_id"], type=pa.string())}),
        sort_keys=[("risk", "descending"), ("size", "descending"), ("id", "ascending")])
    return clusters.take(order.to_numpy()).reset_index(drop=True)


def _id_holders(linkage: Linkage) -> pd.Series:
    """The ID documents of each store: store_id -> the document's identifier number (equal
    numbers, equal keys), one entry per document."""
    graph = linkage.graph
    document = (graph.idents["kind"] == "id_document").to_numpy()[graph.link_ident]
    return pd.Series(graph.link_ident[document],
                     index=pd.Index(graph.stores["store_id"].array.take(graph.link_store[document])))


def _suspended_brand_variants(stores: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    suspended = stores.loc[stores["status"] == "suspended", "brand_key"]
    return brand_variant_bases(stores["brand_key"], suspended)


def _brand_evidence(store_table: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    """Rows of kind ``brand``: stores whose brand varies a suspended brand, even unlinked.

    One row per (cluster, suspended brand), in that order. ``store_table`` and ``stores`` are
    aligned (the evidence graph's store order, by store_id).
    """
    flagged = np.flatnonzero((store_table["variant_of"] != "").to_numpy())
    if not len(flagged):
        return pd.DataFrame()
    store_id = stores["store_id"].iloc[flagged].tolist()
    brand = stores["brand_key"].iloc[flagged].tolist()
    cluster = store_table["cluster_id"].iloc[flagged].tolist()
    base = store_table["variant_of"].iloc[flagged].tolist()
    members: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key in sorted(zip(cluster, base, store_id, brand, strict=True)):
        members.setdefault(key[:2], []).append(key[2:])
    suspended = stores["status"].to_numpy() == "suspended"
    banned: dict[str, list[str]] = {}
    wanted = set(base)
    for brand_key, sid in zip(stores["brand_key"].to_numpy()[suspended].tolist(),
                              stores["store_id"].iloc[np.flatnonzero(suspended)].tolist(),
                              strict=True):
        if brand_key in wanted:
            banned.setdefault(brand_key, []).append(sid)
    rows = []
    for (cluster_id, variant_of), group in members.items():
        ids = [sid for sid, _ in group]
        rows.append({
            "cluster_id": cluster_id, "ident": -1, "kind": "brand",
            "key": f"{variant_of} (suspended) ~ " + ";".join(sorted({b for _, b in group})),
            "store_count": len(ids), "store_ids": ";".join(ids),
            "status": "variant of a brand of suspended stores "
                      + ";".join(sorted(banned.get(variant_of, []))[:20]),
            "bridge": False, "splits_into": "", "merged_keys": 1,
        })
    return pd.DataFrame(rows)


def read_previous(path: Path) -> pd.Series:
    """store_id -> cluster_id from a previous run's clusters.csv. A file that is not one (no
    store_id and cluster_id columns, a broken quote, not UTF-8) is a ConfigError naming it."""
    columns = ["store_id", "cluster_id"]
    try:
        header = pd.read_csv(path, dtype=str, nrows=0, encoding="utf-8-sig").columns
        missing = [c for c in columns if c not in header]
        if missing:
            shown = ", ".join(map(str, header))[:200]
            raise ConfigError(f"{path}: --previous: line 1: not a clusters.csv of an earlier "
                              f"run: no column {' or '.join(missing)} (header has: {shown})")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            usecols=columns)
    except (OSError, ValueError) as exc:  # pandas' ParserError and UnicodeDecodeError too
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        # pandas counts rows from 0, the header included: "row 2" is the file's line 3
        detail = re.sub(r"\brow (\d+)", lambda m: f"line {int(m.group(1)) + 1}", detail)
        raise ConfigError(f"{path}: --previous: cannot read it as a clusters.csv: "
                          f"{detail}") from exc
    # our CSV files neutralise cells that start like a formula (privacy.neutralise)
    frame = frame.map(unneutralise)
    # ids keyed as records.py keys them (NFKC), also those of a run made before it did
    return pd.Series(frame["cluster_id"].to_numpy(),
                     index=store_id_keys(frame["store_id"]).to_numpy())


# ---------------------------------------------------------------------------------------------
# The analysis as text: the learned model, the evidence of each link


def model_report(analysis: Analysis) -> dict:
    """The learned model as plain data: how it was estimated, every level's m, u and weight,
    the thresholds, and what the rounds decided (``model.json``, ``--explain-model``)."""
    linkage = analysis.linkage
    resolution = linkage.resolution
    report = resolution.model.as_dict(linkage.params)
    merges = resolution.merges
    report["decided"] = {
        "stores": int(linkage.graph.n_stores),
        "merges": int((~merges["weak"]).sum()) if len(merges) else 0,
        "rounds": int(merges["round"].max()) + 1 if len(merges) else 0,
        "weak_cuts_undone": int(merges["weak"].sum()) if len(merges) else 0,
        "possible_links": int(len(resolution.possible)),
        "hubs": int(len(analysis.hubs)),
    }
    if resolution.returns is not None:
        # the return's weight, learned from the possible links after and before bans
        report["returns"] = {"possible_links_after_ban": resolution.returns["after"],
                             "possible_links_before_ban": resolution.returns["before"],
                             "weight_bits": resolution.returns["weight_bits"],
                             "merges": resolution.returns["merges"]}
    report["settings"] = {k: (list(v) if isinstance(v, tuple) else v)
                          for k, v in asdict(linkage.params).items()}
    return report


def describe_links(items: pd.DataFrame, texts, show_pii: bool = False,
                   secret: bytes | None = None) -> pd.Series:
    """Each link's evidence as one line, strongest item first: ``payment **** 5678 #a1b2c3
    (+11.1); phone **** 0000 #d4e5f6 (+10.1)``, indexed by edge.

    Identifiers are masked as everywhere else; holder names are said to agree, not shown,
    unless ``show_pii``.
    """
    if items.empty:
        return pd.Series(dtype=object)
    # Whole columns in Arrow, not a Python loop: links.csv has a row per evidence item (2.5
    # million at a million stores). Items of no identifier (holder names, brands) show as
    # brands do.
    ident = items["ident"].to_numpy(dtype=np.int64)
    known = ident >= 0
    kinds, keys, levels = (_text(items[name]) for name in ("kind", "key", "level"))
    # One identifier is evidence of many links: each distinct one is shown (its pseudonym
    # made) once, and taken for every row.
    shown_kind = pc.if_else(pa.array(known), kinds, "brand")
    row, first = _distinct_rows(_codes(shown_kind), _codes(keys), ident)
    firsts = pa.array(first)
    shown = display_identifiers(shown_kind.take(firsts), keys.take(firsts),
                                text_lookup(np.maximum(ident[first], 0), texts), show_pii,
                                secret).take(pa.array(row))
    label = pc.binary_join_element_wise(kinds, shown, " ")
    holder = pc.and_(pa.array(~known), pc.equal(kinds, "holder_name"))
    if show_pii:
        holder_label = pc.binary_join_element_wise("holder name ", keys, "")
    else:
        holder_label = pa.scalar("holder names agree")
    label = pc.if_else(holder, holder_label, label)
    label = pc.if_else(pc.equal(levels, "exact, 2 groups"), label,
                       pc.binary_join_element_wise(label, " [", levels, "]", ""))
    # Few distinct weights: each formatted once.
    weight_code, weight_values = pd.factorize(items["weight"].to_numpy(), use_na_sentinel=False)
    weights = pa.array([f"{w:+.1f}" for w in weight_values], pa.string()).take(
        pa.array(weight_code))
    parts = pc.binary_join_element_wise(label, " (", weights, ")", "")
    # One line per edge, its items in their order, edges in order of first appearance.
    edge_code, edges = pd.factorize(items["edge"].to_numpy())
    order = np.argsort(edge_code, kind="stable")
    offsets = np.r_[0, np.cumsum(np.bincount(edge_code, minlength=len(edges)))]
    lines = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()),
                                                         parts.take(pa.array(order))), "; ")
    return pd.Series(lines.to_numpy(zero_copy_only=False), index=pd.Index(edges, name="edge"),
                     name="part", dtype=object)


def _text(column: pd.Series) -> pa.Array:
    """A column of any values as one Arrow string array (each value as ``str`` makes it)."""
    return string_array(column.astype(str))


def _codes(array: pa.Array) -> np.ndarray:
    """Integer codes of a string array's distinct values (a hash group-by in Arrow)."""
    return pc.dictionary_encode(array).indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _distinct_rows(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows given as integer codes (one array per column, each >= -1): each row's number
    among the distinct rows, and the first row of each distinct one."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code in codes:
        key = key * (int(code.max()) + 2 if len(code) else 1) + (code + 1)
    _, first, row = np.unique(key, return_index=True, return_inverse=True)
    return row, first


