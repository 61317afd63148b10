"""Risk of each cluster, ban evasion, and brand variants of suspended brands.

The risk score (0-100) adds up documented factors; each is reported by name, so an investigator
sees why a cluster scores what it does:

========================  ======  =========================================================
factor                    points  when
========================  ======  =========================================================
suspended member          25      a store of the cluster is suspended
reopened after ban        25      an active store opened after a member's suspension date
brand variant             15      a member opened under a variant of a suspended brand
                                  within a year after a suspension of that brand
                                  (:func:`brand_windows`, the window the linkage weighs)
burst                     10      3 or more members opened within 7 days
size                      0-10    10 x log10(size) / 3, capped (1000 stores give 10)
distinct ID holders       0-15    15 x (holders - 1) / 9, capped (10 holders give 15)
========================  ======  =========================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz.distance import Levenshtein

from .identifiers import store_dates

__all__ = ["BRAND_RULE", "RISK_FACTORS", "BrandWindows", "brand_relation",
           "brand_variant_bases", "brand_variant_windows", "brand_variants", "brand_windows",
           "score_clusters"]

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
#: The brand-variant rule, in one place: a prefix or suffix of up to MAX_AFFIX characters
#: added to (or dropped from) a brand of MIN_AFFIX_BASE or more, or one edit to a brand of
#: MIN_EDIT or more; it counts for stores opened within VARIANT_WINDOW_DAYS after a suspension
#: of a store of that brand (:func:`brand_windows`, for the risk factor and the linkage
#: alike). The brand-variants query gets these values as parameters (BRAND_RULE),
#: and suspended-brand-reuse reads what `graphaudit cluster` wrote from this module.
MIN_AFFIX_BASE = 3
MAX_AFFIX = 8
MIN_EDIT = 5
VARIANT_WINDOW_DAYS = 365
BRAND_RULE = {"min_affix_base": MIN_AFFIX_BASE, "max_affix": MAX_AFFIX, "min_edit": MIN_EDIT,
              "window_days": VARIANT_WINDOW_DAYS}


def brand_variants(brands: Iterable[str], suspended: Iterable[str]) -> dict[str, str]:
    """Map each brand key that is a variant of a suspended brand key to that brand.

    A variant adds a short prefix or suffix (up to 8 characters, to a brand of 3 or more) or is
    one edit away (to a brand of 5 or more). Exact equals are not variants: they are the brand.
    One-edit candidates come from deletion neighbourhoods (a brand and a banned brand one edit
    apart share a one-deletion form), so no brand is compared with every banned brand.

    >>> brand_variants(["xmpow", "mpowpro", "mpaw", "mpow", "vantru", "anker"], ["mpow", "vantrue"])
    {'mpowpro': 'mpow', 'vantru': 'vantrue', 'xmpow': 'mpow'}
    """
    return {brand: bases[0] for brand, bases in brand_variant_bases(brands, suspended).items()}


def brand_variant_bases(brands: Iterable[str], suspended: Iterable[str]
                        ) -> dict[str, tuple[str, ...]]:
    """Every suspended brand key each brand key varies, the one :func:`brand_variants` names
    first (affixes before edits, as :func:`brand_relation` orders them): what
    :func:`brand_windows` reads, a brand being in the window of any of them.

    A suspended brand varies the other suspended brands too: when the platform suspends an
    evader ("roixstore", a variant of the banned "roix"), its active siblings of that brand
    still vary "roix" (docs/trials/new-user-trial-7.md item 1).

    >>> brand_variant_bases(["luxkl", "luxka", "anker"], ["luxka", "luxel"])
    {'luxkl': ('luxel', 'luxka')}
    >>> brand_variant_bases(["roix", "roixstore"], ["roix", "roixstore"])
    {'roixstore': ('roix',)}
    """
    banned = sorted({b for b in suspended if b and len(b) >= MIN_AFFIX_BASE})
    keys = _distinct_keys(brands)
    lengths = pc.utf8_length(keys).to_numpy(zero_copy_only=False).astype(np.int64)
    found = [_affixed(keys, lengths, banned), _one_edit(keys, lengths, banned)]
    rows = pd.concat(found, ignore_index=True).sort_values(["row", "rank", "base"],
                                                           kind="stable")
    rows = rows.drop_duplicates(["row", "base"])  # a base named twice keeps its first place
    itself = keys.take(pa.array(rows["row"].to_numpy(), pa.int64())).to_numpy(
        zero_copy_only=False) == rows["base"].to_numpy(dtype=object)
    rows = rows[~itself]  # a brand is not its own variant (one edit's "changed" form finds it)
    row, base = rows["row"].to_numpy(), rows["base"].to_numpy(dtype=object)
    if not len(row):
        return {}
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    text = keys.take(pa.array(row[starts], pa.int64())).to_pylist()
    ends = np.r_[starts[1:], len(row)].tolist()
    return {key: tuple(base[lo:hi].tolist())
            for key, lo, hi in zip(text, starts.tolist(), ends, strict=True)}


def _distinct_keys(brands: Iterable[str]) -> pa.Array:
    """The distinct non-empty brand keys of ``brands``, sorted (as Python sorts str: UTF-8
    bytes sort in code point order)."""
    if not isinstance(brands, pd.Series | np.ndarray | pa.Array | pa.ChunkedArray):
        brands = list(brands)
    keys = pc.unique(pc.drop_null(pa.array(brands, type=pa.string()) if not isinstance(
        brands, pa.Array | pa.ChunkedArray) else brands.cast(pa.string())))
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    keys = keys.filter(pc.not_equal(keys, ""))
    return keys.take(pc.sort_indices(keys))


def brand_relation(key: str, base: str) -> str | None:
    """How brand key ``key`` relates to brand key ``base`` under the rule, or None.

    ``same``; ``prefix added`` / ``suffix added`` (``key`` is ``base`` with a short affix);
    ``prefix dropped`` / ``suffix dropped`` (the other way round); ``one edit`` (a letter
    changed, added or dropped, ``base`` long enough). Added affixes are tried before an edit,
    and an edit before dropped affixes, so the relations of :func:`brand_variants` (a brand to
    the suspended brand it varies) are exactly prefix added, suffix added and one edit.

    >>> [brand_relation(k, "mpow") for k in ("mpow", "xmpow", "mpowpro", "mpo", "mpaw")]
    ['same', 'prefix added', 'suffix added', 'suffix dropped', None]
    >>> brand_relation("vantru", "vantrue")
    'one edit'
    """
    if not key or not base:
        return None
    if key == base:
        return "same"
    added = _affix_end(key, base)
    if added:
        return f"{added} added"
    if len(base) >= MIN_EDIT and Levenshtein.distance(key, base, score_cutoff=1) <= 1:
        return "one edit"
    dropped = _affix_end(base, key)
    if dropped:
        return f"{dropped} dropped"
    return None


def _affix_end(longer: str, shorter: str) -> str | None:
    """``"prefix"`` or ``"suffix"``: where ``longer`` is ``shorter`` with a short affix, or None.

    Added and dropped affixes are one rule seen from either brand, so both ask this."""
    if len(shorter) < MIN_AFFIX_BASE or not 0 < len(longer) - len(shorter) <= MAX_AFFIX:
        return None
    if longer.endswith(shorter):
        return "prefix"
    if longer.startswith(shorter):
        return "suffix"
    return None


def _bases(row: np.ndarray, rank: np.ndarray | int, base: pa.Array | np.ndarray
           ) -> pd.DataFrame:
    return pd.DataFrame({"row": row, "rank": rank,
                         "base": base.to_numpy(zero_copy_only=False).astype(object)
                         if isinstance(base, pa.Array) else base})


def _affixed(keys: pa.Array, lengths: np.ndarray, banned: list[str]) -> pd.DataFrame:
    """Each key (``row``) that extends a banned brand (``base``) with a short prefix or suffix,
    ``rank`` ordering the shortest affix first and a prefix before a suffix of one length: the
    key with its first or last ``cut`` characters cut off, for every cut at once."""
    value_set = pa.array(banned, pa.string())
    parts = [_bases(np.zeros(0, np.int64), 0, np.zeros(0, dtype=object))]
    for cut in range(1, MAX_AFFIX + 1):
        long_enough = lengths - cut >= MIN_AFFIX_BASE
        for side, rest in enumerate((pc.utf8_slice_codeunits(keys, cut),
                                     pc.utf8_slice_codeunits(keys, 0, -cut))):
            hit = np.flatnonzero(long_enough & pc.is_in(rest, value_set=value_set).to_numpy(
                zero_copy_only=False))
            parts.append(_bases(hit, 2 * cut + side, rest.take(pa.array(hit, pa.int64()))))
    return pd.concat(parts, ignore_index=True)


#: ranks an edit after every added affix (the last affix rank is 2 * MAX_AFFIX + 1)
_EDIT_RANK = 2 * MAX_AFFIX + 2


def _one_edit(keys: pa.Array, lengths: np.ndarray, banned: list[str]) -> pd.DataFrame:
    """Each key (``row``) one edit from a banned brand of MIN_EDIT or more (``base``), found
    by deletion forms, with no brand compared to every banned brand and no distance computed:
    the key less its ``i``-th character is the banned brand less its ``i``-th (one letter
    changed, at ``i``), the key is the banned brand less a character (one dropped), or the key
    less a character is the banned brand (one added). Sorted by base within a key."""
    long = [b for b in banned if len(b) >= MIN_EDIT]
    if not long or not len(keys):
        return _bases(np.zeros(0, np.int64), 0, np.zeros(0, dtype=object))
    owners = np.array([b for b in long for _ in range(len(b))], dtype=object)
    dropped = _FormTable([f"{b[:i]}{b[i + 1:]}" for b in long for i in range(len(b))], owners)
    changed = _FormTable([f"{i}\x00{b[:i]}{b[i + 1:]}" for b in long for i in range(len(b))],
                         owners)
    itself = _FormTable(long, np.array(long, dtype=object))
    parts = [dropped.bases(np.arange(len(keys)), keys)]  # the key is a banned brand less one
    for i in range(int(lengths.max())):
        rows = np.flatnonzero(lengths > i)
        some = keys.take(pa.array(rows, pa.int64()))
        less = pc.binary_join_element_wise(pc.utf8_slice_codeunits(some, 0, i),
                                           pc.utf8_slice_codeunits(some, i + 1), "")
        parts.append(itself.bases(rows, less))  # a banned brand is the key less one
        parts.append(changed.bases(rows, pc.binary_join_element_wise(f"{i}\x00", less, "")))
    return pd.concat(parts, ignore_index=True)


class _FormTable:
    """Deletion forms of banned brands, each with its brand (a form may be several brands'),
    sorted once so that each batch of a key's forms is one hash look-up."""

    def __init__(self, forms: list[str], owners: np.ndarray) -> None:
        table = pa.array(forms, pa.string())
        order = pc.sort_indices(table).to_numpy()
        self.forms = table.take(pa.array(order))
        self.owners = owners[order]
        differs = pc.not_equal(self.forms.slice(1), self.forms.slice(0, len(order) - 1))
        self.starts = np.flatnonzero(np.r_[True, differs.to_numpy(zero_copy_only=False)])
        self.ends = np.r_[self.starts[1:], len(order)]

    def bases(self, rows: np.ndarray, forms: pa.Array) -> pd.DataFrame:
        """(row, base) for every banned brand whose form is the form of ``rows``."""
        where = pc.index_in(forms, value_set=self.forms)  # the first entry of a form
        found = where.is_valid().to_numpy(zero_copy_only=False)
        run = np.searchsorted(self.starts, where.filter(pa.array(found)).to_numpy(
            zero_copy_only=False))
        lo, count = self.starts[run], self.ends[run] - self.starts[run]
        entry = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(int(count.sum()))
        return _bases(np.repeat(rows[found], count), _EDIT_RANK, self.owners[entry])


def score_clusters(
    stores: pd.DataFrame, cluster_id: pd.Series, holders: pd.Series, reuse_of: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every cluster and flag every store.

    ``stores`` has store_id, status, opened_on, suspended_on and brand_key, and ``cluster_id`` is
    aligned with it. ``holders`` is indexed by store_id with one ID document per entry (its key,
    or any value equal for equal keys; a store opened with two IDs appears twice); it counts
    the distinct ID holders of a cluster.
    ``reuse_of`` is aligned with it too: the suspended brand each store is or varies in
    that brand's window (:func:`brand_windows`' ``after``, the brand the linkage weighs).

    Returns (per-store table, per-cluster table). Clusters are numbered 0..K-1 in order of
    appearance and every per-cluster figure is an array over those numbers: a million-store
    world has hundreds of thousands of clusters, too many for per-group Python or string keys.
    """
    frame = _dated(stores)
    frame["cluster_id"] = cluster_id.to_numpy()
    code, names = _codes(frame["cluster_id"])
    frame["brand_reuse_of"], frame["brand_reuse"] = _brand_reuse(frame, reuse_of)
    frame["variant_of"] = frame["brand_reuse_of"].where(frame["brand_reuse"] != "same", "")
    is_suspended = frame["is_suspended"].to_numpy()

    k = len(names)
    clusters = pd.DataFrame({
        "size": np.bincount(code, minlength=k),
        "suspended": np.bincount(code, weights=is_suspended, minlength=k).astype(np.int64),
        # only a suspended store's date is a ban: a suspended_on beside another status (a
        # reinstated store, or no status column at all) must not award "reopened after ban"
        # to a cluster that shows no suspended store
        "first_suspension": frame["suspended_at"].where(frame["is_suspended"]).groupby(
            code).min().reindex(range(k)),
    })
    for column, values in (("brands", "brand_key"), ("brand_variants", "variant_of")):
        clusters[column] = _joined_per_cluster(code, frame[values], k)
    # A suspended store with no suspension date still counts as a ban from its opening on.
    first_ban = clusters["first_suspension"].to_numpy()[code]
    reopened = (~is_suspended & (frame["status"] == "active").to_numpy()
                & ~pd.isna(first_ban) & (frame["opened"].to_numpy() > first_ban))
    frame["reopened_after_ban"] = reopened
    clusters["reopened_after_ban"] = np.bincount(code, weights=reopened, minlength=k).astype(
        np.int64)
    clusters["burst"] = _bursts(code, frame["opened"], k)
    clusters["holders"] = _distinct_holders(frame["store_id"], code, holders, k)
    linked = ~is_suspended & (clusters["suspended"].to_numpy() > 0)[code]
    frame["linked_to_suspended"] = linked
    clusters["linked_to_suspended"] = np.bincount(code, weights=linked, minlength=k).astype(
        np.int64)

    factors = _factors(clusters)
    clusters["risk_score"] = factors.sum(axis=1).round().clip(upper=100).astype(int)
    clusters["risk_factors"] = _describe_factors(factors)
    frame["reasons"] = _store_reasons(frame, code, clusters)
    store_table = frame[["store_id", "cluster_id", "linked_to_suspended", "reopened_after_ban",
                         "variant_of", "brand_reuse_of", "brand_reuse", "reasons"]]
    clusters.index = pd.Index(names, name="cluster_id")
    return store_table, clusters.reset_index()


def _joined_per_cluster(code: np.ndarray, values: pd.Series, k: int) -> np.ndarray:
    """The distinct non-empty values of each cluster 0..k-1, sorted and joined with ";".

    Values are coded in sorted order, so one sort of integer pairs gives every cluster's
    distinct values in order: a pandas ``agg`` with a Python function costs tens of
    microseconds per group, and a million-store world has hundreds of thousands of groups.
    """
    joined = np.full(k, "", dtype=object)
    value_code, distinct = _codes(values, in_order=True)
    present = np.flatnonzero(distinct != "")
    if not len(present):
        return joined
    wanted = np.isin(value_code, present)
    pairs = np.unique(code[wanted].astype(np.int64) * len(distinct) + value_code[wanted])
    c, v = pairs // len(distinct), pairs % len(distinct)
    starts = np.r_[0, np.nonzero(c[1:] != c[:-1])[0] + 1]
    ends = np.r_[starts[1:], len(c)]
    single = ends - starts == 1  # most clusters: one store, one value, nothing to join
    joined[c[starts[single]]] = distinct[v[starts[single]]]
    names, v = distinct.tolist(), v.tolist()
    several = np.flatnonzero(~single)
    joined[c[starts[several]]] = [";".join([names[x] for x in v[a:b]]) for a, b in zip(
        starts[several].tolist(), ends[several].tolist(), strict=True)]
    return joined


def _codes(values: pd.Series, in_order: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of a column of strings, in Arrow: codes in order of first appearance,
    or, ``in_order``, in the order of the sorted values. Missing values get code -1."""
    encoded = pc.dictionary_encode(pa.array(values, type=pa.string()))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    distinct = encoded.dictionary
    if in_order:
        order = pc.sort_indices(distinct).to_numpy()
        rank = np.empty(len(order) + 1, dtype=np.int64)
        rank[order] = np.arange(len(order))
        rank[-1] = -1
        codes, distinct = rank[codes], distinct.take(order)
    return codes, np.asarray(distinct.to_pylist(), dtype=object)


def _distinct_holders(store_ids: pd.Series, code: np.ndarray, holders: pd.Series,
                      k: int) -> np.ndarray:
    """The number of distinct ID documents among each cluster's stores."""
    where = pc.index_in(pa.array(holders.index, type=pa.string()),
                        value_set=pa.array(store_ids, type=pa.string()))
    found = where.is_valid().to_numpy(zero_copy_only=False)
    where = where.filter(found).to_numpy(zero_copy_only=False)
    pairs = pd.DataFrame({"c": code[where], "doc": holders.to_numpy()[found]}).drop_duplicates()
    return np.bincount(pairs["c"].to_numpy(), minlength=k)


def _brand_reuse(frame: pd.DataFrame, reuse_of: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The suspended brand each store's brand is or varies in that brand's window
    (``reuse_of``, :func:`brand_windows`), and how (:func:`brand_relation`). The stores of the
    "brand variant" factor are those whose relation is not ``same``; ``graphaudit cluster``
    writes both to the Store nodes, where the suspended-brand-reuse query reads them."""
    base = pd.Series(reuse_of.fillna("").astype(str).to_numpy(dtype=object), index=frame.index)
    relation = pd.Series("", index=frame.index, dtype=object)
    rows = np.flatnonzero((base != "").to_numpy())
    keys, bases = frame["brand_key"].to_numpy(dtype=object), base.to_numpy(dtype=object)
    relation.iloc[rows] = [brand_relation(keys[i], bases[i]) or "" for i in rows.tolist()]
    return base, relation


def _dated(stores: pd.DataFrame) -> pd.DataFrame:
    """The columns the brand rule and the risk factors read, with dates parsed."""
    frame = stores[["store_id", "status", "opened_on", "suspended_on", "brand_key"]].copy()
    frame["opened"], frame["suspended_at"] = store_dates(stores)
    frame["is_suspended"] = frame["status"] == "suspended"
    return frame


class BrandWindows(NamedTuple):
    """Per store (aligned with the stores given to :func:`brand_windows`), a suspended brand
    key or ""."""

    #: the brand it is or varies, when it opened within VARIANT_WINDOW_DAYS after a
    #: suspension of a store of that brand: a banned operator coming back
    after: pd.Series
    #: the brand it varies (not is), when it opened within as many days *before* one: the
    #: mirror image, which no returning operator makes
    before: pd.Series
    #: the first brand it varies, when no date can say (no opening date, or no dated
    #: suspension of any brand it varies)
    undated: pd.Series

    def weighed(self, brand_keys: pd.Series) -> tuple[pd.Series, pd.Series]:
        """What the linkage reads (``brand_after``, ``brand_before``): the brand a store
        varies (not is) after a ban, weighed as evidence at the brand's ``near`` level, and
        before one, its mirror image: how often the rule fires by coincidence of names
        (docs/linkage.md §3). Where the dates cannot say the variant is in both, weighed as
        evidence and counted as a coincidence."""
        keys = brand_keys.fillna("").astype(str).to_numpy(dtype=object)
        after = self.after.where(self.after.to_numpy(dtype=object) != keys, "")
        undated = self.undated != ""
        return after.where(~undated, self.undated), self.before.where(~undated, self.undated)


def brand_windows(stores: pd.DataFrame, variants: Mapping[str, tuple[str, ...]]
                  ) -> BrandWindows:
    """The brand rule's windows, in one place for the risk factor and the linkage.

    A store is in the window of a suspended brand it is or varies (``variants``, from
    :func:`brand_variant_bases`) when it opened within VARIANT_WINDOW_DAYS after a
    suspension of a store of that brand: *any* suspension, not only the first, and any of
    the brands it varies, the first in the rule's order whose window holds it (a suspended
    brand's own suspensions come first, then the brands it varies). Unrelated
    sellers share brand names: another seller's ban years earlier must not hide an
    operator's return ("luxkl" varies "luxel" and "luxka"; named "luxel" only, a return 75
    days after a "luxka" ban was missed on family seed 1105), and what the "brand variant"
    factor and ``variant_of`` show is what the linkage weighs. Short brand names have many
    one-edit neighbours, and a store opened years before or after a ban is no evidence of
    evasion: the window keeps the rule a lead worth reading. ``stores`` needs status,
    opened_on, suspended_on and brand_key.
    """
    frame = _dated(stores)
    empty = pd.Series("", index=frame.index, dtype=object)
    banned = sorted(set(frame.loc[frame["is_suspended"], "brand_key"].dropna()) - {""})
    # A suspended brand is itself first, then the suspended brands it varies.
    table = {**{k: v for k, v in variants.items() if v},
             **{k: (k, *variants.get(k, ())) for k in banned}}
    names = list(table)
    at = _positions(frame["brand_key"], names)
    rows = np.flatnonzero(at >= 0)
    if not len(rows):
        return BrandWindows(empty, empty.copy(), empty.copy())
    sizes = np.fromiter((len(table[n]) for n in names), dtype=np.int64, count=len(names))
    flat = np.array([b for n in names for b in table[n]], dtype=object)
    starts = (np.cumsum(sizes) - sizes)[at[rows]]  # each row's first brand in ``flat``
    counts = sizes[at[rows]]
    order = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    options = pd.DataFrame({"row": np.repeat(rows, counts), "order": order,
                            "base": flat[np.repeat(starts, counts) + order],
                            "opened": np.repeat(frame["opened"].to_numpy()[rows], counts)})
    # Each store against each distinct suspension day of each brand it is or varies (a join).
    bans = frame.loc[frame["is_suspended"] & frame["suspended_at"].notna(),
                     ["brand_key", "suspended_at"]].drop_duplicates()
    pairs = options.merge(bans, left_on="base", right_on="brand_key")
    gap = (pairs["opened"] - pairs["suspended_at"]).dt.days
    keys = frame["brand_key"].to_numpy(dtype=object)
    varies = keys[pairs["row"].to_numpy()] != pairs["base"].to_numpy()
    named = []
    for inside in ((gap > 0) & (gap <= VARIANT_WINDOW_DAYS),
                   varies & (gap < 0) & (gap >= -VARIANT_WINDOW_DAYS)):
        held = pairs.loc[inside, ["row", "order", "base"]].sort_values(
            ["row", "order"], kind="stable").drop_duplicates("row")
        out = empty.copy()
        out.iloc[held["row"].to_numpy()] = held["base"].to_numpy()
        named.append(out)
    varying = keys[rows] != flat[starts]  # not a suspended brand itself
    undated = ~np.isin(rows, pairs["row"][gap.notna()].unique()) & varying
    out = empty.copy()
    out.iloc[rows[undated]] = flat[starts[undated]]
    return BrandWindows(named[0], named[1], out)


def brand_variant_windows(stores: pd.DataFrame, variants: Mapping[str, tuple[str, ...]]
                          ) -> tuple[pd.Series, pd.Series]:
    """For each store whose brand varies a suspended brand (not the brand itself): the brand
    of :func:`brand_windows` after a ban, and separately before one (:meth:`BrandWindows.weighed`).
    """
    return brand_windows(stores, variants).weighed(stores["brand_key"])


def _positions(keys: pd.Series, table: list[str]) -> np.ndarray:
    """The position of each of ``keys`` in ``table``, or -1 (the last entry of an array one
    longer than ``table``): one hash lookup in Arrow, where ``Series.map`` over a dict costs
    seconds for a million strings."""
    found = pc.index_in(pa.array(keys, type=pa.string()),
                        value_set=pa.array(table, type=pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False)


def _bursts(code: np.ndarray, opened: pd.Series, k: int) -> np.ndarray:
    """Largest number of each cluster's stores opened within BURST_DAYS of each other."""
    dated = opened.notna().to_numpy()
    codes = code[dated]
    days = opened.to_numpy()[dated].astype("datetime64[D]").astype(np.int64)
    # One sorted axis for all clusters: each cluster's days, offset far from the next cluster's.
    keys = codes.astype(np.int64) * 10_000_000 + (days - days.min() if len(days) else days)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    ends = np.searchsorted(keys, keys + BURST_DAYS, side="right")
    best = np.zeros(k, dtype=np.int64)
    np.maximum.at(best, codes[order], ends - np.arange(len(keys)))
    return best


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


def _describe_factors(factors: pd.DataFrame) -> np.ndarray:
    """Each row's non-zero factors as ``name +points``, joined by "; ": formatted once per
    distinct combination of points (a few thousand among hundreds of thousands of clusters)."""
    names = list(factors.columns)
    combination = np.zeros(len(factors), dtype=np.int64)
    for name in names:  # each row's combination of points as one integer (mixed radix)
        values, at = np.unique(factors[name].to_numpy(dtype=float), return_inverse=True)
        combination = combination * len(values) + at.reshape(-1)
    distinct, first, at = np.unique(combination, return_index=True, return_inverse=True)
    rows = factors.to_numpy(dtype=float)[first].tolist()
    texts = np.array(["; ".join(f"{name} +{points:g}"
                                for name, points in zip(names, row, strict=True) if points)
                      for row in rows] or [""], dtype=object)
    return texts[at.reshape(-1)]


def _store_reasons(frame: pd.DataFrame, code: np.ndarray, clusters: pd.DataFrame) -> np.ndarray:
    """A short text per store: why it is flagged (empty for most stores, which are skipped).

    One text column per reason (null where it does not apply), joined in Arrow: a million
    stores flag hundreds of thousands."""
    suspended_in_cluster = clusters["suspended"].to_numpy()[code]
    burst = clusters["burst"].to_numpy()[code]
    is_suspended = frame["is_suspended"].to_numpy(dtype=bool)
    linked = frame["linked_to_suspended"].to_numpy(dtype=bool)
    reopened = frame["reopened_after_ban"].to_numpy(dtype=bool)
    variant = frame["variant_of"].to_numpy(dtype=object)
    flagged = np.nonzero(is_suspended | linked | reopened | (variant != "")
                         | (burst >= BURST_STORES))[0]
    reasons = np.full(len(frame), "", dtype=object)
    if not len(flagged):
        return reasons
    none = pa.scalar(None, pa.string())

    def when(mask: np.ndarray, text: pa.Array | str) -> pa.Array:
        return pc.if_else(pa.array(mask[flagged]), text, none)

    def number(values: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(values[flagged].astype(np.int64)), pa.string())

    brand = pa.array(variant[flagged], type=pa.string())
    linked_to = when(linked, pc.binary_join_element_wise(
        "linked to ", number(suspended_in_cluster), " suspended store(s)", ""))
    parts = [
        pc.if_else(pa.array(is_suspended[flagged]), "suspended", linked_to),
        when(reopened, "opened after a linked store's suspension"),
        when(variant != "", pc.binary_join_element_wise("brand variant of suspended brand ",
                                                        brand, "")),
        when(burst >= BURST_STORES, pc.binary_join_element_wise(
            "cluster opened ", number(burst), f" stores within {BURST_DAYS} days", "")),
    ]
    joined = pc.binary_join_element_wise(*parts, "; ", null_handling="skip")
    reasons[flagged] = joined.to_numpy(zero_copy_only=False)
    return reasons
