"""The rates of one world: every confounder of WORLDS.md, drawn from the world's seed.

Each rate has a range and may be drawn as zero (absent from the world). A *profile* names how
the rates are drawn:

* ``mixed`` (default): each rate zero with probability 1/4, else uniform in its range;
* ``adversarial``: no rate is zero, each comes from the upper half of its range, and the shared
  things are small (agencies, offices and rented IDs with 2 or 3 clients), so that cases fall on
  both sides of any threshold on group counts;
* ``clean``: every confounder, error and gap is zero: one operator, its own identifiers.

>>> rates = draw_rates(7, "mixed")  # the same in every run and process: the seed is all
>>> round(rates.agency_clients, 4), rates.family  # one in range, one drawn as zero
(0.0358, 0.0)
>>> draw_rates(7, "clean").agency_clients
0.0
"""

from __future__ import annotations

import random
from dataclasses import asdict, field, fields, make_dataclass, replace
from typing import Any

__all__ = ["DATE_FORMATS", "OPTIONAL_COLUMNS", "PROFILES", "WorldRates", "draw_rates"]

PROFILES = ("mixed", "adversarial", "clean")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%Y%m%d", "%Y年%m月%d日")
# Columns an export may leave out altogether (file, column).
OPTIONAL_COLUMNS = (
    ("stores", "brand"), ("stores", "marketplace"), ("stores", "status_reason"),
    ("identities", "holder_name"), ("identities", "role"), ("identities", "email"),
    ("identities", "phone"), ("payments", "institution"), ("payments", "holder_name"),
    ("addresses", "city"), ("addresses", "postcode"), ("addresses", "country"),
)  # fmt: skip


# The rates a world draws, one row each: name, range (low, high), group, and what it is a rate
# of. Groups: population, confounder (innocent sharing), shape (sizes of the shared things),
# hiding (how operators hide), writing, error and gap.
_RATES = (
    # who the operators are
    ("single_store", 0.35, 0.8, "population", "operators running one store"),
    ("size_tail", 1.1, 2.2, "population", "Pareto exponent of larger operators"),
    ("ids_per_store", 0.05, 1.0, "population", "employees' IDs per store"),
    ("accounts_per_store", 0.02, 0.5, "population", "accounts per store"),
    ("licences_max", 1, 6, "population", "business licences one owner may hold"),
    ("licence_rows", 0.0, 1.0, "population", "stores with a licence identity row"),
    ("operator_phone", 0.0, 0.7, "population", "rows with the operator's own phone"),
    ("one_given_char", 0.05, 0.6, "population",
     "names with a one-character given name (common names coincide more)"),
    # innocent sharing
    ("agency_clients", 0.0, 0.6, "confounder", "operators using an opening agency"),
    ("agency_mean_clients", 2, 200, "shape", "mean clients per agency"),
    ("agency_coverage", 0.3, 1.0, "shape", "client stores with agency contacts"),
    ("agency_email_too", 0.5, 1.0, "shape", "agency rows with its e-mail too"),
    ("virtual_office", 0.0, 0.4, "confounder", "licences registered at a virtual office"),
    ("virtual_office_mean", 2, 60, "shape", "mean licences per virtual office"),
    ("threepl", 0.0, 0.6, "confounder", "operators shipping through a 3PL"),
    ("threepl_mean", 2, 300, "shape", "mean clients per 3PL"),
    ("payment_agent", 0.0, 0.3, "confounder", "operators paid through an agent"),
    ("payment_agent_mean", 2, 40, "shape", "mean clients per agent account"),
    ("family", 0.0, 0.06, "confounder", "small operators sharing a relative's phone"),
    ("staff_move", 0.0, 0.06, "confounder", "operators with an ex-employee of another"),
    ("rented_id", 0.0, 0.05, "confounder", "operators using a rented ID card"),
    ("neighbour_room", 0.0, 0.15, "confounder",
     "offices next door to another operator's (same building, other room)"),
    ("building_letter", 0.0, 0.15, "confounder",
     "offices that differ from another operator's only by the building letter"),
    ("recycled_phone", 0.0, 0.03, "confounder", "stores with a recycled phone number"),
    ("near_id_decoy", 0.0, 0.01, "confounder",
     "people whose misread ID is one digit from another person's"),
    # how operators hide
    ("one_off", 0.0, 0.3, "hiding", "stores tied to their operator by one thread"),
    ("near_only", 0.0, 0.1, "hiding", "stores tied only by near matches"),
    ("banned", 0.0, 0.2, "hiding", "multi-store operators banned"),
    ("evaders", 0.0, 1.0, "hiding", "banned operators that come back"),
    ("isolated_suspension", 0.0, 0.03, "hiding", "single stores suspended"),
    # writing
    ("chinese_names", 0.0, 1.0, "writing", "identity holder names in Chinese script"),
    ("chinese_addresses", 0.0, 1.0, "writing", "mainland addresses in Chinese script"),
    ("messy", 0.0, 0.6, "writing", "values with separators, case or width varied"),
    ("omit_province", 0.0, 0.8, "writing", "addresses without the province"),
    ("omit_city", 0.0, 0.4, "writing", "addresses without the city"),
    ("fullwidth", 0.0, 0.3, "writing", "Chinese addresses with full-width digits"),
    ("abbreviate", 0.0, 0.7, "writing", "English address words abbreviated"),
    ("omit_country", 0.0, 1.0, "writing", "addresses without the country"),
    ("tower", 0.0, 0.5, "writing", "building written Tower/座 rather than Building/栋"),
    # errors
    ("ocr_slip", 0.0, 0.03, "error", "ID rows with one digit misread"),
    ("transposition", 0.0, 0.02, "error", "ID and account rows with two digits swapped"),
    ("address_typo", 0.0, 0.05, "error", "address rows with a letter typo"),
    ("wrong_column", 0.0, 0.01, "error", "identity rows with phone and e-mail swapped"),
    # gaps
    ("no_identity", 0.0, 0.1, "gap", "stores without an identity row"),
    ("no_payment", 0.0, 0.15, "gap", "stores without a payment row"),
    ("no_address", 0.0, 0.2, "gap", "stores without an address row"),
)


