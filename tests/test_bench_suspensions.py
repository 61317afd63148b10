"""bench/suspensions.py's reading of wrong linked_to_suspended flags, on hand-made tables: the
first merge that joins two operators on a flagged store's path, and that merge's cause. No
world is built."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import suspensions  # noqa: E402


def _items(*rows: tuple[str, int]) -> pd.DataFrame:
    """Items of one merge: (comparison, groups using the value)."""
    return pd.DataFrame(rows, columns=["comparison", "groups"])


@pytest.mark.parametrize("decided, items, cause", [
    ("return after a ban (+2.0)", _items(("id_document", 2)), "a return after a ban"),
    ("held values", _items(("phone+email", 30)), "held values"),
    ("score", _items(("id_document", 3), ("phone+email", 40), ("address:warehouse", 200)),
     "a person (ID document) on both"),
    ("score", _items(("phone+email", 13), ("address:registered", 150)),
     "two services of 10+ groups"),
    ("score", _items(("address:return", 4), ("payment", 25)),
     "a small service address plus a 10+ service"),
    ("score", _items(("brand", 2), ("address:warehouse", 60)), "a 10+ service plus a brand"),
    ("score", _items(("address:return", 5)), "a single address of 2-9 groups"),
    ("score", _items(("address:return", 5), ("brand", 2)), "other"),
    ("score", _items(("phone+email", 2), ("address:return", 69)),
     "a small phone, e-mail or account plus a 10+ service"),
    ("score", _items(("phone+email", 3), ("payment", 5)), "other"),
    ("score", _items(("address:warehouse", 12)), "a single address of 10+ groups"),
    ("score", _items(("payment", 12)), "other"),
])
def test_merge_cause(decided, items, cause):
    assert suspensions.merge_cause(decided, items) == cause


def test_first_cross_merges_takes_the_merge_that_first_mixed_the_stores_operator():
    # Operators: 0, 1, 4, 5, 8 are A; 2 is B; 3 and 6 are C; 7 is D.
    # Round 0: 0-1 (A, A), 2-3 (B, C), 4-5 (A, A) and 5-6 (A, C) at once, 4-7 (A, D) weak.
    # Round 1: 0-2 joins {0, 1} to {2, 3}; 2-4 joins {2, 3} to {4, 5, 6}, already mixed;
    # 8-4 joins store 8 to {4, 5, 6}, where A met C through 5-6.
    merges = pd.DataFrame({"round": [0, 0, 0, 0, 0, 1, 1, 1],
                           "a": [0, 2, 4, 5, 4, 0, 2, 4], "b": [1, 3, 5, 6, 7, 2, 4, 8],
                           "weak": [False, False, False, False, True, False, False, False]})
    operator = np.array(["A", "A", "B", "C", "A", "A", "C", "D", "A"])
    found = suspensions.first_cross_merges(merges, operator, np.array([0, 1, 4, 5, 2, 8]))
    assert found.to_dict() == {0: 5, 1: 5, 2: 1, 4: 3, 5: 3, 8: 3}


def test_cause_counts_keep_each_worlds_merges_apart():
    # Merge row 7 exists in both worlds: a weak one (+0.5 bits) in 1801, a strong one in 1802.
    merges = pd.DataFrame({"seed": [1801, 1802, 1802], "edge": [7, 7, 9], "flags": [2, 1, 1],
                           "cause": ["other", "other", "held values"],
                           "values": ["address:return=x", "payment=y", "payment=y"],
                           "score": [0.5, 4.0, -1.0]})
    flags = pd.DataFrame({"seed": [1801, 1801, 1802, 1802], "edge": [7, 7, 7, 9],
                          "cause": ["other", "other", "other", "held values"]})
    counts = suspensions.cause_counts(flags, merges)
    assert counts["all"].to_dict("index") == {
        "held values": {"flags": 1, "under_1": 1, "merges": 1, "values": 1},
        "other": {"flags": 3, "under_1": 2, "merges": 2, "values": 2}}
    assert counts[1802].loc["other"].to_dict() == {"flags": 1, "under_1": 0, "merges": 1,
                                                   "values": 1}
