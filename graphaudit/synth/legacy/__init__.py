"""The legacy synthetic world (``graphaudit sample --profile legacy``): one world, the one the
old linkage rules were fitted to and ``sample_data/`` was made with (2,000 stores, seed 7). New
work measures on the world family of :mod:`graphaudit.synth`; this package stays for
``sample_data/`` and for the speed benchmarks, whose figures are comparable only on the same
world, so its bytes must not change for the same arguments.

Modules: ``plan`` (every operator's size and role, numpy), ``people`` (people, companies,
accounts, brands), ``places`` (offices, warehouses, hubs' places), ``writing`` (how a value is
written on a row), ``world`` (operator by operator: stores and their rows), ``vocab`` (the
family's words and the legacy world's own).

A deterministic generator of stores and the operators behind them.

``write_sample`` writes a data directory in the layout of docs/design.md §1 (``stores.csv``,
``identities.csv``, ``payments.csv``, ``addresses.csv``) plus ``truth.csv``, the answer key that
says which operator runs each store and which tricks were planted in it.

The world is built for the mission of the tool:

* Operators are companies of very different sizes (heavy-tailed: most run one store, a few run
  hundreds). Employees open stores with their own resident IDs; the company's stores pay into a
  few shared accounts, so each operator's stores form one connected component over ID + account.
* Innocent hubs are shared by unrelated operators: 3PL warehouses (``warehouse``/``return``
  addresses), store-opening agencies (the contact phone and e-mail of identity rows) and
  virtual offices (the ``registered`` address).
* Some operators are banned (all their stores ``suspended``); about half of the banned
  multi-store operators come back after the ban under a brand variant, with new people and a new
  account, sharing exactly one identifier with their old stores.
* Every identifier is written in many ways, row by row (spacing, dashes, full-width digits,
  case, abbreviations, a rare letter typo in an address), and a few traps are planted: ID typos
  of one person, near-identical IDs of two unrelated people, neighbours in one building.

Everything comes from ``numpy.random.default_rng(seed)`` (planning) and ``random.Random(seed)``
(details), so the same arguments give the same bytes.

``truth.csv`` has one row per store: ``store_id, operator_id, operator_size`` (all the stores
of the operator, before and after a ban), ``is_suspended``, ``is_evader`` (``true``/``false``),
``evades_operator_id`` (the operator's own id on stores opened after its ban, else empty) and
``planted``, the facts about the store separated by ``;``:

========================================  =====================================================
``hub:3pl:H00012``                        a warehouse/return address of a 3PL hub
``hub:agency:H00034``                     identity phone and e-mail of a store-opening agency
``hub:virtual_office:H00056``             registered address of a virtual office
``neighbour_room``                        registered in a building shared with unrelated
                                          operators, in a room of its own
``id_typo``                               one identity row carries the rep's ID with one
                                          character substituted or two adjacent ones swapped
``near_id_decoy``                         carries one ID of a decoy pair: two unrelated people
                                          of two operators, IDs one character apart (the
                                          second ID fails the check), different names
``address_typo``                          one address row has a letter typo (never a digit)
``isolated_suspension``                   one store of an operator that is not banned
``brand_variant:<brand>``                 evader store; its brand is a variant of ``<brand>``
``evader_link:<kind>``                    evader store carrying the one identifier shared with
                                          the banned stores (kind: id, payment, address, phone)
``evader_link_source:<kind>``             banned store carrying that identifier
========================================  =====================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np

from graphaudit.errors import ConfigError
from graphaudit.outputs import SAMPLE_FILES
from graphaudit.synth.legacy.plan import plan
from graphaudit.synth.legacy.world import LegacyWorld
from graphaudit.synth.output import (
    ADDRESS_COLUMNS,
    IDENTITY_COLUMNS,
    PAYMENT_COLUMNS,
    STORE_COLUMNS,
    TRUTH_COLUMNS,
    RecordFile,
)
from graphaudit.synth.world import AddressRow, IdentityRow, PaymentRow, StoreRow, TruthRow

__all__ = [
    "ADDRESS_COLUMNS",
    "IDENTITY_COLUMNS",
    "PAYMENT_COLUMNS",
    "STORE_COLUMNS",
    "TRUTH_COLUMNS",
    "SampleSummary",
    "write_sample",
]

_FILES = {"stores": StoreRow, "identities": IdentityRow, "payments": PaymentRow,
          "addresses": AddressRow, "truth": TruthRow}
_BY_STORE = itemgetter(0)  # the store id, first in every file
_CHUNK_STORES = 50_000


@dataclass(frozen=True)
class SampleSummary:
    """What ``write_sample`` wrote: row counts per file (header excluded) and the paths."""

    out_dir: Path
    seed: int
    operators: int
    hubs: int
    stores: int
    identities: int
    payments: int
    addresses: int
    truth: int
    paths: dict[str, Path]


def write_sample(
    out_dir: Path,
    stores: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write a synthetic data directory of ``stores`` stores, the same bytes for the same seed.

    Parameters
    ----------
    out_dir : Path
        Directory to write into (created when missing). Files written: ``stores.csv``,
        ``identities.csv``, ``payments.csv``, ``addresses.csv`` (docs/design.md §1 columns) and
        ``truth.csv`` (``TRUTH_COLUMNS``: the operator of every store and the planted facts).
    stores : int
        Number of stores, at least 1.
    seed : int
        Seed of every random draw.
    progress : callable, optional
        Called now and then with the number of stores written so far.

    Returns
    -------
    SampleSummary
        Row counts per file and the paths written.

    Raises
    ------
    ConfigError
        When ``stores`` is below 1 or ``seed`` is negative.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     summary = write_sample(Path(d), stores=50, seed=1)
    >>> summary.stores
    50

    Notes
    -----
    Time and memory grow linearly with ``stores``: rows are generated operator by operator and
    written in chunks of about 50,000 stores (1,000,000 stores take about a minute and a half
    and under a gigabyte). Store ids are a seeded permutation of ``1..stores``; rows are sorted
    by store id within each chunk, so a world of up to 50,000 stores is fully sorted.
    """
    if stores < 1:
        raise ConfigError(f"stores must be at least 1, got {stores}")
    if seed < 0:
        raise ConfigError(f"seed must not be negative, got {seed}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    planned = plan(stores, rng)
    world = LegacyWorld(planned, stores, seed, rng)
    paths = {name: out_dir / SAMPLE_FILES[name] for name in _FILES}
    files: dict[str, RecordFile] = {}
    try:
        for name, row_type in _FILES.items():
            files[name] = RecordFile(paths[name], row_type)
        # Each operator's records become cells at once (RecordFile.cells says why); the cells
        # of about 50,000 stores are sorted by store id and written together.
        cells: dict[str, list[tuple]] = {name: [] for name in _FILES}
        buffered = done = 0

        def flush() -> None:
            nonlocal buffered, done
            for name, out in files.items():
                out.write_cells(sorted(cells[name], key=_BY_STORE))
                cells[name].clear()
            done += buffered
            buffered = 0
            if progress is not None:
                progress(done)

        for i in range(planned.n_ops):
            world.operator(i)
            rows = world.take()
            for name, out in files.items():
                cells[name].extend(map(out.cells, getattr(rows, name)))
            buffered += len(rows.stores)
            if buffered >= _CHUNK_STORES:
                flush()
        flush()
    finally:
        for out in files.values():
            out.close()
    return SampleSummary(
        out_dir=out_dir,
        seed=seed,
        operators=planned.n_ops,
        hubs=len(planned.hubs),
        paths=paths,
        **{name: out.count for name, out in files.items()},
    )
