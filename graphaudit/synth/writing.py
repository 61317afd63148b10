"""How one value gets written: scripts, spellings, separators, and the slips of people and OCR.

Each function takes the canonical value and returns one written form; the world decides how
often each variation happens (its ``Writing`` and ``Errors`` rates).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Name", "Place", "fullwidth", "id_groups", "in_fours", "ocr_slip", "phone_groups",
           "transpose", "typo_letter", "write_account", "write_email", "write_id", "write_name",
           "write_phone", "write_place"]

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Digits OCR confuses, as the slips of real scans do (8 for 3, 1 for 7, ...).
_OCR = {"0": "86", "1": "74", "2": "7", "3": "8", "4": "19", "5": "6", "6": "58", "7": "1",
        "8": "360", "9": "4"}


@dataclass(frozen=True)
class Name:
    """A person's name in both scripts: surname and given name, each (Chinese, pinyin)."""

    surname: tuple[str, str]
    given: tuple[tuple[str, str], ...]

    @property
    def chinese(self) -> str:
        return self.surname[0] + "".join(g[0] for g in self.given)

    @property
    def pinyin(self) -> str:
        """Canonical pinyin, surname first: 'Wang Xiaoming'."""
        return f"{self.surname[1]} {''.join(g[1] for g in self.given).capitalize()}"


@dataclass(frozen=True)
class Place:
    """One physical place. Two places are the same place exactly when they are equal; offices
    that differ only in the building letter or the room are different places."""

    country: str  # CN, US, GB
    province: tuple[str, str] | None = None
    city: tuple[str, str] = ("", "")
    district: tuple[str, str] = ("", "")
    postcode: str = ""
    road: tuple[str, str] = ("", "")  # full road name: ("科苑路", "Keyuan Road")
    number: int = 0
    park: tuple[str, str] | None = None
    building: str = ""  # "B" or "3"; empty when the place has no building designator
    room: int = 0
    unit: str = ""  # warehouse bay / suite text for overseas places

    @cached_property
    def canonical(self) -> str:
        """The place in plain English, fully spelled: what the truth files name it by (kept
        once made: a world asks it of each address row several times)."""
        parts = self.english_front(str)
        parts.append(f"{self.number} {self.road[1]}")
        if self.district[1]:
            parts.append(self.district[1])
        parts.append(self.city[1])
        if self.province:
            parts.append(self.province[1])
        parts.append(f"{self.postcode} {self.country}")
        return ", ".join(parts)

    def english_front(self, say: Callable[[str], str]) -> list[str]:
        """Room, unit, building and park, in English, the words 'Room' and 'Building' as
        ``say`` writes them (called only for the parts the place has, in that order)."""
        parts = []
        if self.room:
            parts.append(f"{say('Room')} {self.room}")
        if self.unit:
            parts.append(self.unit)
        if self.building:
            parts.append(f"{say('Building')} {self.building}")
        if self.park:
            parts.append(self.park[1])
        return parts


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


# How people group the digits of a number when they write it; every world writes with these.


def id_groups(value: str, sep: str) -> str:
    """An 18-character resident ID as region, birth date, and sequence with check.

    >>> id_groups("44030519900101123X", " ")
    '440305 19900101 123X'
    """
    return f"{value[:6]}{sep}{value[6:14]}{sep}{value[14:]}"


def phone_groups(number: str, sep: str) -> str:
    """A mainland mobile as 3 + 4 + 4 digits.

    >>> phone_groups("13800138000", "-")
    '138-0013-8000'
    """
    return f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"


def in_fours(number: str, sep: str) -> str:
    """An account number in groups of four.

    >>> in_fours("6222020012345678901", " ")
    '6222 0200 1234 5678 901'
    """
    return sep.join(number[i:i + 4] for i in range(0, len(number), 4))


