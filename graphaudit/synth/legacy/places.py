"""Places of the legacy world: offices, warehouses, 3PL warehouses abroad, and buildings shared
by neighbours. Every place is new to the world, except the rooms of one neighbours' building."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import NamedTuple

from graphaudit.synth.legacy.draws import Draws
from graphaudit.synth.legacy.vocab import (
    CITIES,
    CITY_CUM,
    ROAD_DIRS,
    ROAD_TYPES,
    ROAD_WORDS,
    TOWER_TYPES,
    TOWER_WORDS,
    UK_3PL,
    UK_ESTATES,
    US_3PL,
    US_STREETS,
    US_TYPES,
    WORDS,
)


@dataclass(slots=True, eq=False)  # one person, account or place is one object
class Place:
    """An address: the segments of its canonical text, and the columns beside it."""

    segs: tuple[str, ...]
    city: str
    postcode: str
    country: str
    fact: str  # planted fact for stores that use it ("" when none)
    key: str = field(init=False)  # the canonical text

    def __post_init__(self) -> None:
        self.key = ", ".join(self.segs)


class Building(NamedTuple):
    """An office building: the segments of its address after the room, its city and postcode."""

    segs: tuple[str, ...]
    city: str
    postcode: str


class Places(Draws):
    """Draws places, each one new to the world (``used_places``)."""

    def __init__(self, r: random.Random) -> None:
        super().__init__(r)
        self.used_places: set[str] = set()
        # neighbours' group -> their building, its first room, the rooms taken
        self.neighbours: dict[int, tuple[Building, int, set[int]]] = {}

    def city(self) -> int:
        """An index into ``CITIES``, by the cities' weights."""
        return bisect_right(CITY_CUM, self.r.random() * CITY_CUM[-1])

    def street(self, city_i: int) -> tuple[str, str, str, str]:
        """A street address in city ``city_i``: (city, district, postcode, number and road)."""
        city, districts, _ = CITIES[city_i]
        district, pc = self.pick(districts)
        if self.r.random() < 0.5:
            pc = pc[:4] + f"{int(self.r.random() * 100):02d}"
        road = f"{self.pick(ROAD_WORDS)} {self.pick(ROAD_DIRS)}{self.pick(ROAD_TYPES)}"
        return city, district, pc, f"{int(self.r.random() * 400) + 1} {road}"

    def building(self, city_i: int) -> Building:
        """A new office building in city ``city_i``."""
        r = self.r
        while True:
            city, district, pc, street = self.street(city_i)
            u = r.random()
            if u < 0.55:
                label: tuple[str, ...] = (f"Building {int(r.random() * 20) + 1}",)
            elif u < 0.8:
                label = (f"{self.pick(TOWER_WORDS)} {self.pick(TOWER_TYPES)}",)
            else:
                label = (
                    f"Block {self.pick('ABCDEF')}",
                    f"{self.pick(WORDS)}{self.pick(WORDS).lower()} Industrial Park",
                )
            segs = (*label, street, district, f"{city} {pc}")
            key = "|".join(segs)
            if key not in self.used_places:
                self.used_places.add(key)
                return Building(segs, city, pc)

    def office(self, city_i: int, fact: str = "") -> Place:
        """A room in a new building."""
        return self.in_room(self.building(city_i), self.room(), fact)

    @staticmethod
    def in_room(building: Building, room: int, fact: str) -> Place:
        """The office in ``room`` of ``building``."""
        return Place((f"Room {room}", *building.segs), building.city, building.postcode, "CN",
                     fact)

    def room(self) -> int:
        """A room number: floor and door."""
        floor = int(self.r.random() * 32) + 1
        return floor * 100 + int(self.r.random() * 20) + 1

    def warehouse(self, city_i: int, fact: str = "") -> Place:
        """A new warehouse in city ``city_i``."""
        r = self.r
        while True:
            city, district, pc, street = self.street(city_i)
            u = r.random()
            if u < 0.4:
                label: tuple[str, ...] = (
                    f"Warehouse {int(r.random() * 12) + 1}",
                    f"{self.pick(WORDS)}{self.pick(WORDS).lower()} Logistics Park",
                )
            elif u < 0.7:
                label = (
                    f"Building {int(r.random() * 30) + 1}",
                    f"{self.pick(WORDS)}{self.pick(WORDS).lower()} Industrial Zone",
                )
            else:
                label = (f"Floor {int(r.random() * 6) + 1}", f"Building {int(r.random() * 12) + 1}")
            segs = (*label, street, district, f"{city} {pc}")
            key = "|".join(segs)
            if key not in self.used_places:
                self.used_places.add(key)
                return Place(segs, city, pc, "CN", fact)

    def overseas_warehouse(self, fact: str) -> Place:
        """A new 3PL warehouse in the US or the UK."""
        r = self.r
        while True:
            if r.random() < 0.65:
                city, state, zip_ = self.pick(US_3PL)
                segs: tuple[str, ...] = (
                    f"{int(r.random() * 15000) + 100} {self.pick(US_STREETS)} "
                    f"{self.pick(US_TYPES)}",
                    *((f"Suite {int(r.random() * 900) + 100}",) if r.random() < 0.5 else ()),
                    city,
                    f"{state} {zip_}",
                )
                place = Place(segs, city, zip_, "US", fact)
            else:
                city, pc = self.pick(UK_3PL)
                segs = (
                    f"Unit {int(r.random() * 40) + 1}",
                    f"{self.pick(UK_ESTATES)} Industrial Estate",
                    city,
                    pc,
                )
                place = Place(segs, city, pc, "GB", fact)
            if place.key not in self.used_places:
                self.used_places.add(place.key)
                return place

    def neighbour_office(self, group: int, city_i: int) -> Place:
        """An office in the group's building, in a room no other member uses."""
        if group not in self.neighbours:
            building = self.building(city_i)
            self.neighbours[group] = (building, self.room(), set())
        building, base, used = self.neighbours[group]
        while True:
            room = base if not used else base + self.pick((-5, -3, -2, -1, 1, 2, 3, 5, 8))
            if room // 100 == base // 100 and room % 100 and room not in used:
                used.add(room)
                return self.in_room(building, room, "neighbour_room")
