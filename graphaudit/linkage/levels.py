"""Match levels: which groups of stores are one operator, which are possible links, what is a hub.

Stores start as groups of one. Each round, every value (an identifier, a holder name, a brand)
names the groups that use it; groups sharing a value become candidate pairs, each pair is
compared on every comparison (:mod:`.weights`) and scored on the evidence accumulated between
the two whole groups. Pairs scoring at least ``merge_bits`` are merged; the next round compares
the merged groups again, with values' group counts recounted. When nothing merges, finished
clusters are checked for weak cuts: a merge that alone holds two parts of a cluster together
and clears the threshold by less than ``weak_cut_bits`` per doubling of the smaller part is
undone and becomes a possible link. A last pass scores the final clusters against each other:
pairs above ``possible_bits`` are possible links (never merged); every value still shared by
separate clusters is a hub, with the reason.

All of it is array work: pairs come from sorted value-group tables, comparisons from joins of
pairs with those tables, merges from sparse connected components.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import igraph
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.special import gammaln

from ..identifiers import store_dates
from .graph import EvidenceGraph, dense_codes, subtree_weights, unique_pairs
from .signals import (
    document_name_values,
    holder_name_key,
    initialled_name_values,
    near_name_values,
)
from .weights import (
    BANDS,
    COMMON,
    LEVELS,
    NEAR,
    NONE,
    LinkageParams,
    Model,
    band_level,
    common_tf_bits,
    estimate_model,
    monotone_bands,
    random_pair_u,
)

__all__ = ["Evidence", "Resolution", "build_evidence", "resolve"]


@dataclass
class Evidence:
    """Every value a store uses, as parallel arrays (one entry per store and value).

    ``value`` numbers (comparison, canonical identifier) pairs, names and brands; ``exact``
    numbers the value as written before near-duplicate spellings were merged; ``ident`` is the
    canonical identifier (-1 for names and brands).
    """

    store: np.ndarray
    value: np.ndarray
    exact: np.ndarray
    comp: np.ndarray  # comparison number of each value (indexed by value)
    value_ident: np.ndarray  # canonical identifier of each value, -1 for names and brands
    value_text: np.ndarray  # names and brands: their key; identifiers: ""
    comparisons: list[str]
    generating: np.ndarray  # per comparison: can it make two groups candidates?
    #: per comparison, the random store pairs to count at ``near`` instead of those the values
    #: make (NaN: count them): the brand rule with its dates mirrored (:func:`_mirror_near`)
    near_pairs: np.ndarray | None = None
    #: per store, the day it was suspended (suspended stores only) and the day it opened, as
    #: days since the epoch (:func:`_store_days`)
    banned: np.ndarray | None = None
    opened: np.ndarray | None = None
    #: per evidence row: a suspended store's own brand (not a variant of another), the only
    #: brand a variant agrees with at ``near`` (:func:`_held_near`); None: any store's brand
    anchor: np.ndarray | None = None
    #: per evidence row: a variant's second brand value (the suspended brand it varies), no
    #: brand of its own: not counted among a group's values for the chances of coincidence
    variant: np.ndarray | None = None
    #: Facts of the stores that every round reads, found once when the evidence is made (they
    #: do not depend on the groups): the mean distinct values per store of each comparison
    #: (:func:`_values_per_store`), the value of each spelling and the spelling count of each
    #: value (:func:`_spellings`), the rows the brand variants' rules read (:func:`_variant_rows`)
    per_store: np.ndarray = field(init=False)
    spellings: tuple[np.ndarray, np.ndarray] = field(init=False)
    variant_rows: VariantRows = field(init=False)

    def __post_init__(self) -> None:
        self.per_store = _values_per_store(self)
        self.spellings = _spellings(self)
        self.variant_rows = _variant_rows(self)


@dataclass
class VariantRows:
    """The evidence rows that the variants' rules read in every round, found once per run:
    per store, not per group, so a round only relabels them (:func:`_variant_rows`).

    Only brands that some variant varies matter: a brand shared at ``near`` is one a variant
    spells (its other spelling is the brand's own key), and a group's extra brand value is a
    variant's. ``*_store, *_value``: each row's store and brand value; ``opened``: the variant
    store's opening day; ``ban``: the anchor store's suspension day (-inf when unknown).
    """

    variant_store: np.ndarray
    variant_value: np.ndarray
    opened: np.ndarray
    own_store: np.ndarray  # a store's own brand (not a variant's second value) of those brands
    own_value: np.ndarray
    anchor_store: np.ndarray  # the own brand of a suspended store (evidence.anchor) of them
    anchor_value: np.ndarray
    ban: np.ndarray


@dataclass
class Resolution:
    """What the rounds decided.

    ``labels``: final cluster label per store (its smallest member's index). ``merges``: one
    row per merge, ``round, a, b, score`` (a and b are the smallest stores of the two groups
    merged), with ``weak`` set for merges undone as weak cuts. ``possible``: pairs of final
    clusters that are possible links, ``a, b, score``. ``items``: the evidence items of every
    merge (``edge`` = row of merges) and possible link (``edge`` = -1 - row of possible):
    ``edge, comp, level, value, weight``.
    """

    labels: np.ndarray
    merges: pd.DataFrame
    possible: pd.DataFrame
    items: pd.DataFrame
    model: Model
    evidence: Evidence
    #: the return's estimation (:func:`return_merges`): the possible links counted after and
    #: before bans, the weight learned from them and the merges it made; None when not run
    returns: dict | None = None


def build_evidence(graph: EvidenceGraph, canonical: np.ndarray, params: LinkageParams,
                   denied: np.ndarray | None = None,
                   names: Callable[[], NameValues | None] | None = None) -> Evidence:
    """The values of every store: its identifiers (canonical, by comparison), holder names
    and brand. ``names`` gives :func:`holder_name_values` of the graph when it is called (the
    result of a forked child that found them meanwhile); without it they are found here."""
    together = {kind: "+".join(group) for group in params.together for kind in group}
    link_ident = graph.link_ident
    canon = canonical[link_ident]
    keep = np.ones(len(link_ident), dtype=bool) if denied is None else ~denied[canon]
    # Comparison of each link: its identifier's kind, addresses by type, grouped kinds joined.
    # (The kinds are factorized per identifier, not per link: the names, not the codes, count.)
    ident_kind, kind_names = pd.factorize(graph.idents["kind"].to_numpy(dtype=object))
    kind_codes = ident_kind[canon]
    names_of_kind = [together.get(k, k) for k in kind_names]
    comp_name = np.asarray(names_of_kind, dtype=object)[kind_codes] if len(kind_codes) else \
        np.array([], dtype=object)
    if "address_type" in graph.links:
        comp_name = _address_roles(comp_name, canon,
                                   graph.links["address_type"].fillna("").astype(str))
    comp_codes, comparisons = pd.factorize(pd.Series(comp_name, dtype=object), sort=True)
    comparisons = list(comparisons)
    n_comp_id = max(len(comparisons), 1)
    store = graph.link_store[keep]
    value = canon[keep].astype(np.int64) * n_comp_id + comp_codes[keep]
    exact = link_ident[keep].astype(np.int64) * n_comp_id + comp_codes[keep]
    parts_store, parts_value, parts_exact = [store], [value], [exact]
    base = graph.n_idents * n_comp_id
    texts: list[np.ndarray] = []
    extra_comp: list[np.ndarray] = []
    variant_rows: list[np.ndarray] = []
    offset = sum(len(part) for part in parts_store)
    for comp, rows, raw, written in _soft_values(graph, names):
        if comp == "brand":
            variant_rows.append(offset + np.flatnonzero(np.fromiter(
                (w.endswith(VARIANT_MARK) for w in written), dtype=bool, count=len(written))))
        offset += len(rows)
        codes, distinct = pd.factorize(pd.Series(np.r_[raw, written], dtype=object))
        value_codes, written_codes = codes[:len(raw)], codes[len(raw):]
        comparisons.append(comp)
        parts_store.append(rows)
        parts_value.append(base + value_codes)
        parts_exact.append(base + written_codes)
        texts.append(np.asarray(distinct, dtype=object))
        extra_comp.append(np.full(len(distinct), len(comparisons) - 1))
        base += len(distinct)
    # Dense value numbers: only the values that occur.
    dense, value_of = dense_codes(np.concatenate(parts_value), base)
    _, exact_dense = dense_codes(np.concatenate(parts_exact), base)
    ident_limit = graph.n_idents * n_comp_id
    is_ident = dense < ident_limit
    comp = np.empty(len(dense), dtype=np.int64)
    comp[is_ident] = dense[is_ident] % n_comp_id
    value_ident = np.where(is_ident, dense // n_comp_id, -1)
    value_text = np.full(len(dense), "", dtype=object)
    if texts:
        soft = np.flatnonzero(~is_ident)
        all_texts = np.concatenate(texts)
        all_comps = np.concatenate(extra_comp)
        offset = dense[soft] - ident_limit
        value_text[soft] = all_texts[offset]
        comp[soft] = all_comps[offset]
    generating = np.array([c not in params.scoring_only for c in comparisons], dtype=bool)
    near_pairs = np.full(len(comparisons), np.nan)
    all_store = np.concatenate(parts_store).astype(np.int64)
    value_of = value_of.astype(np.int64)
    anchor = variant = None
    banned, opened = _store_days(graph.stores)
    base_of_variants = np.concatenate(variant_rows) if variant_rows else np.zeros(0, np.int64)
    if "brand" in comparisons:
        near_pairs[comparisons.index("brand")] = _mirror_near(graph, banned, opened)
        anchor = _brand_anchors(graph, all_store, value_of, comp, value_text,
                                comparisons.index("brand"))
        variant = np.zeros(len(all_store), dtype=bool)
        variant[base_of_variants] = True
    return Evidence(all_store, value_of, exact_dense.astype(np.int64), comp, value_ident,
                    value_text, comparisons, generating, near_pairs=near_pairs, banned=banned,
                    opened=opened, anchor=anchor, variant=variant)


def _brand_anchors(graph: EvidenceGraph, store: np.ndarray, value: np.ndarray,
                   comp: np.ndarray, value_text: np.ndarray, brand: int) -> np.ndarray | None:
    """Per evidence row, whether it is a suspended store's own brand (its value is its own
    key, not a suspended brand it varies): what a variant of that brand agrees with at
    ``near``. None without the variants' windows or a status column (the variant then agrees
    with every store of its brand)."""
    stores = graph.stores
    if "brand_after" not in stores or "status" not in stores:
        return None
    suspended = (stores["status"] == "suspended").to_numpy()
    keys = stores["brand_key"].fillna("").astype(str).to_numpy(dtype=object)
    rows = np.flatnonzero((comp[value] == brand) & suspended[store])
    anchor = np.zeros(len(store), dtype=bool)
    anchor[rows] = value_text[value[rows]] == keys[store[rows]]
    return anchor


def _store_days(stores: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each store's suspension day (suspended stores only, -inf when its date is unknown; NaN
    for the others: a date beside another status is no ban) and opening day (+inf when
    unknown), in days since the epoch; None without those columns."""
    if "opened_on" not in stores or "suspended_on" not in stores or "status" not in stores:
        return None, None

    opened, suspended = store_dates(stores)

    def days(dates: pd.Series) -> np.ndarray:
        return (dates - pd.Timestamp(0)).dt.days.to_numpy(dtype=np.float64)

    banned = days(suspended)
    banned = np.where((stores["status"] == "suspended").to_numpy(),
                      np.where(np.isnan(banned), -np.inf, banned), np.nan)
    opened = days(opened)
    return banned, np.where(np.isnan(opened), np.inf, opened)


def _address_roles(comp_name: np.ndarray, canon: np.ndarray, typed: pd.Series) -> np.ndarray:
    """Each address weighed in the comparison of the role most of its links give it
    (``address:warehouse``...): one place written as a return address by one store and as a
    warehouse by another is one shared value, not two agreements."""
    address = np.flatnonzero(comp_name == "address")
    kinds = typed.to_numpy(dtype=object)[address]
    typed_rows = kinds != ""
    if not typed_rows.any():
        return comp_name
    ident = canon[address]
    # Links per (address, role), a group-by on one integer key; the commonest role of each
    # address, ties to the first role by name.
    code, roles = pd.factorize(kinds[typed_rows], sort=True)
    n_roles = len(roles)
    key, count = np.unique(ident[typed_rows] * n_roles + code, return_counts=True)
    key_ident, key_role = key // n_roles, key % n_roles
    order = np.lexsort((key_role, -count, key_ident))
    key_ident, key_role = key_ident[order], key_role[order]
    first = np.r_[True, key_ident[1:] != key_ident[:-1]]
    role_ident, role = key_ident[first], key_role[first]
    at = np.minimum(np.searchsorted(role_ident, ident), len(role_ident) - 1)
    has = role_ident[at] == ident
    comp_name = comp_name.copy()
    comp_name[address[has]] = "address:" + np.asarray(roles, dtype=object)[role[at[has]]]
    return comp_name


