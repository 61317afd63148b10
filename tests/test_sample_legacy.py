"""Tests of the legacy single world (graphaudit.synth.legacy, `graphaudit sample --profile legacy`),
the world that sample_data/ was made with: contracts, determinism and planted facts.

The checks normalize identifiers crudely here, on purpose independent of graphaudit.normalize,
so that they test what the files say rather than what the analyzer will make of them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from graphaudit.errors import ConfigError
from graphaudit.normalize import cn_resident_check_char, luhn_valid
from graphaudit.synth.legacy import (
    ADDRESS_COLUMNS,
    IDENTITY_COLUMNS,
    PAYMENT_COLUMNS,
    STORE_COLUMNS,
    TRUTH_COLUMNS,
    write_sample,
)

N = 5000
SEED = 3


# ---- crude normalization ----------------------------------------------------------------------

_ABBR = {
    "rm": "room",
    "bldg": "building",
    "blk": "building",
    "block": "building",
    "rd": "road",
    "st": "street",
    "dist": "district",
    "ave": "avenue",
    "blvd": "boulevard",
    "ste": "suite",
}


def norm_id(s: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", s).upper())


def norm_account(s: str) -> str:
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", s)).upper()


def norm_phone(s: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", s))[-11:]


def norm_email(s: str) -> str:
    return unicodedata.normalize("NFKC", s).strip().lower()


def norm_address(s: str) -> str:
    words = re.sub(r"[,;.]", " ", unicodedata.normalize("NFKC", s).lower()).split()
    return " ".join(_ABBR.get(w, w) for w in words)


def cn_valid(doc: str) -> bool:
    return len(doc) == 18 and doc[:17].isdigit() and cn_resident_check_char(doc[:17]) == doc[17]


# ---- fixtures ---------------------------------------------------------------------------------


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class WrittenWorld:
    def __init__(self, out: Path, summary: object) -> None:
        self.out = out
        self.summary = summary
        self.stores = read(out / "stores.csv")
        self.identities = read(out / "identities.csv")
        self.payments = read(out / "payments.csv")
        self.addresses = read(out / "addresses.csv")
        self.truth = {row["store_id"]: row for row in read(out / "truth.csv")}
        self.store = {row["store_id"]: row for row in self.stores}
        self.op = {sid: row["operator_id"] for sid, row in self.truth.items()}
        self.facts = {
            sid: set(filter(None, row["planted"].split(";"))) for sid, row in self.truth.items()
        }

    def keys(self, hubs: bool = True) -> dict[str, set[tuple[str, str]]]:
        """Every store's identifiers, crudely normalized, as (kind, key)."""
        keys: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for row in self.identities:
            keys[row["store_id"]].add(("id", norm_id(row["id_number"])))
            keys[row["store_id"]].add(("phone", norm_phone(row["phone"])))
            keys[row["store_id"]].add(("email", norm_email(row["email"])))
        for row in self.payments:
            keys[row["store_id"]].add(("account", norm_account(row["account_number"])))
        for row in self.addresses:
            keys[row["store_id"]].add(("address", norm_address(row["address"])))
        return keys


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WrittenWorld:
    out = tmp_path_factory.mktemp("world")
    seen: list[int] = []
    summary = write_sample(out, stores=N, seed=SEED, progress=seen.append)
    w = WrittenWorld(out, summary)
    w.progress = seen  # type: ignore[attr-defined]
    return w


def components(stores: list[str], keys: dict[str, set[tuple[str, str]]], kinds: set[str]) -> int:
    parent = {s: s for s in stores}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, str], str] = {}
    for s in stores:
        for k in keys[s]:
            if k[0] in kinds:
                o = first.setdefault(k, s)
                parent[find(s)] = find(o)
    return len({find(s) for s in stores})


