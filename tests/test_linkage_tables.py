"""The linkage's table operations against plain Python on small random inputs (issue 11's
speed work): the joins that find candidate pairs and what they share, the group-by of level
patterns, and the sides of weak cuts. Each fast form must give what the plain one gives."""

from __future__ import annotations

import itertools
from dataclasses import replace

import igraph
import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphaudit.linkage.levels import (
    Evidence,
    _bridge_sides,
    _union,
    chance_co_use,
    common_tf,
    compare_groups,
    holder_name_key,
    holder_name_keys,
    resolve,
    value_groups,
)
from graphaudit.linkage.weights import NEAR, NONE, LinkageParams, band_level, distinct_patterns

COMPARISONS = ["phone", "payment", "holder_name"]  # the last one only adds


def random_evidence(rng: np.random.Generator, n_stores: int = 40, n_values: int = 30
                    ) -> Evidence:
    """Stores using values of three comparisons; some values have several spellings (as near
    duplicates merged by the signals do), some are used by many stores."""
    comp = rng.integers(0, len(COMPARISONS), n_values)
    spellings = rng.integers(1, 4, n_values)
    exact_value = np.repeat(np.arange(n_values), spellings)
    popular = rng.random(len(exact_value)) < 0.1
    weights = np.where(popular, 8.0, 1.0)
    n_entries = n_stores * 4
    store = rng.integers(0, n_stores, n_entries)
    exact = rng.choice(len(exact_value), n_entries, p=weights / weights.sum())
    return Evidence(store=store.astype(np.int64), value=exact_value[exact].astype(np.int64),
                    exact=exact.astype(np.int64), comp=comp.astype(np.int64),
                    value_ident=np.arange(n_values), value_text=np.full(n_values, ""),
                    comparisons=list(COMPARISONS),
                    generating=np.array([True, True, False]))


