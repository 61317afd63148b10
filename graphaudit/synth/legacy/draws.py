"""The one stream of details of the legacy world, shared by its parts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

_T = TypeVar("_T")


class Draws:
    """A part of the legacy world that draws from the world's one ``random.Random``.

    People, places, writings and operators take turns on the same stream, so the world's bytes
    depend on the order of every draw: a change that moves one draw changes every row after it.
    """

    def __init__(self, r: random.Random) -> None:
        self.r = r

    def pick(self, seq: Sequence[_T]) -> _T:
        """One entry of ``seq``, uniformly (one draw)."""
        return seq[int(self.r.random() * len(seq))]
