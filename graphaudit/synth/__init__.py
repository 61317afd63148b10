"""A family of synthetic worlds: each draws its own rates of every confounder of WORLDS.md.

``write_world(out_dir, stores=N, seed=S, profile="mixed")`` writes a data directory
(``stores.csv``, ``identities.csv``, ``payments.csv``, ``addresses.csv``) and its truth:

* ``truth.csv``: the operator of every store, suspension and ban evasion, planted facts;
* ``truth_shared.csv``: every canonical value on two or more stores, and why it is shared
  (``operator``, ``agency``, ``virtual_office``, ``3pl``, ``payment_agent``, ``family``,
  ``staff``, ``rented_id``, ``coincidence``; several joined by ``+``);
* ``truth_near.csv``: pairs of values one slip or one designator apart (a misread ID, two offices
  differing by the building letter) and whether one operator is behind both;
* ``world.json``: the seed, the profile and the rates the world drew.

Modules: ``rates`` (what a world draws), ``documents`` (ID numbers with check characters),
``writing`` (scripts, spellings, slips), ``world`` (who runs what), ``output`` (the files).
docs/benchmarks.md describes the family and how the linkage is measured on it.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     summary = write_world(Path(d), stores=60, seed=1)
>>> summary.stores
60
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from graphaudit.errors import ConfigError
from graphaudit.synth.output import WorldSummary, write_files
from graphaudit.synth.rates import PROFILES, WorldRates, draw_rates
from graphaudit.synth.world import World, build_world

# the files' columns are graphaudit.synth.output's (STORE_COLUMNS...)
__all__ = ["PROFILES", "World", "WorldRates", "WorldSummary", "build_world", "draw_rates",
           "write_world"]


def write_world(out_dir: Path, stores: int, seed: int, profile: str = "mixed",
                progress: Callable[[int], None] | None = None) -> WorldSummary:
    """Draw a world's rates from ``seed`` under ``profile``, build it and write it.

    The same arguments give the same bytes. Raises ConfigError for fewer than one store, a
    negative seed or an unknown profile.
    """
    if stores < 1:
        raise ConfigError(f"stores must be at least 1, got {stores}")
    if seed < 0:
        raise ConfigError(f"seed must not be negative, got {seed}")
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    rates = draw_rates(seed, profile)
    # A world is millions of small objects that live until it is written, and few of them
    # form cycles: the garbage collector's passes over them grew with the world (at 200,000
    # stores they were a third of the writing)
    collecting = gc.isenabled()
    gc.disable()
    try:
        world = build_world(stores, seed, rates, profile, progress)
        return write_files(world, Path(out_dir))
    finally:
        if collecting:
            gc.enable()
