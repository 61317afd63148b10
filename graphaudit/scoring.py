"""Risk of each cluster, ban evasion, and brand variants of suspended brands.

The risk score (0-100) adds up documented factors; each is reported by name, so an investigator
sees why a cluster scores what it does:

========================  ======  =========================================================
factor                    points  when
========================  ======  =========================================================
suspended member          25      a store of the cluster is suspended
reopened after ban        25      an active store opened after a member's suspension date
brand variant             15      a member opened under a variant of a suspended brand
                                  within a year of that brand's first suspension
burst                     10      3 or more members opened within 7 days
size                      0-10    10 x log10(size) / 3, capped (1000 stores give 10)
distinct ID holders       0-15    15 x (holders - 1) / 9, capped (10 holders give 15)
========================  ======  =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein

__all__ = ["RISK_FACTORS", "brand_variants", "score_clusters"]

RISK_FACTORS = {
    "suspended member": 25,
    "reopened after ban": 25,
    "brand variant": 15,
    "burst": 10,
    "size": 10,
    "distinct ID holders": 15,
}
BURST_DAYS = 7
BURST_STORES = 3
MAX_AFFIX = 8
MIN_EDIT = 5
VARIANT_WINDOW_DAYS = 365


def brand_variants(brands: Iterable[str], suspended: Iterable[str]) -> dict[str, str]:
    """Map each brand key that is a variant of a suspended brand key to that brand.

    A variant adds a short prefix or suffix (up to 8 characters, to a brand of 3 or more) or is
    one edit away (to a brand of 5 or more). Exact equals are not variants: they are the brand.
    One-edit candidates come from deletion neighbourhoods (a brand and a banned brand one edit
    apart share a one-deletion form), so no brand is compared with every banned brand.

    >>> brand_variants(["xmpow", "mpowpro", "mpaw", "mpow", "vantru", "anker"], ["mpow", "vantrue"])
    {'mpowpro': 'mpow', 'vantru': 'vantrue', 'xmpow': 'mpow'}
    """
    banned = {b for b in suspended if b and len(b) >= 3}
    deletions: dict[str, list[str]] = {}
    for brand in sorted(b for b in banned if len(b) >= MIN_EDIT):
        for form in {brand, *_one_deletions(brand)}:
            deletions.setdefault(form, []).append(brand)
    found: dict[str, str] = {}
    for brand in sorted({b for b in brands if b and b not in banned}):
        base = _affixed(brand, banned) or _one_edit(brand, deletions)
        if base:
            found[brand] = base
    return found


def _one_deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _affixed(brand: str, banned: set[str]) -> str | None:
    """The banned brand that ``brand`` extends with a short prefix or suffix, if any."""
    for cut in range(1, min(MAX_AFFIX, len(brand) - 3) + 1):
        if brand[cut:] in banned:
            return brand[cut:]
        if brand[:-cut] in banned:
            return brand[:-cut]
    return None


def _one_edit(brand: str, deletions: dict[str, list[str]]) -> str | None:
    """The banned brand one edit (substitution, insertion, deletion) from ``brand``, if any."""
    candidates = {b for form in {brand, *_one_deletions(brand)} for b in deletions.get(form, ())}
    matches = sorted(b for b in candidates if Levenshtein.distance(brand, b, score_cutoff=1) <= 1)
    return matches[0] if matches else None


def score_clusters(
    stores: pd.DataFrame, cluster_id: pd.Series, holders: pd.Series, variants: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every cluster and flag every store.

    ``stores`` has store_id, status, opened_on, suspended_on and brand_key, and ``cluster_id`` is
    aligned with it. ``holders`` is indexed by store_id with one ID document key per entry (a
    store opened with two IDs appears twice); it counts the distinct ID holders of a cluster.
    ``variants`` maps brand keys to the suspended brand they vary (:func:`brand_variants`).

    Returns (per-store table, per-cluster table).
    """
    frame = stores[["store_id", "status", "opened_on", "suspended_on", "brand_key"]].copy()
    frame["cluster_id"] = cluster_id.to_numpy()
    frame["opened"] = pd.to_datetime(frame["opened_on"].replace("", None), errors="coerce")
    frame["suspended_at"] = pd.to_datetime(frame["suspended_on"].replace("", None),
                                           errors="coerce")
    frame["is_suspended"] = frame["status"] == "suspended"
    frame["variant_of"] = _recent_variants(frame, variants)

    per = frame.groupby("cluster_id", sort=False)
    clusters = pd.DataFrame({
        "size": per.size(),
        "suspended": per["is_suspended"].sum(),
        "first_suspension": per["suspended_at"].min(),
    })
    for column, values in (("brands", "brand_key"), ("brand_variants", "variant_of")):
        clusters[column] = _joined_per_cluster(frame["cluster_id"], frame[values],
                                               clusters.index)
    # A suspended store with no suspension date still counts as a ban from its opening on.
    first_ban = frame["cluster_id"].map(clusters["first_suspension"])
    reopened = (~frame["is_suspended"] & (frame["status"] == "active")
                & first_ban.notna() & (frame["opened"] > first_ban))
    frame["reopened_after_ban"] = reopened
    clusters["reopened_after_ban"] = reopened.groupby(frame["cluster_id"]).sum()
    clusters["burst"] = _bursts(frame)
    holder_frame = pd.DataFrame({"store_id": holders.index, "doc": holders.to_numpy()})
    holder_frame["cluster_id"] = holder_frame["store_id"].map(
        pd.Series(frame["cluster_id"].to_numpy(), index=frame["store_id"]))
    clusters["holders"] = holder_frame.groupby("cluster_id")["doc"].nunique()
    clusters["holders"] = clusters["holders"].fillna(0).astype(int)
    frame["linked_to_suspended"] = ~frame["is_suspended"] & frame["cluster_id"].map(
        clusters["suspended"] > 0)
    clusters["linked_to_suspended"] = frame.groupby("cluster_id")["linked_to_suspended"].sum()

    factors = _factors(clusters)
    clusters["risk_score"] = factors.sum(axis=1).round().clip(upper=100).astype(int)
    clusters["risk_factors"] = _describe_factors(factors)
    frame["reasons"] = _store_reasons(frame, clusters)
    store_table = frame[["store_id", "cluster_id", "linked_to_suspended", "reopened_after_ban",
                         "variant_of", "reasons"]]
    clusters.index.name = "cluster_id"
    return store_table, clusters.reset_index()


