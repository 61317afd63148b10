"""Write a world as an export would look: the four record files (docs/design.md §1 columns, minus
the optional columns the world leaves out, dates in the world's format) and the truth files."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

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
           "SHARED_COLUMNS", "STORE_COLUMNS", "TRUTH_COLUMNS", "WorldSummary", "write_files"]

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


def _text(value: object, date_format: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(dict.fromkeys(str(v) for v in value))
    return str(value)


def _write(path: Path, columns: tuple[str, ...], rows: list, absent: set[str],
           date_format: str = "%Y-%m-%d", dates: tuple[str, ...] = ()) -> int:
    keep = [c for c in columns if c not in absent]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(keep)
        for row in rows:
            out = []
            for column in keep:
                value = getattr(row, column)
                if column in dates and value is not None:
                    out.append(date.fromordinal(value).strftime(date_format))
                else:
                    out.append(_text(value, date_format))
            writer.writerow(out)
    return len(rows)


def write_files(world: World, out_dir: Path) -> WorldSummary:
    """Write ``world`` into ``out_dir`` (created when missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rates = world.rates
    absent: dict[str, set[str]] = {}
    for kind, column in rates.absent_columns:
        absent.setdefault(kind, set()).add(column)
    paths = {name: out_dir / f"{name}.csv" for name in
             ("stores", "identities", "payments", "addresses", "truth", "truth_shared",
              "truth_near")}
    counts = {
        "stores": _write(paths["stores"], STORE_COLUMNS, world.stores, absent.get("stores", set()),
                         rates.date_format, ("opened_on", "suspended_on")),
        "identities": _write(paths["identities"], IDENTITY_COLUMNS, world.identities,
                             absent.get("identities", set())),
        "payments": _write(paths["payments"], PAYMENT_COLUMNS, world.payments,
                           absent.get("payments", set())),
        "addresses": _write(paths["addresses"], ADDRESS_COLUMNS, world.addresses,
                            absent.get("addresses", set())),
        "truth": _write(paths["truth"], TRUTH_COLUMNS, world.truth, set()),
        "shared": _write(paths["truth_shared"], SHARED_COLUMNS, world.shared, set()),
        "near": _write(paths["truth_near"], NEAR_COLUMNS, world.near, set()),
    }
    paths["world"] = out_dir / "world.json"
    paths["world"].write_text(json.dumps(
        {"seed": world.seed, "profile": world.profile, "stores": len(world.stores),
         "operators": world.operators, "rates": rates.as_dict()},
        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return WorldSummary(out_dir=out_dir, seed=world.seed, profile=world.profile,
                        operators=world.operators, paths=paths, **counts)