#: the holder names of ID documents as evidence: each name's store, value and written key
NameValues = tuple[np.ndarray, np.ndarray, np.ndarray]


def holder_name_values(graph: EvidenceGraph) -> NameValues | None:
    """The holder names of ID documents as evidence (an order-free key): ``(stores, values,
    keys)``, one entry per link of a document with a name, ``values`` the name's value (names
    one typo apart, with and without a middle initial, or beside one document, are one value)
    and ``keys`` its key as written; None without holder names.

    Names of ID holders only: the holder of a payment account is a property of the account,
    already compared (a payment agent's name on its pooled account is one value). It needs
    only the graph, so :func:`~graphaudit.linkage.link_stores` finds it in a forked child while
    near-duplicate identifiers are matched.
    """
    if "holder_name" not in graph.links:
        return None
    names = graph.links["holder_name"].fillna("").astype(str)
    document = (graph.idents["kind"] == "id_document").to_numpy()[graph.link_ident]
    present = np.flatnonzero((names != "").to_numpy() & document)
    if not len(present):
        return None
    # One key per distinct name (a hash group-by: no sort of the strings).
    at, distinct = pd.factorize(names.to_numpy(dtype=object)[present])
    key_at, key_text = pd.factorize(np.array(holder_name_keys(distinct.tolist()),
                                             dtype=object)[at])
    # Names one typo apart share a value through two spellings: the near level.
    value_text = near_name_values(np.asarray(key_text, dtype=object),
                                  np.bincount(key_at, minlength=len(key_text)))
    # A name with its middle initial and without it: one value too.
    value_text = initialled_name_values(np.asarray(key_text, dtype=object), value_text)
    keys = np.asarray(key_text, dtype=object)[key_at]
    values = value_text[key_at]
    good = keys != ""
    # Names beside one document that agree are its holder's: one value.
    values[good] = document_name_values(graph.link_ident[present[good]], keys[good],
                                        values[good])
    return graph.link_store[present[good]], values[good], keys[good]


def _soft_values(graph: EvidenceGraph, names: Callable[[], NameValues | None] | None = None):
    """Holder names (:func:`holder_name_values`, or what ``names`` gives) and brands: evidence
    that only adds to a pair.

    Yields ``(comparison, stores, value, written)``: a brand that varies a suspended brand
    (the ``brand_after`` column, when the caller found them: opened within the rule's window
    after the ban) has that brand as a second value, spelled apart, so that it agrees at the
    ``near`` level with the suspended stores of that brand (:func:`_held_near`), and keeps
    its own key as a value, so that its operator's other stores of that brand agree with it
    exactly (with the suspended brand as its only value, they did not where they opened
    outside the window).
    """
    held = holder_name_values(graph) if names is None else names()
    if held is not None:
        yield ("holder_name", *held)
    if "brand_key" in graph.stores:
        brands = graph.stores["brand_key"].fillna("").astype(str).to_numpy(dtype=object)
        present = np.flatnonzero(brands != "")
        if len(present):
            own = brands[present]
            base = _brand_values(graph, "brand_after", brands)[present]
            varies = np.flatnonzero(base != own)
            # A variant keeps its own brand (its operator's other stores of that brand agree
            # with it exactly) and has the suspended brand as a second value, spelled apart
            # (a variant spelling of it: the near level).
            yield ("brand", np.r_[present, present[varies]].astype(np.int64),
                   np.r_[own, base[varies]], np.r_[own, own[varies] + VARIANT_MARK])


#: appended to a variant's own brand key where it spells the suspended brand it varies: a
#: spelling of its own, apart from the key as the value of the store's own brand
VARIANT_MARK = "\x00variant"


def _brand_values(graph: EvidenceGraph, column: str, brands: np.ndarray) -> np.ndarray:
    """Each store's brand value: the suspended brand it varies (``column``, from
    :func:`~graphaudit.scoring.brand_variant_windows`) or its own key."""
    if column not in graph.stores:
        return brands
    base = graph.stores[column].fillna("").astype(str).to_numpy(dtype=object)
    return np.where(base != "", base, brands)


def _mirror_near(graph: EvidenceGraph, banned: np.ndarray | None = None,
                 opened: np.ndarray | None = None) -> float:
    """The random store pairs whose brands the variant rule would join if every store's dates
    were mirrored about the suspension: a store opened within the window *before* a
    suspension of the brand it varies, with each suspended store of that brand suspended
    after it opened (a variant agrees at ``near`` with a suspended store of the brand banned
    before it opened, :func:`_held_near`). No banned operator coming back makes these (its
    new stores open after the ban), so they count what the rule joins by coincidence of
    names: the brand's ``near`` level between different operators (where a date is missing
    the pair is in both: it counts as before). NaN when the caller found no windows (the
    pairs the values make are counted then). ``banned`` and ``opened``: each store's days
    (:func:`_store_days`). Without a status column every store that holds the brand counts
    as suspended on a day not known, the other variants of it too: the levels then let a
    variant agree with every store of its brand (:func:`_brand_anchors`)."""
    if "brand_before" not in graph.stores or "brand_key" not in graph.stores:
        return float("nan")
    brands = graph.stores["brand_key"].fillna("").astype(str).to_numpy(dtype=object)
    before = graph.stores["brand_before"].fillna("").astype(str).to_numpy(dtype=object)
    n = len(brands)
    ban = np.full(n, -np.inf) if banned is None else np.where(np.isnan(banned), -np.inf, banned)
    day = np.full(n, np.inf) if opened is None else opened
    variant = np.flatnonzero(before != "")
    # The stores a variant agrees with: the brand's suspended stores, or without a status its
    # every store and (spelled apart) its other variants.
    if "status" in graph.stores:
        holder = np.flatnonzero((graph.stores["status"] == "suspended").to_numpy()
                                & (brands != ""))
        holds = brands[holder]
    else:
        holder = np.r_[np.flatnonzero(brands != ""), variant]
        holds = np.r_[brands[holder[:len(holder) - len(variant)]], before[variant]]
    # each variant against each such store of its brand (a join on the brand: few rows)
    pairs = pd.DataFrame({"brand": before[variant], "store": variant,
                          "opened": day[variant]}).merge(
        pd.DataFrame({"brand": holds, "holder": holder, "ban": ban[holder],
                      "varies": before[holder] == holds}), on="brand")
    a, b = pairs["store"].to_numpy(), pairs["holder"].to_numpy()
    varies = pairs["varies"].to_numpy()
    spelled_apart = ~varies | (brands[a] != brands[b])
    undated = ~np.isfinite(pairs["opened"].to_numpy()) | ~np.isfinite(pairs["ban"].to_numpy())
    mirrored = pairs["ban"].to_numpy() > pairs["opened"].to_numpy()
    joined = spelled_apart & (undated | mirrored)
    # ordered pairs, as u counts them (n(n-1) for the values of the exact levels): a pair of
    # two variants is in the join both ways round already
    return float(2 * (joined & ~varies).sum() + (joined & varies).sum())


#: the words of an ASCII name after :func:`~graphaudit.normalize.name_key` (NFKC changes no
#: ASCII text, case folding is lower casing, its words are runs of letters and digits)
_ASCII_WORD = re.compile("[a-z0-9]+")
#: a name of CJK unified ideographs only: its own key (one word; NFKC and case folding change
#: none of them)
_HAN_ONLY = re.compile("[\u4e00-\u9fff]+")


def holder_name_keys(names: list[str]) -> list[str]:
    """:func:`holder_name_key` of each name, the commonest forms without Unicode
    normalization (a million stores have half a million distinct names)."""
    keys = []
    for name in names:
        if name.isascii():
            keys.append(" ".join(sorted(_ASCII_WORD.findall(name.lower()))))
        elif _HAN_ONLY.fullmatch(name):
            keys.append(name)
        else:
            keys.append(holder_name_key(name))
    return keys


# ---------------------------------------------------------------------------------------------
# Rounds


def resolve(evidence: Evidence, n_stores: int, params: LinkageParams,
            start: np.ndarray | None = None) -> Resolution:
    """Merge groups round by round on accumulated evidence; split weak cuts; list possible
    links. ``start`` gives initial groups (stores an investigator said belong together)."""
    labels = np.arange(n_stores) if start is None else start.copy()
    n_comp = len(evidence.comparisons)
    merges: list[pd.DataFrame] = []
    items: list[pd.DataFrame] = []
    model = None
    edge_base = 0
    table = value_groups(evidence, labels)
    active = None  # the first round compares every candidate pair
    for round_number in range(params.max_rounds):
        # (the first round's groups are single stores, each varying one suspended brand at
        # most: the model, estimated on them, counts several variants from the second on)
        pairs, levels, shared, chances = compare_groups(evidence, labels, params,
                                                        table=table, active=active, model=model)
        if model is None:
            model = monotone_bands(estimate_model(
                levels, evidence.comparisons, params, store_level_u(evidence, n_stores),
                n_stores * (n_stores - 1) / 2, evidence.generating,
                drawn_chance(table.groups_of_value, evidence, params)
                if params.drawn_truncation else None))
            model.disagreement = params.disagreement
            model.one_common = params.one_common
            model.once_per_family = params.once_per_family
            model.person = params.person
        if not len(pairs):
            break
        score = model.score(levels, chances)
        if params.common_tf:
            score = common_tf(model, params, evidence, labels, table, pairs, levels, shared,
                              chances, score)
        if params.chance_co_use:
            score, shared = chance_co_use(model, evidence, table, pairs, levels, shared,
                                          chances, score)
        merge = score >= params.merge_bits
        if not merge.any():
            break
        rows = np.flatnonzero(merge)
        size = np.bincount(labels, minlength=n_stores)
        merges.append(pd.DataFrame({"round": round_number, "a": pairs[rows, 0],
                                    "b": pairs[rows, 1], "score": score[rows],
                                    "chance": _chance(levels[rows], chances[rows]),
                                    "size_a": size[pairs[rows, 0]],
                                    "size_b": size[pairs[rows, 1]]}))
        items.append(_items(shared, rows, edge_base, model))
        edge_base += len(rows)
        del levels, shared, chances
        labels = _union(labels, pairs[rows], n_stores)
        table, active = _next_round(table, labels, pairs[rows], params)
    if model is None:  # no evidence at all
        model = monotone_bands(estimate_model(np.empty((0, n_comp), dtype=np.int8),
                                              evidence.comparisons, params))
        model.disagreement = params.disagreement
        model.one_common = params.one_common
        model.once_per_family = params.once_per_family
        model.person = params.person
    merge_table = (pd.concat(merges, ignore_index=True) if merges else
                   pd.DataFrame({"round": [], "a": [], "b": [], "score": [], "chance": [],
                                 "size_a": [], "size_b": []}).astype(
                       {"round": int, "a": np.int64, "b": np.int64, "score": float,
                        "chance": float, "size_a": np.int64, "size_b": np.int64}))
    base_labels = np.arange(n_stores) if start is None else start
    weak = np.zeros(len(merge_table), dtype=bool)
    if params.person_cuts and params.person:
        weak = person_cuts(merge_table, items, base_labels, n_stores, params, evidence, model)
    rest = np.flatnonzero(~weak)
    weak[rest] = weak_cuts(merge_table.iloc[rest], base_labels, n_stores, params, evidence,
                           model)
    merge_table["weak"] = weak
    labels = _components(merge_table[~weak], base_labels, n_stores)
    merge_table["decided"] = "score"
    if params.held_families:
        held, held_items = held_merges(evidence, labels, params, model,
                                       _round_after(merge_table), len(merge_table))
        merge_table, labels = _add_merges(merge_table, items, labels, held, held_items)
    returns = None
    if params.returns:
        back, back_items, returns = return_merges(evidence, labels, params, model,
                                                  _round_after(merge_table), len(merge_table))
        merge_table, labels = _add_merges(merge_table, items, labels, back, back_items)
    if params.co_used_lift:
        co_used, co_items = co_used_merges(evidence, labels, params, model,
                                           _round_after(merge_table), len(merge_table))
        merge_table, labels = _add_merges(merge_table, items, labels, co_used, co_items)
    merge_table["tree"] = strongest_forest(merge_table, n_stores)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params,
                                                    hubs_from=params.hub_groups, model=model)
    score = model.score(levels, chances) if len(pairs) else np.zeros(0)
    keep = np.flatnonzero(score >= params.possible_bits)
    possible = pd.DataFrame({"a": pairs[keep, 0] if len(pairs) else np.zeros(0, np.int64),
                             "b": pairs[keep, 1] if len(pairs) else np.zeros(0, np.int64),
                             "score": score[keep],
                             "chance": _chance(levels[keep], chances[keep]) if len(pairs)
                             else np.zeros(0)})
    possible_items = _items(shared, keep, 0, model)
    possible_items["edge"] = -1 - possible_items["edge"]
    all_items = pd.concat([*items, possible_items], ignore_index=True)
    return Resolution(labels, merge_table, possible, all_items, model, evidence, returns)


