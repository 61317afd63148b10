"""Two innocent services on one pair: a 3PL's address and an agency's phone that a few of the
3PL's clients happen to use count once; an operator's own address and phone of 10+ stores,
used together on its stores, count twice (docs/linkage.md, two innocent services on one
pair; family seed 2113)."""

from __future__ import annotations

import numpy as np
import pytest

from graphaudit.linkage.levels import (
    Evidence,
    chance_co_use,
    compare_groups,
    value_groups,
)
from graphaudit.linkage.weights import COMMON, LEVELS, NONE, LinkageParams, Model

COMPARISONS = ["phone", "payment", "address"]
PRIOR, PHONE, ADDRESS = -10.0, 4.0, 7.8  # the commonest band's weights of world 2113


def _world() -> Evidence:
    """300 single-store sellers, each with its own account. An agency's phone is on stores
    0-89; a 3PL's address on stores 86-105, so 4 of its 20 clients use the agency (chance
    gives 20 x 90 / 300 = 6). One operator's 12 stores (200-211) use its own phone and its
    own address, together."""
    rows = [(s, 1, 10 + s) for s in range(300)]  # own accounts: values 10..309
    rows += [(s, 0, 0) for s in range(90)]  # the agency's phone
    rows += [(s, 2, 1) for s in range(86, 106)]  # the 3PL's address
    rows += [(s, 0, 2) for s in range(200, 212)] + [(s, 2, 3) for s in range(200, 212)]
    store, comp_of_row, value = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    n_values = int(value.max()) + 1
    comp = np.zeros(n_values, dtype=np.int64)
    comp[value] = comp_of_row
    return Evidence(store=store, value=value, exact=value.copy(), comp=comp,
                    value_ident=np.arange(n_values), value_text=np.full(n_values, ""),
                    comparisons=list(COMPARISONS), generating=np.array([True, True, True]))


def _model() -> Model:
    m = np.ones((len(COMPARISONS), len(LEVELS)))
    m[0, COMMON], m[2, COMMON] = 2 ** PHONE, 2 ** ADDRESS
    return Model(list(COMPARISONS), m, np.ones_like(m), PRIOR, "estimated",
                 disagreement=0.0, once_per_family=("address",))


def _scores(evidence: Evidence):
    labels = np.arange(300)
    params = LinkageParams()
    pairs, levels, shared, chances = compare_groups(evidence, labels, params)
    model = _model()
    before = model.score(levels, chances)
    after, kept = chance_co_use(model, evidence, value_groups(evidence, labels), pairs,
                                levels, shared, chances, before)
    where = {(int(a), int(b)): k for k, (a, b) in enumerate(pairs.tolist())}
    return where, before, after, levels, kept


def test_two_services_used_together_by_chance_count_once():
    where, before, after, levels, kept = _scores(_world())
    k = where[(86, 87)]  # two of the 3PL's clients that also use the agency
    assert before[k] == pytest.approx(PRIOR + PHONE + ADDRESS)  # +1.8: a merge before
    assert after[k] == pytest.approx(PRIOR + ADDRESS)  # the heavier service alone: -2.2
    assert levels[k, 0] == NONE and levels[k, 2] == COMMON
    assert set(kept.loc[kept["pair"] == k, "comp"]) == {2}  # the phone is no item of the link


def test_an_operators_own_values_used_together_count_twice():
    where, before, after, levels, kept = _scores(_world())
    k = where[(200, 201)]
    assert after[k] == before[k] == pytest.approx(PRIOR + PHONE + ADDRESS)
    assert levels[k, 0] == COMMON and levels[k, 2] == COMMON
    assert set(kept.loc[kept["pair"] == k, "comp"]) == {0, 2}


def test_one_common_value_alone_is_left_as_it_is():
    where, before, after, _, _ = _scores(_world())
    k = where[(90, 91)]  # the 3PL only
    assert after[k] == before[k] == pytest.approx(PRIOR + ADDRESS)
