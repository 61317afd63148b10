"""Words of the legacy world: the family's tables (:mod:`graphaudit.synth.vocab`) where the
legacy world draws from the same words, with the entries it has beyond them, and its own tables
where it draws from other words.

The legacy world picks by position, so a table here must keep its entries in their order: the
extra entries are spliced in where the world has always had them (:func:`spliced`).
``tests/test_sample_legacy.py`` rebuilds ``sample_data/`` byte for byte, which pins every table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np

from graphaudit.synth import vocab

_T = TypeVar("_T", str, tuple)


def spliced(table: tuple[_T, ...], after: Mapping[str, tuple[_T, ...]]) -> tuple[_T, ...]:
    """``table`` with the entries of ``after[k]`` placed right after entry ``k`` (an entry is
    named by itself, or by its first item when it is a tuple)."""
    out: list[_T] = []
    for entry in table:
        out.append(entry)
        out.extend(after.get(entry if isinstance(entry, str) else entry[0], ()))
    return tuple(out)


def _english(table: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    return tuple(english for _, english in table)


REGION_CODES = (
    "110105", "110108", "310112", "310115", "320506", "330106", "330108", "330782", "330212",
    "350203", "350582", "360102", "410105", "420111", "430104", "431102", "440103", "440106",
    "440111", "440113", "440303", "440304", "440305", "440306", "440307", "440606", "441900",
    "445281", "500103", "510107", "610113",
)  # fmt: skip


SURNAMES = vocab.SURNAMES + (
    ("石", "Shi"), ("金", "Jin"), ("韦", "Wei"), ("贾", "Jia"), ("夏", "Xia"), ("付", "Fu"),
    ("方", "Fang"), ("邹", "Zou"), ("熊", "Xiong"), ("白", "Bai"), ("孟", "Meng"), ("秦", "Qin"),
    ("邱", "Qiu"), ("侯", "Hou"), ("江", "Jiang"), ("尹", "Yin"), ("薛", "Xue"), ("段", "Duan"),
    ("雷", "Lei"), ("龙", "Long"), ("黎", "Li"), ("史", "Shi"), ("陶", "Tao"), ("贺", "He"),
    ("毛", "Mao"), ("郝", "Hao"), ("顾", "Gu"), ("龚", "Gong"), ("邵", "Shao"), ("万", "Wan"),
)  # fmt: skip
# Cumulative weights: the common surnames are much more common (rank ** -0.8).
SURNAME_CUM = tuple(np.cumsum([1.0 / (r + 1) ** 0.8 for r in range(len(SURNAMES))]).tolist())

GIVEN = spliced(vocab.GIVEN, {
    "昊": (("然", "Ran"), ("晓", "Xiao"), ("小", "Xiao")),
    "燕": (("新", "Xin"), ("成", "Cheng"), ("东", "Dong")),
    "峰": (("波", "Bo"), ("瑞", "Rui"), ("思", "Si"), ("雨", "Yu"), ("嘉", "Jia"), ("振", "Zhen"),
          ("永", "Yong"), ("德", "De"), ("荣", "Rong"), ("慧", "Hui"), ("倩", "Qian"),
          ("丹", "Dan"), ("琴", "Qin"), ("岩", "Yan"), ("阳", "Yang"), ("亮", "Liang")),
})  # fmt: skip

# Pinyin words for company names, road names, parks and towers.
WORDS = _english(vocab.COMPANY_WORDS) + (
    "Wei", "Sen", "Lian", "Ding", "Qi", "Chang", "Guang", "Run", "Jun", "Shun", "Bao", "Rong",
    "Hao", "Yao", "Teng", "Fei", "Lan", "Ke",
)  # fmt: skip
INDUSTRIES = _english(vocab.TRADES) + ("Commerce", "Home Products")
ROAD_WORDS = spliced(_english(vocab.ROAD_WORDS), {
    "Heping": ("Yanhe", "Guangming", "Nanhai", "Pingshan", "Huancheng", "Tangwei", "Shajing",
               "Fenghuang"),
})  # fmt: skip
ROAD_DIRS = ("", "", "", "", "", "North ", "South ", "East ", "West ", "Middle ")
ROAD_TYPES = ("Road", "Road", "Road", "Road", "Street", "Avenue")
TOWER_TYPES = ("Tower", "Plaza", "Center", "Building", "Mansion")
TOWER_WORDS = (
    "Galaxy", "Excellence", "Tianan", "Huafeng", "Jinhui", "Xinghe", "Kexing", "Lianhua",
    "Haian", "Baoneng", "Zhuoyue", "Hengyu", "Shenye", "Yihai", "Tianli", "Zhonghang",
)  # fmt: skip

# (city, ((district, postcode), ...), weight)
CITIES = (
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
CITY_CUM = tuple(np.cumsum([c[2] for c in CITIES]).tolist())

US_3PL = vocab.US_WAREHOUSE_TOWNS
US_STREETS = vocab.US_STREETS
US_TYPES = tuple(kind for kind, _ in vocab.US_STREET_TYPES)
UK_3PL = vocab.UK_WAREHOUSE_TOWNS
UK_ESTATES = vocab.UK_ESTATES

MOBILE_PREFIXES = spliced(vocab.MOBILE_PREFIXES, {
    "132": ("133", "134"), "152": ("153",), "156": ("157",), "177": ("178",), "183": ("184",),
})  # fmt: skip
MAIL_DOMAINS = (
    "163.com", "163.com", "126.com", "gmail.com", "outlook.com", "hotmail.com", "foxmail.com",
    "sina.com", "yeah.net", "139.com",
)  # fmt: skip

# (institution, alias, account length, prefix)
BANKS = (
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
# (institution, BIN)
CARD_BINS = vocab.CARD_BINS + (("China Merchants Bank", "439225"), ("ICBC", "524047"))
WALLETS = ("Alipay", *vocab.WALLETS)  # Alipay twice as common

MARKETPLACES = (
    "amazon.com", "amazon.co.uk", "amazon.de", "amazon.fr", "amazon.co.jp", "amazon.ca",
    "aliexpress", "ebay.com", "walmart.com", "shopee", "temu",
)  # fmt: skip
MARKET_CUM = tuple(np.cumsum([35, 10, 10, 3, 5, 4, 12, 8, 5, 4, 4]).tolist())
STORE_SUFFIXES = (*vocab.STORE_SUFFIXES, " Outlet")

BAN_REASONS = (
    "review manipulation", "review manipulation", "counterfeit", "counterfeit", "fraud",
    "intellectual property infringement", "identity verification failed",
    "incentivized reviews",
)  # fmt: skip
ISOLATED_REASONS = vocab.OTHER_SUSPENSION_REASONS
CLOSED_REASONS = ("closed by seller", "inactive", "")

# Brand words: a morpheme pair ("van" + "true") or simple syllables ("to" + "zo").
BRAND_HEADS = spliced(vocab.BRAND_HEADS, {
    "lux": ("mo", "nu"), "pix": ("ro", "su"), "xen": ("yo", "zo", "au"), "bao": ("ank", "ugr"),
    "vic": ("om", "ez"),
})  # fmt: skip
BRAND_TAILS = vocab.BRAND_TAILS + (
    "key", "een", "ver", "lin", "max", "ier", "ovo", "ent", "ux", "ani", "ole", "eck",
)  # fmt: skip
BRAND_ONSETS = (
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
    "x", "y", "br", "tr", "st", "", "",
)  # fmt: skip
BRAND_VOWELS = ("a", "e", "i", "o", "u", "a", "o", "y", "ee", "oo")
BRAND_CODAS = ("", "", "", "", "n", "r", "x", "k", "s", "l", "m")
BRAND_PREFIXES = vocab.BRAND_PREFIXES
BRAND_SUFFIXES = vocab.BRAND_SUFFIXES
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Address words and how the legacy world abbreviates them.
ABBR = {
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
JOINERS = (", ", ", ", ", ", ",", " , ", " ", ",  ", "; ")
