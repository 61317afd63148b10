"""The family seeds held out from the engineers' benches, in one place.

The coordinator runs them once before a session's work and once after (docs/benchmarks.md,
"held out"); bench/suspensions.py and bench/missed.py refuse them, so no rule is fitted to
them. After each such run the range becomes tuning data and moves on.
"""

from __future__ import annotations

from collections.abc import Iterable

HELD_OUT = range(2400, 2500)
#: how the benches name the range in their refusals and docstrings
HELD_OUT_TEXT = f"seeds {HELD_OUT.start}-{HELD_OUT.stop - 1} are held out"


def any_held_out(seeds: Iterable[int]) -> bool:
    """Whether any of ``seeds`` is held out.

    >>> any_held_out([1414, 2399]), any_held_out([2450])
    (False, True)
    """
    return any(seed in HELD_OUT for seed in seeds)