def _round_after(merge_table: pd.DataFrame) -> int:
    """The round number after the last of ``merge_table`` (0 when it is empty)."""
    return int(merge_table["round"].max()) + 1 if len(merge_table) else 0


def _add_merges(merge_table: pd.DataFrame, items: list[pd.DataFrame], labels: np.ndarray,
                merges: pd.DataFrame, merge_items: pd.DataFrame
                ) -> tuple[pd.DataFrame, np.ndarray]:
    """``merges`` made after the rounds (held values, returns) added to ``merge_table``, their
    evidence to ``items`` (in place) and their pairs to ``labels``."""
    if not len(merges):
        return merge_table, labels
    items.append(merge_items)
    return (pd.concat([merge_table, merges], ignore_index=True),
            _union(labels, merges[["a", "b"]].to_numpy(np.int64), len(labels)))


def common_tf(model: Model, params: LinkageParams, evidence: Evidence, labels: np.ndarray,
              table: ValueGroups, pairs: np.ndarray, levels: np.ndarray, shared: pd.DataFrame,
              chances: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The round's scores with the term frequency inside the commonest band: each pair's
    comparison agreeing at that band loses :func:`~.weights.common_tf_bits` of its value of
    fewest groups, added to its ``chances`` (in place).

    The groups are counted as the round would leave them without it (the merges ``score``
    makes): *independent* groups. In the first round every store is a group, and an operator's
    own account on its 300 stores would count 300, as a payment agent's of 300 clients does;
    once the operator's stores merge on everything else they share, it counts one, while the
    agent's clients stay apart (docs/linkage.md, term frequency inside the commonest band).
    A value one group holds (``held_share`` of its stores) is that group's own and loses
    nothing: an operator's stores with fresh documents, tied to its core by its phone alone,
    are as many groups as an agency's clients until they join it.
    Every step is a group-by or a join: the union of the merges, the (value, group) table
    relabelled, and a sort of the shared rows by (pair, comparison, groups)."""
    n_stores = len(labels)
    merging = score >= params.merge_bits
    rows = np.flatnonzero(shared["level"].to_numpy() == COMMON)
    if not len(rows):
        return score
    provisional = _union(labels, pairs[merging], n_stores) if merging.any() else labels
    groups = _relabelled(table, provisional).groups_of_value.copy()
    groups[_held_values(evidence, provisional, shared["value"].to_numpy()[rows],
                        params.held_share)] = 0
    n_comp = levels.shape[1]
    pair = shared["pair"].to_numpy()[rows]
    key = pair.astype(np.int64) * n_comp + shared["comp"].to_numpy()[rows]
    count = groups[shared["value"].to_numpy()[rows]]
    order = np.lexsort((count, key))
    key, count = key[order], count[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, count = key[first], count[first]
    bits = common_tf_bits(count, params.common_tf)
    hit = (levels.reshape(-1)[key] == COMMON) & (bits > 0)
    if not hit.any():
        return score
    chances.reshape(-1)[key[hit]] += bits[hit]
    touched = np.unique(key[hit] // n_comp)
    score = score.copy()
    score[touched] = model.score(levels[touched], chances[touched])
    return score


def chance_co_use(model: Model, evidence: Evidence, table: ValueGroups, pairs: np.ndarray,
                  levels: np.ndarray, shared: pd.DataFrame, chances: np.ndarray,
                  score: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """The round's scores with two common values of different kinds counted once per pair
    when their co-use is no more than chance gives.

    ``one_common`` counts the commonest band (10+ groups) once per pair and family; across
    families each common agreement adds its band's weight, so two unrelated stores that both
    use a 3PL's return address and an opening agency's phone score as if they shared two
    independent pieces of evidence of one operator (docs/linkage.md, known limits: two
    innocent services on one pair). Unrelated sellers choose their services independently:
    of ``g_x`` groups using one value and ``g_y`` another among ``K`` groups, about
    ``g_x * g_y / K`` use both with no operator in common. One operator's own values of 10+
    stores are used together, far beyond that. So for each pair the common agreement of the
    strongest family counts, and a common agreement of another family counts too only when
    its value is co-used with the strongest one's beyond chance among all the pairs of common
    values of two kinds (:func:`co_use_bits` at least ``log2 M``, the test of co-used hubs);
    else it weighs nothing: its level becomes ``none`` and its chances 0 (``levels`` and
    ``chances`` in place), and its rows leave ``shared`` (a link's items are what counted).
    ``K`` and the group counts are the round's (``table``). Returns the scores and
    ``shared``."""
    family = pd.factorize(np.asarray(model.families(), dtype=object))[0]
    found = _second_common_values(model, evidence, table, shared, family, len(pairs))
    if found is None:
        return score, shared
    pair, fam, x, y = found
    tied = _co_used_beyond_chance(evidence, table, family, x, y)
    if tied.all():
        return score, shared
    pair, fam = pair[~tied], fam[~tied]
    n_comp = levels.shape[1]
    i, c = np.nonzero((fam[:, None] == family[None, :]) & (levels[pair] == COMMON))
    levels[pair[i], c] = NONE
    chances[pair[i], c] = 0.0
    dropped = np.zeros(len(pairs) * n_comp, dtype=bool)
    dropped[pair[i] * n_comp + c] = True
    shared = shared[~dropped[shared["pair"].to_numpy() * n_comp + shared["comp"].to_numpy()]]
    touched = np.unique(pair)
    score = score.copy()
    score[touched] = model.score(levels[touched], chances[touched])
    return score, shared


def _second_common_values(model: Model, evidence: Evidence, table: ValueGroups,
                          shared: pd.DataFrame, family: np.ndarray, n_pairs: int
                          ) -> tuple[np.ndarray, ...] | None:
    """The pairs of :func:`chance_co_use` with common agreements of two families or more: for
    each such pair and each family but its heaviest, (pair, family, x, y): ``x`` the heaviest
    family's common value, ``y`` this family's (of its heaviest comparison, then of fewest
    groups). None when no pair has two."""
    comp = shared["comp"].to_numpy()
    rows = np.flatnonzero((shared["level"].to_numpy() == COMMON) & evidence.generating[comp])
    if not len(rows):
        return None
    pair, value = shared["pair"].to_numpy()[rows], shared["value"].to_numpy()[rows]
    comp = comp[rows]
    fam = family[comp]
    groups_of_value = table.groups_of_value
    # per (pair, family): its common value of the heaviest comparison, then of fewest groups
    weight = model.weights[comp, COMMON]
    n_family = int(family.max()) + 1
    key = pair.astype(np.int64) * n_family + fam
    order = np.lexsort((groups_of_value[value], -weight, key))
    key, value, weight, fam = key[order], value[order], weight[order], fam[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, value, weight, fam = key[first], value[first], weight[first], fam[first]
    pair = key // n_family
    # pairs with common values of two families or more: the heaviest family's value is x
    keep = np.bincount(pair, minlength=n_pairs)[pair] >= 2
    if not keep.any():
        return None
    pair, value, weight, fam = pair[keep], value[keep], weight[keep], fam[keep]
    order = np.lexsort((-weight, pair))
    pair, value, fam = pair[order], value[order], fam[order]
    head = np.r_[True, pair[1:] != pair[:-1]]
    x = value[np.maximum.accumulate(np.where(head, np.arange(len(pair)), 0))]
    others = ~head
    return pair[others], fam[others], x[others], value[others]


def _co_used_beyond_chance(evidence: Evidence, table: ValueGroups, family: np.ndarray,
                           x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether values ``x`` and ``y`` (each row a pair of values) are used by more groups
    together than chance gives, by the co-used hubs' test (:func:`co_use_bits` at least
    ``log2 M``, ``M`` the pairs of common values of two kinds in the round)."""
    groups_of_value = table.groups_of_value
    # groups using both, among the groups with any value that makes candidates: one sparse
    # product over the values that some pair shares (its cost, the squares of each group's
    # count of such values), then a lookup of the pairs' (x, y)
    rows = evidence.generating[evidence.comp[table.value]]
    n_groups = len(np.unique(table.group[rows]))
    xy, at = np.unique(np.stack([x, y], axis=1), axis=0, return_inverse=True)
    values = np.unique(xy)
    involved = np.zeros(len(groups_of_value), dtype=bool)
    involved[values] = True
    used = involved[table.value]
    groups, row = np.unique(table.group[used], return_inverse=True)
    use = csr_matrix((np.ones(len(row), dtype=np.int32),
                      (row, np.searchsorted(values, table.value[used]))),
                     shape=(len(groups), len(values)))
    both_table = (use.T @ use).tocoo()
    n_values = len(values)
    key = both_table.row.astype(np.int64) * n_values + both_table.col
    order = np.argsort(key)
    key, data = key[order], both_table.data[order]
    want = np.searchsorted(values, xy[:, 0]).astype(np.int64) * n_values + \
        np.searchsorted(values, xy[:, 1])
    both = data[np.searchsorted(key, want)].astype(np.int64)  # every pair's x, y both used
    gx, gy = groups_of_value[xy[:, 0]], groups_of_value[xy[:, 1]]
    common = rows & (groups_of_value[table.value] >= BANDS[0])
    margin = math.log2(max(_pairs_of_kinds(family[evidence.comp[np.unique(
        table.value[common])]]), 1))
    # At most the mean (rounded down) a co-use is at most the median of its hypergeometric,
    # P(X >= both) >= 1/2, under a bit: only those above it are worth the exact tail.
    tied_xy = np.zeros(len(xy), dtype=bool)
    doubt = (both > np.floor(gx.astype(np.float64) * gy / n_groups)) | (margin <= 1.0)
    if doubt.any():
        tied_xy[doubt] = co_use_bits(both[doubt], gx[doubt], gy[doubt], n_groups) >= margin
    return tied_xy[at.ravel()]


def _held_values(evidence: Evidence, labels: np.ndarray, values: np.ndarray,
                 share: float) -> np.ndarray:
    """Which of ``values`` one group of ``labels`` holds: at least ``share`` of its stores are
    in that group. A group-by of the (value, store) rows of those values only."""
    wanted = np.zeros(len(evidence.comp), dtype=bool)
    wanted[values] = True
    rows = wanted[evidence.value]
    n_stores = len(labels)
    value, store = unique_pairs(evidence.value[rows], evidence.store[rows], n_stores)
    stores = np.bincount(value, minlength=len(wanted))
    key, in_group = np.unique(value * n_stores + labels[store], return_counts=True)
    most = np.zeros(len(wanted), dtype=np.int64)
    np.maximum.at(most, key // n_stores, in_group)
    held = wanted & (most >= share * np.maximum(stores, 1))
    return np.flatnonzero(held)


def held_merges(evidence: Evidence, labels: np.ndarray, params: LinkageParams, model: Model,
                round_number: int, edge_base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merges of a finished cluster's stragglers: groups that share, with a larger group, values
    of ``held_families`` kinds each of which that larger group *holds* (``held_share`` of the
    value's stores are in it).

    An operator of hundreds of stores puts its own phone, account or brand on most of them; the
    stores that use it beside fresh documents are tied to the rest by values that many groups
    use (the commonest band), whose weights a service's value shares, and the chances of
    coincidence of so large a group sink them. A service's value (an agency's phone, a 3PL's
    warehouse) is spread over its clients' groups; one the larger group holds is its own. One
    such value is not enough (a big operator's 3PL also serves small sellers, who use its
    warehouse and nothing else of the big one's); two kinds of evidence held by the same group
    are. Each straggler joins its largest such group; a group that joins one takes none in.
    Returns the merges (``round_number``, their scores as compared) and their evidence items
    (edges numbered from ``edge_base``).
    """
    empty = _no_merges()
    n_stores = len(labels)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params, model=model)
    if not len(pairs):
        return empty, _items(shared, np.zeros(0, np.int64), edge_base, model)
    own = np.ones(len(evidence.value), dtype=bool) if evidence.variant is None else \
        ~evidence.variant
    value, store = unique_pairs(evidence.value[own], evidence.store[own], n_stores)
    n_values = len(evidence.comp)
    stores_of_value = np.bincount(value, minlength=n_values)
    held_key, held_count = np.unique(labels[store].astype(np.int64) * n_values + value,
                                     return_counts=True)
    size = np.bincount(labels, minlength=n_stores)
    pair = shared["pair"].to_numpy()
    row_value = shared["value"].to_numpy()
    a, b = pairs[pair, 0], pairs[pair, 1]
    larger = np.where(size[a] >= size[b], a, b)
    key = larger * n_values + row_value
    at = np.minimum(np.searchsorted(held_key, key), max(len(held_key) - 1, 0))
    in_larger = np.where(held_key[at] == key, held_count[at], 0)
    held = (shared["level"].to_numpy() >= COMMON) & \
        (in_larger >= params.held_share * stores_of_value[row_value])
    once = copy.copy(model)
    once.once_per_family = (*model.once_per_family, "person")
    families, family_names = pd.factorize(
        np.asarray(once.families(), dtype=object)[shared["comp"].to_numpy()[held]])
    kinds = np.zeros(len(pairs), dtype=np.int64)
    if len(family_names):
        seen = np.unique(pair[held] * len(family_names) + families)
        kinds = np.bincount(seen // len(family_names), minlength=len(pairs))
    enough = kinds >= params.held_families
    outside = stores_of_value[row_value] - in_larger
    people = group_people(evidence, labels, value, store)[larger]
    one = _one_held(model, params, pairs, levels, shared, held, size, outside, people)
    if len(one):
        # pairs at or above the threshold that did not merge were parted by the cuts
        one = one[model.score(levels[one], chances[one]) < params.merge_bits]
        enough[one] = True
    chosen = np.flatnonzero(enough)
    if not len(chosen):
        return empty, _items(shared, chosen, edge_base, model)
    big = np.where(size[pairs[chosen, 0]] >= size[pairs[chosen, 1]], pairs[chosen, 0],
                   pairs[chosen, 1])
    small = np.where(big == pairs[chosen, 0], pairs[chosen, 1], pairs[chosen, 0])
    # each straggler joins its largest holder; a holder that joins one takes none in
    order = np.lexsort((-size[big], small))
    first = np.r_[True, small[order][1:] != small[order][:-1]]
    chosen, big, small = chosen[order][first], big[order][first], small[order][first]
    keep = ~np.isin(big, small)
    chosen, big, small = chosen[keep], big[keep], small[keep]
    chosen_order = np.argsort(chosen)
    chosen = chosen[chosen_order]
    score = model.score(levels[chosen], chances[chosen])
    merges = pd.DataFrame({"round": round_number, "a": pairs[chosen, 0], "b": pairs[chosen, 1],
                           "score": score, "chance": _chance(levels[chosen], chances[chosen]),
                           "size_a": size[pairs[chosen, 0]], "size_b": size[pairs[chosen, 1]],
                           "weak": False, "decided": "held values"})
    return merges, _items(shared, chosen, edge_base, model)


def _no_merges() -> pd.DataFrame:
    """An empty table of merges, typed."""
    return pd.DataFrame({"round": np.zeros(0, np.int64), "a": np.zeros(0, np.int64),
                         "b": np.zeros(0, np.int64), "score": np.zeros(0),
                         "chance": np.zeros(0), "size_a": np.zeros(0, np.int64),
                         "size_b": np.zeros(0, np.int64), "weak": np.zeros(0, dtype=bool)})


def return_merges(evidence: Evidence, labels: np.ndarray, params: LinkageParams, model: Model,
                  round_number: int, edge_base: int
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Merges of a single active store into a banned group when it opened after the ban, within
    ``return_days``, and the two are a possible link: the weight of the return is learned
    from the dates, as the brand's ``near`` level is (docs/linkage.md, returns).

    One rare value of its operator's (an account, a phone) is often an evader's only thread to
    its banned stores, and one agreement alone scores about 0 bits, less the chances (the limit
    on u). Whether "opened after the ban" says more is read from the data with the dates
    mirrored: the possible links (below the threshold, at or above ``possible_bits``) between
    banned groups and single stores that opened within the window *before* the ban are the
    coincidences (an innocent tie has no reason to fall after the ban rather than before it);
    those after it are the coincidences and the returns. ``log2((after + 1) / (before + 1))``
    is the return's weight, added to the possible links after the ban: those that then reach
    ``merge_bits`` merge (each store into its best group). Where such ties are no commoner
    after bans than before them, the weight is about 0 and nothing merges.

    Returns the merges, their evidence items (edges numbered from ``edge_base``) and the
    estimation (``after``, ``before``, ``weight_bits``, ``merges``) for ``model.json``.
    """
    merges, chosen, shared = _no_merges(), np.zeros(0, np.int64), pd.DataFrame()
    found = {"after": 0, "before": 0, "weight_bits": 0.0, "merges": 0}
    is_banned = _banned_groups(evidence, labels, params)
    if is_banned.any():
        pairs, levels, shared, chances = compare_groups(evidence, labels, params,
                                                        active=is_banned, model=model)
        if len(pairs):
            merges, chosen, found = _returns(evidence, labels, params, model, round_number,
                                             (pairs, levels, chances), is_banned)
    return merges, _items(shared, chosen, edge_base, model), found


def _banned_groups(evidence: Evidence, labels: np.ndarray, params: LinkageParams
                   ) -> np.ndarray:
    """Per group, whether it holds a banned store; none when the dates or the return window
    are missing (nothing can be a return then)."""
    is_banned = np.zeros(len(labels), dtype=bool)
    if evidence.banned is None or evidence.opened is None or params.return_days is None:
        return is_banned
    is_banned[labels[~np.isnan(evidence.banned)]] = True
    return is_banned


def _returns(evidence: Evidence, labels: np.ndarray, params: LinkageParams, model: Model,
             round_number: int, compared: tuple[np.ndarray, np.ndarray, np.ndarray],
             is_banned: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """:func:`return_merges` on the compared pairs of banned groups and other groups
    (``compared``: pairs, levels, chances): the merges, the pairs chosen, the estimation."""
    pairs, levels, chances = compared
    n_stores = len(labels)
    banned = ~np.isnan(evidence.banned)
    score = model.score(levels, chances)
    size = np.bincount(labels, minlength=n_stores)
    first_ban = _per_group_min(labels, evidence.banned, n_stores)
    opened = np.where(banned, np.nan, evidence.opened)
    first_open = _per_group_min(labels, opened, n_stores)
    a, b = pairs[:, 0], pairs[:, 1]
    # the banned group and the single active store of each pair (none when both or neither)
    store = np.where(is_banned[a], b, a)
    group = np.where(is_banned[a], a, b)
    single = (is_banned[a] != is_banned[b]) & (size[store] == 1) & ~is_banned[store]
    gap = first_open[store] - first_ban[group]
    possible = single & np.isfinite(gap) & (score >= params.possible_bits) & \
        (score < params.merge_bits)
    after = possible & (gap > 0) & (gap <= params.return_days)
    before = possible & (gap < 0) & (gap >= -params.return_days)
    weight = return_weight(score[after], score[before])
    chosen = np.flatnonzero(after & (score + weight >= params.merge_bits))
    if len(chosen):  # each store joins the banned group it scores best with
        order = np.lexsort((-score[chosen], store[chosen]))
        first = np.r_[True, store[chosen][order][1:] != store[chosen][order][:-1]]
        chosen = np.sort(chosen[order][first])
    found = {"after": int(after.sum()), "before": int(before.sum()),
             "weight_bits": round(weight, 3), "merges": len(chosen)}
    if not len(chosen):
        return _no_merges(), chosen, found
    merges = pd.DataFrame({"round": round_number, "a": a[chosen], "b": b[chosen],
                           "score": score[chosen],
                           "chance": _chance(levels[chosen], chances[chosen]),
                           "size_a": size[a[chosen]], "size_b": size[b[chosen]],
                           "weak": False,
                           "decided": f"return after a ban ({weight:+.1f})"})
    return merges, chosen, found


def return_weight(after: np.ndarray, before: np.ndarray, iterations: int = 100) -> float:
    """The weight, in bits, of "opened within the window after a ban" for a possible link,
    from the scores of the possible links after bans (``after``) and before them (``before``):
    the larger of two estimates of its Bayes factor, each at most the factor where a match
    falls in the window after a ban, and in the one before it, at least as often as a
    coincidence does (docs/linkage.md, returns).

    * The count, ``log2((after + 1) / (before + 1))``: the factor diluted by the coincidences
      among the ties (a coincidence falls after a ban as often as before it). Where the ties
      after bans are mostly returns it is near the factor (family seed 1510: 7 after, 0 before,
      every one a return, at -0.1 to -1.5 bits).
    * The factor within the window, ``log2(2r / (1 + r))`` (:func:`_after_odds`: ``r`` the odds
      that a match falls after rather than before, each tie counted by its chance of being a
      match): at most 1 bit, but not diluted. Where hundreds of commonest-band ties (-3 to -4
      bits) sit around bans, as many before as after, the count is about 0 and hides the
      returns (seed 2012: 62 after, 59 before, +0.07 bits, while 16 of the 22 ties above -0.5
      bits fell after a ban, every one a return); counted by their chance, they weigh little.
    """
    count = math.log2((len(after) + 1) / (len(before) + 1))
    odds = _after_odds(after, before, iterations)
    return max(count, math.log2(2 * odds / (1 + odds)))


def _after_odds(after: np.ndarray, before: np.ndarray, iterations: int) -> float:
    """The odds that a match among the possible links around bans fell after the ban rather
    than before it, by expectation-maximisation: each link is a match with the chance its score
    gives (``1 / (1 + 2^-score)``), a coincidence half after and half before a ban, and one
    link on each side is the prior (no link at all: odds 1)."""
    chance_after = 1.0 / (1.0 + np.exp2(-after))
    chance_before = 1.0 / (1.0 + np.exp2(-before))
    odds = 1.0
    for _ in range(iterations):
        matched_after = chance_after * odds / (1 + odds)
        matched_before = chance_before / (1 + odds)
        new = (float((matched_after / (matched_after + (1 - chance_after) / 2)).sum()) + 1) / \
            (float((matched_before / (matched_before + (1 - chance_before) / 2)).sum()) + 1)
        if abs(new - odds) < 1e-9:
            break
        odds = new
    return odds


def co_used_merges(evidence: Evidence, labels: np.ndarray, params: LinkageParams, model: Model,
                   round_number: int, edge_base: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merges of the clusters that use, together, commonly shared values that are used
    together: one operator's own accounts, phones, e-mails and office, judged hubs one by one.

    A value of ``hub_groups`` or more clusters is a hub because its clusters are otherwise
    separate; but an operator that is most of its export is cut into its ID cards, and each of
    its values is then shared by hundreds of clusters whose every other tie is another such
    value (docs/trials/new-user-trial-4.md item 3). Unrelated sellers choose their services
    independently: of a payment agent's clients, a 3PL serves about the share of clusters it
    serves anywhere. One operator's values are chosen together, on the same stores. So two hub
    values of different kinds (families, the person counted once) are *tied* when most
    (``held_share``) of the clusters of the one with fewer use the other too, and at least
    ``co_used_lift`` times as many as independent choice would give (at 2, most of the
    co-use is beyond chance), and that co-use is rarer under independent choice than one in
    the pairs of hubs of two kinds (:func:`co_use_bits`: a lift of 2 on 15 clusters is what
    chance gives some pair among hundreds). Tied hubs form one organisation (connected
    components); two clusters that use its values of ``held_families`` kinds or more, and
    share values of that many kinds of it, merge.
    Where the data are all one network no co-use is beyond chance (every cluster uses the
    office): nothing joins. Returns the merges (candidate pairs of such clusters, scored as
    compared) and their evidence items (edges numbered from ``edge_base``).
    """
    empty = _no_merges()
    n_stores = len(labels)
    rows = evidence.generating[evidence.comp[evidence.value]]
    if evidence.variant is not None:
        rows &= ~evidence.variant
    has = np.zeros(n_stores, dtype=bool)
    has[labels[evidence.store[rows]]] = True
    n_groups = int(has.sum())  # the clusters with any value that makes candidates
    # only values of hub_groups rows or more can be used by that many clusters
    rows &= np.bincount(evidence.value, minlength=len(evidence.comp))[evidence.value] >= \
        params.hub_groups
    value, group = unique_pairs(evidence.value[rows], labels[evidence.store[rows]], n_stores)
    groups_of_value = np.bincount(value, minlength=len(evidence.comp))
    hub = groups_of_value[value] >= params.hub_groups
    hubs, column = np.unique(value[hub], return_inverse=True)
    groups, row = np.unique(group[hub], return_inverse=True)
    if len(hubs) < 2:
        return empty, _items(pd.DataFrame(), np.zeros(0, np.int64), edge_base, model)
    use = csr_matrix((np.ones(len(row), dtype=np.int32), (row, column)),
                     shape=(len(groups), len(hubs)))
    both = (use.T @ use).tocoo()
    x, y, k = both.row, both.col, both.data.astype(np.float64)
    once = copy.copy(model)
    once.once_per_family = (*model.once_per_family, "person")
    family = pd.factorize(np.asarray(once.families(), dtype=object)[evidence.comp[hubs]])[0]
    gx, gy = groups_of_value[hubs[x]], groups_of_value[hubs[y]]
    tied = (x < y) & (family[x] != family[y]) & \
        (k >= params.held_share * np.minimum(gx, gy)) & \
        (k * n_groups >= params.co_used_lift * gx.astype(np.float64) * gy)
    # ... and beyond what chance gives among all the pairs of hubs that could tie: a service
    # of 15 clusters, 10 of them clients of an agency on a third of all clusters, is a lift
    # of 2 that one pair in 150 reaches by chance (docs/linkage.md, co-used hubs)
    doubted = np.flatnonzero(tied)
    tied[doubted] = co_use_bits(k[doubted], gx[doubted], gy[doubted], n_groups) >= \
        math.log2(max(_pairs_of_kinds(family), 1))
    if not tied.any():
        return empty, _items(pd.DataFrame(), np.zeros(0, np.int64), edge_base, model)
    ties = coo_matrix((np.ones(int(tied.sum()), dtype=np.int8), (x[tied], y[tied])),
                      shape=(len(hubs), len(hubs)))
    _, organisation = connected_components(ties, directed=False)
    in_tie = np.zeros(len(hubs), dtype=bool)
    in_tie[x[tied]] = in_tie[y[tied]] = True
    # per (group, organisation): the kinds of the organisation's values the group uses
    mine = in_tie[column]
    n_family = int(family.max()) + 1
    key = np.unique((row[mine].astype(np.int64) * len(hubs) + organisation[column[mine]])
                    * n_family + family[column[mine]]) // n_family
    member, kinds = np.unique(key, return_counts=True)
    member = member[kinds >= params.held_families]
    joins = np.full(n_stores, -1, dtype=np.int64)
    joins[groups[member // len(hubs)]] = member % len(hubs)
    if (joins >= 0).sum() < 2:
        return empty, _items(pd.DataFrame(), np.zeros(0, np.int64), edge_base, model)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params,
                                                    active=joins >= 0, model=model)
    if not len(pairs):
        return empty, _items(shared, np.zeros(0, np.int64), edge_base, model)
    # a merge rests on values of two kinds of the organisation that both clusters use
    org_of = np.full(len(evidence.comp), -1, dtype=np.int64)
    org_of[hubs[in_tie]] = organisation[in_tie]
    family_of = np.full(len(evidence.comp), -1, dtype=np.int64)
    family_of[hubs] = family
    pair, row_value = shared["pair"].to_numpy(), shared["value"].to_numpy()
    own = (org_of[row_value] >= 0) & (org_of[row_value] == joins[pairs[pair, 0]]) & \
        (joins[pairs[pair, 0]] == joins[pairs[pair, 1]])
    seen = np.unique(pair[own] * n_family + family_of[row_value[own]])
    kinds = np.bincount(seen // n_family, minlength=len(pairs))
    chosen = np.flatnonzero(kinds >= params.held_families)
    if not len(chosen):
        return empty, _items(shared, chosen, edge_base, model)
    size = np.bincount(labels, minlength=n_stores)
    a, b = pairs[chosen, 0], pairs[chosen, 1]
    merges = pd.DataFrame({"round": round_number, "a": a, "b": b,
                           "score": model.score(levels[chosen], chances[chosen]),
                           "chance": _chance(levels[chosen], chances[chosen]),
                           "size_a": size[a], "size_b": size[b], "weak": False,
                           "decided": "co-used hubs"})
    return merges, _items(shared, chosen, edge_base, model)


def co_use_bits(both: np.ndarray, uses_x: np.ndarray, uses_y: np.ndarray,
                total: int) -> np.ndarray:
    """How unlikely independent choice makes each co-use, in bits: ``-log2 P(X >= both)``,
    ``X`` the clusters of ``uses_x`` (drawn from ``total``) that also use a value of
    ``uses_y`` clusters, hypergeometric (scipy's exact upper tail: its ``sf``, 30 times faster
    than ``logsf``; a tail below 1e-308, which ``sf`` gives as 0, is infinitely many bits,
    beyond any margin).

    Unrelated sellers choose their services independently, so a co-use this improbable
    among the ``M`` pairs of hubs that could tie (``log2 M`` bits or more) is one
    organisation's; a lift of 2 on few clusters is not (:func:`co_used_merges`).

    >>> co_use_bits(np.array([10, 2]), np.array([15, 4]), np.array([490, 4]), 1502).round(2)
    array([ 7.18, 14.94])
    """
    from scipy.stats import hypergeom  # here: importing scipy.stats takes a second, ties are rare

    tail = hypergeom.sf(np.asarray(both) - 1, total, uses_y, uses_x)  # P(X >= both)
    with np.errstate(divide="ignore"):
        return np.maximum(-np.log2(tail), 0.0)


def _pairs_of_kinds(family: np.ndarray) -> int:
    """How many pairs of ``family``'s entries (hubs by kind) are of two different kinds: the
    pairs of hubs that :func:`co_used_merges` could tie."""
    counts = np.bincount(family).astype(np.int64)
    total = int(counts.sum())
    return (total * total - int((counts * counts).sum())) // 2


def group_people(evidence: Evidence, labels: np.ndarray, value: np.ndarray,
            store: np.ndarray) -> np.ndarray:
    """How many distinct ID documents the stores of each group of ``labels`` carry (``value``,
    ``store``: the distinct (value, store) rows of the evidence): one person's records carry
    one, or two writings of it; an operator's stores, its staff's several."""
    n_stores = len(labels)
    if "id_document" not in evidence.comparisons:
        return np.zeros(n_stores, dtype=np.int64)
    rows = evidence.comp[value] == evidence.comparisons.index("id_document")
    n_values = len(evidence.comp)
    keys = np.unique(labels[store[rows]].astype(np.int64) * n_values + value[rows])
    return np.bincount(keys // n_values, minlength=n_stores)


def _one_held(model: Model, params: LinkageParams, pairs: np.ndarray, levels: np.ndarray,
              shared: pd.DataFrame, held: np.ndarray, size: np.ndarray,
              outside: np.ndarray, people: np.ndarray) -> np.ndarray:
    """The candidate pairs of a single store and a larger group that one held value joins
    (docs/linkage.md, held values): with brands in the data, a held value of another kind
    than the brand beside a brand the two agree on; without, a held value of a comparison of
    ``held_alone`` that ``held_outside`` or more stores outside the larger group use, or that
    a larger group of ``held_people`` or more people's ID documents holds (``outside`` and
    ``people``, the larger group's: per row of ``shared``)."""
    single = np.minimum(size[pairs[:, 0]], size[pairs[:, 1]]) == 1
    comp = shared["comp"].to_numpy()
    pair = shared["pair"].to_numpy()
    if "brand" in model.comparisons:
        if not params.held_brand:
            return np.zeros(0, np.int64)
        brand = model.comparisons.index("brand")
        rows = held & (comp != brand)
        agree = levels[:, brand] >= NEAR
    else:
        organisation = (people >= params.held_people) if params.held_people else False
        rows = held & np.isin(comp, [c for c, name in enumerate(model.comparisons)
                                     if name in params.held_alone]) & \
            ((outside >= params.held_outside) | organisation)
        agree = np.ones(len(pairs), dtype=bool)
    has = np.zeros(len(pairs), dtype=bool)
    has[pair[rows]] = True
    return np.flatnonzero(single & has & agree)


def strongest_forest(merges: pd.DataFrame, n_stores: int) -> np.ndarray:
    """Which merges form a maximum spanning forest of the merge graph (weak cuts left out):
    the strongest evidence that holds each cluster together, what links.csv and explain show.
    The other merges only repeat ties that these already make."""
    tree = np.zeros(len(merges), dtype=bool)
    keep = np.flatnonzero(~merges["weak"].to_numpy()) if len(merges) else np.zeros(0, np.int64)
    if not len(keep):
        return tree
    score = merges["score"].to_numpy()[keep]
    a = merges["a"].to_numpy(np.int64)[keep]
    b = merges["b"].to_numpy(np.int64)[keep]
    # The strongest merge of each pair of stores (by score, then row), then scipy's minimum
    # spanning tree over costs that fall as scores rise.
    order = np.lexsort((keep, -score))
    lo, hi = np.minimum(a, b)[order], np.maximum(a, b)[order]
    row, score = keep[order], score[order]
    _, first = np.unique(lo * n_stores + hi, return_index=True)
    first = np.sort(first)
    lo, hi, row, score = lo[first], hi[first], row[first], score[first]
    cost = score.max() - score + 1.0
    graph = coo_matrix((cost, (lo, hi)), shape=(n_stores, n_stores)).tocsr()
    spanning = minimum_spanning_tree(graph).tocoo()
    wanted = (np.minimum(spanning.row, spanning.col).astype(np.int64) * n_stores
              + np.maximum(spanning.row, spanning.col))
    key = lo * n_stores + hi
    by_key = np.argsort(key)
    tree[row[by_key[np.searchsorted(key, wanted, sorter=by_key)]]] = True
    return tree


def _chance(levels: np.ndarray, chances: np.ndarray) -> np.ndarray:
    """The bits a pair loses to the chances of coincidence of its agreeing comparisons."""
    return np.where(levels >= NEAR, chances, 0.0).sum(axis=1) if len(levels) else np.zeros(0)


def _draw_chance(g: np.ndarray, params: LinkageParams) -> np.ndarray:
    """The chance that a value of ``g`` groups makes a given pair of its groups a candidate:
    1 up to ``all_pairs_up_to`` groups; then each group with its ``window`` next ones,
    ``g*w - w(w+1)/2`` of the ``g(g-1)/2`` pairs; 0 beyond ``max_groups``."""
    g = g.astype(np.float64)
    w = float(params.window)
    chance = np.where(g <= params.all_pairs_up_to, 1.0,
                      np.minimum((g * w - w * (w + 1) / 2) / np.maximum(g * (g - 1) / 2, 1.0),
                                 1.0))
    chance[g > params.max_groups] = 0.0
    return chance


def drawn_chance(groups_of_value: np.ndarray, evidence: Evidence,
                 params: LinkageParams) -> np.ndarray:
    """Per comparison, the chance that two groups drawn at random share a value of it that
    makes them a candidate pair: ``sum g(g-1) * chance(g) / G(G-1)`` over its values, ``G``
    the groups with evidence of the comparison (the first round's groups)."""
    n_comp = len(evidence.comparisons)
    g = groups_of_value.astype(np.float64)
    pairs = g * (g - 1) * _draw_chance(groups_of_value, params)
    drawn = np.bincount(evidence.comp, weights=pairs, minlength=n_comp)
    n = int(evidence.store.max()) + 1 if len(evidence.store) else 1
    comp, _ = unique_pairs(evidence.comp[evidence.value], evidence.store, n)
    with_comp = np.bincount(comp, minlength=n_comp).astype(np.float64)
    return np.minimum(drawn / np.maximum(with_comp * (with_comp - 1), 1.0), 1.0)


def store_level_u(evidence: Evidence, n_stores: int) -> np.ndarray:
    """:func:`~.weights.random_pair_u` of the evidence, counting stores."""
    value, _ = unique_pairs(evidence.value, evidence.store, n_stores)
    value_stores = np.bincount(value, minlength=len(evidence.comp))
    exact, _ = unique_pairs(evidence.exact, evidence.store, n_stores)
    n_exact = int(evidence.exact.max()) + 1 if len(evidence.exact) else 0
    exact_stores = np.bincount(exact, minlength=n_exact)
    exact_value = np.zeros(n_exact, dtype=np.int64)
    exact_value[evidence.exact] = evidence.value
    comp, _ = unique_pairs(evidence.comp[evidence.value], evidence.store, n_stores)
    comp_stores = np.bincount(comp, minlength=len(evidence.comparisons))
    return random_pair_u(value_stores, evidence.comp, exact_value, exact_stores, comp_stores,
                         evidence.near_pairs)


def _items(shared: pd.DataFrame, rows: np.ndarray, base: int, model: Model) -> pd.DataFrame:
    """The shared values of the chosen pairs, renumbered as edges base, base+1, ..."""
    if shared.empty or not len(rows):
        return pd.DataFrame({"edge": np.zeros(0, np.int64), "comp": np.zeros(0, np.int64),
                             "level": np.zeros(0, np.int8), "value": np.zeros(0, np.int64),
                             "weight": np.zeros(0)})
    where = np.full(int(shared["pair"].max()) + 1, -1, dtype=np.int64)
    where[rows[rows < len(where)]] = np.arange(len(rows))[rows < len(where)]
    edge = where[shared["pair"].to_numpy()]
    chosen = np.flatnonzero(edge >= 0)
    comp = shared["comp"].to_numpy()[chosen]
    level = shared["level"].to_numpy()[chosen]
    return pd.DataFrame({"edge": base + edge[chosen], "comp": comp, "level": level,
                         "value": shared["value"].to_numpy()[chosen],
                         "weight": model.weights[comp, level] if len(comp) else np.zeros(0)},
                        copy=False)


def _union(labels: np.ndarray, pairs: np.ndarray, n_stores: int) -> np.ndarray:
    """Merge the groups of ``pairs``; each store's label becomes its group's smallest store."""
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                       shape=(n_stores, n_stores))
    _, component = connected_components(graph, directed=False)
    merged = component[labels]
    smallest = np.full(component.max() + 1 if len(component) else 0, n_stores, dtype=np.int64)
    np.minimum.at(smallest, merged, np.arange(n_stores))
    return smallest[merged]


def _components(merges: pd.DataFrame, base: np.ndarray, n_stores: int) -> np.ndarray:
    pairs = np.c_[merges["a"].to_numpy(np.int64), merges["b"].to_numpy(np.int64)]
    start = np.c_[np.arange(n_stores), base]
    return _union(np.arange(n_stores), np.r_[pairs, start], n_stores)


@dataclass
class ValueGroups:
    """The (value, group) table of a round: who uses what, sorted by value then group, and
    each value's group count (a group-by count of it)."""

    value: np.ndarray
    group: np.ndarray
    groups_of_value: np.ndarray


def value_groups(evidence: Evidence, labels: np.ndarray) -> ValueGroups:
    """Distinct (value, group) rows of the evidence under ``labels`` (a store's label is its
    group)."""
    n_groups = int(labels.max()) + 1 if len(labels) else 1
    value, group = unique_pairs(evidence.value, labels[evidence.store], n_groups)
    return ValueGroups(value, group, np.bincount(value, minlength=len(evidence.comp)))


def _relabelled(table: ValueGroups, labels: np.ndarray) -> ValueGroups:
    """``table`` after merges: each group relabelled (a group's label is one of its stores),
    duplicates dropped. The same rows as :func:`value_groups` of the evidence, from fewer."""
    n_groups = int(labels.max()) + 1 if len(labels) else 1
    value, group = unique_pairs(table.value, labels[table.group], n_groups)
    return ValueGroups(value, group, np.bincount(value, minlength=len(table.groups_of_value)))


def _next_round(table: ValueGroups, labels: np.ndarray, merged: np.ndarray,
                params: LinkageParams) -> tuple[ValueGroups, np.ndarray]:
    """The next round's (value, group) table, and the groups it must compare again.

    A pair of groups that no merge changed, sharing only values whose group count did not
    change, is compared on the same evidence at the same levels as in the last round and
    did not merge then: it cannot merge now. So only pairs with an *active* group are
    compared: a group just merged, or a group using a value whose group count the merges
    changed (its band, hence its level, may have changed) or whose groups were relabelled
    while it had more than ``all_pairs_up_to`` of them (its window of neighbours moved).
    Every step is a group-by or a join of the (value, group) table.
    """
    new = _relabelled(table, labels)
    active = np.zeros(len(labels), dtype=bool)
    active[labels[merged.ravel()]] = True
    touched = np.zeros(len(new.groups_of_value), dtype=bool)
    touched[new.value[active[new.group]]] = True
    dirty = touched & ((new.groups_of_value != table.groups_of_value)
                       | (table.groups_of_value > params.all_pairs_up_to))
    active[new.group[dirty[new.value]]] = True
    return new, active


def compare_groups(evidence: Evidence, labels: np.ndarray, params: LinkageParams,
                   hubs_from: int | None = None, table: ValueGroups | None = None,
                   active: np.ndarray | None = None, model: Model | None = None
                   ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
    """Candidate pairs of groups, their levels (pairs x comparisons), their shared values and
    the chances of coincidence of each comparison.

    Returns ``pairs`` (k x 2, smaller label first), ``levels`` (int8, -1 null), ``shared``
    (``pair, value, comp, level``: each value both groups use, with its level, by pair then
    value) and ``chances`` (pairs x comparisons, bits): ``log2(d_a * d_b / d**2)`` (at least
    0), where ``d_a`` and ``d_b`` count the two groups' distinct values of the comparison and
    ``d`` is the mean count of one store. u was measured on pairs of single stores; a pair of
    groups with d_a and d_b values has d_a * d_b / d**2 times the chances of sharing one by
    accident. With ``hubs_from``, values used by that many groups or more are hubs: they
    neither make candidates nor count.

    Every step is a group-by or a join over two tables: the (value, group) table of who uses
    what (``table``, :func:`value_groups` of ``labels`` when not given), and the (pair, value)
    table of what pairs share (see :func:`_shared_values`). With ``active`` (a mask over group
    labels), only the candidate pairs with an active group are compared: the rounds after the
    first pass the groups whose comparisons the last merges can have changed
    (:func:`_next_round`).

    With the ``model``, a group that varies *several* suspended brands of the other group
    (each at the brand's ``near`` level) counts each as an agreement: the brand's chances
    become ``log2 C(N, k) - (k - 1) * w`` (:func:`_several_variants`).
    """
    n_comp = len(evidence.comparisons)
    group = labels[evidence.store]
    n_groups_space = int(labels.max()) + 1 if len(labels) else 1
    if table is None:
        table = value_groups(evidence, labels)
    inc_value, inc_group, groups_of_value = table.value, table.group, table.groups_of_value
    if hubs_from is not None:
        kept = groups_of_value[inc_value] < hubs_from
        inc_value, inc_group = inc_value[kept], inc_group[kept]
    rows_value, rows_group = inc_value, inc_group
    if active is not None:
        # Only values an active group uses can be shared by a pair with an active group; they
        # keep all their groups (a value's window of neighbours depends on all of them).
        touched = np.zeros(len(groups_of_value), dtype=bool)
        touched[inc_value[active[inc_group]]] = True
        keep = touched[inc_value]
        rows_value, rows_group = inc_value[keep], inc_group[keep]
        del touched, keep
    pairs, pair_id, value = _shared_values(rows_value, rows_group, groups_of_value, evidence,
                                           params, n_groups_space, active)
    del rows_value, rows_group
    if not len(pairs):
        empty = pd.DataFrame({"pair": np.zeros(0, np.int64), "value": np.zeros(0, np.int64),
                              "comp": np.zeros(0, np.int64), "level": np.zeros(0, np.int8)})
        return (pairs, np.empty((0, n_comp), dtype=np.int8), empty, np.empty((0, n_comp)))
    a, b = pairs[:, 0], pairs[:, 1]
    level = band_level(groups_of_value[value])
    level[_near(evidence, group, n_groups_space, a[pair_id], b[pair_id], value)] = NEAR
    if evidence.anchor is not None:
        # a variant agrees with a suspended store of its brand, not with another's active one
        held = _held_near(evidence, labels, a[pair_id], b[pair_id], value, level)
        pair_id, value, level = pair_id[held], value[held], level[held]
    comp = evidence.comp[value]
    # Each pair's level of each comparison: its best shared value, none when both groups
    # have evidence of the comparison and share none of it, null otherwise.
    inc_comp = evidence.comp[inc_value]
    count = np.bincount(inc_group * n_comp + inc_comp, minlength=n_groups_space * n_comp
                        ).astype(np.int32).reshape(n_groups_space, n_comp)
    # pairs x comparisons arrays are the largest of a round (5 million pairs at a million
    # stores): int8 and bool where they can be, and the chances only where a pair agrees.
    has = count > 0
    levels = np.full((len(pairs), n_comp), -1, dtype=np.int8)
    levels[has[a] & has[b]] = NONE
    del has
    best = np.full(len(pairs) * n_comp, NONE, dtype=np.int8)
    np.maximum.at(best, pair_id * n_comp + comp, level)
    hit = np.flatnonzero(best > NONE)
    flat = levels.reshape(-1)
    flat[hit] = best[hit]
    del best
    # copy=False: columns as they are, not copied into one block
    shared = pd.DataFrame({"pair": pair_id, "value": value, "comp": comp, "level": level},
                          copy=False)
    per_store = evidence.per_store
    if evidence.variant is not None and evidence.variant.any():
        count = _without_variants(evidence, labels, count, n_groups_space)
    # Elsewhere a comparison's chances weigh nothing (Model.score): they stay 0.
    hit_pair, hit_comp = np.divmod(hit, n_comp)
    ratio = count[a[hit_pair], hit_comp].astype(np.float64)
    ratio *= count[b[hit_pair], hit_comp]
    ratio /= (per_store ** 2)[hit_comp]
    np.maximum(ratio, 1.0, out=ratio)
    np.log2(ratio, out=ratio)
    chances = np.zeros(levels.shape)
    chances.reshape(-1)[hit] = ratio
    if model is not None and evidence.anchor is not None:
        _several_variants(evidence, model, pairs, levels, shared, count, per_store, chances)
    return pairs, levels, shared, chances


def _several_variants(evidence: Evidence, model: Model, pairs: np.ndarray, levels: np.ndarray,
                      shared: pd.DataFrame, count: np.ndarray, per_store: np.ndarray,
                      chances: np.ndarray) -> None:
    """Count each suspended brand a group varies as an agreement, in ``chances`` (in place).

    Only the best value of a comparison counts elsewhere (two shared accounts weigh as one).
    But a returning group that varies *two* brands of one banned operator (each at the
    brand's ``near`` level: opened in the window after a ban of it, agreeing with a suspended
    store of it) is two coincidences of names, not one: no pair of different operators did
    that on the tuning worlds (0 of 1,446 pairs of an active operator with a variant and a
    banned operator on seeds 1200-1219, 0 of 2,375 on 1100-1119), against 20 of 271 and 43
    of 604 returning operators. Each is weighed as the level is (``w``, u from the mirror),
    as independent agreements are in Fellegi-Sunter; the chances of coincidence count the
    ways ``k`` of the ``N = d_a * d_b / d**2`` pairings of the two groups' brands can
    agree, ``log2 C(N, k)`` bits, instead of ``log2 N``. Only where the level weighs for a
    match (``w > 0``)."""
    brand = evidence.comparisons.index("brand") if "brand" in evidence.comparisons else -1
    weight = float(model.weights[brand, NEAR]) if brand >= 0 else 0.0
    if weight <= 0 or shared.empty:
        return
    near = ((shared["comp"] == brand) & (shared["level"] == NEAR)).to_numpy()
    k = np.bincount(shared["pair"].to_numpy()[near], minlength=len(pairs))
    several = np.flatnonzero((k >= 2) & (levels[:, brand] == NEAR))
    if not len(several):
        return
    a, b = pairs[several, 0], pairs[several, 1]
    k = k[several].astype(np.float64)
    n = np.maximum(count[a, brand].astype(np.float64) * count[b, brand]
                   / per_store[brand] ** 2, k)
    ways = (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)) / np.log(2)
    chances[several, brand] = np.maximum(ways, 0.0) - (k - 1) * weight


def _without_variants(evidence: Evidence, labels: np.ndarray, count: np.ndarray,
                      n_groups: int) -> np.ndarray:
    """``count`` (groups x comparisons) less, in the brand column, the suspended brands a
    group holds only as a variant's second value: the variant is one brand, written once,
    not a second chance of a coincidence."""
    brand = evidence.comparisons.index("brand")
    rows = evidence.variant_rows
    n_values = len(evidence.comp)
    extra = np.unique(labels[rows.variant_store].astype(np.int64) * n_values
                      + rows.variant_value)
    held = labels[rows.own_store].astype(np.int64) * n_values + rows.own_value
    extra = extra[~_contains(held, extra)]
    count = count.copy()
    np.subtract.at(count[:, brand], extra // n_values, 1)
    return count


def _variant_rows(evidence: Evidence) -> VariantRows:
    """The rows of :class:`VariantRows` (found when the evidence is made)."""
    n = len(evidence.store)
    variant = evidence.variant if evidence.variant is not None else np.zeros(n, dtype=bool)
    varied = np.zeros(len(evidence.comp), dtype=bool)
    varied[evidence.value[variant]] = True
    brand = evidence.comparisons.index("brand") if "brand" in evidence.comparisons else -1
    of_varied = varied[evidence.value] & (evidence.comp[evidence.value] == brand)
    own = np.flatnonzero(of_varied & ~variant)
    var = np.flatnonzero(variant)
    anchor = np.flatnonzero(of_varied & evidence.anchor) if evidence.anchor is not None \
        else np.zeros(0, np.int64)
    opened = np.full(len(var), np.inf) if evidence.opened is None else \
        evidence.opened[evidence.store[var]]
    ban = np.full(len(anchor), -np.inf) if evidence.banned is None else \
        np.nan_to_num(evidence.banned[evidence.store[anchor]], nan=-np.inf)
    return VariantRows(evidence.store[var], evidence.value[var], opened, evidence.store[own],
                       evidence.value[own], evidence.store[anchor], evidence.value[anchor], ban)


def _values_per_store(evidence: Evidence) -> np.ndarray:
    """The mean number of distinct values of each comparison a store has (when it has any);
    found when the evidence is made (it does not depend on the groups)."""
    n_comp = len(evidence.comparisons)
    n_stores = int(evidence.store.max()) + 1 if len(evidence.store) else 1
    own = np.ones(len(evidence.value), dtype=bool) if evidence.variant is None else \
        ~evidence.variant
    value, store = unique_pairs(evidence.value[own], evidence.store[own], n_stores)
    comp = evidence.comp[value]
    values = np.bincount(comp, minlength=n_comp).astype(float)
    with_comp, _ = unique_pairs(comp, store, n_stores)
    stores = np.bincount(with_comp, minlength=n_comp).astype(float)
    return np.maximum(values / np.maximum(stores, 1.0), 1.0)


def _shared_values(inc_value: np.ndarray, inc_group: np.ndarray, groups_of_value: np.ndarray,
                   evidence: Evidence, params: LinkageParams, n_groups: int,
                   active: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of groups, and every value each candidate pair shares.

    A self-join of the (value, group) table on value: a value used by up to
    ``all_pairs_up_to`` groups pairs all of them, a commoner one each group with its
    ``window`` next ones (:func:`_window_pairs`). The pairs that a generating value made are
    the candidates. The rows of the rare values are then the shared values of the candidates
    (a pair that shares only a name or a brand is no candidate); the commoner values (few
    stores, but too many pairs to list) are joined to the candidates instead: each pair's
    common values on one side, looked up on the other.

    Returns ``pairs`` (k x 2, sorted) and ``pair_id``, ``value`` of every shared value,
    sorted by pair then value. With ``active``, only the candidates with an active group.
    """
    g = groups_of_value[inc_value]
    rare = (g >= 2) & (g <= params.all_pairs_up_to)
    value, grp = inc_value[rare], inc_group[rare]  # sorted by value, then group
    left, right = _pairs_within(value, g[rare] - 1)
    row_value, lo, hi = value[left], grp[left], grp[right]
    del left, right
    win_lo, win_hi = _window_pairs(inc_value, inc_group, g, evidence, params)
    # One sort of the rows by pair: the runs are the pairs, candidates those a generating
    # value made, and the rows of a pair in value order.
    slots = len(evidence.comp) + 1  # a row's value; the last slot marks a window pair
    if float(n_groups) ** 2 * slots < 2.0 ** 63:
        # Pair and value packed in one integer: a sort of the integers, not an argsort.
        packed = np.r_[(lo * n_groups + hi) * slots + row_value,
                       (win_lo * n_groups + win_hi) * slots + (slots - 1)]
        del lo, hi, row_value
        packed.sort()
        key, slot = np.divmod(packed, slots)
        del packed
        is_row = slot < slots - 1
        row_value = np.where(is_row, slot, 0)
        del slot
    else:
        key = np.r_[lo * n_groups + hi, win_lo * n_groups + win_hi]
        is_row = np.r_[np.ones(len(lo), dtype=bool), np.zeros(len(win_lo), dtype=bool)]
        row_value = np.r_[row_value, np.zeros(len(win_lo), dtype=np.int64)]
        del lo, hi
        order = np.argsort(key, kind="stable")
        key, is_row, row_value = key[order], is_row[order], row_value[order]
        del order
    makes = ~is_row | (evidence.generating[evidence.comp[row_value]]
                       & (groups_of_value[row_value] <= params.max_groups))
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
    run = np.cumsum(first) - 1
    candidate = np.bincount(run, weights=makes, minlength=int(first.sum())) > 0
    if active is not None:  # only pairs with an active group
        run_key = key[first]
        candidate &= active[run_key // n_groups] | active[run_key % n_groups]
        del run_key
    number = np.cumsum(candidate) - 1
    pair_key = key[first][candidate]
    pairs = np.c_[pair_key // n_groups, pair_key % n_groups]
    keep = candidate[run] & is_row
    pair_id, value = number[run[keep]], row_value[keep]
    # The commoner values of each candidate: looked up from the side with fewer of them.
    common = g > params.all_pairs_up_to
    if common.any() and len(pairs):
        c_pair, c_value = _shared_by_lookup(inc_value[common], inc_group[common], pairs,
                                            n_groups, len(evidence.comp))
        # Two runs sorted by (pair, value) with no row in common: merged, not sorted again.
        at = np.searchsorted(pair_id * len(evidence.comp) + value,
                             c_pair * len(evidence.comp) + c_value)
        at += np.arange(len(at))
        from_lookup = np.zeros(len(pair_id) + len(at), dtype=bool)
        from_lookup[at] = True
        merged_pair = np.empty(len(from_lookup), dtype=np.int64)
        merged_value = np.empty(len(from_lookup), dtype=np.int64)
        merged_pair[at], merged_value[at] = c_pair, c_value
        merged_pair[~from_lookup], merged_value[~from_lookup] = pair_id, value
        pair_id, value = merged_pair, merged_value
    return pairs, pair_id, value


def _pairs_within(value: np.ndarray, partners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (left, right) of pairs within runs of equal ``value`` (sorted): each entry
    with the next ``partners`` entries of its run (at most to the run's end)."""
    if not len(value):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    first = np.r_[True, value[1:] != value[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(value)), 0))
    run_end = np.r_[np.flatnonzero(first)[1:], len(value)]
    end = run_end[np.cumsum(first) - 1]
    count = np.maximum(np.minimum(partners, end - np.arange(len(value)) - 1), 0)
    del start
    left = np.repeat(np.arange(len(value)), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return left, left + 1 + step


def _window_pairs(inc_value: np.ndarray, inc_group: np.ndarray, g: np.ndarray,
                  evidence: Evidence, params: LinkageParams) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (lo, hi) of the generating values used by more than
    ``all_pairs_up_to`` groups (up to ``max_groups``): a sorted neighbourhood, each group
    paired with its ``window`` next ones (all pairs of a 3PL of 100,000 stores would be
    5e9)."""
    usable = (evidence.generating[evidence.comp[inc_value]] & (g > params.all_pairs_up_to)
              & (g >= 2) & (g <= params.max_groups))
    value, grp = inc_value[usable], inc_group[usable]
    if not len(value):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Within a value, groups in a pseudo-random but fixed order: neighbours are not chosen by
    # how store ids happen to be numbered.
    scramble = (grp.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)
    order = np.lexsort((scramble, value))
    value, grp = value[order], grp[order]
    left, right = _pairs_within(value, np.full(len(value), params.window))
    a, b = grp[left], grp[right]
    return np.minimum(a, b), np.maximum(a, b)


def _shared_by_lookup(inc_value: np.ndarray, inc_group: np.ndarray, pairs: np.ndarray,
                      n_groups: int, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """(pair, value) of the values of ``inc_value, inc_group`` that both groups of a pair
    use, by pair then value: the values of the side with fewer, looked up on the other."""
    # (value, group) rows are distinct: a sort of their keys, not an argsort and gathers
    sorted_key = np.sort(inc_group * n_values + inc_value)
    by_group_value = sorted_key % n_values
    starts = np.searchsorted(sorted_key // n_values, np.arange(n_groups + 1))
    degree = np.diff(starts)
    a, b = pairs[:, 0], pairs[:, 1]
    swap = degree[a] > degree[b]
    x, y = np.where(swap, b, a), np.where(swap, a, b)
    pair_id, value = _expand(x, starts, by_group_value)
    found = _contains(sorted_key, y[pair_id] * n_values + value)
    return pair_id[found], value[found]


def _near(evidence: Evidence, group: np.ndarray, n_groups: int, ga: np.ndarray, gb: np.ndarray,
          value: np.ndarray) -> np.ndarray:
    """Which shared values groups ``ga`` and ``gb`` share only as different spellings.

    A value with one spelling is shared as written whenever it is shared; only the few values
    that near-duplicate matching gave several spellings are joined to the spellings each
    group uses: the spellings of the side that uses fewer (of such values), kept where they
    spell the shared value, looked up on the other side. (Joining the value's every spelling
    instead costs a look-up per spelling of a common address, hundreds of them, per pair.)"""
    exact_value, spellings = evidence.spellings
    several = np.flatnonzero(spellings[value] > 1)
    near = np.zeros(len(value), dtype=bool)
    if not len(several):
        return near
    rows = spellings[evidence.value] > 1
    n_exact = len(exact_value)
    grp, exact = unique_pairs(group[rows], evidence.exact[rows], n_exact)
    used = grp * n_exact + exact  # sorted: unique_pairs sorts by group, then spelling
    starts = np.searchsorted(grp, np.arange(n_groups + 1))
    a, b = ga[several], gb[several]
    swap = np.diff(starts)[a] > np.diff(starts)[b]
    x, y = np.where(swap, b, a), np.where(swap, a, b)
    entry, spelling = _expand(x, starts, exact)
    mine = exact_value[spelling] == value[several][entry]
    entry, spelling = entry[mine], spelling[mine]
    both = _contains(used, y[entry] * n_exact + spelling)
    as_written = np.bincount(entry[both], minlength=len(several)) > 0
    near[several[~as_written]] = True
    return near


def _held_near(evidence: Evidence, labels: np.ndarray, ga: np.ndarray, gb: np.ndarray,
               value: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Which shared values to keep: all but a brand shared only as a variant (``near``) by
    two groups neither of which holds a suspended store of that brand (``evidence.anchor``)
    suspended before a store of the other opened under the variant. The variant rule says
    "opened after a store of this brand was suspended": another seller's active store of
    the same brand name is no part of it, nor is a store banned after the variant opened
    (counting them made the level common among unrelated sellers). A date not known counts
    as early enough."""
    keep = np.ones(len(value), dtype=bool)
    brand = evidence.comparisons.index("brand")
    rows = np.flatnonzero((level == NEAR) & (evidence.comp[value] == brand))
    if not len(rows):
        return keep
    n_values = len(evidence.comp)
    # per (group, brand): its first ban of the brand and its last opening under a variant (of
    # the brands some variant varies: no other is shared at near)
    table = evidence.variant_rows
    first_ban = pd.Series(table.ban).groupby(
        labels[table.anchor_store].astype(np.int64) * n_values + table.anchor_value).min()
    last_open = pd.Series(table.opened).groupby(
        labels[table.variant_store].astype(np.int64) * n_values + table.variant_value).max()
    v = value[rows]
    ka, kb = ga[rows] * n_values + v, gb[rows] * n_values + v

    def of(table: pd.Series, wanted: np.ndarray, missing: float) -> np.ndarray:
        return table.reindex(wanted).fillna(missing).to_numpy()

    keep[rows] = ((of(first_ban, kb, np.inf) < of(last_open, ka, -np.inf))
                  | (of(first_ban, ka, np.inf) < of(last_open, kb, -np.inf)))
    return keep


def _spellings(evidence: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """The value of each spelling and the spelling count of each value (found when the
    evidence is made)."""
    n_exact = int(evidence.exact.max()) + 1 if len(evidence.exact) else 0
    exact_value = np.zeros(n_exact, dtype=np.int64)
    exact_value[evidence.exact] = evidence.value
    return exact_value, np.bincount(exact_value, minlength=len(evidence.comp))


def _expand(x: np.ndarray, starts: np.ndarray, items: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """(pair, item) for every item of group ``x[pair]`` (CSR ``starts`` over ``items``)."""
    lo, hi = starts[x], starts[x + 1]
    count = hi - lo
    pair_id = np.repeat(np.arange(len(x)), count)
    offset = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return pair_id, items[np.repeat(lo, count) + offset]


def _contains(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Which ``keys`` are among ``values``: a hash look-up (pandas' ``isin``), several
    times faster than a binary search when the keys come in no order (a group's partners)."""
    return pd.Series(keys, copy=False).isin(values).to_numpy()

# ---------------------------------------------------------------------------------------------
# Weak cuts


def weak_cuts(merges: pd.DataFrame, base: np.ndarray, n_stores: int, params: LinkageParams,
              evidence: Evidence | None = None, model: Model | None = None) -> np.ndarray:
    """Which merges are weak cuts of the finished clusters.

    A merge that alone holds two parts of a cluster together (a bridge of the merge graph) is
    weak when the evidence across it clears the merge threshold by less than
    ``weak_cut_bits * log2(stores on the smaller side)``. The evidence across is the score
    between the two parts that the bridge joins directly (the pieces left when every bridge is
    removed), accumulated over all their stores; a merge of two single stores made in the
    first round is judged again once both sides have grown.

    The margin grows with the sides: two sides of 64 stores offer 4,096 store pairs for an
    innocent coincidence (a relative's phone, an employee who changed operator) to occur in,
    so the evidence between them must say more than between two single stores (a
    multiple-comparisons correction, in bits).
    """
    weak = np.zeros(len(merges), dtype=bool)
    if not len(merges):
        return weak
    a = merges["a"].to_numpy(np.int64)
    b = merges["b"].to_numpy(np.int64)
    start = np.flatnonzero(base != np.arange(n_stores))
    ea, eb = np.r_[a, start], np.r_[b, base[start]]
    # igraph converts a list of tuples faster than a numpy array
    graph = igraph.Graph(n=n_stores, edges=list(zip(ea.tolist(), eb.tolist(), strict=True)))
    bridges = np.array(graph.bridges(), dtype=np.int64)
    if not len(bridges):
        return weak
    # The two-edge-connected parts (every bridge removed), each labelled by its smallest store.
    inner = np.ones(len(ea), dtype=bool)
    inner[bridges] = False
    labels = _union(np.arange(n_stores), np.c_[ea[inner], eb[inner]], n_stores)
    smaller = _bridge_sides(labels, ea[bridges], eb[bridges])
    merge_bridge = bridges < len(merges)
    bridges, smaller = bridges[merge_bridge], smaller[merge_bridge]
    margin = params.weak_cut_bits * np.log2(np.maximum(smaller, 1))
    score = merges["score"].to_numpy()[bridges]
    maybe = (smaller >= 2) & (score - params.merge_bits < margin)
    if not maybe.any():
        return weak
    if evidence is not None and model is not None:
        # The evidence between the two parts each bridge joins, in one pass over the parts
        # at the ends of the bridges in doubt.
        lo = np.minimum(labels[a[bridges]], labels[b[bridges]])
        hi = np.maximum(labels[a[bridges]], labels[b[bridges]])
        ends = np.zeros(n_stores, dtype=bool)
        ends[lo[maybe]] = ends[hi[maybe]] = True
        pairs, levels, _, chances = compare_groups(evidence, labels, params, active=ends,
                                                   model=model)
        if len(pairs):
            across = _lookup_pairs(pairs, model.score(levels, chances), lo, hi, n_stores)
            score = np.where(np.isnan(across), score, np.maximum(across, score))
    weak[bridges[(smaller >= 2) & (score - params.merge_bits < margin)]] = True
    return weak


def person_cuts(merges: pd.DataFrame, items: list[pd.DataFrame], base: np.ndarray,
                n_stores: int, params: LinkageParams, evidence: Evidence,
                model: Model) -> np.ndarray:
    """Which merges rest on one person (or one agreement) between two parts of a cluster
    that say nothing else.

    A merge *rests on a person* when, with the comparisons of
    :attr:`~.weights.LinkageParams.person` (ID document, phone and e-mail, holder name)
    counted once as the strongest of them, it clears ``merge_bits`` by less than
    ``core_bits``: one rare value alone scores about 0 bits, so a merge resting on one person,
    or on one agreement, is weak. The other merges make a cluster's *cores*; the weak merges
    join cores, often several in parallel (each store of one operator that used the person
    with each of the other's: never a bridge). Two cores joined by weak merges, the smaller
    of at least ``person_core`` stores and the larger of at least 2 (or 1 when one of them is
    suspended: the tie decides a ``linked_to_suspended`` flag), are compared again as two
    groups on all their evidence with the person counted once; when that clears the threshold
    by less than ``weak_cut_bits`` per doubling of the smaller core, every merge between them
    is undone and they become a possible link. Kept whatever the score: cores sharing two ID
    documents (two people), cores disagreeing on fewer than ``cut_disagreements`` kinds of
    evidence (one person's records at another address), and a person on a banned core and on
    a core whose active stores all opened after the ban, the first within ``return_days`` of
    it (or whose dates are not known; never without ``return_days``): a banned operator come
    back with one old thread. A
    core that was selling before the ban did not come back; its newest store opening after
    someone's ban says nothing, nor does a core that first opened years after it. The last two
    (disagreements, a return) speak of one person's records or one operator: beside a
    suspended core they hold only for a person whose rarest identifier the two share is on at
    most ``person_owners`` cores (an ID card rented to several buyers is on each buyer's).
    """
    weak = np.zeros(len(merges), dtype=bool)
    if not len(merges):
        return weak
    once = copy.copy(model)
    once.once_per_family = (*model.once_per_family, "person")
    rests = (merges["score"].to_numpy() - _person_surplus(items, once, len(merges))
             < params.merge_bits + params.core_bits)
    if not rests.any():
        return weak
    a = merges["a"].to_numpy(np.int64)
    b = merges["b"].to_numpy(np.int64)
    cores = _components(merges[~rests], base, n_stores)
    size = np.bincount(cores, minlength=n_stores)
    ca, cb = cores[a], cores[b]
    lo, hi = np.minimum(ca, cb), np.maximum(ca, cb)
    smaller = np.minimum(size[lo], size[hi])
    larger = np.maximum(size[lo], size[hi])
    # Two single stores are the merge itself, already judged, unless one is suspended: the
    # tie then decides a linked_to_suspended flag, and is judged with the person counted once
    # (the merge counted its ID, name and phone as three agreements).
    suspended = np.zeros(n_stores, dtype=bool)
    if evidence.banned is not None:
        suspended[cores[~np.isnan(evidence.banned)]] = True
    doubt = rests & (lo != hi) & (smaller >= params.person_core) & \
        ((larger >= 2) | suspended[lo] | suspended[hi])
    if not doubt.any():
        return weak
    ends = np.zeros(n_stores, dtype=bool)
    ends[lo[doubt]] = ends[hi[doubt]] = True
    table = value_groups(evidence, cores)
    pairs, levels, shared, chances = compare_groups(evidence, cores, params, table=table,
                                                    active=ends, model=once)
    across = np.full(len(lo), np.nan)
    keep = np.zeros(len(lo), dtype=bool)
    exempt = np.zeros(len(lo), dtype=bool)
    spread = np.zeros(len(lo))
    if len(pairs):
        across = _lookup_pairs(pairs, once.score(levels, chances), lo, hi, n_stores)
        # two ID documents shared are two people, not one person on both sides
        document = np.asarray(evidence.comparisons, dtype=object)[shared["comp"]] == \
            params.person[0]
        people = np.bincount(shared["pair"].to_numpy()[document], minlength=len(pairs))
        keep = _lookup_pairs(pairs, people.astype(float), lo, hi, n_stores) >= 2
        # one person's records that differ in one thing (a moved address) are that person's:
        # kept unless the cores disagree on cut_disagreements kinds of evidence
        differ = _disagreeing_families(levels, model, evidence.generating)
        exempt = _lookup_pairs(pairs, differ, lo, hi, n_stores) < params.cut_disagreements
        spread = _lookup_pairs(pairs, _person_spread(shared, table, evidence, params,
                                                     len(pairs)), lo, hi, n_stores)
    if evidence.banned is not None and params.return_days is not None:
        # a person on a banned core and on a core whose active stores all opened after the
        # ban (or when the dates are not known) is a banned operator come back with one old
        # thread: kept
        first_ban = _per_group_min(cores, evidence.banned, n_stores)
        active = np.isnan(evidence.banned)
        first_open = _per_group_min(cores, np.where(active, evidence.opened, np.nan), n_stores)
        exempt |= _returned(first_ban[lo], first_open[hi], params.return_days) | \
            _returned(first_ban[hi], first_open[lo], params.return_days)
    # ... unless, beside a ban, the person is on more cores than one operator's return or
    # one person's records explain: an ID card rented to several buyers, with its holder's
    # phone (without a ban, one inventor's or patient's records are on many cores)
    exempt &= ~((spread > params.person_owners) & (suspended[lo] | suspended[hi]))
    margin = params.weak_cut_bits * np.log2(np.maximum(smaller, 1))
    weak[doubt & ~keep & ~exempt & ~(across - params.merge_bits >= margin)] = True
    return weak


def _person_spread(shared: pd.DataFrame, table: ValueGroups, evidence: Evidence,
                   params: LinkageParams, n_pairs: int) -> np.ndarray:
    """Per pair of cores, how many cores use the rarest person's identifier they share (an ID
    document, a phone or e-mail: the generating comparisons of ``params.person``; 0 when they
    share none): a group-by minimum over the shared rows."""
    person = np.zeros(len(evidence.comparisons), dtype=bool)
    person[[c for c, name in enumerate(evidence.comparisons) if name in params.person]] = True
    rows = (person & evidence.generating)[shared["comp"].to_numpy()]
    spread = np.full(n_pairs, np.inf)
    np.minimum.at(spread, shared["pair"].to_numpy()[rows],
                  table.groups_of_value[shared["value"].to_numpy()[rows]])
    return np.where(np.isfinite(spread), spread, 0.0)


def _returned(ban: np.ndarray, first_open: np.ndarray, days: float) -> np.ndarray:
    """Whether a core whose active stores first opened on ``first_open`` came back after a
    ban on ``ban`` (NaN: no ban): it opened nothing before the ban and its first store within
    ``days`` after it, or the dates cannot say (a ban or an opening day not known)."""
    known = np.isfinite(ban) & np.isfinite(first_open)
    return (ban < first_open) & (~known | (first_open - ban <= days))


def _disagreeing_families(levels: np.ndarray, model: Model,
                          generating: np.ndarray) -> np.ndarray:
    """Per pair of groups, the kinds of generating evidence on which they disagree (both
    have values, none shared): every address role is one kind, and the person's comparisons
    are their own kinds here (``model`` does not count the person once: an operator's own
    phone against another's is a disagreement even where a rented card's phone agrees)."""
    families = np.asarray(model.families(), dtype=object)
    differ = np.zeros(len(levels))
    for family in dict.fromkeys(families[generating]):
        differ += (levels[:, (families == family) & generating] == 0).any(axis=1)
    return differ


def _per_group_min(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """The smallest value of each group (NaN where it has none): a sort, not a loop."""
    out = np.full(n, np.nan)
    known = ~np.isnan(values)
    order = np.argsort(-values[known], kind="stable")  # the last write of a group wins
    out[groups[known][order]] = values[known][order]
    return out


def _person_surplus(items: list[pd.DataFrame], once: Model, n_edges: int) -> np.ndarray:
    """Per merge (edge 0, 1, ...), the bits its score loses when the person's comparisons
    count once: the sum of their best items' positive weights less the strongest of them."""
    if not items:
        return np.zeros(n_edges)
    frame = pd.concat(items, ignore_index=True)
    families = np.asarray(once.families(), dtype=object)
    person = frame[(families[frame["comp"].to_numpy()] == "person")
                   & (frame["weight"].to_numpy() > 0)]
    # the best item of each (edge, comparison), then per edge their sum less their maximum
    best = person.groupby(["edge", "comp"])["weight"].max().reset_index()
    total = np.bincount(best["edge"], weights=best["weight"], minlength=n_edges)
    top = best.groupby("edge")["weight"].max()
    strongest = np.zeros(n_edges)
    strongest[top.index.to_numpy()] = top.to_numpy()
    return total - strongest


def _lookup_pairs(pairs: np.ndarray, values: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  n: int) -> np.ndarray:
    """The value of each pair (lo, hi) among the sorted ``pairs`` (NaN for pairs not there)."""
    keys = pairs[:, 0] * n + pairs[:, 1]
    wanted = lo * n + hi
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], np.nan)


def _bridge_sides(part: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each bridge ``a[k] - b[k]``, the store count of its smaller side.

    ``part`` labels each store's two-edge-connected part (what is left when every bridge is
    removed); the bridges join the parts into a forest, in which a bridge's sides are the
    subtree under it and the rest of its tree (:func:`~.graph.subtree_weights`).
    """
    _, part = np.unique(part, return_inverse=True)
    k = int(part.max()) + 1
    weight = np.bincount(part, minlength=k).astype(np.int64)
    pa_, pb_ = part[a], part[b]
    tree = coo_matrix((np.ones(len(a)), (pa_, pb_)), shape=(k, k))
    parent, below, total = subtree_weights(tree, weight)
    child = np.where(parent[pb_] == pa_, pb_, pa_)
    side = below[child]
    return np.minimum(side, total[child] - side)


def level_name(level: int) -> str:
    return "null" if level < 0 else LEVELS[level]
