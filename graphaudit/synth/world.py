"""Build one world: operators and their stores, the innocent sharing around them, the records
as they are written, and the truth of who runs what and why each value is shared.

The builder keeps the canonical values (the real ID, phone, place) apart from their written
forms: the truth speaks of canonical values, the records hold written ones.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from graphaudit.synth import documents as docs
from graphaudit.synth import vocab
from graphaudit.synth.rates import WorldRates
from graphaudit.synth.writing import (
    Name,
    Place,
    WritingStyle,
    ocr_slip,
    transpose,
    typo_letter,
    write_account,
    write_email,
    write_id,
    write_name,
    write_phone,
    write_place,
)

__all__ = ["AddressRow", "IdentityRow", "NearPair", "PaymentRow", "SharedValue", "StoreRow",
           "TruthRow", "World", "build_world"]

# The optional columns that alone carry a kind of use (identities.phone and .email).
_COLUMN_KINDS = {("identities", "email"): "email", ("identities", "phone"): "phone"}

START = date(2018, 1, 1).toordinal()
END = date(2025, 6, 30).toordinal()

# Reasons a value is on more than one store (truth_shared.csv).
REASONS = ("operator", "agency", "virtual_office", "3pl", "payment_agent", "family", "staff",
           "rented_id", "coincidence")


# ---- records, as written -----------------------------------------------------------------------
# Plain slotted records (not frozen: a frozen one takes three times as long to make, and the
# legacy world makes a million of them for a million stores).


@dataclass(slots=True)
class StoreRow:
    store_id: str
    name: str
    brand: str
    marketplace: str
    opened_on: int
    status: str = "active"
    suspended_on: int | None = None
    status_reason: str = ""


@dataclass(slots=True)
class IdentityRow:
    store_id: str
    id_number: str
    id_type: str
    holder_name: str
    role: str
    phone: str
    email: str


@dataclass(slots=True)
class PaymentRow:
    store_id: str
    account_number: str
    account_type: str
    institution: str
    holder_name: str


@dataclass(slots=True)
class AddressRow:
    store_id: str
    address: str
    address_type: str
    city: str
    postcode: str
    country: str


@dataclass(slots=True)
class TruthRow:
    store_id: str
    operator_id: str
    operator_size: int = 0
    is_suspended: bool = False
    is_evader: bool = False
    evades_operator_id: str = ""
    planted: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SharedValue:
    """A canonical value on two or more stores, and why it is shared."""

    kind: str  # id, phone, email, account, address
    value: str
    reason: str  # one of REASONS, or several joined by '+'
    stores: int
    operators: int


@dataclass(frozen=True)
class NearPair:
    """Two values one slip or one designator apart: the same thing misread, or two things."""

    kind: str
    value_a: str
    value_b: str
    relation: str  # ocr_slip, transposition, typo, neighbour_room, building_letter, near_id_decoy
    same_operator: bool


@dataclass
class World:
    seed: int
    profile: str
    rates: WorldRates
    operators: int = 0
    stores: list[StoreRow] = field(default_factory=list)
    identities: list[IdentityRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    addresses: list[AddressRow] = field(default_factory=list)
    truth: list[TruthRow] = field(default_factory=list)
    shared: list[SharedValue] = field(default_factory=list)
    near: list[NearPair] = field(default_factory=list)
    # (kind, canonical value) -> {store_id: (operator_id, reason)}: every use, slips included
    uses: dict[tuple[str, str], dict[str, tuple[str, str]]] = field(default_factory=dict,
                                                                    repr=False)

    def written_uses(self) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
        """:attr:`uses` of the kinds the export writes: an e-mail or a phone whose column the
        world leaves out (``rates.absent_columns``) is in no record, so no linkage can see it
        (the benches' ceiling and classes of missed pairs count only what is written)."""
        unwritten = {kind for column, kind in _COLUMN_KINDS.items()
                     if column in self.rates.absent_columns}
        return {key: used for key, used in self.uses.items() if key[0] not in unwritten}


# ---- canonical things --------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: Name
    id_type: str
    id_number: str
    phone: str
    email: str


@dataclass(frozen=True)
class Company:
    name_cn: str
    name_en: str
    licence: str
    office: Place


@dataclass(frozen=True)
class Account:
    number: str
    kind: str  # bank, card, wallet
    institution: str
    holder: str


@dataclass(frozen=True)
class Contact:
    """An agency's (or a relative's) phone and e-mail."""

    phone: str
    email: str


class Pool:
    """Shared things of one kind (agencies, virtual offices...) with heavy-tailed popularity:
    most serve a handful of clients, a few serve very many."""

    def __init__(self, r: random.Random, make: Callable[[], object], count: int) -> None:
        self.items = [make() for _ in range(max(1, count))]
        weights = [r.paretovariate(1.1) for _ in self.items]
        self.cum = list(itertools.accumulate(weights))
        self.r = r

    def pick(self) -> object:
        return self.items[bisect.bisect(self.cum, self.r.random() * self.cum[-1])
                          if len(self.items) > 1 else 0]


@dataclass
class Operator:
    op_id: str
    size: int
    home: int  # index into vocab.CITIES
    people: list[Person]
    companies: list[Company]
    accounts: list[Account]
    contact: Contact
    warehouse: Place
    returns: Place
    brands: list[str]
    agency: Contact | None = None
    agent_account: Account | None = None
    moved: Person | None = None  # an ex-employee of an earlier operator
    family: Contact | None = None  # a relative's phone, shared with another small operator
    rented: Person | None = None  # a rented ID card, sold to several operators
    used: dict[str, list] = field(default_factory=lambda: {"id": [], "phone": [], "account": []})
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)


