"""One operator that is most of its export: REPORT4 item 3's worlds, rebuilt.

docs/trials/new-user-trial-4.md item 3 (the data under /work/nu/t4/q is gone): one operator
built as /work/shared/WORLDS.md describes one, many employees' ID cards, few bank accounts,
one office. 3,000 stores, 600 valid resident IDs of 5 stores each with Chinese holder names,
10 bank accounts held by one company, 20 phones, 30 e-mails on its own domain, one registered
office, brands Megab/MegabPro/iMegab, every tenth store suspended.

    python bench/big_operator.py OUT            # OUT/bigc3, bigc3_100, mix, mix3
    python bench/big_operator.py OUT --sample sample_data

``mix3`` is the operator beside sample_data's stores, ``mix`` its first 300 stores beside
them, ``bigc3_100`` its first 100 stores alone. Every world has a truth.csv (operator ``BIG``).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graphaudit.synth.documents import bank_account, cn_resident_id, mobile  # noqa: E402

COMPANY = "深圳市大鹏贸易有限公司"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国"
OFFICE = "广东省深圳市龙岗区大鹏新区葵涌街道商业中心A栋1208室"
BRANDS = ("Megab", "MegabPro", "iMegab")
FILES = ("stores", "identities", "payments", "addresses", "truth")


def operator_tables(stores: int = 3000, per_card: int = 5, accounts: int = 10, phones: int = 20,
                    emails: int = 30, seed: int = 3) -> dict[str, pd.DataFrame]:
    """The operator's five tables: store ``B%05d`` (``i``) uses ID card ``i // per_card`` and
    account, phone and e-mail ``i`` modulo their counts, so that the stores of one card share
    no account, phone or e-mail (the trial's counts: each account's 300 stores were in 300
    clusters)."""
    r = random.Random(seed)
    born = date(1975, 1, 1).toordinal()
    cards = [cn_resident_id(r, "440307", born + 23 * i) for i in range(-(-stores // per_card))]
    names = [r.choice(SURNAMES) + "".join(r.choices(GIVEN, k=r.choice((1, 2))))
             for _ in cards]
    account_list = [bank_account(r, 19) for _ in range(accounts)]
    phone_list = [mobile(r, ("138", "139", "186")) for _ in range(phones)]
    email_list = [f"shop{i:02d}@dapeng.cn" for i in range(emails)]
    ids = [f"B{i:05d}" for i in range(stores)]
    suspended = [i % 10 == 9 for i in range(stores)]
    table = {
        "stores": pd.DataFrame({
            "store_id": ids,
            "name": [f"{BRANDS[i % 3]} Store {i}" for i in range(stores)],
            "brand": [BRANDS[i % 3] for i in range(stores)],
            "marketplace": "amazon.com",
            "opened_on": [f"{2019 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}"
                          for i in range(stores)],
            "status": ["suspended" if s else "active" for s in suspended],
            "suspended_on": ["2024-06-01" if s else "" for s in suspended],
            "status_reason": ["counterfeit" if s else "" for s in suspended],
        }),
        "identities": pd.DataFrame({
            "store_id": ids,
            "id_number": [cards[i // per_card] for i in range(stores)],
            "id_type": "CN_RESIDENT_ID",
            "holder_name": [names[i // per_card] for i in range(stores)],
            "role": "legal_rep",
            "phone": [phone_list[i % phones] for i in range(stores)],
            "email": [email_list[i % emails] for i in range(stores)],
        }),
        "payments": pd.DataFrame({
            "store_id": ids, "account_number": [account_list[i % accounts] for i in range(stores)],
            "account_type": "bank", "institution": "China Merchants Bank",
            "holder_name": COMPANY,
        }),
        "addresses": pd.DataFrame({
            "store_id": ids, "address": OFFICE, "address_type": "registered",
            "city": "Shenzhen", "postcode": "518120", "country": "CN",
        }),
    }
    table["truth"] = pd.DataFrame({
        "store_id": ids, "operator_id": "BIG", "operator_size": stores,
        "is_suspended": ["true" if s else "false" for s in suspended],
        "is_evader": "false", "evades_operator_id": "", "planted": "",
    })
    return table


def write_world(folder: Path, tables: dict[str, pd.DataFrame], first: int | None = None,
                beside: Path | None = None) -> Path:
    """Write the operator's first ``first`` stores (all when None), with the world in
    ``beside`` appended when given, as a graphaudit input folder."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = set(tables["stores"]["store_id"].iloc[:first])
    for name in FILES:
        frame = tables[name][tables[name]["store_id"].isin(keep)]
        if beside is not None and (beside / f"{name}.csv").exists():
            other = pd.read_csv(beside / f"{name}.csv", dtype=str, keep_default_na=False)
            frame = pd.concat([frame.astype(str), other], ignore_index=True)
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sample", type=Path, default=ROOT / "sample_data")
    args = parser.parse_args()
    tables = operator_tables()
    write_world(args.out / "bigc3", tables)
    write_world(args.out / "bigc3_100", tables, first=100)
    write_world(args.out / "mix", tables, first=300, beside=args.sample)
    write_world(args.out / "mix3", tables, beside=args.sample)
    print(f"wrote bigc3, bigc3_100, mix, mix3 under {args.out}")


if __name__ == "__main__":
    main()