def edit1(a: str, b: str) -> bool:
    """One substitution or one adjacent transposition apart."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


# ---- contracts and determinism ------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    names = ("stores", "identities", "payments", "addresses", "truth")
    write_sample(tmp_path / "a", stores=400, seed=11)
    write_sample(tmp_path / "b", stores=400, seed=11)
    write_sample(tmp_path / "c", stores=400, seed=12)
    for name in names:
        a = (tmp_path / "a" / f"{name}.csv").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.csv").read_bytes(), name
        assert a != (tmp_path / "c" / f"{name}.csv").read_bytes(), name


def test_headers_are_the_design_columns(world: WrittenWorld) -> None:
    for name, cols in (
        ("stores", STORE_COLUMNS),
        ("identities", IDENTITY_COLUMNS),
        ("payments", PAYMENT_COLUMNS),
        ("addresses", ADDRESS_COLUMNS),
        ("truth", TRUTH_COLUMNS),
    ):
        with (world.out / f"{name}.csv").open(encoding="utf-8") as f:
            assert tuple(next(csv.reader(f))) == cols
    assert STORE_COLUMNS == (
        "store_id", "name", "brand", "marketplace", "opened_on", "status", "suspended_on",
        "status_reason",
    )  # fmt: skip
    assert IDENTITY_COLUMNS == (
        "store_id", "id_number", "id_type", "holder_name", "role", "phone", "email",
    )  # fmt: skip
    assert PAYMENT_COLUMNS == (
        "store_id", "account_number", "account_type", "institution", "holder_name",
    )  # fmt: skip
    assert ADDRESS_COLUMNS == (
        "store_id", "address", "address_type", "city", "postcode", "country",
    )  # fmt: skip


def test_summary_counts_and_progress(world: WrittenWorld) -> None:
    s = world.summary
    assert s.stores == len(world.stores) == N
    assert s.identities == len(world.identities)
    assert s.payments == len(world.payments)
    assert s.addresses == len(world.addresses)
    assert s.truth == len(world.truth) == N
    assert set(s.paths) == {"stores", "identities", "payments", "addresses", "truth"}
    assert world.progress and world.progress[-1] == N
    assert world.progress == sorted(world.progress)


def test_store_ids_unique_and_every_row_points_to_a_store(world: WrittenWorld) -> None:
    ids = [row["store_id"] for row in world.stores]
    assert len(set(ids)) == N
    assert all(re.fullmatch(r"S\d{7}", sid) for sid in ids)
    assert set(world.truth) == set(ids)
    for rows in (world.identities, world.payments, world.addresses):
        assert {row["store_id"] for row in rows} <= set(ids)
    assert {row["store_id"] for row in world.identities} == set(ids)
    assert {row["store_id"] for row in world.payments} == set(ids)


def test_values_are_in_their_vocabularies(world: WrittenWorld) -> None:
    assert {r["status"] for r in world.stores} == {"active", "suspended", "closed"}
    for r in world.stores:
        assert "2018-01-01" <= r["opened_on"] <= "2025-06-30"
        assert (r["suspended_on"] != "") == (r["status"] == "suspended")
        if r["suspended_on"]:
            assert r["suspended_on"] >= r["opened_on"]
    assert {r["id_type"] for r in world.identities} <= {
        "CN_RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "BUSINESS_LICENSE",
    }  # fmt: skip
    assert {r["role"] for r in world.identities} == {"legal_rep", "contact"}
    assert {r["account_type"] for r in world.payments} == {"bank", "card", "wallet"}
    assert {r["address_type"] for r in world.addresses} == {"registered", "warehouse", "return"}
    assert {r["country"] for r in world.addresses} <= {"CN", "US", "GB"}
    phones = {norm_phone(r["phone"]) for r in world.identities}
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)


# ---- identifiers --------------------------------------------------------------------------------


def test_cn_ids_pass_the_check_except_planted_typos(world: WrittenWorld) -> None:
    bad = set()
    for row in world.identities:
        if row["id_type"] == "CN_RESIDENT_ID" and not cn_valid(norm_id(row["id_number"])):
            bad.add(row["store_id"])
    assert bad, "planted typos are missing"
    for sid in bad:
        assert world.facts[sid] & {"id_typo", "near_id_decoy"}, sid


def test_cards_pass_luhn(world: WrittenWorld) -> None:
    cards = [
        norm_account(r["account_number"]) for r in world.payments if r["account_type"] == "card"
    ]
    assert len(cards) > 20
    assert all(len(c) == 16 and luhn_valid(c) for c in cards)
    banks = [
        norm_account(r["account_number"]) for r in world.payments if r["account_type"] == "bank"
    ]
    assert all(c.isdigit() and 16 <= len(c) <= 19 for c in banks)


def test_identifiers_are_written_many_ways(world: WrittenWorld) -> None:
    ids = [r["id_number"] for r in world.identities]
    assert any(" " in s.strip() for s in ids)
    assert any("-" in s for s in ids)
    assert any(s.strip().endswith("x") for s in ids)
    assert any("０" <= c <= "９" for s in ids for c in s)
    phones = [r["phone"] for r in world.identities]
    assert any(p.startswith("+86") for p in phones) and any(
        re.fullmatch(r"1\d{10}", p) for p in phones
    )
    assert any("-" in p for p in phones)
    assert any(e != e.lower() for e in (r["email"] for r in world.identities))
    accounts = [r["account_number"] for r in world.payments]
    assert any(" " in a.strip() for a in accounts)
    text = " ".join(r["address"] for r in world.addresses)
    for abbr in ("Rm", "Bldg", "Rd.", "Dist."):
        assert abbr in text
    # Variations of one value in different rows: the same ID written differently.
    forms: dict[str, set[str]] = defaultdict(set)
    for r in world.identities:
        forms[norm_id(r["id_number"])].add(r["id_number"])
    assert any(len(v) > 1 for v in forms.values())


def test_id_typos_agree_on_the_holder(world: WrittenWorld) -> None:
    typos = [sid for sid, f in world.facts.items() if "id_typo" in f]
    assert len(typos) >= 3
    by_op: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in world.identities:
        by_op[world.op[r["store_id"]]].append(r)
    for sid in typos:
        rows = by_op[world.op[sid]]
        bad = [norm_id(r["id_number"]) for r in rows if r["store_id"] == sid]
        bad = [b for b in bad if not cn_valid(b)]
        assert len(bad) == 1
        valid = {norm_id(r["id_number"]) for r in rows if cn_valid(norm_id(r["id_number"]))}
        assert any(edit1(bad[0], v) for v in valid), sid


def test_near_id_decoys_are_unrelated_people(world: WrittenWorld) -> None:
    decoys = [r for r in world.identities if "near_id_decoy" in world.facts[r["store_id"]]]
    docs = {norm_id(r["id_number"]): r for r in decoys}
    invalid = [d for d in docs if not cn_valid(d)]
    assert len(invalid) >= 3
    for d in invalid:
        twins = [v for v in docs if cn_valid(v) and edit1(d, v)]
        assert len(twins) == 1
        a, b = docs[d], docs[twins[0]]
        assert world.op[a["store_id"]] != world.op[b["store_id"]]
        # Clearly different people: no rendering of one name is a rendering of the other.
        names = {
            x: {r["holder_name"] for r in world.identities if norm_id(r["id_number"]) == x}
            for x in (d, twins[0])
        }
        assert not names[d] & names[twins[0]]
        cn = [{n[0] for n in v if not n.isascii()} for v in names.values()]
        assert not cn[0] & cn[1]


# ---- operators ----------------------------------------------------------------------------------


def test_operator_sizes_are_heavy_tailed(world: WrittenWorld) -> None:
    sizes = Counter(world.op.values())
    assert sum(1 for s in sizes.values() if s == 1) / len(sizes) > 0.5
    assert max(sizes.values()) >= 150
    assert sum(1 for s in sizes.values() if 2 <= s <= 20) >= 100
    for row in world.truth.values():
        assert int(row["operator_size"]) == sizes[row["operator_id"]]


def test_each_operator_is_connected_over_ids_and_accounts(world: WrittenWorld) -> None:
    keys = world.keys()
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for sid, row in world.truth.items():
        groups[(row["operator_id"], row["is_evader"])].append(sid)
    for (op, _), stores in groups.items():
        assert components(stores, keys, {"id", "account"}) == 1, op


def test_hubs_of_three_kinds_serve_unrelated_operators(world: WrittenWorld) -> None:
    members: dict[str, set[str]] = defaultdict(set)
    for sid, facts in world.facts.items():
        for f in facts:
            if f.startswith("hub:"):
                members[f].add(sid)
    kinds = Counter(f.split(":")[1] for f in members)
    assert set(kinds) == {"3pl", "agency", "virtual_office"}
    keys = world.keys()
    for fact, stores in members.items():
        assert len({world.op[s] for s in stores}) >= 3, fact
        kind = {"3pl": "address", "virtual_office": "address", "agency": "phone"}[
            fact.split(":")[1]
        ]
        # One identifier of that kind is shared by (nearly) all of the hub's stores.
        shared = Counter(k for s in stores for k in keys[s] if k[0] == kind)
        assert shared.most_common(1)[0][1] >= 0.8 * len(stores), fact
    sizes = sorted(len(s) for s in members.values())
    assert sizes[0] >= 3 and sizes[-1] >= 20
    touching = sum(1 for f in world.facts.values() if any(x.startswith("hub:") for x in f))
    assert 0.15 <= touching / N <= 0.35


def test_neighbours_differ_only_in_the_room(world: WrittenWorld) -> None:
    regs: dict[str, set[str]] = defaultdict(set)
    for r in world.addresses:
        if r["address_type"] == "registered" and "neighbour_room" in world.facts[r["store_id"]]:
            a = norm_address(r["address"])
            regs[re.sub(r"^room \d+ ", "", a)].add(f"{world.op[r['store_id']]} {a.split()[1]}")
    pairs = [v for v in regs.values() if len({x.split()[0] for x in v}) >= 2]
    assert len(pairs) >= 3
    for v in pairs:
        ops: dict[str, set[str]] = defaultdict(set)
        for x in v:
            op, room = x.split()
            ops[op].add(room)
        rooms = [r for rs in ops.values() for r in rs]
        assert len(rooms) == len(set(rooms))  # every operator has its own room


def test_banned_operators_and_evaders(world: WrittenWorld) -> None:
    keys = world.keys()
    ops: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"old": [], "new": []})
    for sid, row in world.truth.items():
        ops[row["operator_id"]]["new" if row["is_evader"] == "true" else "old"].append(sid)
    evaders = {op: v for op, v in ops.items() if v["new"]}
    assert len(evaders) >= 4
    links = Counter()
    for op, v in evaders.items():
        old, new = v["old"], v["new"]
        assert len(new) >= 2
        assert all(world.truth[s]["evades_operator_id"] == op for s in new)
        assert all(world.store[s]["status"] == "suspended" for s in old)
        assert all(world.store[s]["status"] == "active" for s in new)
        ban = max(world.store[s]["suspended_on"] for s in old)
        opened = sorted(world.store[s]["opened_on"] for s in new)
        assert opened[0] > ban
        burst = date.fromisoformat(opened[-1]) - date.fromisoformat(opened[0])
        assert burst.days <= 5
        shared = set().union(*(keys[s] for s in old)) & set().union(*(keys[s] for s in new))
        assert len(shared) == 1, (op, shared)
        kind = next(
            f.split(":")[1] for s in new for f in world.facts[s] if f.startswith("evader_link:")
        )
        links[kind] += 1
        assert next(iter(shared))[0] == {"id": "id", "payment": "account", "address": "address",
                                          "phone": "phone"}[kind]  # fmt: skip
        banned_brands = {world.store[s]["brand"].lower() for s in old}
        for s in new:
            variant = world.store[s]["brand"].lower()
            assert variant not in banned_brands
            assert any(f"brand_variant:{b}" in world.facts[s] for b in banned_brands)
    assert set(links) == {"id", "payment", "address", "phone"}
    banned = [
        op
        for op, v in ops.items()
        if len(v["old"]) >= 2 and all(world.store[s]["status"] == "suspended" for s in v["old"])
    ]
    assert len(banned) >= len(evaders)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        write_sample(tmp_path, stores=0, seed=1)
    with pytest.raises(ConfigError):
        write_sample(tmp_path, stores=10, seed=-1)


@pytest.mark.parametrize("n", [1, 2, 7, 60])
def test_tiny_worlds(tmp_path: Path, n: int) -> None:
    s = write_sample(tmp_path, stores=n, seed=5)
    assert s.stores == n
    assert len(read(tmp_path / "stores.csv")) == n


def test_sample_data_is_this_world(tmp_path: Path) -> None:
    """sample_data/ is the legacy world of 2,000 stores, seed 7, byte for byte: the legacy world's
    bytes must not change (sample_data/ and the speed benchmarks' figures depend on them)."""
    committed = Path(__file__).resolve().parent.parent / "sample_data"
    write_sample(tmp_path, stores=2000, seed=7)
    for name in ("stores", "identities", "payments", "addresses", "truth"):
        made = (tmp_path / f"{name}.csv").read_bytes()
        assert made == (committed / f"{name}.csv").read_bytes(), name


def test_readme_tells_a_wheel_user_the_command_that_remakes_sample_data(tmp_path: Path) -> None:
    """REPORT3 item 16: the wheel does not carry sample_data/, which README's tour uses; README
    gives the `sample` command that writes it again, and that command does, byte for byte."""
    import shlex

    from click.testing import CliRunner

    from graphaudit.cli import main

    root = Path(__file__).resolve().parent.parent
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"`graphaudit (sample [^`]*--out sample_data)`", readme)
    assert found, "README names no command that remakes sample_data/"
    args = shlex.split(found.group(1))
    args[args.index("--out") + 1] = str(tmp_path / "sample_data")
    result = CliRunner().invoke(main, [*args, "-q"])
    assert result.exit_code == 0, result.output
    for name in ("stores", "identities", "payments", "addresses", "truth"):
        made = (tmp_path / "sample_data" / f"{name}.csv").read_bytes()
        assert made == (root / "sample_data" / f"{name}.csv").read_bytes(), name