# ---- the builder -------------------------------------------------------------------------------


class _Builder:
    def __init__(self, n_stores: int, seed: int, profile: str, rates: WorldRates) -> None:
        self.n = n_stores
        self.rates = rates
        self.r = random.Random(f"world:{seed}")
        self.world = World(seed=seed, profile=profile, rates=rates)
        self.style = WritingStyle(rates.omit_province, rates.omit_city, rates.fullwidth,
                                  rates.abbreviate, rates.omit_country, rates.tower)
        self.width = max(7, len(str(n_stores)))
        ids = list(range(1, n_stores + 1))
        self.r.shuffle(ids)
        self.next_ids = iter(ids)
        # (kind, canonical value) -> {store_id: (operator_id, reason)}
        self.uses: dict[tuple[str, str], dict[str, tuple[str, str]]] = defaultdict(dict)
        self.city_cum = list(itertools.accumulate(vocab.CITY_WEIGHTS))
        self.surname_cum = list(itertools.accumulate(
            1.0 / (k + 1) ** 0.9 for k in range(len(vocab.SURNAMES))))
        # earlier operators' things that later operators may run into
        self.seen_people: list[tuple[str, Person]] = []
        self.seen_offices: list[tuple[str, Place]] = []
        self.seen_phones: list[tuple[str, str, int]] = []
        self.seen_ids: list[tuple[str, Person]] = []
        self.family_waiting: list[tuple[str, Contact]] = []
        # rented ID cards with buyers left, oldest first: [person, buyers left, set of operators]
        # (an operator meets them once, so none holds it yet; a closed card leaves the list)
        self.rented: list[list] = []
        self._pools(rates)

    # -- pools of shared things ---------------------------------------------------------------

    def _pools(self, rates: WorldRates) -> None:
        r = self.r
        n_ops_guess = max(1, int(self.n * 0.6))
        self.agencies = Pool(r, self.contact, int(
            n_ops_guess * rates.agency_clients / rates.agency_mean_clients) if
            rates.agency_clients else 1)
        self.virtual_offices = Pool(r, lambda: self.office(self.city()), int(
            n_ops_guess * rates.virtual_office / rates.virtual_office_mean) if
            rates.virtual_office else 1)
        self.threepls = Pool(r, self.threepl, int(
            n_ops_guess * rates.threepl / rates.threepl_mean) if rates.threepl else 1)
        self.agents = Pool(r, self.collection_account, int(
            n_ops_guess * rates.payment_agent / rates.payment_agent_mean) if
            rates.payment_agent else 1)

    # -- small draws ---------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return p > 0 and self.r.random() < p

    def city(self) -> int:
        return bisect.bisect(self.city_cum, self.r.random() * self.city_cum[-1])

    def day(self, lo: int, hi: int) -> int:
        return self.r.randint(lo, max(lo, hi))

    def name(self) -> Name:
        r = self.r
        surname = vocab.SURNAMES[bisect.bisect(self.surname_cum,
                                               r.random() * self.surname_cum[-1])]
        count = 1 if r.random() < self.rates.one_given_char else 2
        return Name(surname, tuple(r.choice(vocab.GIVEN) for _ in range(count)))

    def phone(self) -> str:
        return docs.mobile(self.r, vocab.MOBILE_PREFIXES)

    def email(self, stem: str) -> str:
        r = self.r
        local = stem.lower().replace(" ", "") + str(r.randrange(10, 99999))
        if r.random() < 0.3:
            local = str(r.randrange(10**8, 10**10))
        return f"{local}@{r.choice(vocab.MAIL_DOMAINS)}"

    def contact(self) -> Contact:
        stem = self.r.choice(("kaidian", "shop", "service", "dianpu", "agent"))
        return Contact(self.phone(), self.email(stem))

    def person(self, city: int) -> Person:
        r = self.r
        name = self.name()
        u = r.random()
        if u < 0.9:
            born = self.day(date(1960, 1, 1).toordinal(), date(2002, 12, 31).toordinal())
            number = docs.cn_resident_id(r, vocab.CITIES[city][2], born)
            kind = "CN_RESIDENT_ID"
        elif u < 0.94:
            number, kind = docs.hk_identity_card(r), "OTHER"
        elif u < 0.97:
            number, kind = docs.passport(r), "PASSPORT"
        else:
            number, kind = docs.return_permit(r), "HK_MACAO_PERMIT"
        return Person(name, kind, number, self.phone(), self.email(name.pinyin))

    def office(self, city: int) -> Place:
        r = self.r
        province, (city_cn, city_en), _, districts = vocab.CITIES[city]
        district = r.choice(districts)
        word, kind = r.choice(vocab.ROAD_WORDS), r.choice(vocab.ROAD_TYPES)
        lettered = r.random() < 0.6
        return Place(
            country="CN", province=province, city=(city_cn, city_en),
            district=district[:2], postcode=district[2],
            road=(word[0] + kind[0], f"{word[1]} {kind[1]}"), number=r.randint(1, 3999),
            park=r.choice(vocab.PARKS),
            building=r.choice("ABCDEFG") if lettered else str(r.randint(1, 12)),
            room=r.randint(1, 30) * 100 + r.randint(1, 20))

    def warehouse(self, city: int) -> Place:
        base = self.office(city)
        return Place(country="CN", province=base.province, city=base.city,
                     district=base.district, postcode=base.postcode, road=base.road,
                     number=base.number, park=self.r.choice(vocab.LOGISTICS_PARKS),
                     building=str(self.r.randint(1, 20)))

    def threepl(self) -> tuple[Place, Place]:
        """A 3PL's warehouse and its return centre (often the same site, another suite)."""
        r = self.r
        where = r.random()
        if where < 0.4:
            town, state, zipcode = r.choice(vocab.US_WAREHOUSE_TOWNS)
            street, kind = r.choice(vocab.US_STREETS), r.choice(vocab.US_STREET_TYPES)[0]
            site = Place(country="US", city=("", town), district=("", state), postcode=zipcode,
                         road=("", f"{street} {kind}"), number=r.randint(100, 19999),
                         unit=f"Suite {r.randint(100, 999)}")
        elif where < 0.6:
            town, postcode = r.choice(vocab.UK_WAREHOUSE_TOWNS)
            site = Place(country="GB", city=("", town), postcode=postcode,
                         road=("", f"{r.choice(vocab.UK_ESTATES)} Way"),
                         number=r.randint(1, 400), unit=f"Unit {r.randint(1, 60)}")
        else:
            site = self.warehouse(self.city())
        if r.random() < 0.5:
            return site, site
        returns = (replace(site, unit=f"Suite {r.randint(100, 999)}") if site.unit
                   else replace(site, building=str(r.randint(21, 30))))
        return site, returns

    def company(self, city: int, office: Place) -> Company:
        r = self.r
        (city_cn, city_en) = vocab.CITIES[city][1]
        w1, w2 = r.choice(vocab.COMPANY_WORDS), r.choice(vocab.COMPANY_WORDS)
        trade = r.choice(vocab.TRADES)
        name_cn = f"{city_cn[:-1]}{w1[0]}{w2[0]}{trade[0]}有限公司"
        name_en = f"{city_en} {w1[1]}{w2[1].lower()} {trade[1]} Co., Ltd."
        return Company(name_cn, name_en, docs.uscc(r, vocab.CITIES[city][2]), office)

    def account(self, holder: str) -> Account:
        r = self.r
        u = r.random()
        if u < 0.5:
            bank, length = r.choice(vocab.BANKS)
            return Account(docs.bank_account(r, length), "bank", bank, holder)
        if u < 0.75:
            bank, bin_ = r.choice(vocab.CARD_BINS)
            return Account(docs.card_number(r, bin_), "card", bank, holder)
        wallet = r.choice(vocab.WALLETS)
        number = self.email(holder.split(" ")[0]) if r.random() < 0.5 else self.phone()
        return Account(number, "wallet", wallet, holder)

    def collection_account(self) -> Account:
        r = self.r
        provider = r.choice(vocab.COLLECTION_PROVIDERS)
        number = "".join(r.choice("0123456789") for _ in range(r.choice((12, 16, 20))))
        return Account(number, "wallet" if r.random() < 0.5 else "bank", provider,
                       f"{provider} Collection Services")

    def brand(self) -> str:
        r = self.r
        return (r.choice(vocab.BRAND_HEADS) + r.choice(vocab.BRAND_TAILS)).capitalize()

    def brand_variant(self, brand: str) -> str:
        r = self.r
        u = r.random()
        low = brand.lower()
        if u < 0.35:
            return (r.choice(vocab.BRAND_PREFIXES) + low).capitalize()
        if u < 0.7:
            return brand + r.choice(vocab.BRAND_SUFFIXES)
        i = r.randrange(1, len(low))
        return (low[:i] + r.choice([c for c in "aeioulnrst" if c != low[i]]) +
                low[i + 1:]).capitalize()

    # -- sizes ---------------------------------------------------------------------------------

    def sizes(self) -> list[int]:
        r = self.r
        cap = max(1, self.n // 8)
        sizes, left = [], self.n
        while left > 0:
            if r.random() < self.rates.single_store:
                size = 1
            else:
                size = 1 + int(r.paretovariate(self.rates.size_tail))
            size = min(size, cap, left)
            sizes.append(size)
            left -= size
        return sizes

    # -- using a value on a store (the ledger of the truth) --------------------------------------

    def use(self, kind: str, value: str, store: str, op: str, reason: str) -> None:
        self.uses[(kind, value)][store] = (op, reason)

    # -- one operator ----------------------------------------------------------------------------

    def operator(self, index: int, size: int) -> None:
        r, rates = self.r, self.rates
        op_id = f"OP{index + 1:06d}"
        home = self.city()
        n_people = max(1, round(size * rates.ids_per_store))
        people = [self.person(home) for _ in range(n_people)]
        owner = people[0]
        n_licences = 1 + min(int(r.random() * rates.licences_max), max(0, size - 1))
        companies = []
        for _ in range(n_licences):
            companies.append(self.company(home, self.registered_office(op_id, home)))
        n_accounts = max(1, round(size * rates.accounts_per_store))
        holders = [owner.name.pinyin] + [c.name_en for c in companies]
        accounts = [self.account(r.choice(holders)) for _ in range(n_accounts)]
        warehouse = returns = self.warehouse(home)
        threepl = self.chance(rates.threepl)
        if threepl:
            warehouse, returns = self.threepls.pick()  # type: ignore[misc]
        n_brands = 1 if size < 3 else 2 if size < 30 else 3
        op = Operator(op_id, size, home, people, companies, accounts,
                      Contact(self.phone(), self.email(owner.name.pinyin)), warehouse, returns,
                      [self.brand() for _ in range(n_brands)])
        if threepl:
            op.reasons[("address", warehouse.canonical)] = "3pl"
            op.reasons[("address", returns.canonical)] = "3pl"
        if self.chance(rates.agency_clients):
            op.agency = self.agencies.pick()  # type: ignore[assignment]
        if self.chance(rates.payment_agent):
            op.agent_account = self.agents.pick()  # type: ignore[assignment]
        self.cross_operator(op)

        banned = size >= 2 and self.chance(rates.banned)
        n_new = 0
        if banned and self.chance(rates.evaders):
            n_new = max(1, min(size - 1, round(size * r.uniform(0.2, 0.6))))
        n_old = size - n_new
        if banned:
            ban = self.day(START + 300, END - (200 if n_new else 5))
            first = max(START, ban - r.randint(60, 900))
            opened = [self.day(first, ban - 10) for _ in range(n_old)]
        else:
            first = self.day(START, END - 20)
            opened = [self.day(first, min(END, first + r.randint(30, 1200)))
                      for _ in range(n_old)]
        reason = r.choice(vocab.BAN_REASONS)
        old_ids = []
        for j in range(n_old):
            store = self.store(op, j, opened[j], r.choice(op.brands))
            old_ids.append(store)
            if banned:
                self.suspend(store, min(END, ban + r.randint(0, 3)), reason)
            elif size >= 2 and self.chance(rates.isolated_suspension):
                self.suspend(store, self.day(opened[j] + 30, END),
                             r.choice(vocab.OTHER_SUSPENSION_REASONS))
                self.truth[store].planted.append("isolated_suspension")
            elif r.random() < 0.04:
                self.store_rows[store].status = "closed"
                self.store_rows[store].status_reason = "closed by seller"
        if n_new:
            self.evaders(op, old_ids, n_new, ban)
        for sid in self.op_stores:
            self.truth[sid].operator_size = size
        self.op_stores = []

    def registered_office(self, op_id: str, city: int) -> Place:
        """A licence's registered address: the operator's own office, a virtual office, or an
        office that is next door to (or one building letter from) another operator's."""
        rates, r = self.rates, self.r
        if self.chance(rates.virtual_office):
            place: Place = self.virtual_offices.pick()  # type: ignore[assignment]
            self.vo_places.add(place.canonical)
            return place
        if self.seen_offices and self.chance(rates.neighbour_room + rates.building_letter):
            other_op, other = r.choice(self.seen_offices)
            if r.random() < rates.neighbour_room / (rates.neighbour_room + rates.building_letter):
                room = other.room + r.choice((-2, -1, 1, 2, 100, -100))
                place = replace(other, room=max(101, room))
                relation = "neighbour_room"
            else:
                letters = "ABCDEFG" if other.building.isalpha() else "123456789"
                building = r.choice([c for c in letters if c != other.building])
                place = replace(other, building=building)
                relation = "building_letter"
            if place != other:
                self.world.near.append(NearPair("address", other.canonical, place.canonical,
                                                relation, False))
                return place
        place = self.office(city)
        self.seen_offices.append((op_id, place))
        return place

    def cross_operator(self, op: Operator) -> None:
        """Things this operator shares with earlier, unrelated operators."""
        r, rates = self.r, self.rates
        if self.seen_people and self.chance(rates.staff_move):
            op.moved = r.choice(self.seen_people)[1]
        if op.size <= 3 and self.chance(rates.family):
            if self.family_waiting and r.random() < 0.7:
                op.family = self.family_waiting.pop(r.randrange(len(self.family_waiting)))[1]
            else:
                op.family = Contact(self.phone(), "")
                self.family_waiting.append((op.op_id, op.family))
        if self.chance(rates.rented_id):
            if self.rented and r.random() < 0.8:
                card = r.choice(self.rented)
            else:
                card = [self.person(self.city()), r.randint(2, 5), set()]
                self.rented.append(card)
            card[1] -= 1
            card[2].add(op.op_id)
            op.rented = card[0]
            if card[1] == 0:
                self.rented = [c for c in self.rented if c is not card]
        for person in op.people[:2]:
            self.seen_people.append((op.op_id, person))

    # -- one store -----------------------------------------------------------------------------

    def new_store_id(self) -> str:
        return f"S{next(self.next_ids):0{self.width}d}"

    def store(self, op: Operator, j: int, opened: int, brand: str, evader: bool = False) -> str:
        r, rates = self.r, self.rates
        sid = self.new_store_id()
        suffix = r.choice(vocab.STORE_SUFFIXES)
        self.store_rows[sid] = StoreRow(sid, brand + suffix, brand, r.choice(vocab.MARKETPLACES),
                                        opened)
        self.truth[sid] = TruthRow(sid, op.op_id, is_evader=evader,
                                   evades_operator_id=op.op_id if evader else "")
        self.op_stores.append(sid)
        facts = self.truth[sid].planted

        company = r.choice(op.companies)
        rep = r.choice(op.people) if r.random() < 0.8 else op.people[0]
        rep_reason = "operator"
        if op.moved is not None and j == 0:
            rep, rep_reason = op.moved, "staff"
            facts.append("staff_move")
        elif op.rented is not None and (j == 0 or r.random() < 0.5):
            rep, rep_reason = op.rented, "rented_id"
            facts.append("rented_id")
        account = r.choice(op.accounts)
        account_reason = "operator"
        if op.agent_account is not None and self.chance(0.8):
            account, account_reason = op.agent_account, "payment_agent"
            facts.append("payment_agent")
        office = company.office
        warehouse, returns = op.warehouse, op.returns
        kept: set[str] = {"id", "phone", "email", "account", "office", "warehouse", "licence"}
        near = False
        if j > 0 and op.size > 1 and self.chance(rates.one_off):
            # fresh documents; one thread back to the operator, used once
            thread = r.choice(("phone", "email", "warehouse", "account"))
            kept = {thread}
            facts.append(f"one_off:{thread}")
        elif j > 0 and op.size > 1 and self.chance(rates.near_only):
            # fresh documents; tied only by a misread ID and a mistyped office
            kept, near = {"id", "office"}, True
            facts.append("near_only")
            if rep.id_type != "CN_RESIDENT_ID" or rep_reason != "operator":
                rep, rep_reason = self.person(op.home), "operator"
        if "id" not in kept and rep_reason == "operator":
            rep = self.person(op.home)
        if "account" not in kept and account_reason == "operator":
            account = self.account(rep.name.pinyin)
        if "office" not in kept:
            office = self.office(op.home)
        if "warehouse" not in kept:
            warehouse = returns = self.warehouse(op.home)

        # contacts
        phone, phone_reason = rep.phone, rep_reason
        email, email_reason = rep.email, rep_reason
        if near:
            phone, email = self.phone(), self.email(rep.name.pinyin)
        if "phone" in kept and self.chance(rates.operator_phone):
            phone, phone_reason = op.contact.phone, "operator"
        if "email" in kept and self.chance(rates.operator_phone):
            email, email_reason = op.contact.email, "operator"
        if len(kept) == 1 and "phone" in kept:
            phone, phone_reason = op.contact.phone, "operator"
        if len(kept) == 1 and "email" in kept:
            email, email_reason = op.contact.email, "operator"
        if op.agency is not None and self.chance(rates.agency_coverage):
            phone, phone_reason = op.agency.phone, "agency"
            facts.append("agency")
            if self.chance(rates.agency_email_too):
                email, email_reason = op.agency.email, "agency"
        if op.family is not None and j == 0:
            phone, phone_reason = op.family.phone, "family"
            facts.append("family")
        if self.seen_phones and self.chance(rates.recycled_phone):
            other_op, old_phone, old_day = r.choice(self.seen_phones)
            if other_op != op.op_id and old_day < opened:
                phone, phone_reason = old_phone, "coincidence"
                facts.append("recycled_phone")
        if r.random() < 0.02:
            self.seen_phones.append((op.op_id, phone, opened))

        if rep_reason == "operator" and not near:
            op.used["id"].append(rep)
        op.used["phone"].append(phone)
        if account_reason == "operator":
            op.used["account"].append(account)
        if not self.chance(rates.no_identity):
            self.identity(sid, op, rep, rep_reason, phone, phone_reason, email, email_reason,
                          near=near)
            if "licence" in kept and self.chance(rates.licence_rows):
                self.licence(sid, op, company, phone, phone_reason, email, email_reason)
        else:
            facts.append("no_identity")
        if not self.chance(rates.no_payment):
            self.payment(sid, op, account, account_reason)
        else:
            facts.append("no_payment")
        if ("address", warehouse.canonical) in op.reasons:
            facts.append("3pl")
        if not self.chance(rates.no_address):
            office_reason = "virtual_office" if office.canonical in self.vo_places else "operator"
            self.address(sid, op, office, "registered", office_reason, typo=near)
            wh_reason = op.reasons.get(("address", warehouse.canonical), "operator")
            if warehouse == op.warehouse or "warehouse" in kept or r.random() < 0.7:
                self.address(sid, op, warehouse, "warehouse", wh_reason)
            if r.random() < 0.6:
                self.address(sid, op, returns, "return",
                             op.reasons.get(("address", returns.canonical), "operator"))
        else:
            facts.append("no_address")
        return sid

    def identity(self, sid: str, op: Operator, rep: Person, reason: str, phone: str,
                 phone_reason: str, email: str, email_reason: str, near: bool = False) -> None:
        r, rates = self.r, self.rates
        written, relation = rep.id_number, ""
        if rep.id_type == "CN_RESIDENT_ID" and (near or self.chance(rates.ocr_slip)):
            written, relation = ocr_slip(r, rep.id_number), "ocr_slip"
        elif self.chance(rates.transposition):
            written, relation = transpose(r, rep.id_number), "transposition"
        elif rep.id_type == "CN_RESIDENT_ID" and self.seen_ids and \
                self.chance(rates.near_id_decoy):
            # an unrelated person whose misread ID lands one digit from someone else's
            other_op, other = r.choice(self.seen_ids)
            if other_op != op.op_id:
                written = ocr_slip(r, other.id_number)
                self.world.near.append(NearPair("id", other.id_number, written,
                                                "near_id_decoy", False))
                self.truth[sid].planted.append("near_id_decoy")
        if relation and written != rep.id_number:
            self.world.near.append(NearPair("id", rep.id_number, written, relation, True))
            self.truth[sid].planted.append(f"id_{relation}")
        self.use("id", rep.id_number, sid, op.op_id, reason)
        if r.random() < 0.05:
            self.seen_ids.append((op.op_id, rep))
        self.use("phone", phone, sid, op.op_id, phone_reason)
        if email:
            self.use("email", email, sid, op.op_id, email_reason)
        phone_text = write_phone(r, phone, rates.messy)
        email_text = write_email(r, email, rates.messy) if email else ""
        if self.chance(rates.wrong_column):
            phone_text, email_text = email_text, phone_text
            self.truth[sid].planted.append("wrong_column")
        self.world.identities.append(IdentityRow(
            sid, write_id(r, written, rates.messy), rep.id_type,
            write_name(r, rep.name, self.chance(rates.chinese_names)), "legal_rep",
            phone_text, email_text))

    def licence(self, sid: str, op: Operator, company: Company, phone: str, phone_reason: str,
                email: str, email_reason: str) -> None:
        r, rates = self.r, self.rates
        written = company.licence
        if self.chance(rates.ocr_slip):
            written = ocr_slip(r, written)
            if written != company.licence:
                self.world.near.append(NearPair("id", company.licence, written, "ocr_slip",
                                                True))
                self.truth[sid].planted.append("licence_ocr_slip")
        self.use("id", company.licence, sid, op.op_id, "operator")
        holder = company.name_cn if self.chance(rates.chinese_names) else company.name_en
        self.world.identities.append(IdentityRow(
            sid, write_id(r, written, rates.messy), "BUSINESS_LICENSE", holder, "company",
            write_phone(r, phone, rates.messy), write_email(r, email, rates.messy)))

    def payment(self, sid: str, op: Operator, account: Account, reason: str) -> None:
        r, rates = self.r, self.rates
        written = account.number
        if "@" not in written and self.chance(rates.transposition):
            written = transpose(r, written)
            if written != account.number:
                self.world.near.append(NearPair("account", account.number, written,
                                                "transposition", True))
                self.truth[sid].planted.append("account_transposition")
        self.use("account", account.number, sid, op.op_id, reason)
        holder = account.holder
        if r.random() < 0.2:
            holder = holder.upper()
        self.world.payments.append(PaymentRow(sid, write_account(r, written, rates.messy),
                                              account.kind, account.institution, holder))

    def address(self, sid: str, op: Operator, place: Place, kind: str, reason: str,
                typo: bool = False) -> None:
        r, rates = self.r, self.rates
        chinese = place.country == "CN" and self.chance(rates.chinese_addresses)
        if typo:
            chinese = False
        text = write_place(r, place, chinese, self.style)
        if (typo or self.chance(rates.address_typo)) and not chinese:
            slipped = typo_letter(r, text)
            if slipped != text:
                self.world.near.append(NearPair("address", place.canonical, slipped, "typo",
                                                True))
                text = slipped
                self.truth[sid].planted.append("address_typo")
        self.use("address", place.canonical, sid, op.op_id, reason)
        city = place.city[0] if chinese else place.city[1]
        self.world.addresses.append(AddressRow(sid, text, kind, city, place.postcode,
                                               place.country))

    def suspend(self, sid: str, day: int, reason: str) -> None:
        row = self.store_rows[sid]
        row.status, row.suspended_on, row.status_reason = "suspended", day, reason
        self.truth[sid].is_suspended = True

    def evaders(self, op: Operator, old: list[str], n_new: int, ban: int) -> None:
        """The banned operator returns: brand variants, fresh people, accounts and office,
        keeping one old thread (an account, the warehouse, an employee's phone or ID)."""
        r = self.r
        thread = r.choice(("account", "warehouse", "phone", "id"))
        old_person = r.choice(op.used["id"] or op.people)
        old_phone = r.choice(op.used["phone"] or [old_person.phone])
        fresh = Operator(
            op.op_id, op.size, op.home,
            [self.person(op.home) for _ in range(max(1, len(op.people) // 2))],
            [self.company(op.home, self.office(op.home))],
            [self.account(op.people[0].name.pinyin)],
            Contact(old_phone if thread == "phone" else self.phone(), self.email("shop")),
            self.warehouse(op.home),
            self.warehouse(op.home), [self.brand_variant(b) for b in op.brands[:2]])
        if thread == "account":
            fresh.accounts = [r.choice(op.used["account"] or op.accounts)]
        elif thread == "warehouse":
            fresh.warehouse, fresh.returns = op.warehouse, op.returns
            fresh.reasons = op.reasons
        elif thread == "phone":
            fresh.people = [Person(p.name, p.id_type, p.id_number, old_phone, p.email)
                            for p in fresh.people]
        else:
            fresh.people = [old_person]
        burst = self.day(ban + 7, min(END - 5, ban + 200))
        banned_brand = op.brands[0]
        for j in range(n_new):
            store = self.store(fresh, j + 1 if j else 0, min(END, burst + r.randint(0, 4)),
                               r.choice(fresh.brands), evader=True)
            self.truth[store].planted += [f"brand_variant:{banned_brand}",
                                          f"evader_link:{thread}"]

    # -- the whole world -----------------------------------------------------------------------

    def build(self, progress: Callable[[int], None] | None) -> World:
        self.store_rows: dict[str, StoreRow] = {}
        self.truth: dict[str, TruthRow] = {}
        self.op_stores: list[str] = []
        self.vo_places: set[str] = set()
        sizes = self.sizes()
        done = 0
        for index, size in enumerate(sizes):
            self.operator(index, size)
            done += size
            if progress is not None and (index % 5000 == 0 or done == self.n):
                progress(done)
        world = self.world
        world.operators = len(sizes)
        world.stores = sorted(self.store_rows.values(), key=lambda s: s.store_id)
        world.truth = sorted(self.truth.values(), key=lambda t: t.store_id)
        for rows in (world.identities, world.payments, world.addresses):
            rows.sort(key=lambda row: row.store_id)
        world.shared = self.shared_values()
        world.uses = dict(self.uses)
        return world

    def shared_values(self) -> list[SharedValue]:
        out = []
        for (kind, value), stores in self.uses.items():
            if len(stores) < 2:
                continue
            reasons = {reason for _, reason in stores.values()}
            operators = len({op for op, _ in stores.values()})
            named = sorted(reasons - {"operator"}, key=REASONS.index)
            if not named and operators > 1:
                named = ["coincidence"]  # two people drew the same number
            out.append(SharedValue(kind, value, "+".join(named) or "operator", len(stores),
                                   operators))
        out.sort(key=lambda s: (s.kind, s.value))
        return out


def build_world(stores: int, seed: int, rates: WorldRates, profile: str = "mixed",
                progress: Callable[[int], None] | None = None) -> World:
    """Build a world of ``stores`` stores from ``seed`` and its ``rates``; the same arguments
    give the same world."""
    return _Builder(stores, seed, profile, rates).build(progress)