def write_name(r: random.Random, name: Name, chinese: bool) -> str:
    """Chinese characters, or pinyin in either order and any case."""
    if chinese:
        return name.chinese
    given = "".join(g[1] for g in name.given).capitalize()
    surname = name.surname[1]
    order = r.random()
    if order < 0.55:
        text = f"{surname} {given}"
    elif order < 0.8:
        text = f"{surname.upper()} {given}"
    elif order < 0.95:
        text = f"{given} {surname}"
    else:
        text = f"{surname}{given}"
    case = r.random()
    if case < 0.08:
        return text.upper()
    if case < 0.14:
        return text.lower()
    return text


def write_id(r: random.Random, value: str, messy: float) -> str:
    """An ID number as typed: X in either case, spaces or dashes, full-width digits."""
    text = value
    if text.endswith("X") and r.random() < 0.5:
        text = text[:-1] + "x"
    if r.random() >= messy:
        return text
    style = r.random()
    if style < 0.3 and len(text) == 18:
        text = id_groups(text, " ")
    elif style < 0.5 and len(text) == 18:
        text = id_groups(text, "-")
    elif style < 0.75:
        text = fullwidth(text)
    elif style < 0.85 and len(text) == 8 and text[0].isalpha():
        text = f"{text[:7]}({text[7]})"  # a Hong Kong card's check in brackets
    else:
        text = f" {text} "
    return text


def write_phone(r: random.Random, number: str, messy: float) -> str:
    """A mainland mobile with or without +86 / 0086 / 86 and separators."""
    if r.random() >= messy:
        return number
    body = number
    grouping = r.random()
    if grouping < 0.35:
        body = phone_groups(number, " ")
    elif grouping < 0.55:
        body = phone_groups(number, "-")
    prefix = r.choice(("+86", "+86 ", "+86-", "0086", "0086 ", "86", "(+86) ", "", ""))
    text = prefix + body
    if r.random() < 0.1:
        text = fullwidth(text)
    return text


def write_email(r: random.Random, email: str, messy: float) -> str:
    if r.random() >= messy:
        return email
    local, _, domain = email.partition("@")
    style = r.random()
    if style < 0.4:
        return email.upper()
    if style < 0.7:
        return local.capitalize() + "@" + domain
    return f" {email} "


def write_account(r: random.Random, number: str, messy: float) -> str:
    """Account numbers as typed: groups of four, dashes, stray spaces."""
    if r.random() >= messy or "@" in number:
        return number
    style = r.random()
    if style < 0.5:
        return in_fours(number, " ")
    if style < 0.7:
        return in_fours(number, "-")
    return f" {number} "


_EN_ABBR = {"Room": ("Rm", "Rm.", "RM"), "Building": ("Bldg", "Bldg.", "Blk"),
            "Road": ("Rd", "Rd."), "Street": ("St", "St."), "Avenue": ("Ave", "Ave."),
            "District": ("Dist.", "Dist")}


def write_place(r: random.Random, place: Place, chinese: bool, w: WritingStyle) -> str:
    """One written form of ``place``: Chinese script or English, province and city optional,
    栋/座 and 室/号 interchangeable, full-width digits, abbreviations, country optional."""
    if place.country != "CN":
        return _write_overseas(r, place, w)
    if chinese:
        return _write_chinese(r, place, w)
    return _write_english(r, place, w)


@dataclass(frozen=True)
class WritingStyle:
    """How often the optional parts of an address are left out or varied (0..1 each)."""

    omit_province: float
    omit_city: float
    fullwidth: float
    abbreviate: float
    omit_country: float
    tower: float  # "Tower B" / "B座" instead of "Building B" / "B栋"


def _write_chinese(r: random.Random, p: Place, w: WritingStyle) -> str:
    parts = []
    if p.province and r.random() >= w.omit_province:
        parts.append(p.province[0])
    if r.random() >= w.omit_city or not parts:
        parts.append(p.city[0])
    parts.append(p.district[0])
    parts.append(f"{p.road[0]}{p.number}号")
    if p.park:
        parts.append(p.park[0])
    if p.building:
        parts.append(p.building + ("座" if r.random() < w.tower else "栋"))
    if p.room:
        parts.append(f"{p.room}" + ("号" if r.random() < 0.3 else "室"))
    if p.unit:
        parts.append(p.unit)
    text = (" " if r.random() < 0.15 else "").join(parts)
    if r.random() < w.fullwidth:
        text = fullwidth(text)
    return text


