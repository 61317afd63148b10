"""From records to results: link, score, gather evidence, and write the output files.

This is the one place both sources meet: ``analyze`` gives it stores and links read from files,
``cluster`` and ``report`` give it the same tables read back from Neo4j.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import DataError
from .identifiers import store_brand_keys
from .linkage import Linkage, LinkageParams, link_stores
from .linkage.evidence import address_texts, bridge_splits, cluster_evidence
from .linkage.graph import build_graph
from .linkage.hubs import HubOverrides
from .linkage.waterfall import link_items, merge_table, possible_table
from .outputs import OutputRecord
from .parallel import Parallel
from .privacy import display_identifier, display_identifiers, load_key, scrub_column, unneutralise
from .scoring import brand_variants, score_clusters

__all__ = ["Analysis", "analyze", "display_identifier", "read_previous", "write_outputs"]


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


def analyze(
    stores: pd.DataFrame,
    links: pd.DataFrame,
    overrides: HubOverrides | None = None,
    previous: pd.Series | None = None,
    stage: Callable[[str], None] | None = None,
    params: LinkageParams | None = None,
    parallel: Parallel | None = None,
) -> Analysis:
    """Cluster the stores, score the clusters and collect the evidence.

    ``stores`` needs store_id, status, opened_on, suspended_on and brand; ``links`` needs
    store_id, kind, key and holder_name (see :mod:`graphaudit.identifiers`). With a
    ``parallel`` budget of more than one worker, independent stages of big inputs run side by
    side in forked children (:mod:`graphaudit.parallel`); the results are the same.
    """
    say = stage or (lambda name: None)
    stores = stores.copy()
    if "brand_key" not in stores:
        stores["brand_key"] = store_brand_keys(stores["brand"])
    parallel = parallel or Parallel()
    # Brand variants need only the stores: a forked child finds them while the graph is built.
    # They are evidence (a variant of a suspended brand agrees with it at the "near" level), so
    # the linkage waits for them. Bridges need only the linkage: a second child finds them
    # while this process scores the clusters.
    with parallel.start(_suspended_brand_variants, stores, rows=len(links)) as finding_variants:
        say("building the evidence graph")
        graph = build_graph(stores, links, parallel)
        variants = finding_variants.result()
    graph.stores["brand_base"] = _brand_bases(graph.stores["brand_key"], variants)
    linkage = link_stores(stores, links, overrides, previous, stage, graph, params, parallel)
    say("collecting evidence and bridges, scoring clusters")
    with parallel.start(bridge_splits, linkage, rows=len(links)) as finding_bridges:
        ordered = linkage.graph.stores
        store_table, clusters = score_clusters(ordered, linkage.cluster_id,
                                               _id_holders(linkage), variants)
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


def _brand_bases(brand_keys: pd.Series, variants: dict[str, str]) -> pd.Series:
    """The suspended brand each store's brand varies ("" for the others)."""
    if not variants:
        return pd.Series("", index=brand_keys.index, dtype=object)
    return brand_keys.map(variants).fillna("").astype(object)


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


def _suspended_brand_variants(stores: pd.DataFrame) -> dict[str, str]:
    suspended = stores.loc[stores["status"] == "suspended", "brand_key"]
    return brand_variants(stores["brand_key"], suspended)


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
            "bridge": False, "splits_into": "", "spellings": 1,
        })
    return pd.DataFrame(rows)