def random_groups(rng: np.random.Generator, n_stores: int) -> np.ndarray:
    """Each store's group, labelled by the group's smallest store (as the rounds label)."""
    pairs = rng.integers(0, n_stores, (n_stores // 3, 2))
    return _union(np.arange(n_stores), pairs, n_stores)


def plain_comparison(evidence: Evidence, labels: np.ndarray, params: LinkageParams,
                     hubs_from: int | None = None):
    """compare_groups with sets and loops, for values used by at most ``all_pairs_up_to``
    groups or a window that covers every group (so that every pair is a candidate)."""
    values: dict[int, set] = {}
    written: dict[int, set] = {}
    for s, v, e in zip(evidence.store.tolist(), evidence.value.tolist(),
                       evidence.exact.tolist(), strict=True):
        values.setdefault(int(labels[s]), set()).add(v)
        written.setdefault(int(labels[s]), set()).add(e)
    groups_of = {}
    for used in values.values():
        for v in used:
            groups_of[v] = groups_of.get(v, 0) + 1
    if hubs_from is not None:
        values = {g: {v for v in used if groups_of[v] < hubs_from}
                  for g, used in values.items()}
    candidates = set()
    for a, b in itertools.combinations(sorted(values), 2):
        if any(evidence.generating[evidence.comp[v]] and groups_of[v] <= params.max_groups
               for v in values[a] & values[b]):
            candidates.add((a, b))
    pairs = sorted(candidates)
    spelling_value = {}
    for e, v in zip(evidence.exact.tolist(), evidence.value.tolist(), strict=True):
        spelling_value[e] = v
    shared, levels = [], []
    for k, (a, b) in enumerate(pairs):
        both_written = {spelling_value[e] for e in written[a] & written[b]}
        row = []
        for c in range(len(evidence.comparisons)):
            has_a = any(evidence.comp[v] == c for v in values[a])
            has_b = any(evidence.comp[v] == c for v in values[b])
            row.append(NONE if has_a and has_b else -1)
        for v in sorted(values[a] & values[b]):
            level = NEAR if v not in both_written else int(band_level(np.array([groups_of[v]]))[0])
            c = int(evidence.comp[v])
            shared.append((k, v, c, level))
            row[c] = max(row[c], level)
        levels.append(row)
    return pairs, levels, shared


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("rare_up_to, hubs_from", [(1000, None), (3, None), (1000, 4)])
def test_candidate_pairs_and_what_they_share_equal_a_plain_set_intersection(
        seed, rare_up_to, hubs_from):
    rng = np.random.default_rng(seed)
    evidence = random_evidence(rng)
    labels = random_groups(rng, 40)
    # A window as large as any value: the common values' pairs are all candidates too, and
    # their shared values come from the lookup rather than the self-join.
    params = LinkageParams(all_pairs_up_to=rare_up_to, window=1000, max_groups=1000)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params, hubs_from)
    want_pairs, want_levels, want_shared = plain_comparison(evidence, labels, params, hubs_from)
    assert [tuple(p) for p in pairs.tolist()] == want_pairs
    assert levels.tolist() == want_levels
    got = list(shared[["pair", "value", "comp", "level"]].itertuples(index=False, name=None))
    assert [tuple(int(x) for x in row) for row in got] == want_shared
    assert chances.shape == levels.shape and (chances >= 0).all()


@pytest.mark.parametrize("seed", range(12))
def test_comparing_only_active_groups_gives_the_full_comparison_of_their_pairs(seed):
    rng = np.random.default_rng(seed)
    evidence = random_evidence(rng)
    labels = random_groups(rng, 40)
    active = np.zeros(40, dtype=bool)
    active[rng.choice(np.unique(labels), 3, replace=False)] = True
    # Small windows: which neighbours a common value pairs depends on all of its groups.
    params = LinkageParams(all_pairs_up_to=3, window=2, max_groups=1000)
    pairs, levels, shared, chances = compare_groups(evidence, labels, params)
    got_pairs, got_levels, got_shared, got_chances = compare_groups(evidence, labels, params,
                                                                    active=active)
    touching = np.flatnonzero(active[pairs[:, 0]] | active[pairs[:, 1]])
    assert 0 < len(touching) < len(pairs)
    assert got_pairs.tolist() == pairs[touching].tolist()
    assert got_levels.tolist() == levels[touching].tolist()
    assert got_chances.tolist() == chances[touching].tolist()
    renumber = np.full(len(pairs), -1)
    renumber[touching] = np.arange(len(touching))
    want = shared[renumber[shared["pair"].to_numpy()] >= 0].assign(
        pair=lambda t: renumber[t["pair"].to_numpy()])
    assert got_shared.to_numpy().tolist() == want.to_numpy().tolist()


@pytest.mark.parametrize("seed", range(8))
def test_rounds_comparing_only_changed_groups_merge_as_rounds_comparing_every_pair(seed):
    rng = np.random.default_rng(seed)
    evidence = random_evidence(rng, n_stores=120, n_values=60)
    # the rounds only: the stragglers' merges after the cuts (held values) are not rounds
    params = LinkageParams(all_pairs_up_to=3, window=2, max_groups=1000, held_families=0)
    # A threshold that merges the best fifth of the first round's pairs (the model does not
    # depend on it), so that later rounds have groups to compare.
    pairs, levels, _, chances = compare_groups(evidence, np.arange(120), params)
    first = resolve(evidence, 120, params).model.score(levels, chances)
    params = replace(params, merge_bits=float(np.quantile(first, 0.8)))
    result = resolve(evidence, 120, params)
    # Every round compares every candidate pair, with the model resolve learned.
    labels, want = np.arange(120), []
    for round_number in range(params.max_rounds):
        pairs, levels, shared, chances = compare_groups(evidence, labels, params)
        score = result.model.score(levels, chances) if len(pairs) else np.zeros(0)
        if len(pairs):
            score = common_tf(result.model, params, evidence, labels,
                              value_groups(evidence, labels), pairs, levels, shared, chances,
                              score)
            score, _ = chance_co_use(result.model, evidence, value_groups(evidence, labels),
                                     pairs, levels, shared, chances, score)
        rows = np.flatnonzero(score >= params.merge_bits)
        if not len(rows):
            break
        want += [(round_number, int(a), int(b), float(s))
                 for (a, b), s in zip(pairs[rows].tolist(), score[rows], strict=True)]
        labels = _union(labels, pairs[rows], 120)
    merges = result.merges
    got = list(zip(merges["round"].tolist(), merges["a"].tolist(), merges["b"].tolist(),
                   merges["score"].tolist(), strict=True))
    assert len({r for r, *_ in want}) >= 2  # the rounds after the first were exercised
    assert got == want


def test_a_pair_sharing_only_a_value_that_does_not_generate_is_no_candidate():
    evidence = Evidence(store=np.array([0, 1, 1, 2]), value=np.array([0, 0, 1, 1]),
                        exact=np.array([0, 0, 1, 1]), comp=np.array([2, 0]),
                        value_ident=np.arange(2), value_text=np.full(2, ""),
                        comparisons=list(COMPARISONS), generating=np.array([True, True, False]))
    pairs, _, shared, _ = compare_groups(evidence, np.arange(3), LinkageParams())
    # Stores 0 and 1 share only a holder name; 1 and 2 share a phone.
    assert pairs.tolist() == [[1, 2]]
    assert shared["value"].tolist() == [1] and shared["level"].tolist() == [5]


@pytest.mark.parametrize("n_comp", [3, 12, 30])
def test_level_patterns_are_grouped_like_numpy_unique_rows(n_comp):
    rng = np.random.default_rng(n_comp)
    levels = rng.integers(-1, 6, (5000, n_comp)).astype(np.int8)
    levels[:2500] = levels[2500:]  # every pattern at least twice
    patterns, counts = distinct_patterns(levels)
    want_patterns, want_counts = np.unique(levels, axis=0, return_counts=True)
    assert patterns.dtype == levels.dtype
    assert patterns.tolist() == want_patterns.tolist()
    assert counts.tolist() == want_counts.tolist()


@pytest.mark.parametrize("seed", range(10))
def test_the_sides_of_each_bridge_are_what_removing_it_leaves(seed):
    rng = np.random.default_rng(seed)
    n = 30
    # Small dense blobs joined by single edges, and a few doubled edges (never bridges).
    edges = [(int(a), int(b)) for a, b in rng.integers(0, n, (n, 2)) if a != b]
    edges += edges[:3]
    ea, eb = np.array([e[0] for e in edges]), np.array([e[1] for e in edges])
    bridges = np.array(igraph.Graph(n=n, edges=edges).bridges(), dtype=np.int64)
    if not len(bridges):
        pytest.skip("this graph has no bridge")
    inner = np.ones(len(edges), dtype=bool)
    inner[bridges] = False
    parts = _union(np.arange(n), np.c_[ea[inner], eb[inner]], n)
    sides = _bridge_sides(parts, ea[bridges], eb[bridges])
    graph = nx.MultiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    for bridge, side in zip(bridges.tolist(), sides.tolist(), strict=True):
        a, b = edges[bridge]
        cut = graph.copy()
        cut.remove_edge(a, b)
        want = min(len(nx.node_connected_component(cut, a)),
                   len(nx.node_connected_component(cut, b)))
        assert side == want


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(
    st.text(st.characters(codec="ascii"), max_size=14),
    st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=4),
    st.text(st.sampled_from("王伟 WeiＷＡＮＧ　ß-.İﬁ\u0301"), max_size=8)), max_size=20))
def test_holder_name_keys_fast_forms_equal_the_plain_key(names):
    assert holder_name_keys(names) == [holder_name_key(name) for name in names]