def _joined_per_cluster(cluster: pd.Series, values: pd.Series, index: pd.Index) -> pd.Series:
    """The distinct non-empty values of each cluster, sorted and joined with ";".

    Plain slicing of sorted arrays: a pandas ``agg`` with a Python function costs tens of
    microseconds per group, and a million-store world has hundreds of thousands of groups.
    """
    pairs = pd.DataFrame({"c": cluster.to_numpy(), "v": values.to_numpy()})
    pairs = pairs[pairs["v"] != ""].drop_duplicates().sort_values(["c", "v"])
    c = pairs["c"].to_numpy(dtype=object)
    v = pairs["v"].to_numpy(dtype=object).tolist()
    if not len(c):
        return pd.Series("", index=index)
    starts = np.r_[0, np.nonzero(c[1:] != c[:-1])[0] + 1]
    ends = np.r_[starts[1:], len(c)]
    joined = [";".join(v[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return pd.Series(joined, index=c[starts]).reindex(index, fill_value="")


def _recent_variants(frame: pd.DataFrame, variants: dict[str, str]) -> pd.Series:
    """The suspended brand each store's brand varies, kept only for stores opened within
    VARIANT_WINDOW_DAYS after that brand's first suspension: a banned operator coming back.

    Short brand names have many one-edit neighbours, and a store that opened years before or
    after a ban is no evidence of evasion; the window keeps the flag a lead worth reading.
    """
    base = frame["brand_key"].map(variants)
    banned = frame[frame["is_suspended"]]
    first_ban = banned.groupby("brand_key")["suspended_at"].min()
    gap = (frame["opened"] - base.map(first_ban)).dt.days
    recent = base.notna() & (gap > 0) & (gap <= VARIANT_WINDOW_DAYS)
    return base.where(recent, "").fillna("")


def _bursts(frame: pd.DataFrame) -> pd.Series:
    """Largest number of a cluster's stores opened within BURST_DAYS of each other."""
    dated = frame.dropna(subset=["opened"])
    codes, _ = pd.factorize(dated["cluster_id"])
    days = (dated["opened"].to_numpy().astype("datetime64[D]").astype(np.int64))
    # One sorted axis for all clusters: each cluster's days, offset far from the next cluster's.
    keys = codes.astype(np.int64) * 10_000_000 + (days - days.min() if len(days) else days)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    ends = np.searchsorted(keys, keys + BURST_DAYS, side="right")
    within = pd.Series(ends - np.arange(len(keys)), index=dated["cluster_id"].to_numpy()[order])
    best = within.groupby(level=0).max()
    return best.reindex(frame["cluster_id"].unique(), fill_value=0).astype("int64")


def _factors(clusters: pd.DataFrame) -> pd.DataFrame:
    """The points of every factor, one column each, one row per cluster."""
    size = clusters["size"].astype(float)
    holders = clusters["holders"].astype(float)
    return pd.DataFrame({
        "suspended member": np.where(clusters["suspended"] > 0,
                                     RISK_FACTORS["suspended member"], 0),
        "reopened after ban": np.where(clusters["reopened_after_ban"] > 0,
                                       RISK_FACTORS["reopened after ban"], 0),
        "brand variant": np.where(clusters["brand_variants"] != "",
                                  RISK_FACTORS["brand variant"], 0),
        "burst": np.where(clusters["burst"] >= BURST_STORES, RISK_FACTORS["burst"], 0),
        "size": (RISK_FACTORS["size"] * np.minimum(1.0, np.log10(size) / 3)).round(1),
        "distinct ID holders": (RISK_FACTORS["distinct ID holders"]
                                * np.minimum(1.0, np.maximum(holders - 1, 0) / 9)).round(1),
    }, index=clusters.index)


def _describe_factors(factors: pd.DataFrame) -> list[str]:
    names = list(factors.columns)
    return [
        "; ".join(f"{name} +{points:g}" for name, points in zip(names, row, strict=True)
                  if points)
        for row in factors.to_numpy()
    ]


def _store_reasons(frame: pd.DataFrame, clusters: pd.DataFrame) -> list[str]:
    """A short text per store: why it is flagged (empty for most stores)."""
    suspended_in_cluster = frame["cluster_id"].map(clusters["suspended"]).to_numpy()
    burst = frame["cluster_id"].map(clusters["burst"]).to_numpy()
    reasons = []
    for is_suspended, linked, reopened, variant, n_suspended, n_burst in zip(
        frame["is_suspended"].to_numpy(), frame["linked_to_suspended"].to_numpy(),
        frame["reopened_after_ban"].to_numpy(), frame["variant_of"].to_numpy(),
        suspended_in_cluster, burst, strict=True,
    ):
        parts = []
        if is_suspended:
            parts.append("suspended")
        elif linked:
            parts.append(f"linked to {int(n_suspended)} suspended store(s)")
        if reopened:
            parts.append("opened after a linked store's suspension")
        if variant:
            parts.append(f"brand variant of suspended brand {variant}")
        if n_burst >= BURST_STORES:
            parts.append(f"cluster opened {int(n_burst)} stores within {BURST_DAYS} days")
        reasons.append("; ".join(parts))
    return reasons
