"""People, companies, accounts and brands of the legacy world: the canonical values, each drawn
once and never again (resident IDs, phones, e-mails, accounts and brands are unique)."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import date, timedelta

from graphaudit.synth.documents import USCC_CHARS, cn_check_char, luhn_digit, uscc_check_char
from graphaudit.synth.legacy.draws import Draws
from graphaudit.synth.legacy.vocab import (
    BANKS,
    BRAND_CODAS,
    BRAND_HEADS,
    BRAND_ONSETS,
    BRAND_PREFIXES,
    BRAND_SUFFIXES,
    BRAND_TAILS,
    BRAND_VOWELS,
    CARD_BINS,
    GIVEN,
    INDUSTRIES,
    LETTERS,
    MAIL_DOMAINS,
    MOBILE_PREFIXES,
    REGION_CODES,
    SURNAME_CUM,
    SURNAMES,
    WALLETS,
    WORDS,
)


@dataclass(slots=True, eq=False)  # one person, account or place is one object
class Person:
    """A person: an identity document, the name in Chinese and pinyin, a phone, an e-mail."""

    doc: str
    doc_type: str  # CN_RESIDENT_ID, PASSPORT or HK_MACAO_PERMIT
    cn: str
    sur: str
    giv: str
    phone: str
    email: str


@dataclass(slots=True, eq=False)  # one person, account or place is one object
class Account:
    """A payment account and who holds it (a person, or a company by its name)."""

    number: str
    kind: str  # bank, card or wallet
    institution: str
    alias: str  # another name of the institution, written on some rows
    holder: Person | str


class People(Draws):
    """Draws people, companies, accounts and brands, each value unique in the world."""

    def __init__(self, r: random.Random) -> None:
        super().__init__(r)
        first = date(1960, 1, 1)
        self.birth_days = [
            (first + timedelta(days=d)).strftime("%Y%m%d")
            for d in range((date(2004, 12, 31) - first).days + 1)
        ]
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_accounts: set[str] = set()
        self.used_brands: set[str] = set()
        self.decoys: dict[int, Person] = {}

    def cn_id(self) -> str:
        """A new resident ID: region, birth date, sequence and its check character."""
        rnd = self.r.random
        while True:
            body = (
                REGION_CODES[int(rnd() * len(REGION_CODES))]
                + self.birth_days[int(rnd() * len(self.birth_days))]
                + f"{int(rnd() * 999) + 1:03d}"
            )
            if body not in self.used_ids:
                self.used_ids.add(body)
                return body + cn_check_char(body)

    def other_doc(self, prefix: str) -> str:
        """A new passport (E) or Home Return Permit (C) number."""
        while True:
            doc = prefix + f"{int(self.r.random() * 1e8):08d}"
            if doc not in self.used_ids:
                self.used_ids.add(doc)
                return doc

    def phone(self) -> str:
        """A new mainland mobile number."""
        rnd = self.r.random
        while True:
            num = MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))] + f"{int(rnd() * 1e8):08d}"
            if num not in self.used_phones:
                self.used_phones.add(num)
                return num

    def email(self, sur: str, giv: str) -> str:
        """A new e-mail address, often made of the person's pinyin name."""
        r = self.r
        while True:
            u = r.random()
            if u < 0.3:
                addr = f"{r.randint(10000, 3999999999)}@qq.com"
            else:
                if u < 0.6:
                    local = f"{sur}{giv}{r.randint(1, 9999)}"
                elif u < 0.8:
                    local = f"{giv[0]}{sur}{r.randint(60, 104) % 100:02d}"
                elif u < 0.9:
                    local = f"{sur}.{giv}{r.randint(1, 999)}"
                else:
                    local = f"{self.pick(WORDS)}{self.pick(WORDS)}_{r.randint(1, 99999)}"
                addr = f"{local.lower()}@{self.pick(MAIL_DOMAINS)}"
            if addr not in self.used_emails:
                self.used_emails.add(addr)
                return addr

    def name(self) -> tuple[str, str, str]:
        """A name: (Chinese, pinyin surname, pinyin given name)."""
        r = self.r
        s_cn, s_py = SURNAMES[bisect_right(SURNAME_CUM, r.random() * SURNAME_CUM[-1])]
        g1 = self.pick(GIVEN)
        if r.random() < 0.35:
            return s_cn + g1[0], s_py, g1[1]
        g2 = self.pick(GIVEN)
        return s_cn + g1[0] + g2[0], s_py, g1[1] + g2[1].lower()

    def person(self) -> Person:
        """A new person: mostly a resident ID, rarely a passport or a permit."""
        cn, sur, giv = self.name()
        u = self.r.random()
        if u < 0.985:
            doc, doc_type = self.cn_id(), "CN_RESIDENT_ID"
        elif u < 0.995:
            doc, doc_type = self.other_doc("E"), "PASSPORT"
        else:
            doc, doc_type = self.other_doc("C"), "HK_MACAO_PERMIT"
        return Person(doc, doc_type, cn, sur, giv, self.phone(), self.email(sur, giv))

    def company(self, city: str) -> tuple[str, str]:
        """A new company in ``city``: its name and its business licence (USCC)."""
        r = self.r
        word = self.pick(WORDS) + self.pick(WORDS).lower()
        name = f"{city} {word} {self.pick(INDUSTRIES)} Co., Ltd."
        while True:
            body = (
                "91"
                + self.pick(REGION_CODES)
                + "".join(USCC_CHARS[int(r.random() * 31)] for _ in range(9))
            )
            if body not in self.used_ids:
                self.used_ids.add(body)
                return name, body + uscc_check_char(body)

    def brand(self) -> str:
        """A new brand word."""
        r = self.r
        n = 0
        while True:
            if r.random() < 0.4 and n < 3:
                b = self.pick(BRAND_HEADS) + self.pick(BRAND_TAILS)
            else:
                b = "".join(
                    self.pick(BRAND_ONSETS) + self.pick(BRAND_VOWELS) + self.pick(BRAND_CODAS)
                    for _ in range(2 if n < 6 else 3)
                )
            n += 1
            if 4 <= len(b) <= 10 and b not in self.used_brands:
                self.used_brands.add(b)
                return b

    def brand_variant(self, b: str) -> str:
        """A new brand that varies ``b``: a prefix, a suffix, or one letter."""
        r = self.r
        while True:
            u = r.random()
            if u < 0.3:
                v = self.pick(BRAND_PREFIXES) + b
            elif u < 0.65:
                v = b + self.pick(BRAND_SUFFIXES)
            else:
                i = int(r.random() * len(b))
                e = r.random()
                if e < 0.4:
                    v = b[:i] + self.pick(LETTERS) + b[i + 1 :]
                elif e < 0.6 and len(b) > 4:
                    v = b[:i] + b[i + 1 :]
                elif e < 0.8:
                    v = b[:i] + self.pick(LETTERS) + b[i:]
                else:
                    v = b[:i] + b[i] + b[i:]
            if v != b and v not in self.used_brands:
                self.used_brands.add(v)
                return v

    def account(self, kind: str, holder: Person | str) -> Account:
        """A new account of ``kind`` (bank, card or wallet) held by ``holder``."""
        r = self.r
        while True:
            if kind == "bank":
                inst, alias, length, prefix = self.pick(BANKS)
                number = prefix + "".join(str(int(r.random() * 10)) for _ in range(length - 4))
            elif kind == "card":
                inst, bin_ = self.pick(CARD_BINS)
                alias = inst
                body = bin_ + "".join(str(int(r.random() * 10)) for _ in range(9))
                number = body + luhn_digit(body)
            else:
                inst = alias = self.pick(WALLETS)
                if inst == "WeChat Pay" or (inst == "Alipay" and r.random() < 0.5):
                    number = self.phone()
                else:
                    local = (self.pick(WORDS) + self.pick(WORDS)).lower()
                    number = f"{local}{r.randint(1, 99999)}@{self.pick(MAIL_DOMAINS)}"
            if number not in self.used_accounts:
                self.used_accounts.add(number)
                return Account(number, kind, inst, alias, holder)

    def decoy_person(self, code: int) -> Person:
        """The person planted for one side of a near-ID decoy pair (both made on first call)."""
        if code not in self.decoys:
            a = self.person()
            while a.doc_type != "CN_RESIDENT_ID":
                a = self.person()
            b = self.person()
            while b.doc_type != "CN_RESIDENT_ID" or b.sur == a.sur or b.giv == a.giv:
                b = self.person()
            pos = 14 + int(self.r.random() * 4)
            chars = "0123456789X" if pos == 17 else "0123456789"
            c = a.doc[pos]
            while c == a.doc[pos]:
                c = self.pick(chars)
            b = replace(b, doc=a.doc[:pos] + c + a.doc[pos + 1 :])
            self.used_ids.add(b.doc[:17])
            base = code - code % 2
            self.decoys[base] = a
            self.decoys[base + 1] = b
        return self.decoys[code]