def read_previous(path: Path) -> pd.Series:
    """store_id -> cluster_id from a previous run's clusters.csv."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=["store_id", "cluster_id"])
    # our CSV files neutralise cells that start like a formula (privacy.neutralise)
    frame = frame.map(unneutralise)
    return pd.Series(frame["cluster_id"].to_numpy(), index=frame["store_id"].to_numpy())


# ---------------------------------------------------------------------------------------------
# Output files (docs/design.md §5)


def ensure_output_folder(out: Path) -> Path:
    """Create the output folder ``out`` when missing and check that files can be written in it.

    Raises DataError naming the folder and why (under a file, in /proc or /sys, read-only, no
    permission), before any work is done.
    """
    if out.exists() and not out.is_dir():
        raise DataError(f"{out}: not a folder (a file of that name exists)")
    probe = out / f".graphaudit-write-check-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        probe.unlink()
    except OSError as exc:
        raise DataError(f"{out}: cannot write files there ({exc.strerror})") from None
    return out


def write_outputs(
    analysis: Analysis, out: Path, show_pii: bool = False, source: str = "",
    rejects: int | None = None, only_cluster: str | None = None,
    progress: Callable[[int], None] | None = None, max_pages: int | None = None,
    secret: bytes | None = None, record: OutputRecord | None = None,
    not_assessed: Iterable[str] = (),
    parallel: Parallel | None = None,
    standalone: bool = False,
) -> dict[str, Path]:
    """Write clusters.csv, cluster_summary.csv, evidence.csv, hubs.csv, links.csv (every merge
    with its weighed evidence), possible_links.csv, model.json (the learned weights) and the
    HTML report.

    The report (index.html, clusters/<cluster_id>.html) is :func:`graphaudit.report.write_report`;
    ``source``, ``rejects``, ``only_cluster`` and ``max_pages`` go to it, and ``progress``
    counts its pages. The files are formatted a column at a time in Arrow
    (:mod:`graphaudit.report.tables`): a million stores would cost seconds and gigabytes as
    Python strings. With a ``parallel`` budget to spare (:mod:`graphaudit.parallel`), a forked
    child writes the CSV files while this process writes the report. Personal data is masked with
    pseudonyms under ``secret`` (default: this installation's key, :func:`.privacy.load_key`)
    unless ``show_pii``. ``not_assessed`` (:mod:`graphaudit.coverage`) is listed on the index.
    ``standalone`` pages carry their scripts and styles inside (no ``assets/`` folder).

    Every file written is added to ``record`` (:mod:`graphaudit.outputs`), which the caller
    commits once it has written its own files into ``out`` (rejects.csv); without one, the
    files are recorded and the record committed here. Committing removes what an earlier run
    wrote into ``out`` and this one did not, and nothing else.
    """
    from .report import write_report

    secret = secret or load_key()
    own_record = record is None
    record = OutputRecord(out, "write_outputs") if record is None else record
    record.keep_earlier = only_cluster is not None  # one page: the rest of the report stays
    ensure_output_folder(out)
    paths = {name: out / name for name in ("clusters.csv", "cluster_summary.csv",
                                           "evidence.csv", "hubs.csv", "links.csv",
                                           "possible_links.csv", "model.json", "index.html")}
    for path in paths.values():
        if path.is_symlink():  # write a file of our own, never through a link
            path.unlink()
    # The tables are written by a forked child while this process writes the report.
    with (parallel or Parallel()).start(_write_tables, analysis, paths, show_pii, secret,
                                        rows=len(analysis.stores)) as tables:
        pages = write_report(analysis, out, show_pii=show_pii, source=source,
                             only_cluster=only_cluster, max_pages=max_pages, rejects=rejects,
                             progress=progress, secret=secret, not_assessed=not_assessed,
                             standalone=standalone)
        tables.result()
    record.add(*paths.values(), *pages)
    if own_record:
        record.commit()
    paths["clusters"] = out / "clusters"
    return paths


def _write_tables(analysis: Analysis, paths: dict[str, Path], show_pii: bool,
                  secret: bytes) -> None:
    """clusters.csv, cluster_summary.csv, evidence.csv, hubs.csv, links.csv, possible_links.csv
    and model.json; free text from the data (addresses, brands, hub notes) is scrubbed as in the
    report."""
    from .report.tables import write_csv

    write_csv(_per_store(analysis), paths["clusters.csv"])
    summary = analysis.clusters[analysis.clusters["size"] >= 2].drop(
        columns=["first_suspension"])
    if "brands" in summary and not show_pii:
        summary = summary.assign(brands=_scrubbed(summary["brands"]))
    write_csv(summary, paths["cluster_summary.csv"])
    texts = address_texts(analysis.linkage)
    evidence = _with_identifier(analysis.evidence, texts, show_pii, secret)
    write_csv(_floats_as_text(evidence[["cluster_id", "kind", "identifier", "store_count",
                                        "store_ids", "bridge", "splits_into", "status",
                                        "spellings", "weight"]]), paths["evidence.csv"])
    del evidence
    hubs = _with_identifier(analysis.hubs, texts, show_pii, secret)
    if not show_pii and not hubs.empty:
        hubs = hubs.assign(reason=_scrubbed(hubs["reason"]))
    write_csv(_floats_as_text(hubs[["kind", "identifier", "store_count", "groups", "status",
                                    "reason", "weight"]]), paths["hubs.csv"])
    linkage = analysis.linkage
    merges = merge_table(linkage)
    possible = analysis.possible_links if analysis.possible_links is not None else \
        possible_table(linkage)
    items = link_items(linkage, np.r_[merges["edge"].to_numpy(), possible["edge"].to_numpy()])
    described = describe_links(items, texts, show_pii, secret)
    merges["evidence"] = merges["edge"].map(described).fillna("")
    write_csv(_floats_as_text(merges.drop(columns=["edge"])), paths["links.csv"])
    possible = possible.assign(evidence=possible["edge"].map(described).fillna(""))
    write_csv(_floats_as_text(possible.drop(columns=["edge"])), paths["possible_links.csv"])
    paths["model.json"].write_text(json.dumps(model_report(analysis), indent=2,
                                              ensure_ascii=False) + "\n", encoding="utf-8")


def _floats_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns (weights, scores) as text with two decimals at most, empty when missing,
    so that the CSV writer formats every column in Arrow (and quotes neutralised cells)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_float_dtype(column.dtype) or (
                column.dtype == object and len(column)
                and isinstance(column.dropna().iloc[0] if column.notna().any() else "", float)):
            values = pd.to_numeric(column, errors="coerce").round(2)
            text = pc.cast(pa.array(values.to_numpy(dtype=float), from_pandas=True), pa.string())
            out[name] = pd.Series(text.fill_null("").to_pylist(), index=out.index, dtype=object)
    return out


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
    from .report.tables import lookup

    if items.empty:
        return pd.Series(dtype=object)
    # Whole columns, not a Python loop: links.csv has a row per evidence item (half a million
    # at 200,000 stores). Items of no identifier (holder names, brands) show as brands do.
    ident = items["ident"].to_numpy(dtype=np.int64)
    known = pd.Series(ident >= 0)
    kinds = items["kind"].astype(str).reset_index(drop=True)
    keys = items["key"].astype(str).reset_index(drop=True)
    shown = display_identifiers(kinds.where(known, "brand"), keys,
                                lookup(np.maximum(ident, 0), texts), show_pii, secret)
    label = kinds + " " + pd.Series(shown.to_pylist(), dtype=object)
    holder = ~known & (kinds == "holder_name")
    label[holder] = ("holder name " + keys[holder]) if show_pii else "holder names agree"
    levels = items["level"].astype(str).reset_index(drop=True)
    label = label.where(levels == "exact, 2 groups", label + " [" + levels + "]")
    weights = items["weight"].map("{:+.1f}".format).reset_index(drop=True)
    parts = (label + " (" + weights + ")").to_numpy()
    frame = pd.DataFrame({"edge": items["edge"].to_numpy(), "part": parts})
    return frame.groupby("edge", sort=False)["part"].agg("; ".join)


def _per_store(analysis: Analysis) -> pd.DataFrame:
    """clusters.csv: each store with its cluster's size and risk (one hash lookup, in Arrow)."""
    clusters, stores = analysis.clusters, analysis.stores
    at = pc.index_in(pa.array(stores["cluster_id"]), value_set=pa.array(clusters["cluster_id"]))
    if at.null_count:
        raise DataError(f"{at.null_count:,} stores belong to no cluster of the analysis")
    at = at.to_numpy(zero_copy_only=False)
    linked = stores["linked_to_suspended"]
    return pd.DataFrame({
        "store_id": stores["store_id"],
        "cluster_id": stores["cluster_id"],
        "cluster_size": clusters["size"].to_numpy()[at].astype(int),
        "risk_score": clusters["risk_score"].to_numpy()[at].astype(int),
        "linked_to_suspended": pd.Series(np.where(linked.to_numpy(), "true", "false"),
                                         index=stores.index, dtype="str")
        if linked.dtype == np.bool_ else linked.map({True: "true", False: "false"}),
        "reasons": stores["reasons"],
    })


def _scrubbed(column: pd.Series) -> pd.Series:
    values = pa.array(column.astype(str).where(column.notna(), ""), type=pa.string())
    return pd.Series(scrub_column(values), index=column.index, dtype="str")


def _with_identifier(frame: pd.DataFrame, texts, show_pii: bool,
                     secret: bytes | None = None) -> pd.DataFrame:
    """``frame`` (rows of kind, key, ident) with the identifier as outputs show it."""
    from .report.tables import lookup

    if frame.empty:
        return frame.assign(identifier=pd.Series(dtype="str"))
    idents = frame["ident"].to_numpy(dtype=np.int64)
    shown = display_identifiers(frame["kind"], frame["key"], lookup(idents, texts), show_pii,
                                secret)
    return frame.assign(identifier=pd.Series(shown, index=frame.index, dtype="str"))
