"""The legacy world, operator by operator: the stores of one company, the people who open them,
the accounts they pay into, the places they use, the hubs they share with unrelated operators,
and, for banned operators, the stores they open after the ban.

The rows are the records of the world family (:mod:`graphaudit.synth.world`), so both worlds
write them the same way (:class:`graphaudit.synth.output.RecordFile`).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass, field, replace

import numpy as np

from graphaudit.synth.legacy.draws import Draws
from graphaudit.synth.legacy.people import Account, People, Person
from graphaudit.synth.legacy.places import Place, Places
from graphaudit.synth.legacy.plan import Plan
from graphaudit.synth.legacy.vocab import (
    BAN_REASONS,
    CITIES,
    CLOSED_REASONS,
    ISOLATED_REASONS,
    MARKET_CUM,
    MARKETPLACES,
    STORE_SUFFIXES,
    WORDS,
)
from graphaudit.synth.legacy.writing import Writer
from graphaudit.synth.world import (
    END,
    START,
    AddressRow,
    IdentityRow,
    PaymentRow,
    StoreRow,
    TruthRow,
)


@dataclass(slots=True)
class Agency:
    """A store-opening agency: its phone and e-mail go on its clients' identity rows."""

    phone: str
    email: str
    fact: str


@dataclass
class Rows:
    """Rows of the five files, in the order they were generated."""

    stores: list[StoreRow] = field(default_factory=list)
    identities: list[IdentityRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    addresses: list[AddressRow] = field(default_factory=list)
    truth: list[TruthRow] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        """Append the rows of ``other``, file by file."""
        self.stores.extend(other.stores)
        self.identities.extend(other.identities)
        self.payments.extend(other.payments)
        self.addresses.extend(other.addresses)
        self.truth.extend(other.truth)


@dataclass
class Part(Rows):
    """The stores of one operator in one period (its life before a ban, or after it): their
    rows, and what the rows were made of."""

    facts: list[list[str]] = field(default_factory=list)  # per store: its planted facts
    keys: list[list[str]] = field(default_factory=list)  # per store: canonical identifiers
    rep_row: list[int] = field(default_factory=list)  # per store: its legal_rep identity row
    reg_row: list[int] = field(default_factory=list)  # per store: its registered address row
    reps: list[Person] = field(default_factory=list)  # employees who opened stores
    contacts: list[Person] = field(default_factory=list)  # people on contact rows
    places: dict[str, Place] = field(default_factory=dict)  # key -> place, every address used
    accounts: list[Account] = field(default_factory=list)


class LegacyWorld(Draws):
    """Generates the planned operators one by one; ``take`` hands over the rows so far."""

    def __init__(self, plan: Plan, n_stores: int, seed: int, rng: np.random.Generator) -> None:
        super().__init__(random.Random(seed))
        self.people = People(self.r)
        self.places = Places(self.r)
        self.write = Writer(self.r)
        self.plan = plan
        self.sid_width = max(7, len(str(n_stores)))
        self.op_width = max(6, len(str(plan.n_ops)))
        self.sids = (rng.permutation(n_stores) + 1).tolist()
        self.next_store = 0
        self.hub_objects: list[Place | Agency | None] = [None] * len(plan.hubs)
        self.rows = Rows()

    def day(self, lo: int, hi: int) -> int:
        """A day ordinal in [lo, hi], clamped to the world's calendar."""
        lo = max(START, min(lo, END))
        hi = max(lo, min(hi, END))
        return lo + int(self.r.random() * (hi - lo + 1))

    def hub(self, index: int) -> Place | Agency:
        """The shared place or contact of a hub, made on first use."""
        obj = self.hub_objects[index]
        if obj is None:
            kind, hub_id = self.plan.hubs[index]
            fact = f"hub:{kind}:{hub_id}"
            if kind == "3pl":
                if self.r.random() < 0.3:
                    obj = self.places.overseas_warehouse(fact)
                else:
                    obj = self.places.warehouse(self.places.city(), fact)
            elif kind == "virtual_office":
                obj = self.places.office(self.places.city(), fact)
            else:
                word = f"{self.pick(WORDS)}{self.pick(WORDS)}".lower()
                while True:
                    box = self.pick(("service", "kaidian", "open", "team", "support"))
                    tail = self.pick(("-agency", "kd", "ecom", "biz"))
                    email = f"{box}@{word}{tail}.com"
                    if email not in self.people.used_emails:
                        self.people.used_emails.add(email)
                        break
                obj = Agency(self.people.phone(), email, fact)
            self.hub_objects[index] = obj
        return obj

    def new_sid(self) -> str:
        """The next store id (a seeded permutation of 1..stores)."""
        sid = f"S{self.sids[self.next_store]:0{self.sid_width}d}"
        self.next_store += 1
        return sid

    def operator(self, i: int) -> None:
        """Generate operator ``i`` of the plan: its stores before a ban, and after it when it
        comes back, with their rows and truth (added to ``self.rows``)."""
        plan = self.plan
        r = self.r
        op_id = f"OP{i + 1:0{self.op_width}d}"
        size = plan.size[i]
        n_new = plan.new[i]
        n_old = size - n_new
        banned = plan.banned[i]
        city_i = self.places.city()
        nb = 1 if size < 3 else (2 if size < 30 or r.random() < 0.5 else 3)
        brands = [self.people.brand() for _ in range(nb)]

        # Timeline.
        if banned:
            lo = START + 200
            hi = END - (230 if n_new else 5)
            ban_day = self.day(lo, hi)
            span = int(60 + 30 * n_old**0.6 + r.random() * 500)
            first = max(START, ban_day - span)
            opened = [self.day(first, ban_day - 10) for _ in range(n_old)]
        else:
            ban_day = 0
            first = self.day(START, END - 20)
            span = int(30 + 25 * n_old**0.7 + r.random() * 365)
            opened = [self.day(first, first + span) for _ in range(n_old)]

        old = self.part(
            n_old,
            city_i,
            brands,
            opened,
            vo=plan.vo[i],
            agency=plan.agency[i],
            tpl=plan.tpl[i],
            neighbour=plan.neighbour[i],
            decoy=plan.decoy[i],
            typo=plan.typo[i],
        )
        reason = self.pick(BAN_REASONS)
        for j, row in enumerate(old.stores):
            if banned:
                row.status = "suspended"
                row.suspended_on = min(END, ban_day + int(r.random() * 4))
                row.status_reason = reason
            else:
                u = r.random()
                if u < 0.05:
                    row.status = "closed"
                    row.status_reason = self.pick(CLOSED_REASONS)
                elif u < 0.054 and size >= 2 and opened[j] + 30 < END:
                    row.status = "suspended"
                    row.suspended_on = self.day(opened[j] + 30, opened[j] + 700)
                    row.status_reason = self.pick(ISOLATED_REASONS)
                    old.facts[j].append("isolated_suspension")
        parts = [old]

        if n_new:
            burst = ban_day + 7 + int(r.random() * 200)
            burst = min(burst, END - 4)
            new_opened = [burst + int(r.random() * 5) for _ in range(n_new)]
            banned_brand = brands[0]
            variants = [
                self.people.brand_variant(banned_brand) for _ in range(1 if n_new < 4 else 2)
            ]
            new = self.part(
                n_new, city_i, variants, new_opened, vo=-1, agency=-1, tpl=-1,
                neighbour=-1, decoy=-1, typo=False, evader=True,
            )  # fmt: skip
            for f in new.facts:
                f.append(f"brand_variant:{banned_brand}")
            self.link_evader(old, new, plan.link[i])
            parts.append(new)

        for part in parts:
            is_new = part is not old
            evades = op_id if is_new else ""
            truth = part.truth
            for row, facts in zip(part.stores, part.facts, strict=True):
                truth.append(TruthRow(row.store_id, op_id, size, row.status == "suspended",
                                      is_new, evades, facts))
            self.rows.extend(part)

    def part(
        self,
        n: int,
        city_i: int,
        brands: list[str],
        opened: list[int],
        *,
        vo: int,
        agency: int,
        tpl: int,
        neighbour: int,
        decoy: int,
        typo: bool,
        evader: bool = False,
    ) -> Part:
        """Build ``n`` stores of one company: people, accounts, places, and all their rows."""
        r = self.r
        rnd = r.random
        w = self.write
        part = Part()
        city = CITIES[city_i][0]
        company, licence = self.people.company(city)

        # Employees who open stores (1-5 each), and a few more people who act as contacts.
        reps, owner = self.staff(n, decoy, typo)
        part.reps = reps
        contacts: list[Person] = part.contacts
        n_contacts = min(10, 1 + n // 40)

        # Accounts: a few, shared by the company.
        part.accounts = self.accounts(n, evader, company, reps)
        n_acc = len(part.accounts)

        # Places: offices, an own warehouse, hubs.
        offices = self.offices(n, city_i, vo, neighbour)
        emp_office = [int(rnd() * len(offices)) for _ in reps]
        p_wh = 0.1 if n == 1 else (0.3 if n < 10 else (0.6 if n < 100 else 0.9))
        own_wh = self.places.warehouse(city_i) if rnd() < p_wh else None
        tpl_place = self.hub(tpl) if tpl >= 0 else None
        tpl_share = 1.0 if n <= 20 else 0.2 + 0.4 * rnd()
        ag = self.hub(agency) if agency >= 0 else None
        ag_share = 1.0 if n <= 5 else 0.6

        # Payments: an employee's first store pays into an account already reached, the others
        # into any account, so that employees and accounts form one component.
        reached = [0]
        reached_set = {0}
        seen_emp: set[int] = set()

        markets = [
            bisect_right(MARKET_CUM, rnd() * MARKET_CUM[-1]) for _ in range(1 + int(rnd() * 3))
        ]
        typo_left = typo
        for j in range(n):
            sid = self.new_sid()
            e = owner[j]
            rep = reps[e]
            facts: list[str] = []
            keys: list[str] = []
            brand = brands[0] if (len(brands) == 1 or rnd() < 0.6) else self.pick(brands)
            shown = w.brand(brand)
            name = f"{shown}{self.pick(STORE_SUFFIXES)}"
            part.stores.append(
                StoreRow(sid, name, shown, MARKETPLACES[self.pick(markets)], opened[j])
            )

            # Identities.
            use_ag = ag is not None and (ag_share >= 1.0 or rnd() < ag_share)
            via = ag if use_ag else None  # the agency whose contacts go on the rows
            if use_ag:
                facts.append(ag.fact)
            part.rep_row.append(len(part.identities))
            if typo_left and e == 0 and j > 0:
                doc = w.id_typo(rep.doc)
                facts.append("id_typo")
                typo_left = False
                part.identities.append(self.ident_row(sid, rep, doc, "legal_rep", via))
                keys.append("I:" + doc)
            elif rep.doc_type == "CN_RESIDENT_ID" and decoy < 0 and rnd() < 0.015:
                part.identities.append(
                    IdentityRow(sid, w.id_number(licence), "BUSINESS_LICENSE", w.holder(company),
                                "legal_rep", w.phone(ag.phone if use_ag else rep.phone),
                                w.email(ag.email if use_ag else rep.email))
                )  # fmt: skip
                keys.append("I:" + licence)
            else:
                part.identities.append(self.ident_row(sid, rep, rep.doc, "legal_rep", via))
                keys.append("I:" + rep.doc)
                if decoy >= 0 and e == 0:
                    facts.append("near_id_decoy")
            if not use_ag:
                keys.append("P:" + rep.phone)
                keys.append("E:" + rep.email)
            if rnd() < 0.12:
                if len(contacts) < n_contacts and (not contacts or rnd() < 0.3):
                    contacts.append(
                        self.people.person() if rnd() < 0.6 or len(reps) < 2 else self.pick(reps)
                    )
                c = self.pick(contacts)
                part.identities.append(self.ident_row(sid, c, c.doc, "contact", via))
                if decoy >= 0 and c is reps[0]:
                    facts.append("near_id_decoy")
                keys.append("I:" + c.doc)
                if not use_ag:
                    keys.append("P:" + c.phone)
                    keys.append("E:" + c.email)

            # Payments.
            if e not in seen_emp:
                seen_emp.add(e)
                a = reached[int(rnd() * len(reached))]
            else:
                a = int(rnd() * n_acc)
            paid = [a]
            if n_acc > 1 and rnd() < 0.12:
                b = int(rnd() * n_acc)
                if b != a:
                    paid.append(b)
            for a in paid:
                if a not in reached_set:
                    reached_set.add(a)
                    reached.append(a)
                part.payments.append(self.pay_row(sid, part.accounts[a]))
                keys.append("A:" + part.accounts[a].number)

            # Addresses.
            off = offices[emp_office[e]]
            self.store_addresses(part, sid, off, own_wh, tpl_place, tpl_share, facts, keys)
            part.facts.append(facts)
            part.keys.append(keys)

        # Accounts nobody reached yet get a second payment from some store.
        for a in range(n_acc):
            if a not in reached_set:
                j = int(rnd() * n)
                part.payments.append(self.pay_row(part.stores[j].store_id, part.accounts[a]))
                part.keys[j].append("A:" + part.accounts[a].number)
        self.connect(part)
        return part

    def staff(self, n: int, decoy: int, typo: bool) -> tuple[list[Person], list[int]]:
        """The employees who open the ``n`` stores (1-5 each), and each store's employee."""
        rnd = self.r.random
        reps: list[Person] = []
        owner: list[int] = []
        if decoy >= 0:
            reps.append(self.people.decoy_person(decoy))
        e = -1
        while len(owner) < n:
            e += 1
            if len(reps) <= e:
                p = self.people.person()
                while typo and e == 0 and p.doc_type != "CN_RESIDENT_ID":
                    p = self.people.person()
                reps.append(p)
            c = min(n - len(owner), (1, 1, 1, 2, 2, 2, 3, 3, 4, 5)[int(rnd() * 10)])
            if typo and e == 0:
                c = max(c, min(n, 2))
            owner.extend([e] * c)
        return reps, owner

    def accounts(self, n: int, evader: bool, company: str, reps: list[Person]) -> list[Account]:
        """The company's accounts: one to seven by its size, held by it or by an employee."""
        rnd = self.r.random
        if evader or n == 1:
            n_acc = 1
        elif n <= 5:
            n_acc = 1 + int(rnd() * 2)
        elif n <= 20:
            n_acc = 1 + int(rnd() * 3)
        elif n <= 100:
            n_acc = 2 + int(rnd() * 3)
        else:
            n_acc = 3 + int(rnd() * 4)
        accounts: list[Account] = []
        for _ in range(n_acc):
            u = rnd()
            kind = "bank" if u < 0.75 else ("card" if u < 0.87 else "wallet")
            holder: Person | str = company if (kind == "bank" and rnd() < 0.6) else self.pick(reps)
            accounts.append(self.people.account(kind, holder))
        return accounts

    def offices(self, n: int, city_i: int, vo: int, neighbour: int) -> list[Place]:
        """The company's registered offices: a virtual office, or one or two rooms (one of them
        in the neighbours' building)."""
        if vo >= 0:
            return [self.hub(vo)]
        offices = []
        if neighbour >= 0:
            offices.append(self.places.neighbour_office(neighbour, city_i))
        n_off = 1 if n < 15 or self.r.random() < 0.5 else 2
        while len(offices) < n_off:
            offices.append(self.places.office(city_i))
        return offices

    def store_addresses(self, part: Part, sid: str, off: Place, own_wh: Place | None,
                        tpl_place: Place | None, tpl_share: float, facts: list[str],
                        keys: list[str]) -> None:
        """A store's registered address, and warehouse and return addresses when it has them."""
        rnd = self.r.random
        part.reg_row.append(len(part.addresses))
        self.add_address(part, sid, off, "registered", facts, keys)
        use_tpl = tpl_place is not None and (tpl_share >= 1.0 or rnd() < tpl_share)
        mode = rnd()
        if use_tpl and mode < 0.4:
            self.add_address(part, sid, tpl_place, "warehouse", facts, keys)
        elif own_wh is not None and rnd() < 0.6:
            self.add_address(part, sid, own_wh, "warehouse", facts, keys)
        if use_tpl and mode >= 0.25:
            self.add_address(part, sid, tpl_place, "return", facts, keys)
        else:
            u = rnd()
            if own_wh is not None and u < 0.35:
                self.add_address(part, sid, own_wh, "return", facts, keys)
            elif u < 0.55:
                self.add_address(part, sid, off, "return", facts, keys)

    def ident_row(
        self, sid: str, p: Person, doc: str, role: str, ag: Agency | None
    ) -> IdentityRow:
        """An identity row of ``p`` (with the agency's phone and e-mail when ``ag``)."""
        w = self.write
        phone, email = (ag.phone, ag.email) if ag is not None else (p.phone, p.email)
        return IdentityRow(sid, w.id_number(doc) if p.doc_type == "CN_RESIDENT_ID" else doc,
                           p.doc_type, w.name(p), role, w.phone(phone), w.email(email))

    def pay_row(self, sid: str, acc: Account) -> PaymentRow:
        """A payment row of ``acc``."""
        w = self.write
        inst = acc.institution if self.r.random() < 0.9 else acc.alias
        return PaymentRow(sid, w.account(acc), acc.kind, inst, w.holder(acc.holder))

    def add_address(
        self, part: Part, sid: str, place: Place, kind: str, facts: list[str], keys: list[str]
    ) -> None:
        """An address row of ``place``, with its facts and key noted for the store."""
        typo = self.r.random() < 0.004
        if typo:
            facts.append("address_typo")
        if place.fact:
            facts.append(place.fact)
        city = place.city
        u = self.r.random()
        if u < 0.04:
            city = city.upper()
        elif u < 0.07:
            city = city.lower()
        part.addresses.append(AddressRow(sid, self.write.address(place, typo), kind, city,
                                     place.postcode, place.country))
        key = ("H:" if place.fact.startswith("hub:") else "D:") + place.key
        keys.append(key)
        part.places[key] = place

    def connect(self, part: Part) -> None:
        """Make sure the part's stores are one component over identity documents and accounts:
        the first store of each component without store 0 also pays into the first account."""
        n = len(part.stores)
        if n < 2:
            return
        linking = [[k for k in keys if k[0] in "IA"] for keys in part.keys]
        stores_of: dict[str, list[int]] = {}
        for j, keys in enumerate(linking):
            for k in keys:
                stores_of.setdefault(k, []).append(j)
        anchor = part.accounts[0]
        seen = [False] * n
        for j in range(n):
            if seen[j]:
                continue
            if j:
                part.payments.append(self.pay_row(part.stores[j].store_id, anchor))
                part.keys[j].append("A:" + anchor.number)
            seen[j] = True
            todo = [j]
            while todo:
                for k in linking[todo.pop()]:
                    for other in stores_of[k]:
                        if not seen[other]:
                            seen[other] = True
                            todo.append(other)

    def link_evader(self, old: Part, new: Part, kind: str) -> None:
        """Give one or two new stores exactly one identifier of the old stores."""
        r = self.r
        w = self.write
        k = 1 if (r.random() < 0.7 or len(new.stores) < 3) else 2
        carriers = r.sample(range(len(new.stores)), k)
        if kind == "id":
            # An old employee whose resident ID is on an old identity row (not only an account
            # holder behind a business licence); failing that, the link is an account.
            present = {key for keys in old.keys for key in keys if key.startswith("I:")}
            cands = [
                p
                for p in dict.fromkeys(old.reps + old.contacts)
                if p.doc_type == "CN_RESIDENT_ID" and "I:" + p.doc in present
            ]
            if not cands:
                kind = "payment"
        if kind == "id":
            p = self.pick(cands)
            again = replace(p, phone=self.people.phone(), email=self.people.email(p.sur, p.giv))
            key = "I:" + p.doc
            for j in carriers:
                new.identities[new.rep_row[j]] = self.ident_row(
                    new.stores[j].store_id, again, again.doc, "legal_rep", None
                )
        elif kind == "payment":
            acc = self.pick(old.accounts)
            key = "A:" + acc.number
            for j in carriers:
                new.payments.append(self.pay_row(new.stores[j].store_id, acc))
        elif kind == "address":
            own = [key for key in old.places if key.startswith("D:")]
            key = self.pick(own)
            place = old.places[key]
            for j in carriers:
                row = AddressRow(new.stores[j].store_id, w.address(place, False), "registered",
                                 place.city, place.postcode, place.country)
                if place.segs[0].startswith("Room"):
                    new.addresses[new.reg_row[j]] = row
                else:
                    new.addresses.append(replace(row, address_type="warehouse"))
        else:
            phones = list(dict.fromkeys(k for keys in old.keys for k in keys if k.startswith("P:")))
            key = self.pick(phones)
            for j in carriers:
                row = new.identities[new.rep_row[j]]
                new.identities[new.rep_row[j]] = replace(row, phone=w.phone(key[2:]))
        for j in carriers:
            new.facts[j].append(f"evader_link:{kind}")
        for j, keys in enumerate(old.keys):
            if key in keys:
                old.facts[j].append(f"evader_link_source:{kind}")

    def take(self) -> Rows:
        """The rows generated since the last call (and start afresh)."""
        out = self.rows
        self.rows = Rows()
        return out

