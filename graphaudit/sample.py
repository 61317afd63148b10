"""The legacy synthetic world (``graphaudit sample --profile legacy``): one world, the one the
old linkage rules were fitted to and ``sample_data/`` was made with. New work measures on the
world family of :mod:`graphaudit.synth`; this module stays for ``sample_data/`` and for the
speed benchmarks, whose figures are comparable only on the same world.

The synthetic world: a deterministic generator of stores and the operators behind them.

``write_sample`` writes a data directory in the layout of docs/design.md §1 (``stores.csv``,
``identities.csv``, ``payments.csv``, ``addresses.csv``) plus ``truth.csv``, the answer key that
says which operator runs each store and which tricks were planted in it.

The world is built for the mission of the tool:

* Operators are companies of very different sizes (heavy-tailed: most run one store, a few run
  hundreds). Employees open stores with their own resident IDs; the company's stores pay into a
  few shared accounts, so each operator's stores form one connected component over ID + account.
* Innocent hubs are shared by unrelated operators: 3PL warehouses (``warehouse``/``return``
  addresses), store-opening agencies (the contact phone and e-mail of identity rows) and
  virtual offices (the ``registered`` address).
* Some operators are banned (all their stores ``suspended``); about half of the banned
  multi-store operators come back after the ban under a brand variant, with new people and a new
  account, sharing exactly one identifier with their old stores.
* Every identifier is written in many ways, row by row (spacing, dashes, full-width digits,
  case, abbreviations, a rare letter typo in an address), and a few traps are planted: ID typos
  of one person, near-identical IDs of two unrelated people, neighbours in one building.

Everything comes from ``numpy.random.default_rng(seed)`` (planning) and ``random.Random(seed)``
(details), so the same arguments give the same bytes.

``truth.csv`` has one row per store: ``store_id, operator_id, operator_size`` (all the stores
of the operator, before and after a ban), ``is_suspended``, ``is_evader`` (``true``/``false``),
``evades_operator_id`` (the operator's own id on stores opened after its ban, else empty) and
``planted``, the facts about the store separated by ``;``:

========================================  =====================================================
``hub:3pl:H00012``                        a warehouse/return address of a 3PL hub
``hub:agency:H00034``                     identity phone and e-mail of a store-opening agency
``hub:virtual_office:H00056``             registered address of a virtual office
``neighbour_room``                        registered in a building shared with unrelated
                                          operators, in a room of its own
``id_typo``                               one identity row carries the rep's ID with one
                                          character substituted or two adjacent ones swapped
``near_id_decoy``                         carries one ID of a decoy pair: two unrelated people
                                          of two operators, IDs one character apart (the
                                          second ID fails the check), different names
``address_typo``                          one address row has a letter typo (never a digit)
``isolated_suspension``                   one store of an operator that is not banned
``brand_variant:<brand>``                 evader store; its brand is a variant of ``<brand>``
``evader_link:<kind>``                    evader store carrying the one identifier shared with
                                          the banned stores (kind: id, payment, address, phone)
``evader_link_source:<kind>``             banned store carrying that identifier
========================================  =====================================================
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from pathlib import Path
from typing import TypeVar

import numpy as np

from graphaudit.errors import ConfigError
from graphaudit.normalize import cn_resident_check_char

__all__ = [
    "ADDRESS_COLUMNS",
    "IDENTITY_COLUMNS",
    "PAYMENT_COLUMNS",
    "STORE_COLUMNS",
    "TRUTH_COLUMNS",
    "SampleSummary",
    "write_sample",
]

STORE_COLUMNS = (
    "store_id",
    "name",
    "brand",
    "marketplace",
    "opened_on",
    "status",
    "suspended_on",
    "status_reason",
)
IDENTITY_COLUMNS = ("store_id", "id_number", "id_type", "holder_name", "role", "phone", "email")
PAYMENT_COLUMNS = ("store_id", "account_number", "account_type", "institution", "holder_name")
ADDRESS_COLUMNS = ("store_id", "address", "address_type", "city", "postcode", "country")
TRUTH_COLUMNS = (
    "store_id",
    "operator_id",
    "operator_size",
    "is_suspended",
    "is_evader",
    "evades_operator_id",
    "planted",
)

_T = TypeVar("_T")
_FILES = ("stores", "identities", "payments", "addresses", "truth")
_HEADERS = (STORE_COLUMNS, IDENTITY_COLUMNS, PAYMENT_COLUMNS, ADDRESS_COLUMNS, TRUTH_COLUMNS)


@dataclass(frozen=True)
class SampleSummary:
    """What ``write_sample`` wrote: row counts per file (header excluded) and the paths."""

    out_dir: Path
    seed: int
    operators: int
    hubs: int
    stores: int
    identities: int
    payments: int
    addresses: int
    truth: int
    paths: dict[str, Path]


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

_REGION_CODES = (
    "110105", "110108", "310112", "310115", "320506", "330106", "330108", "330782", "330212",
    "350203", "350582", "360102", "410105", "420111", "430104", "431102", "440103", "440106",
    "440111", "440113", "440303", "440304", "440305", "440306", "440307", "440606", "441900",
    "445281", "500103", "510107", "610113",
)  # fmt: skip

_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("罗", "Luo"), ("高", "Gao"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"),
    ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"), ("于", "Yu"), ("杜", "Du"),
    ("叶", "Ye"), ("程", "Cheng"), ("魏", "Wei"), ("苏", "Su"), ("吕", "Lyu"), ("丁", "Ding"),
    ("任", "Ren"), ("卢", "Lu"), ("姚", "Yao"), ("沈", "Shen"), ("钟", "Zhong"), ("姜", "Jiang"),
    ("崔", "Cui"), ("谭", "Tan"), ("陆", "Lu"), ("范", "Fan"), ("汪", "Wang"), ("廖", "Liao"),
    ("石", "Shi"), ("金", "Jin"), ("韦", "Wei"), ("贾", "Jia"), ("夏", "Xia"), ("付", "Fu"),
    ("方", "Fang"), ("邹", "Zou"), ("熊", "Xiong"), ("白", "Bai"), ("孟", "Meng"), ("秦", "Qin"),
    ("邱", "Qiu"), ("侯", "Hou"), ("江", "Jiang"), ("尹", "Yin"), ("薛", "Xue"), ("段", "Duan"),
    ("雷", "Lei"), ("龙", "Long"), ("黎", "Li"), ("史", "Shi"), ("陶", "Tao"), ("贺", "He"),
    ("毛", "Mao"), ("郝", "Hao"), ("顾", "Gu"), ("龚", "Gong"), ("邵", "Shao"), ("万", "Wan"),
)  # fmt: skip
# Cumulative weights: the common surnames are much more common (rank ** -0.8).
_SURNAME_CUM = tuple(np.cumsum([1.0 / (r + 1) ** 0.8 for r in range(len(_SURNAMES))]).tolist())

_GIVEN = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀", "Xiu"),
    ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂", "Gui"), ("英", "Ying"), ("华", "Hua"),
    ("建", "Jian"), ("文", "Wen"), ("辉", "Hui"), ("玲", "Ling"), ("鹏", "Peng"), ("飞", "Fei"),
    ("斌", "Bin"), ("宇", "Yu"), ("浩", "Hao"), ("凯", "Kai"), ("俊", "Jun"), ("帅", "Shuai"),
    ("婷", "Ting"), ("雪", "Xue"), ("琳", "Lin"), ("晨", "Chen"), ("欣", "Xin"), ("怡", "Yi"),
    ("佳", "Jia"), ("子", "Zi"), ("轩", "Xuan"), ("涵", "Han"), ("博", "Bo"), ("昊", "Hao"),
    ("然", "Ran"), ("晓", "Xiao"), ("小", "Xiao"), ("海", "Hai"), ("志", "Zhi"), ("国", "Guo"),
    ("红", "Hong"), ("金", "Jin"), ("云", "Yun"), ("龙", "Long"), ("春", "Chun"), ("兰", "Lan"),
    ("梅", "Mei"), ("燕", "Yan"), ("新", "Xin"), ("成", "Cheng"), ("东", "Dong"), ("峰", "Feng"),
    ("波", "Bo"), ("瑞", "Rui"), ("思", "Si"), ("雨", "Yu"), ("嘉", "Jia"), ("振", "Zhen"),
    ("永", "Yong"), ("德", "De"), ("荣", "Rong"), ("慧", "Hui"), ("倩", "Qian"), ("丹", "Dan"),
    ("琴", "Qin"), ("岩", "Yan"), ("阳", "Yang"), ("亮", "Liang"),
)  # fmt: skip

# Pinyin words for company names, road names, parks and towers.
_WORDS = (
    "Xin", "Yuan", "Hua", "Tai", "Feng", "Sheng", "Jia", "Long", "Da", "Hong", "Rui", "Heng",
    "Bo", "Kai", "Tong", "Mei", "Jin", "Tian", "Hai", "Xing", "Chuang", "Yi", "Cheng", "Fu",
    "Kang", "An", "Ming", "Zhi", "Hui", "Yu", "Wei", "Sen", "Lian", "Ding", "Qi", "Chang",
    "Guang", "Run", "Jun", "Shun", "Bao", "Rong", "Hao", "Yao", "Teng", "Fei", "Lan", "Ke",
)  # fmt: skip
_INDUSTRIES = (
    "Technology", "Trading", "E-commerce", "Electronics", "Industrial", "Supply Chain",
    "Import and Export", "Network Technology", "Commerce", "Home Products",
)  # fmt: skip
_ROAD_WORDS = (
    "Keyuan", "Shennan", "Binhai", "Xuefu", "Gaoxin", "Hongli", "Bulong", "Meilong", "Minzhi",
    "Xixiang", "Fuyong", "Songbai", "Huaqiang", "Zhongshan", "Jiefang", "Renmin", "Jianshe",
    "Xinhua", "Yingbin", "Wenhua", "Dongfeng", "Huangpu", "Jiangnan", "Wuyi", "Qingnian",
    "Chuangye", "Keji", "Xingye", "Jinqiao", "Heping", "Yanhe", "Guangming", "Nanhai",
    "Pingshan", "Huancheng", "Tangwei", "Shajing", "Fenghuang", "Baomin", "Qianjin",
)  # fmt: skip
_ROAD_DIRS = ("", "", "", "", "", "North ", "South ", "East ", "West ", "Middle ")
_ROAD_TYPES = ("Road", "Road", "Road", "Road", "Street", "Avenue")
_TOWER_TYPES = ("Tower", "Plaza", "Center", "Building", "Mansion")
_TOWER_WORDS = (
    "Galaxy", "Excellence", "Tianan", "Huafeng", "Jinhui", "Xinghe", "Kexing", "Lianhua",
    "Haian", "Baoneng", "Zhuoyue", "Hengyu", "Shenye", "Yihai", "Tianli", "Zhonghang",
)  # fmt: skip

# (city, ((district, postcode), ...), weight)
_CITIES = (
    ("Shenzhen", (("Nanshan District", "518057"), ("Futian District", "518048"),
                  ("Longhua District", "518109"), ("Bao'an District", "518101"),
                  ("Longgang District", "518172"), ("Luohu District", "518001")), 40),
    ("Guangzhou", (("Tianhe District", "510620"), ("Baiyun District", "510440"),
                   ("Panyu District", "511400"), ("Haizhu District", "510220"),
                   ("Liwan District", "510145")), 13),
    ("Dongguan", (("Nancheng District", "523070"), ("Chang'an Town", "523850"),
                  ("Humen Town", "523900"), ("Songshan Lake District", "523808")), 8),
    ("Hangzhou", (("Xihu District", "310012"), ("Binjiang District", "310051"),
                  ("Yuhang District", "311100")), 7),
    ("Yiwu", (("Beiyuan Subdistrict", "322000"), ("Jiangdong Subdistrict", "322000"),
              ("Futian Subdistrict", "322000")), 5),
    ("Shanghai", (("Minhang District", "201100"), ("Pudong New District", "200120"),
                  ("Songjiang District", "201600")), 6),
    ("Xiamen", (("Siming District", "361000"), ("Huli District", "361006")), 4),
    ("Ningbo", (("Yinzhou District", "315100"),), 3),
    ("Suzhou", (("Wuzhong District", "215100"), ("Gusu District", "215000")), 3),
    ("Foshan", (("Shunde District", "528300"), ("Nanhai District", "528200")), 3),
    ("Quanzhou", (("Fengze District", "362000"),), 2),
    ("Wuhan", (("Hongshan District", "430070"),), 2),
    ("Changsha", (("Yuelu District", "410006"),), 2),
    ("Zhengzhou", (("Jinshui District", "450000"),), 1),
    ("Chengdu", (("Wuhou District", "610041"),), 1),
)  # fmt: skip
_CITY_CUM = tuple(np.cumsum([c[2] for c in _CITIES]).tolist())

_US_3PL = (
    ("Ontario", "CA", "91761"), ("Fontana", "CA", "92335"), ("Rancho Cucamonga", "CA", "91730"),
    ("City of Industry", "CA", "91745"), ("Edison", "NJ", "08817"), ("Jamaica", "NY", "11434"),
    ("Dallas", "TX", "75261"), ("Atlanta", "GA", "30354"), ("Hebron", "KY", "41048"),
)  # fmt: skip
_US_STREETS = (
    "Francis", "Mission", "Etiwanda", "Jurupa", "Valley", "Haven", "Milliken", "Industrial",
    "Commerce", "Airport", "Logistics", "Distribution", "Gateway", "Enterprise",
)  # fmt: skip
_US_TYPES = ("Street", "Avenue", "Boulevard", "Road")
_UK_3PL = (
    ("Manchester", "M17 1AB"), ("Coventry", "CV6 4BX"), ("Birmingham", "B76 1AA"),
    ("Milton Keynes", "MK1 1BU"), ("Leicester", "LE19 1WP"), ("Northampton", "NN4 7PB"),
)  # fmt: skip
_UK_ESTATES = ("Trafford", "Prologis", "Magna", "Meridian", "Brackmills", "Centrum", "Kingsway")

_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182",
    "183", "184", "185", "186", "187", "188", "189", "198", "199",
)  # fmt: skip
_MAIL_DOMAINS = (
    "163.com", "163.com", "126.com", "gmail.com", "outlook.com", "hotmail.com", "foxmail.com",
    "sina.com", "yeah.net", "139.com",
)  # fmt: skip

# (institution, alias, account length, prefix)
_BANKS = (
    ("ICBC", "Industrial and Commercial Bank of China", 19, "4000"),
    ("China Construction Bank", "CCB", 19, "4405"),
    ("Agricultural Bank of China", "ABC", 19, "4401"),
    ("Bank of China", "BOC", 16, "7465"),
    ("China Merchants Bank", "CMB", 16, "7559"),
    ("Bank of Communications", "BOCOM", 18, "4430"),
    ("Ping An Bank", "PAB", 17, "1501"),
    ("China CITIC Bank", "CITIC", 19, "8110"),
    ("Industrial Bank", "CIB", 18, "3380"),
    ("Shanghai Pudong Development Bank", "SPDB", 18, "7916"),
    ("China Minsheng Bank", "CMBC", 16, "1531"),
    ("Postal Savings Bank of China", "PSBC", 19, "9440"),
)
# (institution, BIN)
_CARD_BINS = (
    ("ICBC", "622202"), ("China Construction Bank", "621700"),
    ("Agricultural Bank of China", "622848"), ("Bank of China", "621661"),
    ("China Merchants Bank", "622588"), ("Bank of Communications", "622262"),
    ("China Merchants Bank", "439225"), ("ICBC", "524047"),
)  # fmt: skip
_WALLETS = ("Alipay", "Alipay", "WeChat Pay", "Payoneer", "PingPong", "LianLian Pay", "WorldFirst")

_MARKETPLACES = (
    "amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.co.jp", "amazon.ca",
    "aliexpress", "ebay.com", "walmart.com", "shopee", "temu",
)  # fmt: skip
_MARKET_CUM = tuple(np.cumsum([35, 10, 10, 3, 5, 4, 12, 8, 5, 4, 4]).tolist())
_STORE_SUFFIXES = (
    "", "", " Official", " Store", " Direct", "-US", " Shop", " Official Store", " Home",
    " Tech", " Global", "-EU", " Outlet",
)  # fmt: skip

_BAN_REASONS = (
    "review manipulation", "review manipulation", "counterfeit", "counterfeit", "fraud",
    "intellectual property infringement", "identity verification failed",
    "incentivized reviews",
)  # fmt: skip
_ISOLATED_REASONS = ("listing policy violation", "late shipment rate", "IP complaint")
_CLOSED_REASONS = ("closed by seller", "inactive", "")

# Brand words: a morpheme pair ("van" + "true") or simple syllables ("to" + "zo").
_BRAND_HEADS = (
    "van", "lum", "nex", "zen", "aro", "ton", "max", "neo", "vox", "kin", "sol", "tec", "ora",
    "ugo", "mira", "evo", "ivo", "nova", "axo", "ori", "sky", "bel", "cor", "dar", "eco", "fin",
    "gal", "hex", "jet", "kor", "lux", "mo", "nu", "pix", "ro", "su", "tri", "vel", "xen", "yo",
    "zo", "au", "bao", "ank", "ugr", "tao", "vic", "om", "ez", "pur",
)  # fmt: skip
_BRAND_TAILS = (
    "true", "pow", "go", "tek", "bee", "ly", "ra", "on", "ix", "eo", "ka", "zy", "io", "ta",
    "fy", "ro", "do", "bo", "mi", "ar", "el", "us", "ox", "ine", "ova", "pad", "cam", "fit",
    "key", "een", "ver", "lin", "max", "ier", "ovo", "ent", "ux", "ani", "ole", "eck",
)  # fmt: skip
_BRAND_ONSETS = (
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
    "x", "y", "br", "tr", "st", "", "",
)  # fmt: skip
_BRAND_VOWELS = ("a", "e", "i", "o", "u", "a", "o", "y", "ee", "oo")
_BRAND_CODAS = ("", "", "", "", "n", "r", "x", "k", "s", "l", "m")
_BRAND_PREFIXES = ("x", "i", "go", "my", "e", "u", "the")
_BRAND_SUFFIXES = ("pro", "direct", "official", "store", "hub", "tech", "us", "plus", "max", "life")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"

_ABBR = {
    "Room": ("Rm", "RM.", "Rm."),
    "Building": ("Bldg", "Bldg.", "Blk"),
    "Block": ("Blk", "Blk."),
    "Road": ("Rd.", "Rd"),
    "Street": ("St", "St."),
    "District": ("Dist.", "Dist"),
    "Avenue": ("Ave", "Ave."),
    "Boulevard": ("Blvd", "Blvd."),
    "Suite": ("Ste", "Ste."),
}
_JOINERS = (", ", ", ", ", ", ",", " , ", " ", ",  ", "; ")

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_START = date(2018, 1, 1).toordinal()
_END = date(2025, 6, 30).toordinal()
_CHUNK_STORES = 50_000

# Evader link kinds and their shares.
_LINK_KINDS = ("id", "payment", "address", "phone")
_LINK_SHARES = (0.35, 0.35, 0.20, 0.10)


# --------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------


def _luhn_check_digit(body: str) -> str:
    """Return the Luhn check digit that completes ``body``."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def _uscc_check_char(body17: str) -> str:
    """Return the GB 32100 check character of a unified social credit code (business licence)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def _cn_valid(doc: str) -> bool:
    return len(doc) == 18 and doc[:17].isdigit() and cn_resident_check_char(doc[:17]) == doc[17]


def _pick_cum(cum: tuple[float, ...], u: float) -> int:
    """Index into a cumulative weight table for a uniform ``u`` in [0, 1)."""
    x = u * cum[-1]
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _split_counts(total: int, shares: tuple[float, ...], at_least_one: bool) -> list[int]:
    """Split ``total`` by ``shares`` (largest remainder), giving each kind one when it can."""
    if at_least_one and total >= len(shares):
        base = [1] * len(shares)
        rest = total - len(shares)
    else:
        base = [0] * len(shares)
        rest = total
    raw = [s * rest for s in shares]
    counts = [int(x) for x in raw]
    order = sorted(range(len(shares)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts, strict=True)]


# --------------------------------------------------------------------------------------------
# Planning: operator sizes, roles, hubs, planted pairs (vectorised, numpy)
# --------------------------------------------------------------------------------------------

_P_SINGLE = 0.68  # share of operators that run one store
_ALPHA = 1.6  # Pareto tail of the multi-store operators
_CAP = 1000  # largest operator


def _draw_sizes(rng: np.random.Generator, k: int) -> np.ndarray:
    single = rng.random(k) < _P_SINGLE
    u = rng.random(k)
    multi = np.floor(2.0 * (1.0 - u) ** (-1.0 / _ALPHA))
    over = multi > _CAP
    multi[over] = rng.integers(_CAP // 2, _CAP + 1, int(over.sum()))
    return np.where(single, 1, multi).astype(np.int64)


@dataclass
class _Plan:
    n_ops: int
    size: list[int]  # total stores of the operator (old + new)
    new: list[int]  # stores opened after the ban (evaders), else 0
    banned: list[bool]
    link: list[str]  # evader link kind or ""
    vo: list[int]  # index into hubs or -1
    agency: list[int]
    tpl: list[int]
    neighbour: list[int]  # neighbour group or -1
    decoy: list[int]  # decoy pair * 2 + side (0 = valid ID, 1 = near ID) or -1
    typo: list[bool]
    hubs: list[tuple[str, str]]  # (kind, hub id)


def _plan(n: int, rng: np.random.Generator) -> _Plan:
    """Decide every operator's size and role before generating anything."""
    mean = _P_SINGLE + (1 - _P_SINGLE) * 4.8
    chunks: list[np.ndarray] = []
    total = 0
    while total < n:
        batch = _draw_sizes(rng, int(n / mean * 1.1) + 16)
        chunks.append(batch)
        total += int(batch.sum())
    size = np.concatenate(chunks)
    new = np.zeros_like(size)

    # Banned operators and evaders among the multi-store ones (counts fixed, members random).
    multi_idx = np.flatnonzero(size >= 2)
    n_banned = min(len(multi_idx), max(round(0.03 * len(multi_idx)), 6))
    banned_multi = np.sort(rng.choice(multi_idx, n_banned, replace=False))
    n_evaders = (n_banned + 1) // 2
    evaders = np.sort(rng.choice(banned_multi, n_evaders, replace=False))
    banned = np.zeros(len(size), dtype=bool)
    banned[banned_multi] = True
    banned |= (size == 1) & (rng.random(len(size)) < 0.012)
    extra_hi = 2 + np.minimum(8, 1 + size[evaders] // 8)
    new[evaders] = rng.integers(2, extra_hi + 1)
    kinds = _split_counts(n_evaders, _LINK_SHARES, at_least_one=True)
    link_arr = np.repeat(np.arange(len(_LINK_KINDS)), kinds)
    rng.shuffle(link_arr)
    link = np.full(len(size), -1)
    link[evaders] = link_arr

    # A world of a few thousand stores still gets a big operator.
    target = min(_CAP, max(100, n // 20)) if n >= 400 else max(1, n // 4)
    for _ in range(3):
        cs = np.cumsum(size + new)
        k = int(np.searchsorted(cs, n))
        if size[: k + 1].max() >= target:
            break
        plain = np.flatnonzero((size[: k + 1] >= 2) & ~banned[: k + 1])
        j = int(plain[0]) if len(plain) else 0
        size[j] = target
    cs = np.cumsum(size + new)
    k = int(np.searchsorted(cs, n))
    before = int(cs[k - 1]) if k > 0 else 0
    if before + int(size[k] + new[k]) != n:  # the last operator is cut to fit, as a plain one
        size[k] = n - before
        new[k] = 0
        banned[k] = False
        link[k] = -1
    n_ops = k + 1
    size, new, banned, link = size[:n_ops], new[:n_ops], banned[:n_ops], link[:n_ops]
    total_size = size + new
    evader = link >= 0

    # Hub clients, by operator size; evaders keep clear of agencies and virtual offices so the
    # one identifier they share with their old stores is the planted one.
    u = rng.random((3, n_ops))
    p_vo = np.select([size == 1, size <= 3, size <= 10], [0.07, 0.06, 0.03], 0.0)
    p_ag = np.select([size == 1, size <= 5, size <= 20, size <= 100], [0.09, 0.10, 0.06, 0.01], 0.0)
    p_3pl = np.select([size == 1, size <= 20, size <= 100], [0.12, 0.20, 0.30], 0.40)
    vo_client = (u[0] < p_vo) & ~evader
    ag_client = (u[1] < p_ag) & ~evader
    tpl_client = u[2] < p_3pl
    hubs: list[tuple[str, str]] = []
    assign = {}
    for kind, clients in (
        ("3pl", tpl_client),
        ("agency", ag_client),
        ("virtual_office", vo_client),
    ):
        members = rng.permutation(np.flatnonzero(clients))
        hub_of = np.full(n_ops, -1)
        cap = max(3, min(400, n // 100, len(members) // 4))
        pos = 0
        groups: list[tuple[int, int]] = []
        while len(members) - pos >= 3:
            s = int(min(cap, math.floor(3 * (1 - rng.random()) ** (-1 / 1.15))))
            if len(members) - pos - s < 3:
                s = len(members) - pos
            groups.append((pos, pos + s))
            pos += s
        for a, b in groups:
            hub_of[members[a:b]] = len(hubs)
            hubs.append((kind, ""))
        assign[kind] = hub_of
    width = max(5, len(str(len(hubs))))
    hubs = [(kind, f"H{i + 1:0{width}d}") for i, (kind, _) in enumerate(hubs)]

    # Neighbours in one building: groups of two or three unrelated operators with own offices.
    neighbour = np.full(n_ops, -1)
    free = np.flatnonzero((assign["virtual_office"] < 0) & ~evader)
    n_groups = max(2, round(n_ops * 0.004))
    sizes = np.where(rng.random(n_groups) < 0.25, 3, 2)
    while sizes.sum() > len(free) and len(sizes):
        sizes = sizes[:-1]
    chosen = rng.choice(free, int(sizes.sum()), replace=False)
    neighbour[chosen] = np.repeat(np.arange(len(sizes)), sizes)

    # Near-ID decoys (pairs of unrelated operators) and ID typos (within one operator).
    decoy = np.full(n_ops, -1)
    free = np.flatnonzero(~evader & (neighbour < 0))
    n_pairs = min(len(free) // 2, max(3, round(n * 0.0004)))
    chosen = rng.choice(free, 2 * n_pairs, replace=False)
    decoy[chosen] = np.arange(2 * n_pairs)
    typo = np.zeros(n_ops, dtype=bool)
    free = np.flatnonzero(~evader & (decoy < 0) & (size >= 2))
    n_typos = min(len(free), max(3, round(n * 0.001)))
    typo[rng.choice(free, n_typos, replace=False)] = True

    return _Plan(
        n_ops=n_ops,
        size=total_size.tolist(),
        new=new.tolist(),
        banned=banned.tolist(),
        link=[_LINK_KINDS[x] if x >= 0 else "" for x in link.tolist()],
        vo=assign["virtual_office"].tolist(),
        agency=assign["agency"].tolist(),
        tpl=assign["3pl"].tolist(),
        neighbour=neighbour.tolist(),
        decoy=decoy.tolist(),
        typo=typo.tolist(),
        hubs=hubs,
    )


# --------------------------------------------------------------------------------------------
# The world: people, companies, places, accounts, and their renderings
# --------------------------------------------------------------------------------------------


class _Person:
    __slots__ = ("doc", "doc_type", "cn", "sur", "giv", "phone", "email")

    def __init__(
        self, doc: str, doc_type: str, cn: str, sur: str, giv: str, phone: str, email: str
    ):
        self.doc = doc
        self.doc_type = doc_type
        self.cn = cn
        self.sur = sur
        self.giv = giv
        self.phone = phone
        self.email = email


class _Account:
    __slots__ = ("number", "kind", "institution", "alias", "holder")

    def __init__(self, number: str, kind: str, institution: str, alias: str, holder: object):
        self.number = number
        self.kind = kind
        self.institution = institution
        self.alias = alias
        self.holder = holder  # a _Person or a company name


class _Place:
    """An address: segments of its canonical text, plus the columns beside it."""

    __slots__ = ("segs", "city", "postcode", "country", "key", "fact")

    def __init__(self, segs: tuple[str, ...], city: str, postcode: str, country: str, fact: str):
        self.segs = segs
        self.city = city
        self.postcode = postcode
        self.country = country
        self.key = ", ".join(segs)
        self.fact = fact  # planted fact for stores that use it ("" when none)


class _Part:
    """The stores of one operator in one period (its life before a ban, or after it)."""

    def __init__(self) -> None:
        self.stores: list[list[str]] = []
        self.idents: list[list[str]] = []
        self.pays: list[tuple[str, ...]] = []
        self.addrs: list[tuple[str, ...]] = []
        self.facts: list[list[str]] = []
        self.keys: list[list[str]] = []  # per store: the canonical identifiers it carries
        self.rep_row: list[int] = []  # per store: index of its legal_rep row in idents
        self.reg_row: list[int] = []  # per store: index of its registered row in addrs
        self.reps: list[_Person] = []  # employees who opened stores (in store order)
        self.contacts: list[_Person] = []  # people on contact rows
        self.places: dict[str, _Place] = {}  # key -> place, for every address used
        self.accounts: list[_Account] = []
        self.brands: list[str] = []


class _World:
    def __init__(self, plan: _Plan, n_stores: int, seed: int, rng: np.random.Generator):
        self.plan = plan
        self.r = random.Random(seed)
        self.sid_width = max(7, len(str(n_stores)))
        self.op_width = max(6, len(str(plan.n_ops)))
        self.sids = (rng.permutation(n_stores) + 1).tolist()
        self.next_store = 0
        first = date(1960, 1, 1)
        self.birth_days = [
            (first + timedelta(days=d)).strftime("%Y%m%d")
            for d in range((date(2004, 12, 31) - date(1960, 1, 1)).days + 1)
        ]
        self.iso = [date.fromordinal(d).isoformat() for d in range(_START, _END + 1)]
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.used_accounts: set[str] = set()
        self.used_places: set[str] = set()
        self.used_brands: set[str] = set()
        self.hub_objects: list[object] = [None] * len(plan.hubs)
        self.neighbours: dict[int, tuple[tuple[str, ...], str, str, int, set[int]]] = {}
        self.decoys: dict[int, _Person] = {}
        self.out: tuple[list, list, list, list, list] = ([], [], [], [], [])
        self.buffered = 0

    # ---- draws ------------------------------------------------------------------------------

    def pick(self, seq: Sequence[_T]) -> _T:
        return seq[int(self.r.random() * len(seq))]

    def city(self) -> int:
        return _pick_cum(_CITY_CUM, self.r.random())

    def day(self, lo: int, hi: int) -> int:
        """A day ordinal in [lo, hi], clamped to the world's calendar."""
        lo = max(_START, min(lo, _END))
        hi = max(lo, min(hi, _END))
        return lo + int(self.r.random() * (hi - lo + 1))

    def cn_id(self) -> str:
        rnd = self.r.random
        while True:
            body = (
                _REGION_CODES[int(rnd() * len(_REGION_CODES))]
                + self.birth_days[int(rnd() * len(self.birth_days))]
                + f"{int(rnd() * 999) + 1:03d}"
            )
            if body not in self.used_ids:
                self.used_ids.add(body)
                return body + cn_resident_check_char(body)

    def other_doc(self, prefix: str) -> str:
        while True:
            doc = prefix + f"{int(self.r.random() * 1e8):08d}"
            if doc not in self.used_ids:
                self.used_ids.add(doc)
                return doc

    def phone(self) -> str:
        rnd = self.r.random
        while True:
            num = _MOBILE_PREFIXES[int(rnd() * len(_MOBILE_PREFIXES))] + f"{int(rnd() * 1e8):08d}"
            if num not in self.used_phones:
                self.used_phones.add(num)
                return num

    def email(self, sur: str, giv: str) -> str:
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
                    local = f"{self.pick(_WORDS)}{self.pick(_WORDS)}_{r.randint(1, 99999)}"
                addr = f"{local.lower()}@{self.pick(_MAIL_DOMAINS)}"
            if addr not in self.used_emails:
                self.used_emails.add(addr)
                return addr

    def name(self) -> tuple[str, str, str]:
        r = self.r
        s_cn, s_py = _SURNAMES[_pick_cum(_SURNAME_CUM, r.random())]
        g1 = self.pick(_GIVEN)
        if r.random() < 0.35:
            return s_cn + g1[0], s_py, g1[1]
        g2 = self.pick(_GIVEN)
        return s_cn + g1[0] + g2[0], s_py, g1[1] + g2[1].lower()

    def person(self) -> _Person:
        cn, sur, giv = self.name()
        u = self.r.random()
        if u < 0.985:
            doc, doc_type = self.cn_id(), "CN_RESIDENT_ID"
        elif u < 0.995:
            doc, doc_type = self.other_doc("E"), "PASSPORT"
        else:
            doc, doc_type = self.other_doc("C"), "HK_MACAO_PERMIT"
        return _Person(doc, doc_type, cn, sur, giv, self.phone(), self.email(sur, giv))

    def company(self, city: str) -> tuple[str, str]:
        r = self.r
        word = self.pick(_WORDS) + self.pick(_WORDS).lower()
        name = f"{city} {word} {self.pick(_INDUSTRIES)} Co., Ltd."
        while True:
            body = (
                "91"
                + self.pick(_REGION_CODES)
                + "".join(_USCC_CHARS[int(r.random() * 31)] for _ in range(9))
            )
            if body not in self.used_ids:
                self.used_ids.add(body)
                return name, body + _uscc_check_char(body)

    def brand(self) -> str:
        r = self.r
        n = 0
        while True:
            if r.random() < 0.4 and n < 3:
                b = self.pick(_BRAND_HEADS) + self.pick(_BRAND_TAILS)
            else:
                b = "".join(
                    self.pick(_BRAND_ONSETS) + self.pick(_BRAND_VOWELS) + self.pick(_BRAND_CODAS)
                    for _ in range(2 if n < 6 else 3)
                )
            n += 1
            if 4 <= len(b) <= 10 and b not in self.used_brands:
                self.used_brands.add(b)
                return b

    def brand_variant(self, b: str) -> str:
        r = self.r
        while True:
            u = r.random()
            if u < 0.3:
                v = self.pick(_BRAND_PREFIXES) + b
            elif u < 0.65:
                v = b + self.pick(_BRAND_SUFFIXES)
            else:
                i = int(r.random() * len(b))
                e = r.random()
                if e < 0.4:
                    v = b[:i] + self.pick(_LETTERS) + b[i + 1 :]
                elif e < 0.6 and len(b) > 4:
                    v = b[:i] + b[i + 1 :]
                elif e < 0.8:
                    v = b[:i] + self.pick(_LETTERS) + b[i:]
                else:
                    v = b[:i] + b[i] + b[i:]
            if v != b and v not in self.used_brands:
                self.used_brands.add(v)
                return v

    def account(self, kind: str, holder: object) -> _Account:
        r = self.r
        while True:
            if kind == "bank":
                inst, alias, length, prefix = self.pick(_BANKS)
                number = prefix + "".join(str(int(r.random() * 10)) for _ in range(length - 4))
            elif kind == "card":
                inst, bin_ = self.pick(_CARD_BINS)
                alias = inst
                body = bin_ + "".join(str(int(r.random() * 10)) for _ in range(9))
                number = body + _luhn_check_digit(body)
            else:
                inst = alias = self.pick(_WALLETS)
                if inst == "WeChat Pay" or (inst == "Alipay" and r.random() < 0.5):
                    number = self.phone()
                else:
                    local = (self.pick(_WORDS) + self.pick(_WORDS)).lower()
                    number = f"{local}{r.randint(1, 99999)}@{self.pick(_MAIL_DOMAINS)}"
            if number not in self.used_accounts:
                self.used_accounts.add(number)
                return _Account(number, kind, inst, alias, holder)

    # ---- places -----------------------------------------------------------------------------

    def _street(self, city_i: int) -> tuple[str, str, str, str]:
        city, districts, _ = _CITIES[city_i]
        district, pc = self.pick(districts)
        if self.r.random() < 0.5:
            pc = pc[:4] + f"{int(self.r.random() * 100):02d}"
        road = f"{self.pick(_ROAD_WORDS)} {self.pick(_ROAD_DIRS)}{self.pick(_ROAD_TYPES)}"
        return city, district, pc, f"{int(self.r.random() * 400) + 1} {road}"

    def building(self, city_i: int) -> tuple[tuple[str, ...], str, str]:
        """A new office building: the segments after the room, the city and the postcode."""
        r = self.r
        while True:
            city, district, pc, street = self._street(city_i)
            u = r.random()
            if u < 0.55:
                label: tuple[str, ...] = (f"Building {int(r.random() * 20) + 1}",)
            elif u < 0.8:
                label = (f"{self.pick(_TOWER_WORDS)} {self.pick(_TOWER_TYPES)}",)
            else:
                label = (
                    f"Block {self.pick('ABCDEF')}",
                    f"{self.pick(_WORDS)}{self.pick(_WORDS).lower()} Industrial Park",
                )
            segs = (*label, street, district, f"{city} {pc}")
            key = "|".join(segs)
            if key not in self.used_places:
                self.used_places.add(key)
                return segs, city, pc

    def office(self, city_i: int, fact: str = "") -> _Place:
        segs, city, pc = self.building(city_i)
        return _Place((f"Room {self.room()}", *segs), city, pc, "CN", fact)

    def room(self) -> int:
        floor = int(self.r.random() * 32) + 1
        return floor * 100 + int(self.r.random() * 20) + 1

    def warehouse(self, city_i: int, fact: str = "") -> _Place:
        r = self.r
        while True:
            city, district, pc, street = self._street(city_i)
            u = r.random()
            if u < 0.4:
                label: tuple[str, ...] = (
                    f"Warehouse {int(r.random() * 12) + 1}",
                    f"{self.pick(_WORDS)}{self.pick(_WORDS).lower()} Logistics Park",
                )
            elif u < 0.7:
                label = (
                    f"Building {int(r.random() * 30) + 1}",
                    f"{self.pick(_WORDS)}{self.pick(_WORDS).lower()} Industrial Zone",
                )
            else:
                label = (f"Floor {int(r.random() * 6) + 1}", f"Building {int(r.random() * 12) + 1}")
            segs = (*label, street, district, f"{city} {pc}")
            key = "|".join(segs)
            if key not in self.used_places:
                self.used_places.add(key)
                return _Place(segs, city, pc, "CN", fact)

    def overseas_warehouse(self, fact: str) -> _Place:
        r = self.r
        while True:
            if r.random() < 0.65:
                city, state, zip_ = self.pick(_US_3PL)
                segs: tuple[str, ...] = (
                    f"{int(r.random() * 15000) + 100} {self.pick(_US_STREETS)} "
                    f"{self.pick(_US_TYPES)}",
                    *((f"Suite {int(r.random() * 900) + 100}",) if r.random() < 0.5 else ()),
                    city,
                    f"{state} {zip_}",
                )
                place = _Place(segs, city, zip_, "US", fact)
            else:
                city, pc = self.pick(_UK_3PL)
                segs = (
                    f"Unit {int(r.random() * 40) + 1}",
                    f"{self.pick(_UK_ESTATES)} Industrial Estate",
                    city,
                    pc,
                )
                place = _Place(segs, city, pc, "GB", fact)
            if place.key not in self.used_places:
                self.used_places.add(place.key)
                return place

    def hub(self, index: int) -> object:
        """The shared place or contact of a hub, made on first use."""
        obj = self.hub_objects[index]
        if obj is None:
            kind, hub_id = self.plan.hubs[index]
            fact = f"hub:{kind}:{hub_id}"
            if kind == "3pl":
                if self.r.random() < 0.3:
                    obj = self.overseas_warehouse(fact)
                else:
                    obj = self.warehouse(self.city(), fact)
            elif kind == "virtual_office":
                obj = self.office(self.city(), fact)
            else:
                word = f"{self.pick(_WORDS)}{self.pick(_WORDS)}".lower()
                while True:
                    box = self.pick(("service", "kaidian", "open", "team", "support"))
                    tail = self.pick(("-agency", "kd", "ecom", "biz"))
                    email = f"{box}@{word}{tail}.com"
                    if email not in self.used_emails:
                        self.used_emails.add(email)
                        break
                obj = (self.phone(), email, fact)
            self.hub_objects[index] = obj
        return obj

    # ---- renderings (one independent draw per row) -------------------------------------------

    def r_id(self, doc: str) -> str:
        u = self.r.random()
        if u < 0.68:
            s = doc
        elif u < 0.76:
            s = f"{doc[:6]} {doc[6:14]} {doc[14:]}"
        elif u < 0.80:
            s = f"{doc[:6]}-{doc[6:14]}-{doc[14:]}"
        elif u < 0.84:
            s = f"{doc[:6]} {doc[6:10]} {doc[10:14]} {doc[14:]}"
        elif u < 0.92:
            s = doc.lower()
        elif u < 0.96:
            s = doc.translate(_FULLWIDTH)
        else:
            s = f" {doc} " if u < 0.98 else doc + " "
        if s[-1:] == "X" and self.r.random() < 0.3:
            s = s[:-1] + "x"
        return s

    def r_phone(self, num: str) -> str:
        u = self.r.random()
        if u < 0.45:
            return num
        if u < 0.60:
            return "+86" + num
        if u < 0.70:
            return f"+86 {num[:3]} {num[3:7]} {num[7:]}"
        if u < 0.76:
            return f"{num[:3]} {num[3:7]} {num[7:]}"
        if u < 0.81:
            return f"{num[:3]}-{num[3:7]}-{num[7:]}"
        if u < 0.85:
            return f"+86-{num[:3]}-{num[3:7]}-{num[7:]}"
        if u < 0.89:
            return "86 " + num
        if u < 0.92:
            return "0086 " + num
        if u < 0.95:
            return f"(+86) {num[:3]} {num[3:7]} {num[7:]}"
        if u < 0.98:
            return "+86 " + num.translate(_FULLWIDTH)
        return f" {num} "

    def r_email(self, email: str) -> str:
        u = self.r.random()
        if u < 0.8:
            return email
        if u < 0.88:
            return email[:1].upper() + email[1:]
        if u < 0.93:
            return email.upper()
        if u < 0.97:
            local, _, domain = email.partition("@")
            return f"{local.title()}@{domain}"
        return f" {email} "

    def r_account(self, acc: _Account) -> str:
        num = acc.number
        u = self.r.random()
        if acc.kind == "wallet":
            if "@" in num:
                return self.r_email(num)
            if u < 0.7:
                return num
            return (
                f"{num[:3]} {num[3:7]} {num[7:]}" if u < 0.9 else f"{num[:3]}-{num[3:7]}-{num[7:]}"
            )
        if u < 0.58:
            return num
        groups = [num[i : i + 4] for i in range(0, len(num), 4)]
        if u < 0.84:
            return " ".join(groups)
        if u < 0.90:
            return "-".join(groups)
        if u < 0.95:
            return num.translate(_FULLWIDTH)
        return f" {num} " if u < 0.98 else "  ".join(groups)

    def r_name(self, p: _Person) -> str:
        u = self.r.random()
        if u < 0.72:
            return p.cn
        if u < 0.84:
            return f"{p.sur} {p.giv}"
        if u < 0.92:
            return f"{p.giv} {p.sur}"
        if u < 0.96:
            return f"{p.giv[0]}. {p.sur}"
        return f"{p.sur} {p.giv}".upper()

    def r_holder(self, holder: object) -> str:
        if isinstance(holder, _Person):
            return self.r_name(holder)
        name = str(holder)
        u = self.r.random()
        if u < 0.7:
            return name
        if u < 0.85:
            return name.upper()
        if u < 0.93:
            return name.replace("Co., Ltd.", "Co.,Ltd")
        return name.replace(", Ltd.", " Ltd")

    def r_brand(self, b: str) -> str:
        u = self.r.random()
        if u < 0.6:
            return b.capitalize()
        return b.upper() if u < 0.85 else b

    def r_address(self, place: _Place, typo: bool) -> str:
        """Render an address; with ``typo``, one letter of one word is wrong (never a digit)."""
        r = self.r
        u = r.random()
        if u < 0.35 and not typo:
            return place.key
        p_abbr = 0.85 if u < 0.7 else 0.3
        words = []
        seg_ends = []
        for seg in place.segs:
            for w in seg.split(" "):
                alt = _ABBR.get(w)
                if alt is not None and r.random() < p_abbr:
                    w = alt[int(r.random() * len(alt))]
                words.append(w)
            seg_ends.append(len(words))
        if typo:
            cand = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
            if cand:
                i = cand[int(r.random() * len(cand))]
                words[i] = self._typo_word(words[i])
        joiner = self.pick(_JOINERS)
        out = []
        start = 0
        for end in seg_ends:
            out.append(" ".join(words[start:end]))
            start = end
        s = joiner.join(out)
        v = r.random()
        if v < 0.07:
            s = s.upper()
        elif v < 0.11:
            s = s.lower()
        v = r.random()
        if v < 0.08:
            s = s.replace(" ", "  ", 1)
        elif v < 0.12:
            s = s + ","
        elif v < 0.15:
            s = " " + s
        return s

    def _typo_word(self, w: str) -> str:
        r = self.r
        while True:
            i = int(r.random() * len(w))
            if r.random() < 0.5 and i < len(w) - 1:
                if w[i].lower() == w[i + 1].lower():
                    continue
                t = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
            else:
                c = self.pick(_LETTERS)
                if c == w[i].lower():
                    continue
                t = w[:i] + (c.upper() if w[i].isupper() else c) + w[i + 1 :]
            return t

    def id_typo(self, doc: str) -> str:
        """One substituted character or two adjacent characters swapped; never a valid ID."""
        r = self.r
        while True:
            i = int(r.random() * 18)
            if r.random() < 0.5 and i < 17:
                if doc[i] == doc[i + 1]:
                    continue
                t = doc[:i] + doc[i + 1] + doc[i] + doc[i + 2 :]
            else:
                c = self.pick("0123456789")
                if c == doc[i]:
                    continue
                t = doc[:i] + c + doc[i + 1 :]
            if not _cn_valid(t):
                return t

    # ---- one operator -----------------------------------------------------------------------

    def new_sid(self) -> str:
        sid = f"S{self.sids[self.next_store]:0{self.sid_width}d}"
        self.next_store += 1
        return sid

    def decoy_person(self, code: int) -> _Person:
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
            b.doc = a.doc[:pos] + c + a.doc[pos + 1 :]
            self.used_ids.add(b.doc[:17])
            base = code - code % 2
            self.decoys[base] = a
            self.decoys[base + 1] = b
        return self.decoys[code]

    def operator(self, i: int) -> None:
        plan = self.plan
        r = self.r
        op_id = f"OP{i + 1:0{self.op_width}d}"
        size = plan.size[i]
        n_new = plan.new[i]
        n_old = size - n_new
        banned = plan.banned[i]
        city_i = self.city()
        nb = 1 if size < 3 else (2 if size < 30 or r.random() < 0.5 else 3)
        brands = [self.brand() for _ in range(nb)]

        # Timeline.
        if banned:
            lo = _START + 200
            hi = _END - (230 if n_new else 5)
            ban_day = self.day(lo, hi)
            span = int(60 + 30 * n_old**0.6 + r.random() * 500)
            first = max(_START, ban_day - span)
            opened = [self.day(first, ban_day - 10) for _ in range(n_old)]
        else:
            ban_day = 0
            first = self.day(_START, _END - 20)
            span = int(30 + 25 * n_old**0.7 + r.random() * 365)
            opened = [self.day(first, first + span) for _ in range(n_old)]

        old = self.part(
            i,
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
        reason = self.pick(_BAN_REASONS)
        for j, row in enumerate(old.stores):
            if banned:
                row[5] = "suspended"
                row[6] = self.iso[min(_END, ban_day + int(r.random() * 4)) - _START]
                row[7] = reason
            else:
                u = r.random()
                if u < 0.05:
                    row[5] = "closed"
                    row[7] = self.pick(_CLOSED_REASONS)
                elif u < 0.054 and size >= 2 and opened[j] + 30 < _END:
                    row[5] = "suspended"
                    row[6] = self.iso[self.day(opened[j] + 30, opened[j] + 700) - _START]
                    row[7] = self.pick(_ISOLATED_REASONS)
                    old.facts[j].append("isolated_suspension")
        parts = [old]

        if n_new:
            burst = ban_day + 7 + int(r.random() * 200)
            burst = min(burst, _END - 4)
            new_opened = [burst + int(r.random() * 5) for _ in range(n_new)]
            banned_brand = brands[0]
            variants = [self.brand_variant(banned_brand) for _ in range(1 if n_new < 4 else 2)]
            new = self.part(
                i, n_new, city_i, variants, new_opened, vo=-1, agency=-1, tpl=-1,
                neighbour=-1, decoy=-1, typo=False, evader=True,
            )  # fmt: skip
            for f in new.facts:
                f.append(f"brand_variant:{banned_brand}")
            self.link_evader(old, new, plan.link[i])
            parts.append(new)

        stores_out, idents_out, pays_out, addrs_out, truth_out = self.out
        for part in parts:
            is_new = part is not old
            stores_out.extend(part.stores)
            idents_out.extend(part.idents)
            pays_out.extend(part.pays)
            addrs_out.extend(part.addrs)
            for row, facts in zip(part.stores, part.facts, strict=True):
                truth_out.append(
                    (
                        row[0],
                        op_id,
                        size,
                        "true" if row[5] == "suspended" else "false",
                        "true" if is_new else "false",
                        op_id if is_new else "",
                        ";".join(dict.fromkeys(facts)),
                    )
                )
        self.buffered += size

    def part(
        self,
        i: int,
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
    ) -> _Part:
        """Build ``n`` stores of one company: people, accounts, places, and all their rows."""
        r = self.r
        rnd = r.random
        part = _Part()
        part.brands = brands
        city = _CITIES[city_i][0]
        company, licence = self.company(city)

        # Employees who open stores (1-5 each), and a few more people who act as contacts.
        reps: list[_Person] = []
        owner: list[int] = []
        if decoy >= 0:
            reps.append(self.decoy_person(decoy))
        e = -1
        while len(owner) < n:
            e += 1
            if len(reps) <= e:
                p = self.person()
                while typo and e == 0 and p.doc_type != "CN_RESIDENT_ID":
                    p = self.person()
                reps.append(p)
            c = min(n - len(owner), (1, 1, 1, 2, 2, 2, 3, 3, 4, 5)[int(rnd() * 10)])
            if typo and e == 0:
                c = max(c, min(n, 2))
            owner.extend([e] * c)
        part.reps = reps
        contacts: list[_Person] = part.contacts
        n_contacts = min(10, 1 + n // 40)

        # Accounts: a few, shared by the company.
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
        for _ in range(n_acc):
            u = rnd()
            kind = "bank" if u < 0.75 else ("card" if u < 0.87 else "wallet")
            holder: object = company if (kind == "bank" and rnd() < 0.6) else self.pick(reps)
            part.accounts.append(self.account(kind, holder))

        # Places: offices, an own warehouse, hubs.
        if vo >= 0:
            offices = [self.hub(vo)]
        else:
            offices = []
            if neighbour >= 0:
                offices.append(self.neighbour_office(neighbour, city_i))
            n_off = 1 if n < 15 or rnd() < 0.5 else 2
            while len(offices) < n_off:
                offices.append(self.office(city_i))
        emp_office = [int(rnd() * len(offices)) for _ in reps]
        p_wh = 0.1 if n == 1 else (0.3 if n < 10 else (0.6 if n < 100 else 0.9))
        own_wh = self.warehouse(city_i) if rnd() < p_wh else None
        tpl_place = self.hub(tpl) if tpl >= 0 else None
        tpl_share = 1.0 if n <= 20 else 0.2 + 0.4 * rnd()
        ag = self.hub(agency) if agency >= 0 else None
        ag_share = 1.0 if n <= 5 else 0.6

        # Payments: an employee's first store pays into an account already reached, the others
        # into any account, so that employees and accounts form one component.
        reached = [0]
        reached_set = {0}
        seen_emp: set[int] = set()

        markets = [_pick_cum(_MARKET_CUM, rnd()) for _ in range(1 + int(rnd() * 3))]
        typo_left = typo
        for j in range(n):
            sid = self.new_sid()
            e = owner[j]
            rep = reps[e]
            facts: list[str] = []
            keys: list[str] = []
            brand = brands[0] if (len(brands) == 1 or rnd() < 0.6) else self.pick(brands)
            shown = self.r_brand(brand)
            name = f"{shown}{self.pick(_STORE_SUFFIXES)}"
            part.stores.append(
                [sid, name, shown, _MARKETPLACES[self.pick(markets)],
                 self.iso[opened[j] - _START], "active", "", ""]
            )  # fmt: skip

            # Identities.
            use_ag = ag is not None and (ag_share >= 1.0 or rnd() < ag_share)
            if use_ag:
                facts.append(ag[2])
            part.rep_row.append(len(part.idents))
            if typo_left and e == 0 and j > 0:
                doc = self.id_typo(rep.doc)
                facts.append("id_typo")
                typo_left = False
                part.idents.append(
                    self.ident_row(sid, rep, doc, "legal_rep", ag if use_ag else None)
                )
                keys.append("I:" + doc)
            elif rep.doc_type == "CN_RESIDENT_ID" and decoy < 0 and rnd() < 0.015:
                part.idents.append(
                    [sid, self.r_id(licence), "BUSINESS_LICENSE", self.r_holder(company),
                     "legal_rep", self.r_phone(ag[0] if use_ag else rep.phone),
                     self.r_email(ag[1] if use_ag else rep.email)]
                )  # fmt: skip
                keys.append("I:" + licence)
            else:
                part.idents.append(
                    self.ident_row(sid, rep, rep.doc, "legal_rep", ag if use_ag else None)
                )
                keys.append("I:" + rep.doc)
                if decoy >= 0 and e == 0:
                    facts.append("near_id_decoy")
            if not use_ag:
                keys.append("P:" + rep.phone)
                keys.append("E:" + rep.email)
            if rnd() < 0.12:
                if len(contacts) < n_contacts and (not contacts or rnd() < 0.3):
                    contacts.append(
                        self.person() if rnd() < 0.6 or len(reps) < 2 else self.pick(reps)
                    )
                c = self.pick(contacts)
                part.idents.append(self.ident_row(sid, c, c.doc, "contact", ag if use_ag else None))
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
                part.pays.append(self.pay_row(sid, part.accounts[a]))
                keys.append("A:" + part.accounts[a].number)

            # Addresses.
            off = offices[emp_office[e]]
            part.reg_row.append(len(part.addrs))
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
            part.facts.append(facts)
            part.keys.append(keys)

        # Accounts nobody reached yet get a second payment from some store.
        for a in range(n_acc):
            if a not in reached_set:
                j = int(rnd() * n)
                part.pays.append(self.pay_row(part.stores[j][0], part.accounts[a]))
                part.keys[j].append("A:" + part.accounts[a].number)
        self.connect(part)
        return part

    def ident_row(self, sid: str, p: _Person, doc: str, role: str, ag: object) -> list[str]:
        phone, email = (ag[0], ag[1]) if ag is not None else (p.phone, p.email)
        return [sid, self.r_id(doc) if p.doc_type == "CN_RESIDENT_ID" else doc, p.doc_type,
                self.r_name(p), role, self.r_phone(phone), self.r_email(email)]  # fmt: skip

    def pay_row(self, sid: str, acc: _Account) -> tuple[str, ...]:
        inst = acc.institution if self.r.random() < 0.9 else acc.alias
        return (sid, self.r_account(acc), acc.kind, inst, self.r_holder(acc.holder))

    def add_address(
        self, part: _Part, sid: str, place: _Place, kind: str, facts: list[str], keys: list[str]
    ) -> None:
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
        part.addrs.append(
            (sid, self.r_address(place, typo), kind, city, place.postcode, place.country)
        )
        key = ("H:" if place.fact.startswith("hub:") else "D:") + place.key
        keys.append(key)
        part.places[key] = place

    def neighbour_office(self, group: int, city_i: int) -> _Place:
        """An office in the group's building, in a room no other member uses."""
        if group not in self.neighbours:
            segs, city, pc = self.building(city_i)
            self.neighbours[group] = (segs, city, pc, self.room(), set())
        segs, city, pc, base, used = self.neighbours[group]
        while True:
            room = base if not used else base + self.pick((-5, -3, -2, -1, 1, 2, 3, 5, 8))
            if room // 100 == base // 100 and room % 100 and room not in used:
                used.add(room)
                return _Place((f"Room {room}", *segs), city, pc, "CN", "neighbour_room")

    def connect(self, part: _Part) -> None:
        """Make sure the part's stores are one component over identity documents and accounts."""
        n = len(part.stores)
        if n < 2:
            return
        parent = list(range(n))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        first: dict[str, int] = {}
        for j, keys in enumerate(part.keys):
            for k in keys:
                if k[0] in "IA":
                    o = first.setdefault(k, j)
                    if o != j:
                        parent[find(j)] = find(o)
        root = find(0)
        anchor = part.accounts[0]
        done: set[int] = set()
        for j in range(n):
            c = find(j)
            if c != root and c not in done:
                done.add(c)
                part.pays.append(self.pay_row(part.stores[j][0], anchor))
                part.keys[j].append("A:" + anchor.number)

    def link_evader(self, old: _Part, new: _Part, kind: str) -> None:
        """Give one or two new stores exactly one identifier of the old stores."""
        r = self.r
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
            again = _Person(
                p.doc, p.doc_type, p.cn, p.sur, p.giv, self.phone(), self.email(p.sur, p.giv)
            )
            key = "I:" + p.doc
            for j in carriers:
                row = new.idents[new.rep_row[j]]
                new.idents[new.rep_row[j]] = self.ident_row(
                    row[0], again, again.doc, "legal_rep", None
                )
        elif kind == "payment":
            acc = self.pick(old.accounts)
            key = "A:" + acc.number
            for j in carriers:
                new.pays.append(self.pay_row(new.stores[j][0], acc))
        elif kind == "address":
            own = [key for key in old.places if key.startswith("D:")]
            key = self.pick(own)
            place = old.places[key]
            for j in carriers:
                sid = new.stores[j][0]
                row = (sid, self.r_address(place, False), "registered", place.city,
                       place.postcode, place.country)  # fmt: skip
                if place.segs[0].startswith("Room"):
                    new.addrs[new.reg_row[j]] = row
                else:
                    new.addrs.append((sid, row[1], "warehouse", *row[3:]))
        else:
            phones = list(dict.fromkeys(k for keys in old.keys for k in keys if k.startswith("P:")))
            key = self.pick(phones)
            for j in carriers:
                row = new.idents[new.rep_row[j]]
                row[5] = self.r_phone(key[2:])
        for j in carriers:
            new.facts[j].append(f"evader_link:{kind}")
        for j, keys in enumerate(old.keys):
            if key in keys:
                old.facts[j].append(f"evader_link_source:{kind}")

    def take(self) -> tuple[list, list, list, list, list]:
        out = self.out
        self.out = ([], [], [], [], [])
        self.buffered = 0
        return out


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------


def write_sample(
    out_dir: Path,
    stores: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write a synthetic data directory of ``stores`` stores, the same bytes for the same seed.

    Parameters
    ----------
    out_dir : Path
        Directory to write into (created when missing). Files written: ``stores.csv``,
        ``identities.csv``, ``payments.csv``, ``addresses.csv`` (docs/design.md §1 columns) and
        ``truth.csv`` (``TRUTH_COLUMNS``: the operator of every store and the planted facts).
    stores : int
        Number of stores, at least 1.
    seed : int
        Seed of every random draw.
    progress : callable, optional
        Called now and then with the number of stores written so far.

    Returns
    -------
    SampleSummary
        Row counts per file and the paths written.

    Raises
    ------
    ConfigError
        When ``stores`` is below 1 or ``seed`` is negative.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     summary = write_sample(Path(d), stores=50, seed=1)
    >>> summary.stores
    50

    Notes
    -----
    Time and memory grow linearly with ``stores``: rows are generated operator by operator and
    written in chunks of about 50,000 stores (1,000,000 stores take about a minute and a half
    and under a gigabyte). Store ids are a seeded permutation of ``1..stores``; rows are sorted
    by store id within each chunk, so a world of up to 50,000 stores is fully sorted.
    """
    if stores < 1:
        raise ConfigError(f"stores must be at least 1, got {stores}")
    if seed < 0:
        raise ConfigError(f"seed must not be negative, got {seed}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plan = _plan(stores, rng)
    world = _World(plan, stores, seed, rng)
    paths = {name: out_dir / f"{name}.csv" for name in _FILES}
    counts = dict.fromkeys(_FILES, 0)
    handles = [open(paths[name], "w", encoding="utf-8", newline="") for name in _FILES]  # noqa: SIM115
    try:
        writers = [csv.writer(h, lineterminator="\n") for h in handles]
        for w, header in zip(writers, _HEADERS, strict=True):
            w.writerow(header)

        def flush() -> None:
            for name, w, rows in zip(_FILES, writers, world.take(), strict=True):
                rows.sort(key=itemgetter(0))
                w.writerows(rows)
                counts[name] += len(rows)

        done = 0
        for i in range(plan.n_ops):
            world.operator(i)
            if world.buffered >= _CHUNK_STORES:
                done += world.buffered
                flush()
                if progress is not None:
                    progress(done)
        done += world.buffered
        flush()
        if progress is not None:
            progress(done)
    finally:
        for h in handles:
            h.close()
    return SampleSummary(
        out_dir=out_dir,
        seed=seed,
        operators=plan.n_ops,
        hubs=len(plan.hubs),
        stores=counts["stores"],
        identities=counts["identities"],
        payments=counts["payments"],
        addresses=counts["addresses"],
        truth=counts["truth"],
        paths=paths,
    )
