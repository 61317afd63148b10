"""The output files of an analysis: the CSV tables, model.json and the HTML report.

Above both the analysis (:mod:`graphaudit.analysis`) and the report (:mod:`graphaudit.report`):
it reads the first and calls the second, and neither imports it (docs/architecture.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .analysis import Analysis, describe_links, model_report
from .errors import DataError
from .linkage.evidence import address_texts, text_lookup
from .linkage.waterfall import link_items, merge_table, possible_table
from .outputs import OUTPUT_FILES, OutputRecord, ensure_output_folder, private_outputs
from .parallel import Parallel
from .privacy import display_identifiers, load_key, scrub_column
from .report import refuse_linked_folders, write_report
from .report.tables import write_csv

__all__ = ["write_outputs"]


def write_outputs(
    analysis: Analysis, out: Path, show_pii: bool = False, source: str = "",
    rejects: int | None = None, only_cluster: str | None = None,
    progress: Callable[[int], None] | None = None, max_pages: int | None = None,
    secret: bytes | None = None, record: OutputRecord | None = None,
    not_assessed: Iterable[str] = (),
    incomplete: Iterable[str] = (),
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
    unless ``show_pii``. ``not_assessed`` (:mod:`graphaudit.coverage`) is listed on the index,
    and so is ``incomplete``, what to say of a load that stopped before its end (a graph's).
    ``standalone`` pages carry their scripts and styles inside (no ``assets/`` folder).

    Every file written is added to ``record`` (:mod:`graphaudit.outputs`), which the caller
    commits once it has written its own files into ``out`` (rejects.csv); without one, the
    files are recorded and the record committed here. Committing removes what an earlier run
    wrote into ``out`` and this one did not, and nothing else.
    """
    secret = secret or load_key()
    with private_outputs(out, show_pii):  # --show-pii: files 600, folders 700
        own_record = record is None
        record = OutputRecord(out, "write_outputs") if record is None else record
        record.keep_earlier = only_cluster is not None  # one page: the rest of the report stays
        ensure_output_folder(out)
        refuse_linked_folders(out)  # before a link at an output's name is replaced
        paths = {name: out / name for name in OUTPUT_FILES}
        for path in paths.values():
            if path.is_symlink():  # write a file of our own, never through a link
                path.unlink()
        # Most tables are written by a forked child while this process writes the report,
        # then evidence.csv and hubs.csv: at a million stores the child's tables took about
        # twice the report's CPU, and the two halves now end together.
        with (parallel or Parallel()).start(_write_tables, analysis, paths, show_pii, secret,
                                            rows=len(analysis.stores)) as tables:
            pages = write_report(analysis, out, show_pii=show_pii, source=source,
                                 only_cluster=only_cluster, max_pages=max_pages, rejects=rejects,
                                 progress=progress, secret=secret, not_assessed=not_assessed,
                                 incomplete=incomplete,
                                 standalone=standalone, parallel=parallel)
            _write_identifier_tables(analysis, paths, show_pii, secret)
            tables.result()
        record.add(*paths.values(), *pages)
        if own_record:
            record.commit()
    paths["clusters"] = out / "clusters"
    return paths


def _write_tables(analysis: Analysis, paths: dict[str, Path], show_pii: bool,
                  secret: bytes) -> None:
    """clusters.csv, cluster_summary.csv, links.csv, possible_links.csv and model.json (the
    other tables are :func:`_write_identifier_tables`'); free text from the data (addresses,
    brands) is scrubbed as in the report."""
    write_csv(_per_store(analysis), paths["clusters.csv"])
    summary = analysis.clusters[analysis.clusters["size"] >= 2].drop(
        columns=["first_suspension"])
    if "brands" in summary and not show_pii:
        summary = summary.assign(brands=_scrubbed(summary["brands"]))
    write_csv(summary, paths["cluster_summary.csv"])
    texts = address_texts(analysis.linkage)
    merges = merge_table(analysis.linkage)
    merges["evidence"] = _described(analysis, merges, texts, show_pii, secret)
    write_csv(_floats_as_text(merges.drop(columns=["edge"])), paths["links.csv"])
    possible = possible_links(analysis, show_pii, secret, texts)
    write_csv(_floats_as_text(possible.drop(columns=["edge"])), paths["possible_links.csv"])
    paths["model.json"].write_text(json.dumps(model_report(analysis), indent=2,
                                              ensure_ascii=False) + "\n", encoding="utf-8")


def _write_identifier_tables(analysis: Analysis, paths: dict[str, Path], show_pii: bool,
                             secret: bytes) -> None:
    """evidence.csv and hubs.csv: the shared identifiers, each shown as outputs show it; hub
    notes are scrubbed as in the report."""
    texts = address_texts(analysis.linkage)
    evidence = _with_identifier(analysis.evidence, texts, show_pii, secret)
    write_csv(_floats_as_text(evidence[["cluster_id", "kind", "identifier", "store_count",
                                        "store_ids", "bridge", "splits_into", "status",
                                        "merged_keys", "weight"]]), paths["evidence.csv"])
    del evidence
    hubs = _with_identifier(analysis.hubs, texts, show_pii, secret)
    if not show_pii and not hubs.empty:
        hubs = hubs.assign(reason=_scrubbed(hubs["reason"]))
    write_csv(_floats_as_text(hubs[["kind", "identifier", "store_count", "groups", "status",
                                    "reason", "weight"]]), paths["hubs.csv"])


def possible_links(analysis: Analysis, show_pii: bool = False, secret: bytes | None = None,
                   texts=None) -> pd.DataFrame:
    """The possible links (two clusters that share evidence but were not merged) with their
    evidence described as one line each: possible_links.csv's rows (with ``edge``), and what
    ``graphaudit cluster`` writes as POSSIBLE_LINK relationships."""
    possible = analysis.possible_links if analysis.possible_links is not None else \
        possible_table(analysis.linkage)
    return possible.assign(evidence=_described(analysis, possible, texts, show_pii, secret))


def _described(analysis: Analysis, links: pd.DataFrame, texts, show_pii: bool,
               secret: bytes | None) -> np.ndarray:
    """Each row's evidence line (:func:`describe_links`), by its ``edge``."""
    linkage = analysis.linkage
    texts = address_texts(linkage) if texts is None else texts
    items = link_items(linkage, links["edge"].to_numpy())
    described = describe_links(items, texts, show_pii, secret)
    return links["edge"].map(described).fillna("").to_numpy(dtype=object)


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
            # Arrow-backed text, never a Python string per cell (millions of cells at a
            # million stores)
            out[name] = pd.Series(text.fill_null("").to_pandas().array, index=out.index)
    return out


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
    if frame.empty:
        return frame.assign(identifier=pd.Series(dtype="str"))
    idents = frame["ident"].to_numpy(dtype=np.int64)
    shown = display_identifiers(frame["kind"], frame["key"], text_lookup(idents, texts), show_pii,
                                secret)
    return frame.assign(identifier=pd.Series(shown, index=frame.index, dtype="str"))