class _Rates:
    """Rates of one world; fractions of stores, operators, rows or values as each says."""

    def as_dict(self) -> dict[str, Any]:
        """The rates as plain values (for world.json)."""
        out = asdict(self)  # type: ignore[call-overload]
        out["absent_columns"] = [".".join(c) for c in out["absent_columns"]]
        return out

    @classmethod
    def rate_fields(cls, group: str | None = None) -> list[str]:
        """Names of the drawn numeric rates, optionally of one group."""
        return [f.name for f in fields(cls) if "range" in f.metadata  # type: ignore[arg-type]
                and (group is None or f.metadata["group"] == group)]


WorldRates = make_dataclass(
    "WorldRates",
    [(name, float, field(default=0.0, metadata={"range": (lo, hi), "group": group, "doc": doc}))
     for name, lo, hi, group, doc in _RATES]
    + [("absent_columns", tuple[tuple[str, str], ...],
        field(default=(), metadata={"group": "gap",
                                     "doc": "optional columns left out of the export"})),
       ("date_format", str,
        field(default="%Y-%m-%d", metadata={"group": "gap", "doc": "how dates are written"}))],
    bases=(_Rates,), frozen=True, namespace={"__module__": __name__},
)
WorldRates.__doc__ = _Rates.__doc__


_SMALL_SHARING = {"agency_mean_clients": (2, 3), "virtual_office_mean": (2, 3),
                  "threepl_mean": (2, 6), "payment_agent_mean": (2, 3)}


def draw_rates(seed: int, profile: str = "mixed") -> WorldRates:
    """Draw a world's rates from ``seed`` under ``profile`` (see the module docstring)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    r = random.Random(f"rates:{profile}:{seed}")
    values: dict[str, Any] = {}
    for f in fields(WorldRates):
        if "range" not in f.metadata:
            continue
        lo, hi = f.metadata["range"]
        group = f.metadata["group"]
        if profile == "clean" and group not in ("population", "writing", "shape"):
            values[f.name] = 0.0
        elif profile == "adversarial" and f.name in _SMALL_SHARING:
            values[f.name] = r.uniform(*_SMALL_SHARING[f.name])
        elif profile == "adversarial":
            values[f.name] = r.uniform(lo, hi) if group == "population" \
                else r.uniform(lo + (hi - lo) / 2, hi)
        elif group not in ("population", "shape") and r.random() < 0.25:
            values[f.name] = 0.0
        else:
            values[f.name] = r.uniform(lo, hi)
    rates = WorldRates(**values)
    if profile == "clean":
        return replace(rates, messy=0.0)
    absent = tuple(c for c in OPTIONAL_COLUMNS if r.random() < 0.08)
    date_format = DATE_FORMATS[0] if r.random() < 0.6 else r.choice(DATE_FORMATS[1:])
    return replace(rates, absent_columns=absent, date_format=date_format)
