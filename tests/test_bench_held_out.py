"""bench/suspensions.py and bench/missed.py refuse the held-out family seeds (2400-2499,
bench/held_out.py) before drawing any world, and accept the tuning seeds (docs/benchmarks.md:
2300-2399 are tuning data since the fifteenth session). No world is ever built here: the
world builders are replaced."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import missed  # noqa: E402
import suspensions  # noqa: E402


class Built(Exception):
    """Raised instead of building a world."""


def _no_world(*args, **kwargs):
    raise Built


@pytest.fixture(autouse=True)
def _never_build(monkeypatch):
    monkeypatch.setattr(suspensions, "draw_rates", _no_world)
    monkeypatch.setattr(suspensions, "build_world", _no_world)
    monkeypatch.setattr(missed, "draw_rates", _no_world)
    monkeypatch.setattr(missed, "build_world", _no_world)


@pytest.mark.parametrize("seed, worlds", [(2400, 1), (2499, 1), (2390, 20)])
def test_suspensions_refuses_the_held_out_seeds(seed, worlds):
    assert suspensions.main(["--seed", str(seed), "--worlds", str(worlds)]) == 2


@pytest.mark.parametrize("seed", [1518, 2301, 2399])
def test_suspensions_runs_the_tuning_seeds(seed):
    with pytest.raises(Built):
        suspensions.main(["--seed", str(seed), "--worlds", "1"])


def test_missed_refuses_the_held_out_seeds():
    with pytest.raises(SystemExit) as exit_:
        missed.main(["--seeds", "1414", "2450"])
    assert exit_.value.code == 2


def test_missed_runs_the_tuning_seeds():
    with pytest.raises(Built):
        missed.main(["--seeds", "2113"])
