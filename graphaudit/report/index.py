"""The context of ``index.html``: the run's summary, every cluster and the hubs.

A world of a million stores has over 100,000 clusters, and a Jinja loop over them costs
seconds: the clusters table's rows are put together a column at a time in Arrow, from the
templates ``index-row.html`` and ``index-link.html`` (:meth:`str.format` fields; every value
escaped before it goes in, as autoescape would).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from ..privacy import escape_column, may_scrub
from .context import KIND_NAMES
from .data import HUB_ROWS, ReportData, aligned
from .text import filled, json_for_script, row_template, shortened

__all__ = ["index_context", "index_rows", "member_ids", "row_template"]


def index_context(data: ReportData, pages: dict[str, str], rejects: int | None,
                  only_cluster: str | None) -> dict:
    """The template context of ``index.html``; ``pages`` maps cluster ids to page names."""
    analysis = data.analysis
    clusters = analysis.clusters
    multi = clusters[clusters["size"] >= 2]
    risk_counts = [0] * 11
    for risk in multi["risk_score"].astype(int).tolist():
        risk_counts[min(max(risk, 0) // 10, 10)] += 1
    hubs = analysis.hubs
    hub_rows = []
    for row in hubs.head(HUB_ROWS).to_dict("records"):
        hub_rows.append({
            "kind": KIND_NAMES.get(row["kind"], str(row["kind"])),
            "identifier": data.idents[int(row["ident"])].display,
            "stores": f"{int(row['store_count']):,}",
            "groups": int(row.get("groups", 0) or 0),
            "status": str(row.get("status") or ""),
            "reason": data.text(str(row.get("reason") or ""), 300),
        })
    stores = analysis.linkage.graph.stores
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
            "linked": f"{_linked_count(data):,}",
            "hubs": f"{len(hubs):,}",
            "rejects": "not recorded with this report" if rejects is None
            else f"{rejects:,} (see rejects.csv)" if rejects else "none",
        },
        "cluster_rows": Markup("".join(index_rows(data, multi, pages))),
        "cluster_count": len(multi),
        "risk_counts": risk_counts,
        "risk_json": Markup(json_for_script(risk_counts)),
        "hubs": hub_rows,
        "hubs_omitted": f"{len(hubs) - HUB_ROWS:,}" if len(hubs) > HUB_ROWS else "",
        "only_cluster": only_cluster or "",
        "pages_limited": f"{len(pages):,}" if not only_cluster and len(pages) < len(multi)
        else "",
    }


def _linked_count(data: ReportData) -> int:
    """Stores linked to a suspended store, counted over the linkage's stores."""
    stores, flags = data.analysis.linkage.graph.stores, data.analysis.stores
    if not aligned(flags, stores):
        flags = flags.set_index("store_id").reindex(stores["store_id"]).reset_index()
    return int(flags["linked_to_suspended"].fillna(False).astype(bool).sum())


def index_rows(data: ReportData, multi: pd.DataFrame, pages: dict[str, str]) -> list[str]:
    """The index's table rows, as HTML, put together a column at a time in Arrow.

    Every value is escaped here as autoescape would (:func:`markupsafe.escape`); brands
    that scrubbing could change (digits, ``@``, non-ASCII) go through the data's ``text``.
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
            texts[row] = data.text(texts[row], 2_000)
        brands = pa.array(texts, pa.string())
    risk = column("risk_score", 0).astype(int).to_numpy()
    page = pa.array([pages.get(c) for c in cid.to_pylist()], pa.string())
    link = pc.if_else(page.is_valid(), filled("index-link.html", {
        "page": escape_column(page.fill_null("")), "id": escape_column(cid)}),
        escape_column(cid))
    parts = {
        "id": escape_column(cid), "link": link, "size": number("size"),
        "risk": pa.array(risk).cast(pa.string()),
        "risk_class": pa.array(np.where(risk >= 70, "high", np.where(risk >= 40, "mid", ""))),
        "suspended": number("suspended"), "linked": number("linked_to_suspended"),
        "reopened": number("reopened_after_ban"), "brands": escape_column(brands),
        "brands_short": escape_column(shortened(brands, 80)),
        "factors": escape_column(pa.array([str(f or "") for f in column("risk_factors")],
                                          pa.string())),
        "change": escape_column(pa.array([str(c or "") for c in column("change")],
                                         pa.string())),
        "stores": escape_column(member_ids(data.analysis.stores, cid)),
    }
    return filled("index-row.html", parts).to_pylist()


def member_ids(stores: pd.DataFrame, cluster_ids: pa.Array) -> pa.Array:
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