def _word(r: random.Random, word: str, w: WritingStyle) -> str:
    if word in _EN_ABBR and r.random() < w.abbreviate:
        return r.choice(_EN_ABBR[word])
    return word


def _write_english(r: random.Random, p: Place, w: WritingStyle) -> str:
    def say(word: str) -> str:
        if word == "Building" and r.random() < w.tower:
            return "Tower"
        return _word(r, word, w)

    parts = p.english_front(say)
    road = p.road[1].rsplit(" ", 1)
    parts.append(f"{p.number} {road[0]} {_word(r, road[1], w)}")
    district = p.district[1].rsplit(" ", 1)
    parts.append(" ".join((district[0], _word(r, district[1], w))))
    if r.random() >= w.omit_city:
        parts.append(p.city[1])
    if p.province and r.random() >= w.omit_province:
        parts.append(p.province[1])
    tail = p.postcode
    if r.random() >= w.omit_country:
        tail += r.choice((", China", ", CN", " China", ", P.R. China"))
    text = r.choice((", ", ", ", ",", " ")).join(parts) + " " + tail
    if r.random() < w.fullwidth / 3:
        text = fullwidth(text)
    return text.strip()


def _write_overseas(r: random.Random, p: Place, w: WritingStyle) -> str:
    unit = p.unit
    if unit.startswith("Suite ") and r.random() < w.abbreviate:
        unit = r.choice(("Ste ", "Ste. ", "#", "Unit ")) + unit.split(" ", 1)[1]
    street, kind = p.road[1].rsplit(" ", 1)
    if r.random() < w.abbreviate:
        kind = {"Street": "St", "Avenue": "Ave", "Boulevard": "Blvd", "Road": "Rd",
                "Way": "Way"}.get(kind, kind)
    line = f"{p.number} {street} {kind}"
    parts = [unit, line] if r.random() < 0.6 else [line, unit]
    if p.park:
        parts.insert(0, p.park[1])
    if p.country == "US":
        parts.append(f"{p.city[1]}, {p.district[1]} {p.postcode}")
        country = r.choice(("USA", "US", "United States"))
    else:
        parts.append(f"{p.city[1]} {p.postcode}")
        country = r.choice(("UK", "United Kingdom", "GB"))
    if r.random() >= w.omit_country:
        parts.append(country)
    text = r.choice((", ", ", ", " ")).join(x for x in parts if x)
    return text.upper() if r.random() < 0.1 else text


# ---- slips -------------------------------------------------------------------------------------


def ocr_slip(r: random.Random, value: str) -> str:
    """One digit misread as a look-alike digit (never the last character, so that the check
    character of the value no longer fits)."""
    spots = [i for i, c in enumerate(value[:-1]) if c in _OCR]
    if not spots:
        return value
    i = r.choice(spots)
    return value[:i] + r.choice(_OCR[value[i]]) + value[i + 1:]


def transpose(r: random.Random, value: str) -> str:
    """Two adjacent different digits swapped (not the last character)."""
    spots = [i for i in range(len(value) - 2) if value[i] != value[i + 1]
             and value[i].isdigit() and value[i + 1].isdigit()]
    if not spots:
        return value
    i = r.choice(spots)
    return value[:i] + value[i + 1] + value[i] + value[i + 2:]


def typo_letter(r: random.Random, text: str) -> str:
    """One ASCII letter of a word of 5+ letters changed (never a digit): a typo in a park or
    street name."""
    words = [i for i, word in enumerate(text.split(" ")) if len(word) >= 5 and word.isalpha()
             and word.isascii()]
    if not words:
        return text
    split = text.split(" ")
    i = r.choice(words)
    word = split[i]
    j = r.randrange(1, len(word))
    letter = r.choice([c for c in "aeiounrst" if c != word[j].lower()])
    split[i] = word[:j] + letter + word[j + 1:]
    return " ".join(split)
