"""The contract's columns of each record kind (docs/design.md §1), the words exports use for
their choices, and the column map that renames an export's columns to them.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

FILE_KINDS = ("stores", "identities", "payments", "addresses")


@dataclass(frozen=True)
class Column:
    """One contract column: whether it is required, and how its values are checked."""

    name: str
    required: bool = False
    date: bool = False
    choices: tuple[str, ...] = ()
    default: str = ""  # the value of an empty field
    #: the value of a field whose value is not one of ``choices`` (dropped; None: ``default``)
    fallback: str | None = None
    #: other words for the choices, as Chinese exports write them (lower case -> choice)
    synonyms: tuple[tuple[str, str], ...] = ()
    #: an identifier that is text, never a number to compute with (a store id, an ID number,
    #: a phone): Excel's text markers around it are taken off (``validate.text_markers_off``)
    text: bool = False


#: a store's status as Chinese marketplace exports write it (REPORT4 item 18): without these,
#: a 封禁 (banned) store was taken as active; words of no sure meaning (暂停, 受限) stay unknown
STATUS_WORDS = (("正常", "active"), ("营业中", "active"), ("营业", "active"),
                ("封禁", "suspended"), ("已封禁", "suspended"), ("封店", "suspended"),
                ("冻结", "suspended"), ("已冻结", "suspended"),
                ("关闭", "closed"), ("已关闭", "closed"), ("关店", "closed"),
                ("注销", "closed"), ("已注销", "closed"))
#: document types in Chinese: 身份证 (resident ID), 营业执照 (business licence), 护照
#: (passport), 港澳通行证 (Hong Kong and Macao permit), 香港身份证 (a Hong Kong identity card),
#: 台湾身份证 and 國民身分證 (a Taiwan national ID)
ID_TYPE_WORDS = (("身份证", "CN_RESIDENT_ID"), ("居民身份证", "CN_RESIDENT_ID"),
                 ("营业执照", "BUSINESS_LICENSE"), ("统一社会信用代码", "USCC"),
                 ("护照", "PASSPORT"), ("港澳通行证", "HK_MACAO_PERMIT"),
                 ("香港身份证", "HKID"), ("台湾身份证", "TW_ID"), ("國民身分證", "TW_ID"))

#: account and address types in Chinese (REPORT8 item 6: a team's 银行 was dropped while its
#: 身份证 was read): only words of one sure meaning; 银行卡 (a bank's card, or its account?)
#: stays unknown
ACCOUNT_TYPE_WORDS = (("银行", "bank"), ("银行账户", "bank"), ("银行账号", "bank"),
                      ("对公账户", "bank"), ("信用卡", "card"), ("借记卡", "card"),
                      ("钱包", "wallet"), ("电子钱包", "wallet"), ("第三方支付", "wallet"))
ADDRESS_TYPE_WORDS = (("注册地址", "registered"), ("注册地", "registered"),
                      ("仓库", "warehouse"), ("仓库地址", "warehouse"), ("发货地址", "warehouse"),
                      ("退货地址", "return"), ("退货", "return"), ("其他", "other"))


SCHEMAS: dict[str, tuple[Column, ...]] = {
    "stores": (
        Column("store_id", required=True, text=True),
        Column("name"),
        Column("brand"),
        Column("marketplace"),
        Column("opened_on", date=True),
        Column("status", choices=("active", "suspended", "closed"), default="active",
               synonyms=STATUS_WORDS),
        Column("suspended_on", date=True),
        Column("status_reason"),
    ),
    "identities": (
        Column("store_id", required=True, text=True),
        Column("id_number", required=True, text=True),
        Column(
            "id_type",
            choices=("CN_RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "HKID", "TW_ID",
                     "BUSINESS_LICENSE", "USCC", "OTHER"),
            default="CN_RESIDENT_ID",
            fallback="OTHER",  # an unknown document type is not checked as a resident ID
            synonyms=ID_TYPE_WORDS,
        ),
        Column("holder_name"),
        Column("role"),
        Column("phone", text=True),
        Column("email", text=True),
    ),
    "payments": (
        Column("store_id", required=True, text=True),
        Column("account_number", required=True, text=True),
        Column("account_type", choices=("bank", "card", "wallet"), synonyms=ACCOUNT_TYPE_WORDS),
        Column("institution"),
        Column("holder_name"),
    ),
    "addresses": (
        Column("store_id", required=True, text=True),
        Column("address", required=True),
        Column("address_type", choices=("registered", "warehouse", "return", "other"),
               default="other", synonyms=ADDRESS_TYPE_WORDS),
        Column("city"),
        Column("postcode", text=True),
        Column("country"),
    ),
}


def column_key(name: str) -> str:
    r"""How a column's name is compared, in a header, a JSONL key and a column map: NFKC, runs
    of spaces and line breaks as one space, lower case. A Chinese export's header typed with an
    input method holds full-width letters and an ideographic space (`店铺ＩＤ　`), which a
    column map written `店铺ID` names all the same (REPORT8 item 2).

    >>> column_key(" 店铺ＩＤ\u3000"), column_key("Shop\n  Name"), column_key("ｓｔｏｒｅ＿ｉｄ")
    ('店铺id', 'shop name', 'store_id')
    """
    return " ".join(unicodedata.normalize("NFKC", name).split()).lower()


def load_column_map(path: Path) -> dict[str, dict[str, str]]:
    """Read a column map: TOML tables per kind (or ``[all]``) mapping export names to ours.

    Example::

        [stores]
        "Shop ID" = "store_id"
        [all]
        seller = "store_id"
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the column map: {exc}") from exc
    mapping: dict[str, dict[str, str]] = {}
    for section, table in data.items():
        if section not in (*FILE_KINDS, "all") or not isinstance(table, dict):
            raise ConfigError(f"{path}: unknown section [{section}]; use "
                              f"{', '.join(FILE_KINDS)} or all")
        known = {c.name for c in SCHEMAS.get(section, ())} or {
            c.name for cols in SCHEMAS.values() for c in cols
        }
        for source, target in table.items():
            if not isinstance(target, str) or target.lower() not in known:
                raise ConfigError(
                    f"{path}: [{section}] {source!r} maps to unknown column {target!r}")
        mapping[section] = {column_key(str(k)): v.lower() for k, v in table.items()}
    return mapping
