"""Write a world as an export would look: the four record files (docs/design.md §1 columns, minus
the optional columns the world leaves out, dates in the world's format) and the truth files."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from pathlib import Path

from graphaudit.outputs import SAMPLE_FILES
from graphaudit.synth.world import (
    AddressRow,
    IdentityRow,
    NearPair,
    PaymentRow,
    SharedValue,
    StoreRow,
    TruthRow,
    World,
)

__all__ = ["ADDRESS_COLUMNS", "IDENTITY_COLUMNS", "NEAR_COLUMNS", "PAYMENT_COLUMNS",
           "RecordFile", "SHARED_COLUMNS", "STORE_COLUMNS", "TRUTH_COLUMNS", "WorldSummary",
           "write_files"]

STORE_COLUMNS = tuple(f.name for f in fields(StoreRow))
IDENTITY_COLUMNS = tuple(f.name for f in fields(IdentityRow))
PAYMENT_COLUMNS = tuple(f.name for f in fields(PaymentRow))
ADDRESS_COLUMNS = tuple(f.name for f in fields(AddressRow))
TRUTH_COLUMNS = tuple(f.name for f in fields(TruthRow))
SHARED_COLUMNS = tuple(f.name for f in fields(SharedValue))
NEAR_COLUMNS = tuple(f.name for f in fields(NearPair))


@dataclass(frozen=True)
class WorldSummary:
    """What was written: row counts per file (header excluded), the paths, and the world."""

    out_dir: Path
    seed: int
    profile: str
    operators: int
    stores: int
    identities: int
    payments: int
    addresses: int
    truth: int
    shared: int
    near: int
    paths: dict[str, Path]
    #: how the stores' dates are written (``rates.date_format``)
    date_format: str = "%Y-%m-%d"


# Columns holding day ordinals, written in the world's date format.
_DATES = frozenset(("opened_on", "suspended_on"))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(dict.fromkeys(str(v) for v in value))
    return str(value)


class RecordFile:
    """A CSV file of one kind of record (a row class of :mod:`graphaudit.synth.world`): the
    header, then each record's fields as text, written in batches as they come.

    Both the world family and the legacy world write through it, so that a record reads the
    same in either: booleans ``true``/``false``, planted facts joined by ``;`` (each once),
    days in ``date_format``, None as an empty cell. Fields of other types go to the csv module
    as they are (text, and numbers as ``str`` writes them).
    """

    def __init__(self, path: Path, row_type: type, absent: Iterable[str] = (),
                 date_format: str = "%Y-%m-%d") -> None:
        types = {f.name: f.type for f in fields(row_type)}
        self.columns = tuple(c for c in types if c not in set(absent))
        self.count = 0
        get = attrgetter(*self.columns)
        self._get = get if len(self.columns) > 1 else lambda row: (get(row),)
        self._convert = [(i, self._day(date_format) if column in _DATES else _text)
                         for i, column in enumerate(self.columns)
                         if column in _DATES or types[column] in ("bool", "list[str]")]
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(self.columns)

    @staticmethod
    def _day(date_format: str) -> Callable[[int | None], str]:
        cache: dict[int | None, str] = {None: ""}

        def day(value: int | None) -> str:
            text = cache.get(value)
            if text is None:
                text = cache[value] = date.fromordinal(value).strftime(date_format)
            return text

        return day

    def cells(self, row: object) -> tuple:
        """The cells of one record, as they are written.

        Text and numbers in a tuple: Python's garbage collector stops tracking such a tuple,
        so a writer that holds many records before writing them (the legacy world, 50,000
        stores at a time) holds their cells rather than the records."""
        values = self._get(row)
        if not self._convert:
            return values
        out = list(values)
        for i, text in self._convert:
            out[i] = text(out[i])
        return tuple(out)

    def write(self, rows: Sequence[object]) -> None:
        """Write ``rows`` (records)."""
        self.write_cells(list(map(self.cells, rows)))

    def write_cells(self, cells: Sequence[tuple]) -> None:
        """Write rows already turned into cells by :meth:`cells`."""
        self._writer.writerows(cells)
        self.count += len(cells)

    def close(self) -> None:
        self._handle.close()


def _write(path: Path, row_type: type, rows: list, absent: set[str],
           date_format: str = "%Y-%m-%d") -> int:
    out = RecordFile(path, row_type, absent, date_format)
    try:
        out.write(rows)
    finally:
        out.close()
    return out.count


def write_files(world: World, out_dir: Path) -> WorldSummary:
    """Write ``world`` into ``out_dir`` (created when missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rates = world.rates
    absent: dict[str, set[str]] = {}
    for kind, column in rates.absent_columns:
        absent.setdefault(kind, set()).add(column)
    paths = {name: out_dir / file for name, file in SAMPLE_FILES.items()}
    counts = {
        "stores": _write(paths["stores"], StoreRow, world.stores, absent.get("stores", set()),
                         rates.date_format),
        "identities": _write(paths["identities"], IdentityRow, world.identities,
                             absent.get("identities", set())),
        "payments": _write(paths["payments"], PaymentRow, world.payments,
                           absent.get("payments", set())),
        "addresses": _write(paths["addresses"], AddressRow, world.addresses,
                            absent.get("addresses", set())),
        "truth": _write(paths["truth"], TruthRow, world.truth, set()),
        "shared": _write(paths["truth_shared"], SharedValue, world.shared, set()),
        "near": _write(paths["truth_near"], NearPair, world.near, set()),
    }
    paths["world"].write_text(json.dumps(
        {"seed": world.seed, "profile": world.profile, "stores": len(world.stores),
         "operators": world.operators, "rates": rates.as_dict()},
        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return WorldSummary(out_dir=out_dir, seed=world.seed, profile=world.profile,
                        operators=world.operators, paths=paths, date_format=rates.date_format,
                        **counts)
